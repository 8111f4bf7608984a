/* SPDX-License-Identifier: GPL-2.0-only */
#include "tpm_pcr.h"
#include "lib_err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_sys.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_swtpm.h>

/* A TPM that is busy or still self-testing asks to be asked again. */
#define TPM_RETRIES 40
#define TPM_RETRY_SLEEP_MS 50

static int tpm_should_retry(TSS2_RC rc)
{
	return rc == TPM2_RC_RETRY || rc == TPM2_RC_YIELDED || rc == TPM2_RC_TESTING;
}

/* rc = call, asked again (bounded) while the TPM says it is busy. */
#define TPM_CALL(rc, call)                                                   \
	do {                                                                 \
		int tries_ = 0;                                              \
		while (tpm_should_retry((rc) = (call)) && ++tries_ < TPM_RETRIES) \
			sleep_ms(TPM_RETRY_SLEEP_MS);                        \
	} while (0)

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int fail(char *err, size_t errlen, const char *what, TSS2_RC rc)
{
	lib_err(err, errlen, "TPM %s failed: 0x%x (%s)", what, (unsigned)rc, Tss2_RC_Decode(rc));
	return -1;
}

const char *tpm_alg_name(uint16_t alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1: return "sha1";
	case TPM2_ALG_SHA256: return "sha256";
	case TPM2_ALG_SHA384: return "sha384";
	case TPM2_ALG_SHA512: return "sha512";
	case TPM2_ALG_SM3_256: return "sm3_256";
	default: return "unknown";
	}
}

static int open_tcti(struct tpm_pcr *t, const char *spec, char *err, size_t errlen)
{
	TSS2_RC rc;
	size_t size = 0;
	const char *conf = spec;
	int swtpm = strncmp(spec, "swtpm:", 6) == 0;

	if (swtpm)
		conf = spec + 6;
	else if (spec[0] != '/') {
		lib_err(err, errlen, "TPM '%s': expected a device path or swtpm:host=H,port=P", spec);
		return -1;
	}
	rc = swtpm ? Tss2_Tcti_Swtpm_Init(NULL, &size, conf) : Tss2_Tcti_Device_Init(NULL, &size, conf);
	if (rc != TSS2_RC_SUCCESS)
		return fail(err, errlen, "transport size query", rc);
	if (size > sizeof(t->tcti_mem)) {
		lib_err(err, errlen, "TPM transport needs %zu bytes of context, have %zu", size,
			 sizeof(t->tcti_mem));
		return -1;
	}
	t->tcti = t->tcti_mem;
	rc = swtpm ? Tss2_Tcti_Swtpm_Init(t->tcti, &size, conf)
		   : Tss2_Tcti_Device_Init(t->tcti, &size, conf);
	if (rc != TSS2_RC_SUCCESS) {
		t->tcti = NULL;
		lib_err(err, errlen, "cannot open TPM '%s': 0x%x (%s)", spec, (unsigned)rc,
			 Tss2_RC_Decode(rc));
		return -1;
	}
	return 0;
}

static int query_banks(struct tpm_pcr *t, char *err, size_t errlen)
{
	TPMS_CAPABILITY_DATA cap;
	TPMI_YES_NO more = 0;
	TSS2_RC rc;

	TPM_CALL(rc, Tss2_Sys_GetCapability(t->sys, NULL, TPM2_CAP_PCRS, 0, 1, &more, &cap, NULL));
	if (rc != TSS2_RC_SUCCESS)
		return fail(err, errlen, "GetCapability(PCRS)", rc);

	return tpm_pcr_active_banks(&cap.data.assignedPCR, t->banks, EVENTLOG_MAX_BANKS, &t->nbanks,
				    err, errlen);
}

int tpm_pcr_active_banks(const TPML_PCR_SELECTION *sel, uint16_t *banks, unsigned max,
			 unsigned *n, char *err, size_t errlen)
{
	*n = 0;
	for (UINT32 i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		int active = 0;

		for (unsigned j = 0; j < s->sizeofSelect && j < sizeof(s->pcrSelect); j++)
			active |= s->pcrSelect[j] != 0;
		if (!active)
			continue;
		if (digest_size(s->hash) == 0) {
			lib_err(err, errlen, "TPM has an active %s (0x%04x) PCR bank this code cannot "
				 "hash; deactivate it or extend the digest module", tpm_alg_name(s->hash),
				 s->hash);
			return -1;
		}
		if (*n == max) {
			lib_err(err, errlen, "TPM reports more than %u active PCR banks", max);
			return -1;
		}
		banks[(*n)++] = s->hash;
	}
	if (*n == 0) {
		lib_err(err, errlen, "TPM has no active PCR bank");
		return -1;
	}
	return 0;
}

/* SAPI on t->tcti, then the active banks; on error t is closed. */
static int start_sys(struct tpm_pcr *t, char *err, size_t errlen)
{
	TSS2_ABI_VERSION abi = TSS2_ABI_VERSION_CURRENT;
	size_t size = Tss2_Sys_GetContextSize(0);
	TSS2_RC rc;

	if (size > sizeof(t->sys_mem)) {
		lib_err(err, errlen, "TPM SAPI needs %zu bytes of context, have %zu", size,
			 sizeof(t->sys_mem));
		tpm_pcr_close(t);
		return -1;
	}
	t->sys = t->sys_mem;
	rc = Tss2_Sys_Initialize(t->sys, size, t->tcti, &abi);
	if (rc != TSS2_RC_SUCCESS) {
		t->sys = NULL;
		tpm_pcr_close(t);
		return fail(err, errlen, "SAPI initialisation", rc);
	}
	if (query_banks(t, err, errlen) != 0) {
		tpm_pcr_close(t);
		return -1;
	}
	return 0;
}

int tpm_pcr_open(struct tpm_pcr *t, const char *spec, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (open_tcti(t, spec, err, errlen) != 0)
		return -1;
	return start_sys(t, err, errlen);
}

int tpm_pcr_attach(struct tpm_pcr *t, void *tcti, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (!tcti) {
		lib_err(err, errlen, "no open TPM connection to measure with");
		return -1;
	}
	t->tcti = tcti;
	t->borrowed = 1;
	return start_sys(t, err, errlen);
}

void tpm_pcr_close(struct tpm_pcr *t)
{
	if (t->sys)
		Tss2_Sys_Finalize(t->sys);
	if (t->tcti && !t->borrowed)
		Tss2_Tcti_Finalize((TSS2_TCTI_CONTEXT *)t->tcti);
	t->sys = NULL;
	t->tcti = NULL;
}

int tpm_pcr_extend(struct tpm_pcr *t, uint32_t pcr, const struct eventlog_digests *d,
		   char *err, size_t errlen)
{
	TSS2L_SYS_AUTH_COMMAND auth = { .count = 1, .auths = { { .sessionHandle = TPM2_RH_PW } } };
	TSS2L_SYS_AUTH_RESPONSE rsp;
	TPML_DIGEST_VALUES v;
	TSS2_RC rc;

	memset(&v, 0, sizeof(v));
	if (pcr > 23 || d->count != t->nbanks) {
		lib_err(err, errlen, "PCR extend: PCR %u with %u digests for %u banks", pcr, d->count,
			 t->nbanks);
		return -1;
	}
	v.count = d->count;
	for (unsigned i = 0; i < d->count; i++) {
		if (d->d[i].alg != t->banks[i] || d->d[i].size > sizeof(v.digests[i].digest)) {
			lib_err(err, errlen, "PCR extend: digest %u is %s, bank is %s", i,
				 tpm_alg_name(d->d[i].alg), tpm_alg_name(t->banks[i]));
			return -1;
		}
		v.digests[i].hashAlg = d->d[i].alg;
		memcpy(&v.digests[i].digest, d->d[i].value, d->d[i].size);
	}
	TPM_CALL(rc, Tss2_Sys_PCR_Extend(t->sys, pcr, &auth, &v, &rsp));
	if (rc != TSS2_RC_SUCCESS) {
		char what[32];

		snprintf(what, sizeof(what), "PCR_Extend(%u)", pcr);
		return fail(err, errlen, what, rc);
	}
	return 0;
}

int tpm_pcr_read(struct tpm_pcr *t, uint16_t alg, uint32_t pcr, uint8_t *out, size_t cap,
		 size_t *len, char *err, size_t errlen)
{
	TPML_PCR_SELECTION in, got;
	TPML_DIGEST values;
	UINT32 counter;
	TSS2_RC rc;

	if (pcr > 23) {
		lib_err(err, errlen, "PCR read: no PCR %u", pcr);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.count = 1;
	in.pcrSelections[0].hash = alg;
	in.pcrSelections[0].sizeofSelect = 3;
	in.pcrSelections[0].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
	TPM_CALL(rc, Tss2_Sys_PCR_Read(t->sys, NULL, &in, &counter, &got, &values, NULL));
	if (rc != TSS2_RC_SUCCESS)
		return fail(err, errlen, "PCR_Read", rc);
	if (values.count != 1 || values.digests[0].size > cap) {
		lib_err(err, errlen, "PCR read: %s PCR %u not returned (bank inactive?)",
			 tpm_alg_name(alg), pcr);
		return -1;
	}
	memcpy(out, values.digests[0].buffer, values.digests[0].size);
	*len = values.digests[0].size;
	return 0;
}

const char *tpm_device_default(void)
{
	return access("/dev/tpmrm0", F_OK) == 0 ? "/dev/tpmrm0" : "/dev/tpm0";
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "tpm_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_sys.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "clock.h"
#include "credblob.h"
#include "digest.h"
#include "tpm_pcr.h"

/* A TPM that is busy or still self-testing asks to be asked again. */
#define TA_RETRIES 40
#define TA_RETRY_SLEEP_MS 50
/*
 * RSA key generation on a discrete TPM takes seconds, on some parts tens of
 * seconds; ESAPI's synchronous calls would wait forever, so each command is
 * sent asynchronously and its answer awaited for at most this long.
 */
#define TA_CMD_TIMEOUT_MS 180000
#define TA_POLL_MS 1000
/* PCRs may be extended by someone else while we quote: tries before giving up. */
#define TA_QUOTE_TRIES 5
#define TA_MAX_SESSIONS 4
#define TA_TCTI_MAX 65536
#define TA_NPCR 24

struct ta_ctx {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR ek, ak;
	enum ta_key_type ek_type, ak_type;
	ESYS_TR sessions[TA_MAX_SESSIONS];
	int rm;
	/* A command got no answer in time: ESAPI still waits for it, nothing else can be sent. */
	int stuck;
	char spec[256];
};

static const uint8_t policy_a_sha256[32] = {
	/* PolicySecret(TPM_RH_ENDORSEMENT), TCG EK Credential Profile 2.x, B.3.2 */
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int tpm_should_retry(TSS2_RC rc)
{
	return rc == TPM2_RC_RETRY || rc == TPM2_RC_YIELDED || rc == TPM2_RC_TESTING;
}

/* A layer below the TPM has no answer yet (transport timeout, resubmission). */
static int tss_try_again(TSS2_RC rc)
{
	return (rc & TSS2_RC_LAYER_MASK) != 0 && (rc & 0xffffu) == TSS2_BASE_RC_TRY_AGAIN;
}

/*
 * rc = one TPM command, sent with async_call and collected with finish_call
 * (polled every TA_POLL_MS, for at most TA_CMD_TIMEOUT_MS); sent again
 * (bounded) while the TPM says it is busy or self-testing.
 */
#define TA_RUN(c, rc, async_call, finish_call)                                       \
	do {                                                                         \
		int tries_ = 0;                                                      \
		for (;;) {                                                           \
			if ((c)->stuck) {                                            \
				(rc) = TSS2_ESYS_RC_BAD_SEQUENCE;                    \
				break;                                               \
			}                                                            \
			(rc) = (async_call);                                         \
			if ((rc) == TSS2_RC_SUCCESS) {                               \
				int64_t end_ = mono_ms() + TA_CMD_TIMEOUT_MS;         \
				while (tss_try_again((rc) = (finish_call))) {        \
					if (mono_ms() > end_) {                       \
						(c)->stuck = 1;                      \
						break;                               \
					}                                            \
				}                                                    \
			}                                                            \
			if (!tpm_should_retry(rc) || ++tries_ >= TA_RETRIES)         \
				break;                                               \
			sleep_ms(TA_RETRY_SLEEP_MS);                                 \
		}                                                                    \
	} while (0)

static int fail(struct ta_ctx *c, char *err, size_t errlen, const char *what, TSS2_RC rc)
{
	if (c != NULL && c->stuck)
		snprintf(err, errlen, "TPM %s: the TPM did not answer a command within %d s; "
			 "this TPM connection is unusable, close and reopen it", what,
			 TA_CMD_TIMEOUT_MS / 1000);
	else
		snprintf(err, errlen, "TPM %s failed: 0x%x (%s)", what, (unsigned)rc,
			 Tss2_RC_Decode(rc));
	return -1;
}

static const char *alg_name(uint16_t alg)
{
	const char *n = digest_name(alg);

	return n ? n : "unknown";
}

const char *ta_key_type_name(enum ta_key_type type)
{
	switch (type) {
	case TA_KEY_RSA2048: return "rsa";
	case TA_KEY_ECC_P256: return "ecc";
	default: return "auto";
	}
}

const char *ta_sign_alg_name(enum ta_key_type type)
{
	return type == TA_KEY_ECC_P256 ? "ecdsa" : "rsassa";
}

const char *ta_spec(const struct ta_ctx *ctx)
{
	return ctx->spec;
}

void *ta_tcti(struct ta_ctx *ctx)
{
	return ctx ? ctx->tcti : NULL;
}

int ta_resource_managed(const struct ta_ctx *ctx)
{
	return ctx->rm;
}

enum ta_key_type ta_ak_type(const struct ta_ctx *ctx)
{
	return ctx->ak == ESYS_TR_NONE ? TA_KEY_AUTO : ctx->ak_type;
}

/* Flush a transient object or session; ESAPI forgets it even if the TPM cannot be told. */
static void flush(struct ta_ctx *c, ESYS_TR *h)
{
	TSS2_RC rc;

	if (*h == ESYS_TR_NONE)
		return;
	TA_RUN(c, rc, Esys_FlushContext_Async(c->esys, *h), Esys_FlushContext_Finish(c->esys));
	if (rc != TSS2_RC_SUCCESS)
		Esys_TR_Close(c->esys, h);
	*h = ESYS_TR_NONE;
}

void ta_close(struct ta_ctx *c)
{
	if (c == NULL)
		return;
	if (c->esys != NULL) {
		for (int i = 0; i < TA_MAX_SESSIONS; i++)
			flush(c, &c->sessions[i]);
		flush(c, &c->ak);
		flush(c, &c->ek);
		Esys_Finalize(&c->esys);
	}
	if (c->tcti != NULL) {
		Tss2_Tcti_Finalize(c->tcti);
		free(c->tcti);
	}
	free(c);
}

/*
 * Without a resource manager the TPM's few object and session slots keep
 * whatever an earlier user left, e.g. an agent that crashed before ta_close.
 * Such a transport admits one user at a time, so everything loaded is stale.
 */
static void flush_stale(struct ta_ctx *c)
{
	static const TPM2_HANDLE ranges[] = { TPM2_TRANSIENT_FIRST, TPM2_LOADED_SESSION_FIRST,
					      TPM2_ACTIVE_SESSION_FIRST };
	TSS2_SYS_CONTEXT *sys = NULL;

	if (Esys_GetSysContext(c->esys, &sys) != TSS2_RC_SUCCESS || sys == NULL)
		return;
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (int round = 0; round < 8; round++) {
			TPMS_CAPABILITY_DATA cap;
			TPMI_YES_NO more = 0;
			unsigned flushed = 0;
			TSS2_RC rc;
			int tries = 0;

			while (tpm_should_retry(rc = Tss2_Sys_GetCapability(sys, NULL, TPM2_CAP_HANDLES,
									   ranges[r], TPM2_MAX_CAP_HANDLES,
									   &more, &cap, NULL)) &&
			       ++tries < TA_RETRIES)
				sleep_ms(TA_RETRY_SLEEP_MS);
			if (rc != TSS2_RC_SUCCESS)
				break;
			for (UINT32 i = 0; i < cap.data.handles.count && i < TPM2_MAX_CAP_HANDLES; i++) {
				TPM2_HANDLE h = cap.data.handles.handle[i];

				if ((h & TPM2_HR_RANGE_MASK) != (ranges[r] & TPM2_HR_RANGE_MASK))
					continue;
				tries = 0;
				while (tpm_should_retry(rc = Tss2_Sys_FlushContext(sys, h)) &&
				       ++tries < TA_RETRIES)
					sleep_ms(TA_RETRY_SLEEP_MS);
				flushed += rc == TSS2_RC_SUCCESS;
			}
			if (flushed == 0 || !more)
				break;
		}
	}
}

int ta_open(struct ta_ctx **out, const char *spec, char *err, size_t errlen)
{
	struct ta_ctx *c = NULL;
	const char *conf, *base;
	size_t size = 0;
	TSS2_RC rc;
	int swtpm, ret = -1;

	*out = NULL;
	if (spec == NULL || spec[0] == '\0')
		spec = tpm_device_default();
	swtpm = strncmp(spec, "swtpm:", 6) == 0;
	if (!swtpm && spec[0] != '/') {
		snprintf(err, errlen, "TPM '%s': expected a device path or swtpm:host=H,port=P", spec);
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "TPM '%s': out of memory", spec);
		goto out;
	}
	c->ek = c->ak = ESYS_TR_NONE;
	for (int i = 0; i < TA_MAX_SESSIONS; i++)
		c->sessions[i] = ESYS_TR_NONE;
	if (strlen(spec) >= sizeof(c->spec)) {
		snprintf(err, errlen, "TPM spec longer than %zu bytes", sizeof(c->spec) - 1);
		goto out;
	}
	strcpy(c->spec, spec);
	base = strrchr(spec, '/');
	c->rm = !swtpm && base != NULL && strncmp(base + 1, "tpmrm", 5) == 0;
	conf = swtpm ? spec + 6 : spec;

	rc = swtpm ? Tss2_Tcti_Swtpm_Init(NULL, &size, conf) : Tss2_Tcti_Device_Init(NULL, &size, conf);
	if (rc != TSS2_RC_SUCCESS) {
		fail(NULL, err, errlen, "transport size query", rc);
		goto out;
	}
	if (size == 0 || size > TA_TCTI_MAX) {
		snprintf(err, errlen, "TPM transport asks for %zu bytes of context", size);
		goto out;
	}
	c->tcti = calloc(1, size);
	if (c->tcti == NULL) {
		snprintf(err, errlen, "TPM '%s': out of memory", spec);
		goto out;
	}
	rc = swtpm ? Tss2_Tcti_Swtpm_Init(c->tcti, &size, conf)
		   : Tss2_Tcti_Device_Init(c->tcti, &size, conf);
	if (rc != TSS2_RC_SUCCESS) {
		free(c->tcti);
		c->tcti = NULL;
		snprintf(err, errlen, "cannot open TPM '%s': 0x%x (%s)", spec, (unsigned)rc,
			 Tss2_RC_Decode(rc));
		goto out;
	}
	rc = Esys_Initialize(&c->esys, c->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		c->esys = NULL;
		fail(NULL, err, errlen, "ESAPI initialisation", rc);
		goto out;
	}
	rc = Esys_SetTimeout(c->esys, TA_POLL_MS);
	if (rc != TSS2_RC_SUCCESS) {
		fail(NULL, err, errlen, "ESAPI timeout setting", rc);
		goto out;
	}
	if (!c->rm)
		flush_stale(c);
	*out = c;
	c = NULL;
	ret = 0;
out:
	ta_close(c);
	return ret;
}

/* Start a policy session satisfying the EK's policy A (PolicySecret on the endorsement hierarchy). */
static int ek_session(struct ta_ctx *c, ESYS_TR *out, char *err, size_t errlen)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR *slot = NULL;
	TSS2_RC rc;

	for (int i = 0; i < TA_MAX_SESSIONS && slot == NULL; i++)
		if (c->sessions[i] == ESYS_TR_NONE)
			slot = &c->sessions[i];
	if (slot == NULL) {
		snprintf(err, errlen, "TPM: more than %d sessions open", TA_MAX_SESSIONS);
		return -1;
	}
	TA_RUN(c, rc,
	       Esys_StartAuthSession_Async(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym,
					   TPM2_ALG_SHA256),
	       Esys_StartAuthSession_Finish(c->esys, slot));
	if (rc != TSS2_RC_SUCCESS) {
		*slot = ESYS_TR_NONE;
		return fail(c, err, errlen, "StartAuthSession(policy)", rc);
	}
	TA_RUN(c, rc,
	       Esys_PolicySecret_Async(c->esys, ESYS_TR_RH_ENDORSEMENT, *slot, ESYS_TR_PASSWORD,
				       ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0),
	       Esys_PolicySecret_Finish(c->esys, NULL, NULL));
	if (rc != TSS2_RC_SUCCESS) {
		flush(c, slot);
		return fail(c, err, errlen, "PolicySecret(TPM_RH_ENDORSEMENT)", rc);
	}
	*out = *slot;
	return 0;
}

static void end_session(struct ta_ctx *c, ESYS_TR s)
{
	for (int i = 0; i < TA_MAX_SESSIONS; i++)
		if (s != ESYS_TR_NONE && c->sessions[i] == s)
			flush(c, &c->sessions[i]);
}

static int nv_exists(struct ta_ctx *c, TPM2_HANDLE index, int *exists, char *err, size_t errlen)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	TSS2_RC rc;
	char what[48];

	TA_RUN(c, rc,
	       Esys_GetCapability_Async(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_HANDLES, index, 1),
	       Esys_GetCapability_Finish(c->esys, &more, &cap));
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(what, sizeof(what), "GetCapability(HANDLES from 0x%08x)", (unsigned)index);
		return fail(c, err, errlen, what, rc);
	}
	*exists = cap->data.handles.count >= 1 && cap->data.handles.handle[0] == index;
	Esys_Free(cap);
	return 0;
}

/* Largest NV_Read the TPM accepts (TPM2_PT_NV_BUFFER_MAX), bounded by ESAPI's buffer. */
static UINT16 nv_chunk(struct ta_ctx *c)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	UINT16 chunk = 512;
	TSS2_RC rc;

	TA_RUN(c, rc,
	       Esys_GetCapability_Async(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1),
	       Esys_GetCapability_Finish(c->esys, &more, &cap));
	if (rc == TSS2_RC_SUCCESS && cap->data.tpmProperties.count >= 1 &&
	    cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX &&
	    cap->data.tpmProperties.tpmProperty[0].value >= 64) {
		UINT32 v = cap->data.tpmProperties.tpmProperty[0].value;

		chunk = v > TPM2_MAX_NV_BUFFER_SIZE ? TPM2_MAX_NV_BUFFER_SIZE : (UINT16)v;
	}
	Esys_Free(cap);
	return chunk;
}

/* Length of the DER SEQUENCE at the start of b (NV indices may be padded after it), 0 if none. */
static size_t der_sequence_len(const uint8_t *b, size_t n)
{
	size_t hdr, body = 0;

	if (n < 2 || b[0] != 0x30)
		return 0;
	if (b[1] < 0x80) {
		hdr = 2;
		body = b[1];
	} else {
		size_t nb = b[1] & 0x7f;

		if (nb == 0 || nb > 3 || 2 + nb > n)
			return 0;
		for (size_t i = 0; i < nb; i++)
			body = body << 8 | b[2 + i];
		hdr = 2 + nb;
	}
	if (body > n - hdr)
		return 0;
	return hdr + body;
}

static int nv_read_cert(struct ta_ctx *c, TPM2_HANDLE index, uint8_t *cert, size_t cap,
			size_t *len, char *err, size_t errlen)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_MAX_NV_BUFFER *data = NULL;
	ESYS_TR nv = ESYS_TR_NONE, auth;
	UINT16 size, chunk, off = 0;
	TPMA_NV attrs;
	TSS2_RC rc;
	char what[64];
	int ret = -1;

	*len = 0;
	TA_RUN(c, rc,
	       Esys_TR_FromTPMPublic_Async(c->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE),
	       Esys_TR_FromTPMPublic_Finish(c->esys, &nv));
	if (rc != TSS2_RC_SUCCESS) {
		nv = ESYS_TR_NONE;
		snprintf(what, sizeof(what), "ReadPublic of NV 0x%08x (EK certificate)", (unsigned)index);
		fail(c, err, errlen, what, rc);
		goto out;
	}
	TA_RUN(c, rc, Esys_NV_ReadPublic_Async(c->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE),
	       Esys_NV_ReadPublic_Finish(c->esys, &pub, NULL));
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(what, sizeof(what), "NV_ReadPublic(0x%08x)", (unsigned)index);
		fail(c, err, errlen, what, rc);
		goto out;
	}
	size = pub->nvPublic.dataSize;
	attrs = pub->nvPublic.attributes;
	if (size > cap) {
		snprintf(err, errlen, "EK certificate at NV 0x%08x is %u bytes, buffer holds %zu",
			 (unsigned)index, size, cap);
		goto out;
	}
	if (attrs & TPMA_NV_AUTHREAD)
		auth = nv;
	else if (attrs & TPMA_NV_OWNERREAD)
		auth = ESYS_TR_RH_OWNER;
	else {
		snprintf(err, errlen, "EK certificate at NV 0x%08x is readable neither with its own "
			 "nor with owner authorization (attributes 0x%08x)", (unsigned)index,
			 (unsigned)attrs);
		goto out;
	}
	chunk = nv_chunk(c);
	while (off < size) {
		UINT16 n = (UINT16)(size - off < chunk ? size - off : chunk);

		TA_RUN(c, rc,
		       Esys_NV_Read_Async(c->esys, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					  ESYS_TR_NONE, n, off),
		       Esys_NV_Read_Finish(c->esys, &data));
		if (rc != TSS2_RC_SUCCESS) {
			snprintf(what, sizeof(what), "NV_Read(0x%08x, %u bytes at %u)", (unsigned)index,
				 n, off);
			fail(c, err, errlen, what, rc);
			goto out;
		}
		if (data->size != n) {
			snprintf(err, errlen, "TPM NV_Read(0x%08x) returned %u bytes, asked for %u",
				 (unsigned)index, data->size, n);
			goto out;
		}
		memcpy(cert + off, data->buffer, n);
		off += n;
		Esys_Free(data);
		data = NULL;
	}
	*len = der_sequence_len(cert, size);
	if (*len == 0) {
		snprintf(err, errlen, "NV 0x%08x (%u bytes) does not hold a DER certificate "
			 "(starts %02x %02x)", (unsigned)index, size, size > 0 ? cert[0] : 0,
			 size > 1 ? cert[1] : 0);
		goto out;
	}
	ret = 0;
out:
	Esys_Free(data);
	Esys_Free(pub);
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(c->esys, &nv);
	return ret;
}

static void ek_template(enum ta_key_type type, TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;

	memset(t, 0, sizeof(*t));
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->authPolicy.size = sizeof(policy_a_sha256);
	memcpy(p->authPolicy.buffer, policy_a_sha256, sizeof(policy_a_sha256));
	if (type == TA_KEY_RSA2048) {
		/* Template L-1 */
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
		p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
		p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;
		p->unique.rsa.size = 256;
	} else {
		/* Template L-2 */
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
		p->parameters.eccDetail.symmetric.keyBits.aes = 128;
		p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = 32;
		p->unique.ecc.y.size = 32;
	}
}

static int marshal_public(const TPM2B_PUBLIC *pub, uint8_t *out, size_t cap, size_t *len,
			  const char *what, char *err, size_t errlen)
{
	size_t off = 0;
	TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, out, cap, &off);

	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "%s public area does not fit %zu bytes: 0x%x (%s)", what, cap,
			 (unsigned)rc, Tss2_RC_Decode(rc));
		return -1;
	}
	*len = off;
	return 0;
}

int ta_ek_create(struct ta_ctx *c, enum ta_key_type want, uint8_t *ek_pub, size_t cap,
		 size_t *len, uint8_t *cert, size_t cert_cap, size_t *cert_len,
		 enum ta_key_type *got, char *err, size_t errlen)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION pcrs = { .count = 0 };
	ESYS_TR ek = ESYS_TR_NONE;
	enum ta_key_type type = want;
	int have_ecc = 0, have_rsa = 0, ret = -1;
	TSS2_RC rc;

	if (len)
		*len = 0;
	if (cert_len)
		*cert_len = 0;
	if (c == NULL || ek_pub == NULL || len == NULL || cert == NULL || cert_len == NULL ||
	    (want != TA_KEY_AUTO && want != TA_KEY_RSA2048 && want != TA_KEY_ECC_P256)) {
		snprintf(err, errlen, "EK: bad arguments (key type %d)", (int)want);
		return -1;
	}
	if (want != TA_KEY_RSA2048 &&
	    nv_exists(c, TA_NV_EK_CERT_ECC_P256, &have_ecc, err, errlen) != 0)
		return -1;
	if ((want == TA_KEY_RSA2048 || (want == TA_KEY_AUTO && !have_ecc)) &&
	    nv_exists(c, TA_NV_EK_CERT_RSA2048, &have_rsa, err, errlen) != 0)
		return -1;
	if (want == TA_KEY_AUTO)
		type = have_ecc ? TA_KEY_ECC_P256 : TA_KEY_RSA2048;
	if (type == TA_KEY_ECC_P256 && have_ecc &&
	    nv_read_cert(c, TA_NV_EK_CERT_ECC_P256, cert, cert_cap, cert_len, err, errlen) != 0)
		return -1;
	if (type == TA_KEY_RSA2048 && have_rsa &&
	    nv_read_cert(c, TA_NV_EK_CERT_RSA2048, cert, cert_cap, cert_len, err, errlen) != 0)
		return -1;

	flush(c, &c->ek);
	memset(&sens, 0, sizeof(sens));
	ek_template(type, &tmpl);
	TA_RUN(c, rc,
	       Esys_CreatePrimary_Async(c->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs),
	       Esys_CreatePrimary_Finish(c->esys, &ek, &pub, NULL, NULL, NULL));
	if (rc != TSS2_RC_SUCCESS) {
		fail(c, err, errlen,
		     type == TA_KEY_RSA2048 ? "CreatePrimary(EK RSA 2048)" : "CreatePrimary(EK ECC P-256)",
		     rc);
		goto out;
	}
	c->ek = ek;
	c->ek_type = type;
	if (marshal_public(pub, ek_pub, cap, len, "EK", err, errlen) != 0)
		goto out;
	if (got)
		*got = type;
	ret = 0;
out:
	Esys_Free(pub);
	if (ret != 0)
		*cert_len = 0;
	return ret;
}

/*
 * The AK's template. The unique field carries airlock's label: the AK is a
 * primary key of the endorsement hierarchy, derived from its seed and this
 * template, so every boot of the node gets the same key without storing
 * anything (docs/agent.md, "The attestation key").
 */
static const char ak_label[] = "airlock attestation key v1";

static void ak_template(enum ta_key_type type, TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;
	uint8_t label[32];

	memset(t, 0, sizeof(*t));
	(void)digest(TPM_ALG_SHA256, ak_label, sizeof(ak_label) - 1, label);
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	if (type == TA_KEY_RSA2048) {
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		p->parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		p->parameters.rsaDetail.keyBits = 2048;
		p->parameters.rsaDetail.exponent = 0;
		p->unique.rsa.size = sizeof(label);
		memcpy(p->unique.rsa.buffer, label, sizeof(label));
	} else {
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = sizeof(label);
		memcpy(p->unique.ecc.x.buffer, label, sizeof(label));
	}
}

int ta_ak_create(struct ta_ctx *c, enum ta_key_type type, uint8_t *ak_pub, size_t cap,
		 size_t *len, uint8_t *name, size_t name_cap, size_t *name_len, char *err,
		 size_t errlen)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_NAME *nm = NULL;
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION pcrs = { .count = 0 };
	ESYS_TR ak = ESYS_TR_NONE;
	int ret = -1;
	TSS2_RC rc;

	if (len)
		*len = 0;
	if (name_len)
		*name_len = 0;
	if (c == NULL || ak_pub == NULL || len == NULL || name == NULL || name_len == NULL ||
	    (type != TA_KEY_AUTO && type != TA_KEY_RSA2048 && type != TA_KEY_ECC_P256)) {
		snprintf(err, errlen, "AK: bad arguments (key type %d)", (int)type);
		return -1;
	}
	if (c->ek == ESYS_TR_NONE) {
		snprintf(err, errlen, "AK: no EK to activate it with (call ta_ek_create first)");
		return -1;
	}
	if (type == TA_KEY_AUTO)
		type = TA_KEY_RSA2048;
	flush(c, &c->ak);
	memset(&sens, 0, sizeof(sens));
	ak_template(type, &tmpl);
	TA_RUN(c, rc,
	       Esys_CreatePrimary_Async(c->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs),
	       Esys_CreatePrimary_Finish(c->esys, &ak, &pub, NULL, NULL, NULL));
	if (rc != TSS2_RC_SUCCESS) {
		fail(c, err, errlen, type == TA_KEY_RSA2048 ? "CreatePrimary(AK RSA 2048)" :
		     "CreatePrimary(AK ECC P-256)", rc);
		goto out;
	}
	c->ak = ak;
	c->ak_type = type;

	rc = Esys_TR_GetName(c->esys, ak, &nm);
	if (rc != TSS2_RC_SUCCESS) {
		fail(c, err, errlen, "TR_GetName(AK)", rc);
		goto out;
	}
	if (nm->size > name_cap || nm->size < 2) {
		snprintf(err, errlen, "AK name is %u bytes, buffer holds %zu", nm->size, name_cap);
		goto out;
	}
	if (marshal_public(pub, ak_pub, cap, len, "AK", err, errlen) != 0)
		goto out;
	memcpy(name, nm->name, nm->size);
	*name_len = nm->size;
	ret = 0;
out:
	Esys_Free(nm);
	Esys_Free(pub);
	if (ret != 0)
		*len = 0;
	return ret;
}

/* tpm2-tools / Keylime credential blob: src/lib/credblob.h. */

/*
 * The blob's layout is checked once, by the parser the verifier's
 * make_credential pairs with; the TSS then copies each TPM2B into its struct.
 */
static int parse_blob(const uint8_t *blob, size_t n, TPM2B_ID_OBJECT *cred,
		      TPM2B_ENCRYPTED_SECRET *secret, char *err, size_t errlen)
{
	const uint8_t *id, *es;
	size_t id_len, es_len, off = 0;
	TSS2_RC rc;

	if (credblob_parse(blob, n, &id, &id_len, &es, &es_len, err, errlen) != 0)
		return -1;
	rc = Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(id, id_len, &off, cred);
	if (rc != TSS2_RC_SUCCESS || off != id_len) {
		snprintf(err, errlen, "credential blob: TPM2B_ID_OBJECT the TSS cannot take (0x%x %s)",
			 (unsigned)rc, Tss2_RC_Decode(rc));
		return -1;
	}
	off = 0;
	rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(es, es_len, &off, secret);
	if (rc != TSS2_RC_SUCCESS || off != es_len) {
		snprintf(err, errlen, "credential blob: TPM2B_ENCRYPTED_SECRET the TSS cannot take "
			 "(0x%x %s)", (unsigned)rc, Tss2_RC_Decode(rc));
		return -1;
	}
	return 0;
}

int ta_activate_credential(struct ta_ctx *c, const uint8_t *blob, size_t blob_len,
			   uint8_t *secret, size_t cap, size_t *len, char *err, size_t errlen)
{
	TPM2B_ID_OBJECT cred;
	TPM2B_ENCRYPTED_SECRET enc;
	TPM2B_DIGEST *info = NULL;
	ESYS_TR sess = ESYS_TR_NONE;
	int ret = -1;
	TSS2_RC rc;

	if (len)
		*len = 0;
	if (c == NULL || secret == NULL || len == NULL) {
		snprintf(err, errlen, "ActivateCredential: bad arguments");
		return -1;
	}
	if (c->ek == ESYS_TR_NONE || c->ak == ESYS_TR_NONE) {
		snprintf(err, errlen, "ActivateCredential: needs the EK and the AK (call ta_ek_create "
			 "and ta_ak_create first)");
		return -1;
	}
	if (parse_blob(blob, blob_len, &cred, &enc, err, errlen) != 0)
		return -1;
	if (ek_session(c, &sess, err, errlen) != 0)
		return -1;
	TA_RUN(c, rc,
	       Esys_ActivateCredential_Async(c->esys, c->ak, c->ek, ESYS_TR_PASSWORD, sess,
					     ESYS_TR_NONE, &cred, &enc),
	       Esys_ActivateCredential_Finish(c->esys, &info));
	end_session(c, sess);
	if (rc != TSS2_RC_SUCCESS) {
		fail(c, err, errlen, "ActivateCredential", rc);
		goto out;
	}
	if (info->size > cap) {
		snprintf(err, errlen, "ActivateCredential: secret is %u bytes, buffer holds %zu",
			 info->size, cap);
		goto out;
	}
	memcpy(secret, info->buffer, info->size);
	*len = info->size;
	ret = 0;
out:
	if (info != NULL) {
		explicit_bzero(info, sizeof(*info));
		Esys_Free(info);
	}
	return ret;
}

/* Values of the PCRs in mask of bank alg, vals[pcr]; PCR_Read returns at most 8 per call. */
static int read_pcrs(struct ta_ctx *c, uint16_t alg, uint32_t mask, uint8_t vals[][DIGEST_MAX_SIZE],
		     char *err, size_t errlen)
{
	size_t dsz = digest_size(alg);
	uint32_t left = mask;

	for (int round = 0; left != 0 && round < TA_NPCR; round++) {
		TPML_PCR_SELECTION in = { .count = 1 }, *out_sel = NULL;
		TPML_DIGEST *values = NULL;
		uint32_t got = 0;
		unsigned k = 0;
		TSS2_RC rc;
		int bad = 0;

		in.pcrSelections[0].hash = alg;
		in.pcrSelections[0].sizeofSelect = 3;
		for (int b = 0; b < 3; b++)
			in.pcrSelections[0].pcrSelect[b] = (uint8_t)(left >> (8 * b));
		TA_RUN(c, rc,
		       Esys_PCR_Read_Async(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in),
		       Esys_PCR_Read_Finish(c->esys, NULL, &out_sel, &values));
		if (rc != TSS2_RC_SUCCESS) {
			char what[48];

			snprintf(what, sizeof(what), "PCR_Read(%s, mask 0x%06x)", alg_name(alg),
				 (unsigned)left);
			return fail(c, err, errlen, what, rc);
		}
		for (UINT32 i = 0; i < out_sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
			const TPMS_PCR_SELECTION *s = &out_sel->pcrSelections[i];

			if (s->hash != alg)
				continue;
			for (unsigned b = 0; b < s->sizeofSelect && b < sizeof(s->pcrSelect); b++)
				got |= (uint32_t)s->pcrSelect[b] << (8 * b);
		}
		if (got == 0 || (got & ~left) != 0)
			bad = 1;
		for (int pcr = 0; !bad && pcr < TA_NPCR; pcr++) {
			if (!(got & (1u << pcr)))
				continue;
			if (k >= values->count || values->digests[k].size != dsz)
				bad = 1;
			else
				memcpy(vals[pcr], values->digests[k].buffer, dsz);
			k++;
		}
		if (!bad && k != values->count)
			bad = 1;
		Esys_Free(out_sel);
		Esys_Free(values);
		if (bad) {
			snprintf(err, errlen, "TPM PCR_Read(%s, mask 0x%06x) returned PCRs 0x%06x that do "
				 "not match its digests (is the %s bank active?)", alg_name(alg),
				 (unsigned)left, (unsigned)got, alg_name(alg));
			return -1;
		}
		left &= ~got;
	}
	if (left != 0) {
		snprintf(err, errlen, "TPM PCR_Read(%s): PCRs 0x%06x never returned", alg_name(alg),
			 (unsigned)left);
		return -1;
	}
	return 0;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* tpm2-tools' `tpm2_quote -o`: its in-memory structs, little-endian. */
#define PCRSEL_SIZE 132
#define TPML_DIGEST_SIZE 532
#define TPM2B_DIGEST_SIZE 66

static size_t pcrblob_size(unsigned npcr)
{
	return PCRSEL_SIZE + 4 + (npcr + 7) / 8 * TPML_DIGEST_SIZE;
}

static void pcrblob_write(uint8_t *out, uint16_t alg, uint32_t mask,
			  uint8_t vals[][DIGEST_MAX_SIZE], unsigned npcr)
{
	size_t dsz = digest_size(alg);
	unsigned ngroups = (npcr + 7) / 8, n = 0;

	memset(out, 0, pcrblob_size(npcr));
	put_le32(out, 1);
	put_le16(out + 4, alg);
	out[6] = 3;
	for (int b = 0; b < 3; b++)
		out[7 + b] = (uint8_t)(mask >> (8 * b));
	put_le32(out + PCRSEL_SIZE, ngroups);
	for (int pcr = 0; pcr < TA_NPCR; pcr++) {
		uint8_t *g, *d;

		if (!(mask & (1u << pcr)))
			continue;
		g = out + PCRSEL_SIZE + 4 + (n / 8) * TPML_DIGEST_SIZE;
		put_le32(g, n % 8 + 1);
		d = g + 4 + (n % 8) * TPM2B_DIGEST_SIZE;
		put_le16(d, (uint16_t)dsz);
		memcpy(d + 2, vals[pcr], dsz);
		n++;
	}
}

/* Does the attestation say what we asked, over these PCR values? */
static int check_attest(const TPM2B_ATTEST *q, const TPMT_SIGNATURE *sig, const uint8_t *nonce,
			size_t nonce_len, const TPML_PCR_SELECTION *sel, uint32_t mask, uint16_t alg,
			uint8_t vals[][DIGEST_MAX_SIZE], int *pcrs_differ, char *err, size_t errlen)
{
	uint8_t cat[TA_NPCR * DIGEST_MAX_SIZE], dig[DIGEST_MAX_SIZE];
	size_t dsz = digest_size(alg), n = 0, off = 0;
	TPMS_ATTEST a;
	TPMI_ALG_HASH sig_hash;
	TSS2_RC rc;

	*pcrs_differ = 0;
	memset(&a, 0, sizeof(a));
	rc = Tss2_MU_TPMS_ATTEST_Unmarshal(q->attestationData, q->size, &off, &a);
	if (rc != TSS2_RC_SUCCESS || off != q->size || a.magic != TPM2_GENERATED_VALUE ||
	    a.type != TPM2_ST_ATTEST_QUOTE) {
		snprintf(err, errlen, "TPM Quote returned an attestation that is not a quote "
			 "(0x%x, magic %08x, type %04x)", (unsigned)rc, (unsigned)a.magic, a.type);
		return -1;
	}
	if (a.extraData.size != nonce_len || (nonce_len && memcmp(a.extraData.buffer, nonce, nonce_len))) {
		snprintf(err, errlen, "TPM Quote: attestation does not carry our nonce");
		return -1;
	}
	if (a.attested.quote.pcrSelect.count != 1 ||
	    a.attested.quote.pcrSelect.pcrSelections[0].hash != alg ||
	    memcmp(a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect, sel->pcrSelections[0].pcrSelect, 3) != 0) {
		snprintf(err, errlen, "TPM Quote: attestation covers other PCRs than asked");
		return -1;
	}
	switch (sig->sigAlg) {
	case TPM2_ALG_ECDSA: sig_hash = sig->signature.ecdsa.hash; break;
	case TPM2_ALG_RSASSA: sig_hash = sig->signature.rsassa.hash; break;
	default:
		snprintf(err, errlen, "TPM Quote: unexpected signature algorithm 0x%04x", sig->sigAlg);
		return -1;
	}
	for (int pcr = 0; pcr < TA_NPCR; pcr++) {
		if (!(mask & (1u << pcr)))
			continue;
		memcpy(cat + n, vals[pcr], dsz);
		n += dsz;
	}
	if (digest_size(sig_hash) == 0 || digest(sig_hash, cat, n, dig) != DIGEST_OK) {
		snprintf(err, errlen, "TPM Quote: cannot hash PCR values with %s", alg_name(sig_hash));
		return -1;
	}
	if (a.attested.quote.pcrDigest.size != digest_size(sig_hash) ||
	    memcmp(a.attested.quote.pcrDigest.buffer, dig, digest_size(sig_hash)) != 0)
		*pcrs_differ = 1;
	return 0;
}

int ta_quote(struct ta_ctx *c, uint32_t mask, uint16_t hash_alg, const uint8_t *nonce,
	     size_t nonce_len, uint8_t *attest, size_t attest_cap, size_t *attest_len,
	     uint8_t *sig, size_t sig_cap, size_t *sig_len, uint8_t *pcrblob, size_t blob_cap,
	     size_t *blob_len, char *err, size_t errlen)
{
	uint8_t before[TA_NPCR][DIGEST_MAX_SIZE], after[TA_NPCR][DIGEST_MAX_SIZE];
	TPML_PCR_SELECTION sel = { .count = 1 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_DATA qd = { .size = 0 };
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *signature = NULL;
	unsigned npcr = 0;
	size_t off = 0;
	int ret = -1, done = 0;
	TSS2_RC rc;

	if (attest_len)
		*attest_len = 0;
	if (sig_len)
		*sig_len = 0;
	if (blob_len)
		*blob_len = 0;
	if (c == NULL || attest == NULL || attest_len == NULL || sig == NULL || sig_len == NULL ||
	    pcrblob == NULL || blob_len == NULL || (nonce == NULL && nonce_len != 0)) {
		snprintf(err, errlen, "Quote: bad arguments");
		return -1;
	}
	if (mask == 0 || mask >> TA_NPCR != 0) {
		snprintf(err, errlen, "Quote: PCR mask 0x%x must select PCRs within 0..23", (unsigned)mask);
		return -1;
	}
	if (digest_size(hash_alg) == 0) {
		snprintf(err, errlen, "Quote: PCR bank 0x%04x is not a hash this agent knows", hash_alg);
		return -1;
	}
	if (nonce_len > TA_NONCE_MAX) {
		snprintf(err, errlen, "Quote: nonce of %zu bytes, at most %d", nonce_len, TA_NONCE_MAX);
		return -1;
	}
	if (c->ak == ESYS_TR_NONE) {
		snprintf(err, errlen, "Quote: no AK (call ta_ak_create first)");
		return -1;
	}
	for (int pcr = 0; pcr < TA_NPCR; pcr++)
		npcr += (mask >> pcr) & 1;
	if (pcrblob_size(npcr) > blob_cap) {
		snprintf(err, errlen, "Quote: PCR blob needs %zu bytes, buffer holds %zu",
			 pcrblob_size(npcr), blob_cap);
		return -1;
	}
	sel.pcrSelections[0].hash = hash_alg;
	sel.pcrSelections[0].sizeofSelect = 3;
	for (int b = 0; b < 3; b++)
		sel.pcrSelections[0].pcrSelect[b] = (uint8_t)(mask >> (8 * b));
	qd.size = (UINT16)nonce_len;
	if (nonce_len)
		memcpy(qd.buffer, nonce, nonce_len);
	memset(before, 0, sizeof(before));
	memset(after, 0, sizeof(after));

	for (int t = 0; t < TA_QUOTE_TRIES && !done; t++) {
		int differ = 0;

		Esys_Free(quoted);
		Esys_Free(signature);
		quoted = NULL;
		signature = NULL;
		if (read_pcrs(c, hash_alg, mask, before, err, errlen) != 0)
			goto out;
		TA_RUN(c, rc,
		       Esys_Quote_Async(c->esys, c->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					&qd, &scheme, &sel),
		       Esys_Quote_Finish(c->esys, &quoted, &signature));
		if (rc != TSS2_RC_SUCCESS) {
			char what[48];

			snprintf(what, sizeof(what), "Quote(%s, mask 0x%06x)", alg_name(hash_alg),
				 (unsigned)mask);
			fail(c, err, errlen, what, rc);
			goto out;
		}
		if (read_pcrs(c, hash_alg, mask, after, err, errlen) != 0)
			goto out;
		if (memcmp(before, after, sizeof(before)) != 0)
			continue;
		if (check_attest(quoted, signature, nonce, nonce_len, &sel, mask, hash_alg, after,
				 &differ, err, errlen) != 0)
			goto out;
		done = !differ;
	}
	if (!done) {
		snprintf(err, errlen, "Quote: %s PCRs 0x%06x kept changing during %d quotes",
			 alg_name(hash_alg), (unsigned)mask, TA_QUOTE_TRIES);
		goto out;
	}
	if (quoted->size > attest_cap) {
		snprintf(err, errlen, "Quote: attestation is %u bytes, buffer holds %zu", quoted->size,
			 attest_cap);
		goto out;
	}
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(signature, sig, sig_cap, &off);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "Quote: signature does not fit %zu bytes: 0x%x (%s)", sig_cap,
			 (unsigned)rc, Tss2_RC_Decode(rc));
		goto out;
	}
	memcpy(attest, quoted->attestationData, quoted->size);
	*attest_len = quoted->size;
	*sig_len = off;
	pcrblob_write(pcrblob, hash_alg, mask, after, npcr);
	*blob_len = pcrblob_size(npcr);
	ret = 0;
out:
	Esys_Free(quoted);
	Esys_Free(signature);
	return ret;
}

static int active_banks(struct ta_ctx *c, uint16_t *banks, unsigned *n, char *err, size_t errlen)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	TSS2_RC rc;
	int ret;

	*n = 0;
	TA_RUN(c, rc,
	       Esys_GetCapability_Async(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_PCRS, 0, 1),
	       Esys_GetCapability_Finish(c->esys, &more, &cap));
	if (rc != TSS2_RC_SUCCESS)
		return fail(c, err, errlen, "GetCapability(PCRS)", rc);
	ret = tpm_pcr_active_banks(&cap->data.assignedPCR, banks, TPM2_NUM_PCR_BANKS, n, err,
				   errlen);
	Esys_Free(cap);
	return ret;
}

int ta_pcr16_bind(struct ta_ctx *c, const uint8_t *data, size_t len, char *err, size_t errlen)
{
	uint16_t banks[TPM2_NUM_PCR_BANKS];
	TPML_DIGEST_VALUES v;
	unsigned n = 0;
	TSS2_RC rc;

	if (c == NULL || (data == NULL && len != 0)) {
		snprintf(err, errlen, "PCR 16 bind: bad arguments");
		return -1;
	}
	if (active_banks(c, banks, &n, err, errlen) != 0)
		return -1;
	memset(&v, 0, sizeof(v));
	v.count = n;
	for (unsigned i = 0; i < n; i++) {
		v.digests[i].hashAlg = banks[i];
		if (digest(banks[i], data, len, (uint8_t *)&v.digests[i].digest) != DIGEST_OK) {
			snprintf(err, errlen, "PCR 16 bind: cannot hash %zu bytes with %s", len,
				 alg_name(banks[i]));
			return -1;
		}
	}
	TA_RUN(c, rc,
	       Esys_PCR_Reset_Async(c->esys, ESYS_TR_PCR16, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				    ESYS_TR_NONE),
	       Esys_PCR_Reset_Finish(c->esys));
	if (rc != TSS2_RC_SUCCESS)
		return fail(c, err, errlen, "PCR_Reset(16)", rc);
	TA_RUN(c, rc,
	       Esys_PCR_Extend_Async(c->esys, ESYS_TR_PCR16, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				     ESYS_TR_NONE, &v),
	       Esys_PCR_Extend_Finish(c->esys));
	if (rc != TSS2_RC_SUCCESS)
		return fail(c, err, errlen, "PCR_Extend(16)", rc);
	return 0;
}

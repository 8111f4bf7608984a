/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCR access for the runtime: which banks are active, extend every bank at
 * once, read values back. Built on tpm2-tss's SAPI with caller-owned context
 * memory, so PID 1 does not touch the heap; works over /dev/tpmrm0, /dev/tpm0
 * (no transient objects are created, so no resource manager is needed) and
 * swtpm's TCP socket for host tests.
 */
#ifndef AIRLOCK_TPM_PCR_H
#define AIRLOCK_TPM_PCR_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "eventlog.h"

#define TPM_PCR_CTX_SIZE 8192

struct tpm_pcr {
	void *tcti;
	void *sys;
	unsigned nbanks;
	uint16_t banks[EVENTLOG_MAX_BANKS];
	int borrowed; /* tcti belongs to someone else: close leaves it open */
	_Alignas(16) uint8_t tcti_mem[1024];
	_Alignas(16) uint8_t sys_mem[TPM_PCR_CTX_SIZE];
};

/*
 * Open the TPM named by spec: an absolute device path ("/dev/tpmrm0"), or
 * "swtpm:host=H,port=P" for swtpm's raw TCP socket. Then ask the TPM which PCR
 * banks are active (allocated with PCRs selected) and keep that list. On error
 * returns -1 with a message in err.
 */
/*
 * The kernel's TPM device when none is configured: the resource manager
 * /dev/tpmrm0 when there is one (it cleans up after each user), else /dev/tpm0.
 */
const char *tpm_device_default(void);

int tpm_pcr_open(struct tpm_pcr *t, const char *spec, char *err, size_t errlen);
/*
 * The same on a TCTI another context already holds open (the agent's ESAPI):
 * swtpm's socket takes one connection and /dev/tpm0 one opener, so a second
 * open would wait or fail. Close does not finalise a borrowed TCTI.
 */
int tpm_pcr_attach(struct tpm_pcr *t, void *tcti, char *err, size_t errlen);
void tpm_pcr_close(struct tpm_pcr *t);

/* Extend one PCR with one digest per active bank (d must cover every bank). */
int tpm_pcr_extend(struct tpm_pcr *t, uint32_t pcr, const struct eventlog_digests *d,
		   char *err, size_t errlen);

/* Read one PCR of one bank; *len gets the digest size. */
int tpm_pcr_read(struct tpm_pcr *t, uint16_t alg, uint32_t pcr, uint8_t *out, size_t cap,
		 size_t *len, char *err, size_t errlen);

/*
 * The active banks of a TPM2_CAP_PCRS answer (allocated, with any PCR
 * selected), in the TPM's order, into banks (room for max). 0, or -1 with err:
 * a bank this code cannot hash (extending the others would leave it open to a
 * forger), more than max, or none. For /init (SAPI) and the agent (ESAPI).
 */
int tpm_pcr_active_banks(const TPML_PCR_SELECTION *sel, uint16_t *banks, unsigned max,
			 unsigned *n, char *err, size_t errlen);

/* Name of a TPM hash algorithm id ("sha256"), or "unknown". */
const char *tpm_alg_name(uint16_t alg);

#endif

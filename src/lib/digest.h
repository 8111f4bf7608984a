/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hashes named by their TPM 2.0 algorithm id (TPM_ALG_ID), over mbedtls.
 *
 * The event log, the PCR extend helper and the verifier all speak in TPM
 * algorithm ids, so this is the one place that maps them to mbedtls. An id
 * outside the table below is an error (DIGEST_E_ALG), never a guess.
 *
 * The one-shot functions (digest, pcr_extend) use no heap, so PID 1 may call
 * them. The incremental interface goes through mbedtls_md_setup(), which
 * allocates its context with mbedtls_calloc(): keep it out of PID 1's main
 * path (it is meant for the agent hashing large payloads as they stream in).
 *
 * If the mbedtls build routes hashes through PSA (no MBEDTLS_SHAxxx_C), the
 * caller must have run psa_crypto_init() first; otherwise every call fails
 * with DIGEST_E_CRYPTO rather than returning a wrong value.
 */
#ifndef AIRLOCK_DIGEST_H
#define AIRLOCK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

/* TPM 2.0 Part 2, table "TPM_ALG_ID". */
#define TPM_ALG_SHA1   0x0004
#define TPM_ALG_SHA256 0x000B
#define TPM_ALG_SHA384 0x000C
#define TPM_ALG_SHA512 0x000D

/* Largest digest of any algorithm above (SHA-512). */
#define DIGEST_MAX_SIZE 64

enum digest_err {
	DIGEST_OK = 0,
	DIGEST_E_ALG = -1,    /* algorithm id not in the table above */
	DIGEST_E_CRYPTO = -2, /* mbedtls failed (or lacks the algorithm) */
	DIGEST_E_ARG = -3,    /* NULL pointer or misuse of a context */
};

/* Digest size in bytes for a TPM algorithm id, or 0 if the id is unknown. */
size_t digest_size(uint16_t alg);

/* Short lowercase name ("sha256"), or NULL if the id is unknown. */
const char *digest_name(uint16_t alg);

/* out receives digest_size(alg) bytes. data may be NULL when len is 0. */
int digest(uint16_t alg, const void *data, size_t len, uint8_t *out);

/*
 * PCR extend as the TPM does it: pcr = H(pcr || dig). Both buffers hold
 * digest_size(alg) bytes; pcr is updated in place, and left unchanged on
 * error.
 */
int pcr_extend(uint16_t alg, uint8_t *pcr, const uint8_t *dig);

/* Incremental hashing; allocates (see above). */
struct digest_ctx {
	mbedtls_md_context_t md;
	uint16_t alg;
	int ready; /* set between digest_init and digest_final/digest_abort */
};

/* On success the context must be finished with digest_final or digest_abort. */
int digest_init(struct digest_ctx *ctx, uint16_t alg);
int digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* Writes digest_size(ctx->alg) bytes and releases the context, even on error. */
int digest_final(struct digest_ctx *ctx, uint8_t *out);
/* Releases the context without producing a digest; safe to call twice. */
void digest_abort(struct digest_ctx *ctx);

#endif

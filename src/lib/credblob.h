/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The credential blob: what the registrar's make_credential (credential.h)
 * writes and the agent's TPM2_ActivateCredential takes, the tpm2-tools file
 * Keylime sends as `blob`:
 *   BE32 0xBADCC0DE | BE32 1 | TPM2B_ID_OBJECT | TPM2B_ENCRYPTED_SECRET
 * One parser for both sides. Free of tpm_public.h (whose TPMA_* names clash
 * with the TSS's), so the agent includes it beside the TSS.
 */
#ifndef AIRLOCK_CREDBLOB_H
#define AIRLOCK_CREDBLOB_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define CREDBLOB_MAGIC   0xBADCC0DEu
#define CREDBLOB_VERSION 1u

/* sizeof(TPMS_ID_OBJECT) in the TSS: two TPM2B_DIGESTs. */
#define CREDBLOB_MAX_ID_OBJECT (2 * (2 + DIGEST_MAX_SIZE))
/* sizeof(TPMU_ENCRYPTED_SECRET) in the TSS: an RSA-4096 ciphertext. */
#define CREDBLOB_MAX_ENC_SECRET 512
/* Largest blob make_credential writes or credblob_parse accepts. */
#define CREDBLOB_MAX_SIZE (8 + 2 + CREDBLOB_MAX_ID_OBJECT + 2 + CREDBLOB_MAX_ENC_SECRET)

enum credential_err {
	CREDENTIAL_OK = 0,
	CREDENTIAL_E_ARG = -1,     /* NULL pointer, bad length, output too small */
	CREDENTIAL_E_EK = -2,      /* EK unusable: not a restricted decryption key, no AES-CFB */
	CREDENTIAL_E_NAME = -3,    /* AK Name is not alg || digest of that alg */
	CREDENTIAL_E_SECRET = -4,  /* secret empty or longer than the nameAlg digest */
	CREDENTIAL_E_CRYPTO = -5,  /* mbedtls or the random generator failed */
	CREDENTIAL_E_FORMAT = -6,  /* blob malformed (sizes, truncation, trailing bytes) */
	CREDENTIAL_E_MAGIC = -7,   /* blob does not start with 0xBADCC0DE */
	CREDENTIAL_E_VERSION = -8, /* blob version is not 1 */
};

/*
 * Split a credential file (as make_credential writes it) into the two
 * TPM2Bs TPM2_ActivateCredential takes. Each pointer points into b at the
 * TPM2B's size field, and each length includes those 2 bytes. Checks the
 * magic, the version, that TPM2B_ID_OBJECT holds a TPM2B_DIGEST of a known
 * digest size followed by an encrypted TPM2B_DIGEST, the TSS size limits,
 * and that nothing follows the encrypted secret.
 */
int credblob_parse(const uint8_t *b, size_t len, const uint8_t **id_object, size_t *id_len,
		   const uint8_t **enc_secret, size_t *es_len, char *err, size_t errlen);

#endif

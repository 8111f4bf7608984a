/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TPM2_MakeCredential in software (TPM 2.0 Part 1, 24 "Credential
 * Protection"; what `tpm2_makecredential --tcti none` does), for the
 * registrar: protect a secret so that only the TPM holding the EK, and only
 * for the AK with the given Name, can recover it with TPM2_ActivateCredential.
 *
 *   seed        RSA EK: nameAlg-digest-sized random, RSA-OAEP(nameAlg,
 *               label "IDENTITY\0") to the EK;
 *               ECC EK: ephemeral ECDH on the EK's curve, seed =
 *               KDFe(nameAlg, Z, "IDENTITY", ephemeral x, EK x, digest bits),
 *               the ephemeral point (TPMS_ECC_POINT) is the encrypted secret.
 *   symKey      KDFa(nameAlg, seed, "STORAGE", AK Name, -, EK symmetric bits)
 *   encIdentity AES-CFB(symKey, IV 0) over TPM2B_DIGEST(secret)
 *   HMACkey     KDFa(nameAlg, seed, "INTEGRITY", -, -, digest bits)
 *   outerHMAC   HMAC_nameAlg(HMACkey, encIdentity || AK Name)
 *
 * The output is the tpm2-tools credential file that Keylime sends as
 * `blob`: BE32 0xBADCC0DE | BE32 1 | TPM2B_ID_OBJECT | TPM2B_ENCRYPTED_SECRET,
 * where TPM2B_ID_OBJECT = size | TPM2B_DIGEST(outerHMAC) | encIdentity.
 *
 * The EK must be a restricted decryption key (no sign attribute) with an
 * AES-CFB symmetric definition, as every EK template has; RSA and ECC
 * (NIST P-256/384/521) EKs of any nameAlg digest.h knows are handled. The
 * secret may be at most one nameAlg digest long (the TPM's rule).
 *
 * Labels passed to the KDFs are C strings; their terminating NUL is part of
 * the hashed label, as the TPM specification requires.
 *
 * Nothing here prints; errors are the negative CREDENTIAL_E_* codes with a
 * message in the caller's err buffer. Intermediate secrets (seed, keys,
 * plaintext, the ephemeral private key) are wiped before returning.
 */
#ifndef AIRLOCK_CREDENTIAL_H
#define AIRLOCK_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "credblob.h"
#include "tpm_public.h"

/* Longest KDF output the functions below produce (bits / 8). */
#define TPM_KDF_MAX_BYTES 1024

/*
 * KDFa (TPM 2.0 Part 1, 11.4.10.2; SP 800-108 counter mode with HMAC):
 * out = first bits of HMAC_hash(key, [i]32 || label || 0 || ctx_u || ctx_v
 * || [bits]32) for i = 1, 2, ...; when bits is not a multiple of 8 the
 * unused high bits of out[0] are cleared. label may be NULL (no label, no
 * NUL). out receives (bits + 7) / 8 bytes, at most TPM_KDF_MAX_BYTES.
 */
int tpm_kdfa(uint16_t hash_alg, const uint8_t *key, size_t key_len, const char *label,
	     const uint8_t *ctx_u, size_t ctx_u_len, const uint8_t *ctx_v, size_t ctx_v_len,
	     uint32_t bits, uint8_t *out, size_t cap);

/*
 * KDFe (TPM 2.0 Part 1, 11.4.10.3; SP 800-56A concatenation KDF):
 * out = first bits of H([i]32 || Z || label || 0 || party_u || party_v) for
 * i = 1, 2, ...; same conventions as tpm_kdfa.
 */
int tpm_kdfe(uint16_t hash_alg, const uint8_t *z, size_t z_len, const char *label,
	     const uint8_t *party_u, size_t u_len, const uint8_t *party_v, size_t v_len,
	     uint32_t bits, uint8_t *out, size_t cap);

/*
 * MakeCredential for ek (a parsed EK public area) and the AK's Name
 * (ak_name, ak_name_len: TPM_ALG_ID || digest, e.g. `tpm2_createak -n`
 * output or tpm_public_name() of the AK). f_rng/p_rng is an mbedtls-style
 * random generator (e.g. mbedtls_ctr_drbg_random with a seeded context);
 * it supplies the seed or the ephemeral key and the OAEP/blinding
 * randomness. On success blob[0..*blob_len) holds the credential file;
 * cap >= CREDBLOB_MAX_SIZE is always enough.
 */
int make_credential(const struct tpm_public *ek, const uint8_t *ak_name, size_t ak_name_len,
		    const uint8_t *secret, size_t secret_len,
		    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		    uint8_t *blob, size_t cap, size_t *blob_len, char *err, size_t errlen);

/* Short description of a CREDENTIAL_E_* code. */
const char *credential_strerror(int err);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keylime's key-exchange crypto over mbedtls, shared by the node agent and
 * the tenant verifier (see /work/shared/keylime-protocol.md):
 *
 *   - the agent's RSA key "NK", its PEM (what the agent hands out as
 *     `pubkey` and extends into PCR 16) and its self-signed TLS server
 *     certificate (`mtls_cert`);
 *   - U and V: 32 bytes each, RSA-OAEP with SHA-1 as OAEP hash and as MGF1
 *     hash, no label (keylime crypto.rsa_encrypt);
 *   - K = U xor V;
 *   - auth_tag = lowercase hex(HMAC-SHA384(key, msg)): the ukey tag with
 *     key K and msg the agent uuid, keys/verify with msg the challenge, and
 *     the registrar activation tag with key the ASCII text of base64(secret);
 *   - payload = IV(16) || AES-256-GCM ciphertext || tag(16), no AAD
 *     (keylime crypto.encrypt);
 *   - base64 and hex text through encoding.h, which this header includes.
 *
 * Every function returns 0 or a negative enum kc_err; those that take
 * `char *err, size_t errlen` fill it with what failed (err may be NULL).
 * Nothing here prints, and nothing allocates beyond what mbedtls does
 * internally for one operation (bounded by the RSA key size).
 *
 * Not thread-safe: one struct kc_rng / struct kc_nk per thread.
 */
#ifndef AIRLOCK_KEYLIME_CRYPTO_H
#define AIRLOCK_KEYLIME_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encoding.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

enum kc_err {
	KC_OK = 0,
	KC_ERR_INPUT = -1,  /* malformed input, wrong length, NULL argument */
	KC_ERR_AUTH = -2,   /* GCM tag did not verify */
	KC_ERR_SPACE = -3,  /* output buffer too small; nothing useful written */
	KC_ERR_CRYPTO = -4, /* mbedtls failed (RNG, key generation, signing...) */
	KC_ERR_KEY = -5,    /* key of the wrong type or size */
};

/*
 * CTR-DRBG seeded from the platform entropy source (getrandom). The DRBG
 * keeps a pointer to the entropy context: do not copy or move a struct
 * kc_rng after kc_rng_init.
 */
struct kc_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	int ready;
};

/* personalisation may be NULL; at most KC_RNG_PERS_MAX bytes are allowed. */
#define KC_RNG_PERS_MAX 128
int kc_rng_init(struct kc_rng *rng, const char *personalisation, char *err,
		size_t errlen);
/* Safe on a zeroed struct and after a failed kc_rng_init. */
void kc_rng_free(struct kc_rng *rng);
/* mbedtls f_rng: rng is a struct kc_rng *. 0 on success, else an mbedtls error. */
int kc_rng_bytes(void *rng, unsigned char *out, size_t len);

/* RSA key sizes accepted for the NK (generation always makes 2048). */
#define KC_RSA_BITS 2048
#define KC_RSA_MIN_BITS 2048
#define KC_RSA_MAX_BITS 4096
#define KC_RSA_MAX_BYTES (KC_RSA_MAX_BITS / 8)

/*
 * The agent's NK. pem is the SubjectPublicKeyInfo PEM exactly as
 * mbedtls_pk_write_pubkey_pem writes it ("-----BEGIN PUBLIC KEY-----\n",
 * 64-column base64, "-----END PUBLIC KEY-----\n"), NUL-terminated;
 * pem_len excludes the NUL. These are the bytes to serve and to hash.
 */
#define KC_PEM_MAX 1024
struct kc_nk {
	mbedtls_pk_context pk;
	char pem[KC_PEM_MAX];
	size_t pem_len;
};

/*
 * RSA-2048, e = 65537. nk is overwritten without being freed: pass a fresh
 * or kc_nk_free'd struct. On failure nk is left zeroed; free it with
 * kc_nk_free in any case.
 */
int kc_nk_generate(struct kc_nk *nk, struct kc_rng *rng, char *err, size_t errlen);
/*
 * Load an RSA private key (PEM "PRIVATE KEY" / "RSA PRIVATE KEY", or DER),
 * KC_RSA_MIN_BITS..KC_RSA_MAX_BITS, unencrypted. len need not count a NUL.
 * Used for fixed test keys and for an NK persisted by the caller. Same
 * rules for nk as kc_nk_generate.
 */
#define KC_PRIV_PEM_MAX 4096
int kc_nk_load_private_pem(struct kc_nk *nk, const char *pem, size_t len,
			   struct kc_rng *rng, char *err, size_t errlen);
/*
 * The private key as unencrypted PEM ("RSA PRIVATE KEY"), NUL-terminated,
 * for a caller that keeps a key across runs (the verifier's revocation
 * key). The caller wipes out after use.
 */
int kc_nk_private_pem(const struct kc_nk *nk, char *out, size_t cap, char *err, size_t errlen);
/* Wipes the private key and the struct. Safe on a zeroed struct. */
void kc_nk_free(struct kc_nk *nk);

/*
 * X.509 v3 self-signed certificate for nk, signed with SHA-256 (RSA
 * PKCS#1 v1.5), subject = issuer = "CN=<common_name>", validity
 * 2000-01-01 00:00:00 .. 2099-12-31 23:59:59 UTC (the runtime may not know
 * the time), 16-byte random positive serial, basicConstraints CA:FALSE and
 * subjectKeyIdentifier. common_name: 1..64 characters of [A-Za-z0-9._:-]
 * (an agent uuid fits). pem receives the NUL-terminated PEM.
 */
#define KC_CN_MAX 64
int kc_nk_self_signed_cert(const struct kc_nk *nk, struct kc_rng *rng,
			   const char *common_name, char *pem, size_t cap,
			   char *err, size_t errlen);

/* U, V and K. */
#define KC_KEY_LEN 32

/*
 * RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) decryption with the NK. inlen
 * must equal the modulus size; the plaintext must be exactly KC_KEY_LEN
 * bytes (anything else is KC_ERR_INPUT and out is zeroed).
 */
int kc_oaep_sha1_decrypt(struct kc_nk *nk, struct kc_rng *rng, const uint8_t *in,
			 size_t inlen, uint8_t out[KC_KEY_LEN], char *err,
			 size_t errlen);
/*
 * Encrypt 32 bytes to a public key given as PEM ("PUBLIC KEY" or
 * "RSA PUBLIC KEY"; with or without a trailing NUL, pem_len <= KC_PEM_MAX).
 * out receives the modulus size in bytes (256 for RSA-2048).
 */
int kc_oaep_sha1_encrypt(const char *pubkey_pem, size_t pem_len, struct kc_rng *rng,
			 const uint8_t in[KC_KEY_LEN], uint8_t *out, size_t cap,
			 size_t *outlen, char *err, size_t errlen);

/* k = u xor v (k may alias u or v). */
void kc_combine(const uint8_t u[KC_KEY_LEN], const uint8_t v[KC_KEY_LEN],
		uint8_t k[KC_KEY_LEN]);

/* hex = lowercase hex(HMAC-SHA384(key, msg)), 96 characters and a NUL. */
#define KC_TAG_LEN 48
#define KC_TAG_HEX_LEN 96
int kc_auth_tag(const uint8_t *key, size_t keylen, const uint8_t *msg,
		size_t msglen, char hex[KC_TAG_HEX_LEN + 1]);
/*
 * Does hex (hexlen characters, no NUL needed) equal HMAC-SHA384(key, msg)?
 * Upper and lower case accepted; wrong length or a non-hex character is
 * false. The comparison is constant-time over the tag.
 */
bool kc_auth_tag_matches(const uint8_t *key, size_t keylen, const uint8_t *msg,
			 size_t msglen, const char *hex, size_t hexlen);

/* Payload framing: IV || ciphertext || tag. */
#define KC_GCM_IV_LEN 16
#define KC_GCM_TAG_LEN 16
#define KC_PAYLOAD_OVERHEAD (KC_GCM_IV_LEN + KC_GCM_TAG_LEN)

/*
 * Decrypt a Keylime payload (already base64-decoded). inlen < 32 is
 * KC_ERR_INPUT; cap must be at least inlen - 32 (KC_ERR_SPACE); a tag that
 * does not verify is KC_ERR_AUTH. On any failure *outlen is 0 and
 * out[0..cap) is zeroed. out must not overlap in.
 */
int kc_payload_decrypt(const uint8_t key[KC_KEY_LEN], const uint8_t *in,
		       size_t inlen, uint8_t *out, size_t cap, size_t *outlen,
		       char *err, size_t errlen);
/* Fresh random IV from rng; cap >= inlen + 32. out must not overlap in. */
int kc_payload_encrypt(const uint8_t key[KC_KEY_LEN], struct kc_rng *rng,
		       const uint8_t *in, size_t inlen, uint8_t *out, size_t cap,
		       size_t *outlen, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TPM 2.0 public areas (TPM2B_PUBLIC) in software, for the tenant's
 * verifier and registrar: Keylime sends the EK and AK as the marshalled
 * TPM2B_PUBLIC that `tpm2_createek -u` / `tpm2_createak -u` write (2-byte
 * big-endian size, then the TPMT_PUBLIC; TPM 2.0 Part 2, 12.2.4 and 12.2.5).
 *
 * The parser accepts only what an EK or AK can be, and rejects rather than
 * guesses: RSA or ECC; a SHA-1/256/384/512 nameAlg; no reserved attribute
 * bits; an authPolicy that is empty or one nameAlg digest; symmetric NULL or
 * AES-128/192/256-CFB; the signing and decryption schemes a TPM knows for
 * the key type, each with a known hash; RSA 1024..4096-bit keys whose
 * modulus is exactly keyBits/8 bytes; NIST P-256/384/521 points whose
 * coordinates are exactly the curve size. The size prefix must cover the
 * rest of the buffer, and the TPMT_PUBLIC must end exactly where it says.
 *
 * Nothing here prints or allocates (except inside mbedtls for
 * tpm_public_to_pk). Errors are the negative TPM_PUBLIC_E_* codes, and the
 * caller's err buffer says which field, at which byte offset, was wrong.
 */
#ifndef AIRLOCK_TPM_PUBLIC_H
#define AIRLOCK_TPM_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "digest.h"

/* TPM 2.0 Part 2, "TPM_ALG_ID" (the hashes are in digest.h). */
#ifndef TPM_ALG_RSA
#define TPM_ALG_RSA       0x0001
#endif
#ifndef TPM_ALG_AES
#define TPM_ALG_AES       0x0006
#endif
#ifndef TPM_ALG_MGF1
#define TPM_ALG_MGF1      0x0007
#endif
#ifndef TPM_ALG_NULL
#define TPM_ALG_NULL      0x0010
#endif
#ifndef TPM_ALG_RSASSA
#define TPM_ALG_RSASSA    0x0014
#endif
#ifndef TPM_ALG_RSAES
#define TPM_ALG_RSAES     0x0015
#endif
#ifndef TPM_ALG_RSAPSS
#define TPM_ALG_RSAPSS    0x0016
#endif
#ifndef TPM_ALG_OAEP
#define TPM_ALG_OAEP      0x0017
#endif
#ifndef TPM_ALG_ECDSA
#define TPM_ALG_ECDSA     0x0018
#endif
#ifndef TPM_ALG_ECDH
#define TPM_ALG_ECDH      0x0019
#endif
#ifndef TPM_ALG_ECSCHNORR
#define TPM_ALG_ECSCHNORR 0x001C
#endif
#ifndef TPM_ALG_KDF1_SP800_56A
#define TPM_ALG_KDF1_SP800_56A 0x0020
#endif
#ifndef TPM_ALG_KDF2
#define TPM_ALG_KDF2      0x0021
#endif
#ifndef TPM_ALG_KDF1_SP800_108
#define TPM_ALG_KDF1_SP800_108 0x0022
#endif
#ifndef TPM_ALG_ECC
#define TPM_ALG_ECC       0x0023
#endif
#ifndef TPM_ALG_CFB
#define TPM_ALG_CFB       0x0043
#endif

/* TPM 2.0 Part 2, "TPM_ECC_CURVE". */
#ifndef TPM_ECC_NIST_P256
#define TPM_ECC_NIST_P256 0x0003
#endif
#ifndef TPM_ECC_NIST_P384
#define TPM_ECC_NIST_P384 0x0004
#endif
#ifndef TPM_ECC_NIST_P521
#define TPM_ECC_NIST_P521 0x0005
#endif

/* TPM 2.0 Part 2, "TPMA_OBJECT". */
#define TPMA_OBJECT_FIXEDTPM             0x00000002u
#define TPMA_OBJECT_STCLEAR              0x00000004u
#define TPMA_OBJECT_FIXEDPARENT          0x00000010u
#define TPMA_OBJECT_SENSITIVEDATAORIGIN  0x00000020u
#define TPMA_OBJECT_USERWITHAUTH         0x00000040u
#define TPMA_OBJECT_ADMINWITHPOLICY      0x00000080u
#define TPMA_OBJECT_NODA                 0x00000400u
#define TPMA_OBJECT_ENCRYPTEDDUPLICATION 0x00000800u
#define TPMA_OBJECT_RESTRICTED           0x00010000u
#define TPMA_OBJECT_DECRYPT              0x00020000u
#define TPMA_OBJECT_SIGN_ENCRYPT         0x00040000u
#define TPMA_OBJECT_X509SIGN             0x00080000u
/* Bits 0, 3, 8, 9, 12..15, 20..31: a TPM refuses them (TPM_RC_RESERVED_BITS). */
#define TPMA_OBJECT_RESERVED             0xFFF0F309u

/* Largest RSA modulus (4096 bits) and ECC coordinate (TSS MAX_ECC_KEY_BYTES). */
#define TPM_PUBLIC_MAX_RSA_BYTES 512
#define TPM_PUBLIC_MAX_ECC_BYTES 128
/* A TPM2B_PUBLIC is at most this long (TSS sizeof(TPMT_PUBLIC) is smaller). */
#define TPM_PUBLIC_MAX_SIZE 1024
/* Largest Name: 2-byte algorithm id and a SHA-512 digest. */
#define TPM_NAME_MAX_SIZE (2 + DIGEST_MAX_SIZE)

enum tpm_public_err {
	TPM_PUBLIC_OK = 0,
	TPM_PUBLIC_E_ARG = -1,         /* NULL pointer or buffer too small */
	TPM_PUBLIC_E_TRUNCATED = -2,   /* a field runs past the end of the data */
	TPM_PUBLIC_E_TRAILING = -3,    /* bytes left after the structure */
	TPM_PUBLIC_E_TYPE = -4,        /* object type not RSA or ECC */
	TPM_PUBLIC_E_ALG = -5,         /* unknown or unsupported algorithm id */
	TPM_PUBLIC_E_SIZE = -6,        /* a size field has a value the type forbids */
	TPM_PUBLIC_E_ATTRIBUTES = -7,  /* reserved objectAttributes bits set */
	TPM_PUBLIC_E_KEY = -8,         /* key material unusable (bad point, modulus) */
	TPM_PUBLIC_E_CRYPTO = -9,      /* mbedtls failed */
};

struct tpm_public {
	uint16_t type;     /* TPM_ALG_RSA or TPM_ALG_ECC */
	uint16_t name_alg; /* TPM_ALG_SHA1/256/384/512 */
	uint32_t attributes;
	uint8_t auth_policy[DIGEST_MAX_SIZE];
	uint16_t auth_policy_len; /* 0 or digest_size(name_alg) */
	uint16_t sym_alg;  /* TPM_ALG_NULL or TPM_ALG_AES */
	uint16_t sym_bits; /* 128/192/256 for AES, else 0 */
	uint16_t sym_mode; /* TPM_ALG_CFB for AES, else 0 */
	uint16_t scheme;   /* TPM_ALG_NULL or a scheme for the key type */
	uint16_t scheme_hash; /* hash of scheme; 0 for NULL and RSAES */
	uint16_t rsa_bits;     /* RSA only */
	uint32_t rsa_exponent; /* RSA only; 0 means 65537 */
	uint16_t ecc_curve;    /* ECC only */
	uint16_t kdf;          /* ECC only: TPM_ALG_NULL or a KDF */
	uint16_t kdf_hash;     /* ECC only: hash of kdf, 0 for NULL */
	uint8_t unique_x[TPM_PUBLIC_MAX_RSA_BYTES]; /* RSA modulus or ECC x */
	uint16_t unique_x_len;
	uint8_t unique_y[TPM_PUBLIC_MAX_ECC_BYTES]; /* ECC y */
	uint16_t unique_y_len;
	/* The marshalled TPMT_PUBLIC (after the size prefix), in the caller's buffer. */
	const uint8_t *tpmt;
	size_t tpmt_len;
};

/*
 * Parse a marshalled TPM2B_PUBLIC, size prefix included, that must fill buf
 * exactly. out->tpmt points into buf, so buf must outlive *out. On error
 * *out is zeroed and err (if errlen > 0) says what was wrong and where.
 */
int tpm_public_parse(const uint8_t *buf, size_t len, struct tpm_public *out,
		     char *err, size_t errlen);

/*
 * The object's Name: nameAlg (big-endian u16) || H_nameAlg(TPMT_PUBLIC).
 * This is what `tpm2_createak -n` writes and what MakeCredential binds to.
 * Fails with TPM_PUBLIC_E_ARG when cap < 2 + digest size.
 */
int tpm_public_name(const struct tpm_public *p, uint8_t *name, size_t cap,
		    size_t *namelen);

/*
 * The public key as an mbedtls key for signature checks: RSA (n, e; e = 0
 * means 65537) or ECC on P-256/P-384/P-521, checked with
 * mbedtls_rsa_check_pubkey / mbedtls_ecp_check_pubkey. pk must be
 * initialised (mbedtls_pk_init) and empty; on error it is left empty
 * (freed and initialised again). The caller frees it on success.
 */
int tpm_public_to_pk(const struct tpm_public *p, mbedtls_pk_context *pk,
		     char *err, size_t errlen);

/*
 * An ECC key's public point (x, y), checked to be on its curve: grp loaded with
 * the curve and q set (both initialised by the caller, who frees them). The one
 * loader for signature keys and for MakeCredential's EK. TPM_PUBLIC_OK;
 * TPM_PUBLIC_E_KEY for an unsupported curve, coordinates of the wrong size or a
 * point not on the curve; TPM_PUBLIC_E_CRYPTO when mbedtls fails. err starts
 * with what ("ECC key", "MakeCredential: EK").
 */
int tpm_public_ecc_point(const struct tpm_public *p, const char *what, mbedtls_ecp_group *grp,
			 mbedtls_ecp_point *q, char *err, size_t errlen);

/* Coordinate size in bytes of a TPM_ECC_CURVE we accept, 0 otherwise. */
size_t tpm_public_ecc_size(uint16_t curve);

/* Short description of a TPM_PUBLIC_E_* code. */
const char *tpm_public_strerror(int err);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A Keylime quote as the verifier receives it from an agent
 * ("r<b64 TPMS_ATTEST>:<b64 TPMT_SIGNATURE>:<b64 pcrblob>", see
 * ../shared/keylime-protocol.md and docs/verifier.md), parsed strictly and
 * checked against the AK, the nonce and the PCR values it carries.
 *
 *   TPMS_ATTEST     TPM 2.0 Part 2, 10.12.12, big-endian, no size prefix;
 *                   only TPM_ST_ATTEST_QUOTE with TPM_GENERATED_VALUE.
 *   TPMT_SIGNATURE  RSASSA or ECDSA (what Keylime agents make), big-endian.
 *   pcrblob         tpm2-tools' in-memory TPML_PCR_SELECTION (132 bytes) +
 *                   u32 n + n TPML_DIGEST (532 bytes), little-endian; PCR
 *                   values in selection order, 8 per TPML_DIGEST.
 *
 * quote_verify() is the cryptographic core of an attestation: the
 * signature over H(TPMS_ATTEST) with the AK, extraData == nonce,
 * clockInfo.safe, the attested selection == the blob's selection, and
 * pcrDigest == H(concatenated PCR values). Counters (reset/restart never
 * going back) need history and are the caller's job; the parsed values are
 * in struct quote.
 *
 * Signatures are checked with OpenSSL's libcrypto (the verifier is a host
 * program; its P-256 ECDSA check is about 13 times faster than mbedtls's,
 * see `make bench`). Parsing allocates nothing and prints nothing. Errors
 * are negative QUOTE_E_* codes with a message in the caller's err buffer
 * naming the field and what was wrong.
 */
#ifndef AIRLOCK_QUOTE_H
#define AIRLOCK_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "tpm_public.h"

#define QUOTE_NPCR 24
/* PCR banks one quote may select; Keylime selects one. */
#define QUOTE_MAX_BANKS 4
#define QUOTE_ATTEST_MAX 1024      /* sizeof(TPMS_ATTEST) in the TSS is below this */
#define QUOTE_SIG_MAX 1024         /* RSA-4096 signature and its header fit */
#define QUOTE_PCRSEL_SIZE 132
#define QUOTE_TPML_DIGEST_SIZE 532
#define QUOTE_MAX_GROUPS ((QUOTE_MAX_BANKS * QUOTE_NPCR + 7) / 8)
#define QUOTE_PCRBLOB_MAX (QUOTE_PCRSEL_SIZE + 4 + QUOTE_MAX_GROUPS * QUOTE_TPML_DIGEST_SIZE)
/* Longest quote text accepted: 'r', three base64 parts and two colons. */
#define QUOTE_TEXT_MAX (1 + 4 * ((QUOTE_ATTEST_MAX + 2) / 3) + 4 * ((QUOTE_SIG_MAX + 2) / 3) + \
			4 * ((QUOTE_PCRBLOB_MAX + 2) / 3) + 2)
#define QUOTE_NONCE_MAX 64 /* TPM2B_DATA holds at most sizeof(TPMT_HA) */

#define TPM_GENERATED_VALUE 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018

enum quote_err {
	QUOTE_OK = 0,
	QUOTE_E_ARG = -1,       /* NULL pointer, empty key */
	QUOTE_E_FORMAT = -2,    /* text, base64 or a structure is malformed */
	QUOTE_E_ALG = -3,       /* a hash or signature algorithm we do not accept */
	QUOTE_E_SIGNATURE = -4, /* the AK did not sign this attestation */
	QUOTE_E_NONCE = -5,     /* extraData is not the nonce we sent */
	QUOTE_E_UNSAFE = -6,    /* clockInfo.safe is 0 */
	QUOTE_E_SELECTION = -7, /* attested PCR selection differs from the blob's */
	QUOTE_E_PCR_DIGEST = -8, /* pcrDigest != H(PCR values in the blob) */
	QUOTE_E_CRYPTO = -9,    /* the crypto library failed (or out of memory) */
};

struct quote_bank {
	uint16_t alg;
	uint16_t size;  /* digest_size(alg) */
	uint32_t mask;  /* bit n: PCR n selected */
	uint8_t pcr[QUOTE_NPCR][DIGEST_MAX_SIZE];
};

struct quote {
	/* TPMS_ATTEST */
	uint8_t attest[QUOTE_ATTEST_MAX];
	size_t attest_len;
	uint8_t extra[QUOTE_NONCE_MAX];
	size_t extra_len;
	uint64_t clock;
	uint32_t reset_count;
	uint32_t restart_count;
	uint8_t safe;
	uint64_t firmware_version;
	unsigned nsel; /* the attested TPML_PCR_SELECTION */
	struct {
		uint16_t alg;
		uint32_t mask;
	} sel[QUOTE_MAX_BANKS];
	uint8_t pcr_digest[DIGEST_MAX_SIZE];
	size_t pcr_digest_len;
	/* TPMT_SIGNATURE */
	uint16_t sig_alg;  /* TPM_ALG_RSASSA or TPM_ALG_ECDSA */
	uint16_t sig_hash;
	uint8_t sig_a[512]; /* RSA signature, or ECDSA r */
	size_t sig_a_len;
	uint8_t sig_b[128]; /* ECDSA s */
	size_t sig_b_len;
	/* pcrblob, in the blob's selection order */
	unsigned nbanks;
	struct quote_bank banks[QUOTE_MAX_BANKS];
};

/*
 * Parse the quote text (len bytes, no NUL needed). *q is overwritten; on
 * error it is zeroed and err says which part and field was wrong.
 */
int quote_parse(const char *text, size_t len, struct quote *q, char *err, size_t errlen);

/* The same for the three binary parts on their own (tests, fuzzing). */
int quote_parse_attest(const uint8_t *b, size_t len, struct quote *q, char *err, size_t errlen);
int quote_parse_signature(const uint8_t *b, size_t len, struct quote *q, char *err, size_t errlen);
int quote_parse_pcrblob(const uint8_t *b, size_t len, struct quote *q, char *err, size_t errlen);

/* An AK ready for signature checks (OpenSSL EVP_PKEY inside). */
struct quote_key;

/* RSA or ECC (P-256/384/521) public key of a parsed TPM2B_PUBLIC. */
int quote_key_load(const struct tpm_public *ak, struct quote_key **out, char *err,
		   size_t errlen);
void quote_key_free(struct quote_key *k);

/*
 * Check a parsed quote: signed by ak with hash_alg (the hash the verifier asked for, e.g.
 * TPM_ALG_SHA256), extraData == nonce[0..nonce_len), safe clock, attested
 * selection == blob selection, pcrDigest over the blob's values.
 * QUOTE_OK or the first QUOTE_E_* that failed.
 */
int quote_verify(const struct quote *q, const struct quote_key *ak, uint16_t hash_alg,
		 const char *nonce, size_t nonce_len, char *err, size_t errlen);

/*
 * Did the TPM's clock state move forward from an earlier quote of the same
 * TPM? (resetCount, restartCount, clock) compared in that order: a TPM
 * Reset raises resetCount (and zeroes restartCount), a Restart raises
 * restartCount, and clock never goes back within one of them. 1 if the
 * quote is not older than the previous one, 0 if it is (replay or a
 * rolled-back TPM).
 */
int quote_counters_forward(const struct quote *q, uint32_t prev_reset, uint32_t prev_restart,
			   uint64_t prev_clock);

/* PCR value of one bank from the blob, or NULL if not quoted. */
const uint8_t *quote_pcr(const struct quote *q, uint16_t alg, unsigned pcr);

const char *quote_strerror(int err);

#endif

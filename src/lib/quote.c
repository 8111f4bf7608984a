/* SPDX-License-Identifier: GPL-2.0-only */
#include "quote.h"
#include "bytes.h"
#include "lib_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "keylime_crypto.h"

struct quote_key {
	EVP_PKEY *pkey;
	uint16_t type; /* TPM_ALG_RSA or TPM_ALG_ECC */
};

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lib_verr(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * Fields of any width 1..8 on src/lib/bytes.h's cursor: 0 when it does not
 * fit (the cursor turns bad, and the parser checks that once per run).
 */
static uint64_t be(struct bytes *r, size_t n)
{
	const uint8_t *p = bytes_take(r, n);
	uint64_t v = 0;

	for (size_t i = 0; p && i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t le(struct bytes *r, size_t n)
{
	const uint8_t *p = bytes_take(r, n);
	uint64_t v = 0;

	for (size_t i = n; p && i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* TPM2B: u16 size <= cap, then size bytes copied to out. */
static int tpm2b(struct bytes *r, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n = (size_t)be(r, 2);
	const uint8_t *p;

	if (r->bad || n > cap)
		return -1;
	p = bytes_take(r, n);
	if (!p)
		return -1;
	if (out)
		memcpy(out, p, n);
	*out_len = n;
	return 0;
}

/* PCR select bytes -> mask; only PCRs 0..23 exist on a PC Client TPM. */
static int select_mask(const uint8_t *sel, size_t n, uint32_t *mask)
{
	*mask = 0;
	for (size_t i = 0; i < n; i++) {
		if (i >= 3 && sel[i] != 0)
			return -1;
		if (i < 3)
			*mask |= (uint32_t)sel[i] << (8 * i);
	}
	return 0;
}

int quote_parse_attest(const uint8_t *b, size_t len, struct quote *q, char *err, size_t errlen)
{
	struct bytes r = bytes_of(b, len);
	uint8_t name[2 + DIGEST_MAX_SIZE + 2];
	size_t n;
	uint32_t magic, count;
	uint16_t type;

	if (!b || !q)
		return fail(QUOTE_E_ARG, err, errlen, "attest: no input");
	if (len > QUOTE_ATTEST_MAX)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: %zu bytes, at most %d", len,
			    QUOTE_ATTEST_MAX);
	magic = (uint32_t)be(&r, 4);
	type = (uint16_t)be(&r, 2);
	if (r.bad || magic != TPM_GENERATED_VALUE || type != TPM_ST_ATTEST_QUOTE)
		return fail(QUOTE_E_FORMAT, err, errlen,
			    "attest: not a TPM-generated quote (magic %08x, type %04x)", magic, type);
	if (tpm2b(&r, name, sizeof(name), &n) != 0)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: qualifiedSigner at byte %zu", r.pos);
	if (tpm2b(&r, q->extra, sizeof(q->extra), &q->extra_len) != 0)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: extraData at byte %zu", r.pos);
	q->clock = be(&r, 8);
	q->reset_count = (uint32_t)be(&r, 4);
	q->restart_count = (uint32_t)be(&r, 4);
	q->safe = (uint8_t)be(&r, 1);
	q->firmware_version = be(&r, 8);
	count = (uint32_t)be(&r, 4);
	if (r.bad || q->safe > 1)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: clockInfo truncated or safe=%u",
			    q->safe);
	if (count == 0 || count > QUOTE_MAX_BANKS)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: %u PCR banks selected, 1..%d allowed",
			    count, QUOTE_MAX_BANKS);
	q->nsel = count;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t alg = (uint16_t)be(&r, 2);
		size_t sz = (size_t)be(&r, 1);
		const uint8_t *sel;

		if (r.bad || sz < 3 || sz > 4 || !(sel = bytes_take(&r, sz)) ||
		    select_mask(sel, sz, &q->sel[i].mask) != 0)
			return fail(QUOTE_E_FORMAT, err, errlen,
				    "attest: PCR selection %u malformed (sizeofSelect %zu)", i, sz);
		if (digest_size(alg) == 0)
			return fail(QUOTE_E_ALG, err, errlen, "attest: PCR bank 0x%04x unknown", alg);
		for (uint32_t j = 0; j < i; j++)
			if (q->sel[j].alg == alg)
				return fail(QUOTE_E_FORMAT, err, errlen,
					    "attest: bank %s selected twice", digest_name(alg));
		q->sel[i].alg = alg;
	}
	if (tpm2b(&r, q->pcr_digest, sizeof(q->pcr_digest), &q->pcr_digest_len) != 0)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: pcrDigest at byte %zu", r.pos);
	if (bytes_left(&r) != 0)
		return fail(QUOTE_E_FORMAT, err, errlen, "attest: %zu bytes after the quote info",
			    bytes_left(&r));
	memcpy(q->attest, b, len);
	q->attest_len = len;
	return QUOTE_OK;
}

int quote_parse_signature(const uint8_t *b, size_t len, struct quote *q, char *err,
			  size_t errlen)
{
	struct bytes r = bytes_of(b, len);

	if (!b || !q)
		return fail(QUOTE_E_ARG, err, errlen, "signature: no input");
	q->sig_alg = (uint16_t)be(&r, 2);
	q->sig_hash = (uint16_t)be(&r, 2);
	if (r.bad)
		return fail(QUOTE_E_FORMAT, err, errlen, "signature: %zu bytes, too short", len);
	if (digest_size(q->sig_hash) == 0)
		return fail(QUOTE_E_ALG, err, errlen, "signature: hash 0x%04x unknown", q->sig_hash);
	if (q->sig_alg == TPM_ALG_RSASSA) {
		if (tpm2b(&r, q->sig_a, sizeof(q->sig_a), &q->sig_a_len) != 0 || q->sig_a_len == 0)
			return fail(QUOTE_E_FORMAT, err, errlen, "signature: RSA signature malformed");
	} else if (q->sig_alg == TPM_ALG_ECDSA) {
		if (tpm2b(&r, q->sig_a, TPM_PUBLIC_MAX_ECC_BYTES, &q->sig_a_len) != 0 ||
		    tpm2b(&r, q->sig_b, sizeof(q->sig_b), &q->sig_b_len) != 0 ||
		    q->sig_a_len == 0 || q->sig_b_len == 0)
			return fail(QUOTE_E_FORMAT, err, errlen, "signature: ECDSA r/s malformed");
	} else {
		return fail(QUOTE_E_ALG, err, errlen,
			    "signature: algorithm 0x%04x, only RSASSA and ECDSA are accepted",
			    q->sig_alg);
	}
	if (bytes_left(&r) != 0)
		return fail(QUOTE_E_FORMAT, err, errlen, "signature: %zu trailing bytes", bytes_left(&r));
	return QUOTE_OK;
}

int quote_parse_pcrblob(const uint8_t *b, size_t len, struct quote *q, char *err, size_t errlen)
{
	struct bytes r = bytes_of(b, len);
	uint32_t count, ngroups, total = 0, k = 0;
	const uint8_t *groups;

	if (!b || !q)
		return fail(QUOTE_E_ARG, err, errlen, "pcrblob: no input");
	if (len < QUOTE_PCRSEL_SIZE + 4)
		return fail(QUOTE_E_FORMAT, err, errlen, "pcrblob: %zu bytes, too short", len);
	count = (uint32_t)le(&r, 4);
	if (count == 0 || count > QUOTE_MAX_BANKS)
		return fail(QUOTE_E_FORMAT, err, errlen, "pcrblob: %u banks, 1..%d allowed", count,
			    QUOTE_MAX_BANKS);
	/* 16 TPMS_PCR_SELECTION slots of 8 bytes: hash, sizeofSelect, select[4], pad. */
	for (uint32_t i = 0; i < 16; i++) {
		const uint8_t *s = bytes_take(&r, 8); /* len >= 136 was checked above */
		uint16_t alg;
		uint32_t mask;

		if (!s)
			return fail(QUOTE_E_FORMAT, err, errlen, "pcrblob: selection truncated");
		alg = load_le16(s);

		if (i >= count) {
			for (int j = 0; j < 8; j++)
				if (s[j])
					return fail(QUOTE_E_FORMAT, err, errlen,
						    "pcrblob: unused selection slot %u not zero", i);
			continue;
		}
		if (s[2] < 3 || s[2] > 4 || select_mask(s + 3, 4, &mask) != 0 || s[7] != 0)
			return fail(QUOTE_E_FORMAT, err, errlen, "pcrblob: selection %u malformed", i);
		if (digest_size(alg) == 0)
			return fail(QUOTE_E_ALG, err, errlen, "pcrblob: bank 0x%04x unknown", alg);
		for (uint32_t j = 0; j < i; j++)
			if (q->banks[j].alg == alg)
				return fail(QUOTE_E_FORMAT, err, errlen, "pcrblob: bank %s twice",
					    digest_name(alg));
		q->banks[i].alg = alg;
		q->banks[i].size = (uint16_t)digest_size(alg);
		q->banks[i].mask = mask;
		total += (uint32_t)__builtin_popcount(mask);
	}
	q->nbanks = count;
	ngroups = (uint32_t)le(&r, 4);
	if (ngroups != (total + 7) / 8)
		return fail(QUOTE_E_FORMAT, err, errlen,
			    "pcrblob: %u digest lists for %u PCRs, expected %u", ngroups, total,
			    (total + 7) / 8);
	if ((size_t)ngroups * QUOTE_TPML_DIGEST_SIZE != bytes_left(&r))
		return fail(QUOTE_E_FORMAT, err, errlen,
			    "pcrblob: %zu bytes of digest lists, expected %zu", bytes_left(&r),
			    (size_t)ngroups * QUOTE_TPML_DIGEST_SIZE);
	groups = b + r.pos;
	/* Values fill the lists in selection order: bank by bank, PCR by PCR. */
	for (unsigned bank = 0; bank < q->nbanks; bank++) {
		struct quote_bank *qb = &q->banks[bank];

		for (unsigned pcr = 0; pcr < QUOTE_NPCR; pcr++) {
			const uint8_t *g, *d;
			uint32_t in_group;

			if (!(qb->mask & (1u << pcr)))
				continue;
			g = groups + (size_t)(k / 8) * QUOTE_TPML_DIGEST_SIZE;
			in_group = load_le32(g);
			if (in_group != (k / 8 + 1 < ngroups ? 8 : total - (ngroups - 1) * 8))
				return fail(QUOTE_E_FORMAT, err, errlen,
					    "pcrblob: digest list %u holds %u values", k / 8,
					    in_group);
			d = g + 4 + (k % 8) * 66;
			if (load_le16(d) != qb->size)
				return fail(QUOTE_E_FORMAT, err, errlen,
					    "pcrblob: %s PCR %u has %u bytes", digest_name(qb->alg),
					    pcr, load_le16(d));
			memcpy(qb->pcr[pcr], d + 2, qb->size);
			k++;
		}
	}
	return QUOTE_OK;
}

/* One base64 part of the quote text into out. */
static int part(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len,
		const char *what, char *err, size_t errlen)
{
	if (n > 4 * ((cap + 2) / 3) || b64_decode(s, n, out, cap, out_len) != 0)
		return fail(QUOTE_E_FORMAT, err, errlen, "quote: %s is not base64 of at most %zu bytes",
			    what, cap);
	return QUOTE_OK;
}

int quote_parse(const char *text, size_t len, struct quote *q, char *err, size_t errlen)
{
	static const char *const what[3] = { "TPMS_ATTEST", "TPMT_SIGNATURE", "pcrblob" };
	uint8_t buf[QUOTE_PCRBLOB_MAX];
	const char *p, *end, *c;
	size_t n;
	int ret = QUOTE_E_FORMAT;

	if (!text || !q)
		return fail(QUOTE_E_ARG, err, errlen, "quote: no input");
	memset(q, 0, sizeof(*q));
	if (len < 1 || len > QUOTE_TEXT_MAX || text[0] != 'r') {
		fail(QUOTE_E_FORMAT, err, errlen, "quote: %zu characters not starting with 'r'", len);
		goto out;
	}
	p = text + 1;
	end = text + len;
	for (int i = 0; i < 3; i++) {
		c = i < 2 ? memchr(p, ':', (size_t)(end - p)) : end;
		if (!c) {
			fail(QUOTE_E_FORMAT, err, errlen, "quote: no %s part", what[i + 1]);
			goto out;
		}
		ret = part(p, (size_t)(c - p), buf, i == 0 ? QUOTE_ATTEST_MAX : i == 1 ? QUOTE_SIG_MAX :
			   QUOTE_PCRBLOB_MAX, &n, what[i], err, errlen);
		if (ret == QUOTE_OK)
			ret = i == 0 ? quote_parse_attest(buf, n, q, err, errlen) :
			      i == 1 ? quote_parse_signature(buf, n, q, err, errlen) :
				       quote_parse_pcrblob(buf, n, q, err, errlen);
		if (ret != QUOTE_OK)
			goto out;
		p = c + 1;
	}
out:
	if (ret != QUOTE_OK)
		memset(q, 0, sizeof(*q));
	return ret;
}

static const EVP_MD *evp_md(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1: return EVP_sha1();
	case TPM_ALG_SHA256: return EVP_sha256();
	case TPM_ALG_SHA384: return EVP_sha384();
	case TPM_ALG_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

int quote_key_load(const struct tpm_public *ak, struct quote_key **out, char *err,
		   size_t errlen)
{
	static const uint8_t e65537[] = { 0x01, 0x00, 0x01 };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	struct quote_key *k = calloc(1, sizeof(*k));
	uint8_t point[1 + 2 * TPM_PUBLIC_MAX_ECC_BYTES], ebuf[4];
	const char *group = NULL;
	int ret = QUOTE_E_CRYPTO, ok;

	*out = NULL;
	if (!bld || !k) {
		fail(QUOTE_E_CRYPTO, err, errlen, "AK: out of memory");
		goto out;
	}
	if (ak->type == TPM_ALG_RSA) {
		for (int i = 0; i < 4; i++)
			ebuf[i] = (uint8_t)(ak->rsa_exponent >> (24 - 8 * i));
		n = BN_bin2bn(ak->unique_x, ak->unique_x_len, NULL);
		e = ak->rsa_exponent ? BN_bin2bn(ebuf, 4, NULL) : BN_bin2bn(e65537, 3, NULL);
		ok = n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	} else if (ak->type == TPM_ALG_ECC) {
		group = ak->ecc_curve == TPM_ECC_NIST_P256 ? "P-256" :
			ak->ecc_curve == TPM_ECC_NIST_P384 ? "P-384" :
			ak->ecc_curve == TPM_ECC_NIST_P521 ? "P-521" : NULL;
		if (!group || ak->unique_x_len != ak->unique_y_len ||
		    ak->unique_x_len > TPM_PUBLIC_MAX_ECC_BYTES) {
			ret = fail(QUOTE_E_ALG, err, errlen, "AK: ECC curve 0x%04x not accepted",
				   ak->ecc_curve);
			goto out;
		}
		point[0] = 0x04; /* uncompressed */
		memcpy(point + 1, ak->unique_x, ak->unique_x_len);
		memcpy(point + 1 + ak->unique_x_len, ak->unique_y, ak->unique_y_len);
		ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
		     OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						      1 + 2 * (size_t)ak->unique_x_len);
	} else {
		ret = fail(QUOTE_E_ALG, err, errlen, "AK: key type 0x%04x not accepted", ak->type);
		goto out;
	}
	if (!ok || !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, group ? "EC" : "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		ret = fail(QUOTE_E_CRYPTO, err, errlen, "AK: libcrypto cannot load the public key");
		goto out;
	}
	k->type = ak->type;
	*out = k;
	k = NULL;
	ret = QUOTE_OK;
out:
	quote_key_free(k);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return ret;
}

void quote_key_free(struct quote_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* 1 if sig verifies over the digest h with key k, 0 if not, -1 on a library failure. */
static int sig_check(const struct quote *q, const struct quote_key *k, const uint8_t *h,
		     size_t hlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	const unsigned char *sig = q->sig_a;
	size_t sig_len = q->sig_a_len;
	int ret = -1, len;

	if (!ctx || EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, evp_md(q->sig_hash)) <= 0)
		goto out;
	if (q->sig_alg == TPM_ALG_RSASSA) {
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
			goto out;
	} else {
		/* TPMT_SIGNATURE carries r and s; libcrypto wants them DER-encoded. */
		es = ECDSA_SIG_new();
		r = BN_bin2bn(q->sig_a, (int)q->sig_a_len, NULL);
		s = BN_bin2bn(q->sig_b, (int)q->sig_b_len, NULL);
		if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
			goto out;
		r = s = NULL;
		len = i2d_ECDSA_SIG(es, &der);
		if (len <= 0)
			goto out;
		sig = der;
		sig_len = (size_t)len;
	}
	ret = EVP_PKEY_verify(ctx, sig, sig_len, h, hlen) == 1;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int quote_verify(const struct quote *q, const struct quote_key *ak, uint16_t hash_alg,
		 const char *nonce, size_t nonce_len, char *err, size_t errlen)
{
	uint8_t h[DIGEST_MAX_SIZE], cat[QUOTE_MAX_BANKS * QUOTE_NPCR * DIGEST_MAX_SIZE];
	size_t hlen, n = 0;
	int rc;

	if (!q || !ak || !ak->pkey || (!nonce && nonce_len))
		return fail(QUOTE_E_ARG, err, errlen, "quote_verify: missing quote, key or nonce");
	if (q->attest_len == 0 || q->nbanks == 0)
		return fail(QUOTE_E_ARG, err, errlen, "quote_verify: quote not parsed");
	if (q->sig_hash != hash_alg || !evp_md(hash_alg))
		return fail(QUOTE_E_ALG, err, errlen, "signature hash is %s, the verifier asked for %s",
			    digest_name(q->sig_hash) ? digest_name(q->sig_hash) : "unknown",
			    digest_name(hash_alg) ? digest_name(hash_alg) : "unknown");
	if ((q->sig_alg == TPM_ALG_RSASSA) != (ak->type == TPM_ALG_RSA))
		return fail(QUOTE_E_ALG, err, errlen, "signature is %s but the AK is not",
			    q->sig_alg == TPM_ALG_RSASSA ? "RSASSA" : "ECDSA");
	hlen = digest_size(hash_alg);
	if (digest(hash_alg, q->attest, q->attest_len, h) != DIGEST_OK)
		return fail(QUOTE_E_CRYPTO, err, errlen, "cannot hash the attestation");
	rc = sig_check(q, ak, h, hlen);
	if (rc < 0)
		return fail(QUOTE_E_CRYPTO, err, errlen, "libcrypto failed checking the signature");
	if (rc == 0)
		return fail(QUOTE_E_SIGNATURE, err, errlen,
			    "quote signature does not verify with the registered AK");
	if (q->extra_len != nonce_len || (nonce_len && memcmp(q->extra, nonce, nonce_len) != 0))
		return fail(QUOTE_E_NONCE, err, errlen, "quote is not over our nonce (replayed?)");
	if (q->safe != 1)
		return fail(QUOTE_E_UNSAFE, err, errlen,
			    "TPM clock not safe (clockInfo.safe=0): clock may have gone back");
	if (q->nsel != q->nbanks)
		return fail(QUOTE_E_SELECTION, err, errlen, "quote selects %u banks, PCR blob %u",
			    q->nsel, q->nbanks);
	for (unsigned i = 0; i < q->nsel; i++) {
		const struct quote_bank *b = &q->banks[i];

		if (q->sel[i].alg != b->alg || q->sel[i].mask != b->mask)
			return fail(QUOTE_E_SELECTION, err, errlen,
				    "quote covers %s mask 0x%06x, PCR blob %s mask 0x%06x",
				    digest_name(q->sel[i].alg), q->sel[i].mask, digest_name(b->alg),
				    b->mask);
		for (unsigned pcr = 0; pcr < QUOTE_NPCR; pcr++) {
			if (!(b->mask & (1u << pcr)))
				continue;
			memcpy(cat + n, b->pcr[pcr], b->size);
			n += b->size;
		}
	}
	if (digest(hash_alg, cat, n, h) != DIGEST_OK)
		return fail(QUOTE_E_CRYPTO, err, errlen, "cannot hash the PCR values");
	if (q->pcr_digest_len != hlen || memcmp(q->pcr_digest, h, hlen) != 0)
		return fail(QUOTE_E_PCR_DIGEST, err, errlen,
			    "PCR values sent do not match the digest the TPM signed");
	return QUOTE_OK;
}

int quote_counters_forward(const struct quote *q, uint32_t prev_reset, uint32_t prev_restart,
			   uint64_t prev_clock)
{
	if (q->reset_count != prev_reset)
		return q->reset_count > prev_reset;
	if (q->restart_count != prev_restart)
		return q->restart_count > prev_restart;
	return q->clock >= prev_clock;
}

const uint8_t *quote_pcr(const struct quote *q, uint16_t alg, unsigned pcr)
{
	if (!q || pcr >= QUOTE_NPCR)
		return NULL;
	for (unsigned i = 0; i < q->nbanks; i++)
		if (q->banks[i].alg == alg && (q->banks[i].mask & (1u << pcr)))
			return q->banks[i].pcr[pcr];
	return NULL;
}

const char *quote_strerror(int err)
{
	switch (err) {
	case QUOTE_OK: return "ok";
	case QUOTE_E_ARG: return "bad argument";
	case QUOTE_E_FORMAT: return "malformed quote";
	case QUOTE_E_ALG: return "algorithm not accepted";
	case QUOTE_E_SIGNATURE: return "bad signature";
	case QUOTE_E_NONCE: return "wrong nonce";
	case QUOTE_E_UNSAFE: return "TPM clock not safe";
	case QUOTE_E_SELECTION: return "PCR selection mismatch";
	case QUOTE_E_PCR_DIGEST: return "PCR digest mismatch";
	case QUOTE_E_CRYPTO: return "crypto backend failed";
	default: return "unknown error";
	}
}

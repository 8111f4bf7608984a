/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * src/lib/quote.c against real quotes: tests/vectors/quote/ was made by
 * tests/vectors/quote/make.sh (swtpm + tpm2-tools' tpm2_quote, checked with
 * tpm2_checkquote), RSA and ECC AKs, one and two PCR banks. Then every
 * attack the verifier must catch, and every truncation of every part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keylime_crypto.h"
#include "quote.h"
#include "tpm_public.h"

struct blob {
	uint8_t b[4096];
	size_t n;
};

static void load(const char *name, struct blob *out)
{
	static const char self[] = "tests/unit/test_quote.c";
	size_t n = strlen(__FILE__) - (sizeof(self) - 1);
	char path[4096];
	FILE *f;

	assert_true(strlen(__FILE__) >= sizeof(self) - 1 && strcmp(__FILE__ + n, self) == 0);
	snprintf(path, sizeof(path), "%.*stests/vectors/quote/%s", (int)n, __FILE__, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	out->n = fread(out->b, 1, sizeof(out->b), f);
	fclose(f);
	assert_true(out->n > 0 && out->n < sizeof(out->b));
}

static struct quote_key *ak_key(const char *file)
{
	static struct blob pub;
	struct quote_key *k;
	struct tpm_public p;
	char err[256];

	load(file, &pub);
	assert_int_equal(tpm_public_parse(pub.b, pub.n, &p, err, sizeof(err)), 0);
	assert_int_equal(quote_key_load(&p, &k, err, sizeof(err)), 0);
	return k;
}

static struct quote_key *ak_pk(const char *kind)
{
	char name[64];

	snprintf(name, sizeof(name), "ak-%s.pub", kind);
	return ak_key(name);
}

struct parts {
	struct blob attest, sig, pcrs, nonce;
};

static void load_quote(const char *kind, struct parts *p)
{
	char name[64];

	snprintf(name, sizeof(name), "quote-%s.attest", kind);
	load(name, &p->attest);
	snprintf(name, sizeof(name), "quote-%s.sig", kind);
	load(name, &p->sig);
	snprintf(name, sizeof(name), "quote-%s.pcrs", kind);
	load(name, &p->pcrs);
	load("nonce", &p->nonce);
}

/* The text an agent sends: r<attest>:<sig>:<pcrblob>. */
static char *quote_text(const struct parts *p)
{
	size_t cap = 16384, n, off = 1;
	char *s = malloc(cap);

	assert_non_null(s);
	s[0] = 'r';
	assert_int_equal(b64_encode(p->attest.b, p->attest.n, s + off, cap - off, &n), 0);
	off += n;
	s[off++] = ':';
	assert_int_equal(b64_encode(p->sig.b, p->sig.n, s + off, cap - off, &n), 0);
	off += n;
	s[off++] = ':';
	assert_int_equal(b64_encode(p->pcrs.b, p->pcrs.n, s + off, cap - off, &n), 0);
	return s;
}

static struct quote q;

/* Parse the text form and verify with the AK of `ak`; return quote_verify's result. */
static int check(const struct parts *p, const char *ak, const char *nonce, uint16_t hash)
{
	struct quote_key *pk;
	char err[256], *t = quote_text(p);
	int rc;

	rc = quote_parse(t, strlen(t), &q, err, sizeof(err));
	free(t);
	if (rc != QUOTE_OK) {
		print_message("quote_parse: %s\n", err);
		return rc;
	}
	pk = ak_pk(ak);
	rc = quote_verify(&q, pk, hash, nonce, strlen(nonce), err, sizeof(err));
	if (rc != QUOTE_OK)
		print_message("quote_verify: %s\n", err);
	quote_key_free(pk);
	return rc;
}

static const char nonce[] = "abcdefghij0123456789";

/* PCR 8 after `echo airlock-cmdline | tpm2_pcrevent 8` (pcrs.txt). */
static const uint8_t pcr8[32] = {
	0x23, 0x1A, 0x0A, 0xF5, 0xA9, 0x9A, 0xB8, 0x81, 0x0E, 0x8A, 0xAB, 0x14, 0xF9, 0x08, 0x5A, 0x0C,
	0x77, 0x59, 0xB5, 0x8D, 0xA1, 0xD3, 0x22, 0x73, 0xFD, 0xB6, 0x07, 0xB7, 0xC0, 0x38, 0x7D, 0x00,
};

static void test_rsa_and_ecc_quotes_verify(void **state)
{
	static const char *const kinds[] = { "rsa", "ecc" };
	struct parts p;

	(void)state;
	for (int i = 0; i < 2; i++) {
		load_quote(kinds[i], &p);
		assert_int_equal(check(&p, kinds[i], nonce, TPM_ALG_SHA256), QUOTE_OK);
		assert_int_equal(q.sig_alg, i == 0 ? TPM_ALG_RSASSA : TPM_ALG_ECDSA);
		assert_int_equal(q.nbanks, 1);
		assert_int_equal(q.banks[0].mask, (1u << 8) | (1u << 9) | (1u << 16));
		assert_non_null(quote_pcr(&q, TPM_ALG_SHA256, 8));
		assert_memory_equal(quote_pcr(&q, TPM_ALG_SHA256, 8), pcr8, 32);
		assert_null(quote_pcr(&q, TPM_ALG_SHA256, 10));
		assert_null(quote_pcr(&q, TPM_ALG_SHA1, 8));
		assert_int_equal(q.safe, 1);
		assert_int_equal(q.extra_len, 20);
	}
}

static void test_two_banks(void **state)
{
	struct parts p;

	(void)state;
	load_quote("2banks", &p);
	assert_int_equal(check(&p, "rsa", nonce, TPM_ALG_SHA256), QUOTE_OK);
	assert_int_equal(q.nbanks, 2);
	assert_int_equal(q.banks[0].alg, TPM_ALG_SHA1);
	assert_int_equal(q.banks[0].mask, 0x10f);
	assert_int_equal(q.banks[1].mask, 0x10307);
	assert_non_null(quote_pcr(&q, TPM_ALG_SHA1, 3));
	assert_memory_equal(quote_pcr(&q, TPM_ALG_SHA256, 8), pcr8, 32);
}

static void test_wrong_nonce(void **state)
{
	struct parts p;

	(void)state;
	load_quote("rsa", &p);
	assert_int_equal(check(&p, "rsa", "abcdefghij0123456780", TPM_ALG_SHA256), QUOTE_E_NONCE);
	assert_int_equal(check(&p, "rsa", "abcdefghij012345678", TPM_ALG_SHA256), QUOTE_E_NONCE);
}

static void test_other_key_or_hash(void **state)
{
	struct quote_key *pk;
	struct parts p;
	char err[256], *t;

	(void)state;
	load_quote("rsa", &p);
	/* An ECDSA key for an RSA signature, and the hash the verifier did not ask for. */
	assert_int_equal(check(&p, "ecc", nonce, TPM_ALG_SHA256), QUOTE_E_ALG);
	assert_int_equal(check(&p, "rsa", nonce, TPM_ALG_SHA384), QUOTE_E_ALG);
	/* Another RSA key (the EK): the signature must not verify. */
	pk = ak_key("ek-rsa.pub");
	t = quote_text(&p);
	assert_int_equal(quote_parse(t, strlen(t), &q, err, sizeof(err)), QUOTE_OK);
	assert_int_equal(quote_verify(&q, pk, TPM_ALG_SHA256, nonce, 20, err, sizeof(err)),
			 QUOTE_E_SIGNATURE);
	free(t);
	quote_key_free(pk);
}

static void test_tampering(void **state)
{
	struct parts p, orig;

	(void)state;
	load_quote("ecc", &orig);
	/* A PCR value changed in the blob: the signed digest no longer matches. */
	p = orig;
	p.pcrs.b[QUOTE_PCRSEL_SIZE + 4 + 4 + 2] ^= 1;
	assert_int_equal(check(&p, "ecc", nonce, TPM_ALG_SHA256), QUOTE_E_PCR_DIGEST);
	/* The signed attestation changed (clock, last byte of pcrDigest). */
	p = orig;
	p.attest.b[4 + 2 + 2 + 34 + 2 + 20 + 7] ^= 1; /* clock */
	assert_int_equal(check(&p, "ecc", nonce, TPM_ALG_SHA256), QUOTE_E_SIGNATURE);
	p = orig;
	p.attest.b[p.attest.n - 1] ^= 1;
	assert_int_equal(check(&p, "ecc", nonce, TPM_ALG_SHA256), QUOTE_E_SIGNATURE);
	/* The signature itself. */
	p = orig;
	p.sig.b[10] ^= 1;
	assert_int_equal(check(&p, "ecc", nonce, TPM_ALG_SHA256), QUOTE_E_SIGNATURE);
	/* The blob claims PCR 10 instead of 9 (same count): selection mismatch. */
	p = orig;
	p.pcrs.b[8] = 0x05;
	assert_int_equal(check(&p, "ecc", nonce, TPM_ALG_SHA256), QUOTE_E_SELECTION);
}

/* Every prefix and one extra byte of every part must be refused, and never crash. */
static void test_truncation_and_trailing(void **state)
{
	static const char *const kinds[] = { "rsa", "ecc", "2banks" };
	struct parts p;
	char err[256];

	(void)state;
	for (int k = 0; k < 3; k++) {
		load_quote(kinds[k], &p);
		for (size_t n = 0; n < p.attest.n; n++)
			assert_int_not_equal(quote_parse_attest(p.attest.b, n, &q, err, sizeof(err)), 0);
		for (size_t n = 0; n < p.sig.n; n++)
			assert_int_not_equal(quote_parse_signature(p.sig.b, n, &q, err, sizeof(err)), 0);
		for (size_t n = 0; n < p.pcrs.n; n++)
			assert_int_not_equal(quote_parse_pcrblob(p.pcrs.b, n, &q, err, sizeof(err)), 0);
		p.attest.b[p.attest.n] = 0;
		assert_int_equal(quote_parse_attest(p.attest.b, p.attest.n + 1, &q, err, sizeof(err)),
				 QUOTE_E_FORMAT);
		p.sig.b[p.sig.n] = 0;
		assert_int_equal(quote_parse_signature(p.sig.b, p.sig.n + 1, &q, err, sizeof(err)),
				 QUOTE_E_FORMAT);
		memset(p.pcrs.b + p.pcrs.n, 0, QUOTE_TPML_DIGEST_SIZE);
		assert_int_equal(quote_parse_pcrblob(p.pcrs.b, p.pcrs.n + QUOTE_TPML_DIGEST_SIZE, &q, err,
						     sizeof(err)), QUOTE_E_FORMAT);
	}
}

static void test_text_form(void **state)
{
	static const char *const bad[] = {
		"", "r", "q", "rAAAA", "rAAAA:AAAA", "r:::", "r!!!!:AAAA:AAAA",
	};
	struct parts p;
	char err[256], *t, *c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(quote_parse(bad[i], strlen(bad[i]), &q, err, sizeof(err)), 0);
	load_quote("rsa", &p);
	t = quote_text(&p);
	/* A missing 'r', a part with whitespace, and a fourth part are refused. */
	t[0] = 'x';
	assert_int_equal(quote_parse(t, strlen(t), &q, err, sizeof(err)), QUOTE_E_FORMAT);
	t[0] = 'r';
	c = strchr(t, ':');
	c[-1] = ' ';
	assert_int_equal(quote_parse(t, strlen(t), &q, err, sizeof(err)), QUOTE_E_FORMAT);
	free(t);
	t = quote_text(&p);
	t = realloc(t, strlen(t) + 6);
	strcat(t, ":AAAA");
	assert_int_equal(quote_parse(t, strlen(t), &q, err, sizeof(err)), QUOTE_E_FORMAT);
	/* A failed parse leaves nothing behind. */
	assert_int_equal(q.attest_len, 0);
	free(t);
}

static void test_unsafe_clock_and_bad_fields(void **state)
{
	struct parts p;
	char err[256];
	size_t safe_off;

	(void)state;
	load_quote("rsa", &p);
	/* magic(4) type(2) signer(2+34) extra(2+20) clock(8) reset(4) restart(4) safe(1) */
	safe_off = 4 + 2 + 2 + 34 + 2 + 20 + 8 + 4 + 4;
	assert_int_equal(p.attest.b[safe_off], 1);
	p.attest.b[safe_off] = 2;
	assert_int_equal(quote_parse_attest(p.attest.b, p.attest.n, &q, err, sizeof(err)),
			 QUOTE_E_FORMAT);
	load_quote("rsa", &p);
	p.attest.b[0] = 0;
	assert_int_equal(quote_parse_attest(p.attest.b, p.attest.n, &q, err, sizeof(err)),
			 QUOTE_E_FORMAT);
	/* A signature scheme Keylime agents never use (RSAPSS) is refused. */
	load_quote("rsa", &p);
	p.sig.b[1] = 0x16;
	assert_int_equal(quote_parse_signature(p.sig.b, p.sig.n, &q, err, sizeof(err)), QUOTE_E_ALG);
}

static void test_counters_forward(void **state)
{
	struct quote c = { 0 };

	(void)state;
	c.reset_count = 5;
	c.restart_count = 2;
	c.clock = 1000;
	assert_true(quote_counters_forward(&c, 5, 2, 1000));
	assert_true(quote_counters_forward(&c, 5, 2, 999));
	assert_true(quote_counters_forward(&c, 5, 1, 99999)); /* Restart: clock may be lower */
	assert_true(quote_counters_forward(&c, 4, 9, 99999)); /* Reset: restart count zeroed */
	assert_false(quote_counters_forward(&c, 5, 2, 1001)); /* clock went back */
	assert_false(quote_counters_forward(&c, 5, 3, 0));    /* restart count went back */
	assert_false(quote_counters_forward(&c, 6, 0, 0));    /* reset count went back */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_and_ecc_quotes_verify),
		cmocka_unit_test(test_two_banks),
		cmocka_unit_test(test_wrong_nonce),
		cmocka_unit_test(test_other_key_or_hash),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_truncation_and_trailing),
		cmocka_unit_test(test_text_form),
		cmocka_unit_test(test_unsafe_clock_and_bad_fields),
		cmocka_unit_test(test_counters_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

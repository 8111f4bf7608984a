/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Quote verifications per second on one core (in-process, no network), on
 * the real swtpm quotes of tests/vectors/quote/. Baseline measured in the
 * same run: the bare signature check with libcrypto (EVP_PKEY_verify over a
 * precomputed hash), which no verifier can avoid; mbedtls's check of the
 * same signature for reference (why quote.c uses libcrypto). Then what the
 * verifier does per integrity quote: parse the quote text (base64,
 * TPMS_ATTEST, signature, PCR blob) and verify it, with the AK loaded once
 * ("cached") and, as src/verifier/attest.c does today, from its
 * TPM2B_PUBLIC every time.
 *
 * Last, what a UEFI node adds to each quote: the firmware's log (the real
 * OVMF log beside VECTOR_DIR, tests/vectors/ovmf-swtpm-sha1-sha256.bin)
 * decoded from base64 and replayed, against the ECC quote's parse + verify.
 *
 * usage: bench_quote VECTOR_DIR [seconds per case (2)]
 * Prints "bench quote: ..." lines; ratios are verifier/baseline of the rates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "encoding.h"
#include "eventlog.h"
#include "keylime_crypto.h"
#include "quote.h"
#include "tpm_public.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t load(const char *dir, const char *name, uint8_t *b, size_t cap)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_quote: cannot read %s\n", path);
		exit(1);
	}
	n = fread(b, 1, cap, f);
	fclose(f);
	return n;
}

static void append_b64(char *s, size_t cap, const uint8_t *b, size_t n)
{
	size_t len = strlen(s), out;

	if (b64_encode(b, n, s + len, cap - len, &out) != 0) {
		fprintf(stderr, "bench_quote: base64 failed\n");
		exit(1);
	}
}

/* quote.c keeps struct quote_key opaque; its first member is the EVP_PKEY. */
static EVP_PKEY_CTX *key_ctx(const struct quote_key *k)
{
	return EVP_PKEY_CTX_new(*(EVP_PKEY *const *)k, NULL);
}

enum { MBEDTLS, BASELINE, CACHED_AK, PARSED_AK, NCASES };

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "rsa", "ecc" };
	static const char *const what[NCASES] = { "signature only, mbedtls (reference)",
		"signature only, libcrypto (baseline)",
		"parse + verify, AK cached", "parse + verify, AK parsed each time" };
	static uint8_t ak_buf[2048], part[4096];
	static struct quote q;
	static char text[QUOTE_TEXT_MAX + 1];
	const char *dir = argc > 1 ? argv[1] : NULL;
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	char err[256], name[64];
	const char *nonce = "abcdefghij0123456789";
	double ecc_quote_rate = 0;

	if (!dir || secs <= 0) {
		fprintf(stderr, "usage: bench_quote VECTOR_DIR [seconds per case]\n");
		return 2;
	}
	for (int k = 0; k < 2; k++) {
		mbedtls_pk_context pk;
		struct quote_key *key = NULL;
		EVP_PKEY_CTX *ectx;
		struct tpm_public ak;
		size_t ak_len, n;
		uint8_t h[32], der[256];
		double rate[NCASES];

		snprintf(name, sizeof(name), "ak-%s.pub", kinds[k]);
		ak_len = load(dir, name, ak_buf, sizeof(ak_buf));
		text[0] = 'r';
		text[1] = '\0';
		snprintf(name, sizeof(name), "quote-%s.attest", kinds[k]);
		append_b64(text, sizeof(text), part, load(dir, name, part, sizeof(part)));
		strcat(text, ":");
		snprintf(name, sizeof(name), "quote-%s.sig", kinds[k]);
		append_b64(text, sizeof(text), part, load(dir, name, part, sizeof(part)));
		strcat(text, ":");
		snprintf(name, sizeof(name), "quote-%s.pcrs", kinds[k]);
		append_b64(text, sizeof(text), part, load(dir, name, part, sizeof(part)));
		mbedtls_pk_init(&pk);
		if (tpm_public_parse(ak_buf, ak_len, &ak, err, sizeof(err)) != 0 ||
		    tpm_public_to_pk(&ak, &pk, err, sizeof(err)) != 0 ||
		    quote_key_load(&ak, &key, err, sizeof(err)) != 0 ||
		    quote_parse(text, strlen(text), &q, err, sizeof(err)) != 0 ||
		    quote_verify(&q, key, TPM_ALG_SHA256, nonce, 20, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_quote: %s vector does not verify: %s\n", kinds[k], err);
			return 1;
		}
		/* The baseline's inputs: H(attest) and the signature as mbedtls takes it. */
		digest(TPM_ALG_SHA256, q.attest, q.attest_len, h);
		if (k == 0) {
			memcpy(der, q.sig_a, q.sig_a_len);
			n = q.sig_a_len;
		} else {
			/* DER SEQUENCE { INTEGER r, INTEGER s } for 32-byte r and s. */
			uint8_t *p = der;

			*p++ = 0x30;
			p++;
			for (int i = 0; i < 2; i++) {
				const uint8_t *v = i ? q.sig_b : q.sig_a;
				size_t vl = i ? q.sig_b_len : q.sig_a_len, skip = 0;

				while (skip + 1 < vl && v[skip] == 0 && !(v[skip + 1] & 0x80))
					skip++;
				*p++ = 0x02;
				*p++ = (uint8_t)(vl - skip + (v[skip] & 0x80 ? 1 : 0));
				if (v[skip] & 0x80)
					*p++ = 0;
				memcpy(p, v + skip, vl - skip);
				p += vl - skip;
			}
			der[1] = (uint8_t)(p - der - 2);
			n = (size_t)(p - der);
		}
		for (int c = 0; c < NCASES; c++) {
			double t0 = now_s(), t;
			long iters = 0;

			do {
				for (int i = 0; i < 16; i++) {
					int rc;

					if (c == MBEDTLS) {
						rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, h, 32, der, n);
					} else if (c == BASELINE) {
						/* What quote.c's check costs, minus parsing and hashing. */
						ectx = key_ctx(key);
						rc = !ectx || EVP_PKEY_verify_init(ectx) <= 0 ||
						     EVP_PKEY_CTX_set_signature_md(ectx, EVP_sha256()) <= 0 ||
						     (k == 0 && EVP_PKEY_CTX_set_rsa_padding(
								ectx, RSA_PKCS1_PADDING) <= 0) ||
						     EVP_PKEY_verify(ectx, der, n, h, 32) != 1;
						EVP_PKEY_CTX_free(ectx);
					} else if (c == CACHED_AK) {
						rc = quote_parse(text, strlen(text), &q, err, sizeof(err)) ||
						     quote_verify(&q, key, TPM_ALG_SHA256, nonce, 20, err,
								  sizeof(err));
					} else {
						struct quote_key *k2 = NULL;

						rc = tpm_public_parse(ak_buf, ak_len, &ak, err, sizeof(err)) ||
						     quote_key_load(&ak, &k2, err, sizeof(err)) ||
						     quote_parse(text, strlen(text), &q, err, sizeof(err)) ||
						     quote_verify(&q, k2, TPM_ALG_SHA256, nonce, 20, err,
								  sizeof(err));
						quote_key_free(k2);
					}
					if (rc != 0) {
						fprintf(stderr, "bench_quote: %s %s failed\n", kinds[k], what[c]);
						return 1;
					}
				}
				iters += 16;
				t = now_s() - t0;
			} while (t < secs);
			rate[c] = (double)iters / t;
			printf("bench quote: %s AK, %s: %.0f/s per core\n", kinds[k], what[c], rate[c]);
		}
		printf("bench quote: %s AK, ratio verifier/baseline: cached %.2f, loaded each time "
		       "%.2f; mbedtls/libcrypto signature check %.2f (goal: >= 5000 "
		       "verifications/s per core)\n", kinds[k], rate[CACHED_AK] / rate[BASELINE],
		       rate[PARSED_AK] / rate[BASELINE], rate[MBEDTLS] / rate[BASELINE]);
		ecc_quote_rate = rate[PARSED_AK];
		mbedtls_pk_free(&pk);
		quote_key_free(key);
	}
	{
		static uint8_t log[1 << 16], back[1 << 16];
		static char log_b64[(1 << 16) / 3 * 4 + 8];
		static struct eventlog_pcrs pcrs;
		size_t log_len, b64_len, back_len;
		double t0 = now_s(), t, rate;
		long iters = 0;

		log_len = load(dir, "../ovmf-swtpm-sha1-sha256.bin", log, sizeof(log));
		if (b64_encode(log, log_len, log_b64, sizeof(log_b64), &b64_len) != 0 ||
		    eventlog_replay(log, log_len, &pcrs) != EVENTLOG_OK) {
			fprintf(stderr, "bench_quote: the OVMF log does not replay\n");
			return 1;
		}
		do {
			for (int i = 0; i < 16; i++)
				if (b64_decode(log_b64, b64_len, back, sizeof(back), &back_len) != 0 ||
				    eventlog_replay(back, back_len, &pcrs) != EVENTLOG_OK) {
					fprintf(stderr, "bench_quote: replay failed\n");
					return 1;
				}
			iters += 16;
			t = now_s() - t0;
		} while (t < secs);
		rate = (double)iters / t;
		printf("bench quote: UEFI firmware log (OVMF, %zu bytes, %zu events, sha1 + sha256), "
		       "base64 decode + replay: %.0f/s per core; %.2f of an ECC quote's parse + verify "
		       "time added per quote\n", log_len, pcrs.nevents, rate, ecc_quote_rate / rate);
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/quote.c: the input as each binary part
 * (TPMS_ATTEST, TPMT_SIGNATURE, pcrblob) and as the whole quote text. What
 * parses must be self-consistent: sizes within their buffers, selections
 * within PCRs 0..23, every selected PCR readable through quote_pcr, and
 * quote_verify against a fixed RSA key must reject it (the fuzzer cannot
 * forge a signature) without crashing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>

#include "keylime_crypto.h"
#include "quote.h"

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			abort();  \
	} while (0)

static struct quote q;

static void consistent(void)
{
	CHECK(q.extra_len <= sizeof(q.extra));
	CHECK(q.pcr_digest_len <= sizeof(q.pcr_digest));
	CHECK(q.nsel <= QUOTE_MAX_BANKS && q.nbanks <= QUOTE_MAX_BANKS);
	for (unsigned i = 0; i < q.nbanks; i++) {
		CHECK(q.banks[i].mask < (1u << QUOTE_NPCR));
		CHECK(q.banks[i].size == digest_size(q.banks[i].alg));
		for (unsigned p = 0; p < QUOTE_NPCR; p++)
			CHECK(!(q.banks[i].mask & (1u << p)) == !quote_pcr(&q, q.banks[i].alg, p));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kc_rng rng;
	static struct kc_nk nk;
	static int ready;
	char err[256];
	char *text;

	if (!ready) {
		CHECK(kc_rng_init(&rng, "fuzz_quote", NULL, 0) == 0);
		CHECK(kc_nk_generate(&nk, &rng, NULL, 0) == 0);
		ready = 1;
	}
	memset(&q, 0, sizeof(q));
	if (quote_parse_attest(data, size, &q, err, sizeof(err)) == QUOTE_OK)
		consistent();
	if (quote_parse_signature(data, size, &q, err, sizeof(err)) == QUOTE_OK)
		CHECK(q.sig_a_len <= sizeof(q.sig_a) && q.sig_b_len <= sizeof(q.sig_b));
	memset(&q, 0, sizeof(q));
	if (quote_parse_pcrblob(data, size, &q, err, sizeof(err)) == QUOTE_OK)
		consistent();
	text = malloc(size + 1);
	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	if (quote_parse(text, size, &q, err, sizeof(err)) == QUOTE_OK) {
		consistent();
		CHECK(quote_verify(&q, &nk.pk, TPM_ALG_SHA256, "n", 1, err, sizeof(err)) != QUOTE_OK);
	}
	free(text);
	return 0;
}

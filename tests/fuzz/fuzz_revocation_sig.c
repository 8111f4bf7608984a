/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/revocation_sig.c: what an agent reads from
 * a revocation notice and its payload.
 *
 * 1. The input split at its first NUL into msg and signature text, checked
 *    against a certificate made once at start-up: a forgery is never
 *    accepted (KC_ERR_AUTH, or KC_ERR_INPUT when oversized).
 * 2. The input as the certificate PEM, with a fixed message and a genuine
 *    signature by the start-up key (made afresh each run, so no corpus file
 *    can hold its certificate): KC_ERR_KEY or KC_ERR_AUTH, never a crash;
 *    rs_cert_check agrees with rs_verify on which certificates parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keylime_crypto.h"
#include "revocation_sig.h"

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			abort();  \
	} while (0)

static const char MSG[] = "{\"type\":\"revocation\",\"agent_id\":\"fuzz\"}";
static char cert[RS_CERT_MAX], sig[RS_SIG_B64_MAX];

static void init(void)
{
	static int done;
	struct kc_rng rng;
	struct kc_nk nk;

	if (done)
		return;
	done = 1;
	CHECK(kc_rng_init(&rng, "fuzz_revocation_sig", NULL, 0) == KC_OK);
	CHECK(kc_nk_generate(&nk, &rng, NULL, 0) == KC_OK);
	CHECK(kc_nk_self_signed_cert(&nk, &rng, "RevocationNotifier", cert, sizeof(cert), NULL,
				     0) == KC_OK);
	CHECK(rs_sign(&nk, &rng, MSG, strlen(MSG), sig, sizeof(sig), NULL, 0) == KC_OK);
	CHECK(rs_verify(cert, strlen(cert), MSG, strlen(MSG), sig, strlen(sig), NULL, 0) == KC_OK);
	kc_nk_free(&nk);
	kc_rng_free(&rng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t mlen = nul ? (size_t)(nul - data) : size;
	const char *s = nul ? (const char *)nul + 1 : "";
	size_t slen = nul ? size - mlen - 1 : 0;
	char err[256];
	int r;

	init();
	r = rs_verify(cert, strlen(cert), (const char *)data, mlen, s, slen, err, sizeof(err));
	CHECK(r == KC_ERR_AUTH || r == KC_ERR_INPUT);
	if (size <= RS_CERT_MAX) {
		r = rs_verify((const char *)data, size, MSG, strlen(MSG), sig, strlen(sig), err,
			      sizeof(err));
		CHECK(r == KC_ERR_KEY || r == KC_ERR_AUTH);
		CHECK((rs_cert_check((const char *)data, size, err, sizeof(err)) == KC_OK) ==
		      (r == KC_ERR_AUTH));
	}
	return 0;
}

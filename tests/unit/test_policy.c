/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * src/verifier/policy.c: strict policy files, and the mismatch report
 * (PCR, expected, actual, first differing event) over a real swtpm quote
 * (tests/vectors/quote/quote-rsa.*) and a runtime log made here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eventlog.h"
#include "policy.h"
#include "quote.h"

#define PCR8 "231a0af5a99ab8810e8aab14f9085a0c7759b58da1d32273fdb607b7c0387d00"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static struct policy pol;
static struct quote q;

static void load(const char *name, uint8_t *b, size_t cap, size_t *n)
{
	static const char self[] = "tests/unit/test_policy.c";
	size_t k = strlen(__FILE__) - (sizeof(self) - 1);
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%.*stests/vectors/quote/%s", (int)k, __FILE__, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	*n = fread(b, 1, cap, f);
	fclose(f);
}

static void load_quote(void)
{
	uint8_t b[4096];
	size_t n;
	char err[256];

	memset(&q, 0, sizeof(q));
	load("quote-rsa.attest", b, sizeof(b), &n);
	assert_int_equal(quote_parse_attest(b, n, &q, err, sizeof(err)), 0);
	load("quote-rsa.pcrs", b, sizeof(b), &n);
	assert_int_equal(quote_parse_pcrblob(b, n, &q, err, sizeof(err)), 0);
}

static int parse(const char *json)
{
	char err[300];
	int rc = policy_parse(json, strlen(json), &pol, err, sizeof(err));

	if (rc)
		print_message("policy_parse: %s\n", err);
	return rc;
}

static void test_parse_good(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\""
			       PCR8 "\",\"" ZERO "\"],\"0\":[\"" ZERO "\"]},\"events\":{\"8\":[\""
			       ZERO "\"]},\"comment\":\"x\"}"), 0);
	assert_int_equal(pol.mask, (1u << 8) | 1u);
	assert_int_equal(pol.nvalues[8], 2);
	assert_int_equal(pol.nevents[8], 1);
	assert_int_equal(pol.values[8][0][0], 0x23);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}",
		"{\"airlock_policy\":2,\"hash_alg\":\"sha256\",\"pcrs\":{}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha1\",\"pcrs\":{}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\"}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{},\"extra\":1}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"16\":[\"" ZERO "\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"24\":[\"" ZERO "\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"08\":[\"" ZERO "\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"-1\":[\"" ZERO "\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\"00\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\""
		"231A0AF5A99AB8810E8AAB14F9085A0C7759B58DA1D32273FDB607B7C0387D00\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\"" ZERO "\"]},"
		"\"events\":{\"9\":[\"" ZERO "\"]}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse(bad[i]), 0);
}

static void test_check_pass_and_mismatch(void **state)
{
	char report[1024];

	(void)state;
	load_quote();
	assert_int_equal(parse("{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\""
			       ZERO "\",\"" PCR8 "\"]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, report, sizeof(report)), 0);
	assert_int_equal(parse("{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\""
			       ZERO "\"]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "PCR 8 mismatch: expected " ZERO ", got " PCR8));
	/* A PCR the quote does not cover. */
	assert_int_equal(parse("{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"4\":[\""
			       ZERO "\"]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "PCR 4: not in the quote"));
}

static void test_report_names_first_differing_event(void **state)
{
	static uint8_t log[4096];
	struct eventlog_writer w;
	struct eventlog_digests d0, d1;
	uint16_t banks[1] = { TPM_ALG_SHA256 };
	char json[1024], h0[65], h1[65], report[1024];

	(void)state;
	load_quote();
	assert_int_equal(eventlog_writer_init(&w, log, sizeof(log), banks, 1), 0);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_IPL, "console=ttyS0", 13, &d0), 0);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, "airlock scrub: evil", 19, &d1), 0);
	for (int i = 0; i < 32; i++) {
		sprintf(h0 + 2 * i, "%02x", d0.d[0].value[i]);
		sprintf(h1 + 2 * i, "%02x", (uint8_t)(d1.d[0].value[i] ^ 1));
	}
	/* The prediction agrees on the first event and not on the second. */
	snprintf(json, sizeof(json), "{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\""
		 ZERO "\"]},\"events\":{\"8\":[\"%s\",\"%s\"]}}", h0, h1);
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, log, w.len, report, sizeof(report)), -1);
	print_message("%s\n", report);
	assert_non_null(strstr(report, "first differing event: #1 of PCR 8"));
	assert_non_null(strstr(report, "airlock scrub: evil"));
	assert_non_null(strstr(report, h1));
	/* A log shorter than the prediction. */
	snprintf(json, sizeof(json), "{\"airlock_policy\":1,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\""
		 ZERO "\"]},\"events\":{\"8\":[\"%s\"]}}", h0);
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, log, w.len, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "#1 of PCR 8"));
	assert_non_null(strstr(report, "no more events"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_check_pass_and_mismatch),
		cmocka_unit_test(test_report_names_first_differing_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

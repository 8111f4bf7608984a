/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * src/verifier/policy.c: strict policy files, and the mismatch report
 * (PCR, expected, actual, first differing event) over a real swtpm quote
 * (tests/vectors/quote/quote-rsa.*), runtime logs made here with the
 * runtime's own writer, and a real OVMF firmware log (tests/vectors).
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
			       PCR8 "\",\"" ZERO "\"],\"0\":[\"" ZERO "\"]},"
			       "\"runtime_events\":{\"8\":[{\"digest\":\"" ZERO "\"},{\"text\":\"a\"},"
			       "{\"text_prefix\":\"airlock scrub: \",\"text_contains\":[\" result=pass\"]},"
			       "{\"separator\":true}]},"
			       "\"runtime_tail\":{\"8\":[{\"text\":\"b\"}]},"
			       "\"firmware_events\":{\"4\":[{\"digest\":\"" ZERO "\"}]},"
			       "\"comment\":\"x\"}"), 0);
	assert_int_equal(pol.mask, (1u << 8) | (1u << 4) | 1u);
	assert_int_equal(pol.nvalues[8], 2);
	assert_int_equal(pol.values[8][0][0], 0x23);
	assert_int_equal(pol.nrules, 6);
	assert_int_equal(pol.rules[2].kind, RULE_PREFIX);
	assert_int_equal(pol.rules[2].ncontains, 1);
	assert_int_equal(pol.rules[4].set, SET_TAIL);
	assert_int_equal(pol.rules[5].set, SET_FIRMWARE);
}

static void test_parse_refuses(void **state)
{
#define HEAD "{\"airlock_policy\":1,\"hash_alg\":\"sha256\","
	static const char *const bad[] = {
		"", "[]", "{}",
		"{\"airlock_policy\":2,\"hash_alg\":\"sha256\",\"pcrs\":{\"8\":[\"" ZERO "\"]}}",
		"{\"airlock_policy\":1,\"hash_alg\":\"sha1\",\"pcrs\":{\"8\":[\"" ZERO "\"]}}",
		HEAD "\"pcrs\":{}}",
		HEAD "\"comment\":\"nothing\"}",
		HEAD "\"pcrs\":{\"8\":[\"" ZERO "\"]},\"extra\":1}",
		HEAD "\"pcrs\":{\"16\":[\"" ZERO "\"]}}",
		HEAD "\"pcrs\":{\"24\":[\"" ZERO "\"]}}",
		HEAD "\"pcrs\":{\"08\":[\"" ZERO "\"]}}",
		HEAD "\"pcrs\":{\"-1\":[\"" ZERO "\"]}}",
		HEAD "\"pcrs\":{\"8\":[]}}",
		HEAD "\"pcrs\":{\"8\":[\"00\"]}}",
		HEAD "\"pcrs\":{\"8\":[\"231A0AF5A99AB8810E8AAB14F9085A0C7759B58DA1D32273FDB607B7C0387D00\"]}}",
		/* the old "events" key, rules in the wrong place or of two kinds at once */
		HEAD "\"pcrs\":{\"8\":[\"" ZERO "\"]},\"events\":{\"8\":[\"" ZERO "\"]}}",
		HEAD "\"runtime_events\":{\"7\":[{\"text\":\"a\"}]}}",
		HEAD "\"runtime_events\":{\"8\":[]}}",
		HEAD "\"runtime_events\":{\"8\":[{\"text\":\"a\",\"separator\":true}]}}",
		HEAD "\"runtime_events\":{\"8\":[{\"text_contains\":[\"a\"]}]}}",
		HEAD "\"runtime_events\":{\"8\":[{\"separator\":false}]}}",
		HEAD "\"runtime_events\":{\"8\":[{\"text_prefix\":\"a\",\"text_contains\":[\"\"]}]}}",
		HEAD "\"runtime_events\":{\"8\":[{\"digest\":\"00\"}]}}",
		HEAD "\"runtime_events\":{\"8\":[\"" ZERO "\"]}}",
		HEAD "\"runtime_tail\":{\"8\":[{\"text\":\"a\"}]}}",
		HEAD "\"firmware_events\":{\"4\":[{\"text\":\"a\"}]}}",
		HEAD "\"firmware_events\":{\"8\":[{\"digest\":\"" ZERO "\"}]}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_not_equal(parse(bad[i]), 0);
	}
}

static void test_check_values(void **state)
{
	char report[1024];

	(void)state;
	load_quote();
	assert_int_equal(parse(HEAD "\"pcrs\":{\"8\":[\"" ZERO "\",\"" PCR8 "\"]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, NULL, 0, report, sizeof(report)), 0);
	assert_int_equal(parse(HEAD "\"pcrs\":{\"8\":[\"" ZERO "\"]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "PCR 8 mismatch: expected " ZERO ", got " PCR8));
	/* A PCR the quote does not cover. */
	assert_int_equal(parse(HEAD "\"pcrs\":{\"4\":[\"" ZERO "\"]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "PCR 4: not in the quote"));
}

static uint8_t rtlog[4096];
static size_t rtlen;

/* A runtime log as /init and the agent write it. */
static void make_log(int with_tail, const char *scrub)
{
	static const uint8_t sep[4];
	struct eventlog_writer w;
	uint16_t banks[1] = { TPM_ALG_SHA256 };

	assert_int_equal(eventlog_writer_init(&w, rtlog, sizeof(rtlog), banks, 1), 0);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_IPL, "console=ttyS0", 13, NULL), 0);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, scrub, strlen(scrub), NULL), 0);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, "airlock runtime: state=ready", 28,
					 NULL), 0);
	if (with_tail) {
		assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, "airlock attest: result=pass",
						 27, NULL), 0);
		assert_int_equal(eventlog_append(&w, 8, TCG_EV_SEPARATOR, sep, 4, NULL), 0);
	}
	rtlen = w.len;
}

static void test_runtime_events(void **state)
{
	static const char scrub_ok[] = "airlock scrub: bytes=1 memtest=ran memtest_bad=0 result=pass";
	char json[2048], h0[65], report[1024];
	uint8_t d[32];

	(void)state;
	load_quote();
	digest(TPM_ALG_SHA256, "console=ttyS0", 13, d);
	for (int i = 0; i < 32; i++)
		sprintf(h0 + 2 * i, "%02x", d[i]);
	snprintf(json, sizeof(json), HEAD "\"runtime_events\":{\"8\":[{\"digest\":\"%s\"},"
		 "{\"text_prefix\":\"airlock scrub: \",\"text_contains\":[\" memtest=ran \","
		 "\" result=pass\"]},{\"text\":\"airlock runtime: state=ready\"}]},"
		 "\"runtime_tail\":{\"8\":[{\"text\":\"airlock attest: result=pass\"},"
		 "{\"separator\":true}]}}", h0);
	assert_int_equal(parse(json), 0);
	make_log(0, scrub_ok);
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), 0);
	make_log(1, scrub_ok);
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), 0);
	/* A failed scrub: the report names the event and what was expected. */
	make_log(0, "airlock scrub: bytes=1 memtest=ran memtest_bad=0 result=fail");
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), -1);
	print_message("%s\n", report);
	assert_non_null(strstr(report, "PCR 8: first differing event: #1"));
	assert_non_null(strstr(report, "result=fail"));
	assert_non_null(strstr(report, "expected \"airlock scrub: ...\" containing"));
	/* memtest off is refused by the contains rule. */
	make_log(0, "airlock scrub: bytes=1 memtest=off result=pass");
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), -1);
	/* Another command line: the digest rule names both. */
	snprintf(json, sizeof(json), HEAD "\"runtime_events\":{\"8\":[{\"digest\":\"" ZERO "\"}]}}");
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), -1);
	print_message("%s\n", report);
	assert_non_null(strstr(report, "#0 (log record 0"));
	assert_non_null(strstr(report, h0));
	assert_non_null(strstr(report, "expected digest " ZERO));
	/* More events than the policy allows, and fewer. */
	snprintf(json, sizeof(json), HEAD "\"runtime_events\":{\"8\":[{\"digest\":\"%s\"}]}}", h0);
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "unexpected event #1"));
	snprintf(json, sizeof(json), HEAD "\"runtime_events\":{\"8\":[{\"digest\":\"%s\"},"
		 "{\"text_prefix\":\"\"},{\"text_prefix\":\"\"},{\"text\":\"x\"}]}}", h0);
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, rtlog, rtlen, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "ends after 3 of the 4"));
	assert_int_equal(policy_check(&pol, &q, NULL, 0, NULL, 0, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "no readable runtime event log"));
}

/* Firmware rules on the real OVMF log of tests/vectors. */
static void test_firmware_events(void **state)
{
	static uint8_t fw[65536];
	static const char self[] = "tests/unit/test_policy.c";
	struct eventlog_reader r;
	struct eventlog_event ev;
	size_t k = strlen(__FILE__) - (sizeof(self) - 1), fwlen;
	char path[4096], json[1024], h[65], report[1024];
	const uint8_t *d = NULL;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%.*stests/vectors/ovmf-swtpm-sha1-sha256.bin", (int)k, __FILE__);
	f = fopen(path, "rb");
	assert_non_null(f);
	fwlen = fread(fw, 1, sizeof(fw), f);
	fclose(f);
	/* The last PCR 4 application the firmware loaded: the runtime's EFI-stub image. */
	assert_int_equal(eventlog_reader_init(&r, fw, fwlen), 0);
	while (eventlog_reader_next(&r, &ev) == 1)
		if (ev.pcr == 4 && ev.type == 0x80000003u)
			for (unsigned i = 0; i < ev.ndigests; i++)
				if (ev.digests[i].alg == TPM_ALG_SHA256)
					d = ev.digests[i].value;
	assert_non_null(d);
	for (int i = 0; i < 32; i++)
		sprintf(h + 2 * i, "%02x", d[i]);
	/* A quote covering every PCR (values do not matter to event rules). */
	memset(&q, 0, sizeof(q));
	q.nbanks = 1;
	q.banks[0].alg = TPM_ALG_SHA256;
	q.banks[0].size = 32;
	q.banks[0].mask = 0xffffff;
	snprintf(json, sizeof(json), HEAD "\"firmware_events\":{\"4\":[{\"digest\":\"%s\"}]}}", h);
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, fw, fwlen, report, sizeof(report)), 0);
	h[0] = h[0] == '0' ? '1' : '0';
	snprintf(json, sizeof(json), HEAD "\"firmware_events\":{\"4\":[{\"digest\":\"%s\"}]}}", h);
	assert_int_equal(parse(json), 0);
	assert_int_equal(policy_check(&pol, &q, NULL, 0, fw, fwlen, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "PCR 4: no firmware event with digest"));
	assert_int_equal(policy_check(&pol, &q, NULL, 0, NULL, 0, report, sizeof(report)), -1);
}

/* A long event (a command line) shows its start and its end, where additions are. */
static void test_report_long_event(void **state)
{
	static char line[301];
	struct eventlog_writer w;
	uint16_t banks[1] = { TPM_ALG_SHA256 };
	char report[1024];

	(void)state;
	load_quote();
	memset(line, 'a', 300);
	memcpy(line, "console=ttyS0", 13);
	memcpy(line + 300 - 23, " airlock.loglevel=debug", 23);
	assert_int_equal(eventlog_writer_init(&w, rtlog, sizeof(rtlog), banks, 1), 0);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_IPL, line, 300, NULL), 0);
	assert_int_equal(parse(HEAD "\"runtime_events\":{\"8\":[{\"digest\":\"" ZERO "\"}]}}"), 0);
	assert_int_equal(policy_check(&pol, &q, rtlog, w.len, NULL, 0, report, sizeof(report)), -1);
	print_message("%s\n", report);
	assert_non_null(strstr(report, "data \"console=ttyS0"));
	assert_non_null(strstr(report, "...aaaa"));
	assert_non_null(strstr(report, "airlock.loglevel=debug\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_check_values),
		cmocka_unit_test(test_runtime_events),
		cmocka_unit_test(test_firmware_events),
		cmocka_unit_test(test_report_long_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

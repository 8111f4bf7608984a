/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/encoding.c: RFC 4648 vectors, OpenSSL's
 * EVP_EncodeBlock and sscanf as independent oracles, and every form the
 * strict decoders must reject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "encoding.h"

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- base64 ----------------------------------------------------------------- */

static void test_b64_rfc4648(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					   "Zm9vYmFy" };
	char out[16];
	uint8_t bin[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(b64_encode((const uint8_t *)plain[i], strlen(plain[i]), out,
					       sizeof(out), &n), ENC_OK);
		assert_string_equal(out, enc[i]);
		assert_int_equal(n, strlen(enc[i]));
		n = 99;
		assert_int_equal(b64_decode(enc[i], strlen(enc[i]), bin, sizeof(bin), &n),
				 ENC_OK);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(bin, plain[i], n);
	}
	/* Every character of the alphabet, both ways (RFC 4648 table 1). */
	{
		static const char alpha[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		uint8_t raw[48];
		char back[65];

		assert_int_equal(b64_decode(alpha, 64, raw, sizeof(raw), &n), ENC_OK);
		assert_int_equal(n, 48);
		assert_int_equal(b64_encode(raw, 48, back, sizeof(back), &n), ENC_OK);
		assert_string_equal(back, alpha);
	}
}

static void test_b64_vs_openssl(void **state)
{
	uint8_t raw[300], back[300];
	char mine[410];
	unsigned char theirs[410];
	size_t n;

	(void)state;
	for (size_t len = 0; len <= sizeof(raw); len += (len < 40 ? 1 : 37)) {
		fill(raw, len, (uint32_t)len + 7);
		assert_int_equal(b64_encode(raw, len, mine, sizeof(mine), &n), ENC_OK);
		assert_int_equal(EVP_EncodeBlock(theirs, raw, (int)len), (int)n);
		assert_string_equal(mine, (char *)theirs);
		assert_int_equal(b64_decode(mine, n, back, sizeof(back), &n), ENC_OK);
		assert_int_equal(n, len);
		assert_memory_equal(back, raw, len);
	}
}

static void test_b64_rejects(void **state)
{
	static const char *const bad[] = {
		"Zm9",          /* length not a multiple of 4 */
		"Zm9vY",        /* ditto */
		"Zg",           /* padding missing */
		"Zm8",          /* padding missing */
		"Zm9v!A==",     /* character outside the alphabet */
		"Zm9-",         /* base64url alphabet */
		"Zm9_",
		"Zm9v\nYmFy",   /* whitespace */
		"Zm9v YmFy",
		"Zm9vYmFy\r\n",
		" Zm9vYmFy  ",
		"Zh==",         /* non-canonical: 4 leftover bits not zero */
		"Zm9=",         /* non-canonical: 2 leftover bits not zero */
		"Zm9vYh==",
		"Z===",         /* too much padding */
		"====",
		"=Zm9",         /* padding first */
		"Zm=v",         /* padding inside a group */
		"Zg==Zm9v",     /* padding before the end */
		"Zm8=Zm8=",
		"Zm9v\x80\x80\x80\x80", /* high bytes */
		":;<>",         /* neighbours of the digit and letter ranges */
		"@[`{",
		",-./",
	};
	uint8_t out[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 77;
		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n),
				 ENC_ERR_INPUT);
		assert_int_equal(n, 0);
	}
	/* An embedded NUL is just another bad character. */
	assert_int_equal(b64_decode("Zm\0v", 4, out, sizeof(out), &n), ENC_ERR_INPUT);
	/* Good groups before a bad one leave nothing decoded behind. */
	memset(out, 0xAA, sizeof(out));
	assert_int_equal(b64_decode("Zm9vYmFyYmF6Zm9v!!!!", 20, out, sizeof(out), &n),
			 ENC_ERR_INPUT);
	assert_true(all_zero(out, 12));
	assert_int_equal(out[15], 0xAA);
	/* Canonical forms of the cases above are accepted. */
	assert_int_equal(b64_decode("Zg==", 4, out, sizeof(out), &n), ENC_OK);
	assert_int_equal(b64_decode("Zm8=", 4, out, sizeof(out), &n), ENC_OK);
	assert_int_equal(b64_decode(NULL, 0, NULL, 0, &n), ENC_OK);
	assert_int_equal(n, 0);
	assert_int_equal(b64_decode(NULL, 4, out, sizeof(out), &n), ENC_ERR_INPUT);
}

static void test_b64_space(void **state)
{
	uint8_t out[8], in[6] = "foobar";
	char enc[16];
	size_t n;

	(void)state;
	memset(out, 0xAA, sizeof(out));
	assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 5, &n), ENC_ERR_SPACE);
	assert_int_equal(out[0], 0xAA); /* nothing written */
	assert_int_equal(b64_decode("Zm9vYmE=", 8, out, 5, &n), ENC_OK);
	assert_int_equal(n, 5);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 6, &n), ENC_OK);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, NULL, 0, &n), ENC_ERR_SPACE);
	/* Encoding needs 4 * ceil(n / 3) + 1 for the NUL. */
	assert_int_equal(b64_encode(in, 6, enc, 8, &n), ENC_ERR_SPACE);
	assert_int_equal(b64_encode(in, 6, enc, 9, &n), ENC_OK);
	assert_string_equal(enc, "Zm9vYmFy");
	assert_int_equal(b64_encode(in, 4, enc, 8, &n), ENC_ERR_SPACE);
	assert_int_equal(b64_encode(in, 4, enc, 9, &n), ENC_OK);
	assert_int_equal(b64_encode(in, 0, enc, 1, &n), ENC_OK);
	assert_string_equal(enc, "");
	assert_int_equal(b64_encode(in, 0, enc, 0, &n), ENC_ERR_SPACE);
	assert_int_equal(b64_encode(in, SIZE_MAX, enc, sizeof(enc), &n), ENC_ERR_SPACE);
}

/* ---- hex -------------------------------------------------------------------- */

static void test_hex_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x09, 0x0a, 0x0f, 0x10, 0x9f, 0xa0, 0xff };
	char out[17];
	size_t n;

	(void)state;
	assert_int_equal(hex_encode(in, sizeof(in), out, sizeof(out), &n), ENC_OK);
	assert_string_equal(out, "00090a0f109fa0ff");
	assert_int_equal(n, 16);
	assert_int_equal(hex_encode(in, sizeof(in), out, 16, &n), ENC_ERR_SPACE);
	assert_int_equal(hex_encode(in, 0, out, 1, &n), ENC_OK);
	assert_string_equal(out, "");
	assert_int_equal(hex_encode(in, SIZE_MAX / 2 + 1, out, sizeof(out), &n), ENC_ERR_SPACE);
}

static void test_b64_alloc(void **state)
{
	static const uint8_t in[] = "foobar";
	char *s;

	(void)state;
	s = b64_encode_alloc(in, 6);
	assert_non_null(s);
	assert_string_equal(s, "Zm9vYmFy");
	free(s);
	s = b64_encode_alloc(in, 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	/* A length whose encoding cannot be sized is refused, not wrapped. */
	assert_null(b64_encode_alloc(in, SIZE_MAX));
}

static void test_hex_decode(void **state)
{
	uint8_t out[8], raw[64];
	char enc[129];
	unsigned v;

	(void)state;
	assert_int_equal(hex_decode("00090a0f109fa0ff", 16, out, 8, HEX_LOWER), ENC_OK);
	assert_memory_equal(out, "\x00\x09\x0a\x0f\x10\x9f\xa0\xff", 8);
	assert_int_equal(hex_decode("00090A0F109FA0FF", 16, out, 8, 0), ENC_OK);
	assert_memory_equal(out, "\x00\x09\x0a\x0f\x10\x9f\xa0\xff", 8);
	assert_int_equal(hex_decode("", 0, out, 0, 0), ENC_OK);
	/* Round trip against sscanf as the oracle. */
	for (size_t len = 0; len <= sizeof(raw); len += 7) {
		fill(raw, len, (uint32_t)len);
		assert_int_equal(hex_encode(raw, len, enc, sizeof(enc), NULL), ENC_OK);
		for (size_t i = 0; i < len; i++) {
			assert_int_equal(sscanf(enc + 2 * i, "%2x", &v), 1);
			assert_int_equal(v, raw[i]);
		}
		memset(out, 0, sizeof(out));
		if (len <= sizeof(out)) {
			assert_int_equal(hex_decode(enc, 2 * len, out, len, HEX_LOWER), ENC_OK);
			assert_memory_equal(out, raw, len);
		}
	}
}

static void test_hex_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"0g", "g0", "0 ", " 0", "0x", "/0", ":0", "@0", "G0", "`0", "0\x80", "\xff" "0",
	};
	uint8_t out[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out[0] = 0xAA;
		assert_int_equal(hex_decode(bad[i], 2, out, 1, 0), ENC_ERR_INPUT);
		assert_int_equal(out[0], 0);
	}
	/* Uppercase only where allowed. */
	assert_int_equal(hex_decode("aB", 2, out, 1, HEX_LOWER), ENC_ERR_INPUT);
	assert_int_equal(hex_decode("Ab", 2, out, 1, HEX_LOWER), ENC_ERR_INPUT);
	assert_int_equal(hex_decode("aB", 2, out, 1, 0), ENC_OK);
	assert_int_equal(out[0], 0xab);
	/* Exactly 2 * outlen digits: shorter, longer, odd. */
	assert_int_equal(hex_decode("abcd", 3, out, 2, 0), ENC_ERR_INPUT);
	assert_int_equal(hex_decode("abcd", 4, out, 1, 0), ENC_ERR_INPUT);
	assert_int_equal(hex_decode("abcdef", 6, out, 2, 0), ENC_ERR_INPUT);
	/* A bad digit late leaves no good byte before it behind. */
	memset(out, 0xAA, sizeof(out));
	assert_int_equal(hex_decode("010203zz", 8, out, 4, 0), ENC_ERR_INPUT);
	assert_true(all_zero(out, 4));
	/* An embedded NUL is a bad digit. */
	assert_int_equal(hex_decode("0\0", 2, out, 1, 0), ENC_ERR_INPUT);
	out[0] = 0xAA;
	assert_int_equal(hex_decode(NULL, 2, out, 1, 0), ENC_ERR_INPUT);
	assert_int_equal(out[0], 0);
	assert_int_equal(hex_decode("00", 2, NULL, 1, 0), ENC_ERR_INPUT);
	assert_int_equal(hex_decode("00", 2, out, SIZE_MAX, 0), ENC_ERR_INPUT);
}

static void test_classes(void **state)
{
	(void)state;
	for (int c = -1; c <= 0x100; c++) {
		int want = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			   c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		assert_int_equal(hex_digit(c), want);
		assert_int_equal(enc_is_hex(c), want >= 0);
		assert_int_equal(enc_is_hex_lower(c), want >= 0 && !(c >= 'A' && c <= 'F'));
		assert_int_equal(enc_is_digit(c), c >= '0' && c <= '9');
		assert_int_equal(enc_is_alpha(c), (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
		assert_int_equal(enc_is_alnum(c), enc_is_digit(c) || enc_is_alpha(c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_vs_openssl),
		cmocka_unit_test(test_b64_rejects),
		cmocka_unit_test(test_b64_space),
		cmocka_unit_test(test_b64_alloc),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_decode_rejects),
		cmocka_unit_test(test_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

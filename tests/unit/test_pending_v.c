/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for sealing a pending V (src/verifier/pending_v.c): what opens
 * is exactly what was sealed, for that node and enrolment, under that key; a
 * row moved to another node or enrolment, another instance's key, any flipped
 * bit or another length is refused, and two seals of one V differ (a fresh nonce each).
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pending_v.h"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void fill(uint8_t v[VKEY_LEN], uint8_t b)
{
	for (int i = 0; i < VKEY_LEN; i++)
		v[i] = (uint8_t)(b + i);
}

static void round_trip(void **state)
{
	uint8_t v[VKEY_LEN], out[VKEY_LEN], sealed[PENDING_V_SEALED_LEN], again[PENDING_V_SEALED_LEN];
	char err[300];

	(void)state;
	fill(v, 0x40);
	assert_int_equal(pending_v_seal(key, "node-1", 7, v, sealed, err, sizeof(err)), 0);
	assert_null(memmem(sealed, sizeof(sealed), v, 8)); /* V is not in the clear */
	assert_int_equal(pending_v_open(key, "node-1", 7, sealed, sizeof(sealed), out, err, sizeof(err)),
			 0);
	assert_memory_equal(out, v, VKEY_LEN);
	assert_int_equal(pending_v_seal(key, "node-1", 7, v, again, err, sizeof(err)), 0);
	assert_memory_not_equal(sealed, again, 12);
	assert_memory_not_equal(sealed + 12, again + 12, VKEY_LEN);
}

static void refused(void **state)
{
	uint8_t v[VKEY_LEN], out[VKEY_LEN], sealed[PENDING_V_SEALED_LEN], bad[PENDING_V_SEALED_LEN];
	uint8_t other[32];
	char err[300];

	(void)state;
	fill(v, 7);
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(pending_v_seal(key, "node-1", 7, v, sealed, err, sizeof(err)), 0);
	/* Copied onto another node's row. */
	assert_int_equal(pending_v_open(key, "node-2", 7, sealed, sizeof(sealed), out, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "does not open"));
	/* Another enrolment (generation) of the same node. */
	assert_int_equal(pending_v_open(key, "node-1", 8, sealed, sizeof(sealed), out, err,
					sizeof(err)), -1);
	/* Another instance's key. */
	assert_int_equal(pending_v_open(other, "node-1", 7, sealed, sizeof(sealed), out, err,
					sizeof(err)), -1);
	assert_non_null(strstr(err, PENDING_V_KEY_FILE));
	/* Any bit of nonce, V or tag. */
	for (size_t i = 0; i < sizeof(sealed) * 8; i++) {
		memcpy(bad, sealed, sizeof(bad));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(pending_v_open(key, "node-1", 7, bad, sizeof(bad), out, err,
						sizeof(err)), -1);
	}
	/* Short and long rows. */
	assert_int_equal(pending_v_open(key, "node-1", 7, sealed, sizeof(sealed) - 1, out, err,
					sizeof(err)), -1);
	assert_int_equal(pending_v_open(key, "node-1", 7, sealed, 0, out, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

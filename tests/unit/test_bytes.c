/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for src/lib/bytes.h: the cursor's one contract, and the loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bytes.h"

static const uint8_t buf[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };

static void test_reads(void **state)
{
	struct bytes b = bytes_of(buf, sizeof(buf));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_true(bytes_u8(&b, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(bytes_be16(&b, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(bytes_le16(&b, &u16));
	assert_int_equal(u16, 0x0504);
	assert_true(bytes_be32(&b, &u32));
	assert_int_equal(u32, 0x06070809);
	assert_int_equal(bytes_left(&b), 0);
	assert_false(b.bad);
	b = bytes_of(buf, sizeof(buf));
	assert_true(bytes_le64(&b, &u64));
	assert_true(u64 == 0x0807060504030201ull);
	b = bytes_of(buf, sizeof(buf));
	assert_true(bytes_be64(&b, &u64));
	assert_true(u64 == 0x0102030405060708ull);
	assert_true(bytes_le32(&(struct bytes){ .p = buf, .len = 4 }, &u32));
	assert_int_equal(u32, 0x04030201);
}

static void test_bounds(void **state)
{
	struct bytes b = bytes_of(buf, 3);
	uint32_t u32 = 0xdeadbeef;
	uint16_t u16;
	uint8_t out[4] = { 0 };

	(void)state;
	/* Too short: nothing read, nothing consumed, the value untouched, the cursor bad. */
	assert_false(bytes_be32(&b, &u32));
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(b.pos, 0);
	assert_true(b.bad);
	/* Sticky: a read that would fit fails too. */
	assert_false(bytes_be16(&b, &u16));
	assert_null(bytes_take(&b, 0));
	/* A length that would overflow pos + n is refused, not wrapped. */
	b = bytes_of(buf, sizeof(buf));
	assert_non_null(bytes_take(&b, 1));
	assert_null(bytes_take(&b, SIZE_MAX));
	assert_int_equal(b.pos, 1);
	/* Exactly what is left fits; zero bytes at the end fit. */
	b = bytes_of(buf, sizeof(buf));
	assert_true(bytes_copy(&b, out, 4));
	assert_memory_equal(out, buf, 4);
	assert_non_null(bytes_take(&b, 5));
	assert_non_null(bytes_take(&b, 0));
	assert_false(bytes_copy(&b, out, 1));
	/* No buffer is an empty one. */
	b = bytes_of(NULL, 100);
	assert_int_equal(bytes_left(&b), 0);
	assert_false(bytes_u8(&b, out));
}

static void test_loads(void **state)
{
	(void)state;
	assert_int_equal(load_le16(buf), 0x0201);
	assert_int_equal(load_be16(buf), 0x0102);
	assert_int_equal(load_le32(buf), 0x04030201);
	assert_int_equal(load_be32(buf), 0x01020304);
	assert_true(load_le64(buf) == 0x0807060504030201ull);
	assert_true(load_be64(buf) == 0x0102030405060708ull);
	assert_int_equal(load_be32((const uint8_t *)"\xff\xff\xff\xff"), 0xffffffffu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* The handoff cpio writer, checked by GNU cpio unpacking what it wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpio_newc.h"

static void unpack(const struct cpio_buf *c, char *dir)
{
	char arc[96], cmd[256];
	FILE *f;

	strcpy(dir, "/tmp/cpio-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(arc, sizeof(arc), "%s.cpio", dir);
	f = fopen(arc, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(c->data, 1, c->len, f), c->len);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "cpio -i --quiet -d --no-absolute-filenames -D %s < %s", dir, arc);
	assert_int_equal(system(cmd), 0);
	unlink(arc);
}

static void cleanup(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_gnu_cpio_reads_it(void **state)
{
	struct cpio_buf c;
	char dir[64], path[128], got[64] = { 0 };
	struct stat st;
	FILE *f;

	(void)state;
	cpio_init(&c, 1 << 20, 1700000000u);
	assert_int_equal(cpio_add_dir(&c, "airlock", 0700), 0);
	assert_int_equal(cpio_add_dir(&c, "airlock/luks", 0700), 0);
	assert_int_equal(cpio_add_file(&c, "airlock/VERSION", 0400, "1\n", 2), 0);
	assert_int_equal(cpio_add_file(&c, "airlock/luks/data.key", 0400, "secret-key", 10), 0);
	assert_int_equal(cpio_add_file(&c, "airlock/empty", 0400, NULL, 0), 0);
	assert_int_equal(cpio_finish(&c), 0);
	assert_int_equal(c.len % 4u, 0);
	assert_int_equal(cpio_add_file(&c, "late", 0400, "x", 1), CPIO_E_DONE);
	unpack(&c, dir);

	snprintf(path, sizeof(path), "%s/airlock/luks/data.key", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got), f), 10);
	fclose(f);
	assert_string_equal(got, "secret-key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_size, 10);
	snprintf(path, sizeof(path), "%s/airlock/luks", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/airlock/empty", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	cleanup(dir);
	cpio_free(&c);
}

/* Header fields as the kernel's gen_init_cpio writes them, for a fixed input. */
static void test_exact_bytes(void **state)
{
	/* magic ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check */
	static const char want[] =
		"070701" "00000001" "000081A4" "00000000" "00000000" "00000001" "00000001"
		"00000003" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
		"a\0" "xyz\0"
		"070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
		"00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
		"TRAILER!!!\0\0\0\0";
	struct cpio_buf c;

	(void)state;
	cpio_init(&c, 4096, 1);
	assert_int_equal(cpio_add_file(&c, "a", 0644, "xyz", 3), 0);
	assert_int_equal(cpio_finish(&c), 0);
	assert_int_equal(c.len, sizeof(want) - 1u);
	assert_memory_equal(c.data, want, c.len);
	cpio_free(&c);
}

static void test_rejects_bad_names(void **state)
{
	static const char *const bad[] = { "", "/abs", "a/../b", "..", ".", "a//b", "a/", "./a" };
	struct cpio_buf c;
	char longname[CPIO_NAME_MAX + 2];
	size_t i;

	(void)state;
	cpio_init(&c, 4096, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cpio_add_file(&c, bad[i], 0400, "x", 1), CPIO_E_NAME);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(cpio_add_dir(&c, longname, 0700), CPIO_E_NAME);
	assert_int_equal(c.len, 0);
	cpio_free(&c);
}

static void test_cap_is_enforced(void **state)
{
	struct cpio_buf c;
	static char big[300];

	(void)state;
	cpio_init(&c, 400, 0);
	assert_int_equal(cpio_add_file(&c, "big", 0400, big, sizeof(big)), CPIO_E_SPACE);
	assert_int_equal(cpio_add_file(&c, "small", 0400, big, 100), 0);
	/* 116 + 100 used; the trailer (124) still fits, a second file does not. */
	assert_int_equal(cpio_add_file(&c, "more", 0400, big, 100), CPIO_E_SPACE);
	assert_int_equal(cpio_finish(&c), 0);
	assert_true(c.len <= 400);
	cpio_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gnu_cpio_reads_it),
		cmocka_unit_test(test_exact_bytes),
		cmocka_unit_test(test_rejects_bad_names),
		cmocka_unit_test(test_cap_is_enforced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/file_read.c: the bound at exactly max and max + 1,
 * files that grow past the first allocation, pseudo-files whose st_size is 0,
 * and every refusal (missing, directory, FIFO, a limit that is no size).
 */
#include <errno.h>
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

#include "file_read.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/file-read-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(fputc((int)(i * 7 % 251), f), EOF);
	assert_int_equal(fclose(f), 0);
}

static void check_bytes(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(b[i], (uint8_t)(i * 7 % 251));
	assert_int_equal(b[n], 0);
}

static void test_bounds(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, 65534, 65535, 65536, 65537, 200000 };
	char path[128], err[256];
	uint8_t *b;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		write_file(path, n);
		/* Exactly max: read whole, NUL after it. */
		b = file_read(path, n, &len, err, sizeof(err));
		assert_non_null(b);
		assert_int_equal(len, n);
		check_bytes(b, n);
		free(b);
		/* A generous max, through every growth step. */
		b = file_read(path, 1u << 20, &len, err, sizeof(err));
		assert_non_null(b);
		assert_int_equal(len, n);
		check_bytes(b, n);
		free(b);
		if (n == 0)
			continue;
		/* One byte over: refused, says so, errno EFBIG. */
		errno = 0;
		len = 77;
		assert_null(file_read(path, n - 1, &len, err, sizeof(err)));
		assert_int_equal(errno, EFBIG);
		assert_int_equal(len, 0);
		assert_non_null(strstr(err, "longer than"));
		assert_non_null(strstr(err, path));
	}
}

static void test_pseudo_file(void **state)
{
	char err[256];
	uint8_t *b;
	size_t len;
	struct stat st;

	(void)state;
	/* procfs says st_size 0; the reader must not believe it. */
	assert_int_equal(stat("/proc/self/status", &st), 0);
	assert_int_equal(st.st_size, 0);
	b = file_read("/proc/self/status", 1u << 20, &len, err, sizeof(err));
	assert_non_null(b);
	assert_true(len > 0);
	assert_non_null(strstr((char *)b, "Name:"));
	free(b);
	/* And its bound holds there too. */
	errno = 0;
	assert_null(file_read("/proc/self/status", 10, &len, err, sizeof(err)));
	assert_int_equal(errno, EFBIG);
}

static void test_refusals(void **state)
{
	char path[128], err[256];
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	assert_null(file_read(path, 100, &len, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, path));
	errno = 0;
	assert_null(file_read(dir, 100, &len, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* A FIFO would block a reader that did not check: refused at once. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	errno = 0;
	assert_null(file_read(path, 100, &len, NULL, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(file_read("/proc/self/status", SIZE_MAX, &len, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_pseudo_file),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

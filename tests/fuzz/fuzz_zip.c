/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/zip.c.
 *
 * Properties checked on every input:
 *  - the reader stays inside the len bytes it is given (the copy has no slack, ASan watches);
 *  - every result is ZIP_OK or one of the ZIP_E_* codes, and a failure leaves a non-empty,
 *    NUL-terminated message;
 *  - zip_list (structure only) and zip_check (structure and data) agree: a structural refusal
 *    has the same code in both, and an accepted archive lists exactly st.entries entries, each
 *    within the limits;
 *  - an archive zip_check accepts is extracted by zip_extract into a scratch directory (wiped
 *    after each input) with the same statistics, every created entry a plain file (0600) or
 *    directory (0700), and no more bytes on disk than the limits allow.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zip.h"

static const struct zip_limits lim = { 64, 1 << 20, 4 << 20 };
static char base[] = "/tmp/fuzz_zip.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_base(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void check_err(int rc, const char *err, size_t errlen)
{
	if (rc > 0 || rc < ZIP_E_NOMEM)
		abort();
	if (strnlen(err, errlen) == errlen)
		abort();
	if (rc != ZIP_OK && err[0] == '\0')
		abort();
}

struct count {
	size_t n;
	uint64_t total;
};

static int count_entry(const struct zip_entry *e, void *ctx)
{
	struct count *c = ctx;

	if (e->index != c->n || strlen(e->name) != e->name_len || e->size > lim.max_file_size ||
	    (e->is_dir && e->size != 0) || (e->method != 0 && e->method != 8))
		abort();
	c->n++;
	c->total += e->size;
	return 0;
}

/* Walks what zip_extract created: only 0600 files and 0700 directories; returns the bytes. */
static uint64_t walk(int dirfd, size_t *nodes)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	uint64_t bytes = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			abort();
		(*nodes)++;
		if (S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600) {
			bytes += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				abort();
			bytes += walk(sub, nodes);
			close(sub);
		} else {
			abort();
		}
	}
	closedir(d);
	return bytes;
}

static void extract(const uint8_t *zip, size_t len, const struct zip_stats *want)
{
	static int ready;
	char dir[sizeof(base) + 4], err[256];
	struct zip_stats st;
	size_t nodes = 0;
	int fd, rc;

	if (!ready) {
		umask(022);
		if (mkdtemp(base) == NULL)
			abort();
		atexit(rm_base);
		ready = 1;
	}
	snprintf(dir, sizeof(dir), "%s/x", base);
	if (mkdir(dir, 0700) != 0)
		abort();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	rc = zip_extract(zip, len, fd, &lim, &st, err, sizeof(err));
	check_err(rc, err, sizeof(err));
	if (rc != ZIP_OK || memcmp(&st, want, sizeof(st)) != 0)
		abort();
	if (walk(fd, &nodes) != st.total_size || nodes < st.entries)
		abort();
	close(fd);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], err2[256];
	struct zip_stats st;
	struct count c = { 0 };
	uint8_t *buf;
	int rc, rl;

	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);

	memset(err, 'x', sizeof(err));
	rc = zip_check(buf, size, &lim, &st, err, sizeof(err));
	check_err(rc, err, sizeof(err));
	memset(err2, 'x', sizeof(err2));
	rl = zip_list(buf, size, &lim, count_entry, &c, err2, sizeof(err2));
	check_err(rl, err2, sizeof(err2));

	if (rc == ZIP_OK) {
		if (rl != ZIP_OK || c.n != st.entries || st.files + st.dirs != st.entries ||
		    c.total != st.total_size || st.total_size > lim.max_total_size)
			abort();
		extract(buf, size, &st);
	} else if (rl != ZIP_OK) {
		/* Refused on structure: both say the same. */
		if (rl != rc || strcmp(err, err2) != 0)
			abort();
	} else if (rc != ZIP_E_DATA && rc != ZIP_E_CRC && rc != ZIP_E_NOMEM) {
		abort(); /* the structure passed, so only the data may be wrong */
	}
	free(buf);
	return 0;
}

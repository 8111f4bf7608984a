/* SPDX-License-Identifier: GPL-2.0-only */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "file_read.h"
#include "lib_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First allocation when st_size says nothing (pseudo-files). */
#define FILE_READ_CHUNK 65536u

/* Move to a larger block without leaving the old one's bytes in freed memory. */
static uint8_t *grow(uint8_t *old, size_t used, size_t cap)
{
	uint8_t *b = malloc(cap);

	if (b && used)
		memcpy(b, old, used);
	if (old) {
		explicit_bzero(old, used);
		free(old);
	}
	return b;
}

uint8_t *file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *b = NULL;
	size_t cap = 0, got = 0;
	int fd = -1, e = 0;

	*len = 0;
	if (max >= SIZE_MAX - 1) {
		e = EINVAL;
		lib_err(err, errlen, "%s: read limit %zu is not a size", path, max);
		goto out;
	}
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		e = errno;
		lib_err(err, errlen, "%s: %s", path, strerror(e));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		lib_err(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Room for max bytes, one more to see that there are more, and the NUL. */
	cap = st.st_size > 0 && (uint64_t)st.st_size < max ? (size_t)st.st_size + 2 :
	      max + 2 < FILE_READ_CHUNK ? max + 2 : FILE_READ_CHUNK;
	b = malloc(cap);
	if (!b)
		goto nomem;
	for (;;) {
		ssize_t r;

		if (got == cap - 1) {
			size_t want;

			if (got > max)
				break;
			want = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			b = grow(b, got, want);
			if (!b)
				goto nomem;
			cap = want;
		}
		r = read(fd, b + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			lib_err(err, errlen, "%s: read: %s", path, strerror(e));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > max) {
		e = EFBIG;
		lib_err(err, errlen, "%s: longer than %zu bytes", path, max);
		goto out;
	}
	b[got] = '\0';
	*len = got;
	goto out;
nomem:
	e = ENOMEM;
	got = 0;
	lib_err(err, errlen, "%s: out of memory", path);
out:
	if (fd >= 0)
		close(fd);
	if (e && b) {
		explicit_bzero(b, got); /* a partly read key file */
		free(b);
		b = NULL;
	}
	if (e)
		errno = e;
	return b;
}

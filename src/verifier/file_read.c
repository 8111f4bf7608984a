/* SPDX-License-Identifier: GPL-2.0-only */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t *file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *b = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno) :
				 !S_ISREG(st.st_mode) ? "not a regular file" : "too large");
		goto fail;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r <= 0) {
			if (err && errlen)
				snprintf(err, errlen, "%s: read failed", path);
			goto fail;
		}
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*len = got;
	return b;
fail:
	if (fd >= 0)
		close(fd);
	if (b)
		explicit_bzero(b, got); /* a partly read key file */
	free(b);
	return NULL;
}

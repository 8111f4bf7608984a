/* SPDX-License-Identifier: GPL-2.0-only */
#include "read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

uint8_t *read_file(const char *path, size_t max, size_t *len, bool *too_big)
{
	uint8_t *buf = NULL, *grown;
	size_t alloc = 0, got = 0;
	ssize_t n;
	int fd;

	*too_big = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (got == alloc) {
			if (alloc >= max + 1u) {
				*too_big = true;
				goto fail;
			}
			alloc = alloc ? alloc * 2u : 65536u;
			if (alloc > max + 1u)
				alloc = max + 1u;
			grown = realloc(buf, alloc);
			if (!grown)
				goto fail;
			buf = grown;
		}
		n = read(fd, buf + got, alloc - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		*too_big = true;
		goto fail;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "cpio_newc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NEWC_HDR_LEN 110u

void cpio_init(struct cpio_buf *c, size_t cap, uint32_t mtime)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->mtime = mtime;
}

void cpio_free(struct cpio_buf *c)
{
	if (c->data) {
		explicit_bzero(c->data, c->alloc);
		free(c->data);
	}
	memset(c, 0, sizeof(*c));
}

const char *cpio_strerror(int err)
{
	switch (err) {
	case CPIO_E_SPACE: return "archive would exceed its size cap";
	case CPIO_E_NAME: return "invalid name (empty, absolute, '.'/'..'/empty component, or too long)";
	case CPIO_E_NOMEM: return "out of memory";
	case CPIO_E_DONE: return "archive already finished";
	case CPIO_E_SIZE: return "file too large for newc (4 GiB - 1 at most)";
	default: return "unknown error";
	}
}

/* Names are relative paths like the kernel's own archives: "airlock/luks/x.key". */
static int name_ok(const char *name)
{
	size_t len = strnlen(name, CPIO_NAME_MAX + 1u);
	const char *p = name, *slash;

	if (len == 0u || len > CPIO_NAME_MAX || name[0] == '/')
		return 0;
	for (;;) {
		size_t clen;

		slash = strchr(p, '/');
		clen = slash ? (size_t)(slash - p) : strlen(p);
		if (clen == 0u || (clen == 1u && p[0] == '.') ||
		    (clen == 2u && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

static int reserve(struct cpio_buf *c, size_t n)
{
	size_t want, grow;
	uint8_t *p;

	if (n > c->cap - c->len)
		return CPIO_E_SPACE;
	want = c->len + n;
	if (want <= c->alloc)
		return 0;
	grow = c->alloc ? c->alloc : 4096u;
	while (grow < want)
		grow = grow > c->cap / 2u ? c->cap : grow * 2u;
	/* realloc would leave a copy of earlier (secret) bytes behind in freed memory. */
	p = malloc(grow);
	if (!p)
		return CPIO_E_NOMEM;
	if (c->data) {
		memcpy(p, c->data, c->len);
		explicit_bzero(c->data, c->alloc);
		free(c->data);
	}
	c->data = p;
	c->alloc = grow;
	return 0;
}

static size_t pad4(size_t n)
{
	return (4u - (n & 3u)) & 3u;
}

static int add(struct cpio_buf *c, const char *name, uint32_t mode, const void *data,
	       size_t len, uint32_t nlink)
{
	size_t namesize, need;
	char hdr[NEWC_HDR_LEN + 1u];
	int rc;

	if (c->finished)
		return CPIO_E_DONE;
	if (!name_ok(name))
		return CPIO_E_NAME;
	if (len > 0xffffffffu)
		return CPIO_E_SIZE;
	namesize = strlen(name) + 1u;
	need = NEWC_HDR_LEN + namesize + pad4(NEWC_HDR_LEN + namesize) + len + pad4(len);
	rc = reserve(c, need);
	if (rc != 0)
		return rc;
	c->ino++;
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 (unsigned)c->ino, (unsigned)mode, 0u, 0u, (unsigned)nlink, (unsigned)c->mtime,
		 (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)namesize, 0u);
	memcpy(c->data + c->len, hdr, NEWC_HDR_LEN);
	c->len += NEWC_HDR_LEN;
	memcpy(c->data + c->len, name, namesize);
	c->len += namesize;
	memset(c->data + c->len, 0, pad4(NEWC_HDR_LEN + namesize));
	c->len += pad4(NEWC_HDR_LEN + namesize);
	if (len)
		memcpy(c->data + c->len, data, len);
	c->len += len;
	memset(c->data + c->len, 0, pad4(len));
	c->len += pad4(len);
	return 0;
}

int cpio_add_dir(struct cpio_buf *c, const char *name, uint32_t mode)
{
	return add(c, name, S_IFDIR | (mode & 07777u), NULL, 0, 2);
}

int cpio_add_file(struct cpio_buf *c, const char *name, uint32_t mode, const void *data,
		  size_t len)
{
	return add(c, name, S_IFREG | (mode & 07777u), data, len, 1);
}

int cpio_finish(struct cpio_buf *c)
{
	int rc;

	if (c->finished)
		return CPIO_E_DONE;
	/* The trailer has inode 0 and mode 0, as every cpio writer emits it. */
	rc = reserve(c, NEWC_HDR_LEN + 11u + pad4(NEWC_HDR_LEN + 11u));
	if (rc != 0)
		return rc;
	snprintf((char *)c->data + c->len, NEWC_HDR_LEN + 1u,
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 0u, 0u, 0u, 0u, 1u,
		 0u, 0u, 0u, 0u, 0u, 0u, 11u, 0u);
	c->len += NEWC_HDR_LEN;
	memcpy(c->data + c->len, "TRAILER!!!", 11u);
	c->len += 11u;
	memset(c->data + c->len, 0, pad4(NEWC_HDR_LEN + 11u));
	c->len += pad4(NEWC_HDR_LEN + 11u);
	c->finished = 1;
	return 0;
}

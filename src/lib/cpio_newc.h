/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small in-memory writer of "newc" cpio archives (the format the kernel unpacks
 * from an initrd). The agent builds the handoff archive with it: a few key files,
 * the IPsec tree and the event logs, appended to the tenant's initrd.
 *
 * Deterministic: inode numbers count from 1, mtime is what the caller gives, owner
 * root. The buffer grows up to a fixed cap and never beyond it.
 */
#ifndef AIRLOCK_LIB_CPIO_NEWC_H
#define AIRLOCK_LIB_CPIO_NEWC_H

#include <stddef.h>
#include <stdint.h>

enum {
	CPIO_E_SPACE = -1, /* archive would exceed its cap */
	CPIO_E_NAME = -2,  /* empty, absolute, too long, or with a "." / ".." / empty component */
	CPIO_E_NOMEM = -3,
	CPIO_E_DONE = -4,  /* already finished with the trailer */
	CPIO_E_SIZE = -5,  /* file larger than 4 GiB - 1 */
};

#define CPIO_NAME_MAX 1024

struct cpio_buf {
	uint8_t *data;
	size_t len, alloc, cap;
	uint32_t ino;
	uint32_t mtime;
	int finished;
};

/* cap: most bytes the archive may take, trailer included. */
void cpio_init(struct cpio_buf *c, size_t cap, uint32_t mtime);
/* Wipes the contents (they may be keys) and frees them. */
void cpio_free(struct cpio_buf *c);

/* mode: permission bits only (0..07777); the type comes from the function. */
int cpio_add_dir(struct cpio_buf *c, const char *name, uint32_t mode);
int cpio_add_file(struct cpio_buf *c, const char *name, uint32_t mode, const void *data,
		  size_t len);
/* Appends the TRAILER!!! record; after it nothing can be added. */
int cpio_finish(struct cpio_buf *c);

const char *cpio_strerror(int err);

#endif

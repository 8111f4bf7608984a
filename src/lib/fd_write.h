/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one "write it all" loop: a write(2) may take only part of a buffer (a
 * pipe, a console, a signal), and a partial file or log line is a silent
 * corruption. Used by every program for files, logs and archives.
 */
#ifndef AIRLOCK_FD_WRITE_H
#define AIRLOCK_FD_WRITE_H

#include <stddef.h>

/* All len bytes of buf to fd, retrying on EINTR. 0, or -1 with errno (EIO when
   write made no progress). */
int fd_write_all(int fd, const void *buf, size_t len);

#endif

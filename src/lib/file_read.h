/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one whole-file reader: payload parts, policies, certificates, key
 * files, event logs. Reads until EOF and never trusts st_size (securityfs and
 * sysfs report 0); bounded by the caller's max, so an endless or huge file
 * costs at most max + 1 bytes.
 */
#ifndef AIRLOCK_FILE_READ_H
#define AIRLOCK_FILE_READ_H

#include <stddef.h>
#include <stdint.h>

/*
 * The regular file at path, at most max bytes, malloc'd with a NUL after it
 * (not counted in *len); the caller frees it (and wipes it first if it holds
 * a secret: a failed or grown read leaves no copy behind). NULL on failure,
 * with err (may be NULL) saying what failed with which file, and errno:
 * EFBIG when the file is longer than max, EINVAL when it is not a regular
 * file, ENOMEM, or what open/fstat/read said.
 */
uint8_t *file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* The verifier's one whole-file reader (payload parts, policies, build output). */
#ifndef AIRLOCK_VERIFIER_FILE_READ_H
#define AIRLOCK_VERIFIER_FILE_READ_H

#include <stddef.h>
#include <stdint.h>

/*
 * A regular file of at most max bytes, malloc'd with a NUL after it (not
 * counted in *len). NULL on failure with err (may be NULL) saying why. The
 * caller wipes the buffer if it holds a secret.
 */
uint8_t *file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif

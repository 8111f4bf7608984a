/* SPDX-License-Identifier: GPL-2.0-only */
/* Whole small files for the agent: event logs, certificates. */
#ifndef AIRLOCK_AGENT_READ_FILE_H
#define AIRLOCK_AGENT_READ_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The whole file at path, read until EOF without trusting st_size (securityfs
 * and sysfs report 0), up to max bytes; NULL if it cannot be opened or read,
 * or (with *too_big set) if it is longer than max. The caller frees it.
 */
uint8_t *read_file(const char *path, size_t max, size_t *len, bool *too_big);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a pending V rests: one file per node, STATE/pending-v/UUID (mode
 * 0600, directory 0700), from `node add` until the node's agent took it.
 * Then the file is overwritten with zeros, synced and unlinked, so V is in no
 * file of the state directory once released (a database page would linger in
 * SQLite's write-ahead log until a checkpoint). Put the state directory on an
 * encrypted disk or a tmpfs: a file system may keep old blocks (docs/verifier.md,
 * "Where secrets rest").
 *
 * A V belongs to one enrolment, the node's generation it was made for: the
 * file holds V and that generation, so a round of an older enrolment never
 * reads (or wipes) the V of a newer one. Files of the release before (V
 * alone) stand for any generation.
 */
#ifndef AIRLOCK_VERIFIER_VKEY_FILE_H
#define AIRLOCK_VERIFIER_VKEY_FILE_H

#include <stddef.h>
#include <stdint.h>

#define VKEY_DIR "pending-v"
#define VKEY_LEN 32

/* Writes (replacing) V of uuid's enrolment gen, synced. 0, or -1 with err. */
int vkey_put(const char *state_dir, const char *uuid, int64_t gen, const uint8_t v[VKEY_LEN],
	     char *err, size_t errlen);
/* 1 and v filled, 0 when there is none for gen, -1 with err. */
int vkey_get(const char *state_dir, const char *uuid, int64_t gen, uint8_t v[VKEY_LEN],
	     char *err, size_t errlen);
/* Overwrites, syncs and removes uuid's V of gen (any, gen < 0); 0 also when there was none. */
int vkey_wipe(const char *state_dir, const char *uuid, int64_t gen, char *err, size_t errlen);

#endif

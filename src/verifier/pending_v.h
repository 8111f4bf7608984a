/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a node's pending V rests between `node add` and its release, for
 * either database:
 *   SQLite      a file of the state directory (vkey_file.h); V never enters
 *               the database.
 *   PostgreSQL  the database's pending_v table, sealed (AES-256-GCM, the
 *               node's uuid bound in) under STATE/v-seal.key, a key that
 *               never enters the database: every instance that shares the
 *               database must have the same key file (copy it), and the
 *               database alone (a dump, a replica, its operator) does not
 *               give V away. Several instances on several hosts reach every
 *               pending V this way, which a file on one host would not give.
 */
#ifndef AIRLOCK_VERIFIER_PENDING_V_H
#define AIRLOCK_VERIFIER_PENDING_V_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "vkey_file.h"

#define PENDING_V_KEY_FILE "v-seal.key"
/* nonce (12) || sealed V (32) || tag (16) */
#define PENDING_V_SEALED_LEN (12 + VKEY_LEN + 16)

/*
 * A V belongs to one enrolment: the node's generation gen it was made for.
 * Puts (replacing) uuid's V. 0, or -1 with err.
 */
int pending_v_put(struct store *s, const char *uuid, int64_t gen, const uint8_t v[VKEY_LEN],
		  char *err, size_t errlen);
/*
 * 1 with v filled, 0 when there is none for gen (another enrolment's is not
 * given), -1 with err (a key that does not open it included).
 */
int pending_v_get(struct store *s, const char *uuid, int64_t gen, uint8_t v[VKEY_LEN], char *err,
		  size_t errlen);
/* Removes uuid's V of gen (gen < 0: whichever), wiped; 0 also when there was none. */
int pending_v_wipe(struct store *s, const char *uuid, int64_t gen, char *err, size_t errlen);

/*
 * Sealing alone (unit-tested): out = nonce || AES-256-GCM(key, v) || tag, the
 * node's uuid and the enrolment's generation bound in as associated data.
 */
int pending_v_seal(const uint8_t key[32], const char *uuid, int64_t gen,
		   const uint8_t v[VKEY_LEN], uint8_t out[PENDING_V_SEALED_LEN], char *err,
		   size_t errlen);
int pending_v_open(const uint8_t key[32], const char *uuid, int64_t gen, const uint8_t *in,
		   size_t n, uint8_t v[VKEY_LEN], char *err, size_t errlen);

#endif

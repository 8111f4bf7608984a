/* SPDX-License-Identifier: GPL-2.0-only */
/* The state database's numbered schema steps (store_migrate.c). */
#ifndef AIRLOCK_VERIFIER_STORE_MIGRATE_H
#define AIRLOCK_VERIFIER_STORE_MIGRATE_H

#include <stddef.h>

#include "store.h"

/* Brings s's database to STORE_SCHEMA_VERSION, or refuses a newer one. 0 or -1 with err. */
int store_migrate(struct store *s, char *err, size_t errlen);

#endif

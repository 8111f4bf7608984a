/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Keylime agent API versions: a contract between the agent (which serves
 * them) and the verifier (which picks one from an agent's list). One list, so
 * a version added on one side is added on both.
 *
 * 2.6 changes only the qualifying data of an IAK-certified AK at registration
 * (../shared/keylime-protocol.md); airlock registers no IAK, so its 2.6 is its
 * 2.5. Oldest first: the last one is the newest, what the agent advertises as
 * supported_version.
 */
#ifndef AIRLOCK_KEYLIME_API_H
#define AIRLOCK_KEYLIME_API_H

#include <stddef.h>

extern const char *const keylime_api_versions[];
extern const size_t keylime_api_nversions;

/* The registrar API version the agent registers with (every Keylime registrar serves it). */
#define KEYLIME_API_REGISTER "2.1"

#endif

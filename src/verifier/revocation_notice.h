/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The body of Keylime's POST notifications/revocation for a failed node:
 * {"msg": "<JSON text>", "signature": "<base64>"}. msg holds Keylime's
 * fields (type, ip, agent_id, port, meta_data, event_time) and ours
 * (reason); the signature is revocation_sig's over msg's exact bytes with
 * the verifier's revocation key.
 */
#ifndef AIRLOCK_VERIFIER_REVOCATION_NOTICE_H
#define AIRLOCK_VERIFIER_REVOCATION_NOTICE_H

#include <stddef.h>

#include "revocation_key.h"
#include "store.h"

/* Reasons are cut to this many characters, anything unprintable replaced. */
#define REVOCATION_REASON_MAX 240

/* malloc'd NUL-terminated body, or NULL with err. */
char *revocation_notice(const struct store_node *failed, const char *reason,
			const struct revkey *rk, struct kc_rng *rng, char *err, size_t errlen);

#endif

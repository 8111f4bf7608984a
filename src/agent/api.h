/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Keylime agent API (pull mode, v2.1 to v2.5) over the agent's state:
 * /version, quotes/identity, quotes/integrity, keys/ukey, keys/vkey,
 * keys/verify, keys/pubkey, agent/info, notifications/revocation.
 * Every answer is Keylime's envelope {"code", "status", "results"}; malformed
 * input gets a 4xx whose "status" says what was wrong.
 */
#ifndef AIRLOCK_AGENT_API_H
#define AIRLOCK_AGENT_API_H

#include <stddef.h>

#include "agent.h"
#include "http.h"

struct api_answer {
	int status;
	char *body; /* malloc'd JSON; the caller frees */
	size_t len;
};

/* Largest request body: a U with a base64 payload of airlock.payload_max bytes. */
size_t api_body_max(const struct agent *a);

void api_handle(struct agent *a, const struct http_request *req, struct api_answer *ans);

/* Called by the main loop after each request: has a key been derived just now? */
int api_key_ready(const struct agent *a);

#endif

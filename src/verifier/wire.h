/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small pieces of Keylime's wire format the verifier's roles share: the
 * {"code","status","results"} envelope, base64 of a buffer, random
 * alphanumeric nonces and secrets.
 */
#ifndef AIRLOCK_VERIFIER_WIRE_H
#define AIRLOCK_VERIFIER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "http_server.h"
#include "keylime_crypto.h"

/* Answer with the Keylime envelope; takes ownership of results (may be NULL). */
int wire_reply(struct http_reply *r, int status, const char *why, cJSON *results);

/* Decode a base64 JSON string member into out (at most cap bytes). */
int wire_unb64(const cJSON *item, uint8_t *out, size_t cap, size_t *len);

/* n random characters of [A-Za-z0-9] and a NUL (no modulo bias). */
int wire_alnum(struct kc_rng *rng, char *out, size_t n);

#endif

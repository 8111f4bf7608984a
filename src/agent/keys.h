/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's half of Keylime's bootstrap key: the tenant sends U (with an
 * auth_tag and usually the encrypted payload), the verifier sends V once a quote
 * passed, and K = U xor V is the key whose HMAC over the agent uuid equals the
 * auth_tag. Several U and V may arrive (retries, or someone else's noise); every
 * pair is tried until one combines. A new U after K is known starts over
 * (the tenant enrolled the node again).
 *
 * Bounded: a fixed number of slots each, oldest replaced first, and the payloads
 * are capped by the caller (airlock.payload_max). All key material is wiped when
 * replaced or freed.
 */
#ifndef AIRLOCK_AGENT_KEYS_H
#define AIRLOCK_AGENT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keylime_crypto.h"

#define KEYS_SLOTS 4
#define KEYS_UUID_MAX 64

struct keys_u {
	uint8_t u[KC_KEY_LEN];
	char auth_tag[KC_TAG_HEX_LEN + 1];
	uint8_t *payload; /* encrypted, as received (base64-decoded); NULL: none */
	size_t payload_len;
};

struct agent_keys {
	char uuid[KEYS_UUID_MAX + 1];
	struct keys_u us[KEYS_SLOTS];
	unsigned nu, next_u;
	uint8_t vs[KEYS_SLOTS][KC_KEY_LEN];
	unsigned nv, next_v;
	bool have_k;
	uint8_t k[KC_KEY_LEN];
	uint8_t v_used[KC_KEY_LEN]; /* the V that made k: a repeat of it is not an error */
	unsigned k_slot; /* the U slot whose tag matched */
};

void keys_init(struct agent_keys *ks, const char *uuid);
/* Wipes every key and payload and frees the payloads. */
void keys_free(struct agent_keys *ks);

#define KEYS_REPLACED 1 /* keys_add_u: accepted; a derived key (and its payload) is gone */
#define KEYS_ALREADY 2  /* keys_add_v: the V that made the derived key, again */

/*
 * Store one U with its auth_tag (96 hex characters) and optional payload, whose
 * ownership passes to ks (even on failure). Returns 0, KEYS_REPLACED when K was
 * known (a tenant enrolling the node again, as rust-keylime allows: K, every
 * half and the old payload are wiped and the new U waits for its V), or -1 on
 * a malformed tag.
 */
int keys_add_u(struct agent_keys *ks, const uint8_t u[KC_KEY_LEN], const char *auth_tag,
	       size_t tag_len, uint8_t *payload, size_t payload_len, char *err, size_t errlen);
/*
 * Store one V. Once K is known: KEYS_ALREADY for the V that made it (a
 * verifier retrying a delivery it did not see answered), -1 for any other.
 */
int keys_add_v(struct agent_keys *ks, const uint8_t v[KC_KEY_LEN], char *err, size_t errlen);

/* Try every U with every V; true once K is known (then ks->k and ks->k_slot are set). */
bool keys_try_combine(struct agent_keys *ks);

/*
 * Decrypt the payload that came with the matching U into a new buffer (capped by
 * the ciphertext's size). Returns 0 with *out (caller wipes and frees) or
 * *out == NULL when that U came without a payload; KC_ERR_AUTH on a bad GCM tag.
 */
int keys_decrypt_payload(struct agent_keys *ks, uint8_t **out, size_t *outlen, char *err,
			 size_t errlen);

#endif

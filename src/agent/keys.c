/* SPDX-License-Identifier: GPL-2.0-only */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/constant_time.h>

static void wipe_u(struct keys_u *s)
{
	if (s->payload) {
		explicit_bzero(s->payload, s->payload_len);
		free(s->payload);
	}
	explicit_bzero(s, sizeof(*s));
}

void keys_init(struct agent_keys *ks, const char *uuid)
{
	memset(ks, 0, sizeof(*ks));
	snprintf(ks->uuid, sizeof(ks->uuid), "%s", uuid);
}

void keys_free(struct agent_keys *ks)
{
	unsigned i;

	for (i = 0; i < KEYS_SLOTS; i++)
		wipe_u(&ks->us[i]);
	explicit_bzero(ks, sizeof(*ks));
}

/* Forget a derived key and every half: a new U starts a new pair. */
static void drop_derived(struct agent_keys *ks)
{
	for (unsigned i = 0; i < KEYS_SLOTS; i++)
		wipe_u(&ks->us[i]);
	explicit_bzero(ks->vs, sizeof(ks->vs));
	explicit_bzero(ks->k, sizeof(ks->k));
	explicit_bzero(ks->v_used, sizeof(ks->v_used));
	ks->nu = ks->next_u = ks->nv = ks->next_v = ks->k_slot = 0;
	ks->have_k = false;
}

int keys_add_u(struct agent_keys *ks, const uint8_t u[KC_KEY_LEN], const char *auth_tag,
	       size_t tag_len, uint8_t *payload, size_t payload_len, char *err, size_t errlen)
{
	struct keys_u *s;
	size_t i;
	int ret = 0;

	if (tag_len != KC_TAG_HEX_LEN) {
		snprintf(err, errlen, "auth_tag must be %d hex characters, got %zu", KC_TAG_HEX_LEN,
			 tag_len);
		goto fail;
	}
	for (i = 0; i < tag_len; i++) {
		char c = auth_tag[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			snprintf(err, errlen, "auth_tag has a non-hex character at %zu", i);
			goto fail;
		}
	}
	/* A tenant that enrols the node again sends a new U: it replaces the derived key. */
	if (ks->have_k) {
		drop_derived(ks);
		ret = KEYS_REPLACED;
	}
	s = &ks->us[ks->next_u];
	wipe_u(s);
	memcpy(s->u, u, KC_KEY_LEN);
	memcpy(s->auth_tag, auth_tag, tag_len);
	s->auth_tag[tag_len] = '\0';
	s->payload = payload;
	s->payload_len = payload_len;
	ks->next_u = (ks->next_u + 1u) % KEYS_SLOTS;
	if (ks->nu < KEYS_SLOTS)
		ks->nu++;
	return ret;
fail:
	if (payload) {
		explicit_bzero(payload, payload_len);
		free(payload);
	}
	return -1;
}

int keys_add_v(struct agent_keys *ks, const uint8_t v[KC_KEY_LEN], char *err, size_t errlen)
{
	if (ks->have_k) {
		/* A verifier that did not hear our answer sends the same V again. */
		if (mbedtls_ct_memcmp(v, ks->v_used, KC_KEY_LEN) == 0)
			return KEYS_ALREADY;
		snprintf(err, errlen, "the key is already derived with another V; a new key needs "
			 "a new U first");
		return -1;
	}
	memcpy(ks->vs[ks->next_v], v, KC_KEY_LEN);
	ks->next_v = (ks->next_v + 1u) % KEYS_SLOTS;
	if (ks->nv < KEYS_SLOTS)
		ks->nv++;
	return 0;
}

bool keys_try_combine(struct agent_keys *ks)
{
	uint8_t k[KC_KEY_LEN];
	unsigned i, j;

	if (ks->have_k)
		return true;
	for (i = 0; i < ks->nu; i++) {
		for (j = 0; j < ks->nv; j++) {
			kc_combine(ks->us[i].u, ks->vs[j], k);
			if (kc_auth_tag_matches(k, sizeof(k), (const uint8_t *)ks->uuid,
						strlen(ks->uuid), ks->us[i].auth_tag,
						KC_TAG_HEX_LEN)) {
				memcpy(ks->k, k, sizeof(k));
				memcpy(ks->v_used, ks->vs[j], sizeof(ks->v_used));
				ks->have_k = true;
				ks->k_slot = i;
				goto out;
			}
		}
	}
out:
	explicit_bzero(k, sizeof(k));
	if (ks->have_k) {
		/* The other halves are of no further use; do not keep them around. */
		for (i = 0; i < KEYS_SLOTS; i++)
			if (i != ks->k_slot)
				wipe_u(&ks->us[i]);
		explicit_bzero(ks->vs, sizeof(ks->vs));
	}
	return ks->have_k;
}

int keys_decrypt_payload(struct agent_keys *ks, uint8_t **out, size_t *outlen, char *err,
			 size_t errlen)
{
	struct keys_u *s;
	uint8_t *buf;
	size_t cap;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!ks->have_k) {
		snprintf(err, errlen, "no key yet");
		return KC_ERR_INPUT;
	}
	s = &ks->us[ks->k_slot];
	if (!s->payload)
		return 0;
	if (s->payload_len < KC_PAYLOAD_OVERHEAD) {
		snprintf(err, errlen, "payload of %zu bytes is shorter than IV and tag",
			 s->payload_len);
		return KC_ERR_INPUT;
	}
	cap = s->payload_len - KC_PAYLOAD_OVERHEAD;
	buf = malloc(cap ? cap : 1u);
	if (!buf) {
		snprintf(err, errlen, "out of memory for a %zu-byte payload", cap);
		return KC_ERR_SPACE;
	}
	rc = kc_payload_decrypt(ks->k, s->payload, s->payload_len, buf, cap, outlen, err, errlen);
	if (rc != 0) {
		explicit_bzero(buf, cap);
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

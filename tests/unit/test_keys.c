/* SPDX-License-Identifier: GPL-2.0-only */
/* The agent's U/V store: which pairs combine, what is kept, what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

#define UUID "d432fbb3-d2f1-4a97-9ef7-75bd81c00000"

static struct kc_rng rng;

static void random_key(uint8_t k[KC_KEY_LEN])
{
	assert_int_equal(kc_rng_bytes(&rng, k, KC_KEY_LEN), 0);
}

/* A tenant's split: K random, U random, V = K xor U; tag = HMAC(K, uuid). */
static void split(uint8_t k[KC_KEY_LEN], uint8_t u[KC_KEY_LEN], uint8_t v[KC_KEY_LEN],
		  char tag[KC_TAG_HEX_LEN + 1])
{
	random_key(k);
	random_key(u);
	kc_combine(k, u, v);
	assert_int_equal(kc_auth_tag(k, KC_KEY_LEN, (const uint8_t *)UUID, strlen(UUID), tag), 0);
}

static uint8_t *encrypt(const uint8_t k[KC_KEY_LEN], const char *text, size_t *len)
{
	size_t cap = strlen(text) + KC_PAYLOAD_OVERHEAD;
	uint8_t *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(kc_payload_encrypt(k, &rng, (const uint8_t *)text, strlen(text), out, cap,
					    len, NULL, 0), 0);
	return out;
}

static void test_pair_found_among_noise(void **state)
{
	uint8_t k[KC_KEY_LEN], u[KC_KEY_LEN], v[KC_KEY_LEN], noise[KC_KEY_LEN], *pl, *out;
	char tag[KC_TAG_HEX_LEN + 1], err[160];
	struct agent_keys ks;
	size_t pl_len, out_len;

	(void)state;
	keys_init(&ks, UUID);
	split(k, u, v, tag);
	pl = encrypt(k, "zip bytes", &pl_len);
	random_key(noise);
	assert_int_equal(keys_add_v(&ks, noise, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, pl, pl_len, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), 0);
	assert_true(keys_try_combine(&ks));
	assert_memory_equal(ks.k, k, KC_KEY_LEN);
	assert_int_equal(keys_decrypt_payload(&ks, &out, &out_len, err, sizeof(err)), 0);
	assert_int_equal(out_len, strlen("zip bytes"));
	assert_memory_equal(out, "zip bytes", out_len);
	free(out);
	/* Once K is known: the same V again is no error (a retried delivery), another V is. */
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), KEYS_ALREADY);
	assert_int_equal(keys_add_v(&ks, noise, err, sizeof(err)), -1);
	assert_true(ks.have_k);
	assert_memory_equal(ks.k, k, KC_KEY_LEN);
	keys_free(&ks);
}

/* A tenant enrolling the node again: a new U replaces the derived key and its payload. */
static void test_new_pair_after_derivation(void **state)
{
	uint8_t k[KC_KEY_LEN], u[KC_KEY_LEN], v[KC_KEY_LEN], k2[KC_KEY_LEN], u2[KC_KEY_LEN],
		v2[KC_KEY_LEN], zero[KC_KEY_LEN] = { 0 }, *pl, *pl2, *out;
	char tag[KC_TAG_HEX_LEN + 1], tag2[KC_TAG_HEX_LEN + 1], err[160];
	struct agent_keys ks;
	size_t pl_len, pl2_len, out_len;

	(void)state;
	keys_init(&ks, UUID);
	split(k, u, v, tag);
	split(k2, u2, v2, tag2);
	pl = encrypt(k, "first payload", &pl_len);
	pl2 = encrypt(k2, "second payload", &pl2_len);
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, pl, pl_len, err, sizeof(err)), 0);
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), 0);
	assert_true(keys_try_combine(&ks));
	assert_int_equal(keys_add_u(&ks, u2, tag2, KC_TAG_HEX_LEN, pl2, pl2_len, err, sizeof(err)),
			 KEYS_REPLACED);
	/* The old key and its V are gone: the old V no longer completes anything. */
	assert_false(ks.have_k);
	assert_memory_equal(ks.k, zero, KC_KEY_LEN);
	assert_int_equal(ks.nu, 1);
	assert_int_equal(ks.nv, 0);
	assert_false(keys_try_combine(&ks));
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	assert_int_equal(keys_add_v(&ks, v2, err, sizeof(err)), 0);
	assert_true(keys_try_combine(&ks));
	assert_memory_equal(ks.k, k2, KC_KEY_LEN);
	assert_int_equal(keys_decrypt_payload(&ks, &out, &out_len, err, sizeof(err)), 0);
	assert_int_equal(out_len, strlen("second payload"));
	assert_memory_equal(out, "second payload", out_len);
	free(out);
	keys_free(&ks);
}

static void test_halves_that_do_not_combine(void **state)
{
	uint8_t k[KC_KEY_LEN], u[KC_KEY_LEN], v[KC_KEY_LEN], k2[KC_KEY_LEN], u2[KC_KEY_LEN],
		v2[KC_KEY_LEN];
	char tag[KC_TAG_HEX_LEN + 1], tag2[KC_TAG_HEX_LEN + 1], err[160];
	struct agent_keys ks;

	(void)state;
	keys_init(&ks, UUID);
	split(k, u, v, tag);
	split(k2, u2, v2, tag2);
	/* U of one split with V of another: its tag never matches. */
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(keys_add_v(&ks, v2, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	/* The right U with a wrong auth_tag: refused too. */
	assert_int_equal(keys_add_u(&ks, u2, tag, KC_TAG_HEX_LEN, NULL, 0, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	/* A tag for another uuid. */
	keys_free(&ks);
	keys_init(&ks, "another-agent");
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	keys_free(&ks);
}

static void test_malformed_tags(void **state)
{
	uint8_t u[KC_KEY_LEN] = { 0 }, *pl = malloc(8);
	char tag[KC_TAG_HEX_LEN + 1], err[160];
	struct agent_keys ks;

	(void)state;
	assert_non_null(pl);
	keys_init(&ks, UUID);
	memset(tag, 'a', KC_TAG_HEX_LEN);
	tag[KC_TAG_HEX_LEN] = '\0';
	/* Ownership of the payload passes even when refused (ASan checks the free). */
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN - 1, pl, 8, err, sizeof(err)), -1);
	tag[10] = 'g';
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, NULL, 0, err, sizeof(err)), -1);
	assert_int_equal(ks.nu, 0);
	keys_free(&ks);
}

static void test_oldest_slot_replaced(void **state)
{
	uint8_t k[KC_KEY_LEN], u[KC_KEY_LEN], v[KC_KEY_LEN], junk[KC_KEY_LEN];
	char tag[KC_TAG_HEX_LEN + 1], junktag[KC_TAG_HEX_LEN + 1], err[160];
	struct agent_keys ks;
	unsigned i;

	(void)state;
	keys_init(&ks, UUID);
	split(k, u, v, tag);
	memset(junktag, '0', KC_TAG_HEX_LEN);
	junktag[KC_TAG_HEX_LEN] = '\0';
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, NULL, 0, err, sizeof(err)), 0);
	/* KEYS_SLOTS more U push the real one out: memory stays bounded. */
	for (i = 0; i < KEYS_SLOTS; i++) {
		random_key(junk);
		assert_int_equal(keys_add_u(&ks, junk, junktag, KC_TAG_HEX_LEN, NULL, 0, err,
					    sizeof(err)), 0);
	}
	assert_int_equal(ks.nu, KEYS_SLOTS);
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), 0);
	assert_false(keys_try_combine(&ks));
	/* Sent again, it combines. */
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, NULL, 0, err, sizeof(err)), 0);
	assert_true(keys_try_combine(&ks));
	keys_free(&ks);
}

static void test_tampered_payload(void **state)
{
	uint8_t k[KC_KEY_LEN], u[KC_KEY_LEN], v[KC_KEY_LEN], *pl, *out;
	char tag[KC_TAG_HEX_LEN + 1], err[160];
	struct agent_keys ks;
	size_t pl_len, out_len;

	(void)state;
	keys_init(&ks, UUID);
	split(k, u, v, tag);
	pl = encrypt(k, "kernel and keys", &pl_len);
	pl[KC_GCM_IV_LEN + 3] ^= 1;
	assert_int_equal(keys_add_u(&ks, u, tag, KC_TAG_HEX_LEN, pl, pl_len, err, sizeof(err)), 0);
	assert_int_equal(keys_add_v(&ks, v, err, sizeof(err)), 0);
	assert_true(keys_try_combine(&ks));
	assert_int_equal(keys_decrypt_payload(&ks, &out, &out_len, err, sizeof(err)), KC_ERR_AUTH);
	assert_null(out);
	keys_free(&ks);
}

static int setup(void **state)
{
	(void)state;
	return kc_rng_init(&rng, "test_keys", NULL, 0);
}

static int teardown(void **state)
{
	(void)state;
	kc_rng_free(&rng);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_found_among_noise),
		cmocka_unit_test(test_new_pair_after_derivation),
		cmocka_unit_test(test_halves_that_do_not_combine),
		cmocka_unit_test(test_malformed_tags),
		cmocka_unit_test(test_oldest_slot_replaced),
		cmocka_unit_test(test_tampered_payload),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

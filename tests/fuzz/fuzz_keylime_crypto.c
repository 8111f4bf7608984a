/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/keylime_crypto.c: everything that reads
 * bytes a verifier, tenant or registrar sent.
 *
 * 1. The input as base64 text: an accepted string re-encodes to exactly
 *    itself (strict means canonical); a rejected one reports nothing
 *    decoded and leaves no decoded bytes behind; a buffer one byte short
 *    is KC_ERR_SPACE with nothing written.
 * 2. The input as bytes: encode, decode, same bytes.
 * 3. The input as a payload (IV || ct || tag) under a fixed K: only a
 *    genuine payload decrypts; anything else is KC_ERR_INPUT (short) or
 *    KC_ERR_AUTH, with *outlen 0 and the output zeroed. Then the input as
 *    plaintext: encrypt, decrypt back, and one flipped bit chosen by the
 *    input must fail authentication.
 * 4. The input as a hex auth_tag: kc_auth_tag_matches agrees with a plain
 *    case-insensitive comparison against kc_auth_tag's output.
 * 5. Inputs starting with 'R' and then 256 bytes: an OAEP-SHA1 ciphertext
 *    for a fixed RSA-2048 NK (the key of tests/unit/test_keylime_crypto.c).
 *    Success yields 32 bytes; any failure is KC_ERR_INPUT (malformed, never
 *    an internal error) and leaves the output zeroed. Gated by
 *    the first byte because each try is an RSA private operation.
 *
 * 6. The input as hex text (src/lib/encoding.c's decoder): it decodes iff
 *    the length is even and every byte is a hex digit (HEX_LOWER: a
 *    lowercase one); what it decodes re-encodes to the input in lowercase;
 *    a rejected input leaves the output zeroed.
 *
 * Output buffers are heap blocks of the exact size allowed, so ASan sees
 * any write past the capacity given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keylime_crypto.h"

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			abort();  \
	} while (0)

/* K of the unit test's Keylime vector (U xor V, see test_keylime_crypto.c). */
static const uint8_t fixed_k[KC_KEY_LEN] = {
	0x0b, 0x31, 0x57, 0x79, 0x9b, 0xc1, 0xef, 0x09, 0x3b, 0x51, 0x77,
	0xa9, 0xcb, 0xe1, 0x1f, 0x39, 0x4b, 0x91, 0xb7, 0xd9, 0xfb, 0x01,
	0x2f, 0x49, 0x9b, 0xb1, 0xd7, 0xe9, 0x0b, 0x21, 0x7f, 0x99,
};

/* The unit test's fixed NK (openssl genpkey -algorithm RSA, 2048 bits). */
static const char nk_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDIHp9rKeD0Uzq7\n"
	"tH+UyemyyctiW5FY+Sta8MIAI0yLrs/CM+cCX9Mb26f6B/AEFuO032r+mcm3lXzt\n"
	"ksuh49LHlZzi+dk/X6AkTs4ZxdHu64ohfS6aSU+BNluHQyXpZu7tMzQsoGOYay2h\n"
	"2VWbQI+OK7wgi218L7szB7dVQNhmRiGGO4hEFpLgsO+qPwsYZyVoitHu7pVtVJnd\n"
	"zuhyD2l7v6ZOSZp7OkxNHhyNmA37VKuV89RvbKvhmAvo0L8SsVSTtvUaNzyY57l/\n"
	"lS2fe0+SJMdRz6BJl8NIIzoRFaXC4EYkMNnTqRbF87q9QU7cdKc9TuYDrnSQYFzQ\n"
	"h2xsIo6rAgMBAAECggEAAntEECN1eKd3jlBPV1xRm41JClqG/jVzcNiUxJpWHqf3\n"
	"nOQ2icmqZ9QHdzWV/QGo/TCFYSGDENW3tjJ1zUzH66r9RmCWww8VK0jBjCxEeClP\n"
	"jdlsNIQ9iiVPE+mklLUEDXOZwrE9IEIOpM0kdJ0OVVL8LY3NDmyBGRblZ8HlbQ83\n"
	"74RllnpOTtdqdiO1BQUaNcTOqlLRKR4sfAROLiUO+8IDgbxSukesSH8xuDRV9xpY\n"
	"3hEPYbnyQ3NJmOCr41cHZgZC3PmGHw+Du7R/Xexmz1n5UoUlx6ElGREzJ1dQ4hJ/\n"
	"lTi8Xup46KD7O90tumeAHsw8EjX8E10gfVi7CaDNEQKBgQD2q79YZB+va/7IHmq2\n"
	"486AE+QQktg9mYBXv9JLkgvBfgBsIsAD0Dmr0zOLIv+iUmp1qNhFcY3MZrHqDq+0\n"
	"3J4168eo75hyd1Cd+UpHYCaUgX+5HXLAqmo03aQSzpvThmRO/nwNr5kkhPzTVx+J\n"
	"9gu2dQb2wzInjDhJBornaLVyzQKBgQDPsCsyHpSRMPNEP1VUL7pHmkN+pBK5tje3\n"
	"qWS2+/mj9DFIh5MaXPaUPgTAOkashOezK7aCJLlI4l1MAv78xGGj468s5+z8xOGe\n"
	"0MXWJ3aFYXYC6yHESTQMJOPjQbKpr/k9KxDoz8sebbsYRkpt4MXPFkrPnD3WkRz+\n"
	"OBD6twi3VwKBgBpW4Im5t0BuEbigtthsnuJCPXoflAOP3oqAKx5yq9qvb7AcTdCa\n"
	"bW4RkVFsHUvh7Qg/TUitBW0sEhdiFhUD8cjkMl+xpd+jKfKUagARHk2BPngv0s8L\n"
	"42ddu2VetnjxwshEmE6Fz558rNqMVQvQQBPtjx7OXQ6oBGKX1kE7hxSJAoGAHyRY\n"
	"ZcyGFHtVjt88SUJa2U+9XSj3EdfL5QNGcdW4qif8l9aUbTiRVMsz5SsX29iV8ZzV\n"
	"YhBlpBMlUDeGypob1fpXExG3zHMtLaY6dBE4yWlCy888IfWkE0oYzcPVKXKUmeJy\n"
	"R6aY23gyvMIVeQJiRtod36Ga+CiMQ2ZezWlSqkMCgYAPTrnIqp1QCEiGyb0SAiYW\n"
	"SIXsEI93i1Yq6wkuGULnSDJPqIDToFErAlvq7RlAHd6Ly16mJlXkCQHpt1GYEZP+\n"
	"xy4GYZTMIid8hOJIJ2os6Z48U7cfwFxeomelZV0du2IuYwyKw+NxtX+WUVtQYHHU\n"
	"qWUklKO6Mnf7OJVo7UwWWw==\n"
	"-----END PRIVATE KEY-----\n";

static struct kc_rng rng;
static struct kc_nk nk;
static int ready;

static void init_once(void)
{
	char err[256];

	if (ready)
		return;
	CHECK(kc_rng_init(&rng, "fuzz_keylime_crypto", err, sizeof(err)) == KC_OK);
	CHECK(kc_nk_load_private_pem(&nk, nk_pem, sizeof(nk_pem), &rng, err,
				     sizeof(err)) == KC_OK);
	ready = 1;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void as_base64(const uint8_t *data, size_t size)
{
	size_t cap = B64_DECODED_MAX(size), n = 7, n2 = 7;
	uint8_t *out = malloc(cap ? cap : 1);
	char *back = malloc(size + 1);
	int ret;

	CHECK(out && back);
	memset(out, 0xA5, cap);
	ret = b64_decode((const char *)data, size, out, cap, &n);
	if (ret == KC_OK) {
		CHECK(n <= cap && n + 2 >= cap);
		CHECK(b64_encode(out, n, back, size + 1, &n2) == KC_OK);
		CHECK(n2 == size && !memcmp(back, data, size));
		/* One byte short: refused, nothing written. */
		if (n) {
			memset(out, 0xA5, cap);
			CHECK(b64_decode((const char *)data, size, out, n - 1, &n2) ==
			      KC_ERR_SPACE);
			CHECK(n2 == 0);
			for (size_t i = 0; i < cap; i++)
				CHECK(out[i] == 0xA5);
		}
	} else {
		CHECK(ret == KC_ERR_INPUT);
		CHECK(n == 0);
		/* Nothing decoded survives: every byte is the filler or zero. */
		for (size_t i = 0; i < cap; i++)
			CHECK(out[i] == 0xA5 || out[i] == 0);
	}
	free(out);
	free(back);
}

static void as_bytes(const uint8_t *data, size_t size)
{
	size_t cap = (size + 2) / 3 * 4 + 1, n = 0, n2 = 0;
	char *enc = malloc(cap);
	uint8_t *dec = malloc(size ? size : 1);

	CHECK(enc && dec);
	CHECK(b64_encode(data, size, enc, cap, &n) == KC_OK);
	CHECK(n == cap - 1 && enc[n] == '\0');
	CHECK(b64_encode(data, size, enc, cap - 1, &n2) == KC_ERR_SPACE);
	CHECK(b64_encode(data, size, enc, cap, &n) == KC_OK);
	CHECK(b64_decode(enc, n, dec, size, &n2) == KC_OK);
	CHECK(n2 == size && !memcmp(dec, data, size));
	free(enc);
	free(dec);
}

static void as_payload(const uint8_t *data, size_t size)
{
	size_t cap = size >= KC_PAYLOAD_OVERHEAD ? size - KC_PAYLOAD_OVERHEAD : 0;
	size_t n = 7, elen = 0;
	uint8_t *out = malloc(cap ? cap : 1);
	uint8_t *enc = malloc(size + KC_PAYLOAD_OVERHEAD);
	uint8_t *dec = malloc(size ? size : 1);
	char err[256];
	int ret;

	CHECK(out && enc && dec);
	memset(out, 0xA5, cap);
	ret = kc_payload_decrypt(fixed_k, data, size, out, cap, &n, err, sizeof(err));
	if (ret == KC_OK) {
		CHECK(n == cap);
	} else {
		CHECK(n == 0);
		CHECK(ret == (size < KC_PAYLOAD_OVERHEAD ? KC_ERR_INPUT : KC_ERR_AUTH));
		CHECK(all_zero(out, cap));
	}

	CHECK(kc_payload_encrypt(fixed_k, &rng, data, size, enc, size + KC_PAYLOAD_OVERHEAD,
				 &elen, err, sizeof(err)) == KC_OK);
	CHECK(elen == size + KC_PAYLOAD_OVERHEAD);
	CHECK(kc_payload_decrypt(fixed_k, enc, elen, dec, size, &n, err, sizeof(err)) ==
	      KC_OK);
	CHECK(n == size && !memcmp(dec, data, size));
	if (size) {
		size_t bit = (data[0] | (size_t)data[size - 1] << 8) % (elen * 8);

		enc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(kc_payload_decrypt(fixed_k, enc, elen, dec, size, &n, err,
					 sizeof(err)) == KC_ERR_AUTH);
		CHECK(n == 0 && all_zero(dec, size));
	}
	free(out);
	free(enc);
	free(dec);
}

static int hexeq_nocase(const char *want, const uint8_t *got, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int c = got[i];

		if (c >= 'A' && c <= 'F')
			c += 'a' - 'A';
		if (c != want[i])
			return 0;
	}
	return 1;
}

static void as_tag(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "d432fbb3-d2f1-4a97-9ef7-75bd81c00000";
	char hex[KC_TAG_HEX_LEN + 1];
	/* The input also serves as the key, so a matching tag is reachable. */
	size_t keylen = size > 128 ? 128 : size;
	bool want, got;

	CHECK(kc_auth_tag(data, keylen, msg, sizeof(msg) - 1, hex) == KC_OK);
	want = size == KC_TAG_HEX_LEN && hexeq_nocase(hex, data, size);
	got = kc_auth_tag_matches(data, keylen, msg, sizeof(msg) - 1, (const char *)data, size);
	CHECK(want == got);
	CHECK(kc_auth_tag_matches(data, keylen, msg, sizeof(msg) - 1, hex, KC_TAG_HEX_LEN));
}

static void as_oaep(const uint8_t *data, size_t size)
{
	uint8_t out[KC_KEY_LEN];
	char err[256];
	int ret;

	if (size < 1 || data[0] != 'R')
		return;
	memset(out, 0xA5, sizeof(out));
	ret = kc_oaep_sha1_decrypt(&nk, &rng, data + 1, size - 1, out, err, sizeof(err));
	if (ret != KC_OK) {
		CHECK(ret == KC_ERR_INPUT);
		CHECK(all_zero(out, sizeof(out)));
	}
	if (size - 1 != 256)
		CHECK(ret == KC_ERR_INPUT);
}

static void as_hex(const uint8_t *data, size_t size)
{
	size_t n = size / 2, i;
	int digits = 1, lower = 1, r;
	uint8_t *out = malloc(n ? n : 1);
	char *back = malloc(2 * n + 1);

	CHECK(out && back);
	for (i = 0; i < size; i++) {
		int c = data[i];

		digits &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		lower &= !(c >= 'A' && c <= 'F');
	}
	for (unsigned flags = 0; flags <= HEX_LOWER; flags += HEX_LOWER) {
		memset(out, 0xAA, n);
		r = hex_decode((const char *)data, size, out, n, flags);
		if (size % 2 == 0 && digits && (lower || !(flags & HEX_LOWER))) {
			CHECK(r == ENC_OK);
			CHECK(hex_encode(out, n, back, 2 * n + 1, NULL) == ENC_OK);
			for (i = 0; i < size; i++)
				CHECK(back[i] == (data[i] >= 'A' && data[i] <= 'F' ? data[i] | 0x20 : data[i]));
		} else {
			CHECK(r == ENC_ERR_INPUT);
			CHECK(all_zero(out, n));
		}
	}
	free(out);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	as_base64(data, size);
	as_bytes(data, size);
	as_payload(data, size);
	as_tag(data, size);
	as_oaep(data, size);
	as_hex(data, size);
	return 0;
}

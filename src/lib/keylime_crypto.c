/* SPDX-License-Identifier: GPL-2.0-only */
/* Keylime key-exchange crypto over mbedtls; see keylime_crypto.h. */
#include "keylime_crypto.h"
#include "encoding.h"
#include "lib_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#define KC_RSA_E 65537
#define KC_SERIAL_LEN 16
/* The runtime may boot with no idea of the date; any date it guesses falls inside. */
#define KC_NOT_BEFORE "20000101000000"
#define KC_NOT_AFTER "20991231235959"

static bool overlaps(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;

	if (!alen || !blen)
		return false;
	return pa < pb + blen && pb < pa + alen;
}

/* ---- RNG ------------------------------------------------------------------ */

int kc_rng_init(struct kc_rng *rng, const char *personalisation, char *err,
		size_t errlen)
{
	size_t plen = 0;
	int ret = KC_ERR_INPUT, r;

	if (!rng) {
		lib_err(err, errlen, "kc_rng_init: no rng");
		goto out;
	}
	memset(rng, 0, sizeof(*rng));
	if (personalisation) {
		plen = strnlen(personalisation, KC_RNG_PERS_MAX + 1);
		if (plen > KC_RNG_PERS_MAX) {
			lib_err(err, errlen,
				"rng personalisation longer than %d bytes; shorten it",
				KC_RNG_PERS_MAX);
			goto out;
		}
	}
	mbedtls_entropy_init(&rng->entropy);
	mbedtls_ctr_drbg_init(&rng->drbg);
	rng->ready = 1;
	r = mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func, &rng->entropy,
				  (const unsigned char *)personalisation, plen);
	if (r != 0) {
		lib_err(err, errlen,
			"seeding CTR-DRBG from the platform entropy source failed "
			"(mbedtls -0x%04x); is getrandom available?", lib_mbed_code(r));
		ret = KC_ERR_CRYPTO;
		kc_rng_free(rng);
		goto out;
	}
	ret = KC_OK;
out:
	return ret;
}

void kc_rng_free(struct kc_rng *rng)
{
	if (!rng)
		return;
	if (rng->ready) {
		mbedtls_ctr_drbg_free(&rng->drbg);
		mbedtls_entropy_free(&rng->entropy);
	}
	mbedtls_platform_zeroize(rng, sizeof(*rng));
}

int kc_rng_bytes(void *p_rng, unsigned char *out, size_t len)
{
	struct kc_rng *rng = p_rng;
	int r = MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;

	if (!rng || !rng->ready || (!out && len))
		goto out;
	r = 0;
	while (len && r == 0) {
		size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len :
			   MBEDTLS_CTR_DRBG_MAX_REQUEST;

		r = mbedtls_ctr_drbg_random(&rng->drbg, out, n);
		out += n;
		len -= n;
	}
out:
	return r;
}

/* ---- NK ------------------------------------------------------------------- */

/*
 * Checks the key and writes its PEM. The RSA context keeps PKCS#1 v1.5
 * padding: the certificate signature needs it, and the OAEP functions switch
 * to v2.1/SHA-1 only for the duration of one call.
 */
static int nk_finish(struct kc_nk *nk, bool check_private, char *err, size_t errlen)
{
	size_t bits;
	int ret = KC_ERR_KEY, r;

	if (mbedtls_pk_get_type(&nk->pk) != MBEDTLS_PK_RSA) {
		lib_err(err, errlen, "NK is not an RSA key (pk type %d)",
			(int)mbedtls_pk_get_type(&nk->pk));
		goto out;
	}
	bits = mbedtls_pk_get_bitlen(&nk->pk);
	if (bits < KC_RSA_MIN_BITS || bits > KC_RSA_MAX_BITS) {
		lib_err(err, errlen, "NK is RSA-%zu; need %d..%d bits", bits,
			KC_RSA_MIN_BITS, KC_RSA_MAX_BITS);
		goto out;
	}
	if (check_private && (r = mbedtls_rsa_check_privkey(mbedtls_pk_rsa(nk->pk))) != 0) {
		lib_err(err, errlen, "NK private key is inconsistent (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	ret = KC_ERR_CRYPTO;
	r = mbedtls_rsa_set_padding(mbedtls_pk_rsa(nk->pk), MBEDTLS_RSA_PKCS_V15,
				    MBEDTLS_MD_NONE);
	if (r != 0) {
		lib_err(err, errlen, "setting NK padding failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	r = mbedtls_pk_write_pubkey_pem(&nk->pk, (unsigned char *)nk->pem,
					sizeof(nk->pem));
	if (r != 0) {
		lib_err(err, errlen,
			"writing the NK public key PEM into %d bytes failed (mbedtls -0x%04x)",
			KC_PEM_MAX, lib_mbed_code(r));
		if (r == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL || r == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL)
			ret = KC_ERR_SPACE;
		goto out;
	}
	nk->pem_len = strnlen(nk->pem, sizeof(nk->pem));
	if (nk->pem_len == 0 || nk->pem_len >= sizeof(nk->pem)) {
		lib_err(err, errlen, "NK public key PEM is not terminated");
		goto out;
	}
	ret = KC_OK;
out:
	return ret;
}

int kc_nk_generate(struct kc_nk *nk, struct kc_rng *rng, char *err, size_t errlen)
{
	int ret = KC_ERR_INPUT, r;

	if (nk) {
		memset(nk, 0, sizeof(*nk));
		mbedtls_pk_init(&nk->pk);
	}
	if (!nk || !rng) {
		lib_err(err, errlen, "kc_nk_generate: no %s", nk ? "rng" : "nk");
		goto out;
	}
	ret = KC_ERR_CRYPTO;
	r = mbedtls_pk_setup(&nk->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
	if (r != 0) {
		lib_err(err, errlen, "setting up an RSA key failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	r = mbedtls_rsa_gen_key(mbedtls_pk_rsa(nk->pk), kc_rng_bytes, rng,
				KC_RSA_BITS, KC_RSA_E);
	if (r != 0) {
		lib_err(err, errlen, "generating RSA-%d failed (mbedtls -0x%04x)",
			KC_RSA_BITS, lib_mbed_code(r));
		goto out;
	}
	ret = nk_finish(nk, false, err, errlen);
out:
	if (ret != KC_OK)
		kc_nk_free(nk); /* NULL-safe */
	return ret;
}

int kc_nk_load_private_pem(struct kc_nk *nk, const char *pem, size_t len,
			   struct kc_rng *rng, char *err, size_t errlen)
{
	unsigned char buf[KC_PRIV_PEM_MAX + 1];
	size_t n = len;
	int ret = KC_ERR_INPUT, r;

	if (nk) {
		memset(nk, 0, sizeof(*nk));
		mbedtls_pk_init(&nk->pk);
	}
	if (!nk || !pem || !rng) {
		lib_err(err, errlen, "kc_nk_load_private_pem: missing argument");
		goto out;
	}
	if (n && pem[n - 1] == '\0')
		n--;
	if (n == 0 || n > KC_PRIV_PEM_MAX) {
		lib_err(err, errlen, "private key is %zu bytes; need 1..%d", n,
			KC_PRIV_PEM_MAX);
		goto out;
	}
	memcpy(buf, pem, n);
	/* mbedtls takes PEM only as a NUL-terminated buffer, DER as is. */
	if (buf[0] == '-') {
		if (memchr(buf, '\0', n)) {
			lib_err(err, errlen, "private key PEM contains a NUL byte");
			goto out;
		}
		buf[n++] = '\0';
	}
	r = mbedtls_pk_parse_key(&nk->pk, buf, n, NULL, 0, kc_rng_bytes, rng);
	if (r != 0) {
		lib_err(err, errlen,
			"parsing the private key failed (mbedtls -0x%04x); "
			"need an unencrypted RSA key in PEM or DER", lib_mbed_code(r));
		goto out;
	}
	ret = nk_finish(nk, true, err, errlen);
out:
	mbedtls_platform_zeroize(buf, sizeof(buf));
	if (ret != KC_OK)
		kc_nk_free(nk);
	return ret;
}

int kc_nk_private_pem(const struct kc_nk *nk, char *out, size_t cap, char *err, size_t errlen)
{
	int ret = KC_ERR_INPUT, r;

	if (!nk || !out || !cap) {
		lib_err(err, errlen, "kc_nk_private_pem: missing argument");
		goto out;
	}
	out[0] = '\0';
	if (mbedtls_pk_get_type(&nk->pk) != MBEDTLS_PK_RSA) {
		lib_err(err, errlen, "no RSA key to write; generate or load it first");
		ret = KC_ERR_KEY;
		goto out;
	}
	/* The writer API lacks const; it only reads the key. */
	r = mbedtls_pk_write_key_pem((mbedtls_pk_context *)&nk->pk, (unsigned char *)out, cap);
	if (r != 0) {
		mbedtls_platform_zeroize(out, cap);
		lib_err(err, errlen, "writing the private key PEM failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		ret = r == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL ? KC_ERR_SPACE : KC_ERR_CRYPTO;
		goto out;
	}
	ret = KC_OK;
out:
	return ret;
}

void kc_nk_free(struct kc_nk *nk)
{
	if (!nk)
		return;
	mbedtls_pk_free(&nk->pk);
	mbedtls_platform_zeroize(nk, sizeof(*nk));
}

static bool cn_ok(const char *cn, char *err, size_t errlen)
{
	size_t n = strnlen(cn, KC_CN_MAX + 1);
	bool ok = false;

	if (n == 0 || n > KC_CN_MAX) {
		lib_err(err, errlen, "certificate common name must be 1..%d characters",
			KC_CN_MAX);
		goto out;
	}
	/* No character that the X.509 name parser would treat as syntax. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cn[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
		    c == '-')
			continue;
		lib_err(err, errlen,
			"certificate common name has character 0x%02x at %zu; "
			"allowed: A-Z a-z 0-9 . _ : -", c, i);
		goto out;
	}
	ok = true;
out:
	return ok;
}

int kc_nk_self_signed_cert(const struct kc_nk *nk, struct kc_rng *rng,
			   const char *common_name, char *pem, size_t cap,
			   char *err, size_t errlen)
{
	mbedtls_x509write_cert crt;
	mbedtls_pk_context *pk;
	unsigned char serial[KC_SERIAL_LEN];
	char name[sizeof("CN=") + KC_CN_MAX];
	int ret = KC_ERR_INPUT, r;
	const char *what;

	mbedtls_x509write_crt_init(&crt);
	if (!nk || !rng || !common_name || !pem || !cap) {
		lib_err(err, errlen, "kc_nk_self_signed_cert: missing argument");
		goto out;
	}
	pem[0] = '\0';
	if (!cn_ok(common_name, err, errlen))
		goto out;
	if (mbedtls_pk_get_type(&nk->pk) != MBEDTLS_PK_RSA) {
		lib_err(err, errlen, "NK is not an RSA key; generate or load it first");
		ret = KC_ERR_KEY;
		goto out;
	}
	/* The writer API lacks const; it only reads the key. */
	pk = (mbedtls_pk_context *)&nk->pk;
	snprintf(name, sizeof(name), "CN=%s", common_name);

	ret = KC_ERR_CRYPTO;
	what = "random serial";
	r = kc_rng_bytes(rng, serial, sizeof(serial));
	if (r != 0)
		goto fail;
	/* Positive and without a leading zero byte, so DER keeps all 16 bytes. */
	serial[0] = (unsigned char)((serial[0] & 0x3f) | 0x40);

	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, pk);
	mbedtls_x509write_crt_set_issuer_key(&crt, pk);
	what = "subject name";
	if ((r = mbedtls_x509write_crt_set_subject_name(&crt, name)) != 0)
		goto fail;
	what = "issuer name";
	if ((r = mbedtls_x509write_crt_set_issuer_name(&crt, name)) != 0)
		goto fail;
	what = "serial";
	if ((r = mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof(serial))) != 0)
		goto fail;
	what = "validity";
	if ((r = mbedtls_x509write_crt_set_validity(&crt, KC_NOT_BEFORE, KC_NOT_AFTER)) != 0)
		goto fail;
	what = "basicConstraints";
	if ((r = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0)
		goto fail;
	what = "subjectKeyIdentifier";
	if ((r = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0)
		goto fail;
	what = "signing and PEM encoding";
	r = mbedtls_x509write_crt_pem(&crt, (unsigned char *)pem, cap, kc_rng_bytes, rng);
	if (r != 0) {
		if (r == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ||
		    r == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
			lib_err(err, errlen,
				"certificate PEM does not fit in %zu bytes; allow 2048", cap);
			ret = KC_ERR_SPACE;
			pem[0] = '\0';
			goto out;
		}
		goto fail;
	}
	ret = KC_OK;
	goto out;
fail:
	lib_err(err, errlen, "certificate for CN=%s: %s failed (mbedtls -0x%04x)",
		common_name, what, lib_mbed_code(r));
	pem[0] = '\0';
out:
	mbedtls_x509write_crt_free(&crt);
	mbedtls_platform_zeroize(serial, sizeof(serial));
	return ret;
}

/* ---- U and V -------------------------------------------------------------- */

int kc_oaep_sha1_decrypt(struct kc_nk *nk, struct kc_rng *rng, const uint8_t *in,
			 size_t inlen, uint8_t out[KC_KEY_LEN], char *err,
			 size_t errlen)
{
	unsigned char plain[KC_RSA_MAX_BYTES], modulus[KC_RSA_MAX_BYTES];
	mbedtls_rsa_context *rsa = NULL;
	size_t klen, olen = 0;
	int ret = KC_ERR_INPUT, r;

	if (out)
		mbedtls_platform_zeroize(out, KC_KEY_LEN);
	if (!nk || !rng || !in || !out) {
		lib_err(err, errlen, "kc_oaep_sha1_decrypt: missing argument");
		goto out;
	}
	if (mbedtls_pk_get_type(&nk->pk) != MBEDTLS_PK_RSA) {
		lib_err(err, errlen, "NK is not an RSA key; generate or load it first");
		ret = KC_ERR_KEY;
		goto out;
	}
	rsa = mbedtls_pk_rsa(nk->pk);
	klen = mbedtls_rsa_get_len(rsa);
	if (klen > sizeof(plain)) {
		lib_err(err, errlen, "NK modulus of %zu bytes is too large", klen);
		ret = KC_ERR_KEY;
		goto out;
	}
	/* mbedtls reads exactly klen bytes: the length must be checked here. */
	if (inlen != klen) {
		lib_err(err, errlen,
			"encrypted key is %zu bytes; the NK needs exactly %zu", inlen, klen);
		goto out;
	}
	/* Not a ciphertext at all; mbedtls would report it as an internal failure. */
	r = mbedtls_rsa_export_raw(rsa, modulus, klen, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
	if (r != 0) {
		lib_err(err, errlen, "reading the NK modulus failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		ret = KC_ERR_CRYPTO;
		goto out;
	}
	if (memcmp(in, modulus, klen) >= 0) {
		lib_err(err, errlen, "encrypted key is not below the NK modulus");
		goto out;
	}
	r = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA1);
	if (r != 0) {
		lib_err(err, errlen, "selecting OAEP-SHA1 failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		ret = KC_ERR_CRYPTO;
		goto out;
	}
	r = mbedtls_rsa_rsaes_oaep_decrypt(rsa, kc_rng_bytes, rng, NULL, 0, &olen, in,
					   plain, sizeof(plain));
	if (r == MBEDTLS_ERR_RSA_INVALID_PADDING || r == MBEDTLS_ERR_RSA_BAD_INPUT_DATA ||
	    r == MBEDTLS_ERR_RSA_OUTPUT_TOO_LARGE) {
		lib_err(err, errlen,
			"encrypted key is not RSA-OAEP (SHA-1) for this NK (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	if (r != 0) {
		lib_err(err, errlen, "RSA-OAEP decryption failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		ret = KC_ERR_CRYPTO;
		goto out;
	}
	if (olen != KC_KEY_LEN) {
		lib_err(err, errlen, "decrypted key is %zu bytes; Keylime keys are %d",
			olen, KC_KEY_LEN);
		goto out;
	}
	memcpy(out, plain, KC_KEY_LEN);
	ret = KC_OK;
out:
	if (rsa)
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	mbedtls_platform_zeroize(plain, sizeof(plain));
	if (ret != KC_OK && out)
		mbedtls_platform_zeroize(out, KC_KEY_LEN);
	return ret;
}

int kc_oaep_sha1_encrypt(const char *pubkey_pem, size_t pem_len, struct kc_rng *rng,
			 const uint8_t in[KC_KEY_LEN], uint8_t *out, size_t cap,
			 size_t *outlen, char *err, size_t errlen)
{
	unsigned char buf[KC_PEM_MAX + 1];
	mbedtls_pk_context pk;
	mbedtls_rsa_context *rsa;
	size_t n = pem_len, klen, bits;
	int ret = KC_ERR_INPUT, r;

	mbedtls_pk_init(&pk);
	if (outlen)
		*outlen = 0;
	if (!pubkey_pem || !rng || !in || !out || !outlen) {
		lib_err(err, errlen, "kc_oaep_sha1_encrypt: missing argument");
		goto out;
	}
	if (n && pubkey_pem[n - 1] == '\0')
		n--;
	if (n == 0 || n > KC_PEM_MAX || memchr(pubkey_pem, '\0', n)) {
		lib_err(err, errlen,
			"public key PEM is %zu bytes or holds a NUL; need 1..%d bytes of text",
			n, KC_PEM_MAX);
		goto out;
	}
	memcpy(buf, pubkey_pem, n);
	buf[n] = '\0';
	r = mbedtls_pk_parse_public_key(&pk, buf, n + 1);
	if (r != 0) {
		lib_err(err, errlen,
			"parsing the public key PEM failed (mbedtls -0x%04x); "
			"need \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"", lib_mbed_code(r));
		goto out;
	}
	bits = mbedtls_pk_get_bitlen(&pk);
	if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA || bits < KC_RSA_MIN_BITS ||
	    bits > KC_RSA_MAX_BITS) {
		lib_err(err, errlen, "public key is %s-%zu; need RSA with %d..%d bits",
			mbedtls_pk_get_name(&pk), bits, KC_RSA_MIN_BITS, KC_RSA_MAX_BITS);
		ret = KC_ERR_KEY;
		goto out;
	}
	rsa = mbedtls_pk_rsa(pk);
	klen = mbedtls_rsa_get_len(rsa);
	if (cap < klen) {
		lib_err(err, errlen, "ciphertext needs %zu bytes, buffer has %zu", klen, cap);
		ret = KC_ERR_SPACE;
		goto out;
	}
	ret = KC_ERR_CRYPTO;
	r = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA1);
	if (r == 0)
		r = mbedtls_rsa_rsaes_oaep_encrypt(rsa, kc_rng_bytes, rng, NULL, 0,
						   KC_KEY_LEN, in, out);
	if (r != 0) {
		lib_err(err, errlen, "RSA-OAEP encryption failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	*outlen = klen;
	ret = KC_OK;
out:
	mbedtls_pk_free(&pk);
	return ret;
}

void kc_combine(const uint8_t u[KC_KEY_LEN], const uint8_t v[KC_KEY_LEN],
		uint8_t k[KC_KEY_LEN])
{
	for (size_t i = 0; i < KC_KEY_LEN; i++)
		k[i] = u[i] ^ v[i];
}

/* ---- HMAC ----------------------------------------------------------------- */

static int hmac_sha384(const uint8_t *key, size_t keylen, const uint8_t *msg,
		       size_t msglen, uint8_t mac[KC_TAG_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
	int ret = KC_ERR_INPUT;

	if ((!key && keylen) || (!msg && msglen))
		goto out;
	ret = KC_ERR_CRYPTO;
	if (!md || mbedtls_md_get_size(md) != KC_TAG_LEN)
		goto out;
	/* mbedtls wants non-NULL pointers even for empty buffers. */
	if (mbedtls_md_hmac(md, key ? key : (const uint8_t *)"", keylen,
			    msg ? msg : (const uint8_t *)"", msglen, mac) != 0)
		goto out;
	ret = KC_OK;
out:
	return ret;
}

int kc_auth_tag(const uint8_t *key, size_t keylen, const uint8_t *msg,
		size_t msglen, char hex[KC_TAG_HEX_LEN + 1])
{
	uint8_t mac[KC_TAG_LEN];
	int ret = KC_ERR_INPUT;

	if (!hex)
		goto out;
	hex[0] = '\0';
	ret = hmac_sha384(key, keylen, msg, msglen, mac);
	if (ret != KC_OK)
		goto out;
	ret = hex_encode(mac, sizeof(mac), hex, KC_TAG_HEX_LEN + 1, NULL);
out:
	mbedtls_platform_zeroize(mac, sizeof(mac));
	return ret;
}

bool kc_auth_tag_matches(const uint8_t *key, size_t keylen, const uint8_t *msg,
			 size_t msglen, const char *hex, size_t hexlen)
{
	uint8_t want[KC_TAG_LEN], got[KC_TAG_LEN];
	uint32_t bad = 0;
	bool ok = false;

	if (!hex || hexlen != KC_TAG_HEX_LEN)
		goto out;
	if (hmac_sha384(key, keylen, msg, msglen, want) != KC_OK)
		goto out;
	/* Either case, as Keylime's own check accepts; branch-free like the compare. */
	bad = hex_decode(hex, hexlen, got, KC_TAG_LEN, 0) != ENC_OK;
	ok = (mbedtls_ct_memcmp(want, got, KC_TAG_LEN) == 0) & (bad == 0);
out:
	mbedtls_platform_zeroize(want, sizeof(want));
	mbedtls_platform_zeroize(got, sizeof(got));
	return ok;
}

/* ---- payload -------------------------------------------------------------- */

int kc_payload_decrypt(const uint8_t key[KC_KEY_LEN], const uint8_t *in,
		       size_t inlen, uint8_t *out, size_t cap, size_t *outlen,
		       char *err, size_t errlen)
{
	mbedtls_gcm_context gcm;
	uint8_t dummy[1];
	size_t ctlen = 0;
	int ret = KC_ERR_INPUT, r;

	mbedtls_gcm_init(&gcm);
	if (outlen)
		*outlen = 0;
	if (!key || (!in && inlen) || (!out && cap) || !outlen) {
		lib_err(err, errlen, "kc_payload_decrypt: missing argument");
		goto out;
	}
	if (inlen < KC_PAYLOAD_OVERHEAD) {
		lib_err(err, errlen,
			"payload is %zu bytes; it needs at least %d (16-byte IV and tag)",
			inlen, KC_PAYLOAD_OVERHEAD);
		goto out;
	}
	ctlen = inlen - KC_PAYLOAD_OVERHEAD;
	if (cap < ctlen) {
		lib_err(err, errlen, "payload plaintext is %zu bytes, buffer has %zu",
			ctlen, cap);
		ret = KC_ERR_SPACE;
		goto out;
	}
	if (overlaps(in, inlen, out, cap)) {
		lib_err(err, errlen, "payload output buffer overlaps the input");
		goto out;
	}
	ret = KC_ERR_CRYPTO;
	r = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, KC_KEY_LEN * 8);
	if (r != 0) {
		lib_err(err, errlen, "AES-256 key setup failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	r = mbedtls_gcm_auth_decrypt(&gcm, ctlen, in, KC_GCM_IV_LEN, NULL, 0,
				     in + inlen - KC_GCM_TAG_LEN, KC_GCM_TAG_LEN,
				     in + KC_GCM_IV_LEN, ctlen ? out : dummy);
	if (r == MBEDTLS_ERR_GCM_AUTH_FAILED) {
		lib_err(err, errlen,
			"payload of %zu bytes failed authentication: wrong key K or "
			"altered payload", inlen);
		ret = KC_ERR_AUTH;
		goto out;
	}
	if (r != 0) {
		lib_err(err, errlen, "AES-256-GCM decryption failed (mbedtls -0x%04x)",
			lib_mbed_code(r));
		goto out;
	}
	*outlen = ctlen;
	ret = KC_OK;
out:
	mbedtls_gcm_free(&gcm);
	if (ret != KC_OK && out && cap)
		mbedtls_platform_zeroize(out, cap);
	return ret;
}

int kc_payload_encrypt(const uint8_t key[KC_KEY_LEN], struct kc_rng *rng,
		       const uint8_t *in, size_t inlen, uint8_t *out, size_t cap,
		       size_t *outlen, char *err, size_t errlen)
{
	mbedtls_gcm_context gcm;
	int ret = KC_ERR_INPUT, r;

	mbedtls_gcm_init(&gcm);
	if (outlen)
		*outlen = 0;
	if (!key || !rng || (!in && inlen) || !out || !outlen) {
		lib_err(err, errlen, "kc_payload_encrypt: missing argument");
		goto out;
	}
	if (inlen > SIZE_MAX - KC_PAYLOAD_OVERHEAD || cap < inlen + KC_PAYLOAD_OVERHEAD) {
		lib_err(err, errlen, "payload of %zu bytes needs %zu more bytes of output",
			inlen, (size_t)KC_PAYLOAD_OVERHEAD);
		ret = KC_ERR_SPACE;
		goto out;
	}
	if (overlaps(in, inlen, out, cap)) {
		lib_err(err, errlen, "payload output buffer overlaps the input");
		goto out;
	}
	ret = KC_ERR_CRYPTO;
	r = kc_rng_bytes(rng, out, KC_GCM_IV_LEN);
	if (r != 0) {
		lib_err(err, errlen, "drawing the IV failed (mbedtls -0x%04x)", lib_mbed_code(r));
		goto out;
	}
	r = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, KC_KEY_LEN * 8);
	if (r == 0)
		r = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, inlen, out,
					      KC_GCM_IV_LEN, NULL, 0,
					      inlen ? in : (const uint8_t *)"",
					      out + KC_GCM_IV_LEN, KC_GCM_TAG_LEN,
					      out + KC_GCM_IV_LEN + inlen);
	if (r != 0) {
		lib_err(err, errlen, "AES-256-GCM encryption of %zu bytes failed "
			"(mbedtls -0x%04x)", inlen, lib_mbed_code(r));
		goto out;
	}
	*outlen = inlen + KC_PAYLOAD_OVERHEAD;
	ret = KC_OK;
out:
	mbedtls_gcm_free(&gcm);
	if (ret != KC_OK && out && cap)
		mbedtls_platform_zeroize(out, cap);
	return ret;
}

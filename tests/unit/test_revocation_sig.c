/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/revocation_sig.c, with OpenSSL's libcrypto as the
 * independent side: what rs_sign writes must verify under OpenSSL with
 * RSA-PSS SHA-256 and the salt length fixed to the maximum (what
 * rust-keylime's verifier demands, RsaPssSaltlen::MAXIMUM_LENGTH), and
 * what OpenSSL signs the way keylime/crypto.py's rsa_sign does (PSS,
 * MGF1-SHA-256, PSS.MAX_LENGTH) must pass rs_verify. Then every way a
 * notice can be wrong: another message, another key, a PKCS#1 v1.5
 * signature, bad base64, a wrong length, a certificate that is not RSA or
 * not a certificate, oversized input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keylime_crypto.h"
#include "revocation_sig.h"

static const char MSG[] = "{\"type\": \"revocation\", \"ip\": \"10.0.2.15\", \"agent_id\": "
			  "\"d432fbb3-d2f1-4a97-9ef7-75bd81c00000\", \"port\": 9002}";

static struct fixture {
	struct kc_rng rng;
	struct kc_nk key, other;
	char cert[RS_CERT_MAX], other_cert[RS_CERT_MAX];
	EVP_PKEY *ossl; /* key, as OpenSSL sees it */
} F;

static EVP_PKEY *ossl_rsa(void)
{
	return EVP_RSA_gen(2048);
}

/* OpenSSL's key -> PEM -> ours, so both sides hold one key. */
static void load_both(struct kc_nk *nk, EVP_PKEY **out)
{
	EVP_PKEY *k = ossl_rsa();
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	assert_non_null(k);
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &pem);
	assert_int_equal(kc_nk_load_private_pem(nk, pem, (size_t)n, &F.rng, NULL, 0), KC_OK);
	BIO_free(b);
	if (out)
		*out = k;
	else
		EVP_PKEY_free(k);
}

static int setup(void **state)
{
	(void)state;
	if (kc_rng_init(&F.rng, "test_revocation_sig", NULL, 0) != KC_OK)
		return -1;
	load_both(&F.key, &F.ossl);
	load_both(&F.other, NULL);
	if (kc_nk_self_signed_cert(&F.key, &F.rng, "RevocationNotifier", F.cert, sizeof(F.cert),
				   NULL, 0) != KC_OK ||
	    kc_nk_self_signed_cert(&F.other, &F.rng, "RevocationNotifier", F.other_cert,
				   sizeof(F.other_cert), NULL, 0) != KC_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kc_nk_free(&F.key);
	kc_nk_free(&F.other);
	EVP_PKEY_free(F.ossl);
	kc_rng_free(&F.rng);
	return 0;
}

static size_t unb64(const char *b64, unsigned char *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(b64_decode(b64, strlen(b64), out, cap, &n), KC_OK);
	return n;
}

/* OpenSSL's PSS verification with the salt length fixed (saltlen: bytes, or RSA_PSS_SALTLEN_*). */
static int ossl_verify(const char *msg, const unsigned char *sig, size_t slen, int saltlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	assert_non_null(c);
	assert_int_equal(EVP_DigestVerifyInit(c, &pc, EVP_sha256(), NULL, F.ossl), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen), 1);
	ok = EVP_DigestVerify(c, sig, slen, (const unsigned char *)msg, strlen(msg));
	EVP_MD_CTX_free(c);
	return ok;
}

static void ossl_sign(const char *msg, int pad, int saltlen, char *b64, size_t cap)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	unsigned char sig[512];
	size_t slen = sizeof(sig), n = 0;

	assert_non_null(c);
	assert_int_equal(EVP_DigestSignInit(c, &pc, EVP_sha256(), NULL, F.ossl), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, pad), 1);
	if (pad == RSA_PKCS1_PSS_PADDING) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen), 1);
	}
	assert_int_equal(EVP_DigestSign(c, sig, &slen, (const unsigned char *)msg, strlen(msg)),
			 1);
	EVP_MD_CTX_free(c);
	assert_int_equal(b64_encode(sig, slen, b64, cap, &n), KC_OK);
}

static int verify(const char *cert, const char *msg, const char *b64)
{
	return rs_verify(cert, strlen(cert), msg, strlen(msg), b64, strlen(b64), NULL, 0);
}

static void test_sign_verifies_under_openssl_with_max_salt(void **state)
{
	char b64[RS_SIG_B64_MAX], err[256];
	unsigned char sig[600];
	size_t n;

	(void)state;
	assert_int_equal(rs_sign(&F.key, &F.rng, MSG, strlen(MSG), b64, sizeof(b64), err,
				 sizeof(err)), KC_OK);
	n = unb64(b64, sig, sizeof(sig));
	assert_int_equal(n, 256);
	/* 2048-bit key, SHA-256: 256 - 32 - 2 = 222 bytes of salt, and nothing else passes. */
	assert_int_equal(ossl_verify(MSG, sig, n, RSA_PSS_SALTLEN_MAX), 1);
	assert_int_equal(ossl_verify(MSG, sig, n, 222), 1);
	assert_int_not_equal(ossl_verify(MSG, sig, n, 32), 1);
	assert_int_not_equal(ossl_verify("{}", sig, n, RSA_PSS_SALTLEN_MAX), 1);
	/* And our own check, from the certificate. */
	assert_int_equal(verify(F.cert, MSG, b64), KC_OK);
}

static void test_verify_accepts_keylime_style_signatures(void **state)
{
	char b64[RS_SIG_B64_MAX];

	(void)state;
	ossl_sign(MSG, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, b64, sizeof(b64));
	assert_int_equal(verify(F.cert, MSG, b64), KC_OK);
	/* Salt of the digest's length, as other signers choose. */
	ossl_sign(MSG, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_DIGEST, b64, sizeof(b64));
	assert_int_equal(verify(F.cert, MSG, b64), KC_OK);
	ossl_sign("", RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, b64, sizeof(b64));
	assert_int_equal(rs_verify(F.cert, strlen(F.cert), "", 0, b64, strlen(b64), NULL, 0),
			 KC_OK);
}

static void test_verify_refuses_forgeries(void **state)
{
	char b64[RS_SIG_B64_MAX], other[RS_SIG_B64_MAX], msg2[sizeof(MSG)], err[256];
	unsigned char sig[600];
	size_t n = 0;

	(void)state;
	ossl_sign(MSG, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, b64, sizeof(b64));
	/* One byte of the notice changed (another node's uuid). */
	memcpy(msg2, MSG, sizeof(MSG));
	msg2[60] ^= 1;
	assert_int_equal(rs_verify(F.cert, strlen(F.cert), msg2, strlen(msg2), b64, strlen(b64),
				   err, sizeof(err)), KC_ERR_AUTH);
	assert_non_null(strstr(err, "does not verify"));
	/* Another key's certificate. */
	assert_int_equal(verify(F.other_cert, MSG, b64), KC_ERR_AUTH);
	/* Signed by another key, checked with ours. */
	assert_int_equal(rs_sign(&F.other, &F.rng, MSG, strlen(MSG), other, sizeof(other), NULL,
				 0), KC_OK);
	assert_int_equal(verify(F.cert, MSG, other), KC_ERR_AUTH);
	/* PKCS#1 v1.5 with the right key: not what Keylime signs. */
	ossl_sign(MSG, RSA_PKCS1_PADDING, 0, other, sizeof(other));
	assert_int_equal(verify(F.cert, MSG, other), KC_ERR_AUTH);
	/* One bit of the signature flipped. */
	n = unb64(b64, sig, sizeof(sig));
	sig[100] ^= 0x10;
	assert_int_equal(b64_encode(sig, n, other, sizeof(other), &n), KC_OK);
	assert_int_equal(verify(F.cert, MSG, other), KC_ERR_AUTH);
	/* Not base64, truncated, empty, "none" (Keylime's unsigned notice). */
	assert_int_equal(verify(F.cert, MSG, "%%%%"), KC_ERR_AUTH);
	b64[strlen(b64) - 8] = '\0';
	assert_int_equal(verify(F.cert, MSG, b64), KC_ERR_AUTH);
	assert_int_equal(verify(F.cert, MSG, ""), KC_ERR_AUTH);
	assert_int_equal(verify(F.cert, MSG, "none"), KC_ERR_AUTH);
}

static void test_verify_refuses_bad_certificates(void **state)
{
	char b64[RS_SIG_B64_MAX], pem[4096], err[256];
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	(void)state;
	ossl_sign(MSG, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, b64, sizeof(b64));
	assert_int_equal(verify("", MSG, b64), KC_ERR_KEY);
	assert_int_equal(verify("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
				MSG, b64), KC_ERR_KEY);
	/* A public key is not a certificate. */
	assert_int_equal(verify(F.key.pem, MSG, b64), KC_ERR_KEY);
	/* An EC certificate. */
	assert_non_null(ec);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, ec);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"ec", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, ec, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &p);
	assert_true(n > 0 && (size_t)n < sizeof(pem));
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	assert_int_equal(rs_verify(pem, strlen(pem), MSG, strlen(MSG), b64, strlen(b64), err,
				   sizeof(err)), KC_ERR_KEY);
	assert_non_null(strstr(err, "need RSA"));
	/* What the agent checks when a payload arrives, before any notice. */
	assert_int_equal(rs_cert_check(pem, strlen(pem), err, sizeof(err)), KC_ERR_KEY);
	assert_int_equal(rs_cert_check("", 0, err, sizeof(err)), KC_ERR_KEY);
	assert_int_equal(rs_cert_check(F.cert, strlen(F.cert), err, sizeof(err)), KC_OK);
	assert_int_equal(rs_cert_check(F.cert, RS_CERT_MAX + 1, err, sizeof(err)), KC_ERR_INPUT);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(ec);
}

static void test_sizes(void **state)
{
	char b64[RS_SIG_B64_MAX], small[100];
	char *big = malloc(RS_MSG_MAX + 2);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', RS_MSG_MAX + 1);
	big[RS_MSG_MAX + 1] = '\0';
	assert_int_equal(rs_sign(&F.key, &F.rng, big, RS_MSG_MAX + 1, b64, sizeof(b64), NULL, 0),
			 KC_ERR_INPUT);
	assert_int_equal(verify(F.cert, big, "AAAA"), KC_ERR_INPUT);
	/* The largest message still signs and verifies. */
	big[RS_MSG_MAX] = '\0';
	assert_int_equal(rs_sign(&F.key, &F.rng, big, RS_MSG_MAX, b64, sizeof(b64), NULL, 0),
			 KC_OK);
	assert_int_equal(verify(F.cert, big, b64), KC_OK);
	/* A signature that does not fit the caller's buffer: nothing half-written. */
	assert_int_equal(rs_sign(&F.key, &F.rng, MSG, strlen(MSG), small, sizeof(small), NULL, 0),
			 KC_ERR_SPACE);
	assert_string_equal(small, "");
	free(big);
}

static void test_private_pem_round_trip(void **state)
{
	char pem[KC_PRIV_PEM_MAX], b64[RS_SIG_B64_MAX];
	struct kc_nk again;

	(void)state;
	assert_int_equal(kc_nk_private_pem(&F.key, pem, sizeof(pem), NULL, 0), KC_OK);
	assert_non_null(strstr(pem, "-----BEGIN RSA PRIVATE KEY-----"));
	assert_int_equal(kc_nk_load_private_pem(&again, pem, strlen(pem), &F.rng, NULL, 0), KC_OK);
	assert_string_equal(again.pem, F.key.pem);
	assert_int_equal(rs_sign(&again, &F.rng, MSG, strlen(MSG), b64, sizeof(b64), NULL, 0),
			 KC_OK);
	assert_int_equal(verify(F.cert, MSG, b64), KC_OK);
	kc_nk_free(&again);
	assert_int_equal(kc_nk_private_pem(&F.key, pem, 100, NULL, 0), KC_ERR_SPACE);
	explicit_bzero(pem, sizeof(pem));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verifies_under_openssl_with_max_salt),
		cmocka_unit_test(test_verify_accepts_keylime_style_signatures),
		cmocka_unit_test(test_verify_refuses_forgeries),
		cmocka_unit_test(test_verify_refuses_bad_certificates),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_private_pem_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Revocation notice signatures; see revocation_sig.h. */
#include "revocation_sig.h"
#include "digest.h"
#include "lib_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#define SHA256_LEN 32

/*
 * PSS.MAX_LENGTH in Python's cryptography: emLen - hLen - 2, where emLen is
 * the modulus length in bytes less one when the top byte holds no bit of emBits.
 */
static int max_salt(const mbedtls_rsa_context *rsa)
{
	size_t bits = mbedtls_rsa_get_bitlen(rsa), em_len = (bits - 1 + 7) / 8;

	return (int)em_len - SHA256_LEN - 2;
}

int rs_sign(const struct kc_nk *key, struct kc_rng *rng, const char *msg, size_t len,
	    char *b64, size_t cap, char *err, size_t errlen)
{
	unsigned char hash[SHA256_LEN], sig[KC_RSA_MAX_BYTES];
	mbedtls_rsa_context *rsa;
	size_t olen = 0;
	int ret = KC_ERR_INPUT, r;

	if (!key || !rng || (!msg && len) || !b64 || !cap || len > RS_MSG_MAX) {
		lib_err(err, errlen, "rs_sign: missing argument or a message over %d bytes",
			RS_MSG_MAX);
		goto out;
	}
	b64[0] = '\0';
	if (mbedtls_pk_get_type(&key->pk) != MBEDTLS_PK_RSA) {
		lib_err(err, errlen, "the revocation key is not an RSA key");
		ret = KC_ERR_KEY;
		goto out;
	}
	rsa = mbedtls_pk_rsa(key->pk);
	ret = KC_ERR_CRYPTO;
	if (digest(TPM_ALG_SHA256, msg, len, hash) != 0) {
		lib_err(err, errlen, "SHA-256 failed");
		goto out;
	}
	r = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
	if (r == 0)
		r = mbedtls_rsa_rsassa_pss_sign_ext(rsa, kc_rng_bytes, rng, MBEDTLS_MD_SHA256,
						    SHA256_LEN, hash, max_salt(rsa), sig);
	if (r != 0) {
		lib_err(err, errlen, "RSA-PSS signing failed (mbedtls -0x%04x)", lib_mbed_code(r));
		goto out;
	}
	r = mbedtls_base64_encode((unsigned char *)b64, cap, &olen, sig, mbedtls_rsa_get_len(rsa));
	if (r != 0) {
		lib_err(err, errlen, "the signature's base64 needs more than %zu bytes", cap);
		ret = KC_ERR_SPACE;
		b64[0] = '\0';
		goto out;
	}
	ret = KC_OK;
out:
	return ret;
}

/* One PEM certificate with an RSA key of the sizes we take, into crt: KC_OK or KC_ERR_KEY. */
static int load_cert(mbedtls_x509_crt *crt, const char *cert_pem, size_t cert_len, char *err,
		     size_t errlen)
{
	unsigned char pem[RS_CERT_MAX + 1];
	size_t bits;
	int r;

	memcpy(pem, cert_pem, cert_len);
	pem[cert_len] = '\0';
	r = mbedtls_x509_crt_parse(crt, pem, cert_len + 1);
	if (r != 0) {
		lib_err(err, errlen, "the revocation certificate does not parse (mbedtls -0x%04x); "
			"need one X.509 certificate in PEM", lib_mbed_code(r));
		return KC_ERR_KEY;
	}
	bits = mbedtls_pk_get_bitlen(&crt->pk);
	if (mbedtls_pk_get_type(&crt->pk) != MBEDTLS_PK_RSA || bits < KC_RSA_MIN_BITS ||
	    bits > KC_RSA_MAX_BITS) {
		lib_err(err, errlen, "the revocation certificate's key is %s-%zu; need RSA with "
			"%d..%d bits", mbedtls_pk_get_name(&crt->pk), bits, KC_RSA_MIN_BITS,
			KC_RSA_MAX_BITS);
		return KC_ERR_KEY;
	}
	return KC_OK;
}

int rs_cert_check(const char *cert_pem, size_t cert_len, char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	int ret = KC_ERR_INPUT;

	mbedtls_x509_crt_init(&crt);
	if (!cert_pem || cert_len > RS_CERT_MAX) {
		lib_err(err, errlen, "no certificate, or one over %d bytes", RS_CERT_MAX);
		goto out;
	}
	ret = load_cert(&crt, cert_pem, cert_len, err, errlen);
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

int rs_verify(const char *cert_pem, size_t cert_len, const char *msg, size_t len,
	      const char *sig_b64, size_t sig_len, char *err, size_t errlen)
{
	unsigned char hash[SHA256_LEN], sig[KC_RSA_MAX_BYTES + 3];
	mbedtls_x509_crt crt;
	mbedtls_rsa_context *rsa;
	size_t slen = 0;
	int ret = KC_ERR_INPUT, r;

	mbedtls_x509_crt_init(&crt);
	if (!cert_pem || (!msg && len) || !sig_b64 || cert_len > RS_CERT_MAX ||
	    len > RS_MSG_MAX) {
		lib_err(err, errlen, "missing argument, or a certificate over %d or a message "
			"over %d bytes", RS_CERT_MAX, RS_MSG_MAX);
		goto out;
	}
	ret = load_cert(&crt, cert_pem, cert_len, err, errlen);
	if (ret != KC_OK)
		goto out;
	rsa = mbedtls_pk_rsa(crt.pk);
	ret = KC_ERR_AUTH;
	if (sig_len > RS_SIG_B64_MAX ||
	    mbedtls_base64_decode(sig, sizeof(sig), &slen, (const unsigned char *)sig_b64,
				  sig_len) != 0 ||
	    slen != mbedtls_rsa_get_len(rsa)) {
		lib_err(err, errlen, "the signature is not base64 of %zu bytes",
			mbedtls_rsa_get_len(rsa));
		goto out;
	}
	if (digest(TPM_ALG_SHA256, msg, len, hash) != 0) {
		lib_err(err, errlen, "SHA-256 failed");
		ret = KC_ERR_CRYPTO;
		goto out;
	}
	/* Any salt length: Keylime signs with the maximum, others with the hash length. */
	r = mbedtls_rsa_rsassa_pss_verify_ext(rsa, MBEDTLS_MD_SHA256, SHA256_LEN, hash,
					      MBEDTLS_MD_SHA256, MBEDTLS_RSA_SALT_LEN_ANY, sig);
	if (r != 0) {
		lib_err(err, errlen, "the signature does not verify with the revocation "
			"certificate's key (RSA-PSS SHA-256)");
		goto out;
	}
	ret = KC_OK;
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

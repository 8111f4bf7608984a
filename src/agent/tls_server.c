/* SPDX-License-Identifier: GPL-2.0-only */
#include "tls_server.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>

static void mbed_err(char *err, size_t errlen, const char *what, int rc)
{
	char msg[128];

	mbedtls_strerror(rc, msg, sizeof(msg));
	snprintf(err, errlen, "%s: %s (-0x%04x)", what, msg, (unsigned)-rc);
}

int tls_server_init(struct tls_server *t, struct kc_nk *nk, const char *cert_pem,
		    const char *client_ca_path, struct kc_rng *rng, char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->own);
	mbedtls_x509_crt_init(&t->client_ca);
	t->ready = 1;
	rc = mbedtls_x509_crt_parse(&t->own, (const unsigned char *)cert_pem,
				    strlen(cert_pem) + 1u);
	if (rc != 0) {
		mbed_err(err, errlen, "own certificate", rc);
		goto fail;
	}
	rc = mbedtls_x509_crt_parse_file(&t->client_ca, client_ca_path);
	if (rc != 0) {
		char what[300];

		snprintf(what, sizeof(what),
			 "client CA %s (give the CA of the verifier's and tenant's client "
			 "certificates, or set airlock.mtls=insecure-off for plain HTTP)", client_ca_path);
		mbed_err(err, errlen, what, rc);
		goto fail;
	}
	rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER,
					 MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		mbed_err(err, errlen, "TLS defaults", rc);
		goto fail;
	}
	mbedtls_ssl_conf_rng(&t->conf, kc_rng_bytes, rng);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->client_ca, NULL);
	mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->own, &nk->pk);
	if (rc != 0) {
		mbed_err(err, errlen, "own certificate and key", rc);
		goto fail;
	}
	return 0;
fail:
	tls_server_free(t);
	return -1;
}

void tls_server_free(struct tls_server *t)
{
	if (!t->ready)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->own);
	mbedtls_x509_crt_free(&t->client_ca);
	memset(t, 0, sizeof(*t));
}

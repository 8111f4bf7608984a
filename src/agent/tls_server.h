/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's TLS server side for mutual TLS, as Keylime's agent does it: the
 * server certificate is the self-signed certificate of the NK that the agent
 * registered as mtls_cert, and every client must present a certificate issued
 * by the configured client CA (Keylime's verifier and tenant certificates).
 */
#ifndef AIRLOCK_AGENT_TLS_SERVER_H
#define AIRLOCK_AGENT_TLS_SERVER_H

#include <stddef.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "keylime_crypto.h"

struct tls_server {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt own;
	mbedtls_x509_crt client_ca;
	int ready;
};

int tls_server_init(struct tls_server *t, struct kc_nk *nk, const char *cert_pem,
		    const char *client_ca_path, struct kc_rng *rng, char *err, size_t errlen);
void tls_server_free(struct tls_server *t);

#endif

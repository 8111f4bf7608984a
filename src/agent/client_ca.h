/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mutual-TLS client CA named on the (measured) command line:
 * airlock.client_ca=http://... pinned by airlock.client_ca_sha256. The runtime
 * image is the same for every tenant, so the tenant's CA cannot be built in;
 * plain HTTP is enough because the hash, not the transport, says which CA.
 */
#ifndef AIRLOCK_AGENT_CLIENT_CA_H
#define AIRLOCK_AGENT_CLIENT_CA_H

#include <stddef.h>

#include "config.h"

#define CLIENT_CA_MAX_BYTES 65536
#define CLIENT_CA_TIMEOUT_MS 15000

enum client_ca_result {
	CLIENT_CA_OK = 0,
	CLIENT_CA_RETRY = -1,   /* unreachable, HTTP error, cannot write: may work later */
	CLIENT_CA_REFUSED = -2, /* served bytes do not match the pinned sha256: never will */
};

/* Fetches cfg->client_ca into DIR/client-ca.pem (replacing any older copy) and
 * keeps it only if its sha256 is cfg->client_ca_sha256; path receives the
 * file's name. Says on the log what failed and what to check. */
enum client_ca_result client_ca_fetch(const struct airlock_config *cfg, const char *dir, char *path,
				      size_t cap);

#endif

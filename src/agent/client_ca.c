// SPDX-License-Identifier: GPL-2.0-only
#include "client_ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fd_write.h"
#include "http_client.h"
#include "keylime_crypto.h"
#include "log.h"
#include "url.h"

static int write_file(const char *path, const char *data, size_t len)
{
	int fd, rc = 0;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fd_write_all(fd, data, len) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		(void)unlink(path);
	return rc;
}

enum client_ca_result client_ca_fetch(const struct airlock_config *cfg, const char *dir, char *path,
				      size_t cap)
{
	struct http_client_response r = { 0 };
	struct http_url u;
	const char *why = NULL;
	uint8_t got[32];
	char got_hex[65], err[512];
	enum client_ca_result ret = CLIENT_CA_RETRY;
	int rc;

	if ((size_t)snprintf(path, cap, "%s/client-ca.pem", dir) >= cap) {
		log_err("agent: state directory %s: name too long for client-ca.pem", dir);
		return CLIENT_CA_RETRY;
	}
	/* config_parse() accepted it already; parsed again for host, port and path. */
	if (url_parse_http(cfg->client_ca, strlen(cfg->client_ca), &u, &why) != 0) {
		log_err("agent: airlock.client_ca %s: %s", cfg->client_ca, why);
		return CLIENT_CA_REFUSED;
	}
	log_info("agent: fetching the client CA from %s", cfg->client_ca);
	if (http_client_request(u.host, u.port, "GET", cfg->client_ca + u.path_off, NULL, NULL, 0,
				CLIENT_CA_TIMEOUT_MS, CLIENT_CA_MAX_BYTES, &r, err, sizeof(err)) != 0) {
		log_err("agent: cannot fetch the client CA from %s: %s", cfg->client_ca, err);
		goto out;
	}
	if (r.status != 200) {
		log_err("agent: fetching the client CA from %s: HTTP %d", cfg->client_ca, r.status);
		goto out;
	}
	if (digest(TPM_ALG_SHA256, r.body, r.body_len, got) != 0 ||
	    hex_encode(got, sizeof(got), got_hex, sizeof(got_hex), NULL) != 0) {
		log_err("agent: cannot hash the client CA");
		goto out;
	}
	if (strcmp(got_hex, cfg->client_ca_sha256) != 0) {
		log_err("agent: the client CA from %s has sha256 %s, airlock.client_ca_sha256 says %s: "
			"refused (is the URL serving the CA the tenant pinned?)", cfg->client_ca, got_hex,
			cfg->client_ca_sha256);
		ret = CLIENT_CA_REFUSED;
		goto out;
	}
	rc = write_file(path, r.body, r.body_len);
	if (rc != 0) {
		log_err("agent: cannot write %s: %s", path, strerror(-rc));
		goto out;
	}
	log_info("agent: client CA verified (sha256 %s, %zu bytes)", got_hex, r.body_len);
	ret = CLIENT_CA_OK;
out:
	http_client_response_free(&r);
	return ret;
}

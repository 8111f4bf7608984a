/* SPDX-License-Identifier: GPL-2.0-only */
#include "registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cJSON.h"
#include "clock.h"
#include "http_client.h"
#include "keylime_api.h"
#include "log.h"

#define REG_TIMEOUT_MS 30000
#define REG_BODY_MAX 65536
#define REG_BACKOFF_MAX_S 30
#define REG_SECRET_MAX 256

/* Answer's "results" object, or NULL with why in err. */
static cJSON *results_of(const struct http_client_response *r, cJSON **root, char *err,
			 size_t errlen)
{
	cJSON *res;

	*root = cJSON_ParseWithLength(r->body, r->body_len);
	if (!*root) {
		snprintf(err, errlen, "answer is not JSON");
		return NULL;
	}
	res = cJSON_GetObjectItemCaseSensitive(*root, "results");
	if (!cJSON_IsObject(res)) {
		snprintf(err, errlen, "answer has no \"results\" object");
		return NULL;
	}
	return res;
}

/* 1: retry later, 0: done, -1: final failure. */
static int post_registration(struct agent *a, uint8_t *blob, size_t cap, size_t *blob_len,
			     char *err, size_t errlen)
{
	struct http_client_response resp = { 0 };
	cJSON *req = NULL, *root = NULL, *res, *item;
	char *body = NULL, *s = NULL, path[128];
	int ret = -1;

	req = cJSON_CreateObject();
	if (!req)
		goto nomem;
	if (!(s = b64_encode_alloc(a->ek_pub, a->ek_pub_len)) || !cJSON_AddStringToObject(req, "ek_tpm", s))
		goto nomem;
	free(s);
	if (!(s = b64_encode_alloc(a->ak_pub, a->ak_pub_len)) || !cJSON_AddStringToObject(req, "aik_tpm", s))
		goto nomem;
	free(s);
	s = NULL;
	if (a->ek_cert_len) {
		if (!(s = b64_encode_alloc(a->ek_cert, a->ek_cert_len)) ||
		    !cJSON_AddStringToObject(req, "ekcert", s))
			goto nomem;
		free(s);
		s = NULL;
	}
	if (!cJSON_AddStringToObject(req, "ip", a->contact) ||
	    !cJSON_AddNumberToObject(req, "port", a->port) ||
	    !cJSON_AddStringToObject(req, "mtls_cert", a->cfg.mtls ? a->mtls_cert : "disabled"))
		goto nomem;
	body = cJSON_PrintUnformatted(req);
	if (!body)
		goto nomem;
	snprintf(path, sizeof(path), "/v%s/agents/%s", KEYLIME_API_REGISTER, a->uuid);
	if (http_client_request(a->cfg.registrar.host, a->cfg.registrar.port, "POST", path,
				"application/json", body, strlen(body), REG_TIMEOUT_MS,
				REG_BODY_MAX, &resp, err, errlen) != 0) {
		ret = 1;
		goto out;
	}
	/* Busy (429, 503: too many registrations waiting) or broken: later, not never. */
	if (resp.status >= 500 || resp.status == 429) {
		snprintf(err, errlen, "registrar answered %d to POST %s", resp.status, path);
		ret = 1;
		goto out;
	}
	if (resp.status != 200) {
		snprintf(err, errlen, "registrar refused the registration of %s: HTTP %d %.*s",
			 a->uuid, resp.status, (int)(resp.body_len > 200 ? 200 : resp.body_len),
			 resp.body ? resp.body : "");
		goto out;
	}
	res = results_of(&resp, &root, err, errlen);
	if (!res)
		goto out;
	item = cJSON_GetObjectItemCaseSensitive(res, "blob");
	if (!cJSON_IsString(item) ||
	    b64_decode(item->valuestring, strlen(item->valuestring), blob, cap, blob_len) != 0) {
		snprintf(err, errlen, "registrar's answer has no valid base64 \"blob\"");
		goto out;
	}
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory building the registration");
out:
	free(s);
	free(body);
	cJSON_Delete(req);
	cJSON_Delete(root);
	http_client_response_free(&resp);
	return ret;
}

static int put_activation(struct agent *a, const char *tag, char *err, size_t errlen)
{
	struct http_client_response resp = { 0 };
	char body[160], path[128];
	int ret = -1;

	snprintf(body, sizeof(body), "{\"auth_tag\":\"%s\"}", tag);
	snprintf(path, sizeof(path), "/v%s/agents/%s", KEYLIME_API_REGISTER, a->uuid);
	if (http_client_request(a->cfg.registrar.host, a->cfg.registrar.port, "PUT", path,
				"application/json", body, strlen(body), REG_TIMEOUT_MS,
				REG_BODY_MAX, &resp, err, errlen) != 0) {
		ret = 1;
		goto out;
	}
	if (resp.status >= 500 || resp.status == 429) {
		snprintf(err, errlen, "registrar answered %d to PUT %s", resp.status, path);
		ret = 1;
		goto out;
	}
	if (resp.status != 200) {
		snprintf(err, errlen, "registrar refused the activation of %s: HTTP %d %.*s",
			 a->uuid, resp.status, (int)(resp.body_len > 200 ? 200 : resp.body_len),
			 resp.body ? resp.body : "");
		goto out;
	}
	ret = 0;
out:
	http_client_response_free(&resp);
	return ret;
}

/* One registration + activation; 1: retry, 0: activated, -1: final. */
static int enroll_once(struct agent *a, char *err, size_t errlen)
{
	static uint8_t blob[4096];
	uint8_t secret[REG_SECRET_MAX];
	char secret_b64[4 * (REG_SECRET_MAX / 3 + 1) + 1], tag[KC_TAG_HEX_LEN + 1];
	size_t blob_len = 0, secret_len = 0, b64_len = 0;
	int rc;

	rc = post_registration(a, blob, sizeof(blob), &blob_len, err, errlen);
	if (rc != 0)
		return rc;
	if (ta_activate_credential(a->tpm, blob, blob_len, secret, sizeof(secret), &secret_len,
				   err, errlen) != 0) {
		rc = -1;
		goto out;
	}
	/* Keylime keys the tag with the base64 text of the secret, not the secret. */
	if (b64_encode(secret, secret_len, secret_b64, sizeof(secret_b64), &b64_len) != 0 ||
	    kc_auth_tag((const uint8_t *)secret_b64, b64_len, (const uint8_t *)a->uuid,
			strlen(a->uuid), tag) != 0) {
		snprintf(err, errlen, "cannot compute the activation tag");
		rc = -1;
		goto out;
	}
	rc = put_activation(a, tag, err, errlen);
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(secret_b64, sizeof(secret_b64));
	explicit_bzero(tag, sizeof(tag));
	return rc;
}

int registrar_enroll(struct agent *a, int give_up_s)
{
	char err[512];
	double start = mono_s();
	unsigned delay = 1;
	int rc;

	for (;;) {
		double t0 = mono_s();

		err[0] = '\0';
		rc = enroll_once(a, err, sizeof(err));
		if (rc == 0) {
			log_info("agent: registered and activated %s at %s:%u (%.0f ms)", a->uuid,
				 a->cfg.registrar.host, a->cfg.registrar.port,
				 (mono_s() - t0) * 1000.0);
			return 0;
		}
		if (rc < 0) {
			log_err("agent: registration failed: %s", err);
			snprintf(a->last_error, sizeof(a->last_error), "%.200s", err);
			return REGISTRAR_REFUSED;
		}
		if (give_up_s > 0 && mono_s() - start + delay > give_up_s) {
			log_err("agent: registrar unreachable, giving up after %d s: %s", give_up_s,
				err);
			return -1;
		}
		log_warn("agent: registrar %s:%u not reachable (%s); retrying in %u s",
			 a->cfg.registrar.host, a->cfg.registrar.port, err, delay);
		sleep(delay);
		delay = delay * 2u > REG_BACKOFF_MAX_S ? REG_BACKOFF_MAX_S : delay * 2u;
	}
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "vlog.h"
#include "wire.h"

/* Keylime uuids are free text; we keep them to what is safe in a path and a log. */
static int uuid_ok(const char *s, size_t n)
{
	if (n == 0 || n > STORE_UUID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

static int refuse(struct registrar *g, struct http_reply *r, int status, const char *uuid,
		  const char *why)
{
	char err[256];

	vlog("registrar: refused %s: %s", uuid, why);
	if (status == 403 && g->store && store_reject(g->store, uuid, why, err, sizeof(err)) != 0)
		vlog("registrar: %s", err);
	return wire_reply(r, status, why, NULL);
}

static int do_register(struct registrar *g, const char *uuid, cJSON *j, struct http_reply *r)
{
	static __thread struct store_node n;
	static __thread uint8_t ek_buf[STORE_BLOB_MAX], ak_buf[STORE_BLOB_MAX];
	uint8_t name[TPM_NAME_MAX_SIZE], blob[CREDBLOB_MAX_SIZE], cert[4096];
	char err[300], how[300], secret[33];
	cJSON *ip = cJSON_GetObjectItem(j, "ip"), *port = cJSON_GetObjectItem(j, "port");
	cJSON *mtls = cJSON_GetObjectItem(j, "mtls_cert"), *ekcert = cJSON_GetObjectItem(j, "ekcert");
	struct tpm_public ek, ak;
	size_t name_len, blob_len, cert_len = 0, ek_len, ak_len, k;
	cJSON *res;
	char *b;
	int ret, found;

	if (wire_unb64(cJSON_GetObjectItem(j, "ek_tpm"), ek_buf, sizeof(ek_buf), &ek_len) ||
	    wire_unb64(cJSON_GetObjectItem(j, "aik_tpm"), ak_buf, sizeof(ak_buf), &ak_len))
		return refuse(g, r, 400, uuid, "ek_tpm and aik_tpm must be base64 TPM2B_PUBLIC");
	if (!cJSON_IsString(ip) || strlen(ip->valuestring) >= sizeof(n.ip) || !cJSON_IsNumber(port) ||
	    port->valuedouble < 1 || port->valuedouble > 65535 || !cJSON_IsString(mtls))
		return refuse(g, r, 400, uuid, "ip, port and mtls_cert are required");
	if (ekcert && !cJSON_IsNull(ekcert) &&
	    (!cJSON_IsString(ekcert) || (strlen(ekcert->valuestring) &&
					  wire_unb64(ekcert, cert, sizeof(cert), &cert_len))))
		return refuse(g, r, 400, uuid, "ekcert must be base64 DER");
	if (tpm_public_parse(ek_buf, ek_len, &ek, err, sizeof(err)) != 0) {
		snprintf(how, sizeof(how), "EK: %.280s", err);
		return refuse(g, r, 400, uuid, how);
	}
	if (tpm_public_parse(ak_buf, ak_len, &ak, err, sizeof(err)) != 0) {
		snprintf(how, sizeof(how), "AK: %.280s", err);
		return refuse(g, r, 400, uuid, how);
	}
	/* An AK that can sign anything could sign a forged quote. */
	if ((ak.attributes & (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT |
			      TPMA_OBJECT_FIXEDTPM)) !=
	    (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM))
		return refuse(g, r, 403, uuid, "AK is not a fixedTPM restricted signing key");
	if (ek_trust_check(g->trust, &ek, cert, cert_len, how, sizeof(how)) != 0)
		return refuse(g, r, 403, uuid, how);
	found = store_get(g->store, uuid, &n, err, sizeof(err));
	if (found < 0)
		return wire_reply(r, 500, "state database failed", NULL);
	/* Re-registration (after a reboot) with a fresh AK is fine; with another EK it is not. */
	if (found && (n.ek_tpm_len != ek_len || memcmp(n.ek_tpm, ek_buf, ek_len) != 0))
		return refuse(g, r, 403, uuid, "uuid already registered with another EK");
	memset(&n, 0, sizeof(n));
	snprintf(n.uuid, sizeof(n.uuid), "%s", uuid);
	memcpy(n.ek_tpm, ek_buf, ek_len);
	n.ek_tpm_len = ek_len;
	memcpy(n.aik_tpm, ak_buf, ak_len);
	n.aik_tpm_len = ak_len;
	if (tpm_public_name(&ak, name, sizeof(name), &name_len) != 0 ||
	    wire_alnum(g->rng, secret, 32) != 0 ||
	    make_credential(&ek, name, name_len, (const uint8_t *)secret, 32, kc_rng_bytes, g->rng,
			    blob, sizeof(blob), &blob_len, err, sizeof(err)) != 0) {
		vlog("registrar: MakeCredential for %s failed: %s", uuid, err);
		ret = wire_reply(r, 500, "MakeCredential failed", NULL);
		goto out;
	}
	kc_b64_encode((const uint8_t *)secret, 32, n.secret_b64, sizeof(n.secret_b64), &k);
	snprintf(n.ip, sizeof(n.ip), "%s", ip->valuestring);
	n.port = (int)port->valuedouble;
	n.mtls = strcmp(mtls->valuestring, "disabled") != 0;
	if (n.mtls) {
		/* The pin the verifier and tenant trust for this agent's TLS server. */
		mbedtls_x509_crt crt;
		int bad;

		mbedtls_x509_crt_init(&crt);
		bad = strlen(mtls->valuestring) >= sizeof(n.mtls_cert) ||
		      mbedtls_x509_crt_parse(&crt, (const unsigned char *)mtls->valuestring,
					     strlen(mtls->valuestring) + 1) != 0;
		mbedtls_x509_crt_free(&crt);
		if (bad) {
			ret = refuse(g, r, 400, uuid, "mtls_cert is neither \"disabled\" nor one PEM "
				     "certificate");
			goto out;
		}
		snprintf(n.mtls_cert, sizeof(n.mtls_cert), "%s", mtls->valuestring);
	}
	snprintf(n.ek_trust, sizeof(n.ek_trust), "%.255s", how);
	/* A node that registers again starts over: new AK, new enrolment. */
	snprintf(n.state, sizeof(n.state), "registered");
	if (store_put(g->store, &n, err, sizeof(err)) != 0) {
		vlog("registrar: %s", err);
		ret = wire_reply(r, 500, "state database failed", NULL);
		goto out;
	}
	b = wire_b64(blob, blob_len);
	res = cJSON_CreateObject();
	if (!b || !res || !cJSON_AddStringToObject(res, "blob", b)) {
		free(b);
		cJSON_Delete(res);
		ret = wire_reply(r, 500, "out of memory", NULL);
		goto out;
	}
	free(b);
	vlog("registrar: registered %s at %s:%d (EK trusted by %s)", uuid, n.ip, n.port, how);
	ret = wire_reply(r, 200, NULL, res);
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(n.secret_b64, sizeof(n.secret_b64));
	return ret;
}

static int do_activate(struct registrar *g, const char *uuid, cJSON *j, struct http_reply *r)
{
	static __thread struct store_node n;
	cJSON *tag = cJSON_GetObjectItem(j, "auth_tag");
	char err[300];
	int found, ret;

	found = store_get(g->store, uuid, &n, err, sizeof(err));
	if (found < 0)
		return wire_reply(r, 500, "state database failed", NULL);
	if (!found || !n.secret_b64[0])
		return refuse(g, r, 404, uuid, "activation of an unknown or already active agent");
	if (!cJSON_IsString(tag)) {
		ret = refuse(g, r, 400, uuid, "activation without auth_tag");
		goto out;
	}
	if (!kc_auth_tag_matches((const uint8_t *)n.secret_b64, strlen(n.secret_b64),
				 (const uint8_t *)uuid, strlen(uuid), tag->valuestring,
				 strlen(tag->valuestring))) {
		/* Keylime deletes the registration: the agent must start over. */
		if (store_delete(g->store, uuid, err, sizeof(err)) != 0)
			vlog("registrar: %s", err);
		ret = refuse(g, r, 403, uuid, "auth_tag wrong: AK not activated by the EK's TPM");
		goto out;
	}
	n.secret_b64[0] = '\0';
	snprintf(n.state, sizeof(n.state), "active");
	if (store_put(g->store, &n, err, sizeof(err)) != 0) {
		vlog("registrar: %s", err);
		ret = wire_reply(r, 500, "state database failed", NULL);
		goto out;
	}
	vlog("registrar: activated %s", uuid);
	ret = wire_reply(r, 200, NULL, NULL);
out:
	explicit_bzero(n.secret_b64, sizeof(n.secret_b64));
	explicit_bzero(n.v_key, sizeof(n.v_key));
	return ret;
}

/* GET: what Keylime's registrar answers for one agent. */
static int do_show(struct registrar *g, const char *uuid, struct http_reply *r)
{
	static __thread struct store_node n;
	char err[300], *ek, *ak;
	cJSON *res;
	int found;

	found = store_get(g->store, uuid, &n, err, sizeof(err));
	explicit_bzero(n.v_key, sizeof(n.v_key));
	if (found <= 0)
		return wire_reply(r, found < 0 ? 500 : 404, found < 0 ? "state database failed" :
				  "agent not found", NULL);
	ek = wire_b64(n.ek_tpm, n.ek_tpm_len);
	ak = wire_b64(n.aik_tpm, n.aik_tpm_len);
	res = cJSON_CreateObject();
	if (ek && ak && res) {
		cJSON_AddStringToObject(res, "ek_tpm", ek);
		cJSON_AddStringToObject(res, "aik_tpm", ak);
		cJSON_AddStringToObject(res, "ip", n.ip);
		cJSON_AddNumberToObject(res, "port", n.port);
		cJSON_AddBoolToObject(res, "active", strcmp(n.state, "registered") != 0);
	}
	free(ek);
	free(ak);
	return wire_reply(r, 200, NULL, res);
}

int registrar_handle(void *ctx, const struct http_request *req, struct http_reply *r)
{
	struct registrar *g = ctx;
	unsigned major, minor;
	const char *rest;
	size_t rlen, ulen;
	char uuid[STORE_UUID_MAX + 1];
	cJSON *j = NULL;
	int ret, activate_path = 0;

	if (http_path_version(req->path, req->path_len, &major, &minor, &rest, &rlen) != 0 ||
	    major != 2 || rlen <= 8 || memcmp(rest, "/agents/", 8) != 0)
		return wire_reply(r, 404, "not found: the registrar serves /v2.x/agents/{uuid}", NULL);
	rest += 8;
	rlen -= 8;
	ulen = rlen;
	if (rlen > 9 && memcmp(rest + rlen - 9, "/activate", 9) == 0) {
		ulen = rlen - 9;
		activate_path = 1;
	}
	if (!uuid_ok(rest, ulen))
		return wire_reply(r, 400, "agent uuid must be 1-64 characters of [A-Za-z0-9._-]",
				  NULL);
	memcpy(uuid, rest, ulen);
	uuid[ulen] = '\0';
	if (req->method == HTTP_METHOD_GET && !activate_path)
		return do_show(g, uuid, r);
	if (req->method != HTTP_METHOD_POST && req->method != HTTP_METHOD_PUT)
		return wire_reply(r, 405, "method not allowed", NULL);
	j = cJSON_ParseWithLength(req->body, req->body_len);
	if (!cJSON_IsObject(j)) {
		ret = refuse(g, r, 400, uuid, "body is not a JSON object");
		goto out;
	}
	if (req->method == HTTP_METHOD_POST && !activate_path)
		ret = do_register(g, uuid, j, r);
	else
		ret = do_activate(g, uuid, j, r);
out:
	cJSON_Delete(j);
	return ret;
}

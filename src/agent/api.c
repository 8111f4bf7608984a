/* SPDX-License-Identifier: GPL-2.0-only */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cJSON.h"
#include "clock.h"
#include "digest.h"
#include "keylime_api.h"
#include "log.h"
#include "file_read.h"

#define NONCE_MAX 64
#define CHALLENGE_MAX 128
#define LOG_FILE_MAX (8u << 20)
#define IDENTITY_MASK (1u << 16)


size_t api_body_max(const struct agent *a)
{
	/* base64 of the payload, the encrypted U (344 characters) and the JSON around them */
	return (size_t)a->cfg.payload_max / 3u * 4u + 8u + 4096u;
}

int api_key_ready(const struct agent *a)
{
	return a->keys.have_k;
}

static void answer(struct api_answer *ans, int status, const char *msg, cJSON *results)
{
	cJSON *root = cJSON_CreateObject();

	ans->status = status;
	ans->body = NULL;
	ans->len = 0;
	if (!results)
		results = cJSON_CreateObject();
	if (!root || !results || !cJSON_AddNumberToObject(root, "code", status) ||
	    !cJSON_AddStringToObject(root, "status", msg ? msg : http_status_reason(status))) {
		cJSON_Delete(results);
		goto out;
	}
	cJSON_AddItemToObject(root, "results", results);
	ans->body = cJSON_PrintUnformatted(root);
	if (ans->body)
		ans->len = strlen(ans->body);
out:
	cJSON_Delete(root);
	if (!ans->body) {
		/* Out of memory: a fixed answer the server can still send. */
		ans->status = 500;
	}
}

static void fail(struct api_answer *ans, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct api_answer *ans, int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("agent: request refused (%d): %s", status, msg);
	answer(ans, status, msg, NULL);
}

static bool alnum_token(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

/* A query parameter; 1 found, 0 absent, -1 answered with 400. */
static int query(const struct http_request *req, const char *name, char *out, size_t cap,
		 struct api_answer *ans)
{
	int rc = http_query_get(req, name, out, cap);

	if (rc >= 0)
		return 1;
	if (rc == HTTP_QUERY_NOT_FOUND)
		return 0;
	fail(ans, 400, "query parameter %s is %s", name,
	     rc == HTTP_QUERY_TOO_LONG ? "too long" :
	     rc == HTTP_QUERY_DUPLICATE ? "given twice" : "malformed");
	return -1;
}

static int get_nonce(const struct http_request *req, char *nonce, struct api_answer *ans)
{
	int rc = query(req, "nonce", nonce, NONCE_MAX + 1, ans);

	if (rc < 0)
		return -1;
	if (rc == 0 || !alnum_token(nonce, strlen(nonce), NONCE_MAX)) {
		fail(ans, 400, "nonce must be 1 to %d letters and digits", NONCE_MAX);
		return -1;
	}
	return 0;
}

/* Keylime masks are hex with 0x; bit n is PCR n, PCRs 0..23 exist. */
static int parse_mask(const char *s, uint32_t *mask)
{
	unsigned long long v = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!*p || strlen(p) > 8)
		return -1;
	for (; *p; p++) {
		int d = isdigit((unsigned char)*p) ? *p - '0' :
			(*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 :
			(*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16u + (unsigned)d;
	}
	if (v >> 24)
		return -1;
	*mask = (uint32_t)v;
	return 0;
}

static const char *enc_alg(const struct agent *a, unsigned minor)
{
	/* API 2.5 names the key size; older verifiers know only "rsa" and "ecc". */
	if (minor >= 5)
		return a->ek_type == TA_KEY_ECC_P256 ? "ecc256" : "rsa2048";
	return ta_key_type_name(a->ek_type);
}

static void quote(struct agent *a, const struct http_request *req, unsigned minor,
		  bool integrity, struct api_answer *ans)
{
	static uint8_t attest[TA_ATTEST_MAX], sig[TA_SIG_MAX], blob[TA_PCRBLOB_MAX];
	char nonce[NONCE_MAX + 1], val[32], err[256];
	size_t attest_len, sig_len, blob_len;
	char *qa = NULL, *qs = NULL, *qb = NULL, *qstr = NULL;
	uint32_t mask = IDENTITY_MASK;
	bool partial = false;
	unsigned long ima_entry = 0;
	cJSON *res = NULL;
	double t0 = mono_s(), t_tpm;
	int rc;

	if (get_nonce(req, nonce, ans) != 0)
		return;
	if (integrity) {
		rc = query(req, "mask", val, sizeof(val), ans);
		if (rc < 0)
			return;
		if (rc == 1 && parse_mask(val, &mask) != 0) {
			fail(ans, 400, "mask must be a hex bitmap of PCRs 0..23, got \"%s\"", val);
			return;
		}
		mask |= IDENTITY_MASK;
		rc = query(req, "partial", val, sizeof(val), ans);
		if (rc < 0)
			return;
		if (rc == 1 && strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
			fail(ans, 400, "partial must be 0 or 1");
			return;
		}
		partial = rc == 1 && val[0] == '1';
		rc = query(req, "ima_ml_entry", val, sizeof(val), ans);
		if (rc < 0)
			return;
		if (rc == 1) {
			char *end;

			errno = 0;
			ima_entry = strtoul(val, &end, 10);
			if (errno || *end || !isdigit((unsigned char)val[0])) {
				fail(ans, 400, "ima_ml_entry must be a decimal number");
				return;
			}
		}
	}
	t_tpm = mono_s();
	if (ta_quote(a->tpm, mask, TPM_ALG_SHA256, (const uint8_t *)nonce, strlen(nonce), attest,
		     sizeof(attest), &attest_len, sig, sizeof(sig), &sig_len, blob, sizeof(blob),
		     &blob_len, err, sizeof(err)) != 0) {
		fail(ans, 500, "quote failed: %s", err);
		return;
	}
	t_tpm = mono_s() - t_tpm;
	qa = b64_encode_alloc(attest, attest_len);
	qs = b64_encode_alloc(sig, sig_len);
	qb = b64_encode_alloc(blob, blob_len);
	res = cJSON_CreateObject();
	if (!qa || !qs || !qb || !res)
		goto nomem;
	qstr = malloc(strlen(qa) + strlen(qs) + strlen(qb) + 4u);
	if (!qstr)
		goto nomem;
	sprintf(qstr, "r%s:%s:%s", qa, qs, qb);
	if (!cJSON_AddStringToObject(res, "quote", qstr) ||
	    !cJSON_AddStringToObject(res, "hash_alg", "sha256") ||
	    !cJSON_AddStringToObject(res, "enc_alg", enc_alg(a, minor)) ||
	    !cJSON_AddStringToObject(res, "sign_alg", ta_sign_alg_name(a->ak_type)))
		goto nomem;
	if ((!integrity || !partial) && !cJSON_AddStringToObject(res, "pubkey", a->nk.pem))
		goto nomem;
	if (integrity) {
		uint8_t *log = NULL;
		size_t len = 0;
		char *b = NULL;

		if (!cJSON_AddNumberToObject(res, "boottime", a->boot_time))
			goto nomem;
		/* The firmware's log answers PCRs 0-7; Keylime asks for it with PCR 0. */
		if ((mask & 1u) && a->fw_log.data && !(b = b64_encode_alloc(a->fw_log.data, a->fw_log.len)))
			goto nomem;
		if (b ? !cJSON_AddStringToObject(res, "mb_measurement_list", b) :
			!cJSON_AddNullToObject(res, "mb_measurement_list")) {
			free(b);
			goto nomem;
		}
		free(b);
		b = NULL;
		/* The runtime's own log replays PCRs 8 and 9 (docs/eventlog.md). */
		log = NULL;
		if (mask & ((1u << 8) | (1u << 9)))
			log = file_read(a->opt.eventlog, LOG_FILE_MAX, &len, NULL, 0);
		if (log && !(b = b64_encode_alloc(log, len))) {
			free(log);
			goto nomem;
		}
		free(log);
		if (b ? !cJSON_AddStringToObject(res, "airlock_runtime_log", b) :
			!cJSON_AddNullToObject(res, "airlock_runtime_log")) {
			free(b);
			goto nomem;
		}
		free(b);
		log = NULL;
		if (mask & (1u << 10))
			log = file_read(a->opt.ima_log, LOG_FILE_MAX, &len, NULL, 0);
		if (log) {
			/* Lines from entry ima_entry on. */
			size_t off = 0, line = 0;
			char *text;

			while (line < ima_entry && off < len) {
				uint8_t *nl = memchr(log + off, '\n', len - off);

				off = nl ? (size_t)(nl - log) + 1u : len;
				line++;
			}
			text = malloc(len - off + 1u);
			if (!text) {
				free(log);
				goto nomem;
			}
			memcpy(text, log + off, len - off);
			text[len - off] = '\0';
			free(log);
			if (!cJSON_AddStringToObject(res, "ima_measurement_list", text)) {
				free(text);
				goto nomem;
			}
			free(text);
			if (!cJSON_AddNumberToObject(res, "ima_measurement_list_entry",
						     (double)ima_entry))
				goto nomem;
		} else if (!cJSON_AddNullToObject(res, "ima_measurement_list")) {
			goto nomem;
		}
	}
	answer(ans, 200, "Success", res);
	res = NULL;
	/* What `make bench` reads: the TPM's share and ours, per quote. */
	log_debug("agent: quote timing: mask 0x%06x tpm %.2f ms agent %.2f ms", mask,
		  t_tpm * 1000.0, (mono_s() - t0 - t_tpm) * 1000.0);
	goto out;
nomem:
	fail(ans, 500, "out of memory building the quote answer");
out:
	cJSON_Delete(res);
	free(qa);
	free(qs);
	free(qb);
	free(qstr);
}

/* The JSON body of a POST, or NULL answered with 400. */
static cJSON *json_body(const struct http_request *req, struct api_answer *ans)
{
	cJSON *j;

	if (req->body_len == 0) {
		fail(ans, 400, "request needs a JSON body");
		return NULL;
	}
	j = cJSON_ParseWithLength(req->body, req->body_len);
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		fail(ans, 400, "request body is not a JSON object");
		return NULL;
	}
	return j;
}

static int decrypt_half(struct agent *a, cJSON *j, uint8_t out[KC_KEY_LEN],
			struct api_answer *ans)
{
	uint8_t enc[KC_RSA_MAX_BYTES];
	cJSON *item = cJSON_GetObjectItemCaseSensitive(j, "encrypted_key");
	char err[160];
	size_t len;

	if (!cJSON_IsString(item) ||
	    b64_decode(item->valuestring, strlen(item->valuestring), enc, sizeof(enc), &len) !=
		    0) {
		fail(ans, 400, "encrypted_key must be base64 of at most %d bytes", KC_RSA_MAX_BYTES);
		return -1;
	}
	if (kc_oaep_sha1_decrypt(&a->nk, &a->rng, enc, len, out, err, sizeof(err)) != 0) {
		fail(ans, 400, "encrypted_key does not decrypt with this agent's key: %s", err);
		return -1;
	}
	return 0;
}

static void ukey(struct agent *a, const struct http_request *req, struct api_answer *ans)
{
	uint8_t u[KC_KEY_LEN], *payload = NULL;
	size_t payload_len = 0;
	cJSON *j, *tag, *pl;
	char err[160];
	int rc;

	j = json_body(req, ans);
	if (!j)
		return;
	tag = cJSON_GetObjectItemCaseSensitive(j, "auth_tag");
	if (!cJSON_IsString(tag)) {
		fail(ans, 400, "auth_tag (hex string) is missing");
		goto out;
	}
	pl = cJSON_GetObjectItemCaseSensitive(j, "payload");
	if (pl && !cJSON_IsNull(pl)) {
		size_t slen = cJSON_IsString(pl) ? strlen(pl->valuestring) : 0;

		if (!cJSON_IsString(pl) || slen / 4u * 3u > a->cfg.payload_max + 2u) {
			fail(ans, cJSON_IsString(pl) ? 413 : 400,
			     "payload must be base64 of at most %u bytes (airlock.payload_max)",
			     a->cfg.payload_max);
			goto out;
		}
		payload = malloc(slen / 4u * 3u + 1u);
		if (!payload) {
			fail(ans, 500, "out of memory for the payload");
			goto out;
		}
		if (b64_decode(pl->valuestring, slen, payload, slen / 4u * 3u + 1u,
				  &payload_len) != 0 || payload_len > a->cfg.payload_max) {
			free(payload);
			payload = NULL;
			fail(ans, 400, "payload is not base64 of at most %u bytes",
			     a->cfg.payload_max);
			goto out;
		}
	}
	if (decrypt_half(a, j, u, ans) != 0) {
		free(payload);
		goto out;
	}
	/* Once the payload was refused (and that measured) this boot hands off nothing. */
	if (a->phase == AGENT_FAILED) {
		if (payload)
			explicit_bzero(payload, payload_len);
		free(payload);
		fail(ans, 409, "U refused: this boot refused a payload (measured into PCR 8); "
		     "reboot the node into the airlock");
		goto out;
	}
	rc = keys_add_u(&a->keys, u, tag->valuestring, strlen(tag->valuestring), payload,
			payload_len, err, sizeof(err));
	if (rc < 0) {
		fail(ans, 400, "U refused: %s", err);
		goto out;
	}
	if (rc == KEYS_REPLACED) {
		/* The tenant enrolled the node again: the old key and payload are gone. */
		a->rekey = true;
		log_info("agent: received a new U%s; the derived key and its payload are dropped",
			 payload ? " with a payload" : "");
	} else {
		log_info("agent: received U%s", payload ? " with a payload" : "");
	}
	if (keys_try_combine(&a->keys))
		log_info("agent: U and V combine: the payload key is derived");
	answer(ans, 200, "Success", NULL);
out:
	explicit_bzero(u, sizeof(u));
	cJSON_Delete(j);
}

static void vkey(struct agent *a, const struct http_request *req, struct api_answer *ans)
{
	uint8_t v[KC_KEY_LEN];
	char err[160];
	cJSON *j;
	int rc;

	j = json_body(req, ans);
	if (!j)
		return;
	if (decrypt_half(a, j, v, ans) != 0)
		goto out;
	rc = keys_add_v(&a->keys, v, err, sizeof(err));
	if (rc < 0) {
		fail(ans, 400, "V refused: %s", err);
		goto out;
	}
	if (rc == KEYS_ALREADY) {
		log_info("agent: received the same V again; the key is derived with it");
		answer(ans, 200, "Success", NULL);
		goto out;
	}
	log_info("agent: received V");
	if (keys_try_combine(&a->keys))
		log_info("agent: U and V combine: the payload key is derived");
	answer(ans, 200, "Success", NULL);
out:
	explicit_bzero(v, sizeof(v));
	cJSON_Delete(j);
}

static void verify(struct agent *a, const struct http_request *req, struct api_answer *ans)
{
	char challenge[CHALLENGE_MAX + 1], hmac[KC_TAG_HEX_LEN + 1];
	cJSON *res;
	int rc;

	rc = query(req, "challenge", challenge, sizeof(challenge), ans);
	if (rc < 0)
		return;
	if (rc == 0 || !alnum_token(challenge, strlen(challenge), CHALLENGE_MAX)) {
		fail(ans, 400, "challenge must be 1 to %d letters and digits", CHALLENGE_MAX);
		return;
	}
	if (!a->keys.have_k) {
		fail(ans, 400, "bootstrap key not yet derived");
		return;
	}
	if (kc_auth_tag(a->keys.k, KC_KEY_LEN, (const uint8_t *)challenge, strlen(challenge),
			hmac) != 0) {
		fail(ans, 500, "HMAC failed");
		return;
	}
	res = cJSON_CreateObject();
	if (!res || !cJSON_AddStringToObject(res, "hmac", hmac)) {
		cJSON_Delete(res);
		fail(ans, 500, "out of memory");
		return;
	}
	a->verified = true;
	answer(ans, 200, "Success", res);
}

static void version(struct api_answer *ans)
{
	cJSON *res = cJSON_CreateObject(), *list = cJSON_CreateArray();
	size_t i;

	if (!res || !list)
		goto nomem;
	for (i = 0; i < keylime_api_nversions; i++) {
		cJSON *s = cJSON_CreateString(keylime_api_versions[i]);

		if (!s)
			goto nomem;
		cJSON_AddItemToArray(list, s);
	}
	if (!cJSON_AddStringToObject(res, "supported_version", keylime_api_versions[keylime_api_nversions - 1]))
		goto nomem;
	cJSON_AddItemToObject(res, "supported_versions", list);
	answer(ans, 200, "Success", res);
	return;
nomem:
	cJSON_Delete(res);
	cJSON_Delete(list);
	fail(ans, 500, "out of memory");
}

static void info(struct agent *a, unsigned minor, struct api_answer *ans)
{
	cJSON *res = cJSON_CreateObject();

	if (!res || !cJSON_AddStringToObject(res, "agent_uuid", a->uuid) ||
	    !cJSON_AddStringToObject(res, "tpm_hash_alg", "sha256") ||
	    !cJSON_AddStringToObject(res, "tpm_enc_alg", enc_alg(a, minor)) ||
	    !cJSON_AddStringToObject(res, "tpm_sign_alg", ta_sign_alg_name(a->ak_type)) ||
	    !cJSON_AddStringToObject(res, "airlock_mode",
				     a->opt.mode == AGENT_MODE_HOST ? "host" : "runtime")) {
		cJSON_Delete(res);
		fail(ans, 500, "out of memory");
		return;
	}
	answer(ans, 200, "Success", res);
}

static void revocation(struct agent *a, const struct http_request *req, struct api_answer *ans)
{
	cJSON *j = json_body(req, ans), *msg, *sig;
	char why[512];
	int status;

	if (!j)
		return;
	msg = cJSON_GetObjectItemCaseSensitive(j, "msg");
	sig = cJSON_GetObjectItemCaseSensitive(j, "signature");
	if (!cJSON_IsString(msg) || !cJSON_IsString(sig)) {
		log_warn("agent: a revocation notice without the strings msg and signature; "
			 "ignored");
		fail(ans, 400, "a revocation notice needs the strings msg and signature");
		goto out;
	}
	status = revocation_receive(&a->rev, msg->valuestring, strlen(msg->valuestring),
				    sig->valuestring, strlen(sig->valuestring), why, sizeof(why));
	if (status != 200) {
		log_warn("agent: %s", why);
		fail(ans, status, "%s", why);
		goto out;
	}
	log_info("agent: %s", why);
	answer(ans, 200, "Success", NULL);
out:
	cJSON_Delete(j);
}

static void pubkey(struct agent *a, struct api_answer *ans)
{
	cJSON *res = cJSON_CreateObject();

	if (!res || !cJSON_AddStringToObject(res, "pubkey", a->nk.pem)) {
		cJSON_Delete(res);
		fail(ans, 500, "out of memory");
		return;
	}
	answer(ans, 200, "Success", res);
}

static bool route(const char *rest, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(rest, want, len) == 0;
}

void api_handle(struct agent *a, const struct http_request *req, struct api_answer *ans)
{
	bool get = req->method == HTTP_METHOD_GET, post = req->method == HTTP_METHOD_POST;
	unsigned major, minor;
	const char *rest;
	char v[16];
	size_t rlen, i;

	if (route(req->path, req->path_len, "/version")) {
		if (get)
			version(ans);
		else
			fail(ans, 405, "/version takes GET");
		return;
	}
	if (http_path_version(req->path, req->path_len, &major, &minor, &rest, &rlen) != 0) {
		fail(ans, 404, "unknown path; the API is under /v<major>.<minor>/");
		return;
	}
	snprintf(v, sizeof(v), "%u.%u", major, minor);
	for (i = 0; i < keylime_api_nversions && strcmp(v, keylime_api_versions[i]) != 0; i++)
		;
	if (i == keylime_api_nversions) {
		/* Keylime's verifier negotiates again only on this text (rust-keylime's words). */
		fail(ans, 400, "API version not supported: v%s (2.1 to 2.6 are)", v);
		return;
	}
	if (get && route(rest, rlen, "/quotes/identity"))
		quote(a, req, minor, false, ans);
	else if (get && route(rest, rlen, "/quotes/integrity"))
		quote(a, req, minor, true, ans);
	else if (post && route(rest, rlen, "/keys/ukey"))
		ukey(a, req, ans);
	else if (post && route(rest, rlen, "/keys/vkey"))
		vkey(a, req, ans);
	else if (get && route(rest, rlen, "/keys/verify"))
		verify(a, req, ans);
	else if (get && route(rest, rlen, "/keys/pubkey"))
		pubkey(a, ans);
	else if (get && minor >= 2 && route(rest, rlen, "/agent/info"))
		info(a, minor, ans);
	else if (post && route(rest, rlen, "/notifications/revocation"))
		revocation(a, req, ans);
	else
		fail(ans, 404, "no such endpoint: %s %.*s", http_method_name(req->method),
		     (int)(req->path_len > 100 ? 100 : req->path_len), req->path);
}

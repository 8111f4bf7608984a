/* SPDX-License-Identifier: GPL-2.0-only */
#include "attest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "cJSON.h"
#include "eventlog.h"
#include "keylime_api.h"
#include "runtime_events.h"
#include "http_client.h"
#include "policy.h"
#include "quote.h"
#include "tpm_public.h"
#include "pending_v.h"
#include "vlog.h"
#include "wire.h"

#define NONCE_LEN 20
#define LOG_MAX (8u << 20)

void attest_clean_text(char *s)
{
	/* Reasons carry text from agents into logs, hooks and signed notices. */
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static int say(int result, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int say(int result, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	attest_clean_text(why);
	return result;
}

/* A worker's TLS client: our certificate once, the agent's pin per call. */
struct agent_tls {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt own, pin;
	mbedtls_pk_context key;
	int ready;
};

static __thread struct agent_tls tls_ctx;

static int tls_prepare(const struct store_node *n, const struct attest_opts *o,
		       struct kc_rng *rng, char *why, size_t whylen)
{
	struct agent_tls *t = &tls_ctx;
	int rc;

	if (!o->client_cert || !o->client_key)
		return say(ATTEST_ERROR, why, whylen, "agent %s uses mutual TLS: give --client-cert "
			   "and --client-key (issued by the client CA the agents trust)", n->uuid);
	if (!t->ready) {
		mbedtls_ssl_config_init(&t->conf);
		mbedtls_x509_crt_init(&t->own);
		mbedtls_x509_crt_init(&t->pin);
		mbedtls_pk_init(&t->key);
		if ((rc = mbedtls_x509_crt_parse_file(&t->own, o->client_cert)) != 0 ||
		    (rc = mbedtls_pk_parse_keyfile(&t->key, o->client_key, NULL, kc_rng_bytes,
						   rng)) != 0 ||
		    (rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
						      MBEDTLS_SSL_TRANSPORT_STREAM,
						      MBEDTLS_SSL_PRESET_DEFAULT)) != 0 ||
		    (rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->own, &t->key)) != 0) {
			mbedtls_ssl_config_free(&t->conf);
			mbedtls_x509_crt_free(&t->own);
			mbedtls_pk_free(&t->key);
			return say(ATTEST_ERROR, why, whylen, "client certificate %s or key %s unusable "
				   "(mbedtls -0x%04x)", o->client_cert, o->client_key, (unsigned)-rc);
		}
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
		t->ready = 1;
	}
	mbedtls_ssl_conf_rng(&t->conf, kc_rng_bytes, rng);
	mbedtls_x509_crt_free(&t->pin);
	mbedtls_x509_crt_init(&t->pin);
	rc = mbedtls_x509_crt_parse(&t->pin, (const unsigned char *)n->mtls_cert,
				    strlen(n->mtls_cert) + 1);
	if (rc != 0)
		return say(ATTEST_FAIL, why, whylen, "the agent's registered certificate does not "
			   "parse (mbedtls -0x%04x)", (unsigned)-rc);
	/* The registered certificate is the only anchor: no CA, no host name. */
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->pin, NULL);
	return ATTEST_PASS;
}

void attest_tls_free(void)
{
	struct agent_tls *t = &tls_ctx;

	if (!t->ready)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->own);
	mbedtls_x509_crt_free(&t->pin);
	mbedtls_pk_free(&t->key);
	memset(t, 0, sizeof(*t));
}

/*
 * One call to the agent; *root owns the answer, *res is its "results".
 * ATTEST_GONE when nothing answered (no connection, no TLS with the pinned
 * certificate, no whole answer in time), ATTEST_ERROR for an answer that says
 * "not now" (429, 5xx: busy, a TPM hiccup), ATTEST_FAIL for a refusal.
 */
static int agent_call(const struct store_node *n, const struct attest_opts *o, struct kc_rng *rng,
		      const char *method, const char *path, const char *body, cJSON **root,
		      cJSON **res, char *why, size_t whylen)
{
	struct http_client_response r = { 0 };
	struct http_client_tls tls = { &tls_ctx.conf, NULL };
	struct http_client_req rq = { 0 };
	const char *host = o->agent_host ? o->agent_host : n->ip;
	uint16_t port = (uint16_t)(o->agent_host ? o->agent_port : n->port);
	char err[300];
	int ret, rc;

	*root = NULL;
	*res = NULL;
	if (n->mtls && (ret = tls_prepare(n, o, rng, why, whylen)) != ATTEST_PASS)
		return ret;
	rq.tls = n->mtls ? &tls : NULL;
	rq.host = host;
	rq.port = port;
	rq.method = method;
	rq.path = path;
	rq.content_type = body ? "application/json" : NULL;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.timeout_ms = o->timeout_ms;
	rq.resp_body_max = ATTEST_ANSWER_MAX;
	rq.user_agent = o->user_agent;
	rc = http_client_do(&rq, &r, err, sizeof(err));
	if (rc != 0)
		return say(rc == HTTP_CLIENT_E_CONNECT || rc == HTTP_CLIENT_E_TIMEOUT ||
			   rc == HTTP_CLIENT_E_IO || rc == HTTP_CLIENT_E_TLS ||
			   rc == HTTP_CLIENT_E_RESOLVE ? ATTEST_GONE : ATTEST_ERROR, why, whylen,
			   "%s %s: %s", method, path, err);
	if (r.status == 429 || r.status >= 500) {
		ret = say(ATTEST_ERROR, why, whylen, "%s %s: agent answered HTTP %d (busy or a "
			  "transient error; asked again later)", method, path, r.status);
		goto out;
	}
	if (r.status != 200) {
		ret = say(ATTEST_FAIL, why, whylen, "%s %s: agent answered HTTP %d: %.120s", method,
			  path, r.status, r.body);
		goto out;
	}
	*root = cJSON_ParseWithLength(r.body, r.body_len);
	*res = *root ? cJSON_GetObjectItem(*root, "results") : NULL;
	if (!cJSON_IsObject(*res)) {
		cJSON_Delete(*root);
		*root = NULL;
		ret = say(ATTEST_FAIL, why, whylen, "%s %s: answer is not a Keylime JSON envelope",
			  method, path);
		goto out;
	}
	ret = ATTEST_PASS;
out:
	http_client_response_free(&r);
	return ret;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int pick_version(const struct store_node *n, const struct attest_opts *o,
			struct kc_rng *rng, char *out, size_t cap, char *why, size_t whylen)
{
	cJSON *root, *res, *list, *v;
	int ret = agent_call(n, o, rng, "GET", "/version", NULL, &root, &res, why, whylen);

	if (ret != ATTEST_PASS)
		return ret;
	out[0] = '\0';
	list = cJSON_GetObjectItem(res, "supported_versions");
	if (!cJSON_IsArray(list))
		list = cJSON_GetObjectItem(res, "supported_version");
	for (size_t i = 0; i < keylime_api_nversions; i++) {
		if (cJSON_IsString(list) && !strcmp(list->valuestring, keylime_api_versions[i]))
			snprintf(out, cap, "%s", keylime_api_versions[i]);
		if (!cJSON_IsArray(list))
			continue;
		cJSON_ArrayForEach(v, list)
			if (cJSON_IsString(v) && !strcmp(v->valuestring, keylime_api_versions[i]))
				snprintf(out, cap, "%s", keylime_api_versions[i]);
	}
	cJSON_Delete(root);
	if (!out[0])
		return say(ATTEST_FAIL, why, whylen, "agent supports no API version from 2.1 to 2.6");
	return ATTEST_PASS;
}

/* airlock's agent says whether it is the runtime (it hands off after V) or a host agent. */
static void agent_mode(const struct store_node *n, const struct attest_opts *o,
		       struct kc_rng *rng, char *out, size_t cap)
{
	char path[64], why[300];
	const char *m;
	cJSON *root = NULL, *res;

	out[0] = '\0';
	if (strcmp(n->api_version, "2.2") < 0)
		return;
	snprintf(path, sizeof(path), "/v%s/agent/info", n->api_version);
	if (agent_call(n, o, rng, "GET", path, NULL, &root, &res, why, sizeof(why)) ==
	    ATTEST_PASS && (m = str(res, "airlock_mode")) && (!strcmp(m, "runtime") ||
							      !strcmp(m, "host")))
		snprintf(out, cap, "%s", m);
	cJSON_Delete(root);
}

/* PCR 16 as the agent sets it: reset, then extended with H(NK PEM). */
static void nk_binding(const char *pem, uint8_t out[32])
{
	uint8_t h[32];

	memset(out, 0, 32);
	digest(TPM_ALG_SHA256, pem, strlen(pem), h);
	pcr_extend(TPM_ALG_SHA256, out, h);
}

/*
 * Parse and verify the quote in res against the node's AK and nonce; every PCR
 * of mask (and 16) must be in it.
 */
static int check_quote(const struct store_node *n, const cJSON *res, const char *nonce,
		       const char *nk_pem, uint32_t mask, struct quote *q, char *why,
		       size_t whylen)
{
	const char *text = str(res, "quote"), *alg = str(res, "hash_alg");
	struct tpm_public ak;
	struct quote_key *key = NULL;
	uint8_t want16[32];
	const uint8_t *pcr16;
	char err[300];
	int ret = ATTEST_FAIL;

	if (!text || !alg || strcmp(alg, "sha256") != 0) {
		ret = say(ATTEST_FAIL, why, whylen, "answer lacks a quote, or hash_alg is not sha256");
		goto out;
	}
	if (quote_parse(text, strlen(text), q, err, sizeof(err)) != QUOTE_OK) {
		ret = say(ATTEST_FAIL, why, whylen, "malformed quote: %s", err);
		goto out;
	}
	if (tpm_public_parse(n->aik_tpm, n->aik_tpm_len, &ak, err, sizeof(err)) != 0 ||
	    quote_key_load(&ak, &key, err, sizeof(err)) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "registered AK unusable: %s", err);
		goto out;
	}
	if (quote_verify(q, key, TPM_ALG_SHA256, nonce, strlen(nonce), err, sizeof(err)) !=
	    QUOTE_OK) {
		ret = say(ATTEST_FAIL, why, whylen, "quote rejected: %s", err);
		goto out;
	}
	/* A PCR left out of the quote is a PCR nobody checked. */
	for (unsigned pcr = 0; pcr < QUOTE_NPCR; pcr++)
		if ((mask & (1u << pcr)) && !quote_pcr(q, TPM_ALG_SHA256, pcr)) {
			ret = say(ATTEST_FAIL, why, whylen, "PCR %u was asked for but is not in the "
				  "quote", pcr);
			goto out;
		}
	pcr16 = quote_pcr(q, TPM_ALG_SHA256, 16);
	nk_binding(nk_pem, want16);
	if (!pcr16 || memcmp(pcr16, want16, 32) != 0) {
		ret = say(ATTEST_FAIL, why, whylen,
			  "PCR 16 does not bind the agent's key (NK) to this TPM");
		goto out;
	}
	ret = ATTEST_PASS;
out:
	quote_key_free(key);
	return ret;
}

/*
 * Is uuid the machine the tenant means? Its EK must be the one the tenant
 * named (--ek-hash, or a pin), or the uuid must be bound to its EK by
 * derivation or by the provider's list (checked at registration).
 */
static int check_binding(struct store *s, const struct store_node *n, const char *want_hash,
			 char *why, size_t whylen)
{
	char pin[STORE_HASH_HEX + 1], err[300];
	int rc;

	if (want_hash && strcmp(want_hash, n->ek_hash) != 0)
		return say(ATTEST_FAIL, why, whylen, "uuid %s is registered by EK %s, not by the EK "
			   "you named (%s): another machine holds this uuid. `node delete %s` lets "
			   "your node register it, and the pin now keeps others out (if the hash you "
			   "gave is wrong, `node unpin %s`)", n->uuid, n->ek_hash, want_hash, n->uuid,
			   n->uuid);
	rc = store_pin_get(s, n->uuid, pin, err, sizeof(err));
	if (rc < 0)
		return say(ATTEST_ERROR, why, whylen, "%s", err);
	if (rc == 1 && strcmp(pin, n->ek_hash) != 0)
		return say(ATTEST_FAIL, why, whylen, "uuid %s is pinned to EK %s but registered by "
			   "EK %s", n->uuid, pin, n->ek_hash);
	if (!want_hash && rc == 0 && !n->uuid_bound[0])
		return say(ATTEST_FAIL, why, whylen, "uuid %s is not bound to an EK you chose, so "
			   "any trusted TPM could have registered it: give --ek-hash (the provider's "
			   "published ek-hash of the machine you mean; this one registered with "
			   "%s), or use the node's EK-derived uuid (`airlock-verifier ek-hash --uuid`)",
			   n->uuid, n->ek_hash);
	return ATTEST_PASS;
}

int tenant_enroll(struct store *s, struct kc_rng *rng, const char *uuid, const char *ek_hash,
		  const uint8_t *payload, size_t payload_len, const char *policy_json,
		  const struct attest_opts *o, char *why, size_t whylen)
{
	static struct store_node n;
	static struct quote q;
	static struct policy pol;
	uint8_t k[KC_KEY_LEN], u[KC_KEY_LEN], v[KC_KEY_LEN], enc[KC_RSA_MAX_BYTES], *sealed = NULL;
	char nonce[NONCE_LEN + 1], path[256], tag[KC_TAG_HEX_LEN + 1], err[300];
	char *eb = NULL, *pb = NULL, *body = NULL;
	const char *pem;
	size_t enc_len, sealed_len = 0;
	cJSON *root = NULL, *res, *j = NULL;
	int ret, found, v_written = 0;
	int64_t vgen = -1;

	found = store_get(s, uuid, &n, err, sizeof(err));
	if (found < 0) {
		ret = say(ATTEST_ERROR, why, whylen, "%s", err);
		goto out;
	}
	if (!found) {
		int per_uuid = 0, per_peer, total;

		if (store_pending_counts(s, uuid, "", &per_uuid, &per_peer, &total, err,
					 sizeof(err)) == 0 && per_uuid > 0)
			ret = say(ATTEST_FAIL, why, whylen, "node %s registered but never activated "
				  "its AK", uuid);
		else
			ret = say(ATTEST_FAIL, why, whylen, "node %s has not registered", uuid);
		goto out;
	}
	ret = check_binding(s, &n, ek_hash, why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	/* A contact given by the tenant (NAT, a proxy) replaces the registered one for good. */
	if (o->agent_host) {
		if (strlen(o->agent_host) >= sizeof(n.ip)) {
			ret = say(ATTEST_FAIL, why, whylen, "agent host name too long");
			goto out;
		}
		snprintf(n.ip, sizeof(n.ip), "%s", o->agent_host);
		n.port = o->agent_port;
	}
	if (policy_json && policy_parse(policy_json, strlen(policy_json), &pol, err, sizeof(err))) {
		ret = say(ATTEST_FAIL, why, whylen, "%s", err);
		goto out;
	}
	ret = pick_version(&n, o, rng, n.api_version, sizeof(n.api_version), why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	agent_mode(&n, o, rng, n.agent_mode, sizeof(n.agent_mode));
	if (wire_alnum(rng, nonce, NONCE_LEN) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "random generator failed");
		goto out;
	}
	snprintf(path, sizeof(path), "/v%s/quotes/identity?nonce=%s", n.api_version, nonce);
	ret = agent_call(&n, o, rng, "GET", path, NULL, &root, &res, why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	pem = str(res, "pubkey");
	if (!pem || strlen(pem) >= sizeof(n.nk_pem)) {
		ret = say(ATTEST_FAIL, why, whylen, "identity quote without a usable pubkey");
		goto out;
	}
	ret = check_quote(&n, res, nonce, pem, 1u << 16, &q, why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	snprintf(n.nk_pem, sizeof(n.nk_pem), "%s", pem);
	cJSON_Delete(root);
	root = NULL;

	/* K = U xor V: the agent gets U now and V only after a good integrity quote. */
	if (kc_rng_bytes(rng, k, sizeof(k)) != 0 || kc_rng_bytes(rng, u, sizeof(u)) != 0 ||
	    wire_alnum(rng, n.challenge, NONCE_LEN) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "random generator failed");
		goto out;
	}
	kc_combine(k, u, v);
	if (kc_auth_tag(k, sizeof(k), (const uint8_t *)uuid, strlen(uuid), tag) != 0 ||
	    kc_auth_tag(k, sizeof(k), (const uint8_t *)n.challenge, strlen(n.challenge),
			n.challenge_hmac) != 0 ||
	    kc_oaep_sha1_encrypt(n.nk_pem, strlen(n.nk_pem), rng, u, enc, sizeof(enc), &enc_len, err,
				 sizeof(err)) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "encrypting U to the agent's key failed: %s", err);
		goto out;
	}
	j = cJSON_CreateObject();
	eb = b64_encode_alloc(enc, enc_len);
	if (!j || !eb || !cJSON_AddStringToObject(j, "encrypted_key", eb) ||
	    !cJSON_AddStringToObject(j, "auth_tag", tag))
		goto nomem;
	if (payload) {
		sealed = malloc(payload_len + KC_PAYLOAD_OVERHEAD);
		if (!sealed || kc_payload_encrypt(k, rng, payload, payload_len, sealed,
						  payload_len + KC_PAYLOAD_OVERHEAD, &sealed_len, err,
						  sizeof(err)) != 0 ||
		    !(pb = b64_encode_alloc(sealed, sealed_len)) || !cJSON_AddStringToObject(j, "payload", pb))
			goto nomem;
	}
	body = cJSON_PrintUnformatted(j);
	if (!body)
		goto nomem;
	/*
	 * V at rest before U leaves: a V that cannot be kept must not strand a U.
	 * It is this enrolment's, the generation written below: a round of the
	 * enrolment before cannot read it.
	 */
	vgen = n.gen + 1;
	if (pending_v_put(s, uuid, vgen, v, err, sizeof(err)) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "%s", err);
		goto out;
	}
	v_written = 1;
	snprintf(path, sizeof(path), "/v%s/keys/ukey", n.api_version);
	ret = agent_call(&n, o, rng, "POST", path, body, &root, &res, why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	snprintf(n.policy, sizeof(n.policy), "%s", policy_json ? policy_json : "");
	snprintf(n.state, sizeof(n.state), "enrolled");
	n.v_state = STORE_V_PENDING;
	n.have_counters = 0;
	n.verdict[0] = n.reason[0] = '\0';
	n.gen++;
	ret = store_put_if_gen(s, &n, n.gen - 1, err, sizeof(err));
	if (ret == 1) {
		ret = say(ATTEST_ERROR, why, whylen, "node %s registered again or was enrolled by "
			  "someone else meanwhile; try again", uuid);
		goto out;
	}
	if (ret != 0 || store_history(s, uuid, "enrolled", "U and payload delivered", err,
				      sizeof(err)) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "%s", err);
		goto out;
	}
	v_written = 0;
	ret = say(ATTEST_PASS, why, whylen, "identity quote good; U and %zu-byte payload delivered",
		  sealed_len);
	goto out;
nomem:
	ret = say(ATTEST_ERROR, why, whylen, "out of memory building the ukey request");
out:
	if (v_written && pending_v_wipe(s, uuid, vgen, err, sizeof(err)) != 0)
		vlog("%s", err);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(u, sizeof(u));
	explicit_bzero(v, sizeof(v));
	if (body)
		explicit_bzero(body, strlen(body));
	if (sealed)
		explicit_bzero(sealed, payload_len + KC_PAYLOAD_OVERHEAD);
	free(sealed);
	free(body);
	free(eb);
	free(pb);
	cJSON_Delete(j);
	cJSON_Delete(root);
	return ret;
}

/* Decode an optional base64 log field into a malloc'd buffer. */
static int get_log(const cJSON *res, const char *key, uint8_t **out, size_t *len)
{
	const cJSON *v = cJSON_GetObjectItem(res, key);
	size_t n;

	*out = NULL;
	*len = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) > 4 * (LOG_MAX / 3))
		return -1;
	*out = malloc(B64_DECODED_MAX(n) + 1);
	if (!*out || b64_decode(v->valuestring, n, *out, B64_DECODED_MAX(n) + 1, len) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * Replay the logs and compare with every quoted PCR whose events anything
 * reads: PCR 8 always, PCR 9 when a rule reads its events, the firmware's
 * PCRs when the firmware log came. A PCR whose events a rule reads must
 * replay, or the rule would judge events the TPM never saw.
 */
static int check_logs(const struct quote *q, uint32_t mask, uint32_t events, const uint8_t *fw,
		      size_t fw_len, const uint8_t *rt, size_t rt_len, char *why, size_t whylen)
{
	static __thread struct eventlog_pcrs pcrs;
	uint32_t compare = mask & ((1u << 8) | (events & (1u << 9)));
	size_t bad;
	int rc;

	if (!rt)
		return mask & ((1u << 8) | (1u << 9)) ?
		       say(ATTEST_FAIL, why, whylen,
			   "no runtime event log for PCRs 8/9 (airlock_runtime_log)") : ATTEST_PASS;
	rc = eventlog_verify_data_digests(rt, rt_len, (1u << 8) | (1u << 9), &bad);
	if (rc != EVENTLOG_OK)
		return say(ATTEST_FAIL, why, whylen, "runtime event log: %s%s", eventlog_strerror(rc),
			   rc == EVENTLOG_E_MISMATCH ? " (event data does not hash to its digest)" : "");
	if (fw) {
		rc = eventlog_replay(fw, fw_len, &pcrs);
		if (rc != EVENTLOG_OK)
			return say(ATTEST_FAIL, why, whylen, "firmware event log: %s",
				   eventlog_strerror(rc));
		rc = eventlog_replay_continue(rt, rt_len, &pcrs);
		compare |= mask & (0xffu | (1u << 9));
	} else {
		/* Without the firmware's log only the runtime's own PCRs replay (BIOS boards). */
		rc = eventlog_replay(rt, rt_len, &pcrs);
	}
	if (rc != EVENTLOG_OK)
		return say(ATTEST_FAIL, why, whylen, "runtime event log: %s", eventlog_strerror(rc));
	for (unsigned b = 0; b < pcrs.nbanks; b++) {
		if (pcrs.banks[b].alg != TPM_ALG_SHA256)
			continue;
		if (pcrs.banks[b].status != EVENTLOG_BANK_OK)
			return say(ATTEST_FAIL, why, whylen, "event log has no complete sha256 bank");
		for (unsigned pcr = 0; pcr < 10; pcr++) {
			const uint8_t *v = quote_pcr(q, TPM_ALG_SHA256, pcr);

			if (!(compare & (1u << pcr)))
				continue;
			if (!v)
				return say(ATTEST_FAIL, why, whylen, "PCR %u is not in the quote", pcr);
			if (memcmp(v, pcrs.banks[b].pcr[pcr], 32) != 0)
				return say(ATTEST_FAIL, why, whylen,
					   "PCR %u: the event logs do not replay to the quoted value%s",
					   pcr, pcr == 9 && !fw ? " (firmware that extends PCR 9, as "
					   "UEFI does, needs the firmware log: add PCR 0 to the policy)" :
					   "");
		}
		return ATTEST_PASS;
	}
	return say(ATTEST_FAIL, why, whylen, "event log does not declare the sha256 bank");
}

/*
 * Fresh boot: has this TPM's runtime handed off since the TPM's last reset?
 * Its PCR 8 holds the handoff event (or a separator) then, and the log has
 * already been replayed to the quoted PCR 8, so it cannot be left out.
 */
static int handed_off(const uint8_t *rt, size_t rt_len, char *why, size_t whylen)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	size_t n = strlen(AIRLOCK_EV_TEXT_HANDOFF);

	if (!rt || eventlog_reader_init(&r, rt, rt_len) != EVENTLOG_OK)
		return 0;
	while (eventlog_reader_next(&r, &ev) == 1) {
		if (ev.pcr != AIRLOCK_PCR_RUNTIME)
			continue;
		if (ev.type == TCG_EV_SEPARATOR || (ev.data_size >= n && !memcmp(ev.data,
			AIRLOCK_EV_TEXT_HANDOFF, n))) {
			snprintf(why, whylen, "log record %zu, %s", ev.index,
				 ev.type == TCG_EV_SEPARATOR ? "a separator" : "\"" AIRLOCK_EV_TEXT_HANDOFF
				 "\"");
			return 1;
		}
	}
	return 0;
}

/* Constant-time equality of two NUL-terminated strings of public length. */
static int ct_streq(const char *a, const char *b)
{
	size_t n = strlen(a);
	unsigned char d = n != strlen(b);

	for (size_t i = 0; i < n && i < strlen(b); i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/*
 * Give the agent V, once: the delivery is recorded (and V's file wiped) as
 * soon as the agent took it, so a round that stops after this (a timeout on
 * keys/verify, a killed daemon) goes on with keys/verify, never with V again.
 * An agent that took V but whose answer got lost accepts the same V again.
 */
static int send_v(struct store *s, struct store_node *n, const struct quote *q,
		  struct kc_rng *rng, const struct attest_opts *o, char *why, size_t whylen)
{
	uint8_t v[VKEY_LEN], enc[KC_RSA_MAX_BYTES];
	char path[256], err[300], *eb = NULL, *body = NULL;
	size_t enc_len;
	cJSON *root = NULL, *res, *j = NULL;
	int ret, rc, claimed = 0;

	/*
	 * Claimed first, so V goes out once whichever instance or round holds the
	 * node (a lease that ran out while a round waited, a take-over): the claim
	 * lasts longer than any round, and only this enrolment (generation) may.
	 */
	rc = store_v_claim(s, n->uuid, n->gen, 2 * (int64_t)o->timeout_ms + 5000, err, sizeof(err));
	if (rc != 1) {
		ret = rc < 0 ? say(ATTEST_STORE, why, whylen, "%s", err) :
			       say(ATTEST_SKIP, why, whylen, "V of node %s is being sent by another "
				   "round", n->uuid);
		goto out;
	}
	claimed = 1;
	rc = pending_v_get(s, n->uuid, n->gen, v, err, sizeof(err));
	if (rc <= 0) {
		/* A V this instance cannot read (database, key file) is not the node's doing. */
		ret = rc < 0 ? say(ATTEST_STORE, why, whylen, "%s", err) :
			       say(ATTEST_FAIL, why, whylen, "the pending V of this enrolment is gone "
				   "(%s): enrol the node again", s->db.kind == DB_PG ?
				   "not in the database's pending_v" : "no file in STATE/" VKEY_DIR);
		goto out;
	}
	if (kc_oaep_sha1_encrypt(n->nk_pem, strlen(n->nk_pem), rng, v, enc, sizeof(enc), &enc_len,
				 err, sizeof(err)) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "encrypting V failed: %s", err);
		goto out;
	}
	j = cJSON_CreateObject();
	eb = b64_encode_alloc(enc, enc_len);
	if (!j || !eb || !cJSON_AddStringToObject(j, "encrypted_key", eb) ||
	    !(body = cJSON_PrintUnformatted(j))) {
		ret = say(ATTEST_ERROR, why, whylen, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/v%s/keys/vkey", n->api_version);
	ret = agent_call(n, o, rng, "POST", path, body, &root, &res, why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	claimed = 0; /* sent: the claim stands until the record below makes it moot */
	n->v_state = STORE_V_SENT;
	n->release_reset = q->reset_count;
	/* Waits for the disk: a lost record of a V that went out would send it again. */
	rc = store_put_round_durable(s, n, n->gen, err, sizeof(err));
	if (rc != 0) {
		ret = rc > 0 ? say(ATTEST_SKIP, why, whylen, "node %s changed meanwhile", n->uuid) :
			       say(ATTEST_STORE, why, whylen, "%s", err);
		goto out;
	}
	if (store_history(s, n->uuid, "released", "V delivered", err, sizeof(err)) != 0)
		vlog("%s", err);
	if (pending_v_wipe(s, n->uuid, n->gen, err, sizeof(err)) != 0)
		vlog("%s", err);
	ret = ATTEST_PASS;
out:
	/* Not sent (the agent did not take it, or it never left): the next round may. */
	if (claimed && store_v_unclaim(s, n->uuid, n->gen, err, sizeof(err)) != 0)
		vlog("%s", err);
	explicit_bzero(v, sizeof(v));
	free(eb);
	free(body);
	cJSON_Delete(j);
	cJSON_Delete(root);
	return ret;
}

/* The agent derived the K we meant: its HMAC of our challenge says so. */
static int verify_k(const struct store_node *n, struct kc_rng *rng, const struct attest_opts *o,
		    char *why, size_t whylen)
{
	char path[256];
	const char *hmac;
	cJSON *root = NULL, *res;
	int ret;

	snprintf(path, sizeof(path), "/v%s/keys/verify?challenge=%s", n->api_version, n->challenge);
	ret = agent_call(n, o, rng, "GET", path, NULL, &root, &res, why, whylen);
	if (ret != ATTEST_PASS)
		goto out;
	hmac = str(res, "hmac");
	if (!hmac || !ct_streq(hmac, n->challenge_hmac))
		ret = say(ATTEST_FAIL, why, whylen, "keys/verify: the agent did not derive K");
out:
	cJSON_Delete(root);
	return ret;
}

/* The quote's TPM counters against the last ones: never back; firmware only across a reset. */
static int check_counters(struct store_node *n, const struct quote *q, char *why, size_t whylen)
{
	if (n->have_counters && !quote_counters_forward(q, (uint32_t)n->reset_count,
							 (uint32_t)n->restart_count, (uint64_t)n->clock))
		return say(ATTEST_FAIL, why, whylen,
			   "TPM counters went back (reset %u restart %u clock %llu after reset %lld "
			   "restart %lld clock %lld): replayed quote or rolled-back TPM",
			   q->reset_count, q->restart_count, (unsigned long long)q->clock,
			   (long long)n->reset_count, (long long)n->restart_count, (long long)n->clock);
	if (n->have_counters && q->reset_count == n->reset_count &&
	    (int64_t)q->firmware_version != n->fw_version)
		return say(ATTEST_FAIL, why, whylen, "the TPM's firmware version changed from %llx to "
			   "%llx without a TPM reset", (unsigned long long)n->fw_version,
			   (unsigned long long)q->firmware_version);
	n->have_counters = 1;
	n->reset_count = q->reset_count;
	n->restart_count = q->restart_count;
	n->clock = (int64_t)q->clock;
	n->fw_version = (int64_t)q->firmware_version;
	return ATTEST_PASS;
}

static int polled(const char *state)
{
	return !strcmp(state, "enrolled") || !strcmp(state, "attesting") ||
	       !strcmp(state, "unreachable");
}

int attest_node(struct store *s, struct kc_rng *rng, const char *uuid, const struct attest_opts *o,
		int *changed, char *why, size_t whylen)
{
	static __thread struct store_node n;
	static __thread struct quote q;
	static __thread struct policy pol;
	char nonce[NONCE_LEN + 1], path[320], err[300], where[160];
	uint8_t *fw = NULL, *rt = NULL;
	size_t fw_len, rt_len;
	uint32_t mask = (1u << 8) | (1u << 9), events = 0;
	cJSON *root = NULL, *res;
	int ret, found, released = 0, fresh_boot = 1, rc;

	*changed = 0;
	found = store_get(s, uuid, &n, err, sizeof(err));
	if (found <= 0)
		return found < 0 ? say(ATTEST_STORE, why, whylen, "%s", err) :
				   say(ATTEST_SKIP, why, whylen, "node %s is gone", uuid);
	if (!polled(n.state))
		return say(ATTEST_SKIP, why, whylen, "node %s is %s", uuid, n.state);
	if (n.policy[0]) {
		if (policy_parse(n.policy, strlen(n.policy), &pol, err, sizeof(err)) != 0) {
			ret = say(ATTEST_FAIL, why, whylen, "stored %s", err);
			goto record;
		}
		mask = pol.mask;
		events = pol.events;
		fresh_boot = pol.fresh_boot;
		/* Firmware PCRs come with the firmware's log, which Keylime asks for with PCR 0. */
		if (mask & 0xffu)
			mask |= 1u;
	}
	/* V goes only where PCR 8 shows a runtime that has not handed off (below). */
	if (n.v_state == STORE_V_PENDING && fresh_boot)
		mask |= 1u << 8;
	if (wire_alnum(rng, nonce, NONCE_LEN) != 0) {
		ret = say(ATTEST_ERROR, why, whylen, "random generator failed");
		goto out;
	}
	snprintf(path, sizeof(path),
		 "/v%s/quotes/integrity?nonce=%s&mask=0x%x&partial=1&ima_ml_entry=0",
		 n.api_version, nonce, mask);
	ret = agent_call(&n, o, rng, "GET", path, NULL, &root, &res, why, whylen);
	if (ret == ATTEST_ERROR || ret == ATTEST_GONE)
		goto out;
	if (ret != ATTEST_PASS)
		goto record;
	ret = check_quote(&n, res, nonce, n.nk_pem, mask | (1u << 16), &q, why, whylen);
	if (ret != ATTEST_PASS)
		goto record;
	ret = check_counters(&n, &q, why, whylen);
	if (ret != ATTEST_PASS)
		goto record;
	if (get_log(res, "mb_measurement_list", &fw, &fw_len) != 0 ||
	    get_log(res, "airlock_runtime_log", &rt, &rt_len) != 0) {
		ret = say(ATTEST_FAIL, why, whylen, "an event log field is not base64 (or too large)");
		goto record;
	}
	if ((mask & 1u) && !fw) {
		ret = say(ATTEST_FAIL, why, whylen, "PCR 0 quoted without mb_measurement_list");
		goto record;
	}
	ret = check_logs(&q, mask, events, fw, fw_len, rt, rt_len, why, whylen);
	if (ret != ATTEST_PASS)
		goto record;
	if (n.policy[0] && policy_check(&pol, &q, rt, rt_len, fw, fw_len, why, whylen) != 0) {
		attest_clean_text(why);
		ret = ATTEST_FAIL;
		goto record;
	}
	if (n.v_state == STORE_V_PENDING) {
		if (fresh_boot && handed_off(rt, rt_len, where, sizeof(where))) {
			ret = say(ATTEST_FAIL, why, whylen, "not a fresh boot: PCR 8 shows this TPM's "
				  "runtime already handed off since the TPM's last reset (%s); V goes "
				  "only to a runtime that has not", where);
			goto record;
		}
		ret = send_v(s, &n, &q, rng, o, why, whylen);
		if (ret == ATTEST_ERROR || ret == ATTEST_GONE || ret == ATTEST_SKIP ||
		    ret == ATTEST_STORE)
			goto out;
		if (ret != ATTEST_PASS)
			goto record;
	}
	if (n.v_state == STORE_V_SENT) {
		ret = verify_k(&n, rng, o, why, whylen);
		if (ret == ATTEST_ERROR || ret == ATTEST_GONE)
			goto out;
		if (ret != ATTEST_PASS)
			goto record;
		n.v_state = STORE_V_NONE;
		released = 1;
	}
	if (!strcmp(n.state, "unreachable") || released)
		snprintf(n.state, sizeof(n.state), "%s", n.v_state ? "enrolled" : "attesting");
	ret = say(ATTEST_PASS, why, whylen, released ? "integrity quote good; V released, "
		  "keys/verify matched" : "integrity quote good");
record:
	n.last_time = (int64_t)time(NULL);
	if (ret == ATTEST_PASS) {
		n.passes++;
	} else {
		n.failures++;
		n.v_state = STORE_V_NONE;
		snprintf(n.state, sizeof(n.state), "failed");
	}
	*changed = strcmp(n.verdict, ret == ATTEST_PASS ? "pass" : "fail") != 0;
	snprintf(n.verdict, sizeof(n.verdict), "%s", ret == ATTEST_PASS ? "pass" : "fail");
	snprintf(n.reason, sizeof(n.reason), "%s", why);
	rc = store_put_round(s, &n, n.gen, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			vlog("%s", err);
		*changed = 0;
		ret = rc < 0 ? say(ATTEST_STORE, why, whylen, "%s", err) :
			       say(ATTEST_SKIP, why, whylen, "node %s registered again "
						  "or was enrolled anew during the round", uuid);
		goto out;
	}
	/* History keeps changes and failures, not every passing round. */
	if ((ret != ATTEST_PASS || *changed) &&
	    store_history(s, uuid, ret == ATTEST_PASS ? "pass" : "fail", why, err, sizeof(err)) != 0)
		vlog("%s", err);
	/* A failed enrolment's V is of no use to anyone. */
	if (ret != ATTEST_PASS && pending_v_wipe(s, uuid, n.gen, err, sizeof(err)) != 0)
		vlog("%s", err);
out:
	free(fw);
	free(rt);
	cJSON_Delete(root);
	return ret;
}

int attest_lost(struct store *s, const char *uuid, int gone, int lost, const char *reason,
		char *state, size_t cap, char *err, size_t errlen)
{
	static __thread struct store_node n;
	const char *to;
	int found = store_get(s, uuid, &n, err, errlen), rc;

	if (found <= 0)
		return found < 0 ? -1 : 1;
	/*
	 * A runtime agent that took V is gone for a reason: it kexec'd into the
	 * tenant's kernel (it stops serving right after keys/verify). Anything else
	 * that stops answering is polled on, more slowly, and comes back to
	 * attestation when it answers.
	 */
	if (gone && !strcmp(n.agent_mode, "runtime") &&
	    (!strcmp(n.state, "attesting") || (lost && n.v_state == STORE_V_SENT)))
		to = "handed_off";
	else if (lost)
		to = "unreachable";
	else
		return 1;
	if (!strcmp(n.state, to))
		return 1;
	n.last_time = (int64_t)time(NULL);
	snprintf(n.state, sizeof(n.state), "%s", to);
	snprintf(n.verdict, sizeof(n.verdict), "%s", to);
	snprintf(n.reason, sizeof(n.reason), "%s", reason);
	attest_clean_text(n.reason);
	rc = store_put_round(s, &n, n.gen, err, errlen);
	if (rc != 0)
		return rc;
	if (store_history(s, uuid, to, n.reason, err, errlen) != 0)
		return -1;
	snprintf(state, cap, "%s", to);
	return 0;
}

int attest_post_revocation(const struct store_node *n, const struct attest_opts *o,
			   struct kc_rng *rng, const char *body, char *why, size_t whylen)
{
	cJSON *root = NULL, *res;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/v%s/notifications/revocation",
		 n->api_version[0] ? n->api_version : "2.1");
	ret = agent_call(n, o, rng, "POST", path, body, &root, &res, why, whylen);
	cJSON_Delete(root);
	return ret;
}

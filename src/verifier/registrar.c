/* SPDX-License-Identifier: GPL-2.0-only */
#include "registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credential.h"
#include "ek_uuid.h"
#include "metrics.h"
#include "serve.h"
#include "pending_v.h"
#include "vlog.h"
#include "wire.h"

/* A contact address: a host name or an IP literal, nothing that could break a log line. */
static int contact_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '.' && s[i] != ':')
			return 0;
	return 1;
}

/* "192.0.2.1:40000" or "[2001:db8::1]:40000" -> the address alone. */
static void peer_host(const char *peer, char *out, size_t cap)
{
	const char *c = strrchr(peer ? peer : "", ':');
	size_t n = c ? (size_t)(c - peer) : strlen(peer ? peer : "");

	if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
		peer++;
		n -= 2;
	}
	snprintf(out, cap, "%.*s", (int)n, peer ? peer : "");
}

/* Refusals are logged, at most REFUSALS_LOGGED a second (vlog_budget). */
#define REFUSALS_LOGGED 20
static void log_refusal(const char *uuid, const char *peer, int status, const char *why)
{
	static struct vlog_budget refusals = { .who = "registrar", .what = "refusals" };

	if (vlog_budget_take(&refusals, REFUSALS_LOGGED))
		vlog("registrar: refused %s from %s (%d): %s", uuid, peer, status, why);
}

static int refuse(struct registrar *g, struct http_reply *r, int status, const char *uuid,
		  const char *peer, const char *why)
{
	char err[256];

	log_refusal(uuid, peer, status, why);
	if ((status == 403 || status == 429) && g->store &&
	    store_reject(g->store, uuid, why, peer, err, sizeof(err)) != 0)
		vlog("registrar: %s", err);
	return wire_reply(r, status, why, NULL);
}

static void hex32(const uint8_t h[32], char out[65])
{
	size_t n;

	hex_encode(h, 32, out, 65, &n);
}

/*
 * Who may hold this uuid. 0 with *bound saying how the uuid is tied to this
 * EK ("" when nothing ties it), or -1 with why: a uuid in the EK-derived form
 * that is not this EK's, a uuid the provider's list or the tenant's pin gives
 * to another EK.
 */
static int uuid_owner(struct registrar *g, const char *uuid, const uint8_t *ek_tpm,
		      size_t ek_len, const uint8_t h[32], char *bound, size_t bcap, char *why,
		      size_t whylen)
{
	char derived[EK_UUID_LEN + 1], pin[STORE_HASH_HEX + 1], hex[65], other_hex[65], err[300];
	const char *name = ek_trust_list_name(g->trust, h);
	uint8_t other[32];
	int rc;

	bound[0] = '\0';
	hex32(h, hex);
	if (ek_uuid(ek_tpm, ek_len, derived) != 0) {
		snprintf(why, whylen, "cannot hash the EK");
		return -1;
	}
	if (!strcmp(derived, uuid))
		snprintf(bound, bcap, "derived from the EK");
	else if (ek_uuid_form(uuid)) {
		snprintf(why, whylen, "uuid %s has the form of an EK-derived uuid but this EK's is %s: "
			 "another machine's uuid", uuid, derived);
		return -1;
	}
	if (ek_trust_list_other(g->trust, uuid, h, other)) {
		hex32(other, other_hex);
		snprintf(why, whylen, "the provider's EK list gives uuid %s to EK %.16s..., not to "
			 "this EK %.16s...", uuid, other_hex, hex);
		return -1;
	}
	if (name && !strcmp(name, uuid) && !bound[0])
		snprintf(bound, bcap, "named by the provider's EK list");
	rc = store_pin_get(g->store, uuid, pin, err, sizeof(err));
	if (rc < 0) {
		snprintf(why, whylen, "state database failed");
		return -1;
	}
	if (rc == 1 && strcmp(pin, hex) != 0) {
		snprintf(why, whylen, "the tenant pinned uuid %s to EK %.16s..., not to this EK "
			 "%.16s...", uuid, pin, hex);
		return -1;
	}
	if (rc == 1 && !bound[0])
		snprintf(bound, bcap, "pinned by the tenant");
	return 0;
}

static int do_register(struct registrar *g, const char *uuid, const char *peer, cJSON *j,
		       struct http_reply *r)
{
	static __thread struct store_node n;
	static __thread struct store_pending p;
	uint8_t name[TPM_NAME_MAX_SIZE], blob[CREDBLOB_MAX_SIZE], cert[4096], h[32];
	char err[300], how[300], secret[33];
	cJSON *ip = cJSON_GetObjectItem(j, "ip"), *port = cJSON_GetObjectItem(j, "port");
	cJSON *mtls = cJSON_GetObjectItem(j, "mtls_cert"), *ekcert = cJSON_GetObjectItem(j, "ekcert");
	struct tpm_public ek, ak;
	size_t name_len, blob_len, cert_len = 0, k;
	int ret, found, per_uuid, per_peer, total, ek_uuids;
	cJSON *res;
	char *b;

	memset(&p, 0, sizeof(p));
	if (wire_unb64(cJSON_GetObjectItem(j, "ek_tpm"), p.ek_tpm, sizeof(p.ek_tpm), &p.ek_tpm_len) ||
	    wire_unb64(cJSON_GetObjectItem(j, "aik_tpm"), p.aik_tpm, sizeof(p.aik_tpm),
		       &p.aik_tpm_len))
		return refuse(g, r, 400, uuid, peer, "ek_tpm and aik_tpm must be base64 TPM2B_PUBLIC");
	if (!cJSON_IsString(ip) || !contact_ok(ip->valuestring) || !cJSON_IsNumber(port) ||
	    port->valuedouble < 1 || port->valuedouble > 65535 || !cJSON_IsString(mtls))
		return refuse(g, r, 400, uuid, peer, "ip (a host name or address), port and "
			      "mtls_cert are required");
	if (ekcert && !cJSON_IsNull(ekcert) &&
	    (!cJSON_IsString(ekcert) || (strlen(ekcert->valuestring) &&
					  wire_unb64(ekcert, cert, sizeof(cert), &cert_len))))
		return refuse(g, r, 400, uuid, peer, "ekcert must be base64 DER");
	if (tpm_public_parse(p.ek_tpm, p.ek_tpm_len, &ek, err, sizeof(err)) != 0) {
		snprintf(how, sizeof(how), "EK: %.280s", err);
		return refuse(g, r, 400, uuid, peer, how);
	}
	if (tpm_public_parse(p.aik_tpm, p.aik_tpm_len, &ak, err, sizeof(err)) != 0) {
		snprintf(how, sizeof(how), "AK: %.280s", err);
		return refuse(g, r, 400, uuid, peer, how);
	}
	/* An AK that can sign anything could sign a forged quote. */
	if ((ak.attributes & (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT |
			      TPMA_OBJECT_FIXEDTPM)) !=
	    (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM))
		return refuse(g, r, 403, uuid, peer, "AK is not a fixedTPM restricted signing key");
	if (mtls && strcmp(mtls->valuestring, "disabled") != 0) {
		/* The pin the verifier and tenant trust for this agent's TLS server. */
		mbedtls_x509_crt crt;
		int bad;

		mbedtls_x509_crt_init(&crt);
		bad = strlen(mtls->valuestring) >= sizeof(p.mtls_cert) ||
		      mbedtls_x509_crt_parse(&crt, (const unsigned char *)mtls->valuestring,
					     strlen(mtls->valuestring) + 1) != 0;
		mbedtls_x509_crt_free(&crt);
		if (bad)
			return refuse(g, r, 400, uuid, peer, "mtls_cert is neither \"disabled\" nor "
				      "one PEM certificate");
		snprintf(p.mtls_cert, sizeof(p.mtls_cert), "%s", mtls->valuestring);
	}
	if (ek_trust_check(g->trust, &ek, cert, cert_len, how, sizeof(how)) != 0)
		return refuse(g, r, 403, uuid, peer, how);
	if (ek_pubkey_hash(&ek, h, err, sizeof(err)) != 0)
		return refuse(g, r, 400, uuid, peer, err);
	hex32(h, p.ek_hash);
	if (uuid_owner(g, uuid, p.ek_tpm, p.ek_tpm_len, h, p.uuid_bound, sizeof(p.uuid_bound), err,
		       sizeof(err)) != 0)
		return refuse(g, r, 403, uuid, peer, err);
	found = store_get(g->store, uuid, &n, err, sizeof(err));
	if (found < 0)
		return wire_reply(r, 500, "state database failed", NULL);
	/* The identity of a uuid never changes (Keylime 7.14): not its EK, not its AK. */
	if (found && (n.ek_tpm_len != p.ek_tpm_len || memcmp(n.ek_tpm, p.ek_tpm, p.ek_tpm_len)))
		return refuse(g, r, 403, uuid, peer, "uuid already registered with another EK");
	if (found && (n.aik_tpm_len != p.aik_tpm_len || memcmp(n.aik_tpm, p.aik_tpm, p.aik_tpm_len)))
		return refuse(g, r, 403, uuid, peer, "Agent re-registration with different TPM "
			      "identity is forbidden: this uuid has another AK (if the node's TPM was "
			      "cleared, `airlock-verifier node delete UUID` lets it register anew)");
	/* Bounded: a node has few uuids, a registration few retries, a peer few at once. */
	if ((ek_uuids = store_count_ek(g->store, p.ek_hash, uuid, err, sizeof(err))) < 0 ||
	    store_pending_expire(g->store, (int64_t)time(NULL) - REGISTRAR_PENDING_TTL_S, err,
				 sizeof(err)) != 0 ||
	    store_pending_counts(g->store, uuid, peer, &per_uuid, &per_peer, &total, err,
				 sizeof(err)) != 0) {
		vlog("registrar: %s", err);
		return wire_reply(r, 500, "state database failed", NULL);
	}
	if (!found && ek_uuids >= REGISTRAR_UUIDS_PER_EK) {
		snprintf(how, sizeof(how), "this EK already holds %d uuids (`airlock-verifier node "
			 "delete` the ones it no longer uses)", ek_uuids);
		return refuse(g, r, 403, uuid, peer, how);
	}
	if (per_uuid >= REGISTRAR_PENDING_PER_UUID || per_peer >= REGISTRAR_PENDING_PER_PEER ||
	    total >= REGISTRAR_PENDING_MAX)
		return refuse(g, r, total >= REGISTRAR_PENDING_MAX ? 503 : 429, uuid, peer,
			      "too many registrations waiting for activation; try again later");

	snprintf(p.uuid, sizeof(p.uuid), "%s", uuid);
	snprintf(p.ip, sizeof(p.ip), "%s", ip->valuestring);
	p.port = (int)port->valuedouble;
	snprintf(p.ek_trust, sizeof(p.ek_trust), "%.255s", how);
	snprintf(p.peer, sizeof(p.peer), "%s", peer);
	p.created = (int64_t)time(NULL);
	if (tpm_public_name(&ak, name, sizeof(name), &name_len) != 0 ||
	    wire_alnum(g->rng, secret, 32) != 0 ||
	    make_credential(&ek, name, name_len, (const uint8_t *)secret, 32, kc_rng_bytes, g->rng,
			    blob, sizeof(blob), &blob_len, err, sizeof(err)) != 0) {
		vlog("registrar: MakeCredential for %s failed: %s", uuid, err);
		ret = wire_reply(r, 500, "MakeCredential failed", NULL);
		goto out;
	}
	b64_encode((const uint8_t *)secret, 32, p.secret_b64, sizeof(p.secret_b64), &k);
	/* Nothing of the node changes until the TPM behind this EK proves itself (do_activate). */
	if (store_pending_add(g->store, &p, err, sizeof(err)) != 0) {
		vlog("registrar: %s", err);
		ret = wire_reply(r, 500, "state database failed", NULL);
		goto out;
	}
	b = b64_encode_alloc(blob, blob_len);
	res = cJSON_CreateObject();
	if (!b || !res || !cJSON_AddStringToObject(res, "blob", b)) {
		free(b);
		cJSON_Delete(res);
		ret = wire_reply(r, 500, "out of memory", NULL);
		goto out;
	}
	free(b);
	vlog("registrar: registration of %s from %s, contact %s:%d, EK %.16s... (%s%s%s): "
	     "credential sent", uuid, peer, p.ip, p.port, p.ek_hash, how,
	     p.uuid_bound[0] ? "; uuid " : "", p.uuid_bound);
	ret = wire_reply(r, 200, NULL, res);
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(p.secret_b64, sizeof(p.secret_b64));
	return ret;
}

struct tag_match {
	const char *uuid, *tag;
	struct store_pending hit;
};

static int pending_matches(void *ctx, const struct store_pending *p)
{
	struct tag_match *m = ctx;

	if (!kc_auth_tag_matches((const uint8_t *)p->secret_b64, strlen(p->secret_b64),
				 (const uint8_t *)m->uuid, strlen(m->uuid), m->tag, strlen(m->tag)))
		return 0;
	m->hit = *p;
	return 1;
}

/*
 * The TPM behind the registration's EK activated the credential: now, and only
 * now, the registration becomes the node. A node that registers again (a
 * reboot into the airlock) keeps its EK and AK and starts its enrolment over.
 * The rules of do_register are checked again: another registration of the
 * uuid may have been activated, or the tenant may have pinned it, meanwhile.
 * 0, 1 refused (why says why), -1 error (err).
 */
static int promote(struct registrar *g, const struct store_pending *p, char *why, size_t whylen,
		   char *err, size_t errlen)
{
	static __thread struct store_node n;
	char note[300], pin[STORE_HASH_HEX + 1];
	int found, pinned;

	if (store_begin(g->store, err, errlen) != 0)
		return -1;
	/* Another instance activating this uuid at once waits for this one's COMMIT. */
	if (store_lock_node(g->store, p->uuid, err, errlen) != 0)
		goto fail;
	found = store_get(g->store, p->uuid, &n, err, errlen);
	pinned = found < 0 ? -1 : store_pin_get(g->store, p->uuid, pin, err, errlen);
	if (found < 0 || pinned < 0)
		goto fail;
	if (pinned == 1 && strcmp(pin, p->ek_hash) != 0) {
		snprintf(why, whylen, "the tenant pinned uuid %s to another EK", p->uuid);
		store_rollback(g->store);
		return 1;
	}
	if (found && (n.ek_tpm_len != p->ek_tpm_len || memcmp(n.ek_tpm, p->ek_tpm, p->ek_tpm_len) ||
		      n.aik_tpm_len != p->aik_tpm_len ||
		      memcmp(n.aik_tpm, p->aik_tpm, p->aik_tpm_len))) {
		snprintf(why, whylen, "uuid %s was activated meanwhile by another EK or AK", p->uuid);
		store_rollback(g->store);
		return 1;
	}
	if (!found) {
		memset(&n, 0, sizeof(n));
		snprintf(n.uuid, sizeof(n.uuid), "%s", p->uuid);
		memcpy(n.ek_tpm, p->ek_tpm, p->ek_tpm_len);
		n.ek_tpm_len = p->ek_tpm_len;
		memcpy(n.aik_tpm, p->aik_tpm, p->aik_tpm_len);
		n.aik_tpm_len = p->aik_tpm_len;
		n.release_reset = -1;
		snprintf(note, sizeof(note), "registered from %s, contact %s:%d", p->peer, p->ip,
			 p->port);
	} else {
		snprintf(note, sizeof(note), "registered again from %s, contact %s:%d%s%s", p->peer,
			 p->ip, p->port, strcmp(n.state, "active") ? "; ended the enrolment that was " :
			 "", strcmp(n.state, "active") ? n.state : "");
	}
	snprintf(n.ek_hash, sizeof(n.ek_hash), "%s", p->ek_hash);
	snprintf(n.ip, sizeof(n.ip), "%s", p->ip);
	n.port = p->port;
	n.mtls = p->mtls_cert[0] != 0;
	snprintf(n.mtls_cert, sizeof(n.mtls_cert), "%s", p->mtls_cert);
	snprintf(n.ek_trust, sizeof(n.ek_trust), "%s", p->ek_trust);
	snprintf(n.uuid_bound, sizeof(n.uuid_bound), "%s", p->uuid_bound);
	snprintf(n.state, sizeof(n.state), "active");
	n.nk_pem[0] = n.challenge[0] = n.challenge_hmac[0] = n.agent_mode[0] = '\0';
	n.v_state = STORE_V_NONE;
	n.have_counters = 0;
	/*
	 * A new identity generation: a round that read the node before this
	 * registration must not write its outcome over it (store_put_round). A new
	 * row starts from the clock, where no round of a deleted row of the same
	 * uuid (its generations counted up from an earlier second) can match.
	 */
	n.gen = found ? n.gen + 1 : (int64_t)time(NULL) << 16;
	if (store_put(g->store, &n, err, errlen) != 0 ||
	    store_pending_clear(g->store, p->uuid, err, errlen) != 0 ||
	    store_history(g->store, p->uuid, "registered", note, err, errlen) != 0 ||
	    store_commit(g->store, err, errlen) != 0)
		goto fail;
	/* An enrolment that had not released V yet: that V will never be used. */
	if (pending_v_wipe(g->store, p->uuid, -1, err, errlen) != 0)
		vlog("registrar: %s", err);
	return 0;
fail:
	store_rollback(g->store);
	return -1;
}

static int do_activate(struct registrar *g, const char *uuid, const char *peer, cJSON *j,
		       struct http_reply *r)
{
	static __thread struct tag_match m;
	cJSON *tag = cJSON_GetObjectItem(j, "auth_tag");
	char err[300], why[300];
	int rc, ret;

	if (!cJSON_IsString(tag))
		return refuse(g, r, 400, uuid, peer, "activation without auth_tag");
	memset(&m, 0, sizeof(m));
	m.uuid = uuid;
	m.tag = tag->valuestring;
	if (store_pending_expire(g->store, (int64_t)time(NULL) - REGISTRAR_PENDING_TTL_S, err,
				 sizeof(err)) != 0 ||
	    (rc = store_pending_each(g->store, uuid, pending_matches, &m, err, sizeof(err))) < 0) {
		vlog("registrar: %s", err);
		return wire_reply(r, 500, "state database failed", NULL);
	}
	/* Keylime deletes the registration here; we delete nothing another party made. */
	if (rc == 0) {
		ret = refuse(g, r, 403, uuid, peer, "auth_tag matches no registration of this uuid "
			     "waiting for activation (AK not activated by the EK's TPM)");
		goto out;
	}
	rc = promote(g, &m.hit, why, sizeof(why), err, sizeof(err));
	if (rc < 0) {
		vlog("registrar: %s", err);
		ret = wire_reply(r, 500, "state database failed", NULL);
		goto out;
	}
	if (rc > 0) {
		ret = refuse(g, r, 403, uuid, peer, why);
		goto out;
	}
	vlog("registrar: activated %s (EK %.16s..., contact %s:%d)", uuid, m.hit.ek_hash, m.hit.ip,
	     m.hit.port);
	ret = wire_reply(r, 200, NULL, NULL);
out:
	explicit_bzero(m.hit.secret_b64, sizeof(m.hit.secret_b64));
	return ret;
}

/* GET: what Keylime's registrar answers for one agent (activated ones only). */
static int do_show(struct registrar *g, const char *uuid, struct http_reply *r)
{
	static __thread struct store_node n;
	char err[300], *ek, *ak;
	cJSON *res;
	int found;

	found = store_get(g->store, uuid, &n, err, sizeof(err));
	if (found <= 0)
		return wire_reply(r, found < 0 ? 500 : 404, found < 0 ? "state database failed" :
				  "agent not found", NULL);
	ek = b64_encode_alloc(n.ek_tpm, n.ek_tpm_len);
	ak = b64_encode_alloc(n.aik_tpm, n.aik_tpm_len);
	res = cJSON_CreateObject();
	if (ek && ak && res) {
		cJSON_AddStringToObject(res, "ek_tpm", ek);
		cJSON_AddStringToObject(res, "aik_tpm", ak);
		cJSON_AddStringToObject(res, "ip", n.ip);
		cJSON_AddNumberToObject(res, "port", n.port);
		cJSON_AddBoolToObject(res, "active", 1);
	}
	free(ek);
	free(ak);
	return wire_reply(r, 200, NULL, res);
}

/* GET /metrics: aggregates only (metrics.h says why). */
static int metrics_reply(struct registrar *g, struct http_reply *r)
{
	struct metrics_schedule sched;
	char err[300], *text;
	size_t len;

	serve_schedule_view(&sched);
	text = metrics_render(g->store, &sched, &len, err, sizeof(err));
	if (!text) {
		vlog("metrics: %s", err);
		return wire_reply(r, 500, "metrics unavailable", NULL);
	}
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	r->ext_body = text;
	r->ext_len = len;
	r->ext_free = free;
	return 0;
}

int registrar_handle(void *ctx, const struct http_request *req, struct http_reply *r)
{
	struct registrar *g = ctx;
	unsigned major, minor;
	const char *rest;
	size_t rlen, ulen;
	char uuid[STORE_UUID_MAX + 1], peer[STORE_PEER_MAX];
	cJSON *j = NULL;
	int ret, activate_path = 0;

	peer_host(r->peer, peer, sizeof(peer));
	if (req->method == HTTP_METHOD_GET && req->path_len == 8 && !memcmp(req->path, "/metrics", 8))
		return metrics_reply(g, r);
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
	if (!store_uuid_ok(rest, ulen))
		return wire_reply(r, 400, "agent uuid must be 1-64 characters of [A-Za-z0-9._-], "
				  "starting with a letter or digit", NULL);
	memcpy(uuid, rest, ulen);
	uuid[ulen] = '\0';
	if (req->method == HTTP_METHOD_GET && !activate_path)
		return do_show(g, uuid, r);
	if (req->method != HTTP_METHOD_POST && req->method != HTTP_METHOD_PUT)
		return wire_reply(r, 405, "method not allowed", NULL);
	j = cJSON_ParseWithLength(req->body, req->body_len);
	if (!cJSON_IsObject(j)) {
		ret = refuse(g, r, 400, uuid, peer, "body is not a JSON object");
		goto out;
	}
	if (req->method == HTTP_METHOD_POST && !activate_path)
		ret = do_register(g, uuid, peer, j, r);
	else
		ret = do_activate(g, uuid, peer, j, r);
out:
	cJSON_Delete(j);
	return ret;
}

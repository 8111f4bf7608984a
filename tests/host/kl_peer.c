/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test double of the Keylime side for the agent's host tests: a registrar
 * (MakeCredential in software, auth_tag check) and a tenant+verifier client
 * (identity quote, U with payload, integrity quote, V, keys/verify). It saves
 * every quote so the test checks it independently with tpm2_checkquote.
 *
 *   kl-peer registrar PORTFILE STATEDIR [--refuse]
 *   kl-peer tenant HOST PORT UUID ZIP OUTDIR [--bad-tag|--wrong-v|--tamper|--mask HEX]
 *   kl-peer bench HOST PORT N
 *
 * The real tenant verifier (src/verifier) will replace it; this only has to
 * speak the protocol the way upstream Keylime does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "credential.h"
#include "http_client.h"
#include "http_server.h"
#include "keylime_crypto.h"
#include "tpm_public.h"

#define BODY_MAX (8u << 20)

static struct kc_rng rng;
static const char *state_dir;
static int refuse;
static volatile sig_atomic_t stop;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kl-peer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die("cannot write %s", path);
}

static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(BODY_MAX);

	if (!f || !buf)
		die("cannot read %s", path);
	*len = fread(buf, 1, BODY_MAX, f);
	fclose(f);
	return buf;
}

static char *b64(const uint8_t *d, size_t n)
{
	char *s = b64_encode_alloc(d, n);

	if (!s)
		die("base64 failed");
	return s;
}

static size_t unb64(const char *s, uint8_t *out, size_t cap)
{
	size_t len;

	if (b64_decode(s, strlen(s), out, cap, &len) != 0)
		die("bad base64 from the agent");
	return len;
}

/* ---- registrar ---- */

struct reg_agent {
	char uuid[80];
	char secret_b64[64];
	int activated;
};

static struct reg_agent agents[64];
static size_t nagents;

static int reply_json(struct http_reply *r, int status, cJSON *results)
{
	cJSON *root = cJSON_CreateObject();
	char *s;

	cJSON_AddNumberToObject(root, "code", status);
	cJSON_AddStringToObject(root, "status", status == 200 ? "Success" : "Error");
	cJSON_AddItemToObject(root, "results", results ? results : cJSON_CreateObject());
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	r->status = status;
	r->ext_body = s;
	r->ext_len = strlen(s);
	r->ext_free = free;
	return 0;
}

static struct reg_agent *find(const char *uuid)
{
	size_t i;

	for (i = 0; i < nagents; i++)
		if (!strcmp(agents[i].uuid, uuid))
			return &agents[i];
	return NULL;
}

static int reg_handle(void *ctx, const struct http_request *req, struct http_reply *r)
{
	static uint8_t ek_buf[1024], ak_buf[1024], blob[CREDBLOB_MAX_SIZE];
	unsigned major, minor;
	const char *rest;
	size_t rlen, ek_len, ak_len, name_len, blob_len;
	char uuid[80], err[256], path[1024];
	struct tpm_public ek, ak;
	uint8_t name[80], secret_raw[32];
	struct reg_agent *ag;
	cJSON *j = NULL, *res;
	int ret;

	(void)ctx;
	if (http_path_version(req->path, req->path_len, &major, &minor, &rest, &rlen) != 0 ||
	    rlen < 9 || memcmp(rest, "/agents/", 8) != 0 || rlen - 8 >= sizeof(uuid))
		return reply_json(r, 404, NULL);
	memcpy(uuid, rest + 8, rlen - 8);
	uuid[rlen - 8] = '\0';
	j = cJSON_ParseWithLength(req->body, req->body_len);
	if (!j)
		return reply_json(r, 400, NULL);
	if (req->method == HTTP_METHOD_POST && refuse) {
		/* As a registrar that does not trust this EK. */
		fprintf(stderr, "kl-peer: refusing the registration of %s\n", uuid);
		ret = reply_json(r, 403, NULL);
		goto out;
	}
	if (req->method == HTTP_METHOD_POST) {
		cJSON *e = cJSON_GetObjectItem(j, "ek_tpm"), *a = cJSON_GetObjectItem(j, "aik_tpm");
		cJSON *ip = cJSON_GetObjectItem(j, "ip"), *port = cJSON_GetObjectItem(j, "port");
		cJSON *mtls = cJSON_GetObjectItem(j, "mtls_cert");
		size_t k;

		if (!cJSON_IsString(e) || !cJSON_IsString(a) || !cJSON_IsString(ip) ||
		    !cJSON_IsNumber(port) || !cJSON_IsString(mtls)) {
			fprintf(stderr, "kl-peer: registration of %s lacks a field\n", uuid);
			ret = reply_json(r, 400, NULL);
			goto out;
		}
		ek_len = unb64(e->valuestring, ek_buf, sizeof(ek_buf));
		ak_len = unb64(a->valuestring, ak_buf, sizeof(ak_buf));
		if (tpm_public_parse(ek_buf, ek_len, &ek, err, sizeof(err)) != 0 ||
		    tpm_public_parse(ak_buf, ak_len, &ak, err, sizeof(err)) != 0 ||
		    tpm_public_name(&ak, name, sizeof(name), &name_len) != 0) {
			fprintf(stderr, "kl-peer: bad EK/AK from %s: %s\n", uuid, err);
			ret = reply_json(r, 400, NULL);
			goto out;
		}
		ag = find(uuid);
		if (!ag) {
			if (nagents == sizeof(agents) / sizeof(agents[0])) {
				ret = reply_json(r, 503, NULL);
				goto out;
			}
			ag = &agents[nagents++];
		}
		memset(ag, 0, sizeof(*ag));
		snprintf(ag->uuid, sizeof(ag->uuid), "%s", uuid);
		/* Keylime's secret: 32 characters of [A-Za-z0-9]. */
		kc_rng_bytes(&rng, secret_raw, sizeof(secret_raw));
		{
			static const char al[] =
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
			char secret[33];
			size_t n;

			for (k = 0; k < 32; k++)
				secret[k] = al[secret_raw[k] % 62];
			secret[32] = '\0';
			if (make_credential(&ek, name, name_len, (const uint8_t *)secret, 32,
					    kc_rng_bytes, &rng, blob, sizeof(blob), &blob_len, err,
					    sizeof(err)) != 0)
				die("make_credential: %s", err);
			b64_encode((const uint8_t *)secret, 32, ag->secret_b64,
				      sizeof(ag->secret_b64), &n);
		}
		snprintf(path, sizeof(path), "%s.ek", uuid);
		write_file(state_dir, path, ek_buf, ek_len);
		snprintf(path, sizeof(path), "%s.ak", uuid);
		write_file(state_dir, path, ak_buf, ak_len);
		snprintf(path, sizeof(path), "%s.contact", uuid);
		{
			char c[400];
			int n = snprintf(c, sizeof(c), "%s %d %s\n", ip->valuestring,
					 port->valueint,
					 strcmp(mtls->valuestring, "disabled") ? "mtls" : "disabled");

			write_file(state_dir, path, c, (size_t)n);
		}
		if (strcmp(mtls->valuestring, "disabled") != 0) {
			snprintf(path, sizeof(path), "%s.mtls.pem", uuid);
			write_file(state_dir, path, mtls->valuestring, strlen(mtls->valuestring));
		}
		res = cJSON_CreateObject();
		{
			char *bb = b64(blob, blob_len);

			cJSON_AddStringToObject(res, "blob", bb);
			free(bb);
		}
		fprintf(stderr, "kl-peer: registered %s (contact %s:%d)\n", uuid, ip->valuestring,
			port->valueint);
		ret = reply_json(r, 200, res);
		goto out;
	}
	if (req->method == HTTP_METHOD_PUT) {
		cJSON *tag = cJSON_GetObjectItem(j, "auth_tag");

		ag = find(uuid);
		if (!ag || !cJSON_IsString(tag)) {
			ret = reply_json(r, 404, NULL);
			goto out;
		}
		if (!kc_auth_tag_matches((const uint8_t *)ag->secret_b64, strlen(ag->secret_b64),
					 (const uint8_t *)uuid, strlen(uuid), tag->valuestring,
					 strlen(tag->valuestring))) {
			fprintf(stderr, "kl-peer: wrong auth_tag from %s; registration deleted\n",
				uuid);
			memset(ag, 0, sizeof(*ag));
			ret = reply_json(r, 400, NULL);
			goto out;
		}
		ag->activated = 1;
		snprintf(path, sizeof(path), "%s.activated", uuid);
		write_file(state_dir, path, "1\n", 2);
		fprintf(stderr, "kl-peer: activated %s\n", uuid);
		ret = reply_json(r, 200, NULL);
		goto out;
	}
	ret = reply_json(r, 405, NULL);
out:
	cJSON_Delete(j);
	return ret;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int registrar(const char *portfile, const char *dir)
{
	struct http_server_config cfg = { 0 };
	struct http_server *s;
	char err[256], port[16];
	int n;

	state_dir = dir;
	cfg.address = "127.0.0.1";
	cfg.handler = reg_handle;
	if (http_server_open(&s, &cfg, err, sizeof(err)) != 0)
		die("%s", err);
	n = snprintf(port, sizeof(port), "%u\n", http_server_port(s));
	write_file(".", portfile, port, (size_t)n);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop)
		if (http_server_poll_once(s, 200, err, sizeof(err)) != 0)
			die("%s", err);
	http_server_close(s);
	return 0;
}

/* ---- tenant and verifier ---- */

static const char *host;
static uint16_t port;

/* GET/POST, expecting 200; returns "results". */
static cJSON *call(const char *method, const char *path, const char *body, cJSON **root,
		   int want_status)
{
	struct http_client_response r = { 0 };
	char err[512];
	cJSON *res;

	if (http_client_request(host, port, method, path, body ? "application/json" : NULL, body,
				body ? strlen(body) : 0, 60000, BODY_MAX, &r, err, sizeof(err)) != 0)
		die("%s %s: %s", method, path, err);
	if (r.status != want_status)
		die("%s %s: HTTP %d (wanted %d): %.300s", method, path, r.status, want_status, r.body);
	*root = cJSON_ParseWithLength(r.body, r.body_len);
	http_client_response_free(&r);
	if (!*root)
		die("%s %s: answer is not JSON", method, path);
	res = cJSON_GetObjectItem(*root, "results");
	if (!cJSON_IsObject(res))
		die("%s %s: no results", method, path);
	return res;
}

static const char *str(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(o, key);

	if (!cJSON_IsString(v))
		die("answer lacks string \"%s\"", key);
	return v->valuestring;
}

/* Save quote parts as attest/sig/pcrs files for tpm2_checkquote. */
static void save_quote(cJSON *res, const char *out, const char *prefix, const char *nonce)
{
	static uint8_t buf[8192];
	char *q = strdup(str(res, "quote")), *a, *s, *p, name[64];
	size_t n;

	if (!q || q[0] != 'r')
		die("quote does not start with 'r'");
	a = q + 1;
	s = strchr(a, ':');
	if (!s)
		die("quote has no signature part");
	*s++ = '\0';
	p = strchr(s, ':');
	if (!p)
		die("quote has no PCR part");
	*p++ = '\0';
	n = unb64(a, buf, sizeof(buf));
	snprintf(name, sizeof(name), "%s.attest", prefix);
	write_file(out, name, buf, n);
	n = unb64(s, buf, sizeof(buf));
	snprintf(name, sizeof(name), "%s.sig", prefix);
	write_file(out, name, buf, n);
	n = unb64(p, buf, sizeof(buf));
	snprintf(name, sizeof(name), "%s.pcrs", prefix);
	write_file(out, name, buf, n);
	snprintf(name, sizeof(name), "%s.nonce", prefix);
	write_file(out, name, nonce, strlen(nonce));
	snprintf(name, sizeof(name), "%s.algs", prefix);
	{
		char t[128];
		int k = snprintf(t, sizeof(t), "%s %s %s\n", str(res, "hash_alg"),
				 str(res, "enc_alg"), str(res, "sign_alg"));

		write_file(out, name, t, (size_t)k);
	}
	free(q);
}

static void nonce_make(char *out, size_t len)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[64];
	size_t i;

	kc_rng_bytes(&rng, r, len);
	for (i = 0; i < len; i++)
		out[i] = al[r[i] % 36];
	out[len] = '\0';
}

/* The tenant's half: a fresh K, U with the auth_tag and the payload; V returned for later. */
static void send_u(const char *uuid, const char *pem, const char *zipfile, int bad_tag, int tamper,
		   uint8_t k[KC_KEY_LEN], uint8_t v[KC_KEY_LEN])
{
	uint8_t u[KC_KEY_LEN], enc[512], *zip, *payload;
	char tag[KC_TAG_HEX_LEN + 1], *body, *pb, *eb;
	size_t zip_len, enc_len, payload_len;
	cJSON *root, *j;

	kc_rng_bytes(&rng, k, KC_KEY_LEN);
	kc_rng_bytes(&rng, u, sizeof(u));
	kc_combine(k, u, v);
	kc_auth_tag(k, KC_KEY_LEN, (const uint8_t *)uuid, strlen(uuid), tag);
	if (bad_tag)
		tag[0] = tag[0] == '0' ? '1' : '0';
	if (kc_oaep_sha1_encrypt(pem, strlen(pem), &rng, u, enc, sizeof(enc), &enc_len, NULL, 0))
		die("OAEP encrypt failed");
	zip = read_whole(zipfile, &zip_len);
	payload = malloc(zip_len + KC_PAYLOAD_OVERHEAD);
	if (!payload || kc_payload_encrypt(k, &rng, zip, zip_len, payload,
					   zip_len + KC_PAYLOAD_OVERHEAD, &payload_len, NULL, 0))
		die("payload encryption failed");
	if (tamper)
		payload[payload_len / 2] ^= 0x40;
	j = cJSON_CreateObject();
	eb = b64(enc, enc_len);
	pb = b64(payload, payload_len);
	cJSON_AddStringToObject(j, "encrypted_key", eb);
	cJSON_AddStringToObject(j, "auth_tag", tag);
	cJSON_AddStringToObject(j, "payload", pb);
	body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	free(eb);
	free(pb);
	call("POST", "/v2.5/keys/ukey", body, &root, 200);
	cJSON_Delete(root);
	free(body);
	free(zip);
	free(payload);
	printf("peer: U and payload (%zu bytes) sent\n", payload_len);
}

/* The verifier's half; the agent's answer must be want_status. */
static void send_v(const char *pem, const uint8_t v[KC_KEY_LEN], int want_status)
{
	uint8_t enc[512];
	size_t enc_len;
	char *body, *eb;
	cJSON *root, *j;

	if (kc_oaep_sha1_encrypt(pem, strlen(pem), &rng, v, enc, sizeof(enc), &enc_len, NULL, 0))
		die("OAEP encrypt failed");
	eb = b64(enc, enc_len);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "encrypted_key", eb);
	body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	free(eb);
	call("POST", "/v2.5/keys/vkey", body, &root, want_status);
	cJSON_Delete(root);
	free(body);
	printf("peer: V sent (HTTP %d)\n", want_status);
}

/* The tenant checks the agent derived K: HMAC(K, challenge). 0, or 3 when it does not know K yet. */
static int verify_k(const uint8_t k[KC_KEY_LEN])
{
	struct http_client_response r = { 0 };
	char err[512], want[KC_TAG_HEX_LEN + 1], challenge[24], path[128];
	cJSON *root, *res;

	nonce_make(challenge, 20);
	snprintf(path, sizeof(path), "/v2.5/keys/verify?challenge=%s", challenge);
	if (http_client_request(host, port, "GET", path, NULL, NULL, 0, 60000, BODY_MAX, &r,
				err, sizeof(err)) != 0)
		die("keys/verify: %s", err);
	if (r.status != 200) {
		printf("peer: keys/verify answered %d\n", r.status);
		http_client_response_free(&r);
		return 3;
	}
	root = cJSON_ParseWithLength(r.body, r.body_len);
	http_client_response_free(&r);
	res = root ? cJSON_GetObjectItem(root, "results") : NULL;
	kc_auth_tag(k, KC_KEY_LEN, (const uint8_t *)challenge, strlen(challenge), want);
	if (!res || strcmp(str(res, "hmac"), want) != 0)
		die("keys/verify: HMAC does not match K");
	cJSON_Delete(root);
	printf("peer: keys/verify matches: the agent derived K\n");
	return 0;
}

static int tenant(int argc, char **argv)
{
	const char *uuid = argv[4], *zipfile = argv[5], *out = argv[6], *mask = "0x300";
	const char *rekey_zip = NULL;
	uint8_t k[KC_KEY_LEN], v[KC_KEY_LEN];
	char nonce[32], path[256];
	int bad_tag = 0, wrong_v = 0, tamper = 0, i, rc;
	cJSON *root, *res, *j;
	char *pem;

	for (i = 7; i < argc; i++) {
		if (!strcmp(argv[i], "--bad-tag"))
			bad_tag = 1;
		else if (!strcmp(argv[i], "--wrong-v"))
			wrong_v = 1;
		else if (!strcmp(argv[i], "--tamper"))
			tamper = 1;
		else if (!strcmp(argv[i], "--mask") && i + 1 < argc)
			mask = argv[++i];
		else if (!strcmp(argv[i], "--rekey") && i + 1 < argc)
			rekey_zip = argv[++i];
		else
			die("unknown option %s", argv[i]);
	}
	host = argv[2];
	port = (uint16_t)atoi(argv[3]);
	res = call("GET", "/version", NULL, &root, 200);
	printf("peer: agent supports %s\n", str(res, "supported_version"));
	cJSON_Delete(root);

	nonce_make(nonce, 20);
	snprintf(path, sizeof(path), "/v2.5/quotes/identity?nonce=%s", nonce);
	res = call("GET", path, NULL, &root, 200);
	save_quote(res, out, "identity", nonce);
	pem = strdup(str(res, "pubkey"));
	if (!pem)
		die("out of memory");
	write_file(out, "nk.pem", pem, strlen(pem));
	cJSON_Delete(root);
	printf("peer: identity quote saved\n");

	send_u(uuid, pem, zipfile, bad_tag, tamper, k, v);

	/* The verifier: an integrity quote, then V. */
	nonce_make(nonce, 20);
	snprintf(path, sizeof(path),
		 "/v2.5/quotes/integrity?nonce=%s&mask=%s&partial=0&ima_ml_entry=0", nonce, mask);
	res = call("GET", path, NULL, &root, 200);
	save_quote(res, out, "integrity", nonce);
	j = cJSON_GetObjectItem(res, "airlock_runtime_log");
	if (cJSON_IsString(j)) {
		static uint8_t logbuf[1 << 20];
		size_t n = unb64(j->valuestring, logbuf, sizeof(logbuf));

		write_file(out, "runtime.log", logbuf, n);
	}
	cJSON_Delete(root);
	printf("peer: integrity quote saved\n");
	if (wrong_v)
		kc_rng_bytes(&rng, v, sizeof(v));
	send_v(pem, v, 200);
	if (rekey_zip) {
		/* A verifier whose answer got lost sends the same V again: no error. */
		send_v(pem, v, 200);
		/* The tenant enrols the node again before the handoff: a new K and payload. */
		send_u(uuid, pem, rekey_zip, 0, 0, k, v);
		send_v(pem, v, 200);
		printf("peer: re-keyed with a second U and V\n");
	}
	rc = verify_k(k);
	free(pem);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Round trips of N identity and N integrity quotes: median and 90th percentile. */
static int bench(int argc, char **argv)
{
	static const char *const kinds[] = { "identity", "integrity" };
	int n = atoi(argv[4]), i, k;
	double *t;
	cJSON *root;

	(void)argc;
	host = argv[2];
	port = (uint16_t)atoi(argv[3]);
	if (n < 1 || n > 10000)
		die("N must be 1..10000");
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		die("out of memory");
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++) {
			char nonce[32], path[256];
			double t0;

			nonce_make(nonce, 20);
			if (k == 0)
				snprintf(path, sizeof(path), "/v2.5/quotes/identity?nonce=%s", nonce);
			else
				snprintf(path, sizeof(path), "/v2.5/quotes/integrity?nonce=%s&mask=0x300"
					 "&partial=1&ima_ml_entry=0", nonce);
			t0 = now_ms();
			call("GET", path, NULL, &root, 200);
			t[i] = now_ms() - t0;
			cJSON_Delete(root);
		}
		qsort(t, (size_t)n, sizeof(*t), cmp_double);
		printf("bench: %s quote round trip: median %.2f ms, p90 %.2f ms (n=%d)\n", kinds[k],
		       t[n / 2], t[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], n);
	}
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (kc_rng_init(&rng, "kl-peer", NULL, 0) != 0)
		die("rng");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "--refuse"))) &&
	    !strcmp(argv[1], "registrar")) {
		refuse = argc == 5;
		ret = registrar(argv[2], argv[3]);
	}
	else if (argc >= 7 && !strcmp(argv[1], "tenant"))
		ret = tenant(argc, argv);
	else if (argc == 5 && !strcmp(argv[1], "bench"))
		ret = bench(argc, argv);
	else {
		fprintf(stderr, "usage: kl-peer registrar PORTFILE STATEDIR [--refuse]\n"
				"       kl-peer tenant HOST PORT UUID ZIP OUTDIR [--bad-tag|--wrong-v|"
				"--tamper|--mask HEX|--rekey ZIP2]\n"
				"       kl-peer bench HOST PORT N\n");
		ret = 2;
	}
	kc_rng_free(&rng);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock-verifier: the tenant's registrar, verifier and tenant in one
 * program. Usage and exit codes: docs/verifier.md (and `airlock-verifier
 * help`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mbedtls/x509_crt.h>

#include "attest.h"
#include "ek_trust.h"
#include "ek_uuid.h"
#include "file_read.h"
#include "cJSON.h"
#include "eventlog.h"
#include "policy.h"
#include "payload_build.h"
#include "predict.h"
#include "revocation_key.h"
#include "serve.h"
#include "store.h"
#include "vkey_file.h"

/* Exit codes (docs/verifier.md). */
#define EXIT_OK 0
#define EXIT_ERROR 1     /* could not do it: I/O, database, network */
#define EXIT_USAGE 2
#define EXIT_REFUSED 3   /* the node failed a check, or a policy is invalid */
#define EXIT_NOTFOUND 4

#define PAYLOAD_MAX (64u << 20)
#define POLICY_FILE_MAX (STORE_TEXT_MAX - 1)

static const char usage[] =
	"usage: airlock-verifier [--state DIR] COMMAND ...\n"
	"  serve [--listen ADDR:PORT] [--ek-ca DIR] [--ek-list FILE] [--interval SEC]\n"
	"        [--workers N] [--senders N] [--timeout SEC] [--on-pass CMD] [--on-fail CMD]\n"
	"        [--webhook URL] [--port-file FILE] [--client-cert PEM --client-key PEM]\n"
	"  node add UUID [--ek-hash HASH] (--payload ZIP | PAYLOAD) [--policy FILE]\n"
	"        [--agent HOST:PORT] [--timeout SEC] [--client-cert PEM --client-key PEM]\n"
	"    PAYLOAD: (--kernel FILE | --kernel-url URL (--kernel FILE | --kernel-sha256 H\n"
	"        --kernel-size N)) [the same for --initrd] [--cmdline S]\n"
	"        [--luks NAME=KEYFILE:VOLUME]... [--ipsec DIR]\n"
	"  node list [--json]\n"
	"  node show UUID [--json]\n"
	"  node delete UUID\n"
	"  node pin UUID HASH  (only the EK with this ek-hash may register UUID)\n"
	"  node unpin UUID\n"
	"  policy show UUID\n"
	"  policy check FILE\n"
	"  policy test FILE --runtime-log LOG [--firmware-log LOG]\n"
	"  predict BUILD_DIR [--append ARGS] [--firmware uefi|bios|coreboot] [--out FILE]\n"
	"          [--rom FILE] [--cbfs-measured 'NAME ...'] [--cbfs-verification on|off]\n"
	"  ek-hash [--uuid] FILE  (an EK: TPM2B_PUBLIC as tpm2_createek -u writes it, or its\n"
	"                      certificate: the --ek-list entry and --ek-hash; --uuid: the\n"
	"                      uuid an airlock agent derives from that EK, TPM2B_PUBLIC only)\n"
	"  revocation-cert     (the certificate nodes check revocation notices with; a payload\n"
	"                      given by --payload carries it as RevocationNotifier-cert.crt)\n"
	"State directory: --state, else $AIRLOCK_VERIFIER_STATE, else\n"
	"$XDG_STATE_HOME/airlock-verifier (~/.local/state/airlock-verifier).\n"
	"Exit codes: 0 ok, 1 error, 2 usage, 3 node or policy refused, 4 not found.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "airlock-verifier: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return EXIT_USAGE;
}

static char state_buf[4096];

static const char *default_state(void)
{
	const char *e = getenv("AIRLOCK_VERIFIER_STATE"), *x = getenv("XDG_STATE_HOME"),
		   *h = getenv("HOME");

	if (e && *e)
		return e;
	if (x && *x)
		snprintf(state_buf, sizeof(state_buf), "%s/airlock-verifier", x);
	else if (h && *h) {
		snprintf(state_buf, sizeof(state_buf), "%s/.local/state", h);
		/* Only the last component is made by store_open. */
		mkdir(state_buf, 0700);
		snprintf(state_buf, sizeof(state_buf), "%s/.local/state/airlock-verifier", h);
	} else
		return NULL;
	return state_buf;
}

static int parse_hostport(const char *s, char *host, size_t cap, uint16_t *port, int allow_zero)
{
	const char *c = strrchr(s, ':');
	char *end;
	long p;

	if (!c || c == s || (size_t)(c - s) >= cap)
		return -1;
	errno = 0;
	p = strtol(c + 1, &end, 10);
	if (errno || *end || p < (allow_zero ? 0 : 1) || p > 65535)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	/* [v6]:port */
	if (host[0] == '[' && host[c - s - 1] == ']') {
		memmove(host, host + 1, (size_t)(c - s) - 2);
		host[c - s - 2] = '\0';
	}
	*port = (uint16_t)p;
	return 0;
}

static int parse_seconds(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v < 0.1 || v > 86400)
		return -1;
	*ms = (int)(v * 1000);
	return 0;
}

/* 64 hex digits (either case) into lowercase. */
static int parse_ek_hash(const char *s, char out[STORE_HASH_HEX + 1])
{
	if (strlen(s) != STORE_HASH_HEX)
		return -1;
	for (int i = 0; i < STORE_HASH_HEX; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[STORE_HASH_HEX] = '\0';
	return 0;
}

static int cmd_serve(const char *state, int argc, char **argv)
{
	static char host[256];
	struct serve_opts o = { 0 };

	o.state_dir = state;
	o.listen_addr = "127.0.0.1";
	o.listen_port = 8890;
	o.interval_ms = 2000;
	o.workers = 8;
	o.senders = 16;
	o.attest.timeout_ms = ATTEST_TIMEOUT_MS_DEFAULT;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage_error("%s needs a value", a);
		i++;
		if (!strcmp(a, "--listen")) {
			if (parse_hostport(v, host, sizeof(host), &o.listen_port, 1) != 0)
				return usage_error("--listen wants ADDR:PORT, got %s", v);
			o.listen_addr = host;
		} else if (!strcmp(a, "--ek-ca")) {
			o.ek_ca_dir = v;
		} else if (!strcmp(a, "--ek-list")) {
			o.ek_list = v;
		} else if (!strcmp(a, "--interval")) {
			if (parse_seconds(v, &o.interval_ms) != 0)
				return usage_error("--interval wants seconds (0.1..86400), got %s", v);
		} else if (!strcmp(a, "--timeout")) {
			if (parse_seconds(v, &o.attest.timeout_ms) != 0)
				return usage_error("--timeout wants seconds (0.1..86400), got %s", v);
		} else if (!strcmp(a, "--workers")) {
			o.workers = (unsigned)atoi(v);
			if (o.workers < 1 || o.workers > 256)
				return usage_error("--workers wants 1..256, got %s", v);
		} else if (!strcmp(a, "--senders")) {
			o.senders = (unsigned)atoi(v);
			if (o.senders < 1 || o.senders > 256)
				return usage_error("--senders wants 1..256, got %s", v);
		} else if (!strcmp(a, "--on-pass")) {
			o.on_pass = v;
		} else if (!strcmp(a, "--on-fail")) {
			o.on_fail = v;
		} else if (!strcmp(a, "--webhook")) {
			o.webhook = v;
		} else if (!strcmp(a, "--port-file")) {
			o.port_file = v;
		} else if (!strcmp(a, "--client-cert")) {
			o.attest.client_cert = v;
		} else if (!strcmp(a, "--client-key")) {
			o.attest.client_key = v;
		} else {
			return usage_error("serve: unknown option %s", a);
		}
	}
	return serve(&o) == 0 ? EXIT_OK : EXIT_ERROR;
}

static int cmd_node_add(struct store *st, const char *state, int argc, char **argv)
{
	static char host[256];
	struct attest_opts o = { .timeout_ms = ATTEST_TIMEOUT_MS_DEFAULT };
	const char *uuid = argc > 0 ? argv[0] : NULL, *payload_file = NULL, *policy_file = NULL;
	char ek_hash[STORE_HASH_HEX + 1] = "";
	struct pb_opts pb = { 0 };
	int building = 0;
	uint8_t *payload = NULL, *policy = NULL;
	size_t payload_len = 0, policy_len = 0;
	struct kc_rng rng;
	struct revkey rk;
	char why[1024];
	int ret, rc;

	memset(&rng, 0, sizeof(rng));
	memset(&rk, 0, sizeof(rk));
	if (!uuid || uuid[0] == '-')
		return usage_error("node add needs a UUID%s", "");
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint16_t port;

		if (!v)
			return usage_error("%s needs a value", a);
		if (!strcmp(a, "--payload"))
			payload_file = v;
		else if (!strcmp(a, "--kernel"))
			building = 1, pb.kernel.file = v;
		else if (!strcmp(a, "--kernel-url"))
			building = 1, pb.kernel.url = v;
		else if (!strcmp(a, "--kernel-sha256"))
			building = 1, pb.kernel.sha256 = v;
		else if (!strcmp(a, "--kernel-size"))
			building = 1, pb.kernel.size = v;
		else if (!strcmp(a, "--initrd"))
			building = 1, pb.initrd.file = v;
		else if (!strcmp(a, "--initrd-url"))
			building = 1, pb.initrd.url = v;
		else if (!strcmp(a, "--initrd-sha256"))
			building = 1, pb.initrd.sha256 = v;
		else if (!strcmp(a, "--initrd-size"))
			building = 1, pb.initrd.size = v;
		else if (!strcmp(a, "--cmdline"))
			building = 1, pb.cmdline = v;
		else if (!strcmp(a, "--ipsec"))
			building = 1, pb.ipsec_dir = v;
		else if (!strcmp(a, "--luks")) {
			if (pb.nluks == PB_MAX_LUKS)
				return usage_error("at most 16 --luks%s", "");
			building = 1;
			pb.luks[pb.nluks++] = v;
		}
		else if (!strcmp(a, "--policy"))
			policy_file = v;
		else if (!strcmp(a, "--ek-hash")) {
			if (parse_ek_hash(v, ek_hash) != 0)
				return usage_error("--ek-hash wants the 64 hex digits `ek-hash` prints, "
						   "got %s", v);
		}
		else if (!strcmp(a, "--agent")) {
			if (parse_hostport(v, host, sizeof(host), &port, 0) != 0)
				return usage_error("--agent wants HOST:PORT, got %s", v);
			o.agent_host = host;
			o.agent_port = port;
		} else if (!strcmp(a, "--timeout")) {
			if (parse_seconds(v, &o.timeout_ms) != 0)
				return usage_error("--timeout wants seconds, got %s", v);
		} else if (!strcmp(a, "--client-cert")) {
			o.client_cert = v;
		} else if (!strcmp(a, "--client-key")) {
			o.client_key = v;
		} else
			return usage_error("node add: unknown option %s", a);
	}
	if (!payload_file == !building)
		return usage_error("node add needs either --payload ZIP (docs/payload.md) or the "
				   "payload's parts (--kernel ...)%s", "");
	if (kc_rng_init(&rng, "airlock-verifier tenant", why, sizeof(why)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", why);
		ret = EXIT_ERROR;
		goto out;
	}
	if (building) {
		if (revkey_open(state, &rng, &rk, why, sizeof(why)) != 0) {
			fprintf(stderr, "airlock-verifier: revocation key: %s\n", why);
			ret = EXIT_ERROR;
			goto out;
		}
		pb.revocation_cert = rk.cert;
		if (payload_build(&pb, &payload, &payload_len, why, sizeof(why)) != 0) {
			fprintf(stderr, "airlock-verifier: %s\n", why);
			ret = EXIT_USAGE;
			goto out;
		}
		if (payload_len + 32 > (1u << 20))
			fprintf(stderr, "airlock-verifier: note: the payload is %zu bytes; the node "
				"needs airlock.payload_max above that (default 1 MiB), or give the "
				"kernel and initrd by URL\n", payload_len + 32);
	} else {
		payload = file_read(payload_file, PAYLOAD_MAX, &payload_len, NULL, 0);
	}
	if (!payload) {
		fprintf(stderr, "airlock-verifier: cannot read payload %s (at most %u MiB)\n",
			payload_file, PAYLOAD_MAX >> 20);
		ret = EXIT_ERROR;
		goto out;
	}
	if (policy_file && !(policy = file_read(policy_file, POLICY_FILE_MAX, &policy_len, NULL, 0))) {
		fprintf(stderr, "airlock-verifier: cannot read policy %s (at most %d bytes)\n",
			policy_file, POLICY_FILE_MAX);
		ret = EXIT_ERROR;
		goto out;
	}
	/* Named once, kept: from now on only that EK may register this uuid. */
	if (ek_hash[0] && store_pin_set(st, uuid, ek_hash, why, sizeof(why)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", why);
		ret = EXIT_ERROR;
		goto out;
	}
	rc = tenant_enroll(st, &rng, uuid, ek_hash[0] ? ek_hash : NULL, payload, payload_len,
			   (const char *)policy, &o, why, sizeof(why));
	if (rc == ATTEST_PASS) {
		printf("%s: enrolled: %s\n", uuid, why);
		ret = EXIT_OK;
	} else {
		fprintf(stderr, "airlock-verifier: %s not enrolled: %s\n", uuid, why);
		ret = rc == ATTEST_FAIL ? EXIT_REFUSED : EXIT_ERROR;
	}
out:
	if (payload)
		explicit_bzero(payload, payload_len);
	free(payload);
	free(policy);
	attest_tls_free();
	revkey_free(&rk);
	kc_rng_free(&rng);
	return ret;
}

static int cmd_revocation_cert(const char *state, int argc, char **argv)
{
	struct revkey rk;
	struct kc_rng rng;
	char err[300];
	int ret = EXIT_ERROR;

	(void)argv;
	memset(&rng, 0, sizeof(rng));
	if (argc != 0)
		return usage_error("revocation-cert takes no arguments%s", "");
	if (kc_rng_init(&rng, "airlock-verifier revocation-cert", err, sizeof(err)) != 0 ||
	    revkey_open(state, &rng, &rk, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: revocation key: %s\n", err);
		goto out;
	}
	fputs(rk.cert, stdout);
	revkey_free(&rk);
	ret = EXIT_OK;
out:
	kc_rng_free(&rng);
	return ret;
}

static const char *when(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		return "-";
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static cJSON *node_json(const struct store_node *n)
{
	cJSON *j = cJSON_CreateObject();

	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "uuid", n->uuid);
	cJSON_AddStringToObject(j, "state", n->state);
	cJSON_AddStringToObject(j, "ip", n->ip);
	cJSON_AddNumberToObject(j, "port", n->port);
	cJSON_AddBoolToObject(j, "mtls", n->mtls);
	cJSON_AddStringToObject(j, "ek_trust", n->ek_trust);
	cJSON_AddStringToObject(j, "ek_hash", n->ek_hash);
	cJSON_AddStringToObject(j, "uuid_bound", n->uuid_bound);
	cJSON_AddStringToObject(j, "agent_mode", n->agent_mode);
	cJSON_AddStringToObject(j, "v", n->v_state == STORE_V_PENDING ? "pending" :
				n->v_state == STORE_V_SENT ? "delivered" : "none");
	if (n->release_reset >= 0)
		cJSON_AddNumberToObject(j, "released_at_tpm_reset", (double)n->release_reset);
	cJSON_AddStringToObject(j, "verdict", n->verdict);
	cJSON_AddStringToObject(j, "reason", n->reason);
	cJSON_AddNumberToObject(j, "last_time", (double)n->last_time);
	cJSON_AddNumberToObject(j, "passes", (double)n->passes);
	cJSON_AddNumberToObject(j, "failures", (double)n->failures);
	cJSON_AddBoolToObject(j, "has_policy", n->policy[0] != 0);
	cJSON_AddStringToObject(j, "api_version", n->api_version);
	return j;
}

struct list_ctx {
	int json;
	cJSON *arr;
	size_t count;
};

static int list_one(void *ctx, const struct store_node *n)
{
	struct list_ctx *c = ctx;
	char t[32];

	c->count++;
	if (c->json) {
		cJSON_AddItemToArray(c->arr, node_json(n));
		return 0;
	}
	if (c->count == 1)
		printf("%-36s %-10s %-21s %-5s %-20s %s\n", "UUID", "STATE", "CONTACT", "LAST",
		       "WHEN", "REASON");
	printf("%-36s %-10s %-15s:%-5d %-5s %-20s %.60s\n", n->uuid, n->state, n->ip, n->port,
	       n->verdict[0] ? n->verdict : "-", when(n->last_time, t, sizeof(t)),
	       n->reason[0] ? n->reason : "-");
	return 0;
}

static void print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		printf("%s\n", s);
	free(s);
}

static int cmd_node_list(struct store *st, int argc, char **argv)
{
	struct list_ctx c = { 0 };
	char err[300];
	int ret = EXIT_OK;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json") != 0))
		return usage_error("node list takes only --json%s", "");
	c.json = argc == 1;
	if (c.json)
		c.arr = cJSON_CreateArray();
	if (store_each(st, list_one, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		ret = EXIT_ERROR;
	} else if (c.json) {
		print_json(c.arr);
	} else if (!c.count) {
		printf("no nodes registered\n");
	}
	cJSON_Delete(c.arr);
	return ret;
}

static int history_one(void *ctx, int64_t t, const char *verdict, const char *reason)
{
	char buf[32];
	cJSON *arr = ctx, *h;

	if (arr) {
		h = cJSON_CreateObject();
		cJSON_AddNumberToObject(h, "time", (double)t);
		cJSON_AddStringToObject(h, "verdict", verdict);
		cJSON_AddStringToObject(h, "reason", reason);
		cJSON_AddItemToArray(arr, h);
	} else {
		printf("  %s  %-8s %s\n", when(t, buf, sizeof(buf)), verdict, reason);
	}
	return 0;
}

/*
 * Not a node: waiting for activation, or refused (and why), or unknown. A
 * refusal exits 3.
 */
static int show_not_node(struct store *st, const char *uuid, int json)
{
	char err[300], reason[1024], t[32];
	int64_t when_t = 0, count = 0;
	int per_uuid = 0, per_peer, total, rc;
	cJSON *j;

	if (store_pending_counts(st, uuid, "", &per_uuid, &per_peer, &total, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	rc = store_last_rejection(st, uuid, &when_t, reason, sizeof(reason), &count, err,
				  sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	if (!per_uuid && rc == 0) {
		fprintf(stderr, "airlock-verifier: no such node\n");
		return EXIT_NOTFOUND;
	}
	if (!json) {
		printf("uuid      %s\nstate     %s\n", uuid, per_uuid ? "registered (waiting for "
		       "activation: the registration changes nothing until its TPM proves itself)" :
		       "rejected (not registered)");
		if (rc == 1)
			printf("refused   at %s: %s (%lld time(s))\n", when(when_t, t, sizeof(t)),
			       reason, (long long)count);
		return per_uuid ? EXIT_OK : EXIT_REFUSED;
	}
	j = cJSON_CreateObject();
	if (!j || !cJSON_AddStringToObject(j, "uuid", uuid) ||
	    !cJSON_AddStringToObject(j, "state", per_uuid ? "registered" : "rejected") ||
	    !cJSON_AddStringToObject(j, "reason", rc == 1 ? reason : "") ||
	    !cJSON_AddNumberToObject(j, "time", (double)when_t) ||
	    !cJSON_AddNumberToObject(j, "refusals", (double)count)) {
		cJSON_Delete(j);
		fprintf(stderr, "airlock-verifier: out of memory\n");
		return EXIT_ERROR;
	}
	print_json(j);
	cJSON_Delete(j);
	return per_uuid ? EXIT_OK : EXIT_REFUSED;
}

static int cmd_node_show(struct store *st, int argc, char **argv, int policy_only)
{
	static struct store_node n;
	char err[300], t[32];
	int json = argc == 2 && !strcmp(argv[1], "--json"), found, ret = EXIT_OK;
	cJSON *j = NULL, *h = NULL;

	if (argc < 1 || (argc == 2 && !json) || argc > 2 || (policy_only && argc != 1))
		return usage_error("expected a UUID%s", policy_only ? "" : " [--json]");
	found = store_get(st, argv[0], &n, err, sizeof(err));
	if (found == 0 && !policy_only)
		return show_not_node(st, argv[0], json);
	if (found <= 0) {
		fprintf(stderr, "airlock-verifier: %s\n", found < 0 ? err : "no such node");
		return found < 0 ? EXIT_ERROR : EXIT_NOTFOUND;
	}
	if (policy_only) {
		printf("%s\n", n.policy[0] ? n.policy : "(no policy: PCR 8 must replay from the "
		       "runtime event log)");
		return EXIT_OK;
	}
	if (json) {
		j = node_json(&n);
		h = cJSON_AddArrayToObject(j, "history");
	} else {
		char pin[STORE_HASH_HEX + 1] = "", bound[200];

		if (store_pin_get(st, n.uuid, pin, err, sizeof(err)) == 1)
			snprintf(bound, sizeof(bound), "%s%spinned by the tenant to EK %s%s",
				 n.uuid_bound, n.uuid_bound[0] ? "; " : "", pin,
				 strcmp(pin, n.ek_hash) ? " (NOT this node's EK)" : "");
		else
			snprintf(bound, sizeof(bound), "%s", n.uuid_bound[0] ? n.uuid_bound :
				 "not bound to this EK (node add needs --ek-hash)");
		printf("uuid      %s\nstate     %s\ncontact   %s:%d (%s)\nEK        %s\n"
		       "EK hash   %s\nbound     %s\nagent     %s\nV         %s",
		       n.uuid, n.state, n.ip, n.port, n.mtls ? "mTLS" : "plain HTTP", n.ek_trust,
		       n.ek_hash[0] ? n.ek_hash : "-", bound, n.agent_mode[0] ? n.agent_mode : "-",
		       n.v_state == STORE_V_PENDING ? "pending (waits for the first good quote)" :
		       n.v_state == STORE_V_SENT ? "delivered, keys/verify not yet matched" : "none");
		if (n.release_reset >= 0)
			printf(" (released at TPM reset %lld)", (long long)n.release_reset);
		printf("\nverdict   %s at %s: %s\nrounds    %lld passed, %lld failed\npolicy    %s\n"
		       "history (newest first):\n",
		       n.verdict[0] ? n.verdict : "-", when(n.last_time, t, sizeof(t)),
		       n.reason[0] ? n.reason : "-", (long long)n.passes, (long long)n.failures,
		       n.policy[0] ? "set (policy show)" : "none");
	}
	if (store_history_each(st, n.uuid, 20, history_one, h, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		ret = EXIT_ERROR;
	}
	if (j)
		print_json(j);
	cJSON_Delete(j);
	return ret;
}

static int cmd_node_delete(struct store *st, int argc, char **argv)
{
	static struct store_node n;
	char err[300];
	int found;

	if (argc != 1)
		return usage_error("node delete needs a UUID%s", "");
	found = store_get(st, argv[0], &n, err, sizeof(err));
	if (found <= 0) {
		fprintf(stderr, "airlock-verifier: %s\n", found < 0 ? err : "no such node");
		return found < 0 ? EXIT_ERROR : EXIT_NOTFOUND;
	}
	if (store_delete(st, argv[0], err, sizeof(err)) != 0 ||
	    store_pending_clear(st, argv[0], err, sizeof(err)) != 0 ||
	    vkey_wipe(st->dir, argv[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	printf("%s: deleted%s\n", argv[0], store_pin_get(st, argv[0], n.ek_hash, err,
							  sizeof(err)) == 1 ?
	       " (its pin stays: only the pinned EK may register it again; `node unpin` lifts it)" :
	       "");
	return EXIT_OK;
}

static int cmd_node_pin(struct store *st, int argc, char **argv, int unpin)
{
	char hash[STORE_HASH_HEX + 1], err[300];

	if (argc != (unpin ? 1 : 2) || argv[0][0] == '-')
		return usage_error("%s", unpin ? "node unpin needs a UUID" :
				   "node pin needs a UUID and an ek-hash");
	if (!unpin && parse_ek_hash(argv[1], hash) != 0)
		return usage_error("node pin wants the 64 hex digits `ek-hash` prints, got %s",
				   argv[1]);
	if ((unpin ? store_pin_delete(st, argv[0], err, sizeof(err)) :
		     store_pin_set(st, argv[0], hash, err, sizeof(err))) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	if (unpin)
		printf("%s: unpinned\n", argv[0]);
	else
		printf("%s: pinned to EK %s: the registrar refuses it to any other EK\n", argv[0],
		       hash);
	return EXIT_OK;
}

static int cmd_policy_check(int argc, char **argv)
{
	static struct policy p;
	uint8_t *b;
	size_t len;
	char err[300];
	int ret;

	if (argc != 1)
		return usage_error("policy check needs a FILE%s", "");
	b = file_read(argv[0], POLICY_FILE_MAX, &len, NULL, 0);
	if (!b) {
		fprintf(stderr, "airlock-verifier: cannot read %s (at most %d bytes)\n", argv[0],
			POLICY_FILE_MAX);
		return EXIT_ERROR;
	}
	ret = policy_parse((const char *)b, len, &p, err, sizeof(err));
	free(b);
	if (ret != 0) {
		fprintf(stderr, "airlock-verifier: %s: %s\n", argv[0], err);
		return EXIT_REFUSED;
	}
	printf("%s: valid policy for PCRs", argv[0]);
	for (unsigned i = 0; i < QUOTE_NPCR; i++)
		if (p.mask & (1u << i))
			printf(" %u", i);
	printf("\n");
	return EXIT_OK;
}

static int cmd_predict(int argc, char **argv)
{
	struct predict_opts o = { 0 };
	const char *out_file = NULL;
	char err[512], *json;
	FILE *f;

	if (argc < 1 || argv[0][0] == '-')
		return usage_error("predict needs a BUILD_DIR (e.g. build/qemu-ovmf)%s", "");
	o.build_dir = argv[0];
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage_error("%s needs a value", argv[i]);
		if (!strcmp(argv[i], "--append"))
			o.append = argv[i + 1];
		else if (!strcmp(argv[i], "--firmware"))
			o.firmware = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			out_file = argv[i + 1];
		else if (!strcmp(argv[i], "--rom"))
			o.rom = argv[i + 1];
		else if (!strcmp(argv[i], "--cbfs-measured"))
			o.cbfs_measured = argv[i + 1];
		else if (!strcmp(argv[i], "--cbfs-verification") &&
			 (!strcmp(argv[i + 1], "on") || !strcmp(argv[i + 1], "off")))
			o.cbfs_verification = !strcmp(argv[i + 1], "on");
		else
			return usage_error("predict: unknown option %s", argv[i]);
	}
	json = predict_policy(&o, err, sizeof(err));
	if (!json) {
		fprintf(stderr, "airlock-verifier: predict: %s\n", err);
		return EXIT_ERROR;
	}
	if (out_file) {
		f = fopen(out_file, "w");
		if (!f || fprintf(f, "%s\n", json) < 0 || fclose(f) != 0) {
			fprintf(stderr, "airlock-verifier: cannot write %s\n", out_file);
			free(json);
			return EXIT_ERROR;
		}
	} else {
		printf("%s\n", json);
	}
	free(json);
	return EXIT_OK;
}

/*
 * Evaluate a policy against event logs alone (from a known-good node, or a
 * QEMU boot): the logs are replayed into the PCR values a quote would carry.
 */
static int cmd_policy_test(int argc, char **argv)
{
	static struct policy p;
	static struct quote q;
	static struct eventlog_pcrs pcrs;
	uint8_t *pol = NULL, *rt = NULL, *fw = NULL;
	size_t pol_len, rt_len = 0, fw_len = 0, used, nev;
	char err[1024];
	int ret = EXIT_ERROR, rc;

	if (argc != 3 && argc != 5)
		return usage_error("policy test FILE --runtime-log LOG [--firmware-log LOG]%s", "");
	for (int i = 1; i + 1 < argc; i += 2) {
		uint8_t **b = !strcmp(argv[i], "--runtime-log") ? &rt :
			      !strcmp(argv[i], "--firmware-log") ? &fw : NULL;
		size_t *l = b == &rt ? &rt_len : &fw_len;

		if (!b)
			return usage_error("policy test: unknown option %s", argv[i]);
		free(*b);
		*b = file_read(argv[i + 1], 16u << 20, l, NULL, 0);
		if (!*b) {
			fprintf(stderr, "airlock-verifier: cannot read %s\n", argv[i + 1]);
			goto out;
		}
	}
	if (!rt)
		return usage_error("policy test needs --runtime-log%s", "");
	pol = file_read(argv[0], POLICY_FILE_MAX, &pol_len, NULL, 0);
	if (!pol || policy_parse((const char *)pol, pol_len, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s: %s\n", argv[0], pol ? err : "cannot read it");
		ret = pol ? EXIT_REFUSED : EXIT_ERROR;
		goto out;
	}
	/* A log copied straight out of coreboot's CBMEM table ends in zeroed entries. */
	if (fw && eventlog_used_length(fw, fw_len, &used, &nev) == EVENTLOG_OK)
		fw_len = used;
	rc = fw ? eventlog_replay(fw, fw_len, &pcrs) : EVENTLOG_OK;
	if (rc == EVENTLOG_OK)
		rc = fw ? eventlog_replay_continue(rt, rt_len, &pcrs) : eventlog_replay(rt, rt_len, &pcrs);
	if (rc != EVENTLOG_OK) {
		fprintf(stderr, "airlock-verifier: the logs do not replay: %s\n", eventlog_strerror(rc));
		ret = EXIT_REFUSED;
		goto out;
	}
	for (unsigned b = 0; b < pcrs.nbanks; b++)
		if (pcrs.banks[b].alg == TPM_ALG_SHA256 && pcrs.banks[b].status == EVENTLOG_BANK_OK) {
			q.nbanks = 1;
			q.banks[0].alg = TPM_ALG_SHA256;
			q.banks[0].size = 32;
			q.banks[0].mask = (1u << QUOTE_NPCR) - 1;
			for (unsigned i = 0; i < QUOTE_NPCR && i < EVENTLOG_PCR_COUNT; i++)
				memcpy(q.banks[0].pcr[i], pcrs.banks[b].pcr[i], 32);
		}
	if (!q.nbanks) {
		fprintf(stderr, "airlock-verifier: the logs have no complete sha256 bank\n");
		ret = EXIT_REFUSED;
		goto out;
	}
	if (policy_check(&p, &q, rt, rt_len, fw, fw_len, err, sizeof(err)) != 0) {
		printf("%s: FAIL: %s\n", argv[0], err);
		ret = EXIT_REFUSED;
		goto out;
	}
	printf("%s: pass\n", argv[0]);
	ret = EXIT_OK;
out:
	free(pol);
	free(rt);
	free(fw);
	return ret;
}

/*
 * The ek-hash of an EK given as a TPM2B_PUBLIC, or as its certificate (PEM or
 * DER; the provider may publish either): SHA-256 of the SubjectPublicKeyInfo.
 */
static int ek_file_hash(const uint8_t *b, size_t len, uint8_t h[32], char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	struct tpm_public ek;
	int ret = -1;

	if (tpm_public_parse(b, len, &ek, err, errlen) == 0)
		return ek_pubkey_hash(&ek, h, err, errlen);
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, b, len + 1) != 0) {
		snprintf(err, errlen, "neither a TPM2B_PUBLIC nor an X.509 certificate");
		goto out;
	}
	if (ek_pk_hash(&crt.pk, h) != 0) {
		snprintf(err, errlen, "cannot encode the certificate's public key");
		goto out;
	}
	ret = 0;
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

static int cmd_ek_hash(int argc, char **argv)
{
	struct tpm_public ek;
	uint8_t *b, h[32];
	size_t len;
	char err[300], hex[65], uuid[EK_UUID_LEN + 1];
	int want_uuid = argc == 2 && !strcmp(argv[0], "--uuid"), ret = EXIT_REFUSED;
	const char *file = argv[argc - 1];

	if (argc != 1 + want_uuid)
		return usage_error("ek-hash needs [--uuid] FILE%s", "");
	b = file_read(file, 16384, &len, NULL, 0);
	if (!b) {
		fprintf(stderr, "airlock-verifier: cannot read %s (at most 16 KiB)\n", file);
		return EXIT_ERROR;
	}
	if (want_uuid) {
		if (tpm_public_parse(b, len, &ek, err, sizeof(err)) != 0 ||
		    ek_uuid(b, len, uuid) != 0) {
			fprintf(stderr, "airlock-verifier: %s: the uuid comes from the EK's TPM2B_PUBLIC "
				"(tpm2_createek -u): %s\n", file, err);
			goto out;
		}
		printf("%s\n", uuid);
		ret = EXIT_OK;
		goto out;
	}
	if (ek_file_hash(b, len, h, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s: %s\n", file, err);
		goto out;
	}
	kc_hex_encode(h, sizeof(h), hex, sizeof(hex), &len);
	printf("%s\n", hex);
	ret = EXIT_OK;
out:
	free(b);
	return ret;
}

int main(int argc, char **argv)
{
	const char *state = NULL;
	struct store st = { 0 };
	char err[300];
	int i = 1, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i + 1 < argc && !strcmp(argv[i], "--state")) {
		state = argv[i + 1];
		i += 2;
	}
	if (i >= argc || !strcmp(argv[i], "help") || !strcmp(argv[i], "--help")) {
		fputs(usage, i >= argc ? stderr : stdout);
		return i >= argc ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[i], "ek-hash"))
		return cmd_ek_hash(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "predict"))
		return cmd_predict(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "policy") && i + 1 < argc && !strcmp(argv[i + 1], "test"))
		return cmd_policy_test(argc - i - 2, argv + i + 2);
	if (!state)
		state = default_state();
	if (!state) {
		fprintf(stderr, "airlock-verifier: no state directory: give --state DIR\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "serve"))
		return cmd_serve(state, argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "revocation-cert"))
		return cmd_revocation_cert(state, argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "policy") && i + 1 < argc && !strcmp(argv[i + 1], "check"))
		return cmd_policy_check(argc - i - 2, argv + i + 2);
	if ((strcmp(argv[i], "node") && strcmp(argv[i], "policy")) || i + 1 >= argc)
		return usage_error("unknown command %s", argv[i]);
	if (store_open(&st, state, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[i], "policy") && !strcmp(argv[i + 1], "show"))
		ret = cmd_node_show(&st, argc - i - 2, argv + i + 2, 1);
	else if (!strcmp(argv[i], "policy"))
		ret = usage_error("unknown policy command %s", argv[i + 1]);
	else if (!strcmp(argv[i + 1], "add"))
		ret = cmd_node_add(&st, state, argc - i - 2, argv + i + 2);
	else if (!strcmp(argv[i + 1], "list"))
		ret = cmd_node_list(&st, argc - i - 2, argv + i + 2);
	else if (!strcmp(argv[i + 1], "show"))
		ret = cmd_node_show(&st, argc - i - 2, argv + i + 2, 0);
	else if (!strcmp(argv[i + 1], "delete"))
		ret = cmd_node_delete(&st, argc - i - 2, argv + i + 2);
	else if (!strcmp(argv[i + 1], "pin") || !strcmp(argv[i + 1], "unpin"))
		ret = cmd_node_pin(&st, argc - i - 2, argv + i + 2, !strcmp(argv[i + 1], "unpin"));
	else
		ret = usage_error("unknown node command %s", argv[i + 1]);
	store_close(&st);
	return ret;
}

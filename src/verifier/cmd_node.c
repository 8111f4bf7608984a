/* SPDX-License-Identifier: GPL-2.0-only */
/* airlock-verifier node add|list|show|delete|pin|unpin and policy show: the enrolled nodes. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest.h"
#include "cJSON.h"
#include "ek_trust.h"
#include "ek_uuid.h"
#include "file_read.h"
#include "payload_build.h"
#include "policy.h"
#include "revocation_key.h"
#include "pending_v.h"

int cmd_node_add(const struct cli *c, int argc, char **argv)
{
	struct store *st = c->st;
	const char *state = c->state;
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
		return cli_usage_error("node add needs a UUID%s", "");
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint16_t port;

		if (!v)
			return cli_usage_error("%s needs a value", a);
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
				return cli_usage_error("at most 16 --luks%s", "");
			building = 1;
			pb.luks[pb.nluks++] = v;
		}
		else if (!strcmp(a, "--policy"))
			policy_file = v;
		else if (!strcmp(a, "--ek-hash")) {
			if (cli_parse_ek_hash(v, ek_hash) != 0)
				return cli_usage_error("--ek-hash wants the 64 hex digits `ek-hash` prints, "
						   "got %s", v);
		}
		else if (!strcmp(a, "--agent")) {
			if (cli_parse_hostport(v, host, sizeof(host), &port, 0) != 0)
				return cli_usage_error("--agent wants HOST:PORT, got %s", v);
			o.agent_host = host;
			o.agent_port = port;
		} else if (!strcmp(a, "--timeout")) {
			if (cli_parse_seconds(v, &o.timeout_ms) != 0)
				return cli_usage_error("--timeout wants seconds, got %s", v);
		} else if (!strcmp(a, "--client-cert")) {
			o.client_cert = v;
		} else if (!strcmp(a, "--client-key")) {
			o.client_key = v;
		} else
			return cli_usage_error("node add: unknown option %s", a);
	}
	if (!payload_file == !building)
		return cli_usage_error("node add needs either --payload ZIP (docs/payload.md) or the "
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
	/* Raised by every registration and enrolment: what a round's write is checked against. */
	cJSON_AddNumberToObject(j, "generation", (double)n->gen);
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

int cmd_node_list(const struct cli *cli, int argc, char **argv)
{
	struct store *st = cli->st;
	struct list_ctx c = { 0 };
	char err[300];
	int ret = EXIT_OK;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json") != 0))
		return cli_usage_error("node list takes only --json%s", "");
	c.json = argc == 1;
	if (c.json)
		c.arr = cJSON_CreateArray();
	if (store_each(st, list_one, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		ret = EXIT_ERROR;
	} else if (c.json) {
		cli_print_json(c.arr);
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
	cli_print_json(j);
	cJSON_Delete(j);
	return per_uuid ? EXIT_OK : EXIT_REFUSED;
}

static int node_show(struct store *st, int argc, char **argv, int policy_only)
{
	static struct store_node n;
	char err[300], t[32];
	int json = argc == 2 && !strcmp(argv[1], "--json"), found, ret = EXIT_OK;
	cJSON *j = NULL, *h = NULL;

	if (argc < 1 || (argc == 2 && !json) || argc > 2 || (policy_only && argc != 1))
		return cli_usage_error("expected a UUID%s", policy_only ? "" : " [--json]");
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
		cli_print_json(j);
	cJSON_Delete(j);
	return ret;
}

int cmd_node_show(const struct cli *c, int argc, char **argv)
{
	return node_show(c->st, argc, argv, 0);
}

int cmd_policy_show(const struct cli *c, int argc, char **argv)
{
	return node_show(c->st, argc, argv, 1);
}

int cmd_node_delete(const struct cli *c, int argc, char **argv)
{
	struct store *st = c->st;
	static struct store_node n;
	char err[300];
	int found;

	if (argc != 1)
		return cli_usage_error("node delete needs a UUID%s", "");
	found = store_get(st, argv[0], &n, err, sizeof(err));
	if (found <= 0) {
		fprintf(stderr, "airlock-verifier: %s\n", found < 0 ? err : "no such node");
		return found < 0 ? EXIT_ERROR : EXIT_NOTFOUND;
	}
	if (store_delete(st, argv[0], err, sizeof(err)) != 0 ||
	    store_pending_clear(st, argv[0], err, sizeof(err)) != 0 ||
	    pending_v_wipe(st, argv[0], -1, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	printf("%s: deleted%s\n", argv[0], store_pin_get(st, argv[0], n.ek_hash, err,
							  sizeof(err)) == 1 ?
	       " (its pin stays: only the pinned EK may register it again; `node unpin` lifts it)" :
	       "");
	return EXIT_OK;
}

static int node_pin(struct store *st, int argc, char **argv, int unpin)
{
	char hash[STORE_HASH_HEX + 1], err[300];

	if (argc != (unpin ? 1 : 2) || argv[0][0] == '-')
		return cli_usage_error("%s", unpin ? "node unpin needs a UUID" :
				   "node pin needs a UUID and an ek-hash");
	if (!unpin && cli_parse_ek_hash(argv[1], hash) != 0)
		return cli_usage_error("node pin wants the 64 hex digits `ek-hash` prints, got %s",
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

int cmd_node_pin(const struct cli *c, int argc, char **argv)
{
	return node_pin(c->st, argc, argv, 0);
}

int cmd_node_unpin(const struct cli *c, int argc, char **argv)
{
	return node_pin(c->st, argc, argv, 1);
}

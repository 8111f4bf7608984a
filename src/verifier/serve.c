/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `airlock-verifier serve`: the registrar's HTTP server on the main thread,
 * and a pool of workers that attest every enrolled node once per interval.
 * A worker takes the node that is most overdue; a slow or silent node holds
 * one worker until its timeout and never delays the others beyond that.
 * The schedule is rebuilt from the database every second, so nodes enrolled
 * by `node add` (another process) are picked up without a restart, and a
 * restarted daemon resumes with whatever the database says.
 */
#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "cJSON.h"
#include "http_client.h"
#include "registrar.h"
#include "revocation_notice.h"
#include "url.h"
#include "vlog.h"

extern char **environ;

#define SCHED_MAX 100000
#define UNREACHABLE_LIMIT 3

struct sched {
	char uuid[STORE_UUID_MAX + 1];
	int64_t due_ms;
	int busy;
	int seen;    /* still enrolled at the last refresh */
	int errors;  /* consecutive rounds that could not reach the agent */
};

static struct {
	pthread_mutex_t lock;
	struct sched *e;
	size_t n, cap;
	const struct serve_opts *o;
	volatile sig_atomic_t stop;
	/* The revocation key: mbedtls' RSA context keeps blinding state, so one signer at a time. */
	struct revkey rk;
	pthread_mutex_t sign_lock;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .sign_lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	S.stop = 1;
}

/* Hooks get argv, never a shell: node ids and reasons come from agents. */
static void run_hook(const char *cmd, const char *uuid, const char *result, const char *reason)
{
	char *argv[] = { (char *)cmd, (char *)uuid, (char *)result, (char *)reason, NULL };
	pid_t pid;
	int rc;

	if (!cmd)
		return;
	rc = posix_spawnp(&pid, cmd, NULL, NULL, argv, environ);
	if (rc != 0)
		vlog("hook %s for %s: cannot start it: %s", cmd, uuid, strerror(rc));
}

static void post_webhook(const char *url, const char *uuid, const char *result,
			 const char *reason)
{
	struct http_client_response r = { 0 };
	struct http_url u;
	const char *why;
	char err[300], *body = NULL;
	cJSON *j;

	if (!url)
		return;
	if (url_parse_http(url, strlen(url), &u, &why) != 0)
		return;
	j = cJSON_CreateObject();
	if (j && cJSON_AddStringToObject(j, "uuid", uuid) &&
	    cJSON_AddStringToObject(j, "result", result) &&
	    cJSON_AddStringToObject(j, "reason", reason) &&
	    cJSON_AddNumberToObject(j, "time", (double)time(NULL)))
		body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!body)
		return;
	if (http_client_request(u.host, u.port, "POST", url + u.path_off, "application/json", body,
				strlen(body), 5000, 65536, &r, err, sizeof(err)) != 0)
		vlog("webhook for %s: %s", uuid, err);
	else if (r.status / 100 != 2)
		vlog("webhook for %s: HTTP %d", uuid, r.status);
	http_client_response_free(&r);
	free(body);
}

static void announce(const char *uuid, const char *result, const char *reason)
{
	/* Unreachable goes to the failure hook too: the tenant decides what it means. */
	run_hook(!strcmp(result, "pass") ? S.o->on_pass : S.o->on_fail, uuid, result, reason);
	post_webhook(S.o->webhook, uuid, result, reason);
}

/* Who hears of a failure: every node still attested, and the failed one (Keylime's agent notifier). */
struct notify_list {
	const char *failed;
	char (*uuid)[STORE_UUID_MAX + 1];
	size_t n, cap;
};

static int collect(void *ctx, const struct store_node *n)
{
	struct notify_list *l = ctx;
	void *p;

	if (strcmp(n->uuid, l->failed) != 0 && strcmp(n->state, "attesting") != 0 &&
	    strcmp(n->state, "enrolled") != 0)
		return 0;
	if (l->n == l->cap) {
		if (l->cap >= SCHED_MAX || !(p = realloc(l->uuid, (l->cap * 2 + 16) *
							   sizeof(*l->uuid))))
			return -1;
		l->uuid = p;
		l->cap = l->cap * 2 + 16;
	}
	snprintf(l->uuid[l->n++], sizeof(*l->uuid), "%s", n->uuid);
	return 0;
}

static void on_failure(struct store *st, struct kc_rng *rng, const char *uuid, const char *reason)
{
	static __thread struct store_node n;
	struct notify_list l = { .failed = uuid };
	char err[300], *body = NULL;
	size_t took = 0, tried = 0;

	/* Hooks and webhook first: they must not wait for slow nodes. */
	announce(uuid, "fail", reason);
	if (store_get(st, uuid, &n, err, sizeof(err)) != 1)
		goto out;
	explicit_bzero(n.v_key, sizeof(n.v_key));
	pthread_mutex_lock(&S.sign_lock);
	body = revocation_notice(&n, reason, &S.rk, rng, err, sizeof(err));
	pthread_mutex_unlock(&S.sign_lock);
	if (!body) {
		vlog("revocation notice for %s: %s", uuid, err);
		goto out;
	}
	if (store_each(st, collect, &l, err, sizeof(err)) != 0)
		vlog("revocation notice for %s: listing the nodes failed (%s); notifying %zu",
		     uuid, err, l.n);
	/* One after another, each within the agent timeout; not retried (as Keylime). */
	for (size_t i = 0; i < l.n && !S.stop; i++) {
		if (store_get(st, l.uuid[i], &n, err, sizeof(err)) != 1)
			continue;
		explicit_bzero(n.v_key, sizeof(n.v_key));
		tried++;
		if (attest_post_revocation(&n, &S.o->attest, rng, body) == 0)
			took++;
	}
	vlog("%s: signed revocation notice taken by %zu of %zu node(s)", uuid, took, tried);
out:
	free(body);
	free(l.uuid);
}

static void *worker(void *arg)
{
	struct store st;
	struct kc_rng rng;
	char err[300], why[1024], uuid[STORE_UUID_MAX + 1];

	(void)arg;
	if (store_open(&st, S.o->state_dir, err, sizeof(err)) != 0 ||
	    kc_rng_init(&rng, "airlock-verifier worker", err, sizeof(err)) != 0) {
		vlog("worker cannot start: %s", err);
		S.stop = 1;
		return NULL;
	}
	while (!S.stop) {
		struct sched *pick = NULL;
		int64_t now = now_ms();
		int ret, changed = 0;

		pthread_mutex_lock(&S.lock);
		for (size_t i = 0; i < S.n; i++)
			if (!S.e[i].busy && S.e[i].seen && S.e[i].due_ms <= now &&
			    (!pick || S.e[i].due_ms < pick->due_ms))
				pick = &S.e[i];
		if (pick) {
			pick->busy = 1;
			memcpy(uuid, pick->uuid, sizeof(uuid));
		}
		pthread_mutex_unlock(&S.lock);
		if (!pick) {
			usleep(20000);
			continue;
		}
		ret = attest_node(&st, &rng, uuid, &S.o->attest, &changed, why, sizeof(why));
		if (ret == ATTEST_PASS && changed) {
			vlog("%s: pass: %s", uuid, why);
			announce(uuid, "pass", why);
		} else if (ret == ATTEST_FAIL) {
			vlog("%s: FAIL: %s", uuid, why);
			on_failure(&st, &rng, uuid, why);
		} else if (ret == ATTEST_ERROR) {
			vlog("%s: could not attest: %s", uuid, why);
		}
		pthread_mutex_lock(&S.lock);
		/* The table may have been rebuilt meanwhile: find the entry again. */
		for (size_t i = 0; i < S.n; i++) {
			struct sched *e = &S.e[i];

			if (strcmp(e->uuid, uuid) != 0)
				continue;
			e->busy = 0;
			e->errors = ret == ATTEST_ERROR ? e->errors + 1 : 0;
			/* Back off from an unreachable node; mark it failed after a few tries. */
			e->due_ms = now_ms() + (int64_t)S.o->interval_ms * (e->errors ? 1 << e->errors : 1);
			if (e->errors >= UNREACHABLE_LIMIT) {
				e->seen = 0;
				ret = -1;
			}
			break;
		}
		pthread_mutex_unlock(&S.lock);
		if (ret == -1) {
			snprintf(why, sizeof(why), "agent unreachable %d times in a row",
				 UNREACHABLE_LIMIT);
			vlog("%s: unreachable: %s", uuid, why);
			if (attest_unreachable(&st, uuid, why, err, sizeof(err)) != 0)
				vlog("%s", err);
			announce(uuid, "unreachable", why);
		}
	}
	attest_tls_free();
	kc_rng_free(&rng);
	store_close(&st);
	return NULL;
}

static int refresh_one(void *ctx, const struct store_node *n)
{
	int64_t now = *(int64_t *)ctx;
	size_t i;

	if (strcmp(n->state, "enrolled") != 0 && strcmp(n->state, "attesting") != 0)
		return 0;
	for (i = 0; i < S.n; i++)
		if (!strcmp(S.e[i].uuid, n->uuid))
			break;
	if (i == S.n) {
		if (S.n == S.cap) {
			size_t ncap = S.cap ? S.cap * 2 : 64;
			struct sched *e;

			if (ncap > SCHED_MAX || !(e = realloc(S.e, ncap * sizeof(*e)))) {
				vlog("more than %zu enrolled nodes: %s waits", S.cap, n->uuid);
				return 0;
			}
			S.e = e;
			S.cap = ncap;
		}
		memset(&S.e[i], 0, sizeof(S.e[i]));
		snprintf(S.e[i].uuid, sizeof(S.e[i].uuid), "%s", n->uuid);
		S.e[i].due_ms = now;
		S.n++;
	}
	S.e[i].seen = 2;
	return 0;
}

static void refresh(struct store *st)
{
	char err[300];
	int64_t now = now_ms();
	size_t i, k;

	pthread_mutex_lock(&S.lock);
	if (store_each(st, refresh_one, &now, err, sizeof(err)) != 0)
		vlog("%s", err);
	/* Drop nodes no longer enrolled (failed, deleted) unless a worker has them. */
	for (i = k = 0; i < S.n; i++) {
		if (S.e[i].seen != 2 && !S.e[i].busy)
			continue;
		S.e[i].seen = S.e[i].seen == 2 ? 1 : 0;
		S.e[k++] = S.e[i];
	}
	S.n = k;
	pthread_mutex_unlock(&S.lock);
}

int serve(const struct serve_opts *o)
{
	struct http_server_config cfg = { 0 };
	struct http_server *srv = NULL;
	struct registrar reg;
	struct ek_trust trust;
	struct store st = { 0 };
	struct kc_rng rng;
	pthread_t *th = NULL;
	unsigned started = 0;
	char err[300];
	int64_t next_refresh = 0;
	int ret = 1;

	memset(&rng, 0, sizeof(rng));
	memset(&trust, 0, sizeof(trust));
	S.o = o;
	if (ek_trust_load(&trust, o->ek_ca_dir, o->ek_list, err, sizeof(err)) != 0 ||
	    store_open(&st, o->state_dir, err, sizeof(err)) != 0 ||
	    kc_rng_init(&rng, "airlock-verifier registrar", err, sizeof(err)) != 0) {
		vlog("%s", err);
		goto out;
	}
	if (revkey_open(o->state_dir, &rng, &S.rk, err, sizeof(err)) != 0) {
		vlog("revocation key: %s", err);
		goto out;
	}
	if (!o->ek_ca_dir && !o->ek_list)
		vlog("warning: neither --ek-ca nor --ek-list given: every registration is refused");
	reg.store = &st;
	reg.trust = &trust;
	reg.rng = &rng;
	cfg.address = o->listen_addr;
	cfg.port = o->listen_port;
	cfg.handler = registrar_handle;
	cfg.handler_ctx = &reg;
	cfg.body_max = 64 * 1024;
	cfg.max_conns = 256;
	if (http_server_open(&srv, &cfg, err, sizeof(err)) != 0) {
		vlog("registrar: %s", err);
		goto out;
	}
	if (o->port_file) {
		FILE *f = fopen(o->port_file, "w");

		if (!f || fprintf(f, "%u\n", http_server_port(srv)) < 0 || fclose(f) != 0) {
			vlog("cannot write %s", o->port_file);
			goto out;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	refresh(&st);
	th = calloc(o->workers, sizeof(*th));
	if (!th)
		goto out;
	for (; started < o->workers; started++)
		if (pthread_create(&th[started], NULL, worker, NULL) != 0) {
			vlog("cannot start worker %u", started);
			S.stop = 1;
			break;
		}
	vlog("serving: registrar on %s port %u, %u workers, interval %d ms, state in %s",
	     o->listen_addr, http_server_port(srv), o->workers, o->interval_ms, o->state_dir);
	while (!S.stop) {
		if (http_server_poll_once(srv, 100, err, sizeof(err)) != 0) {
			vlog("registrar: %s", err);
			break;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (now_ms() >= next_refresh) {
			refresh(&st);
			next_refresh = now_ms() + 1000;
		}
	}
	S.stop = 1;
	ret = 0;
out:
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	http_server_close(srv);
	kc_rng_free(&rng);
	revkey_free(&S.rk);
	store_close(&st);
	ek_trust_free(&trust);
	free(S.e);
	S.e = NULL;
	vlog("stopped");
	return ret;
}

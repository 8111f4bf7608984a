/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `airlock-verifier serve`: the registrar's HTTP server on the main thread,
 * a pool of workers that attest every polled node once per interval, and the
 * notifier (notify.h) that announces failures off the workers.
 *
 * A worker takes the node that is most overdue. Rounds that wait on a slow
 * or silent agent do not keep the others waiting (pick()), so slow nodes
 * cannot stretch everyone else's interval; a node that does not answer is
 * asked again with a backoff that doubles up to LOST_POLL_MAX_MS.
 * The schedule is rebuilt from the database every second (only uuid and
 * state, sorted, merged in one pass), so nodes enrolled by `node add` (another
 * process) are picked up without a restart, and a restarted daemon resumes
 * with whatever the database says.
 */
#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "clock.h"
#include "metrics.h"
#include "notify.h"
#include "registrar.h"
#include "vlog.h"

extern char **environ;

#define SCHED_MAX 100000
#define UNREACHABLE_LIMIT 3
#define LOST_POLL_MAX_MS 60000

struct sched {
	char uuid[STORE_UUID_MAX + 1];
	int64_t due_ms;
	int busy;
	int seen;    /* in the database's list at the last refresh */
	int errors;  /* consecutive rounds that could not reach the agent */
	int slow;    /* its last round took more than half an interval */
	int held_slow; /* a worker holds it and counts it as slow */
	int64_t started_ms; /* when the worker that holds it took it */
	int64_t last_pass_ms; /* start of its last passing round (0: none since start) */
};

static struct {
	pthread_mutex_t lock;
	struct sched *e; /* sorted by uuid */
	size_t n;
	unsigned slow_busy;
	const struct serve_opts *o;
	/* Set by a signal, read by every thread: a lock-free atomic, not sig_atomic_t. */
	atomic_int stop;
	_Atomic int64_t store_failing_ms; /* when a round last met a database failure; 0: none since */
	/*
	 * Several instances on PostgreSQL: this one's name, how often it renews
	 * its lease and how long a lease lasts, and until when (monotonic) its
	 * last renewal lets it start rounds; past that another instance may have
	 * its nodes, so it starts none.
	 */
	char me[128];
	int64_t refresh_ms, lease_ms, lease_ok_ms;
	int leased;
	char user_agent[160];
	struct attest_opts attest; /* o->attest with user_agent */
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may only store to a lock-free atomic");

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

static void announce(const char *uuid, const char *result, const char *reason)
{
	/* Unreachable goes to the failure hook too: the tenant decides what it means. */
	run_hook(!strcmp(result, "pass") ? S.o->on_pass : S.o->on_fail, uuid, result, reason);
	notify_webhook(uuid, result, reason);
}

/*
 * The registrar's server says what it refuses (a connection over a peer's
 * share, a malformed request), at most HTTP_LOGGED lines a second (vlog_budget).
 */
#define HTTP_LOGGED 20
static void http_log(void *ctx, int level, const char *fmt, ...)
{
	static struct vlog_budget warnings = { .who = "registrar",
						    .what = "connection warnings" };
	char msg[512];
	va_list ap;

	(void)ctx;
	if (level > HTTP_LOG_WARNING || !vlog_budget_take(&warnings, HTTP_LOGGED))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	attest_clean_text(msg);
	vlog("registrar: %s", msg);
}

/* The entry of uuid (binary search; the table is sorted), or NULL. Under S.lock. */
static struct sched *find(const char *uuid)
{
	size_t lo = 0, hi = S.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(S.e[mid].uuid, uuid);

		if (!c)
			return &S.e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The most overdue node a worker may take now, marked busy; NULL if none.
 * There are twice as many worker threads as --workers: at most --workers
 * rounds run that are younger than half an interval, so rounds waiting on
 * slow agents (known, or new ones found slow as they wait) stop counting
 * and other threads go on; nodes known to be slow hold at most half of
 * them. Under S.lock.
 */
static struct sched *pick(int64_t now)
{
	unsigned slow_cap = S.o->workers > 1 ? S.o->workers / 2 : 1, young = 0;
	int64_t young_since = now - S.o->interval_ms / 2;
	struct sched *best = NULL, *best_fast = NULL;

	for (size_t i = 0; i < S.n; i++) {
		struct sched *e = &S.e[i];

		if (e->busy) {
			young += e->started_ms > young_since;
			continue;
		}
		if (!e->seen || e->due_ms > now)
			continue;
		if (!best || e->due_ms < best->due_ms)
			best = e;
		if (!e->slow && (!best_fast || e->due_ms < best_fast->due_ms))
			best_fast = e;
	}
	if (young >= S.o->workers || (S.leased && now > S.lease_ok_ms))
		return NULL;
	if (best && best->slow && S.slow_busy >= slow_cap)
		best = best_fast;
	if (best) {
		best->busy = 1;
		best->started_ms = now;
		best->held_slow = best->slow;
		S.slow_busy += (unsigned)best->slow;
	}
	return best;
}

/*
 * After a round that took took_ms: when the node is due again, and whether it
 * is lost; *since_pass is the time from its last passing round's start to this
 * round's end (-1: none since start). Under S.lock.
 */
static int reschedule(const char *uuid, int ret, int64_t took_ms, int64_t *since_pass)
{
	struct sched *e = find(uuid);
	int64_t wait;

	*since_pass = -1;
	if (!e)
		return 0;
	if (e->last_pass_ms)
		*since_pass = e->started_ms + took_ms - e->last_pass_ms;
	if (ret == ATTEST_PASS)
		e->last_pass_ms = e->started_ms;
	e->busy = 0;
	S.slow_busy -= (unsigned)e->held_slow;
	e->held_slow = 0;
	e->slow = took_ms * 2 > S.o->interval_ms;
	if (ret != ATTEST_ERROR && ret != ATTEST_GONE) {
		int64_t now = mono_ms();

		/* Every interval, not every interval plus the round: the cadence holds. */
		e->errors = 0;
		e->due_ms = e->due_ms + S.o->interval_ms > now ? e->due_ms + S.o->interval_ms : now;
		return 0;
	}
	e->errors++;
	wait = (int64_t)S.o->interval_ms << (e->errors < 6 ? e->errors : 6);
	if (wait > LOST_POLL_MAX_MS)
		wait = LOST_POLL_MAX_MS > S.o->interval_ms ? LOST_POLL_MAX_MS : S.o->interval_ms;
	e->due_ms = mono_ms() + wait;
	return e->errors;
}

/*
 * The database failed a round: not the node's doing, so it counts against no
 * node (the round is asked again at its next interval). Said once every 5 s,
 * not once per node and round, and said again when it works again.
 */
static void store_trouble(const char *why)
{
	static _Atomic int64_t last_said;
	int64_t now = mono_ms(), last = atomic_load(&last_said);

	atomic_store(&S.store_failing_ms, now);
	if (now - last >= 5000 && atomic_compare_exchange_strong(&last_said, &last, now))
		vlog("database trouble, rounds are retried until it answers: %s", why);
}

static void *worker(void *arg)
{
	struct store st;
	struct kc_rng rng;
	char err[300], why[1024], uuid[STORE_UUID_MAX + 1], state[16];

	(void)arg;
	if (store_open(&st, S.o->state_dir, S.o->db, err, sizeof(err)) == 0)
		store_set_instance(&st, S.leased ? S.me : NULL);
	if (!st.db.h || store_rounds_connection(&st, err, sizeof(err)) != 0 ||
	    kc_rng_init(&rng, "airlock-verifier worker", err, sizeof(err)) != 0) {
		vlog("worker cannot start: %s", err);
		S.stop = 1;
		return NULL;
	}
	while (!S.stop) {
		struct sched *e;
		int64_t t0 = mono_ms(), took, since_pass;
		int ret, changed = 0, errors, rc;

		pthread_mutex_lock(&S.lock);
		e = pick(t0);
		if (e)
			memcpy(uuid, e->uuid, sizeof(uuid));
		pthread_mutex_unlock(&S.lock);
		if (!e) {
			usleep(20000);
			continue;
		}
		ret = attest_node(&st, &rng, uuid, &S.attest, &changed, why, sizeof(why));
		took = mono_ms() - t0;
		metrics_round(ret, took);
		if (ret == ATTEST_PASS && changed) {
			vlog("%s: pass: %s", uuid, why);
			announce(uuid, "pass", why);
		} else if (ret == ATTEST_FAIL) {
			/* Recorded already; hooks start, the notices go through their own queue. */
			vlog("%s: FAIL: %s", uuid, why);
			announce(uuid, "fail", why);
			notify_failure(uuid, why);
		} else if (ret == ATTEST_ERROR || ret == ATTEST_GONE) {
			vlog("%s: could not attest: %s", uuid, why);
		} else if (ret == ATTEST_STORE) {
			store_trouble(why);
		}
		if (ret != ATTEST_STORE && ret != ATTEST_SKIP && atomic_load(&S.store_failing_ms) &&
		    atomic_exchange(&S.store_failing_ms, 0))
			vlog("database answers again; rounds go on");
		pthread_mutex_lock(&S.lock);
		errors = reschedule(uuid, ret, took, &since_pass);
		pthread_mutex_unlock(&S.lock);
		if (ret == ATTEST_FAIL)
			metrics_failure(why, since_pass);
		if (!errors || (ret != ATTEST_GONE && errors < UNREACHABLE_LIMIT))
			continue;
		rc = attest_lost(&st, uuid, ret == ATTEST_GONE, errors >= UNREACHABLE_LIMIT, why,
				 state, sizeof(state), err, sizeof(err));
		if (rc < 0)
			vlog("%s", err);
		if (rc != 0)
			continue;
		if (!strcmp(state, "handed_off")) {
			vlog("%s: handed off: the runtime took V and left for the tenant's kernel (%s)",
			     uuid, why);
			continue;
		}
		vlog("%s: unreachable (%d rounds without an answer; asked again at most every %d s): "
		     "%s", uuid, errors, LOST_POLL_MAX_MS / 1000, why);
		announce(uuid, "unreachable", why);
	}
	attest_tls_free();
	kc_rng_free(&rng);
	store_close(&st);
	return NULL;
}

void serve_schedule_view(struct metrics_schedule *m)
{
	int64_t now = mono_ms();

	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&S.lock);
	for (size_t i = 0; S.o && i < S.n; i++) {
		const struct sched *e = &S.e[i];

		if (!e->seen)
			continue;
		m->polled++;
		m->busy += (unsigned)e->busy;
		/* Backed off after errors is intended; late is only what the workers owe. */
		if (!e->busy && !e->errors && now - e->due_ms > S.o->interval_ms) {
			m->overdue++;
			if (now - e->due_ms > m->oldest_lag_ms)
				m->oldest_lag_ms = now - e->due_ms;
		}
	}
	pthread_mutex_unlock(&S.lock);
}

struct fresh {
	char (*uuid)[STORE_UUID_MAX + 1];
	size_t n, cap;
};

static int collect(void *ctx, const char *uuid, const char *state)
{
	struct fresh *f = ctx;
	void *p;

	(void)state;
	if (f->n == f->cap) {
		if (f->cap >= SCHED_MAX)
			return 1;
		p = realloc(f->uuid, (f->cap ? f->cap * 2 : 256) * sizeof(*f->uuid));
		if (!p)
			return 1;
		f->uuid = p;
		f->cap = f->cap ? f->cap * 2 : 256;
	}
	snprintf(f->uuid[f->n++], sizeof(*f->uuid), "%s", uuid);
	return 0;
}

/*
 * The nodes to poll, from the database (read without holding the schedule's
 * lock), merged into the schedule: both sorted by uuid, one pass. A node that
 * left the list is dropped unless a worker still has it.
 */
static void refresh(struct store *st)
{
	static int warned;
	struct fresh f = { 0 };
	struct sched *e;
	char err[300];
	int64_t now = mono_ms(), took;
	size_t i = 0, k = 0, m = 0;

	if (store_lease(st, S.me, S.lease_ms, collect, &f, &took, err, sizeof(err)) != 0) {
		store_trouble(err);
		goto out;
	}
	if (took) {
		metrics_takeover((uint64_t)took);
		vlog("took over %lld node(s) from an instance that stopped renewing its lease",
		     (long long)took);
	}
	if (f.n == SCHED_MAX && !warned++)
		vlog("more than %d nodes to poll: the rest wait", SCHED_MAX);
	pthread_mutex_lock(&S.lock);
	/* Rounds may start until a lease (less a renewal) from this renewal's start. */
	S.lease_ok_ms = now + S.lease_ms - S.refresh_ms;
	e = malloc((f.n + S.n + 1) * sizeof(*e));
	if (!e) {
		pthread_mutex_unlock(&S.lock);
		goto out;
	}
	while (i < S.n || k < f.n) {
		int c = i == S.n ? 1 : k == f.n ? -1 : strcmp(S.e[i].uuid, f.uuid[k]);

		if (c < 0) {
			/* Not polled any more; kept only while a worker has it. */
			if (S.e[i].busy) {
				e[m] = S.e[i];
				e[m++].seen = 0;
			}
			i++;
		} else if (c == 0) {
			e[m] = S.e[i++];
			e[m++].seen = 1;
			k++;
		} else {
			memset(&e[m], 0, sizeof(e[m]));
			snprintf(e[m].uuid, sizeof(e[m].uuid), "%s", f.uuid[k++]);
			e[m].due_ms = now;
			e[m++].seen = 1;
		}
	}
	free(S.e);
	S.e = e;
	S.n = m;
	pthread_mutex_unlock(&S.lock);
out:
	free(f.uuid);
}

int serve(const struct serve_opts *o)
{
	struct http_server_config cfg = { 0 };
	struct http_server *srv = NULL;
	struct notify_opts no = { 0 };
	struct registrar reg;
	struct ek_trust trust;
	struct store st = { 0 };
	struct kc_rng rng;
	struct revkey rk;
	pthread_t *th = NULL;
	unsigned started = 0;
	char err[300];
	int64_t next_refresh = 0;
	int ret = 1, notifying = 0, have_rk = 0, leasing = 0;

	memset(&rng, 0, sizeof(rng));
	memset(&trust, 0, sizeof(trust));
	memset(&rk, 0, sizeof(rk));
	S.o = o;
	if (ek_trust_load(&trust, o->ek_ca_dir, o->ek_list, err, sizeof(err)) != 0 ||
	    store_open(&st, o->state_dir, o->db, err, sizeof(err)) != 0 ||
	    kc_rng_init(&rng, "airlock-verifier registrar", err, sizeof(err)) != 0) {
		vlog("%s", err);
		goto out;
	}
	if (revkey_open(o->state_dir, &rng, &rk, err, sizeof(err)) != 0) {
		vlog("revocation key: %s", err);
		goto out;
	}
	have_rk = 1;
	no.state_dir = o->state_dir;
	no.db = o->db;
	no.senders = o->senders;
	no.rk = &rk;
	no.attest = o->attest;
	no.webhook = o->webhook;
	if (notify_start(&no, err, sizeof(err)) != 0) {
		vlog("%s", err);
		goto out;
	}
	notifying = 1;
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
	/* One host cannot take every connection from the others. */
	cfg.max_conns_per_peer = 32;
	cfg.log = http_log;
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
	/*
	 * PostgreSQL: several instances may share the nodes. A renewal every
	 * quarter interval (0.1 to 1 s), a lease of an interval and two renewals:
	 * a stopped instance's nodes are taken within 1.75 intervals.
	 */
	S.leased = st.db.kind == DB_PG;
	S.refresh_ms = S.leased ? o->interval_ms / 4 : 1000;
	S.refresh_ms = S.refresh_ms < 100 ? 100 : S.refresh_ms > 1000 ? 1000 : S.refresh_ms;
	S.lease_ms = o->interval_ms + 2 * S.refresh_ms;
	if (o->instance && *o->instance) {
		snprintf(S.me, sizeof(S.me), "%s", o->instance);
	} else {
		/* Containers share host names and pids: a random part keeps names apart. */
		char host[64] = "";
		uint8_t r[4] = { 0 };

		gethostname(host, sizeof(host) - 1);
		if (kc_rng_bytes(&rng, r, sizeof(r)) != 0)
			memset(r, 0, sizeof(r));
		snprintf(S.me, sizeof(S.me), "%s-%ld-%02x%02x%02x%02x", host, (long)getpid(), r[0],
			 r[1], r[2], r[3]);
	}
	if (S.leased) {
		int alive = store_instance_alive(&st, S.me, S.lease_ms, err, sizeof(err));

		if (alive != 0) {
			vlog(alive > 0 ? "another instance named %s is running on this database: give "
			     "each its own --instance" : "%s", alive > 0 ? S.me : err);
			goto out;
		}
		/* From here the leases named S.me are ours (not a namesake's) to hand back. */
		leasing = 1;
	}
	/* serve's options are the caller's; the instance's name goes with every agent call. */
	snprintf(S.user_agent, sizeof(S.user_agent), "airlock-verifier (instance %s)", S.me);
	S.attest = o->attest;
	S.attest.user_agent = S.user_agent;
	refresh(&st);
	th = calloc(2 * o->workers, sizeof(*th));
	if (!th)
		goto out;
	for (; started < 2 * o->workers; started++)
		if (pthread_create(&th[started], NULL, worker, NULL) != 0) {
			vlog("cannot start worker %u", started);
			S.stop = 1;
			break;
		}
	vlog("serving: registrar on %s port %u, %u workers, %u notice senders, interval %d ms, "
	     "state in %s, database %s", o->listen_addr, http_server_port(srv), o->workers,
	     o->senders, o->interval_ms, o->state_dir, store_where(&st));
	if (S.leased)
		vlog("instance %s: polls the nodes it leases (lease %lld ms, renewed every %lld ms); "
		     "other instances on this database share the rest", S.me, (long long)S.lease_ms,
		     (long long)S.refresh_ms);
	while (!S.stop) {
		if (http_server_poll_once(srv, 100, err, sizeof(err)) != 0) {
			vlog("registrar: %s", err);
			break;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (mono_ms() >= next_refresh) {
			refresh(&st);
			next_refresh = mono_ms() + S.refresh_ms;
		}
	}
	S.stop = 1;
	ret = 0;
out:
	S.stop = 1;
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	/* A clean stop hands its nodes over at once instead of after a lease. */
	if (leasing && st.db.h && store_lease_release(&st, S.me, err, sizeof(err)) != 0)
		vlog("%s", err);
	if (notifying)
		notify_stop();
	http_server_close(srv);
	kc_rng_free(&rng);
	if (have_rk)
		revkey_free(&rk);
	store_close(&st);
	ek_trust_free(&trust);
	free(S.e);
	S.e = NULL;
	S.n = 0;
	vlog("stopped");
	return ret;
}

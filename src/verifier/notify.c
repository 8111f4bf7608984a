/* SPDX-License-Identifier: GPL-2.0-only */
#include "notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "clock.h"
#include "http_client.h"
#include "revocation_notice.h"
#include "url.h"
#include "vlog.h"

struct notice {
	char *body;
	char failed[STORE_UUID_MAX + 1];
	unsigned refs;  /* recipients that still have it queued or in flight */
	unsigned recipients, took, refused, dropped;
	int64_t t0_ms;
};

struct slot {
	struct notice *n;
	int retried;
};

/* One node that has notices to get, and where it was when the last notice was fanned out. */
struct recipient {
	char uuid[STORE_UUID_MAX + 1];
	char ip[64], api_version[8];
	int port, mtls;
	struct slot *q;        /* ring of cap slots */
	unsigned cap, head, n;
	int busy, ready;
	int slow;              /* its last delivery met no answer: it may hold few senders */
	int64_t not_before_ms; /* after a failed delivery: when to try again */
	int64_t dead_until_ms; /* gave no answer twice: its notices are dropped until then */
	struct recipient *next_ready;
};

struct failure {
	char uuid[STORE_UUID_MAX + 1];
	char reason[256];
};

struct hook_post {
	char uuid[STORE_UUID_MAX + 1];
	char result[16];
	char reason[256];
	time_t when;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work, fanout, hook;
	const struct notify_opts *o;
	int stop, started;
	pthread_t fan, web, *senders;
	unsigned nsenders;
	/* failures waiting for the fan-out thread (a ring) */
	struct failure *fail;
	unsigned fail_head, fail_n, fail_lost;
	/* recipients: open-addressing table of pointers, and the ready list */
	struct recipient **tab;
	size_t tab_cap, tab_n;
	struct recipient *ready_head, *ready_tail;
	unsigned notices, slow_busy;
	/* webhook ring */
	struct hook_post *hooks;
	unsigned hook_head, hook_n, hook_lost;
	struct notify_stats st;
} N = { .lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER,
	.fanout = PTHREAD_COND_INITIALIZER, .hook = PTHREAD_COND_INITIALIZER };

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Lower than the attestation workers: notices must never slow detection down. */
static void lower_priority(void)
{
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NOTIFY_NICE) != 0)
		vlog("revocation notices: cannot lower a thread's priority: %s", strerror(errno));
}

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* ---- recipients (under N.lock) ---------------------------------------- */

static int tab_put(struct recipient **tab, size_t cap, struct recipient *r)
{
	for (size_t i = hash(r->uuid) & (cap - 1), k = 0; k < cap; k++, i = (i + 1) & (cap - 1))
		if (!tab[i]) {
			tab[i] = r;
			return 0;
		}
	return -1;
}

/*
 * Grow the table, or, at its limit, keep only recipients with something to
 * do (the others are rebuilt when a notice is for them again).
 */
static int tab_make_room(void)
{
	size_t cap = N.tab_cap ? N.tab_cap * 2 : 1024, n = 0;
	struct recipient **t;

	if (cap > 2 * (size_t)NOTIFY_RECIPIENTS_MAX)
		cap = N.tab_cap;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < N.tab_cap; i++) {
		struct recipient *r = N.tab[i];

		if (!r)
			continue;
		if (cap == N.tab_cap && !r->n && !r->busy) {
			free(r->q);
			free(r);
			continue;
		}
		tab_put(t, cap, r);
		n++;
	}
	free(N.tab);
	N.tab = t;
	N.tab_cap = cap;
	N.tab_n = n;
	return 2 * N.tab_n < N.tab_cap ? 0 : -1;
}

static struct recipient *recipient(const char *uuid)
{
	struct recipient *r;

	for (size_t i = N.tab_cap ? hash(uuid) & (N.tab_cap - 1) : 0, k = 0; k < N.tab_cap;
	     k++, i = (i + 1) & (N.tab_cap - 1)) {
		if (!N.tab[i])
			break;
		if (!strcmp(N.tab[i]->uuid, uuid))
			return N.tab[i];
	}
	if (2 * (N.tab_n + 1) > N.tab_cap && tab_make_room() != 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
	tab_put(N.tab, N.tab_cap, r);
	N.tab_n++;
	return r;
}

static void make_ready(struct recipient *r)
{
	if (r->ready || r->busy || !r->n)
		return;
	r->ready = 1;
	r->next_ready = NULL;
	if (N.ready_tail)
		N.ready_tail->next_ready = r;
	else
		N.ready_head = r;
	N.ready_tail = r;
	pthread_cond_signal(&N.work);
}

/* One recipient is done with notice n (delivered, refused or dropped). */
static void notice_release(struct notice *n)
{
	if (--n->refs)
		return;
	vlog("%s: signed revocation notice taken by %u of %u node(s) in %.1f s (%u refused, %u "
	     "not delivered)", n->failed, n->took, n->recipients,
	     (double)(mono_ms() - n->t0_ms) / 1000.0, n->refused, n->dropped);
	free(n->body);
	free(n);
	N.notices--;
	pthread_cond_signal(&N.fanout);
}

/* A recipient that gave no answer twice is not tried again for a while: it would hold senders. */
static int dead(const struct recipient *r)
{
	return r->dead_until_ms > mono_ms();
}

static int enqueue(struct recipient *r, struct notice *n)
{
	if (dead(r))
		return -1;
	if (r->n == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 4;
		struct slot *q;

		if (cap > NOTIFY_PER_NODE_MAX) {
			/* Full: the oldest waiting notice (not one in flight) gives way. */
			unsigned at = r->busy ? 1 : 0;
			struct slot old;

			if (r->n <= at)
				return -1;
			old = r->q[(r->head + at) % r->cap];
			for (unsigned k = at; k + 1 < r->n; k++)
				r->q[(r->head + k) % r->cap] = r->q[(r->head + k + 1) % r->cap];
			r->n--;
			old.n->dropped++;
			N.st.dropped++;
			notice_release(old.n);
		} else {
			q = malloc(cap * sizeof(*q));
			if (!q)
				return -1;
			for (unsigned k = 0; k < r->n; k++)
				q[k] = r->q[(r->head + k) % r->cap];
			free(r->q);
			r->q = q;
			r->cap = cap;
			r->head = 0;
		}
	}
	r->q[(r->head + r->n) % r->cap] = (struct slot){ n, 0 };
	r->n++;
	n->refs++;
	n->recipients++;
	make_ready(r);
	return 0;
}

/* ---- fan-out ------------------------------------------------------------ */

struct fan_ctx {
	struct notice *n;
	unsigned lost;
};

/* Queue c's notice for the node at sc, remembering where it is. Under N.lock. */
static void queue_for(struct fan_ctx *c, const struct store_contact *sc)
{
	struct recipient *r = recipient(sc->uuid);

	if (r) {
		snprintf(r->ip, sizeof(r->ip), "%s", sc->ip);
		snprintf(r->api_version, sizeof(r->api_version), "%s", sc->api_version);
		r->port = sc->port;
		r->mtls = sc->mtls;
	}
	if (!r || enqueue(r, c->n) != 0)
		c->lost++;
}

static int fan_one(void *ctx, const struct store_contact *sc)
{
	struct fan_ctx *c = ctx;

	if (!strcmp(sc->uuid, c->n->failed))
		return 0;
	pthread_mutex_lock(&N.lock);
	queue_for(c, sc);
	pthread_mutex_unlock(&N.lock);
	return 0;
}

static void fan_out(struct store *st, struct kc_rng *rng, const struct failure *f)
{
	static const char *const states[] = { "enrolled", "attesting", NULL };
	static struct store_node n;
	struct fan_ctx c = { 0 };
	struct store_contact failed;
	char err[300];

	if (store_get(st, f->uuid, &n, err, sizeof(err)) != 1) {
		vlog("revocation notice for %s: the node is gone", f->uuid);
		return;
	}
	failed = (struct store_contact){ .uuid = n.uuid, .state = n.state, .ip = n.ip,
					 .api_version = n.api_version, .port = n.port,
					 .mtls = n.mtls };
	c.n = calloc(1, sizeof(*c.n));
	if (!c.n)
		goto nomem;
	c.n->body = revocation_notice(&n, f->reason, N.o->rk, rng, err, sizeof(err));
	if (!c.n->body) {
		vlog("revocation notice for %s: %s", f->uuid, err);
		free(c.n);
		return;
	}
	snprintf(c.n->failed, sizeof(c.n->failed), "%s", f->uuid);
	c.n->t0_ms = mono_ms();
	pthread_mutex_lock(&N.lock);
	N.notices++;
	N.st.notices++;
	/* Held by the fan-out until every recipient is queued. */
	c.n->refs = 1;
	queue_for(&c, &failed);
	pthread_mutex_unlock(&N.lock);
	if (store_each_contact(st, states, fan_one, &c, err, sizeof(err)) != 0)
		vlog("revocation notice for %s: listing the nodes failed (%s)", f->uuid, err);
	pthread_mutex_lock(&N.lock);
	if (c.lost) {
		c.n->dropped += c.lost;
		N.st.dropped += c.lost;
	}
	notice_release(c.n);
	pthread_mutex_unlock(&N.lock);
	return;
nomem:
	vlog("revocation notice for %s: out of memory", f->uuid);
}

static void *fan_thread(void *arg)
{
	struct store st;
	struct kc_rng rng;
	struct failure f;
	char err[300];

	(void)arg;
	lower_priority();
	if (store_open(&st, N.o->state_dir, N.o->db, err, sizeof(err)) != 0 ||
	    kc_rng_init(&rng, "airlock-verifier notices", err, sizeof(err)) != 0) {
		vlog("revocation notices cannot start: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&N.lock);
	while (!N.stop) {
		if (!N.fail_n || N.notices >= NOTIFY_NOTICES_MAX) {
			pthread_cond_wait(&N.fanout, &N.lock);
			continue;
		}
		f = N.fail[N.fail_head];
		N.fail_head = (N.fail_head + 1) % NOTIFY_FAILURES_MAX;
		N.fail_n--;
		pthread_mutex_unlock(&N.lock);
		fan_out(&st, &rng, &f);
		pthread_mutex_lock(&N.lock);
	}
	pthread_mutex_unlock(&N.lock);
	kc_rng_free(&rng);
	store_close(&st);
	return NULL;
}

void notify_failure(const char *uuid, const char *reason)
{
	struct failure *f;

	if (!N.started || !N.o->rk)
		return;
	pthread_mutex_lock(&N.lock);
	if (N.fail_n == NOTIFY_FAILURES_MAX) {
		/* A burst beyond the queue: the newest failure's notice is not sent (and said). */
		N.fail_lost++;
		N.st.dropped++;
		pthread_mutex_unlock(&N.lock);
		vlog("revocation notice for %s not sent: %d failures already wait to be announced",
		     uuid, NOTIFY_FAILURES_MAX);
		return;
	}
	f = &N.fail[(N.fail_head + N.fail_n) % NOTIFY_FAILURES_MAX];
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
	N.fail_n++;
	pthread_cond_signal(&N.fanout);
	pthread_mutex_unlock(&N.lock);
}

/* ---- delivery ----------------------------------------------------------- */

/* The next recipient a sender may serve now; NULL with *wait_ms when none. */
static struct recipient *take_ready(int64_t now, int *wait_ms)
{
	struct recipient *first = NULL, *r;

	*wait_ms = 200;
	while ((r = N.ready_head) != NULL) {
		N.ready_head = r->next_ready;
		if (!N.ready_head)
			N.ready_tail = NULL;
		r->ready = 0;
		/* Unanswering recipients hold at most half the senders; the others go on. */
		if (r->not_before_ms <= now && (!r->slow || N.slow_busy < (N.nsenders + 1) / 2))
			return r;
		if (r->not_before_ms > now && r->not_before_ms - now < *wait_ms)
			*wait_ms = (int)(r->not_before_ms - now);
		else if (r->not_before_ms <= now)
			*wait_ms = 20;
		make_ready(r);
		if (!first)
			first = r;
		else if (r == first)
			break;
	}
	return NULL;
}

/*
 * The node to post to, copied under N.lock (the fan-out rewrites a
 * recipient's contact): enough for plain HTTP, so no database read per
 * delivery; with mutual TLS the caller reads the row for the pinned
 * certificate.
 */
static void contact_copy(const struct recipient *r, struct store_node *n)
{
	snprintf(n->uuid, sizeof(n->uuid), "%s", r->uuid);
	snprintf(n->ip, sizeof(n->ip), "%s", r->ip);
	snprintf(n->api_version, sizeof(n->api_version), "%s", r->api_version);
	n->port = r->port;
	n->mtls = r->mtls;
}

static void *sender_thread(void *arg)
{
	static __thread struct store_node node;
	struct attest_opts ao = N.o->attest;
	struct store st;
	struct kc_rng rng;
	char err[300], why[300];

	(void)arg;
	lower_priority();
	ao.timeout_ms = NOTIFY_TIMEOUT_MS;
	if (store_open(&st, N.o->state_dir, N.o->db, err, sizeof(err)) != 0 ||
	    kc_rng_init(&rng, "airlock-verifier sender", err, sizeof(err)) != 0) {
		vlog("revocation notices: a sender cannot start: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&N.lock);
	while (!N.stop) {
		struct recipient *r;
		struct slot s;
		int wait_ms, ret, found, held_slow;

		r = take_ready(mono_ms(), &wait_ms);
		if (!r) {
			struct timespec ts;

			deadline_in(&ts, wait_ms);
			pthread_cond_timedwait(&N.work, &N.lock, &ts);
			continue;
		}
		r->busy = 1;
		held_slow = r->slow;
		N.slow_busy += (unsigned)held_slow;
		s = r->q[r->head];
		contact_copy(r, &node);
		pthread_mutex_unlock(&N.lock);

		/* r->uuid never changes, and r is not freed while busy. */
		found = node.mtls ? store_get(&st, r->uuid, &node, err, sizeof(err)) : 1;
		if (found == 1)
			ret = attest_post_revocation(&node, &ao, &rng, s.n->body, why, sizeof(why));
		else
			ret = ATTEST_SKIP;

		pthread_mutex_lock(&N.lock);
		r->busy = 0;
		N.slow_busy -= (unsigned)held_slow;
		r->slow = ret == ATTEST_ERROR || ret == ATTEST_GONE;
		if ((ret == ATTEST_ERROR || ret == ATTEST_GONE) && !s.retried) {
			/* Once more, a little later; the node's other notices wait with it. */
			r->q[r->head].retried = 1;
			r->not_before_ms = mono_ms() + NOTIFY_RETRY_MS;
			N.st.retried++;
		} else if (ret == ATTEST_ERROR || ret == ATTEST_GONE) {
			/* No answer twice: this one and all it has waiting are not delivered. */
			vlog("revocation notices to %s: no answer twice (%s); %u notice(s) dropped, "
			     "none sent to it for %d s", r->uuid, why, r->n, NOTIFY_DEAD_MS / 1000);
			r->dead_until_ms = mono_ms() + NOTIFY_DEAD_MS;
			r->not_before_ms = 0;
			while (r->n) {
				struct notice *n = r->q[r->head].n;

				r->head = (r->head + 1) % r->cap;
				r->n--;
				n->dropped++;
				N.st.dropped++;
				notice_release(n);
			}
		} else {
			r->head = (r->head + 1) % r->cap;
			r->n--;
			r->not_before_ms = 0;
			if (ret == ATTEST_PASS) {
				s.n->took++;
				N.st.delivered++;
			} else if (ret == ATTEST_FAIL) {
				s.n->refused++;
				N.st.refused++;
				vlog("revocation notice for %s: %s refused it: %s", s.n->failed, r->uuid,
				     why);
			} else {
				N.st.skipped++;
			}
			notice_release(s.n);
		}
		make_ready(r);
	}
	pthread_mutex_unlock(&N.lock);
	attest_tls_free();
	kc_rng_free(&rng);
	store_close(&st);
	return NULL;
}

/* ---- webhook ------------------------------------------------------------ */

static void post_webhook(const char *url, const struct hook_post *h)
{
	struct http_client_response r = { 0 };
	struct http_url u;
	const char *why;
	char err[300], *body = NULL;
	cJSON *j;

	if (url_parse_http(url, strlen(url), &u, &why) != 0)
		return;
	j = cJSON_CreateObject();
	if (j && cJSON_AddStringToObject(j, "uuid", h->uuid) &&
	    cJSON_AddStringToObject(j, "result", h->result) &&
	    cJSON_AddStringToObject(j, "reason", h->reason) &&
	    cJSON_AddNumberToObject(j, "time", (double)h->when))
		body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!body)
		return;
	if (http_client_request(u.host, u.port, "POST", url + u.path_off, "application/json", body,
				strlen(body), 5000, 65536, &r, err, sizeof(err)) != 0)
		vlog("webhook for %s: %s", h->uuid, err);
	else if (r.status / 100 != 2)
		vlog("webhook for %s: HTTP %d", h->uuid, r.status);
	http_client_response_free(&r);
	free(body);
}

static void *web_thread(void *arg)
{
	struct hook_post h;

	(void)arg;
	pthread_mutex_lock(&N.lock);
	while (!N.stop) {
		if (!N.hook_n) {
			pthread_cond_wait(&N.hook, &N.lock);
			continue;
		}
		h = N.hooks[N.hook_head];
		N.hook_head = (N.hook_head + 1) % NOTIFY_WEBHOOK_MAX;
		N.hook_n--;
		pthread_mutex_unlock(&N.lock);
		post_webhook(N.o->webhook, &h);
		pthread_mutex_lock(&N.lock);
	}
	pthread_mutex_unlock(&N.lock);
	return NULL;
}

void notify_webhook(const char *uuid, const char *result, const char *reason)
{
	struct hook_post *h;

	if (!N.started || !N.o->webhook)
		return;
	pthread_mutex_lock(&N.lock);
	if (N.hook_n == NOTIFY_WEBHOOK_MAX) {
		/* The oldest waiting post gives way. */
		N.hook_head = (N.hook_head + 1) % NOTIFY_WEBHOOK_MAX;
		N.hook_n--;
		if (N.hook_lost++ % 100 == 0)
			vlog("webhook: %u posts dropped (the endpoint is slower than the verdicts)",
			     N.hook_lost);
	}
	h = &N.hooks[(N.hook_head + N.hook_n) % NOTIFY_WEBHOOK_MAX];
	snprintf(h->uuid, sizeof(h->uuid), "%s", uuid);
	snprintf(h->result, sizeof(h->result), "%s", result);
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	h->when = time(NULL);
	N.hook_n++;
	pthread_cond_signal(&N.hook);
	pthread_mutex_unlock(&N.lock);
}

/* ---- life cycle --------------------------------------------------------- */

/* The queues' memory (the recipients themselves are freed by notify_stop). */
static void release_queues(void)
{
	free(N.tab);
	free(N.fail);
	free(N.hooks);
	free(N.senders);
	N.tab = NULL;
	N.fail = NULL;
	N.hooks = NULL;
	N.senders = NULL;
	N.tab_cap = N.tab_n = 0;
	N.ready_head = N.ready_tail = NULL;
	N.fail_n = N.hook_n = 0;
}

int notify_start(const struct notify_opts *o, char *err, size_t errlen)
{
	N.o = o;
	N.stop = 0;
	N.fail = calloc(NOTIFY_FAILURES_MAX, sizeof(*N.fail));
	N.hooks = calloc(NOTIFY_WEBHOOK_MAX, sizeof(*N.hooks));
	N.senders = calloc(o->senders ? o->senders : 1, sizeof(*N.senders));
	if (!N.fail || !N.hooks || !N.senders || tab_make_room() != 0) {
		snprintf(err, errlen, "notices: out of memory");
		goto fail;
	}
	if (pthread_create(&N.fan, NULL, fan_thread, NULL) != 0) {
		snprintf(err, errlen, "notices: cannot start a thread");
		goto fail;
	}
	if (pthread_create(&N.web, NULL, web_thread, NULL) != 0) {
		snprintf(err, errlen, "notices: cannot start a thread");
		N.stop = 1;
		pthread_cond_broadcast(&N.fanout);
		pthread_join(N.fan, NULL);
		goto fail;
	}
	for (N.nsenders = 0; N.nsenders < (o->senders ? o->senders : 1); N.nsenders++)
		if (pthread_create(&N.senders[N.nsenders], NULL, sender_thread, NULL) != 0)
			break;
	N.started = 1;
	return 0;
fail:
	release_queues();
	return -1;
}

void notify_stop(void)
{
	unsigned waiting = 0;

	if (!N.started)
		return;
	pthread_mutex_lock(&N.lock);
	N.stop = 1;
	pthread_cond_broadcast(&N.work);
	pthread_cond_broadcast(&N.fanout);
	pthread_cond_broadcast(&N.hook);
	pthread_mutex_unlock(&N.lock);
	pthread_join(N.fan, NULL);
	pthread_join(N.web, NULL);
	for (unsigned i = 0; i < N.nsenders; i++)
		pthread_join(N.senders[i], NULL);
	for (size_t i = 0; i < N.tab_cap; i++) {
		struct recipient *r = N.tab[i];

		if (!r)
			continue;
		waiting += r->n;
		for (unsigned k = 0; k < r->n; k++) {
			struct notice *n = r->q[(r->head + k) % r->cap].n;

			if (--n->refs == 0) {
				free(n->body);
				free(n);
			}
		}
		free(r->q);
		free(r);
	}
	if (waiting || N.fail_n)
		vlog("stopping with %u notice deliveries and %u failures not yet announced", waiting,
		     N.fail_n);
	release_queues();
	N.started = 0;
}

void notify_get_stats(struct notify_stats *out)
{
	pthread_mutex_lock(&N.lock);
	*out = N.st;
	pthread_mutex_unlock(&N.lock);
}

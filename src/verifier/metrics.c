/* SPDX-License-Identifier: GPL-2.0-only */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "encoding.h"
#include "lib_err.h"

#define N_RESULTS 6 /* ATTEST_PASS .. ATTEST_STORE */
#define REASONS_MAX 32
#define REASON_LABEL_MAX 40
#define TEXT_MAX (256u << 10)

static const double round_le[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const double detect_le[] = { 0.5, 1, 2, 3, 4, 6, 8, 10, 15, 30, 60, 120 };
#define N_ROUND (sizeof(round_le) / sizeof(round_le[0]))
#define N_DETECT (sizeof(detect_le) / sizeof(detect_le[0]))

struct histogram {
	atomic_uint_fast64_t bucket[16]; /* cumulative is computed when rendering */
	atomic_uint_fast64_t count, sum_us;
};

static struct {
	atomic_uint_fast64_t rounds[N_RESULTS];
	struct histogram round, detect;
	atomic_uint_fast64_t never_passed; /* failures of nodes that never passed */
	atomic_uint_fast64_t takeovers;    /* nodes taken from an instance whose lease ran out */
	pthread_mutex_t lock; /* the reason labels */
	char reason[REASONS_MAX][REASON_LABEL_MAX + 1];
	uint64_t reason_n[REASONS_MAX + 1]; /* the last: "other" */
	unsigned nreasons;
} M = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void observe(struct histogram *h, const double *le, size_t n, int64_t us)
{
	size_t i = 0;

	while (i < n && (double)us > le[i] * 1e6)
		i++;
	atomic_fetch_add(&h->bucket[i], 1);
	atomic_fetch_add(&h->count, 1);
	atomic_fetch_add(&h->sum_us, (uint64_t)(us > 0 ? us : 0));
}

void metrics_takeover(uint64_t n)
{
	atomic_fetch_add(&M.takeovers, n);
}

void metrics_round(int result, int64_t took_ms)
{
	if (result >= 0 && result < N_RESULTS)
		atomic_fetch_add(&M.rounds[result], 1);
	observe(&M.round, round_le, N_ROUND, took_ms * 1000);
}

/* The reason's first words, up to its first ':' or digit run: "PCR", "not a fresh boot". */
static void reason_label(const char *reason, char out[REASON_LABEL_MAX + 1])
{
	size_t o = 0;

	for (const char *p = reason; *p && *p != ':' && *p != '(' && o < REASON_LABEL_MAX; p++) {
		int c = (unsigned char)*p;

		if (enc_is_digit(c))
			continue; /* "PCR 8" and "PCR 9" are one kind of failure */
		if (enc_is_alpha(c))
			out[o++] = (char)(c | 0x20);
		else if ((c == ' ' || c == '-' || c == '_') && o && out[o - 1] != ' ')
			out[o++] = ' ';
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (!o)
		snprintf(out, REASON_LABEL_MAX + 1, "unknown");
}

void metrics_failure(const char *reason, int64_t since_pass_ms)
{
	char label[REASON_LABEL_MAX + 1];
	unsigned i;

	if (since_pass_ms >= 0)
		observe(&M.detect, detect_le, N_DETECT, since_pass_ms * 1000);
	else
		atomic_fetch_add(&M.never_passed, 1);
	reason_label(reason ? reason : "", label);
	pthread_mutex_lock(&M.lock);
	for (i = 0; i < M.nreasons && strcmp(M.reason[i], label); i++)
		;
	if (i == M.nreasons && M.nreasons < REASONS_MAX)
		memcpy(M.reason[M.nreasons++], label, sizeof(label));
	M.reason_n[i < M.nreasons ? i : REASONS_MAX]++;
	pthread_mutex_unlock(&M.lock);
}

struct text {
	char *b;
	size_t len, cap;
	int bad;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->bad)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->b + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->bad = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		if (t->cap >= TEXT_MAX) {
			t->bad = 1;
			return;
		}
		char *nb = realloc(t->b, t->cap * 2);

		if (!nb) {
			t->bad = 1;
			return;
		}
		t->b = nb;
		t->cap *= 2;
	}
}

static void put_histogram(struct text *t, const char *name, const char *help,
			  struct histogram *h, const double *le, size_t n)
{
	uint64_t cum = 0;

	put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < n; i++) {
		cum += atomic_load(&h->bucket[i]);
		put(t, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], (unsigned long long)cum);
	}
	cum += atomic_load(&h->bucket[n]);
	put(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
	    (unsigned long long)cum, name, (double)atomic_load(&h->sum_us) / 1e6, name,
	    (unsigned long long)cum);
}

static int put_state(void *ctx, const char *state, int64_t n)
{
	char label[24];
	size_t o = 0;

	/* State names are ours ([a-z_]); anything else would not be a label value. */
	for (const char *p = state ? state : ""; *p && o + 1 < sizeof(label); p++)
		if (enc_is_alnum((unsigned char)*p) || *p == '_')
			label[o++] = *p;
	label[o] = '\0';
	put(ctx, "airlock_verifier_nodes{state=\"%s\"} %lld\n", o ? label : "unknown", (long long)n);
	return 0;
}

char *metrics_render(struct store *st, const struct metrics_schedule *sched, size_t *len,
		     char *err, size_t errlen)
{
	static const char *const result[N_RESULTS] = { "pass", "fail", "error", "skip", "gone",
							"database" };
	struct text t = { .cap = 8192 };

	t.b = malloc(t.cap);
	if (!t.b) {
		lib_err(err, errlen, "out of memory");
		return NULL;
	}
	t.b[0] = '\0';
	put(&t, "# HELP airlock_verifier_nodes Enrolled and registered nodes by state.\n"
		"# TYPE airlock_verifier_nodes gauge\n");
	if (store_count_states(st, put_state, &t, err, errlen) != 0) {
		free(t.b);
		return NULL;
	}
	put(&t, "# HELP airlock_verifier_rounds_total Attestation rounds by result.\n"
		"# TYPE airlock_verifier_rounds_total counter\n");
	for (int i = 0; i < N_RESULTS; i++)
		put(&t, "airlock_verifier_rounds_total{result=\"%s\"} %llu\n", result[i],
		    (unsigned long long)atomic_load(&M.rounds[i]));
	put_histogram(&t, "airlock_verifier_round_seconds", "Time one attestation round took.",
		      &M.round, round_le, N_ROUND);
	put_histogram(&t, "airlock_verifier_detection_bound_seconds", "From the start of a node's "
		      "last passing round to the end of its failing one: how long a change could "
		      "have gone undetected.", &M.detect, detect_le, N_DETECT);
	put(&t, "# HELP airlock_verifier_failures_total Failed verdicts by kind (the reason's first "
		"words).\n# TYPE airlock_verifier_failures_total counter\n");
	pthread_mutex_lock(&M.lock);
	for (unsigned i = 0; i < M.nreasons; i++)
		put(&t, "airlock_verifier_failures_total{reason=\"%s\"} %llu\n", M.reason[i],
		    (unsigned long long)M.reason_n[i]);
	if (M.reason_n[REASONS_MAX])
		put(&t, "airlock_verifier_failures_total{reason=\"other\"} %llu\n",
		    (unsigned long long)M.reason_n[REASONS_MAX]);
	pthread_mutex_unlock(&M.lock);
	put(&t, "# HELP airlock_verifier_failures_never_passed_total Failures of nodes that had not "
		"passed since serve started.\n# TYPE airlock_verifier_failures_never_passed_total "
		"counter\nairlock_verifier_failures_never_passed_total %llu\n",
	    (unsigned long long)atomic_load(&M.never_passed));
	put(&t, "# HELP airlock_verifier_schedule_polled Nodes the schedule polls.\n"
		"# TYPE airlock_verifier_schedule_polled gauge\nairlock_verifier_schedule_polled %llu\n"
		"# HELP airlock_verifier_schedule_overdue Polled nodes due more than one interval ago "
		"and not being asked: attestation that is not happening.\n"
		"# TYPE airlock_verifier_schedule_overdue gauge\nairlock_verifier_schedule_overdue %llu\n"
		"# HELP airlock_verifier_schedule_oldest_lag_seconds The longest such wait.\n"
		"# TYPE airlock_verifier_schedule_oldest_lag_seconds gauge\n"
		"airlock_verifier_schedule_oldest_lag_seconds %.3f\n"
		"# HELP airlock_verifier_rounds_in_flight Rounds running now.\n"
		"# TYPE airlock_verifier_rounds_in_flight gauge\nairlock_verifier_rounds_in_flight %llu\n"
		"# HELP airlock_verifier_lease_takeovers_total Nodes this instance took from another "
		"instance on the database that stopped renewing its lease.\n"
		"# TYPE airlock_verifier_lease_takeovers_total counter\n"
		"airlock_verifier_lease_takeovers_total %llu\n",
	    (unsigned long long)sched->polled, (unsigned long long)sched->overdue,
	    (double)sched->oldest_lag_ms / 1000.0, (unsigned long long)sched->busy,
	    (unsigned long long)atomic_load(&M.takeovers));
	if (t.bad) {
		lib_err(err, errlen, "metrics text over %u bytes or out of memory", TEXT_MAX);
		free(t.b);
		return NULL;
	}
	*len = t.len;
	return t.b;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `serve` has done and what it has not got to, for GET /metrics on the
 * serve port (Prometheus text format 0.0.4). Aggregates only: no uuid, no
 * address, no reason text beyond its first words (a bounded set of labels),
 * since anyone who reaches the registrar port may read them.
 *
 * Counters are lock-free atomics, bumped by the workers; the schedule's view
 * (polled, overdue, oldest lag) is taken under serve's lock when scraped, so a
 * burst that leaves nodes unpolled shows as overdue, not as silence.
 */
#ifndef AIRLOCK_VERIFIER_METRICS_H
#define AIRLOCK_VERIFIER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One attestation round ended with result (ATTEST_*) after took_ms. */
void metrics_round(int result, int64_t took_ms);
/*
 * A node failed; since_pass_ms is the time from the start of its last passing
 * round to the end of the failing one (-1: it never passed): an upper bound
 * on how long a change went undetected. reason is the verdict's text.
 */
void metrics_failure(const char *reason, int64_t since_pass_ms);

/* This instance took n nodes whose holder had stopped renewing its lease. */
void metrics_takeover(uint64_t n);

struct metrics_schedule {
	uint64_t polled;    /* nodes the schedule polls */
	uint64_t overdue;   /* of those, due more than one interval ago and not being asked */
	int64_t oldest_lag_ms; /* the longest such wait */
	uint64_t busy;      /* rounds in flight */
};

/* The exposition (malloc'd, *len bytes, NUL after), or NULL with err filled. */
char *metrics_render(struct store *st, const struct metrics_schedule *sched, size_t *len,
		     char *err, size_t errlen);

#endif

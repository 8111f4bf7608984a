/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keep the agent running: restart it when it dies, with a capped exponential
 * backoff, and give up (so /init can fail the boot) after too many quick
 * failures in a row. Pure bookkeeping; the main loop does the waiting.
 */
#ifndef AIRLOCK_INIT_SUPERVISE_H
#define AIRLOCK_INIT_SUPERVISE_H

#include <stdbool.h>
#include <sys/types.h>

#define SUP_BACKOFF_MAX_S 60.0
/* A run this long counts as healthy and resets the failure count. */
#define SUP_HEALTHY_S 120.0
#define SUP_MAX_FAILURES 8

struct supervisor {
	pid_t pid;          /* 0: not running */
	unsigned failures;  /* consecutive short runs */
	double started_at;  /* mono_s() when started */
	double next_start;  /* when to start again; 0: now */
};

/* The child exited at `now`: returns the delay before the next start, or -1 to give up. */
double sup_exited(struct supervisor *s, double now);

#endif

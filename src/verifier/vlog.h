/* SPDX-License-Identifier: GPL-2.0-only */
/* One line per event on stderr, with a UTC timestamp; safe from any thread. */
#ifndef AIRLOCK_VERIFIER_VLOG_H
#define AIRLOCK_VERIFIER_VLOG_H

#include <time.h>

void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A flood of refusals must not become a flood of log lines: at most
 * per_second lines a second go through a budget, and when the second turns,
 * one line says how many did not. A budget belongs to one thread.
 */
struct vlog_budget {
	const char *who, *what; /* "registrar", "refusals": "registrar: 7 more refusals ..." */
	time_t second;
	unsigned logged, quiet;
};
/* 1: log this line; 0: counted, not logged. */
int vlog_budget_take(struct vlog_budget *b, unsigned per_second);

#endif

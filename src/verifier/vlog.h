/* SPDX-License-Identifier: GPL-2.0-only */
/* One line per event on stderr, with a UTC timestamp; safe from any thread. */
#ifndef AIRLOCK_VERIFIER_VLOG_H
#define AIRLOCK_VERIFIER_VLOG_H

void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one clock for durations, deadlines and timing lines: CLOCK_MONOTONIC,
 * which a wall clock set by NTP or a tenant cannot move. (scrub.c keeps its
 * own nanosecond reader: it must report a failing clock, and it is built alone
 * for the scrub benchmark.)
 */
#ifndef AIRLOCK_CLOCK_H
#define AIRLOCK_CLOCK_H

#include <stdint.h>

/* Seconds since an arbitrary fixed point (boot, on Linux). */
double mono_s(void);
/* The same clock in whole milliseconds. */
int64_t mono_ms(void);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
#include "clock.h"

#include <time.h>

/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer; nothing to check. */
double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

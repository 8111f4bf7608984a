/* SPDX-License-Identifier: GPL-2.0-only */
#include "vlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void vlog(const char *fmt, ...)
{
	char line[2048], ts[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf: stdio locks the stream, so threads' lines never interleave. */
	fprintf(stderr, "%s airlock-verifier: %s\n", ts, line);
}

int vlog_budget_take(struct vlog_budget *b, unsigned per_second)
{
	time_t now = time(NULL);

	if (now != b->second) {
		if (b->quiet)
			vlog("%s: %u more %s in the last second (not logged one by one)", b->who,
			     b->quiet, b->what);
		b->second = now;
		b->logged = b->quiet = 0;
	}
	if (b->logged < per_second) {
		b->logged++;
		return 1;
	}
	b->quiet++;
	return 0;
}

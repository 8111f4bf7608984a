/* SPDX-License-Identifier: GPL-2.0-only */
#include "supervise.h"

double sup_exited(struct supervisor *s, double now)
{
	double delay = 1.0;

	s->pid = 0;
	if (now - s->started_at >= SUP_HEALTHY_S)
		s->failures = 0;
	if (++s->failures > SUP_MAX_FAILURES)
		return -1.0;
	for (unsigned i = 1; i < s->failures && delay < SUP_BACKOFF_MAX_S; i++)
		delay *= 2.0;
	if (delay > SUP_BACKOFF_MAX_S)
		delay = SUP_BACKOFF_MAX_S;
	s->next_start = now + delay;
	return delay;
}

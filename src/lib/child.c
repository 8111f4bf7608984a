/* SPDX-License-Identifier: GPL-2.0-only */
#include "child.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"

#define CHILD_POLL_MS 20

enum child_wait_result child_wait(pid_t pid, int64_t timeout_ms, int *status)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = CHILD_POLL_MS * 1000000L };
	int64_t deadline = mono_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return CHILD_EXITED;
		if (r < 0 && errno != EINTR)
			return CHILD_ERROR;
		if (mono_ms() >= deadline)
			return CHILD_TIMEOUT;
		nanosleep(&tick, NULL);
	}
}

void child_kill(pid_t pid, int *status)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, status ? status : &st, 0) < 0 && errno == EINTR)
		;
}

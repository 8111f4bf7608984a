/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Waiting for a child with a deadline: /init's helpers, the kexec tool, a
 * payload's autorun.sh and revocation actions must never hang the boot or the
 * agent. Polls (every 20 ms) rather than relying on SIGCHLD, which PID 1 and
 * the agent handle in their own ways.
 */
#ifndef AIRLOCK_CHILD_H
#define AIRLOCK_CHILD_H

#include <stdint.h>
#include <sys/types.h>

enum child_wait_result {
	CHILD_EXITED = 0,  /* reaped; *status as waitpid gave it */
	CHILD_TIMEOUT = 1, /* still running after timeout_ms; the caller decides */
	CHILD_ERROR = -1,  /* waitpid failed (errno set), e.g. ECHILD */
};

enum child_wait_result child_wait(pid_t pid, int64_t timeout_ms, int *status);

/* SIGKILL pid and reap it (status may be NULL). */
void child_kill(pid_t pid, int *status);

#endif

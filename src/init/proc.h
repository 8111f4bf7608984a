/* SPDX-License-Identifier: GPL-2.0-only */
/* Starting and waiting for child programs from PID 1, always bounded in time. */
#ifndef AIRLOCK_INIT_PROC_H
#define AIRLOCK_INIT_PROC_H

#include <sys/types.h>

/* fork + exec with PID 1's blocked signals and dispositions reset; -1 on error. */
pid_t proc_spawn(char *const argv[]);
/*
 * Run argv and wait at most timeout_s seconds; a child that overstays is
 * killed. Returns the exit status (0..255), or -1 if it could not run, was
 * killed by a signal, or timed out.
 */
int proc_run(char *const argv[], unsigned timeout_s);

#endif

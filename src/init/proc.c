/* SPDX-License-Identifier: GPL-2.0-only */
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "log.h"

pid_t proc_spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("cannot fork for %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		log_err("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int proc_run(char *const argv[], unsigned timeout_s)
{
	pid_t pid = proc_spawn(argv);
	int status;

	if (pid < 0)
		return -1;
	switch (child_wait(pid, (int64_t)timeout_s * 1000, &status)) {
	case CHILD_EXITED:
		break;
	case CHILD_TIMEOUT:
		log_warn("%s did not finish within %u s; killing it", argv[0], timeout_s);
		child_kill(pid, NULL);
		return -1;
	default:
		log_err("waiting for %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status)) {
		log_warn("%s was killed by signal %d", argv[0], WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for src/lib/child.c: exit statuses, the deadline, killing, errors. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "clock.h"

static pid_t spawn(const char *script)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_exit_status(void **state)
{
	int status = -1;
	pid_t pid;

	(void)state;
	pid = spawn("exit 7");
	assert_int_equal(child_wait(pid, 10000, &status), CHILD_EXITED);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	pid = spawn("kill -TERM $$");
	assert_int_equal(child_wait(pid, 10000, &status), CHILD_EXITED);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

static void test_deadline(void **state)
{
	int status = 0;
	int64_t t0;
	pid_t pid;

	(void)state;
	pid = spawn("exec sleep 30");
	t0 = mono_ms();
	assert_int_equal(child_wait(pid, 200, &status), CHILD_TIMEOUT);
	/* Not before the deadline; not long after it either (bounded, loose for a loaded CI). */
	assert_true(mono_ms() - t0 >= 200);
	assert_true(mono_ms() - t0 < 10000);
	/* Still there: a zero timeout looks once. */
	assert_int_equal(child_wait(pid, 0, &status), CHILD_TIMEOUT);
	child_kill(pid, &status);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	/* Reaped: nothing left to wait for. */
	errno = 0;
	assert_int_equal(child_wait(pid, 0, &status), CHILD_ERROR);
	assert_int_equal(errno, ECHILD);
}

static void test_not_a_child(void **state)
{
	int status;

	(void)state;
	errno = 0;
	assert_int_equal(child_wait(getppid(), 1000, &status), CHILD_ERROR);
	assert_int_equal(errno, ECHILD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_not_a_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

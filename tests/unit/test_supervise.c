/* SPDX-License-Identifier: GPL-2.0-only */
/* Agent restart policy: capped exponential backoff, reset after a healthy run, give up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervise.h"

static void backoff_doubles_then_caps(void **state)
{
	struct supervisor s = { 0 };
	double expect[] = { 1, 2, 4, 8, 16, 32, 60, 60 };
	double now = 1000;

	(void)state;
	for (unsigned i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		s.pid = 42;
		s.started_at = now;
		now += 1; /* a short run */
		assert_true(sup_exited(&s, now) == expect[i]);
		assert_int_equal(s.pid, 0);
		assert_true(s.next_start == now + expect[i]);
	}
}

static void gives_up_after_max_failures(void **state)
{
	struct supervisor s = { 0 };
	double now = 0;

	(void)state;
	for (unsigned i = 0; i < SUP_MAX_FAILURES; i++) {
		s.started_at = now;
		assert_true(sup_exited(&s, now += 1) > 0);
	}
	s.started_at = now;
	assert_true(sup_exited(&s, now + 1) < 0);
}

static void healthy_run_resets(void **state)
{
	struct supervisor s = { 0 };
	double now = 0;

	(void)state;
	for (unsigned i = 0; i < SUP_MAX_FAILURES; i++) {
		s.started_at = now;
		sup_exited(&s, now += 1);
	}
	s.started_at = now;
	assert_true(sup_exited(&s, now + SUP_HEALTHY_S) == 1.0);
	assert_int_equal(s.failures, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_doubles_then_caps),
		cmocka_unit_test(gives_up_after_max_failures),
		cmocka_unit_test(healthy_run_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for src/init/scrub.c. Runs real workers (fork) on small, capped
 * sizes with a fake meminfo file, so the host's RAM is never claimed. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scrub.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* A real /proc/meminfo (6.x kernel), first lines. */
static const char real_meminfo[] =
	"MemTotal:       24589524 kB\n"
	"MemFree:        24001232 kB\n"
	"MemAvailable:   24112344 kB\n"
	"Buffers:            2132 kB\n"
	"Cached:           312420 kB\n"
	"SwapCached:            0 kB\n"
	"HugePages_Total:       0\n"
	"Hugepagesize:       2048 kB\n";

struct fixture {
	char path[64];
	int fds_before;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void write_meminfo(struct fixture *f, uint64_t total, uint64_t avail)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_true(fprintf(fp, "MemTotal: %llu kB\nMemFree: %llu kB\nMemAvailable: %llu kB\n",
	                    (unsigned long long)(total / 1024), (unsigned long long)(avail / 1024),
	                    (unsigned long long)(avail / 1024)) > 0);
	assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/test_scrub_meminfo.XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0 || close(fd) != 0) {
		free(f);
		return -1;
	}
	f->fds_before = count_fds();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	free(f);
	return 0;
}

/* Every path of scrub_run must leave no child (zombie or alive) and no fd. */
static void assert_clean(struct fixture *f)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(count_fds(), f->fds_before);
}

static struct scrub_params small_params(struct fixture *f)
{
	struct scrub_params p;

	memset(&p, 0, sizeof(p));
	p.meminfo_path = f->path;
	p.chunk_bytes = 4 * MiB;
	p.timeout_ms = 20000;
	return p;
}

/* ---- pure functions ---- */

static void test_meminfo_parse_real(void **state)
{
	uint64_t t = 0, a = 0;

	(void)state;
	assert_int_equal(scrub_meminfo_parse(real_meminfo, strlen(real_meminfo), &t, &a), 0);
	assert_true(t == 24589524ull * 1024);
	assert_true(a == 24112344ull * 1024);
}

static void expect_reject(const char *text)
{
	uint64_t t = 7, a = 7;

	assert_int_equal(scrub_meminfo_parse(text, strlen(text), &t, &a), -EINVAL);
	/* Outputs untouched on rejection. */
	assert_true(t == 7 && a == 7);
}

static void test_meminfo_parse_rejects(void **state)
{
	(void)state;
	expect_reject("");
	expect_reject("MemTotal: 100 kB\n");                          /* no MemAvailable */
	expect_reject("MemAvailable: 100 kB\n");                      /* no MemTotal */
	expect_reject("MemTotal: 100\nMemAvailable: 50 kB\n");        /* no unit */
	expect_reject("MemTotal: 100 MB\nMemAvailable: 50 kB\n");     /* wrong unit */
	expect_reject("MemTotal:  kB\nMemAvailable: 50 kB\n");        /* no digits */
	expect_reject("MemTotal: 1x0 kB\nMemAvailable: 50 kB\n");     /* junk in number */
	expect_reject("MemTotal: 100 kB x\nMemAvailable: 50 kB\n");   /* trailing junk */
	expect_reject("MemTotal: 0 kB\nMemAvailable: 0 kB\n");        /* zero total */
	expect_reject("MemTotal: 100 kB\nMemTotal: 100 kB\nMemAvailable: 50 kB\n"); /* duplicate */
	/* Overflow of the number, and of kB -> bytes (2^54 kB = 2^64 bytes). */
	expect_reject("MemTotal: 99999999999999999999 kB\nMemAvailable: 50 kB\n");
	expect_reject("MemTotal: 18014398509481984 kB\nMemAvailable: 50 kB\n");
	/* A line cut by a short read (no newline) must not be trusted. */
	expect_reject("MemTotal: 100 kB\nMemAvailable: 5");
	expect_reject("MemTotal: 100 kB\nMemAvailable: 50 kB");
	/* Keys only at line start. */
	expect_reject("XMemTotal: 100 kB\nMemAvailable: 50 kB\n");
}

static void test_meminfo_parse_edges(void **state)
{
	/* Largest value that still fits after * 1024. */
	const char big[] = "MemAvailable: 18014398509481983 kB\nMemTotal: 1 kB\n";
	const char nul[] = "MemTotal: 1 kB\n\0\nMemAvailable: 2 kB\n";
	uint64_t t = 0, a = 0;

	(void)state;
	assert_int_equal(scrub_meminfo_parse(big, strlen(big), &t, &a), 0);
	assert_true(a == 18014398509481983ull * 1024 && t == 1024);
	/* Embedded NUL bytes are just text that matches nothing. */
	assert_int_equal(scrub_meminfo_parse(nul, sizeof(nul) - 1, &t, &a), 0);
	assert_true(t == 1024 && a == 2048);
	assert_int_equal(scrub_meminfo_parse(NULL, 0, &t, &a), -EINVAL);
}

/* EarlyMemtestBad: present only when the kernel's early memtest ran. Lines
 * from a 6.12 guest booted with memtest=1. */
static void test_memtest_parse(void **state)
{
	static const char ran0[] = "MemTotal:        1015612 kB\nPercpu:              512 kB\n"
	                           "EarlyMemtestBad:       0 kB\nHardwareCorrupted:     0 kB\n";
	static const char ran_bad[] = "EarlyMemtestBad:      12 kB\n";
	static const char twice[] = "EarlyMemtestBad: 0 kB\nEarlyMemtestBad: 0 kB\n";
	static const char garbled[] = "EarlyMemtestBad: x kB\n";
	static const char cut[] = "EarlyMemtestBad:       0 k";
	uint64_t bad = 99;
	int ran = -1;

	(void)state;
	assert_int_equal(scrub_memtest_parse(ran0, sizeof(ran0) - 1, &ran, &bad), 0);
	assert_int_equal(ran, 1);
	assert_true(bad == 0);
	assert_int_equal(scrub_memtest_parse(ran_bad, sizeof(ran_bad) - 1, &ran, &bad), 0);
	assert_int_equal(ran, 1);
	assert_true(bad == 12 * 1024);
	/* Not shown: it did not run (no memtest=, or no CONFIG_MEMTEST). */
	assert_int_equal(scrub_memtest_parse(real_meminfo, sizeof(real_meminfo) - 1, &ran, &bad), 0);
	assert_int_equal(ran, 0);
	assert_true(bad == 0);
	/* A line without its newline may be cut: not counted as ran. */
	assert_int_equal(scrub_memtest_parse(cut, sizeof(cut) - 1, &ran, &bad), 0);
	assert_int_equal(ran, 0);
	assert_int_equal(scrub_memtest_parse(twice, sizeof(twice) - 1, &ran, &bad), -EINVAL);
	assert_int_equal(scrub_memtest_parse(garbled, sizeof(garbled) - 1, &ran, &bad), -EINVAL);
	assert_int_equal(scrub_memtest_parse(NULL, 0, &ran, &bad), -EINVAL);
	assert_int_equal(scrub_memtest_read("/nonexistent/meminfo", &ran, &bad), -ENOENT);
}

static void test_meminfo_read(void **state)
{
	struct fixture *f = *state;
	uint64_t t = 0, a = 0;

	write_meminfo(f, 64 * MiB, 40 * MiB);
	assert_int_equal(scrub_meminfo_read(f->path, &t, &a), 0);
	assert_true(t == 64 * MiB && a == 40 * MiB);
	assert_int_equal(scrub_meminfo_read("/nonexistent/meminfo", &t, &a), -ENOENT);
	/* The real file parses and is plausible. */
	assert_int_equal(scrub_meminfo_read("/proc/meminfo", &t, &a), 0);
	assert_true(t > 0 && a <= t);
	assert_int_equal(count_fds(), f->fds_before);
}

static void test_default_floor(void **state)
{
	(void)state;
	assert_true(scrub_default_floor(0) == 32 * MiB);
	assert_true(scrub_default_floor(1 * GiB) == 32 * MiB);
	assert_true(scrub_default_floor(1600 * MiB) == 32 * MiB); /* crossover: 2 % == 32 MiB */
	assert_true(scrub_default_floor(1650 * MiB) == 33 * MiB);
	assert_true(scrub_default_floor(24 * GiB) == 24 * GiB / 50);
	assert_true(scrub_default_floor(1024 * GiB) == 1024 * GiB / 50);
}

static void test_coverage(void **state)
{
	(void)state;
	assert_int_equal(scrub_coverage_permille(0, 1000), 0);
	assert_int_equal(scrub_coverage_permille(1000, 1000), 1000);
	assert_int_equal(scrub_coverage_permille(900, 1000), 900);
	assert_int_equal(scrub_coverage_permille(999, 1000), 999);
	assert_int_equal(scrub_coverage_permille(9999, 10000), 999); /* rounds down */
	assert_int_equal(scrub_coverage_permille(5, 0), 0);
	/* 23.5 of 24 GiB */
	assert_int_equal(scrub_coverage_permille(24064 * MiB, 24 * GiB), 979);
	/* No overflow where bytes * 1000 would wrap 64 bits. */
	assert_int_equal(scrub_coverage_permille(1ull << 62, 1ull << 62), 1000);
	assert_int_equal(scrub_coverage_permille(3ull << 60, 1ull << 62), 750);
	assert_int_equal(scrub_coverage_permille(UINT64_MAX - 1, UINT64_MAX), 999);
	assert_int_equal(scrub_coverage_permille(UINT64_MAX, 1), UINT32_MAX);
}

static void test_next_claim(void **state)
{
	const uint64_t pg = 4096;

	(void)state;
	assert_true(scrub_next_claim(10 * MiB, 10 * MiB, 64 * MiB, 1, UINT64_MAX, pg) == 0);
	assert_true(scrub_next_claim(5 * MiB, 10 * MiB, 64 * MiB, 1, UINT64_MAX, pg) == 0);
	assert_true(scrub_next_claim(1 * GiB, 0, 64 * MiB, 1, UINT64_MAX, pg) == 64 * MiB);
	/* 1/workers of the headroom, rounded down to 2 MiB */
	assert_true(scrub_next_claim(110 * MiB, 10 * MiB, 64 * MiB, 4, UINT64_MAX, pg) == 24 * MiB);
	assert_true(scrub_next_claim(1 * GiB, 0, 64 * MiB, 1, 6 * MiB + 4096, pg) == 6 * MiB);
	/* tail below 2 MiB rounds to pages */
	assert_true(scrub_next_claim(10 * MiB + 12345, 10 * MiB, 64 * MiB, 1, UINT64_MAX, pg) == 12288);
	assert_true(scrub_next_claim(10 * MiB + 4095, 10 * MiB, 64 * MiB, 1, UINT64_MAX, pg) == 0);
	assert_true(scrub_next_claim(1 * GiB, 0, 64 * MiB, 0, UINT64_MAX, pg) == 0);
	assert_true(scrub_next_claim(1 * GiB, 0, 64 * MiB, 1, 0, pg) == 0);
}

/* The property the 1/workers rule exists for: even when every worker reads the
 * same MemAvailable and claims at once, the floor is never crossed, and the
 * workers stop within workers * page of it. */
static void test_next_claim_simultaneous(void **state)
{
	static const unsigned counts[] = { 1, 2, 7, 64, 256 };
	const uint64_t pg = 4096, floor = 32 * MiB;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		unsigned n = counts[k];
		uint64_t avail = 100 * GiB + 12345;
		int rounds = 0;

		for (;;) {
			uint64_t claim = scrub_next_claim(avail, floor, 64 * MiB, n, UINT64_MAX, pg);

			if (claim == 0)
				break;
			assert_true(claim * n <= avail - floor);
			avail -= claim * n;
			assert_true(avail >= floor);
			assert_true(++rounds < 100000);
		}
		assert_true(avail - floor < (uint64_t)n * pg + pg);
	}
}

/* ---- the chunk routine ---- */

/* Pages of [p, p+len) that are not backed by a private page of their own
 * (pagemap bits 63 "present" and 56 "exclusively mapped"). The shared zero
 * page, which a read fault maps, is present but never exclusive. */
static size_t pages_not_backed(const unsigned char *p, size_t len)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t i, bad = 0;

	assert_true(fd >= 0);
	for (i = 0; i < len; i += 4096) {
		uint64_t e = 0;
		off_t at = (off_t)(((uintptr_t)p + i) / 4096 * sizeof(e));

		assert_int_equal(pread(fd, &e, sizeof(e), at), (ssize_t)sizeof(e));
		if (!((e >> 63) & 1) || !((e >> 56) & 1))
			bad++;
	}
	assert_int_equal(close(fd), 0);
	return bad;
}

/* Runs before verification: by then the kernel must have backed the whole
 * piece with fresh private pages, without the verifier having read it. */
static void backed_hook(unsigned char *piece, size_t len, unsigned worker, void *arg)
{
	size_t *not_backed = arg;

	(void)worker;
	*not_backed += pages_not_backed(piece, len);
}

static void inject_hook(unsigned char *piece, size_t len, unsigned worker, void *arg)
{
	size_t *offs = arg;

	(void)worker;
	(void)len;
	piece[offs[0]] = 0x5a;
	piece[offs[1]] = 0x01;
}

static void test_span_populates_and_verifies(void **state)
{
	struct scrub_region reg;
	struct scrub_span_result sr;
	const size_t len = 16 * MiB;
	size_t not_backed = 0, offs[2] = { 4097, 2 * MiB - 1 };

	(void)state;
	assert_int_equal(scrub_region_reserve(len, 1, &reg), 0);
	assert_true(((uintptr_t)reg.base % SCRUB_STEP) == 0);
	assert_true(reg.len >= len);
	/* Control: a reserved range is not backed, so the check below can fail. */
	assert_true(pages_not_backed(reg.base, len) == len / 4096);
	assert_int_equal(scrub_span(reg.base, len, backed_hook, 0, &not_backed, &sr), 0);
	assert_true(not_backed == 0);
	assert_true(sr.bad_bytes == 0);
	assert_true(sr.first_bad == SCRUB_NO_OFFSET);
	assert_int_equal(scrub_region_release(&reg), 0);
	assert_null(reg.map);

	/* Every piece gets two bytes injected; offsets are span-relative. */
	assert_int_equal(scrub_region_reserve(len, 0, &reg), 0);
	assert_int_equal(scrub_span(reg.base, len, inject_hook, 0, offs, &sr), 0);
	assert_true(sr.bad_bytes == 2 * (len / SCRUB_STEP));
	assert_true(sr.first_bad == 4097);
	assert_int_equal(scrub_region_release(&reg), 0);
}

static void test_span_rejects_misaligned(void **state)
{
	struct scrub_region reg;
	struct scrub_span_result sr;

	(void)state;
	assert_int_equal(scrub_region_reserve(4 * MiB, 0, &reg), 0);
	assert_int_equal(scrub_span(reg.base + 1, 4096, NULL, 0, NULL, &sr), -EINVAL);
	assert_int_equal(scrub_span(reg.base, 4095, NULL, 0, NULL, &sr), -EINVAL);
	assert_int_equal(scrub_span(NULL, 4096, NULL, 0, NULL, &sr), -EINVAL);
	assert_int_equal(scrub_span(reg.base, 4096, NULL, 0, NULL, NULL), -EINVAL);
	assert_int_equal(scrub_region_release(&reg), 0);
	assert_int_equal(scrub_region_reserve(0, 0, &reg), -EINVAL);
	/* An address range that is not mapped cannot be populated. */
	assert_int_equal(scrub_region_reserve(4 * MiB, 0, &reg), 0);
	{
		unsigned char *base = reg.base;

		assert_int_equal(scrub_region_release(&reg), 0);
		assert_int_equal(scrub_span(base, 4096, NULL, 0, NULL, &sr), -ENOMEM);
	}
}

/* ---- scrub_run with real workers ---- */

static void test_run_floor_one_worker(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct scrub_result r;

	write_meminfo(f, 64 * MiB, 40 * MiB);
	p.workers = 1;
	p.floor_bytes = 8 * MiB;
	p.min_permille = 500;
	assert_int_equal(scrub_run(&p, &r), SCRUB_OK);
	assert_true(r.bytes_scrubbed == 32 * MiB); /* exactly MemAvailable - floor */
	assert_true(r.mem_total == 64 * MiB && r.mem_available == 40 * MiB);
	assert_true(r.floor_bytes == 8 * MiB);
	assert_true(r.min_available == 8 * MiB); /* stopped exactly at the floor */
	assert_int_equal(r.coverage_permille, 500);
	assert_int_equal(r.workers, 1);
	assert_int_equal(r.workers_ok, 1);
	assert_int_equal(r.workers_failed, 0);
	assert_true(r.verify_failures == 0);
	assert_true(r.elapsed_ns > 0 && r.bytes_per_sec > 0);
	assert_clean(f);

	/* Same scrub, one permille short of the requirement. */
	p.min_permille = 501;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_COVERAGE);
	assert_int_equal(r.coverage_permille, 500);
	assert_int_equal(r.workers_failed, 0);
	assert_clean(f);
}

static void test_run_default_floor(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct scrub_result r;

	write_meminfo(f, 64 * MiB, 40 * MiB);
	p.workers = 1;
	p.min_permille = 1;
	assert_int_equal(scrub_run(&p, &r), SCRUB_OK);
	assert_true(r.floor_bytes == 32 * MiB); /* max(32 MiB, 2 % of 64 MiB) */
	assert_true(r.bytes_scrubbed == 8 * MiB);
	assert_int_equal(r.coverage_permille, 125);
	assert_clean(f);
}

static void test_run_below_floor(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct scrub_result r;

	write_meminfo(f, 1 * GiB, 16 * MiB);
	p.workers = 2;
	p.floor_bytes = 32 * MiB;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_COVERAGE);
	assert_true(r.bytes_scrubbed == 0);
	assert_int_equal(r.coverage_permille, 0);
	assert_true(r.min_available == 16 * MiB);
	assert_int_equal(r.workers_ok, 2);
	assert_clean(f);
}

static void test_run_parallel_full_coverage(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct scrub_result r;

	write_meminfo(f, 16 * MiB, 1 * GiB);
	p.workers = 2;
	p.floor_bytes = 1 * MiB;
	p.max_bytes = 16 * MiB;
	p.min_permille = 1000;
	assert_int_equal(scrub_run(&p, &r), SCRUB_OK);
	assert_true(r.bytes_scrubbed == 16 * MiB);
	assert_int_equal(r.coverage_permille, 1000);
	assert_int_equal(r.timeout_ms, 20000);
	assert_int_equal(r.workers, 2);
	assert_int_equal(r.workers_ok, 2);
	assert_int_equal(r.first_bad_worker, -1);
	assert_int_equal(r.worker_err_index, -1);
	assert_clean(f);

	/* Same result without the huge page hint. */
	p.flags = SCRUB_NO_HUGEPAGE;
	assert_int_equal(scrub_run(&p, &r), SCRUB_OK);
	assert_true(r.bytes_scrubbed == 16 * MiB);
	assert_clean(f);
}

static void test_run_caps_workers(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct scrub_result r;

	write_meminfo(f, 1 * GiB, 1 * GiB);
	p.workers = 100000;
	p.max_bytes = 512 * 1024; /* below one page per worker: nobody claims */
	p.min_permille = 1;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_COVERAGE);
	assert_int_equal(r.workers, SCRUB_MAX_WORKERS);
	assert_int_equal(r.workers_ok, SCRUB_MAX_WORKERS);
	assert_true(r.bytes_scrubbed == 0);
	assert_clean(f);
}

struct hook_ctx {
	int mode;
	unsigned worker;
	unsigned call; /* each worker process has its own copy, starting at 0 */
	int pid_pipe[2]; /* HOOK_SIBLING_HOLDS: worker 0 sends its pid to h->worker */
};

enum { HOOK_INJECT_FIRST, HOOK_INJECT_THIRD_LAST, HOOK_SLEEP, HOOK_EXIT, HOOK_KILL, HOOK_CHECK_OOM,
       HOOK_SIBLING_HOLDS };

/* Runs in a slow worker long after worker 0 has finished its small claim:
 * worker 0 must still be alive (holding its memory), not exited or a zombie,
 * because memory it had released could be claimed again and counted twice. */
static void sibling_check(int rfd)
{
	const struct timespec ts = { 0, 300 * 1000 * 1000 };
	char path[64], stat[256];
	pid_t pid0 = 0;
	ssize_t n;
	char *rp;
	int fd;

	nanosleep(&ts, NULL);
	if (read(rfd, &pid0, sizeof(pid0)) != (ssize_t)sizeof(pid0))
		_exit(11);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid0);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		_exit(12);
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		_exit(12);
	stat[n] = 0;
	rp = strrchr(stat, ')');
	if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
		_exit(13);
}

static void test_hook(unsigned char *piece, size_t len, unsigned worker, void *arg)
{
	struct hook_ctx *h = arg;
	const struct timespec ts = { 30, 0 };
	char buf[16] = { 0 };
	FILE *fp;

	h->call++;
	switch (h->mode) {
	case HOOK_INJECT_FIRST:
		if (worker == h->worker && h->call == 1) {
			piece[5000] = 1;
			piece[5001] = 0x80;
		}
		break;
	case HOOK_INJECT_THIRD_LAST:
		if (worker == h->worker && h->call == 3)
			piece[len - 1] = 0xff;
		break;
	case HOOK_SLEEP:
		if (worker == h->worker)
			nanosleep(&ts, NULL);
		break;
	case HOOK_EXIT:
		if (worker == h->worker)
			_exit(7);
		break;
	case HOOK_KILL:
		if (worker == h->worker)
			raise(SIGKILL); /* what the OOM killer does */
		break;
	case HOOK_CHECK_OOM:
		fp = fopen("/proc/self/oom_score_adj", "r");
		if (!fp || !fgets(buf, sizeof(buf), fp) || strcmp(buf, "1000\n") != 0)
			_exit(9);
		fclose(fp);
		break;
	case HOOK_SIBLING_HOLDS:
		if (h->call == 1 && worker == 0) {
			pid_t me = getpid();

			if (write(h->pid_pipe[1], &me, sizeof(me)) != (ssize_t)sizeof(me))
				_exit(10);
		}
		if (h->call == 1 && worker == h->worker)
			sibling_check(h->pid_pipe[0]);
		break;
	}
}

static void test_run_verify_failure(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct hook_ctx h = { .mode = HOOK_INJECT_FIRST, .worker = 1 };
	struct scrub_result r;

	write_meminfo(f, 16 * MiB, 1 * GiB);
	p.workers = 2;
	p.floor_bytes = 1 * MiB;
	p.max_bytes = 16 * MiB;
	p.min_permille = 1;
	p.before_verify = test_hook;
	p.hook_arg = &h;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_VERIFY);
	assert_true(r.verify_failures == 2);
	assert_int_equal(r.first_bad_worker, 1);
	assert_true(r.first_bad_offset == 5000);
	if (r.first_bad_phys != SCRUB_NO_OFFSET)
		assert_true(r.first_bad_phys % 4096 == 5000 % 4096);
	assert_clean(f);

	/* Offsets accumulate across claims: the third piece of worker 0 starts at
	 * 4 MiB (second 4 MiB claim); its last byte is 6 MiB - 1. */
	h.mode = HOOK_INJECT_THIRD_LAST;
	h.worker = 0;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_VERIFY);
	assert_true(r.verify_failures == 1);
	assert_int_equal(r.first_bad_worker, 0);
	assert_true(r.first_bad_offset == 6 * MiB - 1);
	assert_clean(f);
}

static void test_run_timeout(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct hook_ctx h = { .mode = HOOK_SLEEP, .worker = 0 };
	struct scrub_result r;

	write_meminfo(f, 16 * MiB, 1 * GiB);
	p.workers = 2;
	p.floor_bytes = 1 * MiB;
	p.max_bytes = 16 * MiB;
	p.min_permille = 1;
	p.timeout_ms = 300;
	p.before_verify = test_hook;
	p.hook_arg = &h;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_TIMEOUT);
	assert_int_equal(r.workers_timed_out, 1);
	assert_int_equal(r.workers_failed, 1);
	assert_int_equal(r.workers_ok, 1);
	assert_int_equal(r.worker_err_index, 0);
	assert_int_equal(r.worker_err_signal, SIGKILL);
	assert_true(r.bytes_scrubbed == 8 * MiB); /* worker 1 only */
	assert_true(r.elapsed_ns >= 300ull * 1000000 && r.elapsed_ns < 10ull * 1000000000);
	assert_clean(f);
}

static void test_run_worker_dies(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct hook_ctx h = { .mode = HOOK_EXIT, .worker = 1 };
	struct scrub_result r;

	write_meminfo(f, 16 * MiB, 1 * GiB);
	p.workers = 2;
	p.floor_bytes = 1 * MiB;
	p.max_bytes = 16 * MiB;
	p.min_permille = 1;
	p.before_verify = test_hook;
	p.hook_arg = &h;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_WORKER);
	assert_int_equal(r.workers_failed, 1);
	assert_int_equal(r.worker_err_index, 1);
	assert_int_equal(r.worker_err_stage, SCRUB_STAGE_EXIT);
	assert_int_equal(r.worker_err_exit, 7);
	assert_int_equal(r.worker_err_signal, 0);
	assert_true(r.bytes_scrubbed == 8 * MiB);
	assert_clean(f);

	h.mode = HOOK_KILL;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_WORKER);
	assert_int_equal(r.worker_err_signal, SIGKILL);
	assert_int_equal(r.workers_timed_out, 0);
	assert_clean(f);
}

/* No worker lets go of its claim before every worker has reported. */
static void test_run_workers_hold_until_all_reported(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct hook_ctx h = { .mode = HOOK_SIBLING_HOLDS, .worker = 1, .pid_pipe = { -1, -1 } };
	struct scrub_result r;

	assert_int_equal(pipe(h.pid_pipe), 0);
	write_meminfo(f, 16 * MiB, 1 * GiB);
	p.workers = 2;
	p.floor_bytes = 1 * MiB;
	p.max_bytes = 4 * MiB;
	p.min_permille = 1;
	p.before_verify = test_hook;
	p.hook_arg = &h;
	assert_int_equal(scrub_run(&p, &r), SCRUB_OK);
	assert_int_equal(r.workers_ok, 2);
	assert_true(r.bytes_scrubbed == 4 * MiB);
	assert_int_equal(close(h.pid_pipe[0]), 0);
	assert_int_equal(close(h.pid_pipe[1]), 0);
	assert_clean(f);
}

static void test_run_worker_oom_adj(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct hook_ctx h = { .mode = HOOK_CHECK_OOM, .worker = 0 };
	struct scrub_result r;
	char before[16] = { 0 }, after[16] = { 0 };
	FILE *fp;

	fp = fopen("/proc/self/oom_score_adj", "r");
	assert_non_null(fp);
	assert_non_null(fgets(before, sizeof(before), fp));
	fclose(fp);
	write_meminfo(f, 16 * MiB, 1 * GiB);
	p.workers = 2;
	p.floor_bytes = 1 * MiB;
	p.max_bytes = 16 * MiB;
	p.min_permille = 1000;
	p.before_verify = test_hook;
	p.hook_arg = &h;
	assert_int_equal(scrub_run(&p, &r), SCRUB_OK);
	assert_int_equal(r.workers_ok, 2);
	/* The parent's own value is untouched. */
	fp = fopen("/proc/self/oom_score_adj", "r");
	assert_non_null(fp);
	assert_non_null(fgets(after, sizeof(after), fp));
	fclose(fp);
	assert_string_equal(before, after);
	assert_clean(f);
}

static void test_oom_protect_self(void **state)
{
	char before[16] = { 0 }, now[16] = { 0 };
	FILE *fp;
	int rc;

	(void)state;
	fp = fopen("/proc/self/oom_score_adj", "r");
	assert_non_null(fp);
	assert_non_null(fgets(before, sizeof(before), fp));
	fclose(fp);
	rc = scrub_oom_protect_self();
	if (rc == -EACCES) {
		skip(); /* lowering needs CAP_SYS_RESOURCE */
		return;
	}
	assert_int_equal(rc, 0);
	fp = fopen("/proc/self/oom_score_adj", "r");
	assert_non_null(fp);
	assert_non_null(fgets(now, sizeof(now), fp));
	fclose(fp);
	assert_string_equal(now, "-1000\n");
	/* Restore: raising is always allowed. */
	fp = fopen("/proc/self/oom_score_adj", "w");
	assert_non_null(fp);
	assert_true(fputs(before, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void test_run_real_meminfo(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p;
	struct scrub_result r;
	uint64_t t = 0, a = 0;

	memset(&p, 0, sizeof(p));
	p.workers = 2;
	p.max_bytes = 32 * MiB; /* never more than this of the host's RAM */
	p.min_permille = 1000;
	assert_int_equal(scrub_meminfo_read("/proc/meminfo", &t, &a), 0);
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_COVERAGE);
	assert_true(r.mem_total == t);
	assert_true(r.floor_bytes == scrub_default_floor(t));
	assert_int_equal(r.timeout_ms, SCRUB_TIMEOUT_BASE_MS + (t >> 30) * SCRUB_TIMEOUT_MS_PER_GIB);
	assert_true(r.bytes_scrubbed == 32 * MiB);
	assert_true(r.coverage_permille == scrub_coverage_permille(32 * MiB, t));
	assert_int_equal(r.workers_ok, 2);
	assert_clean(f);
}

static void test_run_bad_params(void **state)
{
	struct fixture *f = *state;
	struct scrub_params p = small_params(f);
	struct scrub_result r;

	write_meminfo(f, 16 * MiB, 1 * GiB);
	assert_int_equal(scrub_run(NULL, &r), SCRUB_ERR_PARAM);
	assert_int_equal(r.worker_err_index, -1);
	assert_true(r.min_available == UINT64_MAX);
	assert_int_equal(scrub_run(&p, NULL), SCRUB_ERR_PARAM);
	p.min_permille = 1001;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_PARAM);
	p.min_permille = 0;
	p.chunk_bytes = 4096 + 1;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_PARAM);
	p.chunk_bytes = 512;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_PARAM);
	p.chunk_bytes = 0;
	p.flags = 0x80;
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_PARAM);
	p.flags = 0;
	p.meminfo_path = "/nonexistent/meminfo";
	assert_int_equal(scrub_run(&p, &r), SCRUB_ERR_MEMINFO);
	assert_clean(f);
	assert_string_equal(scrub_strerror(SCRUB_ERR_COVERAGE), "scrub coverage below the required minimum");
	assert_string_equal(scrub_stage_name(SCRUB_STAGE_POPULATE), "populate");
	assert_string_equal(scrub_strerror(12345), "unknown scrub error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo_parse_real),
		cmocka_unit_test(test_meminfo_parse_rejects),
		cmocka_unit_test(test_meminfo_parse_edges),
		cmocka_unit_test(test_memtest_parse),
		cmocka_unit_test_setup_teardown(test_meminfo_read, setup, teardown),
		cmocka_unit_test(test_default_floor),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_next_claim),
		cmocka_unit_test(test_next_claim_simultaneous),
		cmocka_unit_test(test_span_populates_and_verifies),
		cmocka_unit_test(test_span_rejects_misaligned),
		cmocka_unit_test_setup_teardown(test_run_floor_one_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_default_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_below_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_parallel_full_coverage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_caps_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_verify_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_worker_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_workers_hold_until_all_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_worker_oom_adj, setup, teardown),
		cmocka_unit_test(test_oom_protect_self),
		cmocka_unit_test_setup_teardown(test_run_real_meminfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_bad_params, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

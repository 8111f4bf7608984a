/* SPDX-License-Identifier: GPL-2.0-only */
/* Benchmark for src/init/scrub.c. Baseline measured in the same run: memset
 * of fresh anonymous mappings (what a naive scrubber does), against the
 * scrubber's chunk routine (populate by write faults + read-back verify),
 * each with N processes (online CPUs) and with 1, over the same total size.
 *
 * usage: bench_scrub [total_MiB (2048)] [reps (5)] [--no-thp]
 * Prints "bench scrub: ..." lines; ratios are scrub/memset of the medians.
 * One unmeasured warm-up round first; then rounds interleave all four cases
 * so a neighbour's load (or a hypervisor backing guest RAM on first touch)
 * hits both sides alike. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
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
#define MAX_REPS 25
#define MAX_PROCS 256

enum mode { MODE_MEMSET, MODE_SCRUB, MODE_COUNT };
static const char *const mode_name[MODE_COUNT] = { "memset", "scrub" };

static double now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fresh 64 MiB mappings, THP hint like the scrubber, memset to zero, all held
 * until the end (as a scrubber must), then unmapped. */
static int child_memset(uint64_t bytes, int thp)
{
	size_t n = (size_t)((bytes + SCRUB_DEFAULT_CHUNK - 1) / SCRUB_DEFAULT_CHUNK);
	void **maps = calloc(n ? n : 1, sizeof(*maps));
	uint64_t done = 0;
	size_t i;

	if (!maps)
		return 1;
	for (i = 0; i < n; i++) {
		size_t len = (size_t)(bytes - done < SCRUB_DEFAULT_CHUNK ? bytes - done : SCRUB_DEFAULT_CHUNK);

		maps[i] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED)
			return 1;
		if (thp)
			(void)madvise(maps[i], len, MADV_HUGEPAGE);
		memset(maps[i], 0, len);
		/* Keep the compiler from treating the stores as dead. */
		__asm__ volatile("" : : "r"(maps[i]) : "memory");
		done += len;
	}
	done = 0;
	for (i = 0; i < n; i++) {
		size_t len = (size_t)(bytes - done < SCRUB_DEFAULT_CHUNK ? bytes - done : SCRUB_DEFAULT_CHUNK);

		if (munmap(maps[i], len) != 0)
			return 1;
		done += len;
	}
	free(maps);
	return 0;
}

/* What a scrub worker does per claim: read MemAvailable, scrub_span. */
static int child_scrub(uint64_t bytes, int thp)
{
	struct scrub_region reg;
	uint64_t off, total, avail;

	if (scrub_region_reserve(bytes, thp, &reg) != 0)
		return 1;
	for (off = 0; off < bytes; off += SCRUB_DEFAULT_CHUNK) {
		struct scrub_span_result sr;
		uint64_t len = bytes - off < SCRUB_DEFAULT_CHUNK ? bytes - off : SCRUB_DEFAULT_CHUNK;

		if (scrub_meminfo_read("/proc/meminfo", &total, &avail) != 0)
			return 1;
		if (scrub_span(reg.base + off, (size_t)len, NULL, 0, NULL, &sr) != 0)
			return 1;
		if (sr.bad_bytes != 0)
			return 2;
	}
	return scrub_region_release(&reg) != 0;
}

/* GiB/s for `total` bytes split over `procs` processes, fork to last reap. */
static double run(enum mode m, unsigned procs, uint64_t total, uint64_t page, int thp)
{
	pid_t pids[MAX_PROCS];
	uint64_t per = total / procs / page * page;
	double t0, t1;
	unsigned i;
	int failed = 0;

	t0 = now_s();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			exit(1);
		}
		if (pids[i] == 0)
			_exit(m == MODE_MEMSET ? child_memset(per, thp) : child_scrub(per, thp));
	}
	for (i = 0; i < procs; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	t1 = now_s();
	if (failed) {
		fprintf(stderr, "bench scrub: a %s child failed\n", mode_name[m]);
		exit(1);
	}
	return (double)(per * procs) / (double)GiB / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}


int main(int argc, char **argv)
{
	static double res[2][MODE_COUNT][MAX_REPS];
	double med[2][MODE_COUNT];
	uint64_t total = 2048 * MiB, page;
	unsigned reps = 5, cpus, procs[2], r, k, mode;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), ps = sysconf(_SC_PAGESIZE);
	int thp = 1, pos = 0, i;
	struct scrub_params sp;
	struct scrub_result sr;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-thp") == 0) {
			thp = 0;
		} else if (pos == 0) {
			total = strtoull(argv[i], NULL, 10) * MiB;
			pos++;
		} else {
			reps = (unsigned)strtoul(argv[i], NULL, 10);
		}
	}
	if (ncpu < 1 || ps < 1 || total < 64 * MiB || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [total_MiB >= 64] [reps 1..%d] [--no-thp]\n", argv[0], MAX_REPS);
		return 2;
	}
	cpus = ncpu > MAX_PROCS ? MAX_PROCS : (unsigned)ncpu;
	page = (uint64_t)ps;
	procs[0] = cpus;
	procs[1] = 1;
	printf("bench scrub: total %llu MiB, %u reps, N=%u online CPUs, chunk %llu MiB, step %llu MiB, THP hint %s\n",
	       (unsigned long long)(total / MiB), reps, cpus, (unsigned long long)(SCRUB_DEFAULT_CHUNK / MiB),
	       (unsigned long long)(SCRUB_STEP / MiB), thp ? "on" : "off");

	for (k = 0; k < 2; k++)
		for (mode = 0; mode < MODE_COUNT; mode++)
			(void)run((enum mode)mode, procs[k], total, page, thp);
	for (r = 0; r < reps; r++)
		for (k = 0; k < 2; k++)
			for (mode = 0; mode < MODE_COUNT; mode++)
				res[k][mode][r] = run((enum mode)mode, procs[k], total, page, thp);

	for (k = 0; k < 2; k++) {
		for (mode = 0; mode < MODE_COUNT; mode++) {
			/* median() sorts, so min and max are the ends afterwards. */
			med[k][mode] = median(res[k][mode], reps);
			printf("bench scrub: %-6s N=%-3u %6.2f GiB/s (median of %u; min %.2f, max %.2f)\n",
			       mode_name[mode], procs[k], med[k][mode], reps, res[k][mode][0],
			       res[k][mode][reps - 1]);
		}
	}
	for (k = 0; k < 2; k++)
		printf("bench scrub: ratio scrub/memset N=%u: %.2f%s\n", procs[k],
		       med[k][MODE_SCRUB] / med[k][MODE_MEMSET], k == 0 ? " (goal >= 0.90)" : "");

	/* The whole thing as /init runs it (fork, oom_score_adj, pipes, reaping),
	 * capped at the same total; coverage is meaningless here. */
	memset(&sp, 0, sizeof(sp));
	sp.max_bytes = total;
	sp.min_permille = 1;
	sp.flags = thp ? 0 : SCRUB_NO_HUGEPAGE;
	r = (unsigned)scrub_run(&sp, &sr);
	printf("bench scrub: scrub_run N=%u %.2f GiB/s, %llu MiB in %.3f s, result %s, %llu nonzero bytes\n",
	       sr.workers, (double)sr.bytes_per_sec / (double)GiB, (unsigned long long)(sr.bytes_scrubbed / MiB),
	       (double)sr.elapsed_ns / 1e9, scrub_strerror((int)r), (unsigned long long)sr.verify_failures);
	return (int)r == SCRUB_OK ? 0 : 1;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* RAM scrubber run by /init before any network traffic: claims all free RAM
 * (down to a floor) in forked worker processes so the kernel hands every free
 * page out zero-filled, verifies every byte reads zero, and reports coverage.
 * docs/scrub.md gives the coverage argument and the measured figures. */
#ifndef AIRLOCK_SCRUB_H
#define AIRLOCK_SCRUB_H

#include <stddef.h>
#include <stdint.h>

/* Worker processes are capped so the parent's fixed arrays stay small. */
#define SCRUB_MAX_WORKERS 256u
#define SCRUB_DEFAULT_CHUNK (64ull << 20)
#define SCRUB_DEFAULT_MIN_PERMILLE 900u
/* Default time limit: 60 s + 1 s per GiB of MemTotal, i.e. it assumes at
 * least 1 GiB/s aggregate (docs/scrub.md has the measured figures). */
#define SCRUB_TIMEOUT_BASE_MS 60000u
#define SCRUB_TIMEOUT_MS_PER_GIB 1000u
/* Default floor: max(SCRUB_FLOOR_MIN, MemTotal / SCRUB_FLOOR_DIVISOR), i.e. 2 %. */
#define SCRUB_FLOOR_MIN (32ull << 20)
#define SCRUB_FLOOR_DIVISOR 50u
/* How long reaping may take after the workers finished or were killed. */
#define SCRUB_REAP_GRACE_MS 30000u
/* Populate and verify in steps of one PMD-sized huge page so each step is
 * verified while the kernel's zeroing of it is still in the CPU caches. */
#define SCRUB_STEP (2ull << 20)
#define SCRUB_NO_OFFSET UINT64_MAX

enum scrub_err {
	SCRUB_OK = 0,
	SCRUB_ERR_PARAM = -1,    /* bad scrub_params */
	SCRUB_ERR_MEMINFO = -2,  /* meminfo unreadable or malformed in the parent */
	SCRUB_ERR_CLOCK = -3,    /* clock_gettime failed */
	SCRUB_ERR_SPAWN = -4,    /* pipe or fork failed; started workers were killed */
	SCRUB_ERR_WAIT = -5,     /* poll/read/kill/waitpid failed or a worker could not be reaped */
	SCRUB_ERR_VERIFY = -6,   /* a byte read back nonzero */
	SCRUB_ERR_TIMEOUT = -7,  /* a worker exceeded timeout_ms and was killed */
	SCRUB_ERR_WORKER = -8,   /* a worker failed, crashed or was killed (e.g. by the OOM killer) */
	SCRUB_ERR_COVERAGE = -9, /* everything worked but coverage < min_permille */
};

/* Where a worker failed (scrub_result.worker_err_stage). */
enum scrub_stage {
	SCRUB_STAGE_NONE = 0,
	SCRUB_STAGE_OOM_ADJ,  /* writing 1000 to /proc/self/oom_score_adj */
	SCRUB_STAGE_MEMINFO,  /* reading meminfo */
	SCRUB_STAGE_MMAP,     /* reserving the address range */
	SCRUB_STAGE_POPULATE, /* MADV_POPULATE_WRITE (needs Linux >= 5.14) */
	SCRUB_STAGE_MUNMAP,   /* releasing the range */
	SCRUB_STAGE_REPORT,   /* writing the report to the pipe */
	SCRUB_STAGE_EXIT,     /* no report, bad report, signal or nonzero exit status */
};

/* Runs in the worker after a piece of memory has been populated and before it
 * is verified. For tests (inject a nonzero byte, hang, die); NULL in /init. */
typedef void (*scrub_hook)(unsigned char *piece, size_t len, unsigned worker, void *arg);

/* scrub_params.flags */
#define SCRUB_NO_HUGEPAGE 0x1u /* do not ask for THP (see docs/scrub.md: 6.12 zeroes THPs twice
                                * under init_on_alloc=1) */

/* Zero means "default" for every field. */
struct scrub_params {
	unsigned min_permille;    /* required coverage of MemTotal, 1..1000; default 900 */
	unsigned workers;         /* default: online CPUs; capped at SCRUB_MAX_WORKERS */
	unsigned timeout_ms;      /* limit on each worker's lifetime (all start together);
	                           * default 60 s + 1 s per GiB of MemTotal */
	uint64_t floor_bytes;     /* stop when MemAvailable would drop below; default max(32 MiB, 2 %) */
	uint64_t chunk_bytes;     /* largest claim per step, multiple of the page size; default 64 MiB */
	uint64_t max_bytes;       /* cap on total bytes claimed (tests, benchmarks); 0 = no cap */
	unsigned flags;           /* SCRUB_NO_HUGEPAGE */
	const char *meminfo_path; /* default "/proc/meminfo"; tests pass a fake file */
	scrub_hook before_verify; /* test hook, see above */
	void *hook_arg;
};

struct scrub_result {
	uint64_t bytes_scrubbed;      /* claimed, zero-filled by the kernel and verified, by successful workers */
	uint64_t mem_total;           /* MemTotal in bytes, read at the start */
	uint64_t mem_available;       /* MemAvailable in bytes, read at the start */
	uint64_t floor_bytes;         /* floor actually used */
	unsigned timeout_ms;          /* time limit actually used */
	uint64_t min_available;       /* lowest MemAvailable a worker saw when it stopped: free
	                               * memory left unclaimed (UINT64_MAX if no report) */
	uint32_t coverage_permille;   /* bytes_scrubbed * 1000 / mem_total */
	uint64_t elapsed_ns;          /* CLOCK_MONOTONIC, first fork to last reap */
	uint64_t bytes_per_sec;       /* bytes_scrubbed / elapsed */
	unsigned workers;             /* workers started */
	unsigned workers_ok;
	unsigned workers_failed;      /* includes timed-out workers */
	unsigned workers_timed_out;
	uint64_t verify_failures;     /* nonzero bytes found, all workers */
	int first_bad_worker;         /* -1 if none */
	uint64_t first_bad_offset;    /* byte offset in that worker's claimed memory, or SCRUB_NO_OFFSET */
	uint64_t first_bad_phys;      /* physical address if pagemap told us, else SCRUB_NO_OFFSET */
	int worker_err_index;         /* first failed worker, -1 if none */
	int worker_err_stage;         /* enum scrub_stage */
	int worker_err_errno;         /* errno at that stage, 0 if none */
	int worker_err_signal;        /* terminating signal (SIGKILL: OOM killer or our timeout), 0 if none */
	int worker_err_exit;          /* exit status if it exited, else -1 */
};

/* Runs the scrub. Fills *r on every path where r != NULL. Returns SCRUB_OK or
 * a negative enum scrub_err; the caller stops the boot on any error.
 * Caller's duties (PID 1): /proc mounted; scrub_oom_protect_self() called
 * first; SIGCHLD neither ignored nor reaped by a handler that waits on -1
 * while this runs; no other children that it depends on being memory-hungry. */
int scrub_run(const struct scrub_params *p, struct scrub_result *r);

/* Writes -1000 to /proc/self/oom_score_adj so the OOM killer never picks the
 * caller; workers raise theirs to 1000. 0 or -errno. */
int scrub_oom_protect_self(void);

const char *scrub_strerror(int err);
const char *scrub_stage_name(int stage);

/* Building blocks, exposed for the unit tests and the benchmark. */

/* Parses MemTotal and MemAvailable (bytes) from /proc/meminfo text. Only
 * complete lines count; each key must appear once, in kB. 0 or -EINVAL. */
int scrub_meminfo_parse(const char *buf, size_t len, uint64_t *total, uint64_t *avail);
/* Reads the file with open/read only (no stdio, no heap). 0 or -errno. */
int scrub_meminfo_read(const char *path, uint64_t *total, uint64_t *avail);

/* The kernel's early memtest (memtest=N, CONFIG_MEMTEST) shows
 * "EarlyMemtestBad: N kB" in /proc/meminfo only when it ran. *ran: whether the
 * line is there; *bad: bytes it found bad and reserved (0 if it did not run).
 * 0, or -EINVAL for a malformed or repeated line, or -errno. */
int scrub_memtest_parse(const char *buf, size_t len, int *ran, uint64_t *bad);
int scrub_memtest_read(const char *path, int *ran, uint64_t *bad);

uint64_t scrub_default_floor(uint64_t mem_total);
uint32_t scrub_coverage_permille(uint64_t bytes, uint64_t mem_total);
/* Size of the next claim: 0 to stop. Takes at most 1/workers of the headroom
 * above the floor so workers reading MemAvailable at the same moment cannot
 * together overshoot it; rounded down to SCRUB_STEP, or to page for the tail. */
uint64_t scrub_next_claim(uint64_t avail, uint64_t floor, uint64_t chunk, unsigned workers,
                          uint64_t remaining, uint64_t page);

/* An address range reserved (not yet backed) for claiming, SCRUB_STEP-aligned,
 * with MADV_HUGEPAGE requested when hugepage != 0. */
struct scrub_region {
	void *map;
	size_t map_len;
	unsigned char *base;
	size_t len;
};
int scrub_region_reserve(uint64_t len, int hugepage, struct scrub_region *reg);
int scrub_region_release(struct scrub_region *reg);

struct scrub_span_result {
	uint64_t bad_bytes;
	uint64_t first_bad; /* offset in the span, or SCRUB_NO_OFFSET */
};
/* The chunk routine: makes the kernel back [span, span+len) with fresh pages
 * (write faults, which zero them) and reads every byte back. span and len must
 * be page-aligned. 0, or -errno if population failed. */
int scrub_span(unsigned char *span, size_t len, scrub_hook hook, unsigned worker, void *arg,
               struct scrub_span_result *sr);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* RAM scrubber: see scrub.h for the interface and docs/scrub.md for why it is
 * built this way (no explicit writes, forked workers, floor, coverage). */
#define _GNU_SOURCE
#include "scrub.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux >= 5.14; older headers lack it */
#endif

#define SCRUB_REPORT_MAGIC 0x53435242u
#define SCRUB_MEMINFO_BUF 4096u
#define SCRUB_VERIFY_BLOCK 4096u
#define SCRUB_REAP_POLL_NS 1000000L
#define NS_PER_MS 1000000ull
#define NS_PER_SEC 1000000000ull

/* What a worker sends through its pipe: one write, at most PIPE_BUF bytes, so
 * the parent sees all of it or none of it. */
struct scrub_report {
	uint32_t magic;
	int32_t stage;
	int32_t err;
	uint32_t reserved;
	uint64_t bytes;
	uint64_t last_avail;
	uint64_t bad_bytes;
	uint64_t first_bad;
	uint64_t first_bad_phys;
};
_Static_assert(sizeof(struct scrub_report) <= PIPE_BUF, "report must be written atomically");

struct scrub_cfg {
	uint64_t floor;
	uint64_t chunk;
	uint64_t per_worker_cap;
	uint64_t page;
	unsigned workers;
	unsigned timeout_ms;
	unsigned min_permille;
	int hugepage;
	const char *meminfo_path;
	scrub_hook hook;
	void *hook_arg;
	int release_fd; /* workers: read end; EOF means every report is in */
};

struct scrub_worker {
	pid_t pid;
	int fd;
	int have_report;
	int bad_report;
	int reaped;
	int lost; /* waitpid said ECHILD: someone else reaped it, status unknown */
	int timed_out;
	int status;
	struct scrub_report rep;
};

/* Reads through a may_alias type so verifying memory that a hook wrote as
 * bytes is defined behaviour; 16-byte vectors (SSE2 / NEON, or split by the
 * compiler) so the check keeps up with memory read from cache. */
typedef uint64_t scrub_vec __attribute__((__vector_size__(16), __may_alias__));

static const char default_meminfo[] = "/proc/meminfo";
static const char oom_adj_path[] = "/proc/self/oom_score_adj";

const char *scrub_strerror(int err)
{
	switch (err) {
	case SCRUB_OK: return "ok";
	case SCRUB_ERR_PARAM: return "invalid scrub parameters";
	case SCRUB_ERR_MEMINFO: return "cannot read MemTotal/MemAvailable from meminfo";
	case SCRUB_ERR_CLOCK: return "clock_gettime(CLOCK_MONOTONIC) failed";
	case SCRUB_ERR_SPAWN: return "cannot start scrub workers (pipe or fork failed)";
	case SCRUB_ERR_WAIT: return "lost track of scrub workers (poll, read, kill or waitpid failed)";
	case SCRUB_ERR_VERIFY: return "memory verification failed: a byte read back nonzero";
	case SCRUB_ERR_TIMEOUT: return "a scrub worker exceeded the time limit and was killed";
	case SCRUB_ERR_WORKER: return "a scrub worker failed or was killed";
	case SCRUB_ERR_COVERAGE: return "scrub coverage below the required minimum";
	default: return "unknown scrub error";
	}
}

const char *scrub_stage_name(int stage)
{
	switch (stage) {
	case SCRUB_STAGE_NONE: return "none";
	case SCRUB_STAGE_OOM_ADJ: return "oom_score_adj";
	case SCRUB_STAGE_MEMINFO: return "meminfo";
	case SCRUB_STAGE_MMAP: return "mmap";
	case SCRUB_STAGE_POPULATE: return "populate";
	case SCRUB_STAGE_MUNMAP: return "munmap";
	case SCRUB_STAGE_REPORT: return "report";
	case SCRUB_STAGE_EXIT: return "exit";
	default: return "unknown";
	}
}

/* Parses " <digits> kB" (the text after the key) into bytes. */
static int parse_kb_value(const char *s, size_t len, uint64_t *bytes)
{
	size_t pos = 0;
	uint64_t v = 0;
	size_t digits = 0;

	while (pos < len && s[pos] == ' ')
		pos++;
	while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
		unsigned d = (unsigned)(s[pos] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		pos++;
		digits++;
	}
	if (digits == 0)
		return -EINVAL;
	if (pos + 3 != len || memcmp(s + pos, " kB", 3) != 0)
		return -EINVAL;
	if (v > UINT64_MAX / 1024)
		return -EINVAL;
	*bytes = v * 1024;
	return 0;
}

/* If line starts with key, parses its value into *out; rejects a repeated key. */
static int match_key(const char *line, size_t len, const char *key, uint64_t *out, int *seen)
{
	size_t klen = strlen(key);
	int rc;

	if (len < klen || memcmp(line, key, klen) != 0)
		return 0;
	if (*seen)
		return -EINVAL;
	rc = parse_kb_value(line + klen, len - klen, out);
	if (rc != 0)
		return rc;
	*seen = 1;
	return 0;
}

/* Scans the complete lines of buf for key; each key must appear at most once.
 * A line without its newline may be cut mid-number: it is ignored. */
static int find_key(const char *buf, size_t len, const char *key, uint64_t *out, int *seen)
{
	size_t pos = 0;

	*seen = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen;
		int rc;

		if (!nl)
			break;
		llen = (size_t)(nl - (buf + pos));
		rc = match_key(buf + pos, llen, key, out, seen);
		if (rc != 0)
			return rc;
		pos += llen + 1;
	}
	return 0;
}

int scrub_meminfo_parse(const char *buf, size_t len, uint64_t *total, uint64_t *avail)
{
	int seen_total = 0, seen_avail = 0;
	uint64_t t = 0, a = 0;

	if (!buf || !total || !avail)
		return -EINVAL;
	if (find_key(buf, len, "MemTotal:", &t, &seen_total) != 0 ||
	    find_key(buf, len, "MemAvailable:", &a, &seen_avail) != 0)
		return -EINVAL;
	if (!seen_total || !seen_avail || t == 0)
		return -EINVAL;
	*total = t;
	*avail = a;
	return 0;
}

/* Reads up to cap bytes of path with open/read only (no stdio, no heap). */
static int read_text(const char *path, char *buf, size_t cap, size_t *used)
{
	int fd;
	int rc = 0;

	*used = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (*used < cap) {
		ssize_t n = read(fd, buf + *used, cap - *used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		*used += (size_t)n;
	}
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int scrub_meminfo_read(const char *path, uint64_t *total, uint64_t *avail)
{
	char buf[SCRUB_MEMINFO_BUF];
	size_t used;
	int rc = read_text(path, buf, sizeof(buf), &used);

	return rc != 0 ? rc : scrub_meminfo_parse(buf, used, total, avail);
}

int scrub_memtest_parse(const char *buf, size_t len, int *ran, uint64_t *bad)
{
	uint64_t b = 0;
	int seen = 0;

	if (!buf || !ran || !bad)
		return -EINVAL;
	if (find_key(buf, len, "EarlyMemtestBad:", &b, &seen) != 0)
		return -EINVAL;
	*ran = seen;
	*bad = seen ? b : 0;
	return 0;
}

int scrub_memtest_read(const char *path, int *ran, uint64_t *bad)
{
	char buf[SCRUB_MEMINFO_BUF];
	size_t used;
	int rc = read_text(path, buf, sizeof(buf), &used);

	return rc != 0 ? rc : scrub_memtest_parse(buf, used, ran, bad);
}

uint64_t scrub_default_floor(uint64_t mem_total)
{
	uint64_t scaled = mem_total / SCRUB_FLOOR_DIVISOR;

	return scaled > SCRUB_FLOOR_MIN ? scaled : SCRUB_FLOOR_MIN;
}

uint32_t scrub_coverage_permille(uint64_t bytes, uint64_t mem_total)
{
	uint64_t q, rem, pm;

	if (mem_total == 0)
		return 0;
	/* Split so bytes * 1000 cannot overflow; rounds down, exactly. */
	q = bytes / mem_total;
	rem = bytes % mem_total;
	if (q > UINT32_MAX / 1000)
		return UINT32_MAX;
#ifdef __SIZEOF_INT128__
	pm = q * 1000 + (uint64_t)((unsigned __int128)rem * 1000 / mem_total);
#else
	/* Only totals above 16 PiB get here scaled, off by at most one permille. */
	while (rem > UINT64_MAX / 1000) {
		rem >>= 1;
		mem_total >>= 1;
	}
	pm = q * 1000 + rem * 1000 / mem_total;
#endif
	return pm > UINT32_MAX ? UINT32_MAX : (uint32_t)pm;
}

uint64_t scrub_next_claim(uint64_t avail, uint64_t floor, uint64_t chunk, unsigned workers,
                          uint64_t remaining, uint64_t page)
{
	uint64_t claim;

	if (workers == 0 || page == 0 || avail <= floor)
		return 0;
	claim = (avail - floor) / workers;
	if (claim > chunk)
		claim = chunk;
	if (claim > remaining)
		claim = remaining;
	if (claim >= SCRUB_STEP && SCRUB_STEP % page == 0)
		claim -= claim % SCRUB_STEP;
	else
		claim -= claim % page;
	return claim;
}

static uint64_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 0;
}

int scrub_region_reserve(uint64_t len, int hugepage, struct scrub_region *reg)
{
	uint64_t rounded;
	void *m;
	uintptr_t base;

	if (!reg)
		return -EINVAL;
	memset(reg, 0, sizeof(*reg));
	if (len == 0 || len > SIZE_MAX - 2 * SCRUB_STEP)
		return -EINVAL;
	rounded = (len + SCRUB_STEP - 1) & ~(SCRUB_STEP - 1);
	/* MAP_NORESERVE: only the pages we populate count, so a worker can reserve
	 * for all it might claim without tripping heuristic overcommit. One extra
	 * step of slack lets the base be huge-page aligned; it is never touched. */
	m = mmap(NULL, (size_t)rounded + SCRUB_STEP, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	base = ((uintptr_t)m + SCRUB_STEP - 1) & ~(uintptr_t)(SCRUB_STEP - 1);
	/* A hint only: without THP (EINVAL) the scrub is slower, never less
	 * complete, so its result is deliberately discarded. */
	if (hugepage)
		(void)madvise((void *)base, (size_t)rounded, MADV_HUGEPAGE);
	reg->map = m;
	reg->map_len = (size_t)rounded + SCRUB_STEP;
	reg->base = (unsigned char *)base;
	reg->len = (size_t)rounded;
	return 0;
}

int scrub_region_release(struct scrub_region *reg)
{
	int rc = 0;

	if (!reg || !reg->map)
		return 0;
	if (munmap(reg->map, reg->map_len) != 0)
		rc = -errno;
	memset(reg, 0, sizeof(*reg));
	return rc;
}

/* p is page-aligned. Branch-free OR over the block with four independent
 * accumulators, so neither branches nor one dependency chain limit speed. */
static int block_is_zero(const unsigned char *p)
{
	const scrub_vec *v = (const scrub_vec *)(const void *)p;
	scrub_vec a0 = { 0, 0 }, a1 = { 0, 0 }, a2 = { 0, 0 }, a3 = { 0, 0 };
	size_t i;

	for (i = 0; i < SCRUB_VERIFY_BLOCK / sizeof(scrub_vec); i += 4) {
		a0 |= v[i];
		a1 |= v[i + 1];
		a2 |= v[i + 2];
		a3 |= v[i + 3];
	}
	a0 |= a1 | a2 | a3;
	return (a0[0] | a0[1]) == 0;
}

static void verify_piece(const unsigned char *p, size_t n, uint64_t off0,
                         struct scrub_span_result *sr)
{
	size_t off = 0;

	while (off < n) {
		size_t blk = n - off < SCRUB_VERIFY_BLOCK ? n - off : SCRUB_VERIFY_BLOCK;
		size_t i;

		if (blk == SCRUB_VERIFY_BLOCK && block_is_zero(p + off)) {
			off += blk;
			continue;
		}
		for (i = 0; i < blk; i++) {
			if (p[off + i] == 0)
				continue;
			if (sr->bad_bytes == 0)
				sr->first_bad = off0 + off + i;
			sr->bad_bytes++;
		}
		off += blk;
	}
}

int scrub_span(unsigned char *span, size_t len, scrub_hook hook, unsigned worker, void *arg,
               struct scrub_span_result *sr)
{
	uint64_t page = page_size();
	size_t off;

	if (!sr)
		return -EINVAL;
	sr->bad_bytes = 0;
	sr->first_bad = SCRUB_NO_OFFSET;
	if (!span || page == 0 || ((uintptr_t)span % page) != 0 || (len % page) != 0)
		return -EINVAL;
	for (off = 0; off < len; off += SCRUB_STEP) {
		size_t n = len - off < SCRUB_STEP ? len - off : (size_t)SCRUB_STEP;

		/* Write faults, not reads: a read fault would map the shared zero page,
		 * claim no memory, scrub nothing and still verify as all zero. */
		if (madvise(span + off, n, MADV_POPULATE_WRITE) != 0)
			return -errno;
		if (hook)
			hook(span + off, n, worker, arg);
		verify_piece(span + off, n, off, sr);
	}
	return 0;
}

static int write_oom_score_adj(const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;
	int rc = 0;

	fd = open(oom_adj_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, val, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int scrub_oom_protect_self(void)
{
	return write_oom_score_adj("-1000");
}

/* Physical address behind addr, for the failure report; needs CAP_SYS_ADMIN
 * (PID 1 has it), otherwise the kernel reports PFN 0 and we say unknown. */
static uint64_t phys_of(const void *addr, uint64_t page)
{
	uint64_t entry = 0, pfn;
	uint64_t va = (uint64_t)(uintptr_t)addr;
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SCRUB_NO_OFFSET;
	n = pread(fd, &entry, sizeof(entry), (off_t)((va / page) * sizeof(entry)));
	if (close(fd) != 0 || n != (ssize_t)sizeof(entry))
		return SCRUB_NO_OFFSET;
	pfn = entry & ((1ull << 55) - 1);
	if (!(entry >> 63) || pfn == 0)
		return SCRUB_NO_OFFSET;
	return pfn * page + va % page;
}

/* Bounded by the scrub timeout: by then the parent has killed us anyway. */
static void hold_until_released(const struct scrub_cfg *c)
{
	struct pollfd pfd = { .fd = c->release_fd, .events = POLLIN, .revents = 0 };
	int rc;

	if (c->release_fd < 0)
		return;
	do
		rc = poll(&pfd, 1, c->timeout_ms > INT_MAX ? INT_MAX : (int)c->timeout_ms);
	while (rc < 0 && errno == EINTR);
}

/* Claims memory until the floor, verifies it, reports, waits until every
 * worker has reported, unmaps, exits.
 * No stdio, no heap: only system calls on fixed buffers. */
static void __attribute__((noreturn)) worker_main(const struct scrub_cfg *c, unsigned idx, int wfd)
{
	struct scrub_report rep;
	struct scrub_region reg;
	uint64_t total, avail0, avail, budget, claimed = 0;
	int code = 1;
	int rc;
	ssize_t n;

	memset(&rep, 0, sizeof(rep));
	memset(&reg, 0, sizeof(reg));
	rep.magic = SCRUB_REPORT_MAGIC;
	rep.first_bad = SCRUB_NO_OFFSET;
	rep.first_bad_phys = SCRUB_NO_OFFSET;
	rep.last_avail = UINT64_MAX;

	/* Inherited -1000 from PID 1 would make this worker unkillable under OOM:
	 * never claim memory unless the raise to 1000 worked. */
	rc = write_oom_score_adj("1000");
	if (rc != 0) {
		rep.stage = SCRUB_STAGE_OOM_ADJ;
		rep.err = -rc;
		goto out;
	}
	rc = scrub_meminfo_read(c->meminfo_path, &total, &avail0);
	if (rc != 0) {
		rep.stage = SCRUB_STAGE_MEMINFO;
		rep.err = -rc;
		goto out;
	}
	rep.last_avail = avail0;
	budget = avail0 > c->floor ? avail0 - c->floor : 0;
	if (budget > c->per_worker_cap)
		budget = c->per_worker_cap;
	budget -= budget % c->page;
	if (budget == 0) {
		code = 0;
		goto out;
	}
	rc = scrub_region_reserve(budget, c->hugepage, &reg);
	if (rc != 0) {
		rep.stage = SCRUB_STAGE_MMAP;
		rep.err = -rc;
		goto out;
	}
	for (;;) {
		struct scrub_span_result sr;
		uint64_t claim;

		rc = scrub_meminfo_read(c->meminfo_path, &total, &avail);
		if (rc != 0) {
			rep.stage = SCRUB_STAGE_MEMINFO;
			rep.err = -rc;
			goto out;
		}
		/* Our own claims bound the estimate too, in case the kernel's counters
		 * lag behind them (and so a static fake meminfo still terminates). */
		if (avail > avail0 - claimed)
			avail = avail0 - claimed;
		rep.last_avail = avail;
		claim = scrub_next_claim(avail, c->floor, c->chunk, c->workers, budget - claimed, c->page);
		if (claim == 0)
			break;
		rc = scrub_span(reg.base + claimed, (size_t)claim, c->hook, idx, c->hook_arg, &sr);
		/* Bad bytes found before a failure still count. */
		if (sr.bad_bytes != 0 && rep.bad_bytes == 0) {
			rep.first_bad = claimed + sr.first_bad;
			rep.first_bad_phys = phys_of(reg.base + rep.first_bad, c->page);
		}
		rep.bad_bytes += sr.bad_bytes;
		if (rc != 0) {
			rep.stage = SCRUB_STAGE_POPULATE;
			rep.err = -rc;
			goto out;
		}
		claimed += claim;
	}
	code = 0;
out:
	rep.bytes = claimed;
	do
		n = write(wfd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep))
		code = 1;
	/* Hold the claim until every worker has reported: memory one worker
	 * released while another was still claiming would be scrubbed and counted
	 * twice, overstating coverage (seen in QEMU: more bytes than MemTotal). */
	hold_until_released(c);
	if (scrub_region_release(&reg) != 0)
		code = 1;
	_exit(code);
}

static int now_ns(uint64_t *ns)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return SCRUB_ERR_CLOCK;
	*ns = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

static void keep_first(int *err, int e)
{
	if (*err == 0)
		*err = e;
}

static int spawn_worker(struct scrub_worker *w, unsigned i, const struct scrub_cfg *c,
                        int release_wr)
{
	int fds[2];
	pid_t pid;
	unsigned j;

	/* Non-blocking read end: after poll the parent's read can never block. */
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return SCRUB_ERR_SPAWN;
	pid = fork();
	if (pid < 0) {
		/* Already failing; a close error would change nothing. */
		(void)close(fds[0]);
		(void)close(fds[1]);
		return SCRUB_ERR_SPAWN;
	}
	if (pid == 0) {
		/* Only hygiene: the child exits soon either way. */
		(void)close(fds[0]);
		for (j = 0; j < i; j++)
			if (w[j].fd >= 0)
				(void)close(w[j].fd);
		/* Not hygiene: with a copy of the write end open, the release EOF
		 * would never come. */
		if (close(release_wr) != 0)
			_exit(1);
		worker_main(c, i, fds[1]);
	}
	w[i].pid = pid;
	w[i].fd = fds[0];
	/* Our copy of the write end must go, or EOF would never come. */
	if (close(fds[1]) != 0)
		return SCRUB_ERR_SPAWN;
	return 0;
}

static void close_read_end(struct scrub_worker *w, int *err)
{
	if (close(w->fd) != 0)
		keep_first(err, SCRUB_ERR_WAIT);
	w->fd = -1;
}

/* One read: a whole report, EOF, or nothing yet. */
static void drain(struct scrub_worker *w, int *err)
{
	struct scrub_report rep;
	ssize_t n;

	do
		n = read(w->fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) {
		keep_first(err, SCRUB_ERR_WAIT);
		close_read_end(w, err);
		return;
	}
	if (n == 0) {
		close_read_end(w, err);
		return;
	}
	if ((size_t)n != sizeof(rep) || w->have_report || rep.magic != SCRUB_REPORT_MAGIC) {
		w->bad_report = 1;
		return;
	}
	w->rep = rep;
	w->have_report = 1;
}

/* Reads until the deadline passes or every worker has given its report
 * (until_reports) or its pipe is at EOF (it has released its memory and is
 * exiting). */
static void collect(struct scrub_worker *w, unsigned n, uint64_t deadline, int until_reports,
                    struct pollfd *pfd, unsigned *map, int *err)
{
	for (;;) {
		uint64_t now, ms;
		unsigned i, k = 0;
		int rc;

		for (i = 0; i < n; i++) {
			if (w[i].fd < 0 || (until_reports && (w[i].have_report || w[i].bad_report)))
				continue;
			pfd[k].fd = w[i].fd;
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
			map[k++] = i;
		}
		if (k == 0)
			return;
		if (now_ns(&now) != 0) {
			keep_first(err, SCRUB_ERR_CLOCK);
			return;
		}
		if (now >= deadline)
			return;
		ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
		rc = poll(pfd, k, ms > INT_MAX ? INT_MAX : (int)ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			keep_first(err, SCRUB_ERR_WAIT);
			return;
		}
		for (i = 0; i < k; i++)
			if (pfd[i].revents != 0)
				drain(&w[map[i]], err);
	}
}

/* Returns how many workers are still unreaped. */
static unsigned reap_pass(struct scrub_worker *w, unsigned n, int *err)
{
	unsigned i, pending = 0;

	for (i = 0; i < n; i++) {
		pid_t rc;
		int st = 0;

		if (w[i].pid <= 0 || w[i].reaped)
			continue;
		rc = waitpid(w[i].pid, &st, WNOHANG);
		if (rc == w[i].pid) {
			w[i].reaped = 1;
			w[i].status = st;
		} else if (rc == 0 || (rc < 0 && errno == EINTR)) {
			pending++;
		} else {
			/* ECHILD: SIGCHLD ignored or reaped elsewhere; the status is lost. */
			w[i].reaped = 1;
			w[i].lost = 1;
			keep_first(err, SCRUB_ERR_WAIT);
		}
	}
	return pending;
}

static void kill_unreaped(struct scrub_worker *w, unsigned n, int *err)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (w[i].pid > 0 && !w[i].reaped && kill(w[i].pid, SIGKILL) != 0)
			keep_first(err, SCRUB_ERR_WAIT);
}

/* Bounded: polls with WNOHANG. Stragglers get SIGKILL after one grace period
 * and one more grace period to die; a task stuck in the kernel beyond that
 * is left to PID 1's general reaper and reported as SCRUB_ERR_WAIT. */
static void reap_all(struct scrub_worker *w, unsigned n, int *err)
{
	const struct timespec tick = { 0, SCRUB_REAP_POLL_NS };
	uint64_t now, deadline;
	int killed = 0;

	if (now_ns(&now) != 0) {
		keep_first(err, SCRUB_ERR_CLOCK);
		now = 0;
	}
	deadline = now + (uint64_t)SCRUB_REAP_GRACE_MS * NS_PER_MS;
	while (reap_pass(w, n, err) != 0) {
		if (now_ns(&now) != 0) {
			/* Without a clock no bound can be kept: kill, one last pass, give up. */
			keep_first(err, SCRUB_ERR_CLOCK);
			kill_unreaped(w, n, err);
			(void)reap_pass(w, n, err);
			return;
		}
		if (now >= deadline) {
			if (killed) {
				keep_first(err, SCRUB_ERR_WAIT);
				return;
			}
			kill_unreaped(w, n, err);
			killed = 1;
			deadline = now + (uint64_t)SCRUB_REAP_GRACE_MS * NS_PER_MS;
		}
		/* An interrupted sleep only shortens one tick. */
		(void)nanosleep(&tick, NULL);
	}
}

static int resolve_params(const struct scrub_params *p, uint64_t mem_total, struct scrub_cfg *c)
{
	long cpus;

	memset(c, 0, sizeof(*c));
	c->release_fd = -1;
	c->page = page_size();
	if (c->page == 0 || p->min_permille > 1000 || (p->flags & ~SCRUB_NO_HUGEPAGE) != 0)
		return SCRUB_ERR_PARAM;
	c->hugepage = !(p->flags & SCRUB_NO_HUGEPAGE);
	c->min_permille = p->min_permille ? p->min_permille : SCRUB_DEFAULT_MIN_PERMILLE;
	c->chunk = p->chunk_bytes ? p->chunk_bytes : SCRUB_DEFAULT_CHUNK;
	if (c->chunk < c->page || c->chunk % c->page != 0 || c->chunk > SIZE_MAX / 2)
		return SCRUB_ERR_PARAM;
	c->floor = p->floor_bytes ? p->floor_bytes : scrub_default_floor(mem_total);
	c->timeout_ms = p->timeout_ms;
	if (c->timeout_ms == 0) {
		uint64_t ms = SCRUB_TIMEOUT_BASE_MS + (mem_total >> 30) * SCRUB_TIMEOUT_MS_PER_GIB;

		c->timeout_ms = ms > UINT_MAX ? UINT_MAX : (unsigned)ms;
	}
	c->workers = p->workers;
	if (c->workers == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		/* Unknown CPU count: one worker is slower but just as complete. */
		c->workers = cpus > 0 ? (cpus > (long)SCRUB_MAX_WORKERS ? SCRUB_MAX_WORKERS : (unsigned)cpus) : 1;
	}
	if (c->workers > SCRUB_MAX_WORKERS)
		c->workers = SCRUB_MAX_WORKERS;
	c->per_worker_cap = p->max_bytes ? p->max_bytes / c->workers : UINT64_MAX;
	c->meminfo_path = p->meminfo_path ? p->meminfo_path : default_meminfo;
	c->hook = p->before_verify;
	c->hook_arg = p->hook_arg;
	return 0;
}

static void note_failure(struct scrub_result *r, unsigned i, int stage, int err, int sig, int ex)
{
	r->workers_failed++;
	if (r->worker_err_index >= 0)
		return;
	r->worker_err_index = (int)i;
	r->worker_err_stage = stage;
	r->worker_err_errno = err;
	r->worker_err_signal = sig;
	r->worker_err_exit = ex;
}

static void tally(const struct scrub_worker *w, unsigned n, struct scrub_result *r)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		int sig = 0, ex = -1, stage = SCRUB_STAGE_NONE, err = 0;
		int ok = 1;

		if (w[i].pid <= 0)
			continue;
		if (w[i].reaped && !w[i].lost) {
			if (WIFEXITED(w[i].status))
				ex = WEXITSTATUS(w[i].status);
			else if (WIFSIGNALED(w[i].status))
				sig = WTERMSIG(w[i].status);
		}
		if (w[i].have_report) {
			if (w[i].rep.last_avail < r->min_available)
				r->min_available = w[i].rep.last_avail;
			if (w[i].rep.bad_bytes != 0 && r->first_bad_worker < 0) {
				r->first_bad_worker = (int)i;
				r->first_bad_offset = w[i].rep.first_bad;
				r->first_bad_phys = w[i].rep.first_bad_phys;
			}
			r->verify_failures += w[i].rep.bad_bytes;
			if (w[i].rep.stage != SCRUB_STAGE_NONE) {
				ok = 0;
				stage = w[i].rep.stage;
				err = w[i].rep.err;
			}
		} else {
			ok = 0;
		}
		if (w[i].bad_report || w[i].timed_out || !w[i].reaped || w[i].lost || sig != 0 || ex != 0)
			ok = 0;
		if (w[i].timed_out)
			r->workers_timed_out++;
		if (!ok) {
			note_failure(r, i, stage != SCRUB_STAGE_NONE ? stage : SCRUB_STAGE_EXIT, err, sig, ex);
			continue;
		}
		r->workers_ok++;
		r->bytes_scrubbed += w[i].rep.bytes;
	}
}

int scrub_run(const struct scrub_params *p, struct scrub_result *r)
{
	struct scrub_worker w[SCRUB_MAX_WORKERS];
	struct pollfd pfd[SCRUB_MAX_WORKERS];
	unsigned map[SCRUB_MAX_WORKERS];
	struct scrub_cfg c;
	uint64_t total = 0, avail = 0, t0 = 0, t1 = 0, deadline, now;
	unsigned i, started = 0;
	int release[2] = { -1, -1 };
	int err = 0;
	int ret;

	if (!r)
		return SCRUB_ERR_PARAM;
	memset(r, 0, sizeof(*r));
	r->first_bad_worker = -1;
	r->first_bad_offset = SCRUB_NO_OFFSET;
	r->first_bad_phys = SCRUB_NO_OFFSET;
	r->min_available = UINT64_MAX;
	r->worker_err_index = -1;
	r->worker_err_exit = -1;
	/* Touch every fixed array now, while memory is plentiful, so the parent
	 * needs no new pages once the workers have claimed almost everything. */
	memset(w, 0, sizeof(w));
	memset(pfd, 0, sizeof(pfd));
	memset(map, 0, sizeof(map));
	for (i = 0; i < SCRUB_MAX_WORKERS; i++)
		w[i].fd = -1;
	if (!p)
		return SCRUB_ERR_PARAM;
	if (scrub_meminfo_read(p->meminfo_path ? p->meminfo_path : default_meminfo, &total, &avail) != 0)
		return SCRUB_ERR_MEMINFO;
	r->mem_total = total;
	r->mem_available = avail;
	ret = resolve_params(p, total, &c);
	if (ret != 0)
		return ret;
	r->floor_bytes = c.floor;
	r->timeout_ms = c.timeout_ms;
	if (now_ns(&t0) != 0)
		return SCRUB_ERR_CLOCK;

	if (pipe2(release, O_CLOEXEC) != 0)
		return SCRUB_ERR_SPAWN;
	c.release_fd = release[0];
	for (i = 0; i < c.workers; i++) {
		int rc = spawn_worker(w, i, &c, release[1]);

		if (w[i].pid > 0)
			started = i + 1;
		if (rc != 0) {
			keep_first(&err, rc);
			break;
		}
	}
	r->workers = started;
	if (close(release[0]) != 0)
		keep_first(&err, SCRUB_ERR_SPAWN);
	deadline = t0 + (uint64_t)c.timeout_ms * NS_PER_MS;
	if (err == 0)
		collect(w, started, deadline, 1, pfd, map, &err);
	/* Who has not reported by now is past its time (or we are bailing out). */
	for (i = 0; i < started; i++) {
		if (w[i].fd < 0 || w[i].have_report)
			continue;
		if (err == 0)
			w[i].timed_out = 1;
		if (kill(w[i].pid, SIGKILL) != 0)
			keep_first(&err, SCRUB_ERR_WAIT);
	}
	/* Every report is in: now the workers may let go. */
	if (close(release[1]) != 0)
		keep_first(&err, SCRUB_ERR_WAIT);
	if (err == 0 && now_ns(&now) != 0)
		keep_first(&err, SCRUB_ERR_CLOCK);
	if (err == 0) {
		/* Releasing a claim takes time (init_on_free zeroes it again). */
		if (deadline < now + (uint64_t)SCRUB_REAP_GRACE_MS * NS_PER_MS)
			deadline = now + (uint64_t)SCRUB_REAP_GRACE_MS * NS_PER_MS;
		collect(w, started, deadline, 0, pfd, map, &err);
	}
	/* Whatever is still open has not let go in time. */
	for (i = 0; i < started; i++) {
		if (w[i].fd < 0)
			continue;
		if (err == 0)
			w[i].timed_out = 1;
		if (kill(w[i].pid, SIGKILL) != 0)
			keep_first(&err, SCRUB_ERR_WAIT);
		close_read_end(&w[i], &err);
	}
	reap_all(w, started, &err);
	if (now_ns(&t1) != 0) {
		keep_first(&err, SCRUB_ERR_CLOCK);
		t1 = t0;
	}

	tally(w, started, r);
	r->elapsed_ns = t1 - t0;
	r->coverage_permille = scrub_coverage_permille(r->bytes_scrubbed, total);
	if (r->elapsed_ns != 0)
		r->bytes_per_sec = (uint64_t)((double)r->bytes_scrubbed * (double)NS_PER_SEC /
		                              (double)r->elapsed_ns);

	if (err != 0)
		ret = err;
	else if (r->verify_failures != 0)
		ret = SCRUB_ERR_VERIFY;
	else if (r->workers_timed_out != 0)
		ret = SCRUB_ERR_TIMEOUT;
	else if (r->workers_failed != 0)
		ret = SCRUB_ERR_WORKER;
	else if (r->coverage_permille < c.min_permille)
		ret = SCRUB_ERR_COVERAGE;
	else
		ret = SCRUB_OK;
	return ret;
}

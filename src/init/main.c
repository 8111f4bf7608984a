/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /init: PID 1 of the airlock runtime.
 *
 * mount -> read and measure the command line and configuration -> scrub RAM
 * (before any network traffic) and measure the result -> network -> start and
 * supervise the agent. Never exits: on an unrecoverable error it measures a
 * failure event, says why on the console and reboots after a delay (or, only
 * when the measured command line allows it, opens a debug shell).
 *
 * Run as any other PID (`/init pcrs`), it prints the runtime PCRs of every
 * active bank, for operators in the debug shell and for tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/input.h>

#include "agent_exit.h"
#include "clock.h"
#include "config.h"
#include "eventlog.h"
#include "log.h"
#include "measure.h"
#include "net.h"
#include "proc.h"
#include "runtime_events.h"
#include "scrub.h"
#include "supervise.h"
#include "tpm_pcr.h"

#define RUN_DIR "/run/airlock"
#define AGENT_PATH "/bin/airlock-agent"
#define FAIL_REBOOT_DELAY_S 30
#define TPM_WAIT_S 10
#define MAX_INPUTS 8

/* PID 1 state lives in static storage: no heap on the boot path. */
static struct airlock_config cfg;
static struct tpm_pcr tpm;
static struct measure meas;
static int measuring;
static char cmdline[CONFIG_CMDLINE_MAX + 1];
static size_t cmdline_len;
static int sigfd = -1;
static int input_fd[MAX_INPUTS];
static unsigned ninputs;

static void reboot_now(int how) __attribute__((noreturn));
static void fail_boot(const char *stage, const char *token, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

static void reboot_now(int how_)
{
	unsigned how = (unsigned)how_;
	const char *what = how == RB_POWER_OFF ? "powering off" :
			   how == RB_HALT_SYSTEM ? "halting" : "rebooting";

	log_info("%s", what);
	if (measuring)
		tpm_pcr_close(&tpm);
	kill(-1, SIGTERM);
	sleep(2);
	kill(-1, SIGKILL);
	sync();
	reboot((int)how);
	/* reboot(2) only returns on error; spin rather than exit (PID 1 exit panics). */
	for (;;)
		pause();
}

/* Event data for phase events: the exact text the docs specify. */
static void measure_phase(const char *text)
{
	char err[256];

	if (!measuring)
		return;
	if (measure_event(&meas, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_PHASE, text, strlen(text), err,
			  sizeof(err)) != 0)
		log_err("cannot measure '%s': %s", text, err);
}

/*
 * Whether sig asks for a shutdown, and which reboot(2) command carries it
 * out. (The RB_* values do not fit a "negative means no" convention:
 * RB_HALT_SYSTEM is negative as an int.)
 */
static int shutdown_request(int sig, int *how)
{
	switch (sig) {
	case SIGTERM: /* busybox reboot */
	case SIGINT:  /* ctrl-alt-del */
		*how = RB_AUTOBOOT;
		return 1;
	case SIGUSR1: /* busybox halt */
		*how = RB_HALT_SYSTEM;
		return 1;
	case SIGUSR2: /* busybox poweroff */
	case SIGPWR:
		*how = RB_POWER_OFF;
		return 1;
	default:
		return 0;
	}
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int power_key_pressed(int fd)
{
	struct input_event ev[16];
	ssize_t n = read(fd, ev, sizeof(ev));

	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(ev[0]); i++)
		if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
			return 1;
	return 0;
}

/*
 * Wait up to timeout_ms for a signal or the power key. A shutdown request
 * (signal or key) is carried out here and never returns; otherwise returns
 * with any exited children still to be reaped by the caller.
 */
static void wait_event(int timeout_ms)
{
	struct pollfd p[1 + MAX_INPUTS];
	struct signalfd_siginfo si;
	int sig = 0, how;

	p[0].fd = sigfd;
	p[0].events = POLLIN;
	for (unsigned i = 0; i < ninputs; i++) {
		p[1 + i].fd = input_fd[i];
		p[1 + i].events = POLLIN;
	}
	if (poll(p, 1 + ninputs, timeout_ms) <= 0)
		return;
	if ((p[0].revents & POLLIN) && read(sigfd, &si, sizeof(si)) == sizeof(si))
		sig = (int)si.ssi_signo;
	for (unsigned i = 0; i < ninputs; i++)
		if ((p[1 + i].revents & POLLIN) && power_key_pressed(input_fd[i]))
			sig = SIGPWR;
	if (shutdown_request(sig, &how)) {
		log_info("shutdown requested (%s)", sig == SIGPWR ? "power key or SIGPWR" : strsignal(sig));
		measure_phase(AIRLOCK_EV_TEXT_SHUTDOWN);
		reboot_now(how);
	}
}

/*
 * Every failure ends here: measured (so a verifier sees the boot failed, at
 * which stage and why, as tokens a policy can match: docs/eventlog.md),
 * explained on the console, then reboot; the debug shell only if the
 * measured command line allowed it.
 */
static void fail_boot(const char *stage, const char *token, const char *fmt, ...)
{
	char reason[512], event[128];
	va_list ap;
	double until;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	log_err("boot failed (%s): %s", stage, reason);
	snprintf(event, sizeof(event), AIRLOCK_EV_FMT_FAILURE, stage, token);
	measure_phase(event);

	if (cfg.shell) {
		char *sh[] = { "/bin/sh", NULL };
		pid_t pid;

		measure_phase(AIRLOCK_EV_TEXT_DEBUG_SHELL);
		log_warn("debug shell allowed by airlock.shell=1 (measured); exit it to reboot");
		pid = proc_spawn(sh);
		while (pid > 0) {
			int status;
			pid_t r;

			wait_event(1000);
			while ((r = waitpid(-1, &status, WNOHANG)) > 0)
				if (r == pid)
					pid = 0;
		}
		reboot_now(RB_AUTOBOOT);
	}
	log_err("rebooting in %d s", FAIL_REBOOT_DELAY_S);
	until = mono_s() + FAIL_REBOOT_DELAY_S;
	while (mono_s() < until) {
		wait_event(1000);
		reap();
	}
	reboot_now(RB_AUTOBOOT);
}

static int mount_one(const char *src, const char *dst, const char *type, unsigned long flags,
		     const char *data)
{
	if (mkdir(dst, 0755) != 0 && errno != EEXIST)
		return -1;
	if (mount(src, dst, type, flags, data) != 0 && errno != EBUSY)
		return -1;
	return 0;
}

static void setup_mounts(void)
{
	static const struct {
		const char *src, *dst, *type, *data;
		unsigned long flags;
	} m[] = {
		{ "proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID },
		{ "securityfs", "/sys/kernel/security", "securityfs", NULL,
		  MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV },
		{ "tmpfs", "/tmp", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (mount_one(m[i].src, m[i].dst, m[i].type, m[i].flags, m[i].data) != 0)
			fail_boot("mount", "mount-failed", "cannot mount %s on %s: %s", m[i].type, m[i].dst, strerror(errno));
	if (mkdir(RUN_DIR, 0700) != 0 && errno != EEXIST)
		fail_boot("mount", "run-dir", "cannot create %s: %s", RUN_DIR, strerror(errno));
}

static void setup_console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return; /* nothing to print to; carry on, the log file still works */
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static void setup_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	/* ctrl-alt-del becomes SIGINT to us instead of an immediate reboot */
	reboot(RB_DISABLE_CAD);
}

/* Watch every input device that has a power key (ACPI power button). */
static void setup_power_key(void)
{
	for (unsigned i = 0; i < 32 && ninputs < MAX_INPUTS; i++) {
		unsigned long keys[KEY_MAX / (8 * sizeof(long)) + 1] = { 0 };
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/input/event%u", i);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keys)), keys) >= 0 &&
		    (keys[KEY_POWER / (8 * sizeof(long))] >> (KEY_POWER % (8 * sizeof(long)))) & 1)
			input_fd[ninputs++] = fd;
		else
			close(fd);
	}
}

static void read_cmdline(void)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		fail_boot("config", "cmdline-unreadable", "cannot open /proc/cmdline: %s", strerror(errno));
	n = read(fd, cmdline, sizeof(cmdline));
	close(fd);
	if (n < 0)
		fail_boot("config", "cmdline-unreadable", "cannot read /proc/cmdline: %s", strerror(errno));
	if ((size_t)n >= sizeof(cmdline))
		fail_boot("config", "cmdline-too-long", "kernel command line longer than %d bytes", CONFIG_CMDLINE_MAX);
	/* The measured bytes are the command line without the kernel's newline. */
	while (n > 0 && cmdline[n - 1] == '\n')
		n--;
	cmdline[n] = 0;
	cmdline_len = (size_t)n;
}

static void parse_config(void)
{
	struct config_diag diag[16];
	size_t ndiag = 0;
	int rc = config_parse(cmdline, cmdline_len, &cfg, diag, 16, &ndiag);

	for (size_t i = 0; i < ndiag && i < 16; i++)
		log_msg(diag[i].fatal ? LOG_ERROR : LOG_WARN, "command line: %s=%s: %s", diag[i].key,
			diag[i].value, diag[i].msg);
	if (ndiag > 16)
		log_err("command line: %zu more problems not shown", ndiag - 16);
	if (rc != 0) {
		/* cfg holds the defaults only; the shell stays off */
		fail_boot("config", "invalid", "invalid airlock.* configuration on the kernel command line (see above; "
			  "docs/configuration.md lists the keys)");
	}
	log_set_level((enum log_level)cfg.loglevel);
	if (cfg.registrar.kind == CONFIG_HOST_NONE)
		fail_boot("config", "no-registrar", "airlock.registrar=HOST[:PORT] is missing from the kernel command line");
}

static void open_tpm(void)
{
	char spec[CONFIG_TPM_PATH_MAX + 1], err[256];
	double deadline = mono_s() + TPM_WAIT_S;

	/* The TPM driver may still be probing when we start: wait, bounded. */
	for (;;) {
		if (cfg.tpm[0])
			snprintf(spec, sizeof(spec), "%s", cfg.tpm);
		else
			snprintf(spec, sizeof(spec), "%s", tpm_device_default());
		if (access(spec, F_OK) == 0 || mono_s() > deadline)
			break;
		usleep(100 * 1000);
	}
	if (tpm_pcr_open(&tpm, spec, err, sizeof(err)) != 0)
		fail_boot("tpm", "no-tpm", "%s (no TPM 2.0 found? a measured boot needs one)", err);
	if (measure_init(&meas, &tpm, RUN_DIR "/eventlog", err, sizeof(err)) != 0)
		fail_boot("tpm", "eventlog", "%s", err);
	measuring = 1;
	{
		char banks[64] = "";
		size_t off = 0;

		for (unsigned i = 0; i < tpm.nbanks && off < sizeof(banks); i++)
			off += (size_t)snprintf(banks + off, sizeof(banks) - off, "%s%s", i ? "," : "",
						tpm_alg_name(tpm.banks[i]));
		log_info("tpm: %s, active banks %s", spec, banks);
	}
}

static void measure_config(void)
{
	static char canon[CONFIG_CANONICAL_MAX];
	static uint8_t tagged[CONFIG_CANONICAL_MAX + 8];
	size_t tlen;
	char err[256];
	int n;

	if (measure_event(&meas, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_CMDLINE, cmdline, cmdline_len,
			  err, sizeof(err)) != 0)
		fail_boot("measure", "cmdline", "measuring the command line: %s", err);
	n = config_canonical(&cfg, canon, sizeof(canon));
	if (n < 0)
		fail_boot("config", "canonical", "cannot write the canonical configuration");
	if (eventlog_tagged_event(AIRLOCK_TAG_CONFIG, canon, (size_t)n, tagged, sizeof(tagged),
				  &tlen) != 0)
		fail_boot("measure", "config-event", "cannot encode the configuration event");
	if (measure_event(&meas, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_CONFIG, tagged, tlen, err,
			  sizeof(err)) != 0)
		fail_boot("measure", "config", "measuring the configuration: %s", err);
	{
		int fd = open(RUN_DIR "/config", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd < 0 || write(fd, canon, (size_t)n) != n)
			fail_boot("config", "config-file", "cannot write %s/config: %s", RUN_DIR, strerror(errno));
		close(fd);
	}
	log_info("measured command line and configuration into PCR %d", AIRLOCK_PCR_RUNTIME);
}

/* Failure tokens for the measured event: [a-z0-9_-]+ (docs/eventlog.md). */
static const char *scrub_token(int rc)
{
	switch (rc) {
	case SCRUB_ERR_VERIFY: return "verify";
	case SCRUB_ERR_COVERAGE: return "coverage";
	case SCRUB_ERR_TIMEOUT: return "timeout";
	default: return "error";
	}
}

/* The kernel's early zeroing pass is what reaches the free parts of partly
 * allocated early pages (docs/scrub.md); a kernel without CONFIG_MEMTEST
 * ignores memtest=1 silently, so the measured event says what really ran. */
static void memtest_status(char *out, size_t cap)
{
	uint64_t bad = 0;
	int ran = 0;
	int rc = scrub_memtest_read("/proc/meminfo", &ran, &bad);

	if (rc != 0) {
		log_warn("early memtest: cannot read its result from /proc/meminfo: %s", strerror(-rc));
		snprintf(out, cap, AIRLOCK_EV_MEMTEST_UNKNOWN);
	} else if (!ran) {
		log_warn("early memtest did not run (no memtest=1, or a kernel without CONFIG_MEMTEST): "
			 "free parts of early kernel pages may keep a previous tenant's bytes");
		snprintf(out, cap, AIRLOCK_EV_MEMTEST_OFF);
	} else {
		if (bad != 0)
			log_warn("early memtest: %llu kB of RAM failed and were reserved",
				 (unsigned long long)(bad >> 10));
		else
			log_info("early memtest: ran, no bad RAM");
		snprintf(out, cap, AIRLOCK_EV_MEMTEST_RAN " memtest_bad=%llu", (unsigned long long)bad);
	}
}

static void scrub(void)
{
	struct scrub_params p;
	struct scrub_result r;
	char event[320];
	char memtest[64];
	double secs;
	int rc;

	memtest_status(memtest, sizeof(memtest));
	if (!cfg.scrub) {
		log_warn("memory scrub disabled by airlock.scrub=off (measured)");
		snprintf(event, sizeof(event), AIRLOCK_EV_TEXT_SCRUB "%s " AIRLOCK_EV_RESULT_SKIPPED, memtest);
		measure_phase(event);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.min_permille = cfg.scrub_min * 10;
	log_info("scrub: zeroing all free memory before any network traffic");
	rc = scrub_run(&p, &r);
	secs = (double)r.elapsed_ns / 1e9;
	log_info("scrub %.2f s, %.2f GiB of %.2f GiB (%.1f%%), %.2f GiB/s, %u workers, "
		 "%llu MiB left to the kernel",
		 secs, (double)r.bytes_scrubbed / (1 << 30), (double)r.mem_total / (1 << 30),
		 r.coverage_permille / 10.0, (double)r.bytes_per_sec / (1 << 30), r.workers,
		 (unsigned long long)(r.mem_total > r.bytes_scrubbed ?
					      (r.mem_total - r.bytes_scrubbed) >> 20 : 0));
	snprintf(event, sizeof(event),
		 AIRLOCK_EV_TEXT_SCRUB "bytes=%llu mem_total=%llu coverage_permille=%u "
		 "min_permille=%u verify_failures=%llu %s %s",
		 (unsigned long long)r.bytes_scrubbed, (unsigned long long)r.mem_total,
		 r.coverage_permille, p.min_permille, (unsigned long long)r.verify_failures, memtest,
		 rc == SCRUB_OK ? AIRLOCK_EV_RESULT_PASS : AIRLOCK_EV_RESULT_FAIL);
	measure_phase(event);
	if (rc != SCRUB_OK)
		fail_boot("scrub", scrub_token(rc), "memory scrub: %s (coverage %.1f%%, required %u%%)", scrub_strerror(rc),
			  r.coverage_permille / 10.0, cfg.scrub_min);
}

static void start_agent(struct supervisor *s)
{
	char *argv[] = { AGENT_PATH, "--config", RUN_DIR "/config", NULL };

	s->pid = proc_spawn(argv);
	s->started_at = mono_s();
	if (s->pid > 0)
		log_info("agent: started (pid %d)", (int)s->pid);
}

/* The steady state: supervise the agent, reap orphans, obey shutdown requests. */
static void __attribute__((noreturn)) main_loop(void)
{
	struct supervisor sup = { 0 };

	if (access(AGENT_PATH, X_OK) != 0)
		fail_boot("agent", "missing", "agent: %s is not in this image", AGENT_PATH);
	start_agent(&sup);
	for (;;) {
		int status;
		pid_t r;

		wait_event(1000);
		while ((r = waitpid(-1, &status, WNOHANG)) > 0) {
			double delay;

			if (r != sup.pid)
				continue;
			if (WIFEXITED(status) && WEXITSTATUS(status) == AGENT_EXIT_FATAL)
				fail_boot("agent", "fatal", "agent stopped for good (its reason is above)");
			if (WIFEXITED(status))
				log_warn("agent exited with status %d", WEXITSTATUS(status));
			else
				log_warn("agent killed by signal %d", WTERMSIG(status));
			delay = sup_exited(&sup, mono_s());
			if (delay < 0)
				fail_boot("agent", "crash-loop", "agent failed %d times in a row; giving up", SUP_MAX_FAILURES);
			log_info("agent: restarting in %.0f s", delay);
		}
		if (sup.pid == 0 && mono_s() >= sup.next_start)
			start_agent(&sup);
	}
}

static int cli_pcrs(int argc, char **argv)
{
	const char *spec = tpm_device_default();
	unsigned pcrs[24], npcr = 0;
	char err[256];
	int ret = 1;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--tpm") == 0 && i + 1 < argc) {
			spec = argv[++i];
		} else {
			char *end;
			unsigned long v = strtoul(argv[i], &end, 10);

			if (*end || end == argv[i] || v > 23 || npcr == 24) {
				fprintf(stderr, "init pcrs: '%s' is not a PCR number 0..23\n", argv[i]);
				return 2;
			}
			pcrs[npcr++] = (unsigned)v;
		}
	}
	if (npcr == 0) {
		pcrs[npcr++] = AIRLOCK_PCR_RUNTIME;
		pcrs[npcr++] = AIRLOCK_PCR_PAYLOAD;
	}
	if (tpm_pcr_open(&tpm, spec, err, sizeof(err)) != 0) {
		fprintf(stderr, "init pcrs: %s\n", err);
		return 1;
	}
	for (unsigned b = 0; b < tpm.nbanks; b++)
		for (unsigned i = 0; i < npcr; i++) {
			uint8_t v[64];
			size_t len;

			if (tpm_pcr_read(&tpm, tpm.banks[b], pcrs[i], v, sizeof(v), &len, err,
					 sizeof(err)) != 0) {
				fprintf(stderr, "init pcrs: %s\n", err);
				goto out;
			}
			printf("%s:%u=", tpm_alg_name(tpm.banks[b]), pcrs[i]);
			for (size_t j = 0; j < len; j++)
				printf("%02x", v[j]);
			printf("\n");
		}
	ret = 0;
out:
	tpm_pcr_close(&tpm);
	return ret;
}

int main(int argc, char **argv)
{
	char iface[CONFIG_IFACE_MAX + 1], err[256];
	double t;

	if (getpid() != 1) {
		if (argc >= 2 && strcmp(argv[1], "pcrs") == 0)
			return cli_pcrs(argc, argv);
		fprintf(stderr, "usage: %s pcrs [--tpm DEVICE|swtpm:host=H,port=P] [PCR...]\n"
				"(as PID 1 this program is the airlock runtime's init)\n",
			argv[0]);
		return 2;
	}

	config_defaults(&cfg);
	setup_signals();
	setup_mounts();
	setup_console();
	setsid();
	if (log_open_file(RUN_DIR "/log") != 0)
		log_warn("cannot open %s/log; logging to the console only", RUN_DIR);
	log_info("runtime starting");
	if (scrub_oom_protect_self() != 0)
		log_warn("cannot set PID 1's oom_score_adj: %s", strerror(errno));

	read_cmdline();
	parse_config();
	setup_power_key();

	t = mono_s();
	open_tpm();
	measure_config();
	log_info("measure %.2f s", mono_s() - t);

	scrub();

	t = mono_s();
	if (net_up(&cfg, iface, sizeof(iface), err, sizeof(err)) != 0)
		fail_boot("network", "no-network", "network: %s", err);
	log_info("network %.2f s, %s up", mono_s() - t, iface);
	measure_phase(AIRLOCK_EV_TEXT_READY);

	main_loop();
}

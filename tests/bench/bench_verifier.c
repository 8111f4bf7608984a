/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Continuous attestation of simulated nodes over loopback: N simulated
 * agents, each on its own 127.0.0.1 port, answer integrity quotes like the
 * real agent (software ECC P-256 AK, TPMS_ATTEST, ECDSA signature, pcrblob,
 * runtime event log, PCR 16 bound to an NK) and take revocation notices;
 * their rows go straight into a fresh verifier state database (attesting,
 * with a PCR 8 policy), and `airlock-verifier serve` polls them, pinned to one
 * core. Three phases:
 *   1. steady state: quotes/s served against the N/interval asked for;
 *   2. one node's PCR 8 changes: the time to its failed verdict, and the time
 *      until every other attested node received its signed notice (and how
 *      many did not within the window), with the quote rate meanwhile;
 *   3. PCR 8 changes on 100 more nodes at once: detection over all 100, an
 *      undetected node counted as not detected within the window.
 *
 * usage: bench_verifier [--fw-log LOG] VERIFIER NODES INTERVAL_S SECONDS [WORKERS]
 * Prints "bench verifier: ..." lines, among them the verifier's CPU time and
 * bytes written to disk per quote in the steady phase (from /proc/PID/stat
 * and /proc/PID/io): the measured per-node cost a fleet's size multiplies.
 *
 * --fw-log LOG: every node is a UEFI node booted by that firmware (a real
 * OVMF log, tests/vectors): its answers carry LOG as mb_measurement_list and
 * quote PCRs 0-7 at LOG's replay, and the policy names PCRs 0-7 and the
 * log's last PCR 4 application digest, as a provider pinning its firmware
 * would, so the verifier replays the whole firmware log on every quote.
 *
 * bench_verifier --test VERIFIER NODES INTERVAL_S FAILURES LOG is a test (suite
 * notices): one node in ten never answers notices and four answer quotes only
 * after 5 s (as many as the verifier has workers); FAILURES nodes change at
 * once; each must be failed within 3 intervals while the notices go out,
 * every answering healthy node must get every failure's notice within 6
 * intervals, each failed node its own, and attestation must go on meanwhile. ok/FAIL lines, then "N passed, N failed";
 * the verifier's log goes to LOG.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "digest.h"
#include "encoding.h"
#include "eventlog.h"
#include "file_read.h"
#include "keylime_crypto.h"
#include "store.h"
#include "pending_v.h"

#define MAX_NODES 20000
#define CHANGED 100 /* nodes whose PCR 8 changes */

struct node {
	int fd;
	int changed;
	double changed_at, failed_at;
	double notice_at; /* when it got the notice of the watched failure */
	uint64_t got;     /* test mode: bit k set once it got the notice of failure k */
	int fail_bit;     /* test mode: this node's failure is failure k (-1: healthy) */
	int silent;       /* test mode: takes notices' connections and never answers */
	int slow;         /* test mode: answers quotes only after SLOW_S seconds */
	uint64_t clock;
	/* --failover: quotes' spacing, V deliveries, who held it */
	double last_q, max_gap;
	double min_switch; /* shortest gap between quotes asked by two different instances */
	int last_inst;     /* the instance that asked the last quote (its User-Agent) */
	int vkeys;        /* POSTs of keys/vkey it got */
	int has_v;        /* enrolled with a pending V */
	int lost_holder;  /* held by the instance that was killed */
};
/* --failover: quotes' spacing is measured from this time on (0: not yet). */
static double gaps_from;
static unsigned long no_instance; /* quotes whose request named no verifier instance */
/* Enrol every v_every-th node (from 1) with a pending V instead of attesting (0: none). */
static int v_every;

static struct node nodes[MAX_NODES];
static int nnodes;
static EVP_PKEY *ak;
static uint8_t ak_x[32], ak_y[32];
static uint8_t pcr16[32];
static uint8_t log_base[512], log_changed[512], pcr8_base[32], pcr8_changed[32];
static size_t log_base_len, log_changed_len;
static char *log_base_b64, *log_changed_b64;
/* --fw-log: the firmware's log (base64), PCRs 0-7 at its replay, a PCR 4 rule */
static char *fw_b64;
static uint8_t fw_pcr[8][32], fw_pcr4_app[32];
static unsigned long served, notices;
static int hung[8192], nhung; /* connections silent nodes hold open */
static int watched = -1; /* the node whose failure's notice phase 2 follows */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SLOW_S 5.0
static struct deferred {
	int fd;
	double due;
	char *resp;
	size_t len;
} later[256]; /* slow nodes' answers, written when due */
static int nlater;

/* Write the slow nodes' answers that are due. */
static void flush_later(void)
{
	for (int k = 0; k < nlater;) {
		if (later[k].due > now_s()) {
			k++;
			continue;
		}
		if (write(later[k].fd, later[k].resp, later[k].len) != (ssize_t)later[k].len)
			served -= served > 0;
		close(later[k].fd);
		free(later[k].resp);
		later[k] = later[--nlater];
	}
}

static void die(const char *what)
{
	fprintf(stderr, "bench_verifier: %s\n", what);
	exit(1);
}

static void be16(uint8_t **p, uint32_t v) { (*p)[0] = (uint8_t)(v >> 8); (*p)[1] = (uint8_t)v; *p += 2; }
static void be32(uint8_t **p, uint32_t v) { be16(p, v >> 16); be16(p, v & 0xffff); }
static void be64(uint8_t **p, uint64_t v) { be32(p, (uint32_t)(v >> 32)); be32(p, (uint32_t)v); }
static void le16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void le32(uint8_t *p, uint32_t v) { le16(p, v & 0xffff); le16(p + 2, v >> 16); }

/* The AK as a TPM2B_PUBLIC: ECC P-256, restricted signing, ECDSA-SHA256. */
static size_t ak_public(uint8_t *out)
{
	uint8_t *p = out + 2;

	be16(&p, 0x0023);
	be16(&p, 0x000b);
	be32(&p, 0x00050072);
	be16(&p, 0);      /* authPolicy */
	be16(&p, 0x0010); /* symmetric NULL */
	be16(&p, 0x0018); /* ECDSA */
	be16(&p, 0x000b);
	be16(&p, 0x0003); /* NIST P-256 */
	be16(&p, 0x0010); /* kdf NULL */
	be16(&p, 32);
	memcpy(p, ak_x, 32);
	p += 32;
	be16(&p, 32);
	memcpy(p, ak_y, 32);
	p += 32;
	out[0] = (uint8_t)((p - out - 2) >> 8);
	out[1] = (uint8_t)(p - out - 2);
	return (size_t)(p - out);
}

static void make_logs(void)
{
	uint16_t banks[1] = { TPM_ALG_SHA256 };
	struct eventlog_writer w;
	struct eventlog_digests d;
	size_t n;

	if (eventlog_writer_init(&w, log_base, sizeof(log_base), banks, 1) != 0 ||
	    eventlog_append(&w, 8, TCG_EV_IPL, "simulated node", 14, &d) != 0)
		die("event log");
	pcr_extend(TPM_ALG_SHA256, pcr8_base, d.d[0].value);
	log_base_len = w.len;
	memcpy(log_changed, log_base, log_base_len);
	memcpy(pcr8_changed, pcr8_base, 32);
	if (eventlog_writer_resume(&w, log_changed, sizeof(log_changed), log_base_len) != 0 ||
	    eventlog_append(&w, 8, TCG_EV_ACTION, "airlock tampered", 16, &d) != 0)
		die("event log");
	pcr_extend(TPM_ALG_SHA256, pcr8_changed, d.d[0].value);
	log_changed_len = w.len;
	log_base_b64 = malloc(1024);
	log_changed_b64 = malloc(1024);
	b64_encode(log_base, log_base_len, log_base_b64, 1024, &n);
	b64_encode(log_changed, log_changed_len, log_changed_b64, 1024, &n);
}

/*
 * --fw-log: the firmware log every node sends, PCRs 0-7 at its replay and the
 * digest of its last application measured into PCR 4 (what predict's UEFI
 * policy names: the kernel the firmware loaded).
 */
static void load_fw_log(const char *path)
{
	static struct eventlog_pcrs pcrs;
	struct eventlog_reader r;
	struct eventlog_event ev;
	const uint8_t *v;
	char err[300];
	int found = 0;
	size_t fw_len;
	uint8_t *buf = file_read(path, 1u << 20, &fw_len, err, sizeof(err));

	if (!buf)
		die(err);
	if (eventlog_replay(buf, fw_len, &pcrs) != EVENTLOG_OK)
		die("--fw-log: the log does not replay");
	if (pcrs.extended & (1u << 8))
		die("--fw-log: the log extends PCR 8, which the simulated runtime log starts");
	for (unsigned pcr = 0; pcr < 8; pcr++) {
		if (!(v = eventlog_pcr_value(&pcrs, TPM_ALG_SHA256, pcr)))
			die("--fw-log: the log has no complete sha256 bank");
		memcpy(fw_pcr[pcr], v, 32);
	}
	if (eventlog_reader_init(&r, buf, fw_len) != EVENTLOG_OK)
		die("--fw-log: the log's header");
	while (eventlog_reader_next(&r, &ev) == 1)
		if (ev.pcr == 4 && ev.type == 0x80000003) /* EV_EFI_BOOT_SERVICES_APPLICATION */
			for (unsigned k = 0; k < ev.ndigests; k++)
				if (ev.digests[k].alg == TPM_ALG_SHA256) {
					memcpy(fw_pcr4_app, ev.digests[k].value, 32);
					found = 1;
				}
	if (!found)
		die("--fw-log: no application measured into PCR 4");
	if (!(fw_b64 = b64_encode_alloc(buf, fw_len)))
		die("out of memory");
	free(buf);
}

static char *b64(const uint8_t *d, size_t n, char *out)
{
	size_t len;

	b64_encode(d, n, out, 4 * ((n + 2) / 3) + 1, &len);
	return out;
}

/* One integrity answer for node i over nonce with PCR mask. */
static size_t answer(int i, const char *nonce, uint32_t mask, char *out, size_t cap)
{
	uint8_t attest[512], *p = attest, cat[24 * 32], dig[32], sig[256], der[80], blob[2048];
	char a64[1024], s64[512], p64[3000];
	const uint8_t *vals[24] = { 0 }, *dp;
	size_t n = 0, dlen = sizeof(der), k = 0, nl = strlen(nonce);
	unsigned npcr = 0;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;
	EVP_PKEY_CTX *ctx;
	int len;

	mask |= 1u << 16;
	for (int pcr = 0; pcr < 24; pcr++)
		if (mask & (1u << pcr)) {
			static const uint8_t zero[32];

			vals[pcr] = pcr == 8 ? (nodes[i].changed ? pcr8_changed : pcr8_base) :
				    pcr == 16 ? pcr16 : pcr < 8 && fw_b64 ? fw_pcr[pcr] : zero;
			memcpy(cat + n, vals[pcr], 32);
			n += 32;
			npcr++;
		}
	digest(TPM_ALG_SHA256, cat, n, dig);
	be32(&p, 0xff544347);
	be16(&p, 0x8018);
	be16(&p, 0);
	be16(&p, (uint32_t)nl);
	memcpy(p, nonce, nl);
	p += nl;
	be64(&p, ++nodes[i].clock);
	be32(&p, 1);
	be32(&p, 0);
	*p++ = 1;
	be64(&p, 0);
	be32(&p, 1);
	be16(&p, 0x000b);
	*p++ = 3;
	*p++ = (uint8_t)mask;
	*p++ = (uint8_t)(mask >> 8);
	*p++ = (uint8_t)(mask >> 16);
	be16(&p, 32);
	memcpy(p, dig, 32);
	p += 32;
	digest(TPM_ALG_SHA256, attest, (size_t)(p - attest), dig);
	ctx = EVP_PKEY_CTX_new(ak, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_sign(ctx, der, &dlen, dig, 32) <= 0)
		die("sign");
	EVP_PKEY_CTX_free(ctx);
	dp = der;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)dlen);
	ECDSA_SIG_get0(es, &r, &s);
	{
		uint8_t *q = sig;

		be16(&q, 0x0018);
		be16(&q, 0x000b);
		be16(&q, 32);
		BN_bn2binpad(r, q, 32);
		q += 32;
		be16(&q, 32);
		BN_bn2binpad(s, q, 32);
		q += 32;
		len = (int)(q - sig);
	}
	ECDSA_SIG_free(es);
	/* pcrblob, tpm2-tools layout */
	memset(blob, 0, sizeof(blob));
	le32(blob, 1);
	le16(blob + 4, 0x000b);
	blob[6] = 3;
	blob[7] = (uint8_t)mask;
	blob[8] = (uint8_t)(mask >> 8);
	blob[9] = (uint8_t)(mask >> 16);
	le32(blob + 132, (npcr + 7) / 8);
	for (int pcr = 0; pcr < 24; pcr++) {
		uint8_t *g, *d;

		if (!vals[pcr])
			continue;
		g = blob + 136 + (k / 8) * 532;
		le32(g, (uint32_t)(k % 8 + 1));
		d = g + 4 + (k % 8) * 66;
		le16(d, 32);
		memcpy(d + 2, vals[pcr], 32);
		k++;
	}
	n = (size_t)snprintf(out, cap, "{\"code\":200,\"status\":\"Success\",\"results\":{\"quote\":"
			     "\"r%s:%s:%s\",\"hash_alg\":\"sha256\",\"enc_alg\":\"ecc256\","
			     "\"sign_alg\":\"ecdsa\",\"mb_measurement_list\":%s%s%s,"
			     "\"airlock_runtime_log\":\"%s\"}}",
			     b64(attest, (size_t)(p - attest), a64), b64(sig, (size_t)len, s64),
			     b64(blob, 136 + (npcr + 7) / 8 * 532, p64), fw_b64 ? "\"" : "",
			     fw_b64 ? fw_b64 : "null", fw_b64 ? "\"" : "",
			     nodes[i].changed ? log_changed_b64 : log_base_b64);
	if (n >= cap)
		die("an answer does not fit its buffer");
	return n;
}

/* The sim node a revocation notice names (Keylime's msg carries agent_id), or -1. */
static int notice_about(const char *body)
{
	const char *p = strstr(body, "agent_id");

	p = p ? strstr(p, "sim-") : NULL;
	return p ? atoi(p + 4) : -1;
}

/*
 * Serve every node until stop time: one request per connection, as the
 * verifier sends: quotes answered, notices read whole, counted and answered.
 */
static void serve_nodes(double until)
{
	static int ep = -1;
	struct epoll_event ev, evs[256];

	if (ep < 0) {
		ep = epoll_create1(0);
		for (int i = 0; i < nnodes; i++) {
			ev.events = EPOLLIN;
			ev.data.u64 = (uint64_t)i << 32 | 0xffffffffu;
			epoll_ctl(ep, EPOLL_CTL_ADD, nodes[i].fd, &ev);
		}
	}
	while (now_s() < until) {
		int n = epoll_wait(ep, evs, 256, 20);

		flush_later();
		for (int k = 0; k < n; k++) {
			int i = (int)(evs[k].data.u64 >> 32), c;
			static char req[16384];
			char resp[16384], body[12288], nonce[80] = "", *q, *end;
			uint32_t mask = 0x300;
			ssize_t got = 0, r;
			size_t blen, want = 0;

			c = accept4(nodes[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			/* Read the head, and a POST's body (bounded by a short poll). */
			for (int tries = 0; tries < 200 && got < (ssize_t)sizeof(req) - 1; tries++) {
				r = read(c, req + got, sizeof(req) - 1 - (size_t)got);
				if (r > 0)
					got += r;
				req[got] = 0;
				end = strstr(req, "\r\n\r\n");
				if (end && !want && (q = strstr(req, "Content-Length: ")) && q < end)
					want = (size_t)(end + 4 - req) + strtoul(q + 16, NULL, 10);
				if (end && (size_t)got >= want)
					break;
				if (r <= 0)
					usleep(1000);
			}
			if (!strncmp(req, "POST ", 5) && strstr(req, "/notifications/revocation")) {
				int about = notice_about(req);

				if (nodes[i].silent && nhung < (int)(sizeof(hung) / sizeof(hung[0]))) {
					hung[nhung++] = c;
					continue;
				}
				notices++;
				if (about >= 0 && about == watched && nodes[i].notice_at == 0)
					nodes[i].notice_at = now_s();
				if (about >= 0 && about < nnodes && nodes[about].fail_bit >= 0)
					nodes[i].got |= 1ull << nodes[about].fail_bit;
				blen = (size_t)snprintf(body, sizeof(body),
							"{\"code\":200,\"status\":\"Success\",\"results\":{}}");
			} else if (!strncmp(req, "POST ", 5) && strstr(req, "/keys/vkey")) {
				nodes[i].vkeys++;
				blen = (size_t)snprintf(body, sizeof(body),
							"{\"code\":200,\"status\":\"Success\",\"results\":{}}");
			} else if (strstr(req, "/keys/verify?challenge=")) {
				/* An honest agent that derived K: the HMAC node add expects. */
				blen = (size_t)snprintf(body, sizeof(body), "{\"code\":200,\"status\":"
							"\"Success\",\"results\":{\"hmac\":\"h%05d\"}}", i);
			} else {
				double t = now_s();

				if (gaps_from && t >= gaps_from) {
					const char *ua = strstr(req, "(instance inst-");
					int inst = ua ? atoi(ua + 15) : -1;

					no_instance += inst < 0;
					if (nodes[i].last_q >= gaps_from) {
						double g = t - nodes[i].last_q;

						if (inst != nodes[i].last_inst &&
						    (!nodes[i].min_switch || g < nodes[i].min_switch))
							nodes[i].min_switch = g;
						if (g > nodes[i].max_gap)
							nodes[i].max_gap = g;
					}
					nodes[i].last_q = t;
					nodes[i].last_inst = inst;
				}
				if ((q = strstr(req, "nonce=")) != NULL)
					sscanf(q + 6, "%79[A-Za-z0-9]", nonce);
				if ((q = strstr(req, "mask=0x")) != NULL)
					mask = (uint32_t)strtoul(q + 7, NULL, 16);
				blen = answer(i, nonce, mask, body, sizeof(body));
				served++;
			}
			r = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: "
				     "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
				     blen, body);
			if (nodes[i].slow && strncmp(req, "POST ", 5) != 0 &&
			    nlater < (int)(sizeof(later) / sizeof(later[0]))) {
				later[nlater] = (struct deferred){ c, now_s() + SLOW_S, strdup(resp),
								   (size_t)r };
				if (later[nlater].resp) {
					nlater++;
					continue;
				}
			}
			if (write(c, resp, (size_t)r) != r)
				served -= served > 0;
			close(c);
		}
	}
}

/* Serve for a while, reading new failed verdicts from the database every 50 ms. */
static void watch_failures(struct db *db, double until, int (*done)(void))
{
	while (now_s() < until) {
		struct db_q q;
		const char *u;
		int rc;

		serve_nodes(now_s() + 0.05);
		db_q_start(&q, db, "SELECT uuid FROM nodes WHERE state = 'failed'", 1);
		while ((rc = db_q_row(&q)) == 1) {
			int i = (u = db_col_text(&q, 0)) && strlen(u) > 4 ? atoi(u + 4) : -1;

			if (i >= 0 && i < nnodes && nodes[i].changed && nodes[i].failed_at == 0)
				nodes[i].failed_at = now_s();
		}
		db_q_end(&q);
		if (rc < 0)
			die(db_errmsg(db));
		if (done && done())
			break;
	}
}

static int one_done(void)
{
	if (!nodes[watched].failed_at)
		return 0;
	for (int i = 0; i < nnodes; i++)
		if (!nodes[i].notice_at)
			return 0;
	return 1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char dir[] = "/tmp/bench_verifier.XXXXXX";
static struct store st;
/* Verifier instances: one, or (--failover) several sharing one PostgreSQL database. */
#define MAX_INSTANCES 4
static pid_t pids[MAX_INSTANCES];
static char port_files[MAX_INSTANCES][sizeof(dir) + 16];
static int ninstances = 1;
static const char *db_url; /* NULL: SQLite in dir */
#define pid pids[0]
#define port_file port_files[0]

/*
 * count simulated nodes, attesting, in a fresh state database; the verifier
 * started on it, pinned to core 0 (the simulator takes core 1). log: where its
 * stderr goes (NULL: nowhere).
 */
/*
 * Verifier instance k (name "inst-k") on the nodes' state directory and
 * database, on core 0 (the simulator takes the other); stderr into log (k > 0:
 * log.k), or nowhere.
 */
static void spawn(int k, const char *verifier, double interval, int workers, const char *log)
{
	char iv[32], wk[16], name[16], logk[4096], sdir[sizeof(dir) + 16];

	snprintf(port_files[k], sizeof(port_files[k]), "%s/port.%d", dir, k);
	snprintf(iv, sizeof(iv), "%g", interval);
	snprintf(wk, sizeof(wk), "%d", workers);
	snprintf(name, sizeof(name), "inst-%d", k);
	if (log && k)
		snprintf(logk, sizeof(logk), "%s.%d", log, k);
	/*
	 * Instances other than the first get a state directory of their own, as on
	 * another host, with a copy of the key pending V is sealed under: they
	 * reach V through the database alone.
	 */
	snprintf(sdir, sizeof(sdir), "%s", dir);
	if (k) {
		char cmd[6 * sizeof(sdir) + 128];

		snprintf(sdir, sizeof(sdir), "%s/inst-%d", dir, k);
		snprintf(cmd, sizeof(cmd), "mkdir -m 700 %s && { ! test -e %s/%s || cp -p %s/%s %s/; }",
			 sdir, dir, PENDING_V_KEY_FILE, dir, PENDING_V_KEY_FILE, sdir);
		if (system(cmd) != 0)
			die("instance state directory");
	}
	pids[k] = fork();
	if (pids[k] == 0) {
		char *args[] = { (char *)verifier, "--state", sdir, "--db", (char *)db_url, "serve",
				 "--listen", "127.0.0.1:0", "--port-file", port_files[k],
				 "--interval", iv, "--workers", wk, "--timeout", "10", "--instance",
				 name, NULL };
		cpu_set_t set;

		if (!db_url) /* no --db */
			memmove(&args[3], &args[5], sizeof(args) - 5 * sizeof(args[0]));
		CPU_ZERO(&set);
		CPU_SET(k % 2, &set);
		sched_setaffinity(0, sizeof(set), &set);
		if (!freopen(log ? (k ? logk : log) : "/dev/null", "w", stderr))
			_exit(127);
		execv(verifier, args);
		_exit(127);
	}
}

static void start(const char *verifier, int count, double interval, int workers, const char *log)
{
	static struct store_node n;
	static struct kc_nk nk;
	static struct kc_rng rng;
	char err[300], policy[2048], hex[65];
	uint8_t akpub[200], h[32];
	size_t akpub_len, len;
	EVP_PKEY_CTX *kctx;

	for (int i = 0; i < count; i++)
		nodes[i].fail_bit = -1;
	if (!mkdtemp(dir) || kc_rng_init(&rng, "bench", NULL, 0) || kc_nk_generate(&nk, &rng, NULL, 0))
		die("setup");
	/* PCR 16 = H(0 || H(NK PEM)), as the agent binds it. */
	digest(TPM_ALG_SHA256, nk.pem, nk.pem_len, h);
	pcr_extend(TPM_ALG_SHA256, pcr16, h);
	kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx, NID_X9_62_prime256v1) <= 0 ||
	    EVP_PKEY_keygen(kctx, &ak) <= 0)
		die("AK");
	EVP_PKEY_CTX_free(kctx);
	{
		uint8_t pt[65];
		size_t ptlen = sizeof(pt);

		if (!EVP_PKEY_get_octet_string_param(ak, "pub", pt, sizeof(pt), &ptlen) || ptlen != 65)
			die("AK point");
		memcpy(ak_x, pt + 1, 32);
		memcpy(ak_y, pt + 33, 32);
	}
	akpub_len = ak_public(akpub);
	make_logs();
	hex_encode(pcr8_base, 32, hex, sizeof(hex), &len);
	if (!fw_b64) {
		snprintf(policy, sizeof(policy), "{\"airlock_policy\":1,\"hash_alg\":\"sha256\","
			 "\"pcrs\":{\"8\":[\"%s\"]}}", hex);
	} else {
		/* The firmware's PCRs pinned, its kernel named, the runtime's PCR 8. */
		char fw[8][65], app[65];

		for (int k = 0; k < 8; k++)
			hex_encode(fw_pcr[k], 32, fw[k], sizeof(fw[k]), &len);
		hex_encode(fw_pcr4_app, 32, app, sizeof(app), &len);
		snprintf(policy, sizeof(policy), "{\"airlock_policy\":1,\"hash_alg\":\"sha256\","
			 "\"firmware_events\":{\"4\":[{\"digest\":\"%s\"}]},\"pcrs\":{"
			 "\"0\":[\"%s\"],\"1\":[\"%s\"],\"2\":[\"%s\"],\"3\":[\"%s\"],"
			 "\"4\":[\"%s\"],\"5\":[\"%s\"],\"6\":[\"%s\"],\"7\":[\"%s\"],"
			 "\"8\":[\"%s\"]}}", app, fw[0], fw[1], fw[2], fw[3], fw[4], fw[5], fw[6],
			 fw[7], hex);
	}
	if (store_open(&st, dir, db_url, err, sizeof(err)) != 0)
		die(err);
	if (db_begin(&st.db) != 0)
		die(db_errmsg(&st.db));
	for (int i = 0; i < count; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
		socklen_t sl = sizeof(sa);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl))
			die("listen (raise ulimit -n for many nodes)");
		nodes[i].fd = fd;
		memset(&n, 0, sizeof(n));
		snprintf(n.uuid, sizeof(n.uuid), "sim-%05d", i);
		memcpy(n.ek_tpm, akpub, akpub_len); /* not used after registration */
		n.ek_tpm_len = akpub_len;
		memcpy(n.aik_tpm, akpub, akpub_len);
		n.aik_tpm_len = akpub_len;
		snprintf(n.ip, sizeof(n.ip), "127.0.0.1");
		n.port = ntohs(sa.sin_port);
		snprintf(n.ek_trust, sizeof(n.ek_trust), "benchmark");
		snprintf(n.state, sizeof(n.state), "attesting");
		snprintf(n.api_version, sizeof(n.api_version), "2.5");
		n.release_reset = -1;
		snprintf(n.policy, sizeof(n.policy), "%s", policy);
		snprintf(n.nk_pem, sizeof(n.nk_pem), "%s", nk.pem);
		if (v_every && i % v_every == 1) {
			uint8_t v[VKEY_LEN];

			/* As node add leaves it: V waiting in its file for the first good quote. */
			memset(v, i & 0xff, sizeof(v));
			snprintf(n.state, sizeof(n.state), "enrolled");
			n.v_state = STORE_V_PENDING;
			snprintf(n.challenge, sizeof(n.challenge), "c%05d", i);
			snprintf(n.challenge_hmac, sizeof(n.challenge_hmac), "h%05d", i);
			if (pending_v_put(&st, n.uuid, n.gen, v, err, sizeof(err)) != 0)
				die(err);
			nodes[i].has_v = 1;
		}
		if (store_put(&st, &n, err, sizeof(err)) != 0)
			die(err);
	}
	if (db_commit(&st.db) != 0)
		die(db_errmsg(&st.db));
	nnodes = count;
	for (int k = 0; k < ninstances; k++)
		spawn(k, verifier, interval, workers, log);
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}

static void finish(void)
{
	char cmd[128];

	for (int i = 0; i < nhung; i++)
		close(hung[i]);
	for (int i = 0; i < nlater; i++) {
		close(later[i].fd);
		free(later[i].resp);
	}
	for (int k = 0; k < ninstances; k++)
		if (pids[k] > 0) {
			kill(pids[k], SIGTERM);
			waitpid(pids[k], NULL, 0);
		}
	store_close(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_verifier: could not remove %s\n", dir);
}

static int test_pass, test_fail;

/* One process's CPU seconds (all threads) and bytes it caused to be written to disk; -1 unknown. */
static void proc_cost(int p, double *cpu_s, double *disk_bytes)
{
	char path[64], line[1024], *q;
	unsigned long ut = 0, stt = 0;
	FILE *f;

	*cpu_s = *disk_bytes = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", p);
	if ((f = fopen(path, "r")) != NULL) {
		/* After the command's closing parenthesis: fields 3.., utime and stime are 14, 15. */
		if (fgets(line, sizeof(line), f) && (q = strrchr(line, ')')) != NULL &&
		    sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) == 2)
			*cpu_s = (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/io", p);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "write_bytes: ", 13))
				*disk_bytes = strtod(line + 13, NULL);
		fclose(f);
	}
}

/*
 * PostgreSQL: the WAL written since the cluster started and how many of its
 * records were full-page images (pg_stat_wal): the database's own account of
 * what each attestation costs it, whatever the page cache does. -1: unknown.
 */
static void wal_written(double *bytes, double *fpi)
{
	struct db_q q;

	*bytes = *fpi = -1;
	if (!db_url)
		return;
	db_q_start(&q, &st.db, "SELECT wal_bytes::bigint, wal_fpi FROM pg_stat_wal", 0);
	if (db_q_row(&q) == 1) {
		*bytes = (double)db_col_int64(&q, 0);
		*fpi = (double)db_col_int64(&q, 1);
	}
	db_q_end(&q);
}

static int parent(int p)
{
	char path[64], line[256];
	int pp = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", p);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "PPid:", 5))
			pp = atoi(line + 5);
	fclose(f);
	return pp;
}

/*
 * The verifier instances' CPU seconds and disk bytes so far; on PostgreSQL the
 * database server's processes ("postgres") count too, the cost of storage
 * wherever it runs. -1 when unknown.
 */
static void verifier_cost(double *cpu_s, double *disk_bytes)
{
	double c, d;

	*cpu_s = *disk_bytes = 0;
	for (int k = 0; k < ninstances; k++) {
		proc_cost(pids[k], &c, &d);
		if (c < 0 || d < 0) {
			*cpu_s = *disk_bytes = -1;
			return;
		}
		*cpu_s += c;
		*disk_bytes += d;
	}
	if (db_url) {
		/* The cluster's postmaster (the test's own, by its pid) and its children. */
		const char *pm = getenv("AIRLOCK_BENCH_PG_PID");
		DIR *pd = opendir("/proc");
		struct dirent *e;
		char path[300], comm[32];
		FILE *f;

		while (pd && (e = readdir(pd)) != NULL) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
			if (!(f = fopen(path, "r")))
				continue;
			if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "postgres\n") &&
			    (!pm || atoi(pm) == atoi(e->d_name) || atoi(pm) == parent(atoi(e->d_name)))) {
				proc_cost(atoi(e->d_name), &c, &d);
				*cpu_s += c > 0 ? c : 0;
				*disk_bytes += d > 0 ? d : 0;
			}
			fclose(f);
		}
		if (pd)
			closedir(pd);
	}
}

/* GET path from the verifier's serve port into buf (the whole answer, NUL-ended); bytes or -1. */
static long verifier_get(const char *path, char *buf, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	struct timeval tv = { .tv_sec = 10 };
	char req[256];
	FILE *f = fopen(port_file, "r");
	unsigned port = 0;
	size_t got = 0;
	int fd, n;

	if (!f || fscanf(f, "%u", &port) != 1 || port == 0 || port > 65535) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		     path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (got + 1 < cap) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

/* The value of the sample whose line starts with name (labels included), or -1. */
static double metric(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return -1;
}

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s", ok ? "ok   " : "FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	ok ? test_pass++ : test_fail++;
}

/* --test: several failures at once among a few hundred nodes. */
static int test_main(const char *verifier, int count, double interval, int failures,
		     const char *log)
{
	double t_change, t_end;
	unsigned long served_before;
	int late = 0, undetected = 0, missing = 0, own = 0, summaries = 0, nsilent = 0;
	long not_delivered = 0;
	char line[1024], *p;
	FILE *f;

	if (count < 10 || count > 2000 || failures < 1 || failures > 64 || failures * 2 > count ||
	    interval <= 0) {
		fprintf(stderr, "usage: bench_verifier --test VERIFIER NODES(10..2000) INTERVAL_S "
			"FAILURES(1..64, at most half) LOG\n");
		return 2;
	}
	start(verifier, count, interval, 4, log);
	/* One node in ten takes notices and never answers (a hung or overloaded agent). */
	for (int i = 3; i < count; i += 10)
		if (i % (count / failures) != 0) {
			nodes[i].silent = 1;
			nsilent++;
		}
	/* As many slow nodes as the verifier has workers, answering quotes after SLOW_S. */
	for (int k = 0, i = 7; k < 4 && i < count; i += 10)
		if (i % (count / failures) != 0 && !nodes[i].silent) {
			nodes[i].slow = 1;
			k++;
		}
	serve_nodes(now_s() + 1.5 * interval);
	check(served > (unsigned long)count / 2, "warm-up: %lu quotes served to %d nodes", served,
	      count);
	t_change = now_s();
	for (int k = 0; k < failures; k++) {
		int i = k * (count / failures);

		nodes[i].changed = 1;
		nodes[i].changed_at = t_change;
		nodes[i].fail_bit = k;
	}
	served_before = served;
	t_end = t_change + 6 * interval;
	watch_failures(&st.db, t_end, NULL);
	for (int i = 0; i < count; i++) {
		if (nodes[i].changed) {
			undetected += !nodes[i].failed_at;
			late += nodes[i].failed_at && nodes[i].failed_at - t_change > 3 * interval;
			own += !(nodes[i].got >> nodes[i].fail_bit & 1);
		} else if (!nodes[i].silent) {
			missing += __builtin_popcountll(~nodes[i].got & (failures == 64 ? ~0ull :
									(1ull << failures) - 1));
		}
	}
	check(!undetected, "%d failures at once: %d detected within %.0f s", failures,
	      failures - undetected, t_end - t_change);
	check(!late, "each detected within 3 intervals while notices went out (%d later)", late);
	check(!missing, "every answering healthy node got every failure's notice (%d of %d "
	      "deliveries missing; %d nodes never answer notices)", missing,
	      (count - failures - nsilent) * failures, nsilent);
	check(!own, "each failed node got its own notice (%d did not)", own);
	check((double)(served - served_before) >= 0.5 * (t_end - t_change) * (count - failures) /
	      interval, "attestation went on: %lu quotes in %.0f s (%.0f asked)",
	      served - served_before, t_end - t_change,
	      (t_end - t_change) * (count - failures) / interval);
	/* The silent nodes' deliveries end by timeout and retry: wait for every summary. */
	for (double until = now_s() + 30; now_s() < until && summaries < failures;) {
		serve_nodes(now_s() + 0.5);
		summaries = 0;
		not_delivered = 0;
		f = log ? fopen(log, "r") : NULL;
		while (f && fgets(line, sizeof(line), f))
			if ((p = strstr(line, "signed revocation notice taken by")) != NULL) {
				summaries++;
				p = strstr(p, "refused, ");
				not_delivered += p ? strtol(p + 9, NULL, 10) : 0;
			}
		if (f)
			fclose(f);
	}
	/*
	 * GET /metrics must account for what happened, checked against what the simulated
	 * agents saw: failures, node states, rounds against quotes served, detection.
	 */
	{
		static char text[256 << 10];
		long got = verifier_get("/metrics", text, sizeof(text));
		double pass = metric(text, "airlock_verifier_rounds_total{result=\"pass\"}");
		double fail = metric(text, "airlock_verifier_rounds_total{result=\"fail\"}");
		double inflight = metric(text, "airlock_verifier_rounds_in_flight");
		double det = metric(text, "airlock_verifier_detection_bound_seconds_count");
		double det6 = metric(text, "airlock_verifier_detection_bound_seconds_bucket{le=\"6\"}");
		double nfailed = metric(text, "airlock_verifier_nodes{state=\"failed\"}");
		double polled = metric(text, "airlock_verifier_schedule_polled");
		double overdue = metric(text, "airlock_verifier_schedule_overdue");

		check(got > 0 && strstr(text, "HTTP/1.1 200") == text &&
		      strstr(text, "Content-Type: text/plain; version=0.0.4"),
		      "GET /metrics answers in Prometheus text format (%ld bytes)", got);
		check(fail == failures && nfailed == failures, "metrics: %d failed rounds and %d failed "
		      "nodes, as many as were changed (%d)", (int)fail, (int)nfailed, failures);
		check(polled == count - failures && overdue >= 0 && overdue <= polled,
		      "metrics: the schedule polls the %d nodes not failed (%d), %d overdue now",
		      count - failures, (int)polled, (int)overdue);
		check(det == failures && det6 == failures, "metrics: a detection bound for each failure, "
		      "all within 6 s (%d of %d)", (int)det6, failures);
		/* No more good rounds than quotes answered; at most the rounds in flight and the slow
		   answers still held back fewer. */
		check(pass + fail <= (double)served && pass + fail + inflight + nlater + 8 >= (double)served,
		      "metrics: %.0f rounds ended for %lu quotes the agents answered (%.0f in flight, "
		      "%d answers held back)", pass + fail, served, inflight, nlater);
	}
	finish();
	check(summaries == failures, "the verifier's log has a delivery summary for each failure "
	      "(%d of %d)", summaries, failures);
	check(not_delivered == (long)nsilent * failures, "the summaries count every notice the "
	      "silent nodes did not take: %ld of %d", not_delivered, nsilent * failures);
	printf("%d passed, %d failed\n", test_pass, test_fail);
	return test_fail ? 1 : 0;
}

/* How many nodes instance name holds; -1 on error. */
static int held_by(const char *name)
{
	struct db_q q;
	int n = -1;

	db_q_start(&q, &st.db, "SELECT count(*) FROM nodes WHERE holder = ?", 0);
	db_bind_text(&q, name);
	if (db_q_row(&q) == 1)
		n = (int)db_col_int64(&q, 0);
	db_q_end(&q);
	return n;
}

/*
 * --failover: three instances on one PostgreSQL database (AIRLOCK_VERIFIER_DB)
 * share the nodes by leases; one in eight nodes starts enrolled with a pending
 * V. Once all are attested, inst-0 is killed (SIGKILL) right after a quarter
 * of its nodes were enrolled anew with a fresh V; later four of its former
 * nodes change PCR 8. What the simulated agents saw decides: every node kept
 * being asked (largest gap between two quotes, bounded), none was asked twice
 * within half an interval (two instances at once), every V went out exactly
 * once, every change was detected, the survivors counted the take-overs.
 */
static int failover_main(const char *verifier, int count, double interval, const char *log)
{
	/* serve.c's lease timing, for the bound on a take-over. */
	double r = interval / 4 < 0.1 ? 0.1 : interval / 4 > 1 ? 1 : interval / 4;
	double lease = interval + 2 * r, bound = 2 * interval + lease + r, t, t_kill, t_change;
	double max_gap = 0, max_gap_lost = 0;
	int ready = 0, nlost = 0, nrenew = 0, twice = 0, v_wrong = 0, v_total = 0, undetected = 0;
	int late = 0, nchanged = 0, failed_total = -1, worst = -1, switched = 0;
	char err[300];
	struct db_q q;
	int rc;

	db_url = getenv("AIRLOCK_VERIFIER_DB");
	if (!db_is_pg_url(db_url) || count < 30 || count > 2000 || interval <= 0) {
		fprintf(stderr, "usage: AIRLOCK_VERIFIER_DB=postgresql://... bench_verifier --failover "
			"VERIFIER NODES(30..2000) INTERVAL_S LOG\n");
		return 2;
	}
	ninstances = 3;
	v_every = 8;
	start(verifier, count, interval, 4, log);
	gaps_from = now_s();
	/* Warm-up: every node asked, every first V out (bounded). */
	for (t = now_s() + 15 * interval; now_s() < t && !ready;) {
		serve_nodes(now_s() + 0.2);
		ready = 1;
		for (int i = 0; i < count; i++)
			if (!nodes[i].last_q || (nodes[i].has_v && !nodes[i].vkeys))
				ready = 0;
	}
	/* And the instances have settled on their shares (what inst-0 holds is what it loses). */
	for (t = now_s() + 4 * interval; now_s() < t;)
		serve_nodes(now_s() + 0.2);
	check(ready, "three instances: every node asked and every pending V released within %.0f s",
	      15 * interval);
	db_q_start(&q, &st.db, "SELECT uuid FROM nodes WHERE holder = 'inst-0'", 0);
	while ((rc = db_q_row(&q)) == 1) {
		const char *u = db_col_text(&q, 0);
		int i = u && strlen(u) > 4 ? atoi(u + 4) : -1;

		if (i >= 0 && i < count) {
			nodes[i].lost_holder = 1;
			nlost++;
		}
	}
	db_q_end(&q);
	check(rc == 0 && nlost > count / 6 && nlost < count / 2, "inst-0 holds %d of %d nodes (about "
	      "a third)", nlost, count);
	/* A second process under a live instance's name is refused, and takes nothing from it. */
	{
		int held0 = held_by("inst-1"), status = -1, held1;
		pid_t dup = fork();

		if (dup == 0) {
			char iv[32], sdir[sizeof(dir) + 16];
			char *args[] = { (char *)verifier, "--state", sdir, "--db", (char *)db_url, "serve",
					 "--listen", "127.0.0.1:0", "--interval", iv, "--instance",
					 "inst-1", NULL };

			snprintf(iv, sizeof(iv), "%g", interval);
			snprintf(sdir, sizeof(sdir), "%s/inst-1", dir);
			if (!freopen("/dev/null", "w", stderr))
				_exit(127);
			execv(verifier, args);
			_exit(127);
		}
		for (t = now_s() + 10; now_s() < t && waitpid(dup, &status, WNOHANG) == 0;)
			serve_nodes(now_s() + 0.1);
		if (waitpid(dup, &status, WNOHANG) == 0) {
			kill(dup, SIGKILL);
			waitpid(dup, &status, 0);
		}
		held1 = held_by("inst-1");
		check(WIFEXITED(status) && WEXITSTATUS(status) == 1 && held1 == held0 && held0 > 0,
		      "a second serve named inst-1 exits 1 and inst-1 keeps its %d nodes (%d after)",
		      held0, held1);
	}
	/* node add again on a quarter of inst-0's nodes, a fresh V each, then the kill. */
	for (int i = 0; i < count; i++) {
		static struct store_node n;
		uint8_t v[VKEY_LEN];

		if (!nodes[i].lost_holder || nodes[i].has_v || i % 4)
			continue;
		snprintf(n.uuid, sizeof(n.uuid), "sim-%05d", i);
		if (store_get(&st, n.uuid, &n, err, sizeof(err)) != 1)
			die(err);
		memset(v, 0x5a ^ (i & 0xff), sizeof(v));
		snprintf(n.state, sizeof(n.state), "enrolled");
		n.v_state = STORE_V_PENDING;
		snprintf(n.challenge, sizeof(n.challenge), "c%05d", i);
		snprintf(n.challenge_hmac, sizeof(n.challenge_hmac), "h%05d", i);
		n.gen++;
		if (pending_v_put(&st, n.uuid, n.gen, v, err, sizeof(err)) != 0 ||
		    store_put_if_gen(&st, &n, n.gen - 1, err, sizeof(err)) != 0)
			die(err);
		nodes[i].has_v = 1;
		nodes[i].vkeys = 0;
		nrenew++;
	}
	t_kill = now_s();
	kill(pids[0], SIGKILL);
	waitpid(pids[0], NULL, 0);
	pids[0] = -1;
	serve_nodes(t_kill + 5 * interval);
	/* Four of its former nodes change. */
	t_change = now_s();
	for (int i = 0; i < count && nchanged < 4; i++)
		if (nodes[i].lost_holder && !nodes[i].has_v) {
			nodes[i].changed = 1;
			nodes[i].changed_at = t_change;
			nchanged++;
		}
	watch_failures(&st.db, t_change + 6 * interval, NULL);
	t = now_s();
	for (int i = 0; i < count; i++) {
		double g = nodes[i].changed ? nodes[i].max_gap : (t - nodes[i].last_q > nodes[i].max_gap ?
							      t - nodes[i].last_q : nodes[i].max_gap);

		if (nodes[i].changed) {
			undetected += !nodes[i].failed_at;
			late += nodes[i].failed_at && nodes[i].failed_at - t_change > 3 * interval;
		}
		if (g > max_gap) {
			max_gap = g;
			worst = i;
		}
		if (nodes[i].lost_holder && g > max_gap_lost)
			max_gap_lost = g;
		/* A node handed from one instance to another is asked by the second an interval
		   after the first at the soonest (a lease given back waits a lease). */
		twice += nodes[i].min_switch > 0 && nodes[i].min_switch < interval / 2;
		switched += nodes[i].min_switch > 0;
		if (nodes[i].has_v) {
			v_total++;
			v_wrong += nodes[i].vkeys != 1;
		}
	}
	printf("failover: inst-0 killed holding %d nodes (%d enrolled anew just before); largest gap "
	       "between two quotes of any node %.2f s (node %d; of inst-0's nodes %.2f s), bound "
	       "%.2f s at a %.1f s interval (lease %.2f s, renewed every %.2f s)\n", nlost, nrenew,
	       max_gap, worst, max_gap_lost, bound, interval, lease, r);
	check(max_gap <= bound, "every node kept being attested: largest gap %.2f s <= %.2f s",
	      max_gap, bound);
	check(!no_instance && switched >= nlost, "each quote request names its instance (%lu did "
	      "not), and inst-0's nodes changed hands (%d of %d)", no_instance, switched, nlost);
	check(!twice, "no node asked by two instances within half an interval: %d (%d nodes changed "
	      "hands)", twice, switched);
	check(v_total > 0 && !v_wrong, "every V released exactly once, counted at the agents: %d of "
	      "%d wrong (%d of them enrolled while inst-0 held them)", v_wrong, v_total, nrenew);
	check(nchanged == 4 && !undetected && !late, "PCR changes on inst-0's former nodes detected "
	      "within 3 intervals: %d of %d (%d late)", nchanged - undetected, nchanged, late);
	db_q_start(&q, &st.db, "SELECT count(*) FROM nodes WHERE state = 'failed'", 0);
	if (db_q_row(&q) == 1)
		failed_total = (int)db_col_int64(&q, 0);
	db_q_end(&q);
	check(failed_total == nchanged, "no other node failed (%d failed)", failed_total);
	{
		static char text[64 << 10];
		double took = 0;

		for (int k = 1; k < ninstances; k++) {
			snprintf(port_files[0], sizeof(port_files[0]), "%s/port.%d", dir, k);
			if (verifier_get("/metrics", text, sizeof(text)) > 0)
				took += metric(text, "airlock_verifier_lease_takeovers_total");
		}
		snprintf(port_files[0], sizeof(port_files[0]), "%s/port.0", dir);
		check(took >= nlost, "the survivors' metrics count the take-overs: %.0f (inst-0 held "
		      "%d)", took, nlost);
	}
	finish();
	printf("%d passed, %d failed\n", test_pass, test_fail);
	return test_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *verifier, *fw_log = NULL;
	int count, workers;
	double interval, seconds, t0, t_change, t_end, *lat, base_rate, cpu0, cpu1, disk0, disk1;
	double wal0, wal1, fpi0, fpi1;
	unsigned long served_before, notices_before;
	int nlat = 0, nchanged, undetected = 0;

	if (argc == 6 && !strcmp(argv[1], "--failover"))
		return failover_main(argv[2], atoi(argv[3]), atof(argv[4]), argv[5]);
	if (argc == 7 && !strcmp(argv[1], "--test"))
		return test_main(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]), argv[6]);
	/* Options in any order: --fw-log LOG, --instances N (N > 1: PostgreSQL, AIRLOCK_VERIFIER_DB). */
	while (argc > 2 && (!strcmp(argv[1], "--fw-log") || !strcmp(argv[1], "--instances"))) {
		if (!strcmp(argv[1], "--fw-log"))
			fw_log = argv[2];
		else
			ninstances = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	db_url = getenv("AIRLOCK_VERIFIER_DB");
	if (db_url && !*db_url)
		db_url = NULL;
	verifier = argc > 1 ? argv[1] : NULL;
	count = argc > 2 ? atoi(argv[2]) : 0;
	workers = argc > 5 ? atoi(argv[5]) : 16;
	interval = argc > 3 ? atof(argv[3]) : 0;
	seconds = argc > 4 ? atof(argv[4]) : 0;
	if (!verifier || count < 2 || count > MAX_NODES || interval <= 0 || seconds < 4 * interval ||
	    ninstances < 1 || ninstances > MAX_INSTANCES || (ninstances > 1 && !db_is_pg_url(db_url))) {
		fprintf(stderr, "usage: [AIRLOCK_VERIFIER_DB=postgresql://...] bench_verifier [--fw-log "
			"LOG] [--instances N (1..%d; more than one on PostgreSQL)] VERIFIER NODES "
			"INTERVAL_S SECONDS [WORKERS]\n"
			"       bench_verifier --test VERIFIER NODES INTERVAL_S FAILURES LOG\n"
			"       AIRLOCK_VERIFIER_DB=postgresql://... bench_verifier --failover VERIFIER "
			"NODES INTERVAL_S LOG\n", MAX_INSTANCES);
		return 2;
	}
	if (fw_log)
		load_fw_log(fw_log);
	start(verifier, count, interval, workers, NULL);
	/* 1. Warm-up: one interval and a half, then measure the steady rate. */
	t0 = now_s();
	serve_nodes(t0 + 1.5 * interval);
	served_before = served;
	t_change = now_s();
	verifier_cost(&cpu0, &disk0);
	wal_written(&wal0, &fpi0);
	serve_nodes(t_change + seconds / 2);
	verifier_cost(&cpu1, &disk1);
	wal_written(&wal1, &fpi1);
	base_rate = (double)(served - served_before) / (now_s() - t_change);
	printf("bench verifier: %d %snodes at %.1f s, %s, %d instance%s of %d workers on %s: %.0f "
	       "quotes/s served, %.0f/s asked for (ratio %.2f)\n", count, fw_log ? "UEFI " : "",
	       interval, db_url ? "PostgreSQL" : "SQLite", ninstances, ninstances > 1 ? "s" : "",
	       workers, ninstances > 1 ? "both cores" : "one core", base_rate, count / interval,
	       base_rate / (count / interval));
	/*
	 * A figure over nodes that fail is no figure: none may have failed by now. Nodes an
	 * overloaded verifier has not reached yet are part of the result, and said.
	 */
	{
		struct db_q q;
		int failed, unasked;
		char why[300];

		db_q_start(&q, &st.db, "SELECT count(*) FILTER (WHERE verdict = 'fail'),"
			   " count(*) FILTER (WHERE verdict IS NULL OR verdict = ''),"
			   " max(CASE WHEN verdict = 'fail' THEN reason END) FROM nodes", 0);
		if (db_q_row(&q) != 1)
			die(db_errmsg(&st.db));
		failed = (int)db_col_int64(&q, 0);
		unasked = (int)db_col_int64(&q, 1);
		snprintf(why, sizeof(why), "%s", db_col_text(&q, 2) ? db_col_text(&q, 2) : "none");
		db_q_end(&q);
		if (failed) {
			fprintf(stderr, "bench_verifier: %d of %d nodes failed in the steady phase (one "
				"reason: %s)\n", failed, count, why);
			finish();
			return 1;
		}
		if (unasked)
			printf("bench verifier: %d of %d nodes not yet attested after the steady phase\n",
			       unasked, count);
	}
	if (served > served_before && cpu0 >= 0 && cpu1 >= 0)
		printf("bench verifier: steady state cost per quote: %.0f us of verifier%s CPU "
		       "(%.0f%% of one core busy), %.0f bytes written to disk%s\n",
		       1e6 * (cpu1 - cpu0) / (double)(served - served_before),
		       db_url ? " and database" : "", 100 * (cpu1 - cpu0) / (now_s() - t_change),
		       disk0 >= 0 && disk1 >= 0 ? (disk1 - disk0) / (double)(served - served_before) : -1,
		       fw_log ? "; the firmware log replayed on every quote" : "");
	if (served > served_before && wal0 >= 0 && wal1 >= 0)
		printf("bench verifier: PostgreSQL wrote %.0f bytes of WAL per quote (%.2f full-page "
		       "images per quote)\n", (wal1 - wal0) / (double)(served - served_before),
		       (fpi1 - fpi0) / (double)(served - served_before));

	/* 2. One failure: detection, then its notice to every other attested node. */
	watched = 0;
	nodes[0].changed = 1;
	nodes[0].changed_at = t_change = now_s();
	served_before = served;
	t_end = t_change + 2 + 3 * interval;
	watch_failures(&st.db, t_end, one_done);
	{
		double last = 0, rate = (double)(served - served_before) / (now_s() - t_change);
		int got = 0;

		for (int i = 0; i < count; i++)
			if (nodes[i].notice_at) {
				got++;
				if (nodes[i].notice_at > last)
					last = nodes[i].notice_at;
			}
		if (!nodes[0].failed_at)
			printf("bench verifier: one failure: not detected within %.1f s\n", t_end - t_change);
		else
			printf("bench verifier: one failure: detected in %.2f s; its notice reached %d of %d "
			       "nodes%s %.2f s after detection (%.2f intervals; goal: 1-2); quotes/s "
			       "meanwhile %.0f (ratio %.2f to steady state)\n",
			       nodes[0].failed_at - t_change, got, count,
			       got == count ? ", the last" : " within the window; the last seen",
			       last ? last - nodes[0].failed_at : 0, last ? (last - nodes[0].failed_at) /
			       interval : 0, rate, rate / base_rate);
	}
	watched = -1;

	/* 3. CHANGED more nodes at once, spread over the set (node 0 is failed already). */
	nchanged = CHANGED < count - 1 ? CHANGED : count - 1;
	t_change = now_s();
	for (int k = 0; k < nchanged; k++) {
		int i = 1 + k * ((count - 1) / nchanged);

		nodes[i].changed = 1;
		nodes[i].changed_at = t_change;
	}
	served_before = served;
	notices_before = notices;
	t_end = t_change + seconds / 2;
	watch_failures(&st.db, t_end, NULL);
	lat = calloc((size_t)nchanged, sizeof(*lat));
	for (int i = 1; i < count; i++)
		if (nodes[i].changed) {
			/* Not detected within the window counts as the window, and is counted. */
			lat[nlat++] = nodes[i].failed_at ? nodes[i].failed_at - nodes[i].changed_at :
						       t_end - t_change;
			undetected += !nodes[i].failed_at;
		}
	qsort(lat, (size_t)nlat, sizeof(*lat), cmp_dbl);
	printf("bench verifier: PCR 8 changed on %d nodes at once: %d detected within %.0f s, %d not; "
	       "over all %d: p50 %.2f s, p99 %s%.2f s, max %s%.2f s (goal: all, p99 < 2 s); "
	       "%lu notices delivered meanwhile; quotes/s %.0f (ratio %.2f to steady state)\n",
	       nchanged, nchanged - undetected, t_end - t_change, undetected, nlat, lat[nlat / 2],
	       lat[(nlat * 99) / 100] >= t_end - t_change ? "> " : "", lat[(nlat * 99) / 100],
	       lat[nlat - 1] >= t_end - t_change ? "> " : "", lat[nlat - 1],
	       notices - notices_before, (double)(served - served_before) / (t_end - t_change),
	       (double)(served - served_before) / (t_end - t_change) / base_rate);
	finish();
	free(lat);
	return 0;
}

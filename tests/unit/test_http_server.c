/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loopback tests for src/lib/http_server.c and src/lib/http_client.c.
 *
 * The server runs in this process on 127.0.0.1 (ephemeral port), driven by
 * http_server_poll_once(); clients are forked children using plain blocking
 * sockets with receive/send timeouts, so a server that blocks on one client
 * shows up as another client's failure, not as a hang. The client library
 * tests run the server in a forked child (http_server_run with a stop pipe)
 * and assert in this process. Every wait is bounded and every child is
 * reaped (killed first if it overstays).
 *
 * TLS: a test CA, a server and a client certificate (both issued by it) and
 * a stray self-signed client certificate are made with mbedtls at test
 * time; the server requires a client certificate from the CA.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "http.h"
#include "http_client.h"
#include "http_server.h"

#define CHILD_IO_TIMEOUT_MS 5000 /* a child's socket wait; far above any real answer time */
#define DRIVE_LIMIT_MS 20000     /* the longest the parent serves while waiting for children */
#define BODY_MAX 1024
#define BIG_LEN (1024 * 1024)

/* ---- server side: handler, log, driving ---- */

struct handler_ctx {
	unsigned calls;
	unsigned ext_frees;
};

static struct handler_ctx hctx;
static char big_body[BIG_LEN];
static char log_text[16384];
static size_t log_len;

__attribute__((format(printf, 3, 4))) static void test_log(void *ctx, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	(void)ctx;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (getenv("HTTP_TEST_VERBOSE") != NULL)
		fprintf(stderr, "log<%d> %s\n", level, line);
	if (log_len + (size_t)n + 2 < sizeof(log_text)) {
		memcpy(log_text + log_len, line, (size_t)n);
		log_len += (size_t)n;
		log_text[log_len++] = '\n';
		log_text[log_len] = '\0';
	}
}

static void ext_free(void *p)
{
	if (p == big_body)
		hctx.ext_frees++;
}

static int handler(void *ctx, const struct http_request *req, struct http_reply *reply)
{
	struct handler_ctx *h = ctx;
	char val[64];
	int n;

	h->calls++;
	if (req->path_len == 10 && memcmp(req->path, "/v2.1/echo", 10) == 0) {
		if (http_query_get(req, "x", val, sizeof(val)) < 0)
			snprintf(val, sizeof(val), "-");
		n = snprintf(reply->body, reply->body_cap, "{\"x\":\"%s\",\"body\":%zu}", val, req->body_len);
		reply->body_len = (size_t)n;
		return 0;
	}
	if (req->path_len == 5 && memcmp(req->path, "/body", 5) == 0) {
		memcpy(reply->body, req->body, req->body_len);
		reply->body_len = req->body_len;
		reply->content_type = "application/octet-stream";
		return 0;
	}
	if (req->path_len == 4 && memcmp(req->path, "/big", 4) == 0) {
		reply->ext_body = big_body;
		reply->ext_len = sizeof(big_body);
		reply->ext_free = ext_free;
		reply->content_type = "text/plain";
		return 0;
	}
	if (req->path_len == 5 && memcmp(req->path, "/fail", 5) == 0)
		return -1;
	if (req->path_len == 6 && memcmp(req->path, "/close", 6) == 0) {
		reply->close = true;
		reply->body_len = (size_t)snprintf(reply->body, reply->body_cap, "{}");
		return 0;
	}
	if (req->path_len == 5 && memcmp(req->path, "/peer", 5) == 0) {
		reply->body_len = (size_t)snprintf(reply->body, reply->body_cap, "%s", reply->peer);
		reply->content_type = "text/plain";
		return 0;
	}
	reply->status = 404;
	reply->body_len = (size_t)snprintf(reply->body, reply->body_cap,
					   "{\"code\":404,\"status\":\"Not Found\",\"results\":{}}");
	return 0;
}

static struct http_server_config base_config(void)
{
	struct http_server_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.address = "127.0.0.1";
	cfg.port = 0;
	cfg.body_max = BODY_MAX;
	cfg.recv_timeout_ms = 8000;
	cfg.send_timeout_ms = 8000;
	cfg.handler = handler;
	cfg.handler_ctx = &hctx;
	cfg.log = test_log;
	return cfg;
}

static struct http_server *open_server(const struct http_server_config *cfg)
{
	struct http_server *s = NULL;
	char err[256] = "";

	memset(&hctx, 0, sizeof(hctx));
	log_len = 0;
	log_text[0] = '\0';
	if (http_server_open(&s, cfg, err, sizeof(err)) != 0)
		fail_msg("http_server_open: %s", err);
	assert_int_not_equal(http_server_port(s), 0);
	return s;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- children ---- */

#define MAX_CHILDREN 8

struct child {
	pid_t pid;
	int status;
	bool done;
};

static struct child children[MAX_CHILDREN];
static size_t nchildren;

static struct child *spawn(int (*fn)(void *), void *arg)
{
	struct child *c;
	pid_t pid;

	assert_true(nchildren < MAX_CHILDREN);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30); /* a child that loses its way dies on its own */
		_exit(fn(arg));
	}
	c = &children[nchildren++];
	c->pid = pid;
	c->done = false;
	c->status = -1;
	return c;
}

static bool reap(struct child *c)
{
	int st;

	if (c->done)
		return true;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->done = true;
		c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	return c->done;
}

static void kill_children(void)
{
	for (size_t i = 0; i < nchildren; i++) {
		if (!children[i].done) {
			kill(children[i].pid, SIGKILL);
			waitpid(children[i].pid, NULL, 0);
			children[i].done = true;
		}
	}
	nchildren = 0;
}

/* Serves until pred(arg) holds; fails the test if it takes longer than DRIVE_LIMIT_MS. */
static void drive_until(struct http_server *s, bool (*pred)(void *), void *arg, const char *what)
{
	int64_t end = now_ms() + DRIVE_LIMIT_MS;
	char err[256];

	while (!pred(arg)) {
		if (now_ms() > end) {
			kill_children();
			fail_msg("timed out waiting for %s", what);
		}
		if (http_server_poll_once(s, 10, err, sizeof(err)) != 0) {
			kill_children();
			fail_msg("poll_once: %s", err);
		}
	}
}

static bool child_done(void *arg)
{
	return reap(arg);
}

static bool all_done(void *arg)
{
	bool all = true;

	(void)arg;
	for (size_t i = 0; i < nchildren; i++)
		all = reap(&children[i]) && all;
	return all;
}

static void expect_exit(struct child *c, int code, const char *what)
{
	if (c->status != code)
		fail_msg("%s: child exit %d, want %d", what, c->status, code);
}

/* ---- client helpers used inside children (stderr for diagnostics, exit code for results) ---- */

static uint16_t g_port;

#define CFAIL(code, ...)                                      \
	do {                                                  \
		fprintf(stderr, "child %d: ", (int)getpid()); \
		fprintf(stderr, __VA_ARGS__);                 \
		fputc('\n', stderr);                          \
		return (code);                                \
	} while (0)

static int connect_to(uint16_t port)
{
	struct sockaddr_in a;
	struct timeval tv = { .tv_sec = CHILD_IO_TIMEOUT_MS / 1000 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return true;
}

struct answer {
	char buf[BIG_LEN + 4096];
	size_t len;  /* bytes held in buf */
	size_t used; /* bytes of buf belonging to answers already returned */
	struct http_response r;
	bool eof;
};

static struct answer ans;

/* Reads the next answer on fd (answers on one connection arrive back to back). Returns 0 or -1. */
static int read_answer(int fd, struct answer *a)
{
	memmove(a->buf, a->buf + a->used, a->len - a->used);
	a->len -= a->used;
	a->used = 0;
	for (;;) {
		char err[128];
		int rc = http_response_parse(a->buf, a->len, a->eof, sizeof(a->buf), NULL, 0, &a->r, err, sizeof(err));
		ssize_t n;

		if (rc == HTTP_PARSE_OK) {
			a->used = a->r.consumed;
			return 0;
		}
		if (rc != HTTP_PARSE_INCOMPLETE) {
			fprintf(stderr, "child %d: bad answer (%zu bytes): %s\n", (int)getpid(), a->len, err);
			return -1;
		}
		if (a->len == sizeof(a->buf))
			return -1;
		n = recv(fd, a->buf + a->len, sizeof(a->buf) - a->len, 0);
		if (n < 0) {
			fprintf(stderr, "child %d: recv: %s after %zu bytes\n", (int)getpid(), strerror(errno), a->len);
			return -1;
		}
		if (n == 0)
			a->eof = true;
		a->len += (size_t)n;
	}
}

static bool body_is(const struct answer *a, const char *want)
{
	return a->r.body_len == strlen(want) && memcmp(a->r.body, want, a->r.body_len) == 0;
}

static bool header_is(const struct answer *a, const char *name, const char *want)
{
	size_t n = 0;
	const char *v = http_response_header_get(&a->r, name, &n);

	return v != NULL && n == strlen(want) && memcmp(v, want, n) == 0;
}

/* After the last answer: the server closes (EOF, or a reset once it lingered), and sends nothing more. */
static bool closed_by_server(int fd)
{
	char c;
	ssize_t n;

	if (ans.len > ans.used)
		return false;
	n = recv(fd, &c, 1, 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* One request on a fresh connection; returns the status or -1. */
static int one_request(const char *text)
{
	size_t len = strlen(text);
	int fd = connect_to(g_port), rc = -1;

	memset(&ans, 0, sizeof(ans));
	if (fd < 0)
		return -1;
	if (send_all(fd, text, len) && read_answer(fd, &ans) == 0)
		rc = ans.r.status;
	close(fd);
	return rc;
}

/* ---- tests ---- */

static int child_keepalive(void *arg)
{
	static const char two[] = "GET /v2.1/echo?x=p1 HTTP/1.1\r\nHost: t\r\n\r\n"
				  "POST /v2.1/echo?x=p2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
	static const char last[] = "GET /v2.1/echo?x=bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	static const char first[] = "GET /v2.1/echo?x=hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\n"
				    "Accept: */*\r\n\r\n";
	int fd = connect_to(g_port);

	(void)arg;
	memset(&ans, 0, sizeof(ans));
	if (fd < 0)
		CFAIL(2, "connect");
	/* curl's request, as captured in test_http.c, then a second one on the same connection */
	if (!send_all(fd, first, sizeof(first) - 1) ||
	    read_answer(fd, &ans) != 0)
		CFAIL(3, "first request");
	if (ans.r.status != 200 || !body_is(&ans, "{\"x\":\"hello\",\"body\":0}") ||
	    !header_is(&ans, "Content-Type", "application/json") || !header_is(&ans, "Connection", "keep-alive"))
		CFAIL(4, "first answer %d", ans.r.status);
	/* two pipelined in one write: answered in order */
	if (!send_all(fd, two, sizeof(two) - 1) || read_answer(fd, &ans) != 0 ||
	    !body_is(&ans, "{\"x\":\"p1\",\"body\":0}"))
		CFAIL(5, "pipelined 1");
	if (read_answer(fd, &ans) != 0 || !body_is(&ans, "{\"x\":\"p2\",\"body\":3}"))
		CFAIL(6, "pipelined 2");
	if (!send_all(fd, last, sizeof(last) - 1) || read_answer(fd, &ans) != 0 ||
	    !body_is(&ans, "{\"x\":\"bye\",\"body\":0}") || !header_is(&ans, "Connection", "close"))
		CFAIL(7, "closing request");
	if (!closed_by_server(fd))
		CFAIL(8, "server kept the connection after Connection: close");
	close(fd);
	return 0;
}

static void test_keepalive_pipelining(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = open_server(&cfg);
	struct child *c;

	(void)state;
	g_port = http_server_port(s);
	c = spawn(child_keepalive, NULL);
	drive_until(s, child_done, c, "keep-alive client");
	expect_exit(c, 0, "keep-alive client");
	assert_int_equal(hctx.calls, 4);
	nchildren = 0;
	http_server_close(s);
}

/* Slow clients: A connects and sends nothing, B sends half a request; C must be served meanwhile. */
static int sync_w = -1, release_r = -1;

static bool still_open(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static bool wait_release(void)
{
	struct pollfd p = { .fd = release_r, .events = POLLIN };
	char c;

	return poll(&p, 1, 15000) == 1 && read(release_r, &c, 1) == 1;
}

static int child_silent(void *arg)
{
	int fd = connect_to(g_port);

	(void)arg;
	if (fd < 0)
		CFAIL(2, "connect");
	if (write(sync_w, "A", 1) != 1)
		CFAIL(3, "sync");
	if (!wait_release())
		CFAIL(4, "never released");
	if (!still_open(fd))
		CFAIL(5, "server dropped the silent client early");
	close(fd);
	return 0;
}

static int child_partial(void *arg)
{
	static const char head[] = "GET /v2.1/echo?x=late HTTP/1.1\r\nHost: t\r\n";
	int fd = connect_to(g_port);

	(void)arg;
	memset(&ans, 0, sizeof(ans));
	if (fd < 0)
		CFAIL(2, "connect");
	if (!send_all(fd, head, sizeof(head) - 1) || write(sync_w, "B", 1) != 1)
		CFAIL(3, "send/sync");
	if (!wait_release())
		CFAIL(4, "never released");
	if (!still_open(fd))
		CFAIL(5, "server dropped the partial client early");
	/* finish the request: the half kept waiting is still served */
	if (!send_all(fd, "\r\n", 2) || read_answer(fd, &ans) != 0 || !body_is(&ans, "{\"x\":\"late\",\"body\":0}"))
		CFAIL(6, "completed request not answered");
	close(fd);
	return 0;
}

static int child_prompt(void *arg)
{
	static const char req[] = "GET /v2.1/echo?x=now HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

	(void)arg;
	if (one_request(req) != 200 || !body_is(&ans, "{\"x\":\"now\",\"body\":0}"))
		CFAIL(2, "prompt client not served");
	return 0;
}

static int sync_r = -1, release_w = -1;
static unsigned synced;

static bool two_synced(void *arg)
{
	char c;

	(void)arg;
	while (read(sync_r, &c, 1) == 1)
		synced++;
	return synced >= 2;
}

static void test_slow_clients_do_not_block(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = open_server(&cfg);
	struct child *a, *b, *c;
	int sp[2], rp[2];

	(void)state;
	g_port = http_server_port(s);
	assert_int_equal(pipe2(sp, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(rp, O_CLOEXEC), 0);
	sync_r = sp[0];
	sync_w = sp[1];
	release_r = rp[0];
	release_w = rp[1];
	synced = 0;

	a = spawn(child_silent, NULL);
	b = spawn(child_partial, NULL);
	drive_until(s, two_synced, NULL, "silent and partial clients to connect");
	c = spawn(child_prompt, NULL);
	drive_until(s, child_done, c, "prompt client");
	expect_exit(c, 0, "prompt client");
	/* A and B are still waiting for their release: C did not wait for them */
	assert_false(reap(a));
	assert_false(reap(b));
	assert_int_equal(http_server_connections(s), 2);
	assert_int_equal(write(release_w, "rr", 2), 2);
	drive_until(s, all_done, NULL, "released clients");
	expect_exit(a, 0, "silent client");
	expect_exit(b, 0, "partial client");
	nchildren = 0;
	close(sp[0]);
	close(sp[1]);
	close(rp[0]);
	close(rp[1]);
	http_server_close(s);
}

/* Refused requests get the parser's status as JSON, the connection closes, the next client is served. */
static int child_bad_requests(void *arg)
{
	static const struct {
		const char *text;
		int status;
	} cases[] = {
		{ "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n0123456789", 413 },
		{ "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n", 400 },
		{ "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501 },
		{ "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505 },
		{ "POST /body HTTP/1.1\r\nHost: t\r\n\r\n", 411 },
		{ "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501 },
	};
	char want[128];

	(void)arg;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = connect_to(g_port);

		memset(&ans, 0, sizeof(ans));
		if (fd < 0)
			CFAIL(2, "connect");
		if (!send_all(fd, cases[i].text, strlen(cases[i].text)) || read_answer(fd, &ans) != 0)
			CFAIL(3, "case %zu: no answer", i);
		snprintf(want, sizeof(want), "{\"code\":%d,\"status\":\"%s\",\"results\":{}}", cases[i].status,
			 http_status_reason(cases[i].status));
		if (ans.r.status != cases[i].status || !body_is(&ans, want) || !header_is(&ans, "Connection", "close"))
			CFAIL(4, "case %zu: status %d", i, ans.r.status);
		if (!closed_by_server(fd))
			CFAIL(5, "case %zu: connection left open", i);
		close(fd);
	}
	return 0;
}

/* A client that keeps sending a body the server already refused still reads its 413. */
static int child_413_while_sending(void *arg)
{
	static char req[64 * 1024];
	int fd = connect_to(g_port);
	int n;

	(void)arg;
	memset(&ans, 0, sizeof(ans));
	if (fd < 0)
		CFAIL(2, "connect");
	n = snprintf(req, sizeof(req), "PUT /body HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", 60 * 1024);
	memset(req + n, 'z', sizeof(req) - (size_t)n);
	(void)send_all(fd, req, (size_t)n + 60 * 1024); /* may fail once the server closed: the answer counts */
	if (read_answer(fd, &ans) != 0 || ans.r.status != 413)
		CFAIL(3, "no 413 (status %d)", ans.r.status);
	close(fd);
	return 0;
}

static int child_after_bad(void *arg)
{
	static const char req[] = "GET /v2.1/echo?x=next HTTP/1.1\r\nHost: t\r\n\r\n";

	(void)arg;
	if (one_request(req) != 200 || !body_is(&ans, "{\"x\":\"next\",\"body\":0}"))
		CFAIL(2, "client after the bad ones not served");
	return 0;
}

static void test_bad_requests_then_next_client(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = open_server(&cfg);
	struct child *c;

	(void)state;
	g_port = http_server_port(s);
	c = spawn(child_bad_requests, NULL);
	drive_until(s, child_done, c, "bad requests");
	expect_exit(c, 0, "bad requests");
	c = spawn(child_413_while_sending, NULL);
	drive_until(s, child_done, c, "413 while sending");
	expect_exit(c, 0, "413 while sending");
	c = spawn(child_after_bad, NULL);
	drive_until(s, child_done, c, "next client");
	expect_exit(c, 0, "next client");
	assert_int_equal(hctx.calls, 1); /* only the good request reached the handler */
	assert_non_null(strstr(log_text, "answering 413"));
	nchildren = 0;
	http_server_close(s);
}

static int child_truncated(void *arg)
{
	static const char part[] = "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly this";
	int fd = connect_to(g_port);

	(void)arg;
	if (fd < 0 || !send_all(fd, part, sizeof(part) - 1))
		CFAIL(2, "connect/send");
	close(fd);
	return 0;
}

static bool no_connections(void *arg)
{
	return http_server_connections(arg) == 0;
}

static bool log_has(void *arg)
{
	return strstr(log_text, arg) != NULL;
}

static void test_truncated_request_then_close(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = open_server(&cfg);
	struct child *c;

	(void)state;
	g_port = http_server_port(s);
	c = spawn(child_truncated, NULL);
	drive_until(s, child_done, c, "truncating client");
	expect_exit(c, 0, "truncating client");
	/* The child may be gone before the server accepted it: wait for the log, not for zero
	 * connections (which holds before the accept too). */
	drive_until(s, log_has, "closed inside a request", "the truncated connection to be dropped");
	drive_until(s, no_connections, s, "the truncated connection to be dropped");
	c = spawn(child_after_bad, NULL);
	drive_until(s, child_done, c, "next client");
	expect_exit(c, 0, "next client");
	assert_int_equal(hctx.calls, 1);
	nchildren = 0;
	http_server_close(s);
}

/* The receive deadline closes silent and half-sent connections. */
static int child_deadline(void *arg)
{
	int fd = connect_to(g_port), fd2 = connect_to(g_port);
	char c;

	(void)arg;
	if (fd < 0 || fd2 < 0)
		CFAIL(2, "connect");
	if (!send_all(fd2, "GET / HTTP/1.1\r\nHo", 18))
		CFAIL(3, "send");
	/* both must see the server close well before our own 5 s receive timeout */
	if (recv(fd, &c, 1, 0) != 0 || recv(fd2, &c, 1, 0) != 0)
		CFAIL(4, "server did not close at its deadline: %s", strerror(errno));
	close(fd);
	close(fd2);
	return 0;
}

static void test_receive_deadline(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s;
	struct child *c;

	(void)state;
	cfg.recv_timeout_ms = 300;
	s = open_server(&cfg);
	g_port = http_server_port(s);
	c = spawn(child_deadline, NULL);
	drive_until(s, child_done, c, "deadline client");
	expect_exit(c, 0, "deadline client");
	assert_non_null(strstr(log_text, "idle past the timeout"));
	assert_non_null(strstr(log_text, "request not complete in time"));
	nchildren = 0;
	http_server_close(s);
}

/* Over max_conns: 503 and close; once a slot frees up, served again. */
static int child_cap(void *arg)
{
	static const char req[] = "GET /v2.1/echo?x=cap HTTP/1.1\r\nHost: t\r\n\r\n";
	int a = connect_to(g_port), b = connect_to(g_port), c;

	(void)arg;
	if (a < 0 || b < 0)
		CFAIL(2, "connect");
	/* make sure both are accepted before the third arrives */
	memset(&ans, 0, sizeof(ans));
	if (!send_all(a, req, sizeof(req) - 1) || read_answer(a, &ans) != 0 || ans.r.status != 200)
		CFAIL(3, "a not served");
	memset(&ans, 0, sizeof(ans));
	if (!send_all(b, req, sizeof(req) - 1) || read_answer(b, &ans) != 0 || ans.r.status != 200)
		CFAIL(4, "b not served");
	c = connect_to(g_port);
	memset(&ans, 0, sizeof(ans));
	if (c < 0 || read_answer(c, &ans) != 0 || ans.r.status != 503)
		CFAIL(5, "third connection not refused with 503 (%d)", ans.r.status);
	close(c);
	close(a);
	/* the server notices a's close on its next round; retry for a bounded while */
	for (int i = 0; i < 100; i++) {
		int rc = one_request(req);

		if (rc == 200) {
			close(b);
			return 0;
		}
		if (rc != 503)
			CFAIL(6, "unexpected %d", rc);
		usleep(20000);
	}
	CFAIL(7, "never served after a slot freed up");
}

static void test_connection_cap(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s;
	struct child *c;

	(void)state;
	cfg.max_conns = 2;
	s = open_server(&cfg);
	g_port = http_server_port(s);
	c = spawn(child_cap, NULL);
	drive_until(s, child_done, c, "capped clients");
	expect_exit(c, 0, "capped clients");
	assert_non_null(strstr(log_text, "refused"));
	nchildren = 0;
	http_server_close(s);
}

/* 500 on handler failure, external bodies, 404, the peer address, 100-continue, byte-by-byte arrival. */
static int child_features(void *arg)
{
	static const char head[] = "PUT /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
	static const char slow[] = "GET /v2.1/echo?x=drip HTTP/1.1\r\nHost: t\r\n\r\n";
	char buf[64];
	ssize_t n;
	int fd;

	(void)arg;
	if (one_request("GET /fail HTTP/1.1\r\nHost: t\r\n\r\n") != 500 ||
	    !body_is(&ans, "{\"code\":500,\"status\":\"Internal Server Error\",\"results\":{}}"))
		CFAIL(2, "handler failure");
	if (one_request("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n") != 404)
		CFAIL(3, "404");
	if (one_request("GET /big HTTP/1.1\r\nHost: t\r\n\r\n") != 200 || ans.r.body_len != BIG_LEN ||
	    memcmp(ans.r.body, big_body, BIG_LEN) != 0 || !header_is(&ans, "Content-Type", "text/plain"))
		CFAIL(4, "external body (%zu bytes)", ans.r.body_len);
	if (one_request("GET /peer HTTP/1.1\r\nHost: t\r\n\r\n") != 200 || ans.r.body_len < 11 ||
	    memcmp(ans.r.body, "127.0.0.1:", 10) != 0)
		CFAIL(5, "peer");

	fd = connect_to(g_port);
	memset(&ans, 0, sizeof(ans));
	if (fd < 0 || !send_all(fd, head, sizeof(head) - 1))
		CFAIL(6, "connect/send");
	n = recv(fd, buf, 25, MSG_WAITALL);
	if (n != 25 || memcmp(buf, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
		CFAIL(7, "no 100 Continue");
	if (!send_all(fd, "hello", 5) || read_answer(fd, &ans) != 0 || ans.r.status != 200 || !body_is(&ans, "hello"))
		CFAIL(8, "body after 100 Continue");
	close(fd);

	fd = connect_to(g_port);
	memset(&ans, 0, sizeof(ans));
	if (fd < 0)
		CFAIL(9, "connect");
	for (size_t i = 0; i < sizeof(slow) - 1; i++) {
		if (!send_all(fd, slow + i, 1))
			CFAIL(10, "send");
		usleep(1000);
	}
	if (read_answer(fd, &ans) != 0 || !body_is(&ans, "{\"x\":\"drip\",\"body\":0}"))
		CFAIL(11, "byte-by-byte request");
	close(fd);
	return 0;
}

static void test_handler_features(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = open_server(&cfg);
	struct child *c;

	(void)state;
	for (size_t i = 0; i < sizeof(big_body); i++)
		big_body[i] = (char)('a' + i % 26);
	g_port = http_server_port(s);
	c = spawn(child_features, NULL);
	drive_until(s, child_done, c, "feature client");
	expect_exit(c, 0, "feature client");
	drive_until(s, no_connections, s, "connections to close");
	assert_int_equal(hctx.ext_frees, 1);
	nchildren = 0;
	http_server_close(s);
}

static void test_open_errors(void **state)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = NULL, *s2 = NULL;
	char err[256] = "";

	(void)state;
	cfg.address = "localhost"; /* numeric only */
	assert_int_equal(http_server_open(&s, &cfg, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "localhost"));
	cfg.address = "127.0.0.1";
	cfg.handler = NULL;
	assert_int_equal(http_server_open(&s, &cfg, err, sizeof(err)), -1);
	cfg = base_config();
	cfg.max_conns = HTTP_SERVER_MAX_CONNS_LIMIT + 1;
	assert_int_equal(http_server_open(&s, &cfg, err, sizeof(err)), -1);
	/* a port in use */
	cfg = base_config();
	s = open_server(&cfg);
	cfg.port = http_server_port(s);
	assert_int_equal(http_server_open(&s2, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bind"));
	http_server_close(s);
	http_server_close(NULL);
}

/* ---- the client library against a server in a child process ---- */

struct bg_server {
	pid_t pid;
	int stop_w;
	uint16_t port;
};

static void start_bg_server(struct bg_server *bg, const char *address)
{
	struct http_server_config cfg = base_config();
	struct http_server *s = NULL;
	char err[256];
	int stop[2], portp[2];

	assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
	assert_int_equal(pipe2(portp, O_CLOEXEC), 0);
	fflush(NULL);
	bg->pid = fork();
	assert_true(bg->pid >= 0);
	if (bg->pid == 0) {
		alarm(60);
		close(stop[1]); /* else the stop pipe never hangs up */
		close(portp[0]);
		cfg.address = address;
		cfg.log = NULL;
		cfg.body_max = 64 * 1024;
		if (http_server_open(&s, &cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "bg server: %s\n", err);
			_exit(2);
		}
		bg->port = http_server_port(s);
		if (write(portp[1], &bg->port, sizeof(bg->port)) != sizeof(bg->port))
			_exit(3);
		_exit(http_server_run(s, stop[0], err, sizeof(err)) == 0 ? 0 : 4);
	}
	close(stop[0]);
	close(portp[1]);
	bg->stop_w = stop[1];
	assert_int_equal(read(portp[0], &bg->port, sizeof(bg->port)), sizeof(bg->port));
	close(portp[0]);
}

static void stop_bg_server(struct bg_server *bg)
{
	int st = -1;

	close(bg->stop_w); /* the read end hangs up: http_server_run returns */
	for (int i = 0; i < 500; i++) {
		if (waitpid(bg->pid, &st, WNOHANG) == bg->pid)
			break;
		usleep(10000);
		st = -1;
	}
	if (st == -1) {
		kill(bg->pid, SIGKILL);
		waitpid(bg->pid, NULL, 0);
		fail_msg("background server did not stop");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_client_against_server(void **state)
{
	struct bg_server bg;
	struct http_client_response r;
	char err[256], host[32];
	static char payload[4000];
	int rc;

	(void)state;
	memset(&r, 0, sizeof(r));
	start_bg_server(&bg, "127.0.0.1");
	snprintf(host, sizeof(host), "127.0.0.1");

	rc = http_client_request(host, bg.port, "GET", "/v2.1/echo?x=cli", NULL, NULL, 0, 5000, 4096, &r, err,
				 sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"x\":\"cli\",\"body\":0}");
	assert_string_equal(r.content_type, "application/json");
	http_client_response_free(&r);

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (char)(i * 7);
	rc = http_client_request(host, bg.port, "POST", "/body", "application/octet-stream", payload,
				 sizeof(payload), 5000, 4096, &r, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(r.body_len, sizeof(payload));
	assert_memory_equal(r.body, payload, sizeof(payload));
	assert_string_equal(r.content_type, "application/octet-stream");
	http_client_response_free(&r);

	/* POST without a body still sends Content-Length: 0 (the server would answer 411) */
	rc = http_client_request(host, bg.port, "POST", "/v2.1/echo", NULL, NULL, 0, 5000, 4096, &r, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(r.status, 200);
	http_client_response_free(&r);

	/* a non-2xx answer is still an answer */
	rc = http_client_request(host, bg.port, "DELETE", "/nope", NULL, NULL, 0, 5000, 4096, &r, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(r.status, 404);
	http_client_response_free(&r);

	/* 1 MiB answer over a 4 KiB cap */
	rc = http_client_request(host, bg.port, "GET", "/big", NULL, NULL, 0, 5000, 4096, &r, err, sizeof(err));
	assert_int_equal(rc, HTTP_CLIENT_E_TOO_LARGE);
	assert_non_null(strstr(err, "4096"));
	assert_null(r.body);
	/* and within a large enough one */
	rc = http_client_request(host, bg.port, "GET", "/big", NULL, NULL, 0, 5000, BIG_LEN, &r, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(r.body_len, BIG_LEN);
	http_client_response_free(&r);

	/* the request body over the server's cap: the early 413 is read even though sending failed */
	{
		static char huge[256 * 1024];

		rc = http_client_request(host, bg.port, "PUT", "/body", "application/json", huge, sizeof(huge), 5000,
					 4096, &r, err, sizeof(err));
		if (rc != 0)
			fail_msg("%s", err);
		assert_int_equal(r.status, 413);
		http_client_response_free(&r);
	}

	/* by name */
	rc = http_client_request("localhost", bg.port, "GET", "/v2.1/echo?x=name", NULL, NULL, 0, 5000, 4096, &r, err,
				 sizeof(err));
	if (rc == 0) {
		assert_string_equal(r.body, "{\"x\":\"name\",\"body\":0}");
		http_client_response_free(&r);
	} else {
		/* localhost may resolve to ::1 first on hosts where the v4 server is not reachable that way */
		assert_int_equal(rc, HTTP_CLIENT_E_CONNECT);
	}

	/* arguments */
	assert_int_equal(http_client_request(host, bg.port, "GET", "no-slash", NULL, NULL, 0, 5000, 4096, &r, err,
					     sizeof(err)),
			 HTTP_CLIENT_E_ARG);
	assert_int_equal(http_client_request(host, bg.port, "GET", "/a b", NULL, NULL, 0, 5000, 4096, &r, err,
					     sizeof(err)),
			 HTTP_CLIENT_E_ARG);
	assert_int_equal(http_client_request(host, bg.port, "GET", "/\r\nX: y", NULL, NULL, 0, 5000, 4096, &r, err,
					     sizeof(err)),
			 HTTP_CLIENT_E_ARG);
	assert_int_equal(http_client_request(host, bg.port, "G T", "/", NULL, NULL, 0, 5000, 4096, &r, err,
					     sizeof(err)),
			 HTTP_CLIENT_E_ARG);
	assert_int_equal(http_client_request(host, bg.port, "GET", "/", NULL, NULL, 0, 0, 4096, &r, err, sizeof(err)),
			 HTTP_CLIENT_E_ARG);

	stop_bg_server(&bg);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 a;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), rc;

	if (fd < 0)
		return false;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return rc == 0;
}

/* "::" takes IPv4 and IPv6; the peer text shows which. */
static void test_client_dual_stack(void **state)
{
	struct bg_server bg;
	struct http_client_response r;
	char err[256];
	int rc;

	(void)state;
	if (!have_ipv6_loopback()) {
		print_message("no IPv6 loopback here: dual-stack test skipped\n");
		skip();
	}
	memset(&r, 0, sizeof(r));
	start_bg_server(&bg, "::");
	rc = http_client_request("127.0.0.1", bg.port, "GET", "/peer", NULL, NULL, 0, 5000, 4096, &r, err,
				 sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(strncmp(r.body, "127.0.0.1:", 10), 0); /* v4-mapped shown as plain IPv4 */
	http_client_response_free(&r);
	rc = http_client_request("[::1]", bg.port, "GET", "/peer", NULL, NULL, 0, 5000, 4096, &r, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(strncmp(r.body, "[::1]:", 6), 0);
	http_client_response_free(&r);
	rc = http_client_request("::1", bg.port, "GET", "/v2.1/echo", NULL, NULL, 0, 5000, 4096, &r, err, sizeof(err));
	assert_int_equal(rc, 0);
	http_client_response_free(&r);
	stop_bg_server(&bg);
}

/* A raw listener that answers one connection with canned bytes (or never answers). */
static int raw_listen(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static const char *canned;
static size_t canned_len;
static int canned_lfd;

static int child_canned(void *arg)
{
	char buf[4096];
	size_t got = 0;
	int fd;

	(void)arg;
	fd = accept(canned_lfd, NULL, NULL);
	if (fd < 0)
		CFAIL(2, "accept");
	while (got < sizeof(buf) && memmem(buf, got, "\r\n\r\n", 4) == NULL) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);

		if (n <= 0)
			CFAIL(3, "request not read");
		got += (size_t)n;
	}
	if (!send_all(fd, canned, canned_len))
		CFAIL(4, "send");
	close(fd);
	return 0;
}

static int canned_exchange(const char *answer, size_t len, struct http_client_response *r, char *err,
			   size_t errlen, int timeout_ms)
{
	uint16_t port;
	struct child *c;
	int rc;

	canned = answer;
	canned_len = len;
	canned_lfd = raw_listen(&port);
	c = spawn(child_canned, NULL);
	rc = http_client_request("127.0.0.1", port, "GET", "/x", NULL, NULL, 0, timeout_ms, 1024, r, err, errlen);
	close(canned_lfd);
	for (int i = 0; i < 500 && !reap(c); i++)
		usleep(10000);
	kill_children();
	return rc;
}

static void test_client_errors(void **state)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "7\r\nMozilla\r\n11\r\nDeveloper Network\r\n0\r\n\r\n";
	static const char to_close[] = "HTTP/1.0 201 Created\r\n\r\nuntil the end";
	static const char junk[] = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
	static const char short_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly a little";
	struct http_client_response r;
	char err[256];
	uint16_t port;
	int64_t t0;
	int lfd, rc;

	(void)state;
	memset(&r, 0, sizeof(r));

	rc = canned_exchange(chunked, sizeof(chunked) - 1, &r, err, sizeof(err), 5000);
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(r.body, "MozillaDeveloper Network");
	assert_string_equal(r.content_type, "text/plain");
	http_client_response_free(&r);

	rc = canned_exchange(to_close, sizeof(to_close) - 1, &r, err, sizeof(err), 5000);
	assert_int_equal(rc, 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "until the end");
	http_client_response_free(&r);

	rc = canned_exchange(junk, sizeof(junk) - 1, &r, err, sizeof(err), 5000);
	assert_int_equal(rc, HTTP_CLIENT_E_MALFORMED);
	assert_non_null(strstr(err, "malformed answer"));
	assert_non_null(strstr(err, "127.0.0.1:"));

	rc = canned_exchange(short_body, sizeof(short_body) - 1, &r, err, sizeof(err), 5000);
	assert_int_equal(rc, HTTP_CLIENT_E_IO);
	assert_non_null(strstr(err, "13 of 50"));

	/* refused: a port nobody listens on any more */
	lfd = raw_listen(&port);
	close(lfd);
	rc = http_client_request("127.0.0.1", port, "GET", "/", NULL, NULL, 0, 2000, 1024, &r, err, sizeof(err));
	assert_int_equal(rc, HTTP_CLIENT_E_CONNECT);
	assert_non_null(strstr(err, "refused"));

	/* a listener that never answers: the deadline ends the wait */
	lfd = raw_listen(&port);
	t0 = now_ms();
	rc = http_client_request("127.0.0.1", port, "GET", "/", NULL, NULL, 0, 300, 1024, &r, err, sizeof(err));
	assert_int_equal(rc, HTTP_CLIENT_E_TIMEOUT);
	assert_non_null(strstr(err, "300 ms"));
	assert_true(now_ms() - t0 < 5000); /* bounded, not a speed target */
	close(lfd);

	rc = http_client_request("no-such-host.invalid", 80, "GET", "/", NULL, NULL, 0, 2000, 1024, &r, err,
				 sizeof(err));
	assert_int_equal(rc, HTTP_CLIENT_E_RESOLVE);
	assert_non_null(strstr(err, "no-such-host.invalid"));
}

/* ---- TLS ---- */

struct pki {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context ca_key, srv_key, cli_key, rogue_key;
	mbedtls_x509_crt ca, srv, cli, rogue;
};

static struct pki pki;

static void make_key(mbedtls_pk_context *k)
{
	mbedtls_pk_init(k);
	assert_int_equal(mbedtls_pk_setup(k, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*k), mbedtls_ctr_drbg_random,
					     &pki.drbg),
			 0);
}

/* Issues a certificate for subject_key, signed by issuer_key; appended to out. */
static void make_cert(mbedtls_x509_crt *out, const char *subject, mbedtls_pk_context *subject_key,
		      const char *issuer, mbedtls_pk_context *issuer_key, unsigned char serial, bool ca)
{
	mbedtls_x509write_cert w;
	unsigned char der[2048];
	int len;

	mbedtls_x509write_crt_init(&w);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w, &serial, 1), 0);
	assert_int_equal(mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20991231235959"), 0);
	assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, subject), 0);
	assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, issuer), 0);
	mbedtls_x509write_crt_set_subject_key(&w, subject_key);
	mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, ca ? 1 : 0, -1), 0);
	assert_int_equal(mbedtls_x509write_crt_set_key_usage(&w, ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN :
								       MBEDTLS_X509_KU_DIGITAL_SIGNATURE),
			 0);
	len = mbedtls_x509write_crt_der(&w, der, sizeof(der), mbedtls_ctr_drbg_random, &pki.drbg);
	assert_true(len > 0);
	mbedtls_x509_crt_init(out);
	assert_int_equal(mbedtls_x509_crt_parse_der(out, der + sizeof(der) - len, (size_t)len), 0);
	mbedtls_x509write_crt_free(&w);
}

static int pki_setup(void **state)
{
	(void)state;
	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	mbedtls_entropy_init(&pki.entropy);
	mbedtls_ctr_drbg_init(&pki.drbg);
	if (mbedtls_ctr_drbg_seed(&pki.drbg, mbedtls_entropy_func, &pki.entropy,
				  (const unsigned char *)"airlock-http-test", 17) != 0)
		return -1;
	make_key(&pki.ca_key);
	make_key(&pki.srv_key);
	make_key(&pki.cli_key);
	make_key(&pki.rogue_key);
	make_cert(&pki.ca, "CN=airlock test CA", &pki.ca_key, "CN=airlock test CA", &pki.ca_key, 1, true);
	make_cert(&pki.srv, "CN=127.0.0.1", &pki.srv_key, "CN=airlock test CA", &pki.ca_key, 2, false);
	make_cert(&pki.cli, "CN=verifier", &pki.cli_key, "CN=airlock test CA", &pki.ca_key, 3, false);
	/* same subject and issuer name as a real client, but self-signed */
	make_cert(&pki.rogue, "CN=verifier", &pki.rogue_key, "CN=airlock test CA", &pki.rogue_key, 3, false);
	return 0;
}

static int pki_teardown(void **state)
{
	(void)state;
	mbedtls_x509_crt_free(&pki.ca);
	mbedtls_x509_crt_free(&pki.srv);
	mbedtls_x509_crt_free(&pki.cli);
	mbedtls_x509_crt_free(&pki.rogue);
	mbedtls_pk_free(&pki.ca_key);
	mbedtls_pk_free(&pki.srv_key);
	mbedtls_pk_free(&pki.cli_key);
	mbedtls_pk_free(&pki.rogue_key);
	mbedtls_ctr_drbg_free(&pki.drbg);
	mbedtls_entropy_free(&pki.entropy);
	mbedtls_psa_crypto_free();
	return 0;
}

static int tls_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);

	return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
}

static int tls_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);

	return n < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : (int)n;
}

enum client_cert { CERT_GOOD, CERT_NONE, CERT_ROGUE };

struct tls_case {
	enum client_cert cert;
	mbedtls_ssl_protocol_version max_version;
};

/* Exit 0: got the expected 200 over TLS. 10: the handshake or the exchange failed. Others: test bugs. */
static int child_tls(void *arg)
{
	const struct tls_case *tc = arg;
	static const char req[] = "GET /v2.1/echo?x=tls HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	int fd, rc;

	/* the forked copy of the parent's random state must not repeat the parent's numbers */
	mbedtls_psa_crypto_free();
	if (psa_crypto_init() != PSA_SUCCESS ||
	    mbedtls_ctr_drbg_reseed(&pki.drbg, (const unsigned char *)&tc, sizeof(tc)) != 0)
		CFAIL(2, "reseed");
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		CFAIL(3, "config");
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &pki.drbg);
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&conf, &pki.ca, NULL);
	mbedtls_ssl_conf_max_tls_version(&conf, tc->max_version);
	if (tc->cert == CERT_GOOD && mbedtls_ssl_conf_own_cert(&conf, &pki.cli, &pki.cli_key) != 0)
		CFAIL(4, "own cert");
	if (tc->cert == CERT_ROGUE && mbedtls_ssl_conf_own_cert(&conf, &pki.rogue, &pki.rogue_key) != 0)
		CFAIL(4, "own cert");
	if (mbedtls_ssl_setup(&ssl, &conf) != 0 || mbedtls_ssl_set_hostname(&ssl, "127.0.0.1") != 0)
		CFAIL(5, "setup");
	fd = connect_to(g_port);
	if (fd < 0)
		CFAIL(6, "connect");
	mbedtls_ssl_set_bio(&ssl, &fd, tls_send, tls_recv, NULL);

	rc = mbedtls_ssl_handshake(&ssl);
	if (rc != 0) {
		fprintf(stderr, "child %d: handshake: -0x%04x (expected for a refused client)\n", (int)getpid(),
			(unsigned)-rc);
		return 10;
	}
	if (mbedtls_ssl_get_version_number(&ssl) != tc->max_version)
		CFAIL(7, "negotiated version %d", (int)mbedtls_ssl_get_version_number(&ssl));
	rc = mbedtls_ssl_write(&ssl, (const unsigned char *)req, sizeof(req) - 1);
	if (rc != (int)sizeof(req) - 1)
		return 10;
	memset(&ans, 0, sizeof(ans));
	for (;;) {
		char err[128];
		int prc = http_response_parse(ans.buf, ans.len, ans.eof, sizeof(ans.buf), NULL, 0, &ans.r, err,
					      sizeof(err));

		if (prc == HTTP_PARSE_OK)
			break;
		if (prc != HTTP_PARSE_INCOMPLETE)
			CFAIL(8, "bad answer: %s", err);
		rc = mbedtls_ssl_read(&ssl, (unsigned char *)ans.buf + ans.len, sizeof(ans.buf) - ans.len);
		if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			ans.eof = true;
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "child %d: read: -0x%04x (expected for a refused client)\n", (int)getpid(),
				(unsigned)-rc);
			return 10;
		}
		ans.len += (size_t)rc;
	}
	if (ans.r.status != 200 || !body_is(&ans, "{\"x\":\"tls\",\"body\":0}"))
		CFAIL(9, "answer %d", ans.r.status);
	mbedtls_ssl_close_notify(&ssl);
	close(fd);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	return 0;
}

static int child_plain_to_tls(void *arg)
{
	static const char req[] = "GET /v2.1/echo?x=plain HTTP/1.1\r\nHost: t\r\n\r\n";
	int fd = connect_to(g_port);
	char buf[256];
	ssize_t n;

	(void)arg;
	if (fd < 0 || !send_all(fd, req, sizeof(req) - 1))
		CFAIL(2, "connect/send");
	/* whatever comes back (an alert, or nothing), it is not HTTP, and the server closes */
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0 && memmem(buf, (size_t)n, "HTTP/1.1", 8) == NULL);
	if (n > 0)
		CFAIL(3, "plain HTTP answered on the TLS port");
	if (n < 0 && errno != ECONNRESET)
		CFAIL(4, "server did not close: %s", strerror(errno));
	close(fd);
	return 0;
}

static void test_tls_client_certs(void **state)
{
	static const struct {
		struct tls_case tc;
		int want;
		const char *what;
	} cases[] = {
		{ { CERT_GOOD, MBEDTLS_SSL_VERSION_TLS1_3 }, 0, "TLS 1.3 with a CA-issued client cert" },
		{ { CERT_GOOD, MBEDTLS_SSL_VERSION_TLS1_2 }, 0, "TLS 1.2 with a CA-issued client cert" },
		{ { CERT_NONE, MBEDTLS_SSL_VERSION_TLS1_3 }, 10, "TLS 1.3 without a client cert" },
		{ { CERT_NONE, MBEDTLS_SSL_VERSION_TLS1_2 }, 10, "TLS 1.2 without a client cert" },
		{ { CERT_ROGUE, MBEDTLS_SSL_VERSION_TLS1_3 }, 10, "TLS 1.3 with a self-signed client cert" },
		{ { CERT_ROGUE, MBEDTLS_SSL_VERSION_TLS1_2 }, 10, "TLS 1.2 with a self-signed client cert" },
	};
	struct http_server_config cfg = base_config();
	mbedtls_ssl_config sconf;
	struct http_server *s;
	struct child *c;
	unsigned served = 0;

	(void)state;
	mbedtls_ssl_config_init(&sconf);
	assert_int_equal(mbedtls_ssl_config_defaults(&sconf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT),
			 0);
	mbedtls_ssl_conf_rng(&sconf, mbedtls_ctr_drbg_random, &pki.drbg);
	mbedtls_ssl_conf_authmode(&sconf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&sconf, &pki.ca, NULL);
	assert_int_equal(mbedtls_ssl_conf_own_cert(&sconf, &pki.srv, &pki.srv_key), 0);
	cfg.tls = &sconf;
	s = open_server(&cfg);
	g_port = http_server_port(s);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = spawn(child_tls, (void *)&cases[i].tc);
		drive_until(s, child_done, c, cases[i].what);
		expect_exit(c, cases[i].want, cases[i].what);
		if (cases[i].want == 0)
			served++;
		assert_int_equal(hctx.calls, served); /* a refused client never reaches the handler */
		nchildren = 0;
	}
	assert_non_null(strstr(log_text, "TLS handshake failed"));

	c = spawn(child_plain_to_tls, NULL);
	drive_until(s, child_done, c, "plain client on the TLS port");
	expect_exit(c, 0, "plain client on the TLS port");
	assert_int_equal(hctx.calls, served);
	nchildren = 0;
	drive_until(s, no_connections, s, "TLS connections to close");
	http_server_close(s);
	mbedtls_ssl_config_free(&sconf);
}

static int teardown_children(void **state)
{
	(void)state;
	kill_children();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_keepalive_pipelining, teardown_children),
		cmocka_unit_test_teardown(test_slow_clients_do_not_block, teardown_children),
		cmocka_unit_test_teardown(test_bad_requests_then_next_client, teardown_children),
		cmocka_unit_test_teardown(test_truncated_request_then_close, teardown_children),
		cmocka_unit_test_teardown(test_receive_deadline, teardown_children),
		cmocka_unit_test_teardown(test_connection_cap, teardown_children),
		cmocka_unit_test_teardown(test_handler_features, teardown_children),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_client_against_server),
		cmocka_unit_test(test_client_dual_stack),
		cmocka_unit_test_teardown(test_client_errors, teardown_children),
		cmocka_unit_test_teardown(test_tls_client_certs, teardown_children),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}

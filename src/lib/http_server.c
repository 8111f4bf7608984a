/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * poll()-driven HTTP/1.1 server; see http_server.h for the limits it keeps.
 *
 * Every connection is a small state machine (TLS handshake, reading a
 * request, writing an answer, lingering before close) stepped whenever its
 * socket is ready. Nothing blocks except the handler itself.
 */
#define _GNU_SOURCE /* accept4 */
#include "http_server.h"
#include "lib_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>

#include "clock.h"

/* Requests served from one connection in one step before others get a turn. */
#define STEP_BUDGET 16
/* How long and how much a closing connection's leftover input is drained (see start_close). */
#define LINGER_MS 2000
/* Connections accepted per poll round. */
#define ACCEPT_BURST 16
/* Back-off when accept() runs out of descriptors, so the loop does not spin. */
#define ACCEPT_PAUSE_MS 100
#define IN_BUF_MIN 4096

enum conn_state { C_FREE = 0, C_HANDSHAKE, C_READ, C_WRITE, C_LINGER };

struct conn {
	enum conn_state state;
	int fd;
	mbedtls_ssl_context *ssl;
	char peer[64];
	int64_t deadline;

	char *in;
	size_t in_len, in_cap;
	bool peer_eof;
	bool continue_sent;

	char *out; /* answer head (and body when it came from the reply buffer) */
	size_t out_len;
	const void *ext;
	size_t ext_len;
	void (*ext_free)(void *ext);
	size_t sent; /* over out then ext */
	bool close_after;
	bool linger;
	size_t lingered;

	bool interim; /* out holds "100 Continue": reading goes on after it */
	bool want_read, want_write; /* what the last TLS call waits for */
	bool ready;                 /* has work that needs no socket event */
	int io_errno;
};

struct http_server {
	struct http_server_config cfg;
	int lfd;
	uint16_t port;
	struct conn *conns;
	unsigned nconns;
	struct pollfd *pfds;
	unsigned *pfd_conn;
	char *reply_buf;
	int64_t accept_pause_until;
	struct http_request req;
};

#define LOG(s, level, ...)                                                      \
	do {                                                                    \
		if ((s)->cfg.log != NULL)                                       \
			(s)->cfg.log((s)->cfg.log_ctx, (level), __VA_ARGS__);   \
	} while (0)

static void tls_strerror(int rc, char *buf, size_t len)
{
	mbedtls_strerror(rc, buf, len);
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		port = ntohs(a->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(out, cap, "%s:%u", host, port);
		} else {
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			snprintf(out, cap, "[%s]:%u", host, port);
		}
	} else {
		snprintf(out, cap, "?");
	}
}

/* TLS transport over the non-blocking socket: would-block becomes WANT_READ/WANT_WRITE. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n;

	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	c->io_errno = errno;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (errno == EPIPE || errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n;

	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	c->io_errno = errno;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

static void free_out(struct conn *c)
{
	if (c->out != NULL) {
		explicit_bzero(c->out, c->out_len);
		free(c->out);
	}
	c->out = NULL;
	c->out_len = 0;
	if (c->ext_free != NULL)
		c->ext_free((void *)c->ext);
	c->ext = NULL;
	c->ext_len = 0;
	c->ext_free = NULL;
	c->sent = 0;
}

static void free_in(struct conn *c)
{
	if (c->in != NULL) {
		explicit_bzero(c->in, c->in_cap);
		free(c->in);
	}
	c->in = NULL;
	c->in_len = 0;
	c->in_cap = 0;
}

static void conn_close(struct http_server *s, struct conn *c)
{
	if (c->state == C_FREE)
		return;
	free_out(c);
	free_in(c);
	if (c->ssl != NULL) {
		mbedtls_ssl_free(c->ssl);
		free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->state = C_FREE;
	s->nconns--;
}

/*
 * Ends a connection after its last answer. Closing a socket with unread
 * input makes the kernel send RST, which can destroy the answer still in
 * flight to the client (the 413 it should read, say); so when input may be
 * pending, the write side is shut and input is drained for a short while.
 */
static void start_close(struct http_server *s, struct conn *c)
{
	if (c->ssl != NULL)
		(void)mbedtls_ssl_close_notify(c->ssl); /* best effort: one try */
	if (!c->linger) {
		conn_close(s, c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	free_in(c);
	c->state = C_LINGER;
	c->lingered = 0;
	c->deadline = mono_ms() + (s->cfg.recv_timeout_ms < LINGER_MS ? s->cfg.recv_timeout_ms : LINGER_MS);
}

enum io_result { IO_PROGRESS, IO_BLOCKED, IO_EOF, IO_ERROR };

/* Bytes the input buffer may hold for the request being read (see conn_read). */
static size_t in_target(const struct http_server *s, const struct conn *c)
{
	struct http_request probe;
	size_t cap = HTTP_HEADER_MAX + s->cfg.body_max;

	if (c->in_len > 0 &&
	    http_request_parse(c->in, c->in_len, s->cfg.body_max, &probe, NULL, 0) == HTTP_PARSE_INCOMPLETE &&
	    probe.head_len > 0) {
		size_t need = probe.head_len + probe.content_length;

		return need < cap ? need : cap;
	}
	return HTTP_HEADER_MAX;
}

/* Grows the input buffer towards target; the old copy is wiped, it may hold a secret. */
static int grow_in(struct http_server *s, struct conn *c, size_t target)
{
	size_t ncap = c->in_cap < IN_BUF_MIN ? IN_BUF_MIN : c->in_cap * 2;
	char *nb;

	if (ncap > target)
		ncap = target;
	nb = malloc(ncap);
	if (nb == NULL) {
		LOG(s, HTTP_LOG_ERR, "http %s: no memory for a %zu-byte request buffer", c->peer, ncap);
		return -1;
	}
	if (c->in_len > 0)
		memcpy(nb, c->in, c->in_len);
	if (c->in != NULL) {
		explicit_bzero(c->in, c->in_cap);
		free(c->in);
	}
	c->in = nb;
	c->in_cap = ncap;
	return 0;
}

/*
 * Reads what is available, up to the bytes the current request can still
 * use: the head limit until the head is complete, then exactly head and
 * body. Bytes of a pipelined next request beyond that stay in the kernel.
 */
static enum io_result conn_read(struct http_server *s, struct conn *c)
{
	size_t target = in_target(s, c);
	bool progress = false;

	while (c->in_len < target) {
		ssize_t n;

		if (c->in_len == c->in_cap && grow_in(s, c, target) != 0)
			return IO_ERROR;
		if (c->ssl != NULL) {
			int rc = mbedtls_ssl_read(c->ssl, (unsigned char *)c->in + c->in_len, c->in_cap - c->in_len);

			c->want_read = c->want_write = false;
			if (rc > 0) {
				n = rc;
			} else if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
				c->want_read = rc == MBEDTLS_ERR_SSL_WANT_READ;
				c->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
				return progress ? IO_PROGRESS : IO_BLOCKED;
			} else if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
				   rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_NET_CONN_RESET) {
				return IO_EOF;
			} else {
				char msg[128];

				tls_strerror(rc, msg, sizeof(msg));
				LOG(s, HTTP_LOG_WARNING, "http %s: TLS read failed: -0x%04x %s", c->peer,
				    (unsigned)-rc, msg);
				return IO_ERROR;
			}
		} else {
			do
				n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
			while (n < 0 && errno == EINTR);
			if (n == 0)
				return IO_EOF;
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return progress ? IO_PROGRESS : IO_BLOCKED;
				if (errno == ECONNRESET)
					return IO_EOF;
				LOG(s, HTTP_LOG_WARNING, "http %s: recv: %s", c->peer, strerror(errno));
				return IO_ERROR;
			}
		}
		c->in_len += (size_t)n;
		progress = true;
		target = in_target(s, c);
	}
	return IO_PROGRESS;
}

/* Writes the pending answer (out, then ext). */
static enum io_result conn_write(struct http_server *s, struct conn *c)
{
	size_t total = c->out_len + c->ext_len;

	while (c->sent < total) {
		const char *p;
		size_t n;
		ssize_t w;

		if (c->sent < c->out_len) {
			p = c->out + c->sent;
			n = c->out_len - c->sent;
		} else {
			p = (const char *)c->ext + (c->sent - c->out_len);
			n = total - c->sent;
		}
		if (c->ssl != NULL) {
			int rc = mbedtls_ssl_write(c->ssl, (const unsigned char *)p, n);

			c->want_read = c->want_write = false;
			if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
				c->want_read = rc == MBEDTLS_ERR_SSL_WANT_READ;
				c->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
				return IO_BLOCKED;
			}
			if (rc < 0) {
				char msg[128];

				tls_strerror(rc, msg, sizeof(msg));
				LOG(s, HTTP_LOG_INFO, "http %s: TLS write failed: -0x%04x %s", c->peer,
				    (unsigned)-rc, msg);
				return IO_ERROR;
			}
			w = rc;
		} else {
			do
				w = send(c->fd, p, n, MSG_NOSIGNAL);
			while (w < 0 && errno == EINTR);
			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return IO_BLOCKED;
				LOG(s, HTTP_LOG_INFO, "http %s: send: %s", c->peer, strerror(errno));
				return IO_ERROR;
			}
		}
		c->sent += (size_t)w;
	}
	return IO_PROGRESS;
}

/* Queues an answer whose whole body is in body[0..len) (copied). */
static int queue_answer(struct http_server *s, struct conn *c, int status, const char *ctype, const char *body,
			size_t len, bool close)
{
	char head[512];
	size_t hlen = 0;

	if (http_response_format_head(head, sizeof(head), status, ctype, len + c->ext_len, close, &hlen) != 0) {
		LOG(s, HTTP_LOG_ERR, "http %s: cannot encode a %d answer (content type or body not allowed)",
		    c->peer, status);
		return -1;
	}
	c->out = malloc(hlen + len);
	if (c->out == NULL) {
		LOG(s, HTTP_LOG_ERR, "http %s: no memory for a %zu-byte answer", c->peer, hlen + len);
		return -1;
	}
	memcpy(c->out, head, hlen);
	if (len > 0)
		memcpy(c->out + hlen, body, len);
	c->out_len = hlen + len;
	c->sent = 0;
	c->close_after = close;
	c->state = C_WRITE;
	c->deadline = mono_ms() + s->cfg.send_timeout_ms;
	return 0;
}

/* The JSON error answer; the connection closes after it. */
static int queue_error(struct http_server *s, struct conn *c, int status)
{
	char body[160];
	size_t len = 0;

	free_out(c);
	if (http_json_status_body(body, sizeof(body), status, &len) != 0)
		return -1;
	c->linger = true;
	return queue_answer(s, c, status, "application/json", body, len, true);
}

static void drop_consumed(struct conn *c, size_t consumed)
{
	if (consumed >= c->in_len) {
		c->in_len = 0;
		return;
	}
	memmove(c->in, c->in + consumed, c->in_len - consumed);
	c->in_len -= consumed;
}

/* Runs the handler on a complete request and queues its answer. */
static int serve_request(struct http_server *s, struct conn *c)
{
	const struct http_request *req = &s->req;
	struct http_reply reply;
	bool close;
	int rc;

	if (s->reply_buf == NULL) {
		s->reply_buf = malloc(s->cfg.reply_max);
		if (s->reply_buf == NULL) {
			LOG(s, HTTP_LOG_ERR, "http: no memory for the %zu-byte reply buffer", s->cfg.reply_max);
			return queue_error(s, c, 503);
		}
	}
	memset(&reply, 0, sizeof(reply));
	reply.peer = c->peer;
	reply.status = 200;
	reply.content_type = "application/json";
	reply.body = s->reply_buf;
	reply.body_cap = s->cfg.reply_max;

	rc = s->cfg.handler(s->cfg.handler_ctx, req, &reply);
	c->ext = reply.ext_body;
	c->ext_len = reply.ext_body != NULL ? reply.ext_len : 0;
	c->ext_free = reply.ext_body != NULL ? reply.ext_free : NULL;
	close = reply.close || !req->keep_alive || c->peer_eof;
	LOG(s, HTTP_LOG_DEBUG, "http %s: %s %.*s -> %d", c->peer, http_method_name(req->method),
	    (int)(req->path_len > 200 ? 200 : req->path_len), req->path, rc == 0 ? reply.status : 500);
	if (rc != 0) {
		LOG(s, HTTP_LOG_WARNING, "http %s: handler failed (%d) for %.*s", c->peer, rc,
		    (int)(req->path_len > 200 ? 200 : req->path_len), req->path);
		rc = queue_error(s, c, 500);
		goto out;
	}
	if (reply.status < 200 || reply.status > 599 || reply.body_len > reply.body_cap ||
	    (reply.ext_body != NULL && reply.body_len > 0)) {
		LOG(s, HTTP_LOG_ERR, "http %s: handler reply invalid (status %d, body %zu of %zu bytes%s)",
		    c->peer, reply.status, reply.body_len, reply.body_cap,
		    reply.ext_body != NULL ? ", and an external body" : "");
		rc = queue_error(s, c, 500);
		goto out;
	}
	rc = queue_answer(s, c, reply.status, reply.content_type, s->reply_buf, reply.body_len, close);
	if (rc != 0)
		rc = queue_error(s, c, 500);
out:
	explicit_bzero(s->reply_buf, reply.body_len <= s->cfg.reply_max ? reply.body_len : s->cfg.reply_max);
	return rc;
}

/* Parses what has arrived and acts on it. Returns 1 if it queued an answer, 0 if it needs input, -1 to drop. */
static int conn_process_input(struct http_server *s, struct conn *c)
{
	char err[160];
	int rc;

	rc = http_request_parse(c->in, c->in_len, s->cfg.body_max, &s->req, err, sizeof(err));
	if (rc == HTTP_PARSE_OK) {
		size_t consumed = s->req.consumed;

		c->continue_sent = false;
		c->linger = false;
		rc = serve_request(s, c);
		/* req points into c->in: the bytes go only after the handler is done with them. */
		drop_consumed(c, consumed);
		if (c->close_after && c->in_len > 0)
			c->linger = true; /* pipelined input will not be read */
		if (c->in_len == 0)
			free_in(c);
		return rc == 0 ? 1 : -1;
	}
	if (rc >= 400) {
		LOG(s, HTTP_LOG_INFO, "http %s: bad request, answering %d: %s", c->peer, rc, err);
		return queue_error(s, c, rc) == 0 ? 1 : -1;
	}
	/* Incomplete. */
	if (c->peer_eof) {
		if (c->in_len > 0)
			LOG(s, HTTP_LOG_INFO, "http %s: connection closed inside a request (%zu bytes)", c->peer,
			    c->in_len);
		return -1;
	}
	if (s->req.head_len > 0 && s->req.expect_continue && !c->continue_sent) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		c->continue_sent = true;
		c->out = malloc(sizeof(cont) - 1);
		if (c->out == NULL)
			return -1;
		memcpy(c->out, cont, sizeof(cont) - 1);
		c->out_len = sizeof(cont) - 1;
		c->sent = 0;
		c->close_after = false;
		c->state = C_WRITE;
		c->interim = true;
		return 1;
	}
	if (c->in_len >= in_target(s, c)) { /* the parser's limits make this unreachable; never spin on it */
		LOG(s, HTTP_LOG_ERR, "http %s: request buffer full without a parse result", c->peer);
		return -1;
	}
	return 0;
}

/* Advances one connection as far as it can go without waiting. */
static void conn_step(struct http_server *s, struct conn *c)
{
	c->ready = false;
	for (int budget = STEP_BUDGET; budget > 0; budget--) {
		enum io_result io;
		int rc;

		switch (c->state) {
		case C_HANDSHAKE:
			rc = mbedtls_ssl_handshake(c->ssl);
			c->want_read = rc == MBEDTLS_ERR_SSL_WANT_READ;
			c->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
			if (c->want_read || c->want_write)
				return;
			if (rc != 0) {
				char msg[128];

				tls_strerror(rc, msg, sizeof(msg));
				LOG(s, HTTP_LOG_WARNING, "http %s: TLS handshake failed: -0x%04x %s", c->peer,
				    (unsigned)-rc, msg);
				conn_close(s, c);
				return;
			}
			LOG(s, HTTP_LOG_DEBUG, "http %s: TLS handshake done (%s, %s)", c->peer,
			    mbedtls_ssl_get_version(c->ssl), mbedtls_ssl_get_ciphersuite(c->ssl));
			c->state = C_READ;
			c->deadline = mono_ms() + s->cfg.recv_timeout_ms;
			break;
		case C_READ:
			io = conn_read(s, c);
			if (io == IO_ERROR) {
				conn_close(s, c);
				return;
			}
			if (io == IO_EOF)
				c->peer_eof = true;
			rc = conn_process_input(s, c);
			if (rc < 0) {
				conn_close(s, c);
				return;
			}
			if (rc == 0) {
				if (c->peer_eof) {
					conn_close(s, c);
					return;
				}
				if (io == IO_BLOCKED)
					return;
			}
			break;
		case C_WRITE:
			io = conn_write(s, c);
			if (io == IO_BLOCKED)
				return;
			if (io != IO_PROGRESS) {
				conn_close(s, c);
				return;
			}
			free_out(c);
			if (c->interim) {
				c->interim = false;
				c->state = C_READ;
				break;
			}
			if (c->close_after) {
				start_close(s, c);
				if (c->state == C_FREE)
					return;
				break;
			}
			c->state = C_READ;
			c->deadline = mono_ms() + s->cfg.recv_timeout_ms;
			break;
		case C_LINGER: {
			char sink[4096];
			ssize_t n;

			do
				n = recv(c->fd, sink, sizeof(sink), 0);
			while (n < 0 && errno == EINTR);
			if (n > 0) {
				c->lingered += (size_t)n;
				if (c->lingered <= HTTP_HEADER_MAX + s->cfg.body_max)
					break;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				return;
			}
			conn_close(s, c);
			return;
		}
		case C_FREE:
			return;
		}
	}
	c->ready = true;
}

/* The length of the address part of a peer text ("192.0.2.1:40000", "[2001:db8::1]:40000"). */
static size_t addr_len(const char *peer)
{
	const char *c = strrchr(peer, ':');

	return c ? (size_t)(c - peer) : strlen(peer);
}

/* Connections open from the same address as peer. */
static unsigned conns_from(const struct http_server *s, const char *peer)
{
	size_t n = addr_len(peer);
	unsigned k = 0;

	for (unsigned i = 0; i < s->cfg.max_conns; i++)
		if (s->conns[i].state != C_FREE && addr_len(s->conns[i].peer) == n &&
		    memcmp(s->conns[i].peer, peer, n) == 0)
			k++;
	return k;
}

static void refuse(struct http_server *s, int fd, const char *peer, bool per_peer)
{
	/* Only plain HTTP can be told why; a TLS client just sees the close. */
	if (s->cfg.tls == NULL) {
		char msg[256], body[128];
		size_t blen = 0, mlen = 0;

		if (http_json_status_body(body, sizeof(body), 503, &blen) == 0 &&
		    http_response_format(msg, sizeof(msg), 503, "application/json", body, blen, true, &mlen) == 0)
			(void)!send(fd, msg, mlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (per_peer)
		LOG(s, HTTP_LOG_WARNING, "http %s: refused, %u connections open from that address (its "
		    "limit)", peer, s->cfg.max_conns_per_peer);
	else
		LOG(s, HTTP_LOG_WARNING, "http %s: refused, %u connections open (the limit)", peer,
		    s->nconns);
	close(fd);
}

static void accept_new(struct http_server *s)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[64];
		struct conn *c = NULL;
		int fd, one = 1;

		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				LOG(s, HTTP_LOG_ERR, "http: accept: %s; pausing %d ms", strerror(errno),
				    ACCEPT_PAUSE_MS);
				s->accept_pause_until = mono_ms() + ACCEPT_PAUSE_MS;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				LOG(s, HTTP_LOG_ERR, "http: accept: %s", strerror(errno));
			}
			return;
		}
		peer_text(&ss, peer, sizeof(peer));
		if (s->nconns >= s->cfg.max_conns) {
			refuse(s, fd, peer, false);
			continue;
		}
		if (s->cfg.max_conns_per_peer && conns_from(s, peer) >= s->cfg.max_conns_per_peer) {
			refuse(s, fd, peer, true);
			continue;
		}
		for (unsigned k = 0; k < s->cfg.max_conns; k++) {
			if (s->conns[k].state == C_FREE) {
				c = &s->conns[k];
				break;
			}
		}
		if (c == NULL) { /* cannot happen while nconns is right; be safe */
			close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
		c->deadline = mono_ms() + s->cfg.recv_timeout_ms;
		s->nconns++;
		if (s->cfg.tls != NULL) {
			int rc;

			c->state = C_HANDSHAKE;
			c->ssl = calloc(1, sizeof(*c->ssl));
			if (c->ssl == NULL) {
				LOG(s, HTTP_LOG_ERR, "http %s: no memory for a TLS context", peer);
				conn_close(s, c);
				continue;
			}
			mbedtls_ssl_init(c->ssl);
			rc = mbedtls_ssl_setup(c->ssl, s->cfg.tls);
			if (rc != 0) {
				char msg[128];

				tls_strerror(rc, msg, sizeof(msg));
				LOG(s, HTTP_LOG_ERR, "http %s: mbedtls_ssl_setup: -0x%04x %s", peer, (unsigned)-rc,
				    msg);
				conn_close(s, c);
				continue;
			}
			mbedtls_ssl_set_bio(c->ssl, c, bio_send, bio_recv, NULL);
			c->want_read = true;
		} else {
			c->state = C_READ;
		}
		LOG(s, HTTP_LOG_DEBUG, "http %s: connected", peer);
		c->ready = true; /* try at once: the request may already be there */
	}
}

static short conn_events(const struct conn *c)
{
	short ev = 0;

	switch (c->state) {
	case C_HANDSHAKE:
		ev = (c->want_write ? POLLOUT : 0) | (c->want_read ? POLLIN : 0);
		break;
	case C_READ:
		ev = c->ssl != NULL && c->want_write ? POLLOUT : POLLIN;
		break;
	case C_WRITE:
		ev = c->ssl != NULL && c->want_read ? POLLIN : POLLOUT;
		break;
	case C_LINGER:
		ev = POLLIN;
		break;
	case C_FREE:
		break;
	}
	return ev != 0 ? ev : POLLIN;
}

/* One poll round over the listener, extra_fd (may be -1) and the connections. */
static int poll_round(struct http_server *s, int timeout_ms, int extra_fd, bool *extra_ready, char *err,
		      size_t errlen)
{
	int64_t now = mono_ms();
	nfds_t n = 0;
	bool any_ready = false;
	int rc;

	if (extra_ready != NULL)
		*extra_ready = false;
	s->pfds[n].fd = now >= s->accept_pause_until ? s->lfd : -1;
	s->pfds[n].events = POLLIN;
	s->pfds[n++].revents = 0;
	s->pfds[n].fd = extra_fd;
	s->pfds[n].events = POLLIN;
	s->pfds[n++].revents = 0;
	if (s->accept_pause_until > now) {
		int64_t left = s->accept_pause_until - now;

		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = (int)left;
	}
	for (unsigned i = 0; i < s->cfg.max_conns; i++) {
		struct conn *c = &s->conns[i];
		int64_t left;

		if (c->state == C_FREE)
			continue;
		any_ready = any_ready || c->ready;
		left = c->deadline > now ? c->deadline - now : 0;
		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = (int)left;
		s->pfds[n].fd = c->fd;
		s->pfds[n].events = conn_events(c);
		s->pfds[n].revents = 0;
		s->pfd_conn[n++] = i;
	}
	if (any_ready)
		timeout_ms = 0;

	rc = poll(s->pfds, n, timeout_ms);
	if (rc < 0) {
		if (errno == EINTR)
			return 0;
		lib_err(err, errlen, "http server: poll: %s", strerror(errno));
		return -1;
	}
	if (extra_ready != NULL && extra_fd >= 0 && s->pfds[1].revents != 0)
		*extra_ready = true;

	for (nfds_t k = 2; k < n; k++) {
		struct conn *c = &s->conns[s->pfd_conn[k]];

		if (c->state != C_FREE && (s->pfds[k].revents != 0 || c->ready))
			conn_step(s, c);
	}
	/* Connections accepted now are stepped right away (their request may be in already). */
	if (s->pfds[0].fd >= 0 && (s->pfds[0].revents & POLLIN) != 0) {
		accept_new(s);
		for (unsigned i = 0; i < s->cfg.max_conns; i++)
			if (s->conns[i].state != C_FREE && s->conns[i].ready)
				conn_step(s, &s->conns[i]);
	}

	now = mono_ms();
	for (unsigned i = 0; i < s->cfg.max_conns; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == C_FREE || now < c->deadline)
			continue;
		if (c->state != C_LINGER)
			LOG(s, HTTP_LOG_INFO, "http %s: %s, closing", c->peer,
			    c->state == C_HANDSHAKE ? "TLS handshake not done in time" :
			    c->state == C_WRITE	    ? "answer not taken in time" :
			    c->in_len > 0	    ? "request not complete in time" :
						      "idle past the timeout");
		conn_close(s, c);
	}
	return 0;
}

int http_server_poll_once(struct http_server *s, int timeout_ms, char *err, size_t errlen)
{
	if (s == NULL) {
		lib_err(err, errlen, "http_server_poll_once: NULL server");
		return -1;
	}
	return poll_round(s, timeout_ms, -1, NULL, err, errlen);
}

int http_server_run(struct http_server *s, int stop_fd, char *err, size_t errlen)
{
	if (s == NULL) {
		lib_err(err, errlen, "http_server_run: NULL server");
		return -1;
	}
	for (;;) {
		bool stop = false;

		if (poll_round(s, -1, stop_fd, &stop, err, errlen) != 0)
			return -1;
		if (stop)
			return 0;
	}
}

uint16_t http_server_port(const struct http_server *s)
{
	return s == NULL ? 0 : s->port;
}

unsigned http_server_connections(const struct http_server *s)
{
	return s == NULL ? 0 : s->nconns;
}

/* Creates the listening socket for address text (brackets allowed) and port. */
static int open_listener(struct http_server *s, const char *address, uint16_t port, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN + 2];
	size_t alen = strlen(address);
	int fd = -1, one = 1, zero = 0, rc = -1, grc;

	if (alen >= 2 && address[0] == '[' && address[alen - 1] == ']') {
		address++;
		alen -= 2;
	}
	if (alen >= sizeof(host)) {
		lib_err(err, errlen, "listen address '%.64s' is not a numeric IPv4 or IPv6 address", address);
		return -1;
	}
	memcpy(host, address, alen);
	host[alen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	grc = getaddrinfo(host, NULL, &hints, &ai);
	if (grc != 0 || ai == NULL) {
		lib_err(err, errlen, "listen address '%s' is not a numeric IPv4 or IPv6 address: %s", host,
		       gai_strerror(grc));
		goto out;
	}
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)ai->ai_addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons(port);

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		lib_err(err, errlen, "socket for %s: %s", host, strerror(errno));
		goto out;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" takes IPv4 too, whatever net.ipv6.bindv6only says. */
	if (ai->ai_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr))
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		lib_err(err, errlen, "bind %s port %u: %s", host, port, strerror(errno));
		goto out;
	}
	if (listen(fd, 64) != 0) {
		lib_err(err, errlen, "listen on %s port %u: %s", host, port, strerror(errno));
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		lib_err(err, errlen, "getsockname on %s: %s", host, strerror(errno));
		goto out;
	}
	s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						  ((struct sockaddr_in6 *)&ss)->sin6_port);
	s->lfd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}

int http_server_open(struct http_server **out, const struct http_server_config *cfg, char *err, size_t errlen)
{
	struct http_server *s = NULL;
	int rc = -1;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || cfg == NULL || cfg->handler == NULL) {
		lib_err(err, errlen, "http_server_open: missing server, config or handler");
		return -1;
	}
	if (cfg->max_conns > HTTP_SERVER_MAX_CONNS_LIMIT || cfg->recv_timeout_ms < 0 || cfg->send_timeout_ms < 0 ||
	    cfg->body_max > ((size_t)1 << 30) || cfg->reply_max > ((size_t)1 << 30)) {
		lib_err(err, errlen, "http_server_open: limit out of range (max_conns %u of %d, timeouts >= 0, "
				    "body and reply caps <= 1 GiB)",
		       cfg->max_conns, HTTP_SERVER_MAX_CONNS_LIMIT);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		lib_err(err, errlen, "http_server_open: out of memory");
		return -1;
	}
	s->lfd = -1;
	s->cfg = *cfg;
	if (s->cfg.body_max == 0)
		s->cfg.body_max = HTTP_SERVER_BODY_MAX_DEFAULT;
	if (s->cfg.reply_max == 0)
		s->cfg.reply_max = HTTP_SERVER_REPLY_MAX_DEFAULT;
	if (s->cfg.max_conns == 0)
		s->cfg.max_conns = HTTP_SERVER_MAX_CONNS_DEFAULT;
	if (s->cfg.recv_timeout_ms == 0)
		s->cfg.recv_timeout_ms = HTTP_SERVER_TIMEOUT_DEFAULT_MS;
	if (s->cfg.send_timeout_ms == 0)
		s->cfg.send_timeout_ms = HTTP_SERVER_TIMEOUT_DEFAULT_MS;

	s->conns = calloc(s->cfg.max_conns, sizeof(*s->conns));
	s->pfds = calloc(s->cfg.max_conns + 2, sizeof(*s->pfds));
	s->pfd_conn = calloc(s->cfg.max_conns + 2, sizeof(*s->pfd_conn));
	if (s->conns == NULL || s->pfds == NULL || s->pfd_conn == NULL) {
		lib_err(err, errlen, "http_server_open: out of memory for %u connections", s->cfg.max_conns);
		goto out;
	}
	for (unsigned i = 0; i < s->cfg.max_conns; i++)
		s->conns[i].fd = -1;

	if (cfg->address != NULL) {
		rc = open_listener(s, cfg->address, cfg->port, err, errlen);
	} else {
		rc = open_listener(s, "::", cfg->port, err, errlen);
		if (rc != 0) /* a kernel without IPv6 */
			rc = open_listener(s, "0.0.0.0", cfg->port, err, errlen);
	}
	if (rc != 0)
		goto out;
	LOG(s, HTTP_LOG_INFO, "http: listening on %s port %u%s", cfg->address != NULL ? cfg->address : "any",
	    s->port, s->cfg.tls != NULL ? " (TLS)" : "");
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s != NULL) {
		s->nconns = 0;
		http_server_close(s);
	}
	return rc;
}

void http_server_close(struct http_server *s)
{
	if (s == NULL)
		return;
	if (s->conns != NULL)
		for (unsigned i = 0; i < s->cfg.max_conns; i++)
			conn_close(s, &s->conns[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->reply_buf != NULL) {
		explicit_bzero(s->reply_buf, s->cfg.reply_max);
		free(s->reply_buf);
	}
	free(s->conns);
	free(s->pfds);
	free(s->pfd_conn);
	free(s);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-shot HTTP/1.1 client over a non-blocking socket with a single deadline,
 * plain or through mbedtls TLS (the same loops: TLS's WANT_READ/WANT_WRITE
 * wait on the socket like EAGAIN does).
 */
#include "http_client.h"
#include "lib_err.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/x509_crt.h>

#include "clock.h"
#include "http.h"

#define RESP_BODY_MAX_LIMIT ((size_t)1 << 30)
#define RECV_CHUNK 16384

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - mono_ms();

	return l > 0 ? (int)l : 0;
}

/* Waits for events on fd until the deadline. Returns 1 ready, 0 timed out, -1 poll error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, left_ms(deadline));

		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static bool text_ok(const char *s, bool allow_space)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c >= 0x80 || (c == ' ' && !allow_space))
			return false;
	}
	return true;
}

static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c) != NULL))
			return false;
	}
	return true;
}

/* Connects to one address before the deadline. Returns the socket or -1 with *timed_out / errno set. */
static int connect_one(const struct addrinfo *ai, int64_t deadline, bool *timed_out)
{
	int fd, soerr = 0, rc;
	socklen_t sl = sizeof(soerr);

	*timed_out = false;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	rc = wait_fd(fd, POLLOUT, deadline);
	if (rc == 0) {
		*timed_out = true;
		errno = ETIMEDOUT;
		goto fail;
	}
	if (rc < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:
	rc = errno;
	close(fd);
	errno = rc;
	return -1;
}

/* mbedtls BIO over the non-blocking socket. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ?
	       MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);

	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ?
	       MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Waits for what mbedtls asked for. 1 ready, 0 timed out, -1 not a wait code. */
static int tls_wait(int fd, int rc, int64_t deadline)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_READ)
		return wait_fd(fd, POLLIN, deadline) != 0 ? 1 : 0;
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return wait_fd(fd, POLLOUT, deadline) != 0 ? 1 : 0;
	return -1;
}

/* The handshake, with what failed said in words. */
static int tls_handshake(mbedtls_ssl_context *ssl, int fd, int64_t deadline, const char *where,
			 int timeout_ms, char *err, size_t errlen)
{
	char why[160], info[200];
	uint32_t flags;
	int rc, w;

	while ((rc = mbedtls_ssl_handshake(ssl)) != 0) {
		w = tls_wait(fd, rc, deadline);
		if (w == 1)
			continue;
		if (w == 0) {
			lib_err(err, errlen, "https to %s: no TLS handshake within %d ms", where, timeout_ms);
			return HTTP_CLIENT_E_TIMEOUT;
		}
		mbedtls_strerror(rc, why, sizeof(why));
		flags = mbedtls_ssl_get_verify_result(ssl);
		info[0] = '\0';
		if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != (uint32_t)-1) {
			mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
			info[strcspn(info, "\n")] = '\0';
		}
		lib_err(err, errlen, "https to %s: TLS handshake failed: %s%s%s", where, why,
		       info[0] ? ": " : "", info);
		return HTTP_CLIENT_E_TLS;
	}
	return HTTP_CLIENT_OK;
}

void http_client_response_free(struct http_client_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* One request in flight: what was asked, and what the steps have built. */
struct call {
	const struct http_client_req *rq;
	char host[256], where[300];
	int64_t deadline;
	int fd;
	mbedtls_ssl_context ssl;
	bool ssl_ready;
	char *req, *in;
	size_t req_len, req_size, in_len, in_cap;
	bool eof;
	int send_errno;
	char *err;
	size_t errlen;
};

/* The request's fields are safe to put on the wire; host split from its brackets. */
static int check_request(struct call *c)
{
	const struct http_client_req *rq = c->rq;
	const char *host = rq->host;
	size_t hlen = strlen(host);
	bool v6;

	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(c->host)) {
		lib_err(c->err, c->errlen, "http request: host name empty or longer than %zu bytes",
			sizeof(c->host) - 1);
		return HTTP_CLIENT_E_ARG;
	}
	memcpy(c->host, host, hlen);
	c->host[hlen] = '\0';
	v6 = strchr(c->host, ':') != NULL;
	snprintf(c->where, sizeof(c->where), "%s%s%s:%u", v6 ? "[" : "", c->host, v6 ? "]" : "",
		 rq->port);
	if (!text_ok(c->host, false) || strpbrk(c->host, "/?#@[]") != NULL || rq->port == 0) {
		lib_err(c->err, c->errlen, "http request to %.64s: host or port not usable", c->where);
		return HTTP_CLIENT_E_ARG;
	}
	if (!is_token(rq->method) || rq->path[0] != '/' || !text_ok(rq->path, false) ||
	    (rq->content_type != NULL && (!text_ok(rq->content_type, true) || rq->content_type[0] == '\0')) ||
	    (rq->user_agent != NULL && !text_ok(rq->user_agent, true))) {
		lib_err(c->err, c->errlen, "http request to %s: method, path, content type or user agent "
			"has a forbidden byte", c->where);
		return HTTP_CLIENT_E_ARG;
	}
	if (rq->timeout_ms <= 0 || rq->resp_body_max > RESP_BODY_MAX_LIMIT) {
		lib_err(c->err, c->errlen, "http request to %s: timeout must be > 0 and the body cap <= 1 GiB",
			c->where);
		return HTTP_CLIENT_E_ARG;
	}
	return HTTP_CLIENT_OK;
}

/* Head and body in one buffer and one send: no Nagle stall between them. */
static int build_request(struct call *c)
{
	const struct http_client_req *rq = c->rq;
	size_t cap = strlen(rq->method) + strlen(rq->path) + strlen(c->where) +
		     (rq->content_type ? strlen(rq->content_type) : 0) +
		     (rq->user_agent ? strlen(rq->user_agent) : 0) + 180, len = 0;
	int n;

	if (rq->body_len > SIZE_MAX - cap) {
		lib_err(c->err, c->errlen, "http request to %s: body too large", c->where);
		return HTTP_CLIENT_E_ARG;
	}
	c->req_size = cap + rq->body_len;
	c->req = malloc(c->req_size);
	if (c->req == NULL) {
		lib_err(c->err, c->errlen, "http request to %s: no memory for a %zu-byte request", c->where,
			c->req_size);
		return HTTP_CLIENT_E_NOMEM;
	}
	n = snprintf(c->req, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", rq->method,
		     rq->path, c->where);
	if (n > 0 && (size_t)n < cap)
		len = (size_t)n;
	if (rq->user_agent != NULL && len > 0) {
		n = snprintf(c->req + len, cap - len, "User-Agent: %s\r\n", rq->user_agent);
		len = n > 0 && (size_t)n < cap - len ? len + (size_t)n : 0;
	}
	if (rq->body != NULL && rq->content_type != NULL && len > 0) {
		n = snprintf(c->req + len, cap - len, "Content-Type: %s\r\n", rq->content_type);
		len = n > 0 && (size_t)n < cap - len ? len + (size_t)n : 0;
	}
	/* A POST or PUT without a body still says so: servers may answer 411 otherwise. */
	if ((rq->body != NULL || strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0) &&
	    len > 0) {
		n = snprintf(c->req + len, cap - len, "Content-Length: %zu\r\n", rq->body_len);
		len = n > 0 && (size_t)n < cap - len ? len + (size_t)n : 0;
	}
	if (len == 0 || cap - len < 3) {
		lib_err(c->err, c->errlen, "http request to %s: request head did not fit", c->where);
		return HTTP_CLIENT_E_ARG;
	}
	memcpy(c->req + len, "\r\n", 2);
	len += 2;
	if (rq->body_len > 0)
		memcpy(c->req + len, rq->body, rq->body_len);
	c->req_len = len + rq->body_len;
	return HTTP_CLIENT_OK;
}

/* Resolves the host and connects to the first address that answers. */
static int open_connection(struct call *c)
{
	const struct http_client_req *rq = c->rq;
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	bool timed_out = false;
	int rc = HTTP_CLIENT_E_CONNECT, g;

	snprintf(portstr, sizeof(portstr), "%u", rq->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	g = getaddrinfo(c->host, portstr, &hints, &res);
	if (g != 0 || res == NULL) {
		lib_err(c->err, c->errlen, "http request to %s: cannot resolve '%s': %s", c->where, c->host,
			g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
		rc = HTTP_CLIENT_E_RESOLVE;
		goto out;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		char addr[NI_MAXHOST] = "?";

		c->fd = connect_one(ai, c->deadline, &timed_out);
		if (c->fd >= 0) {
			rc = HTTP_CLIENT_OK;
			break;
		}
		g = errno;
		(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
		if (timed_out) {
			lib_err(c->err, c->errlen, "http %s %s to %s (%s): no connection within %d ms",
				rq->method, rq->path, c->where, addr, rq->timeout_ms);
			rc = HTTP_CLIENT_E_TIMEOUT;
			break;
		}
		lib_err(c->err, c->errlen, "http %s %s to %s (%s): connect: %s", rq->method, rq->path,
			c->where, addr, strerror(g));
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

static int start_tls(struct call *c)
{
	const struct http_client_tls *tls = c->rq->tls;
	int g;

	mbedtls_ssl_init(&c->ssl);
	c->ssl_ready = true;
	g = mbedtls_ssl_setup(&c->ssl, tls->conf);
	if (g == 0)
		g = mbedtls_ssl_set_hostname(&c->ssl, tls->server_name);
	if (g != 0) {
		lib_err(c->err, c->errlen, "https to %s: TLS setup failed (mbedtls -0x%04x)", c->where,
			(unsigned)-g);
		return HTTP_CLIENT_E_TLS;
	}
	mbedtls_ssl_set_bio(&c->ssl, &c->fd, bio_send, bio_recv, NULL);
	return tls_handshake(&c->ssl, c->fd, c->deadline, c->where, c->rq->timeout_ms, c->err,
			     c->errlen);
}

static int send_request(struct call *c)
{
	const struct http_client_req *rq = c->rq;
	size_t sent = 0;

	while (sent < c->req_len && rq->tls != NULL) {
		int n = mbedtls_ssl_write(&c->ssl, (const unsigned char *)c->req + sent, c->req_len - sent);
		int w;

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		w = tls_wait(c->fd, n, c->deadline);
		if (w == 1)
			continue;
		if (w == 0) {
			lib_err(c->err, c->errlen, "https %s %s to %s: request not sent within %d ms",
				rq->method, rq->path, c->where, rq->timeout_ms);
			return HTTP_CLIENT_E_TIMEOUT;
		}
		lib_err(c->err, c->errlen, "https %s %s to %s: TLS write failed (mbedtls -0x%04x)",
			rq->method, rq->path, c->where, (unsigned)-n);
		return HTTP_CLIENT_E_IO;
	}
	while (sent < c->req_len) {
		ssize_t n = send(c->fd, c->req + sent, c->req_len - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(c->fd, POLLOUT, c->deadline);

			if (w > 0)
				continue;
			if (w == 0) {
				lib_err(c->err, c->errlen, "http %s %s to %s: request not sent within %d ms",
					rq->method, rq->path, c->where, rq->timeout_ms);
				return HTTP_CLIENT_E_TIMEOUT;
			}
		}
		/* The server may have answered early (413, say) and closed: read that answer. */
		c->send_errno = errno;
		break;
	}
	return HTTP_CLIENT_OK;
}

/* Room for the next read, within the bound; chunk framing can be several times the body. */
static int make_room(struct call *c)
{
	const struct http_client_req *rq = c->rq;
	size_t raw_cap = HTTP_HEADER_MAX + 2 * rq->resp_body_max + 4096, ncap;
	char *nb;

	if (c->in_len < c->in_cap)
		return HTTP_CLIENT_OK;
	if (c->in_cap >= raw_cap) {
		lib_err(c->err, c->errlen, "http %s %s to %s: answer larger than %zu bytes (body cap %zu)",
			rq->method, rq->path, c->where, raw_cap, rq->resp_body_max);
		return HTTP_CLIENT_E_TOO_LARGE;
	}
	ncap = c->in_cap == 0 ? RECV_CHUNK : c->in_cap * 2;
	if (ncap > raw_cap)
		ncap = raw_cap;
	nb = realloc(c->in, ncap);
	if (nb == NULL) {
		lib_err(c->err, c->errlen, "http %s %s to %s: no memory for a %zu-byte answer", rq->method,
			rq->path, c->where, ncap);
		return HTTP_CLIENT_E_NOMEM;
	}
	c->in = nb;
	c->in_cap = ncap;
	return HTTP_CLIENT_OK;
}

/* Reads until the answer parses as whole (or fails); *prc is the parser's last word. */
static int receive_answer(struct call *c, struct http_response *resp, int *prc, char *perr,
			  size_t perrlen)
{
	const struct http_client_req *rq = c->rq;
	int rc;

	*prc = HTTP_PARSE_INCOMPLETE;
	for (;;) {
		ssize_t n;
		int w;

		rc = make_room(c);
		if (rc != HTTP_CLIENT_OK)
			return rc;
		/* TLS may hold decrypted bytes already: only wait when it has none. */
		w = rq->tls != NULL && mbedtls_ssl_get_bytes_avail(&c->ssl) > 0 ? 1 :
		    wait_fd(c->fd, POLLIN, c->deadline);
		if (w == 0) {
			lib_err(c->err, c->errlen,
				"http %s %s to %s: no complete answer within %d ms (%zu bytes received)",
				rq->method, rq->path, c->where, rq->timeout_ms, c->in_len);
			return HTTP_CLIENT_E_TIMEOUT;
		}
		if (rq->tls != NULL && w > 0) {
			int t = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->in + c->in_len,
						 c->in_cap - c->in_len);

			if (t == MBEDTLS_ERR_SSL_WANT_READ || t == MBEDTLS_ERR_SSL_WANT_WRITE)
				continue;
			if (t == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
				t = 0;
			if (t < 0) {
				lib_err(c->err, c->errlen, "https %s %s to %s: TLS read failed (mbedtls -0x%04x)",
					rq->method, rq->path, c->where, (unsigned)-t);
				return HTTP_CLIENT_E_IO;
			}
			n = t;
		} else {
			n = w > 0 ? recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0) : -1;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0) {
			if (c->in_len == 0 && c->send_errno != 0)
				lib_err(c->err, c->errlen, "http %s %s to %s: send: %s", rq->method, rq->path,
					c->where, strerror(c->send_errno));
			else
				lib_err(c->err, c->errlen, "http %s %s to %s: receive: %s", rq->method,
					rq->path, c->where, strerror(errno));
			return HTTP_CLIENT_E_IO;
		}
		if (n == 0)
			c->eof = true;
		c->in_len += (size_t)n;
		*prc = http_response_parse(c->in, c->in_len, c->eof, rq->resp_body_max, NULL, 0, resp,
					   perr, perrlen);
		if (*prc != HTTP_PARSE_INCOMPLETE)
			return HTTP_CLIENT_OK;
	}
}

/* The parser's verdict as the caller's result; on success the body and type into out. */
static int take_answer(struct call *c, struct http_response *resp, int prc, const char *perr,
		       struct http_client_response *out)
{
	const struct http_client_req *rq = c->rq;
	size_t ctlen = 0;
	const char *ct;

	if (prc == HTTP_PARSE_MALFORMED && c->eof &&
	    http_response_parse(c->in, c->in_len, false, rq->resp_body_max, NULL, 0, resp, NULL, 0) ==
		    HTTP_PARSE_INCOMPLETE) {
		if (c->in_len == 0 && c->send_errno != 0)
			lib_err(c->err, c->errlen, "http %s %s to %s: send: %s", rq->method, rq->path,
				c->where, strerror(c->send_errno));
		else
			lib_err(c->err, c->errlen,
				"http %s %s to %s: connection closed before a whole answer: %s", rq->method,
				rq->path, c->where, perr);
		return HTTP_CLIENT_E_IO;
	}
	if (prc == HTTP_PARSE_TOO_LARGE) {
		lib_err(c->err, c->errlen, "http %s %s to %s: answer too large: %s", rq->method, rq->path,
			c->where, perr);
		return HTTP_CLIENT_E_TOO_LARGE;
	}
	if (prc != HTTP_PARSE_OK) {
		lib_err(c->err, c->errlen, "http %s %s to %s: malformed answer: %s", rq->method, rq->path,
			c->where, perr);
		return HTTP_CLIENT_E_MALFORMED;
	}
	out->body = malloc(resp->body_len + 1);
	if (out->body == NULL) {
		lib_err(c->err, c->errlen, "http %s %s to %s: no memory for a %zu-byte body", rq->method,
			rq->path, c->where, resp->body_len);
		return HTTP_CLIENT_E_NOMEM;
	}
	if (resp->chunked) {
		char perr2[160];

		if (http_response_parse(c->in, c->in_len, c->eof, rq->resp_body_max, out->body,
					resp->body_len, resp, perr2, sizeof(perr2)) != HTTP_PARSE_OK) {
			lib_err(c->err, c->errlen, "http %s %s to %s: chunked body changed between passes: %s",
				rq->method, rq->path, c->where, perr2);
			return HTTP_CLIENT_E_MALFORMED;
		}
	} else if (resp->body_len > 0) {
		memcpy(out->body, resp->body, resp->body_len);
	}
	out->body[resp->body_len] = '\0';
	out->body_len = resp->body_len;
	out->status = resp->status;
	ct = http_response_header_get(resp, "Content-Type", &ctlen);
	if (ct != NULL && ctlen < sizeof(out->content_type)) {
		memcpy(out->content_type, ct, ctlen);
		out->content_type[ctlen] = '\0';
	}
	return HTTP_CLIENT_OK;
}

static void end_call(struct call *c)
{
	if (c->ssl_ready)
		mbedtls_ssl_free(&c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	if (c->req != NULL) {
		explicit_bzero(c->req, c->req_size);
		free(c->req);
	}
	if (c->in != NULL) {
		explicit_bzero(c->in, c->in_cap);
		free(c->in);
	}
}

int http_client_do(const struct http_client_req *rq, struct http_client_response *out, char *err,
		   size_t errlen)
{
	struct call c = { .rq = rq, .fd = -1, .err = err, .errlen = errlen };
	struct http_response resp;
	char perr[160] = "";
	int rc, prc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (rq == NULL || out == NULL || rq->host == NULL || rq->method == NULL || rq->path == NULL ||
	    (rq->body == NULL && rq->body_len > 0) || (rq->tls != NULL && rq->tls->conf == NULL)) {
		lib_err(err, errlen, "http request: missing argument");
		return HTTP_CLIENT_E_ARG;
	}
	rc = check_request(&c);
	if (rc == HTTP_CLIENT_OK) {
		c.deadline = mono_ms() + rq->timeout_ms;
		rc = build_request(&c);
	}
	if (rc == HTTP_CLIENT_OK)
		rc = open_connection(&c);
	if (rc == HTTP_CLIENT_OK && rq->tls != NULL)
		rc = start_tls(&c);
	if (rc == HTTP_CLIENT_OK)
		rc = send_request(&c);
	if (rc == HTTP_CLIENT_OK)
		rc = receive_answer(&c, &resp, &prc, perr, sizeof(perr));
	if (rc == HTTP_CLIENT_OK)
		rc = take_answer(&c, &resp, prc, perr, out);
	if (rc != HTTP_CLIENT_OK)
		http_client_response_free(out);
	end_call(&c);
	return rc;
}

int http_client_request(const char *host, uint16_t port, const char *method, const char *path,
			const char *content_type, const char *body, size_t body_len, int timeout_ms,
			size_t resp_body_max, struct http_client_response *out, char *err, size_t errlen)
{
	return http_client_request_tls(NULL, host, port, method, path, content_type, body, body_len,
				       timeout_ms, resp_body_max, out, err, errlen);
}

int http_client_request_tls(const struct http_client_tls *tls, const char *host, uint16_t port,
			    const char *method, const char *path, const char *content_type,
			    const char *body, size_t body_len, int timeout_ms, size_t resp_body_max,
			    struct http_client_response *out, char *err, size_t errlen)
{
	const struct http_client_req rq = {
		.host = host, .port = port, .method = method, .path = path,
		.content_type = content_type, .body = body, .body_len = body_len,
		.timeout_ms = timeout_ms, .resp_body_max = resp_body_max, .tls = tls,
	};

	return http_client_do(&rq, out, err, errlen);
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-shot HTTP/1.1 client over a non-blocking socket with a single deadline,
 * plain or through mbedtls TLS (the same loops: TLS's WANT_READ/WANT_WRITE
 * wait on the socket like EAGAIN does).
 */
#include "http_client.h"

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

#include "http.h"

#define RESP_BODY_MAX_LIMIT ((size_t)1 << 30)
#define RECV_CHUNK 16384

__attribute__((format(printf, 3, 4))) static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();

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
			seterr(err, errlen, "https to %s: no TLS handshake within %d ms", where, timeout_ms);
			return HTTP_CLIENT_E_TIMEOUT;
		}
		mbedtls_strerror(rc, why, sizeof(why));
		flags = mbedtls_ssl_get_verify_result(ssl);
		info[0] = '\0';
		if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != (uint32_t)-1) {
			mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
			info[strcspn(info, "\n")] = '\0';
		}
		seterr(err, errlen, "https to %s: TLS handshake failed: %s%s%s", where, why,
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
	mbedtls_ssl_context ssl;
	bool ssl_ready = false;
	char hostbuf[256], where[300], portstr[8], perr[160];
	struct addrinfo hints, *res = NULL;
	struct http_response resp;
	char *req = NULL, *in = NULL;
	size_t req_len = 0, req_cap, sent = 0, in_len = 0, in_cap = 0, raw_cap;
	int64_t deadline;
	int fd = -1, rc = HTTP_CLIENT_E_ARG, grc, send_errno = 0, prc = HTTP_PARSE_INCOMPLETE;
	bool v6, eof = false, timed_out = false;
	size_t hlen;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (out == NULL || host == NULL || method == NULL || path == NULL || (body == NULL && body_len > 0) ||
	    (tls != NULL && tls->conf == NULL)) {
		seterr(err, errlen, "http request: missing argument");
		return HTTP_CLIENT_E_ARG;
	}
	hlen = strlen(host);
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(hostbuf)) {
		seterr(err, errlen, "http request: host name empty or longer than %zu bytes", sizeof(hostbuf) - 1);
		return HTTP_CLIENT_E_ARG;
	}
	memcpy(hostbuf, host, hlen);
	hostbuf[hlen] = '\0';
	v6 = strchr(hostbuf, ':') != NULL;
	snprintf(where, sizeof(where), "%s%s%s:%u", v6 ? "[" : "", hostbuf, v6 ? "]" : "", port);
	if (!text_ok(hostbuf, false) || strpbrk(hostbuf, "/?#@[]") != NULL || port == 0) {
		seterr(err, errlen, "http request to %.64s: host or port not usable", where);
		return HTTP_CLIENT_E_ARG;
	}
	if (!is_token(method) || path[0] != '/' || !text_ok(path, false) ||
	    (content_type != NULL && (!text_ok(content_type, true) || content_type[0] == '\0'))) {
		seterr(err, errlen, "http request to %s: method, path or content type has a forbidden byte", where);
		return HTTP_CLIENT_E_ARG;
	}
	if (timeout_ms <= 0 || resp_body_max > RESP_BODY_MAX_LIMIT) {
		seterr(err, errlen, "http request to %s: timeout must be > 0 and the body cap <= 1 GiB", where);
		return HTTP_CLIENT_E_ARG;
	}
	deadline = now_ms() + timeout_ms;

	/* Head and body go in one buffer and one send: no Nagle stall between them. */
	req_cap = strlen(method) + strlen(path) + strlen(where) + (content_type ? strlen(content_type) : 0) + 160;
	if (body_len > SIZE_MAX - req_cap) {
		seterr(err, errlen, "http request to %s: body too large", where);
		return HTTP_CLIENT_E_ARG;
	}
	req = malloc(req_cap + body_len);
	if (req == NULL) {
		seterr(err, errlen, "http request to %s: no memory for a %zu-byte request", where, req_cap + body_len);
		return HTTP_CLIENT_E_NOMEM;
	}
	grc = snprintf(req, req_cap, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, path, where);
	if (grc > 0 && (size_t)grc < req_cap)
		req_len = (size_t)grc;
	if (body != NULL && content_type != NULL && req_len > 0) {
		grc = snprintf(req + req_len, req_cap - req_len, "Content-Type: %s\r\n", content_type);
		req_len = grc > 0 && (size_t)grc < req_cap - req_len ? req_len + (size_t)grc : 0;
	}
	/* A POST or PUT without a body still says so: servers may answer 411 otherwise. */
	if ((body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) && req_len > 0) {
		grc = snprintf(req + req_len, req_cap - req_len, "Content-Length: %zu\r\n", body_len);
		req_len = grc > 0 && (size_t)grc < req_cap - req_len ? req_len + (size_t)grc : 0;
	}
	if (req_len == 0 || req_cap - req_len < 3) {
		seterr(err, errlen, "http request to %s: request head did not fit", where);
		rc = HTTP_CLIENT_E_ARG;
		goto out;
	}
	memcpy(req + req_len, "\r\n", 2);
	req_len += 2;
	if (body_len > 0)
		memcpy(req + req_len, body, body_len);
	req_len += body_len;

	snprintf(portstr, sizeof(portstr), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	grc = getaddrinfo(hostbuf, portstr, &hints, &res);
	if (grc != 0 || res == NULL) {
		seterr(err, errlen, "http request to %s: cannot resolve '%s': %s", where, hostbuf,
		       grc == EAI_SYSTEM ? strerror(errno) : gai_strerror(grc));
		rc = HTTP_CLIENT_E_RESOLVE;
		goto out;
	}
	for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		char addr[NI_MAXHOST] = "?";

		fd = connect_one(ai, deadline, &timed_out);
		if (fd >= 0)
			break;
		grc = errno;
		(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
		if (timed_out) {
			seterr(err, errlen, "http %s %s to %s (%s): no connection within %d ms", method, path, where,
			       addr, timeout_ms);
			rc = HTTP_CLIENT_E_TIMEOUT;
			goto out;
		}
		seterr(err, errlen, "http %s %s to %s (%s): connect: %s", method, path, where, addr, strerror(grc));
		rc = HTTP_CLIENT_E_CONNECT;
	}
	if (fd < 0)
		goto out;
	if (tls != NULL) {
		mbedtls_ssl_init(&ssl);
		ssl_ready = true;
		grc = mbedtls_ssl_setup(&ssl, tls->conf);
		if (grc == 0)
			grc = mbedtls_ssl_set_hostname(&ssl, tls->server_name);
		if (grc != 0) {
			seterr(err, errlen, "https to %s: TLS setup failed (mbedtls -0x%04x)", where,
			       (unsigned)-grc);
			rc = HTTP_CLIENT_E_TLS;
			goto out;
		}
		mbedtls_ssl_set_bio(&ssl, &fd, bio_send, bio_recv, NULL);
		rc = tls_handshake(&ssl, fd, deadline, where, timeout_ms, err, errlen);
		if (rc != HTTP_CLIENT_OK)
			goto out;
	}

	while (sent < req_len && tls != NULL) {
		int n = mbedtls_ssl_write(&ssl, (const unsigned char *)req + sent, req_len - sent);
		int w;

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		w = tls_wait(fd, n, deadline);
		if (w == 1)
			continue;
		if (w == 0) {
			seterr(err, errlen, "https %s %s to %s: request not sent within %d ms", method, path,
			       where, timeout_ms);
			rc = HTTP_CLIENT_E_TIMEOUT;
			goto out;
		}
		seterr(err, errlen, "https %s %s to %s: TLS write failed (mbedtls -0x%04x)", method, path,
		       where, (unsigned)-n);
		rc = HTTP_CLIENT_E_IO;
		goto out;
	}
	while (sent < req_len) {
		ssize_t n = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(fd, POLLOUT, deadline);

			if (w > 0)
				continue;
			if (w == 0) {
				seterr(err, errlen, "http %s %s to %s: request not sent within %d ms", method, path,
				       where, timeout_ms);
				rc = HTTP_CLIENT_E_TIMEOUT;
				goto out;
			}
		}
		/* The server may have answered early (413, say) and closed: read that answer. */
		send_errno = errno;
		break;
	}

	/* Chunk framing can be several times the body; the cap bounds what is buffered. */
	raw_cap = HTTP_HEADER_MAX + 2 * resp_body_max + 4096;
	for (;;) {
		ssize_t n;
		int w;

		if (in_len == in_cap) {
			size_t ncap = in_cap == 0 ? RECV_CHUNK : in_cap * 2;
			char *nb;

			if (in_cap >= raw_cap) {
				seterr(err, errlen, "http %s %s to %s: answer larger than %zu bytes (body cap %zu)",
				       method, path, where, raw_cap, resp_body_max);
				rc = HTTP_CLIENT_E_TOO_LARGE;
				goto out;
			}
			if (ncap > raw_cap)
				ncap = raw_cap;
			nb = realloc(in, ncap);
			if (nb == NULL) {
				seterr(err, errlen, "http %s %s to %s: no memory for a %zu-byte answer", method, path,
				       where, ncap);
				rc = HTTP_CLIENT_E_NOMEM;
				goto out;
			}
			in = nb;
			in_cap = ncap;
		}
		/* TLS may hold decrypted bytes already: only wait when it has none. */
		w = tls != NULL && mbedtls_ssl_get_bytes_avail(&ssl) > 0 ? 1 : wait_fd(fd, POLLIN, deadline);
		if (w == 0) {
			seterr(err, errlen, "http %s %s to %s: no complete answer within %d ms (%zu bytes received)",
			       method, path, where, timeout_ms, in_len);
			rc = HTTP_CLIENT_E_TIMEOUT;
			goto out;
		}
		if (tls != NULL && w > 0) {
			int t = mbedtls_ssl_read(&ssl, (unsigned char *)in + in_len, in_cap - in_len);

			if (t == MBEDTLS_ERR_SSL_WANT_READ || t == MBEDTLS_ERR_SSL_WANT_WRITE)
				continue;
			if (t == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
				t = 0;
			if (t < 0) {
				seterr(err, errlen, "https %s %s to %s: TLS read failed (mbedtls -0x%04x)",
				       method, path, where, (unsigned)-t);
				rc = HTTP_CLIENT_E_IO;
				goto out;
			}
			n = t;
		} else {
			n = w > 0 ? recv(fd, in + in_len, in_cap - in_len, 0) : -1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0) {
			if (in_len == 0 && send_errno != 0) {
				seterr(err, errlen, "http %s %s to %s: send: %s", method, path, where,
				       strerror(send_errno));
			} else {
				seterr(err, errlen, "http %s %s to %s: receive: %s", method, path, where,
				       strerror(errno));
			}
			rc = HTTP_CLIENT_E_IO;
			goto out;
		}
		if (n == 0)
			eof = true;
		in_len += (size_t)n;
		prc = http_response_parse(in, in_len, eof, resp_body_max, NULL, 0, &resp, perr, sizeof(perr));
		if (prc != HTTP_PARSE_INCOMPLETE)
			break;
	}
	if (prc == HTTP_PARSE_MALFORMED && eof &&
	    http_response_parse(in, in_len, false, resp_body_max, NULL, 0, &resp, NULL, 0) == HTTP_PARSE_INCOMPLETE) {
		if (in_len == 0 && send_errno != 0)
			seterr(err, errlen, "http %s %s to %s: send: %s", method, path, where, strerror(send_errno));
		else
			seterr(err, errlen, "http %s %s to %s: connection closed before a whole answer: %s", method,
			       path, where, perr);
		rc = HTTP_CLIENT_E_IO;
		goto out;
	}
	if (prc == HTTP_PARSE_TOO_LARGE) {
		seterr(err, errlen, "http %s %s to %s: answer too large: %s", method, path, where, perr);
		rc = HTTP_CLIENT_E_TOO_LARGE;
		goto out;
	}
	if (prc != HTTP_PARSE_OK) {
		seterr(err, errlen, "http %s %s to %s: malformed answer: %s", method, path, where, perr);
		rc = HTTP_CLIENT_E_MALFORMED;
		goto out;
	}

	out->body = malloc(resp.body_len + 1);
	if (out->body == NULL) {
		seterr(err, errlen, "http %s %s to %s: no memory for a %zu-byte body", method, path, where,
		       resp.body_len);
		rc = HTTP_CLIENT_E_NOMEM;
		goto out;
	}
	if (resp.chunked) {
		if (http_response_parse(in, in_len, eof, resp_body_max, out->body, resp.body_len, &resp, perr,
					sizeof(perr)) != HTTP_PARSE_OK) {
			seterr(err, errlen, "http %s %s to %s: chunked body changed between passes: %s", method, path,
			       where, perr);
			rc = HTTP_CLIENT_E_MALFORMED;
			goto out;
		}
	} else if (resp.body_len > 0) {
		memcpy(out->body, resp.body, resp.body_len);
	}
	out->body[resp.body_len] = '\0';
	out->body_len = resp.body_len;
	out->status = resp.status;
	{
		size_t ctlen = 0;
		const char *ct = http_response_header_get(&resp, "Content-Type", &ctlen);

		if (ct != NULL && ctlen < sizeof(out->content_type)) {
			memcpy(out->content_type, ct, ctlen);
			out->content_type[ctlen] = '\0';
		}
	}
	rc = HTTP_CLIENT_OK;
out:
	if (rc != HTTP_CLIENT_OK)
		http_client_response_free(out);
	if (ssl_ready)
		mbedtls_ssl_free(&ssl);
	if (fd >= 0)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	if (req != NULL) {
		explicit_bzero(req, req_cap + body_len);
		free(req);
	}
	if (in != NULL) {
		explicit_bzero(in, in_cap);
		free(in);
	}
	return rc;
}

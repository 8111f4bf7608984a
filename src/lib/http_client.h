/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Blocking HTTP/1.1 client for one request per connection (the agent's calls
 * to the Keylime registrar, plain HTTP). Everything after name resolution
 * (connect, send, receive) shares one deadline of timeout_ms; getaddrinfo()
 * is bounded only by the resolver's own timeouts, and is skipped for IP
 * literals.
 */
#ifndef AIRLOCK_HTTP_CLIENT_H
#define AIRLOCK_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>

/* Results; the error text says which host:port and what failed. */
#define HTTP_CLIENT_OK 0
#define HTTP_CLIENT_E_ARG (-1)       /* bad argument (method, path, host) */
#define HTTP_CLIENT_E_RESOLVE (-2)   /* host name did not resolve */
#define HTTP_CLIENT_E_CONNECT (-3)   /* connect refused or failed on every address */
#define HTTP_CLIENT_E_TIMEOUT (-4)   /* deadline passed (connect, send or receive) */
#define HTTP_CLIENT_E_IO (-5)        /* send/receive failed, or closed before a whole answer */
#define HTTP_CLIENT_E_MALFORMED (-6) /* the answer is not valid HTTP/1.x */
#define HTTP_CLIENT_E_TOO_LARGE (-7) /* answer body over resp_body_max (or head over HTTP_HEADER_MAX) */
#define HTTP_CLIENT_E_NOMEM (-8)

struct http_client_response {
	int status;
	char content_type[128]; /* empty when the answer had none (or a longer one) */
	char *body;             /* malloc'd, body_len bytes plus a NUL; never NULL after success */
	size_t body_len;
};

/*
 * Sends `method path` to host:port with Host, Connection: close and, when
 * body is not NULL, Content-Type (if content_type is not NULL) and
 * Content-Length; reads and parses the whole answer. host is a name, an IPv4
 * literal or an IPv6 literal (with or without brackets). Returns
 * HTTP_CLIENT_OK with *out filled (whatever the HTTP status; free with
 * http_client_response_free) or a negative HTTP_CLIENT_E_* with err filled
 * and *out empty.
 */
int http_client_request(const char *host, uint16_t port, const char *method, const char *path,
			const char *content_type, const char *body, size_t body_len, int timeout_ms,
			size_t resp_body_max, struct http_client_response *out, char *err, size_t errlen);

void http_client_response_free(struct http_client_response *r);

/*
 * The same over TLS (mbedtls): conf is a client configuration the caller
 * made (own certificate for mutual TLS, the trust anchors or pinned server
 * certificate, authmode, RNG); it is only read. server_name is the name the
 * server's certificate must carry, or NULL when the trust anchor is the
 * server's own pinned certificate (Keylime's verifier trusts an agent's
 * registered certificate that way, without a host name). The handshake
 * shares the request's deadline; a handshake or verification failure is
 * HTTP_CLIENT_E_TLS with the reason in err.
 */
#define HTTP_CLIENT_E_TLS (-9)
struct http_client_tls {
	const mbedtls_ssl_config *conf;
	const char *server_name;
};
int http_client_request_tls(const struct http_client_tls *tls, const char *host, uint16_t port,
			    const char *method, const char *path, const char *content_type,
			    const char *body, size_t body_len, int timeout_ms, size_t resp_body_max,
			    struct http_client_response *out, char *err, size_t errlen);

/*
 * The request as one struct, what the two calls above fill in: the steps
 * (check, build the request, resolve and connect, TLS, send, receive, parse)
 * each take it and one deadline.
 */
struct http_client_req {
	const char *host;
	uint16_t port;
	const char *method, *path;
	const char *content_type; /* NULL: none */
	const char *body;         /* NULL: none (body_len 0) */
	size_t body_len;
	int timeout_ms;
	size_t resp_body_max;
	const struct http_client_tls *tls; /* NULL: plain HTTP */
	const char *user_agent;            /* NULL: no User-Agent header */
};
int http_client_do(const struct http_client_req *rq, struct http_client_response *out, char *err,
		   size_t errlen);

#endif

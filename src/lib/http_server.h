/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Single-threaded HTTP/1.1 server for the node agent's API: one poll() loop
 * serves every connection, so a slow or silent client only ever costs its
 * own connection slot until its deadline. Plain TCP or TLS (mbedtls, with
 * the handshake driven non-blocking inside the same loop).
 *
 * Limits: at most max_conns connections, and at most max_conns_per_peer from
 * one address, so one client cannot take every slot (beyond either a new
 * connection gets 503 on plain HTTP, or is closed on TLS); a request (head and body) must
 * arrive within recv_timeout_ms of the connection becoming ready for it (its
 * accept, or the end of the previous answer on a kept-alive connection) and
 * the answer must be sent within send_timeout_ms. Request buffers grow only
 * as the request needs, up to HTTP_HEADER_MAX + body_max. A malformed
 * request is answered with the parser's status and a Keylime-style JSON body
 * and the connection is closed; the server goes on serving the others.
 *
 * The library never prints: it reports through the caller's log callback.
 */
#ifndef AIRLOCK_HTTP_SERVER_H
#define AIRLOCK_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>

#include "http.h"

/* Levels for the log callback (syslog's numbers). */
#define HTTP_LOG_ERR 3
#define HTTP_LOG_WARNING 4
#define HTTP_LOG_INFO 6
#define HTTP_LOG_DEBUG 7

#define HTTP_SERVER_MAX_CONNS_DEFAULT 32
#define HTTP_SERVER_MAX_CONNS_LIMIT 1024
#define HTTP_SERVER_BODY_MAX_DEFAULT (2u * 1024 * 1024)
#define HTTP_SERVER_REPLY_MAX_DEFAULT (4u * 1024 * 1024)
#define HTTP_SERVER_TIMEOUT_DEFAULT_MS 10000

typedef void (*http_log_fn)(void *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * What a handler answers. Before the call the server sets status 200,
 * content_type "application/json", body = its reply buffer of body_cap
 * bytes, body_len 0, and peer = the client's address as text
 * ("192.0.2.1:40000", "[2001:db8::1]:40000"). A handler either writes into
 * body and sets body_len, or points ext_body at bytes of its own (ext_len of
 * them, sent without a copy); those must stay unchanged until ext_free is
 * called with them once the answer is sent or the connection is gone (with
 * ext_free NULL they must live as long as the server, e.g. a constant).
 * content_type must be a constant or live as long as the server. close asks
 * to close the connection after the answer.
 */
struct http_reply {
	const char *peer;
	int status;
	const char *content_type;
	char *body;
	size_t body_cap;
	size_t body_len;
	const void *ext_body;
	size_t ext_len;
	void (*ext_free)(void *ext_body);
	bool close;
};

/*
 * Called once per complete request; req and everything it points to is valid
 * only during the call. Return 0 to send the reply; any other value answers
 * 500 with a JSON error body instead (ext_free is still called).
 */
typedef int (*http_handler_fn)(void *ctx, const struct http_request *req, struct http_reply *reply);

struct http_server_config {
	const char *address;	   /* numeric IPv4 or IPv6 ("::" also takes IPv4); NULL means "::" */
	uint16_t port;		   /* 0: an ephemeral port, see http_server_port() */
	mbedtls_ssl_config *tls;   /* NULL: plain HTTP; must outlive the server */
	size_t body_max;	   /* request body cap; 0: HTTP_SERVER_BODY_MAX_DEFAULT */
	size_t reply_max;	   /* handler reply cap; 0: HTTP_SERVER_REPLY_MAX_DEFAULT */
	unsigned max_conns;	   /* 0: HTTP_SERVER_MAX_CONNS_DEFAULT; at most HTTP_SERVER_MAX_CONNS_LIMIT */
	unsigned max_conns_per_peer; /* from one address at once; 0: no limit but max_conns */
	int recv_timeout_ms;	   /* 0: HTTP_SERVER_TIMEOUT_DEFAULT_MS; also bounds the TLS handshake */
	int send_timeout_ms;	   /* 0: HTTP_SERVER_TIMEOUT_DEFAULT_MS */
	http_handler_fn handler;
	void *handler_ctx;
	http_log_fn log; /* may be NULL */
	void *log_ctx;
};

struct http_server;

/* Binds and listens. Returns 0 and *out, or -1 with err filled (nothing left open). */
int http_server_open(struct http_server **out, const struct http_server_config *cfg, char *err, size_t errlen);

/* The port actually bound (the ephemeral one when cfg->port was 0). */
uint16_t http_server_port(const struct http_server *s);

/* Connections currently open. */
unsigned http_server_connections(const struct http_server *s);

/*
 * One round of the loop: waits at most timeout_ms (-1: until something
 * happens or a connection deadline passes; 0: no wait) for socket events,
 * serves what is ready and closes connections past their deadlines.
 * Returns 0, or -1 when poll() itself failed (err filled). Lets a caller
 * interleave its own periodic work between rounds.
 */
int http_server_poll_once(struct http_server *s, int timeout_ms, char *err, size_t errlen);

/*
 * Serves until stop_fd becomes readable (or hangs up); stop_fd < 0 serves
 * forever. Returns 0 when stopped, -1 on a poll() failure.
 */
int http_server_run(struct http_server *s, int stop_fd, char *err, size_t errlen);

/* Closes every connection and the listening socket, frees everything. NULL is fine. */
void http_server_close(struct http_server *s);

#endif

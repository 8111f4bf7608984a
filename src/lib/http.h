/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/1.1 message parsing and encoding (RFC 9110, RFC 9112) for the node
 * agent's API server and its registrar client. Pure functions over caller
 * buffers: no I/O, no allocation, no printing.
 *
 * The request parser is deliberately narrow: the agent only has to talk to
 * Keylime's verifier, tenant and registrar, so anything they never send is
 * refused rather than interpreted (no Transfer-Encoding, no obs-fold, no bare
 * LF, no absolute-form targets, exactly one Content-Length). Every prefix of
 * an acceptable request parses as HTTP_PARSE_INCOMPLETE, so a server can call
 * the parser again on each read without tracking state of its own.
 */
#ifndef AIRLOCK_HTTP_H
#define AIRLOCK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* Request line plus header lines plus the empty line, in bytes. */
#define HTTP_HEADER_MAX 8192
/* Header lines a message may carry (requests and responses alike). */
#define HTTP_HEADERS_MAX 64
/* Length of one chunk-size line (size plus extensions) in a chunked answer. */
#define HTTP_CHUNK_LINE_MAX 1024

/*
 * Results of the parsers. A request parse that fails returns the HTTP status
 * the server should answer with (400, 411, 413, 414, 431, 501, 505), always
 * >= 400, so a caller can test `rc >= 400`.
 */
#define HTTP_PARSE_OK 0
#define HTTP_PARSE_INCOMPLETE 1
/* Response parser only: malformed answer, or answer over a size limit. */
#define HTTP_PARSE_MALFORMED (-1)
#define HTTP_PARSE_TOO_LARGE (-2)

enum http_method {
	HTTP_METHOD_NONE = 0,
	HTTP_METHOD_GET,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
};

/* One header line; both strings point into the parsed buffer, not NUL-terminated. */
struct http_header {
	const char *name;
	size_t name_len;
	const char *value; /* without leading and trailing whitespace */
	size_t value_len;
};

struct http_request {
	enum http_method method;
	const char *target; /* request-target as sent */
	size_t target_len;
	const char *path; /* target up to '?' */
	size_t path_len;
	const char *query; /* after '?', NULL when the target has no '?' */
	size_t query_len;
	unsigned version_minor; /* HTTP/1.<minor>: 0 or 1 */
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t nheaders;
	size_t head_len;       /* bytes of request line + headers + empty line (incl. leading CRLFs) */
	size_t content_length; /* 0 without a Content-Length header */
	bool expect_continue;  /* "Expect: 100-continue" was sent */
	const char *body;      /* content_length bytes right after the head */
	size_t body_len;
	bool keep_alive; /* HTTP/1.1 without "Connection: close", or HTTP/1.0 with "keep-alive" */
	size_t consumed; /* head_len + body_len: where a pipelined next request starts */
};

/*
 * Parses one request from buf[0..len). body_max caps Content-Length.
 * Returns HTTP_PARSE_OK with *req filled and req->consumed set,
 * HTTP_PARSE_INCOMPLETE when more bytes are needed (if the head is already
 * complete, req->head_len, req->content_length and req->expect_continue are
 * set so a server can size its buffer and answer "100 Continue"; otherwise
 * req->head_len is 0), or the HTTP status to answer (>= 400) with a message
 * in err. All pointers in req point into buf.
 */
int http_request_parse(const char *buf, size_t len, size_t body_max, struct http_request *req,
		       char *err, size_t errlen);

/* "GET", ... for a method; NULL for HTTP_METHOD_NONE or an unknown value. */
const char *http_method_name(enum http_method m);

/* Case-insensitive lookup of the first header called name; returns its value or NULL. */
const char *http_headers_find(const struct http_header *h, size_t n, const char *name, size_t *value_len);
const char *http_header_get(const struct http_request *req, const char *name, size_t *value_len);

/*
 * Query parameters. http_query_get() looks for name in req->query (pairs
 * separated by '&', name and value %-decoded, '+' meaning space) and copies
 * the decoded value, NUL-terminated, into out[cap]. Returns the value's
 * length (>= 0) or one of the negative codes below. A query with a bad or
 * %00 escape anywhere is HTTP_QUERY_MALFORMED, a name given twice
 * HTTP_QUERY_DUPLICATE: the caller answers 400 to both.
 */
#define HTTP_QUERY_NOT_FOUND (-1)
#define HTTP_QUERY_TOO_LONG (-2)
#define HTTP_QUERY_MALFORMED (-3)
#define HTTP_QUERY_DUPLICATE (-4)
int http_query_get(const struct http_request *req, const char *name, char *out, size_t cap);
int http_query_get_raw(const char *query, size_t query_len, const char *name, char *out, size_t cap);

/*
 * Keylime API paths "/v<major>.<minor>[/rest]": digits without leading zeros
 * (at most 4 each). *rest points at the '/' that follows, or at the end with
 * *restlen 0. Returns 0, or -1 when path does not start that way.
 */
int http_path_version(const char *path, size_t len, unsigned *major, unsigned *minor, const char **rest,
		      size_t *restlen);

/* Standard reason phrase ("Not Found"), or "Unknown" for an unregistered code. */
const char *http_status_reason(int status);

/*
 * Response encoders. http_response_format_head() writes the status line and
 * headers (Content-Type when content_type is not NULL, Content-Length except
 * for 1xx and 204, "Connection: close" or "keep-alive") and the empty line;
 * http_response_format() adds the body. status must be 100..599; 1xx, 204
 * and 304 take no body; content_type must not hold control characters.
 * Returns 0 with *len set, or -1 (bad argument or cap too small; out is then
 * an empty string if cap > 0).
 */
int http_response_format_head(char *out, size_t cap, int status, const char *content_type, size_t body_len,
			      bool close, size_t *len);
int http_response_format(char *out, size_t cap, int status, const char *content_type, const char *body,
			 size_t body_len, bool close, size_t *len);

/* Keylime's envelope for an answer without results: {"code":N,"status":"<reason>","results":{}}. */
int http_json_status_body(char *out, size_t cap, int status, size_t *len);

struct http_response {
	unsigned version_minor;
	int status; /* of the final answer: 200..599 */
	const char *reason;
	size_t reason_len;
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t nheaders;
	size_t head_len; /* of the final response's head, counted from its own start */
	bool chunked;
	bool keep_alive;
	const char *body; /* into buf, or into dec for a chunked body; NULL when only measured */
	size_t body_len;
	size_t consumed; /* bytes of buf this response (and any interim 1xx before it) used */
};

/*
 * Parses an answer from buf[0..len). eof says the peer has closed, which
 * completes a body delimited by the connection's end. Interim 1xx answers
 * (except 101, which is malformed here) are skipped. The body is framed by
 * Transfer-Encoding: chunked (decoded into dec[dec_cap]; with dec == NULL the
 * chunked body is only validated and measured, so a caller can allocate
 * exactly body_len bytes and parse again), by Content-Length, or by the end
 * of the connection. 204 and 304 answers have no body. Returns
 * HTTP_PARSE_OK, HTTP_PARSE_INCOMPLETE, HTTP_PARSE_MALFORMED or
 * HTTP_PARSE_TOO_LARGE (head over HTTP_HEADER_MAX, body over body_max or
 * over dec_cap), with a message in err.
 */
int http_response_parse(const char *buf, size_t len, bool eof, size_t body_max, char *dec, size_t dec_cap,
			struct http_response *resp, char *err, size_t errlen);
const char *http_response_header_get(const struct http_response *resp, const char *name, size_t *value_len);

#endif

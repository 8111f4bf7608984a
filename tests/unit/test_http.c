/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/http.c: requests exactly as real clients send them,
 * every malformed or oversize case with the status RFC 9110/9112 give it,
 * pipelining and byte-by-byte arrival; the response encoder against the
 * RFC 9112 message grammar; the response parser on answers captured from
 * real servers and on chunked bodies.
 *
 * Captured vectors: a Python socket listener on 127.0.0.1 recorded the raw
 * bytes that curl 7.88.1 and python-requests 2.34.2 sent for the calls noted
 * at each constant, and the raw answers of `python3 -m http.server` (3.11.7).
 * Only the ephemeral port in Host was kept as recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

/* curl -s 'http://127.0.0.1:42699/v2.1/quotes/integrity?nonce=...&mask=0x10401&partial=0&ima_ml_entry=0' */
static const char CURL_GET[] =
	"GET /v2.1/quotes/integrity?nonce=ABCDEFGHIJ0123456789&mask=0x10401&partial=0&ima_ml_entry=0 HTTP/1.1\r\n"
	"Host: 127.0.0.1:42699\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";

/* curl -s -X POST -H 'Content-Type: application/json' -d '{"encrypted_key":"QUJD"}' .../v2.1/keys/ukey */
static const char CURL_POST[] = "POST /v2.1/keys/ukey HTTP/1.1\r\n"
				"Host: 127.0.0.1:41195\r\n"
				"User-Agent: curl/7.88.1\r\n"
				"Accept: */*\r\n"
				"Content-Type: application/json\r\n"
				"Content-Length: 24\r\n"
				"\r\n"
				"{\"encrypted_key\":\"QUJD\"}";

/* requests.get(url, params={'nonce': ..., 'mask': '0x10401', 'partial': '0', 'ima_ml_entry': '0'}) */
static const char REQUESTS_GET[] =
	"GET /v2.1/quotes/integrity?nonce=ABCDEFGHIJ0123456789&mask=0x10401&partial=0&ima_ml_entry=0 HTTP/1.1\r\n"
	"Host: 127.0.0.1:46287\r\n"
	"User-Agent: python-requests/2.34.2\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Accept: */*\r\n"
	"Connection: keep-alive\r\n"
	"\r\n";

/* requests.put(url + '/v2.1/agents/d432fbb3-...', json={'auth_tag': 'ab' * 48}) */
static const char REQUESTS_PUT[] =
	"PUT /v2.1/agents/d432fbb3-d2f1-4a97-9ef7-75bd81c00000 HTTP/1.1\r\n"
	"Host: 127.0.0.1:33841\r\n"
	"User-Agent: python-requests/2.34.2\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Accept: */*\r\n"
	"Connection: keep-alive\r\n"
	"Content-Length: 112\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"auth_tag\": \"abababababababababababababababababababababababababababababababababababababababababababababab"
	"abab\"}";

/* requests.post(url, data=iter([b'{"a":', b'1}'])): a generator body goes chunked. */
static const char REQUESTS_CHUNKED[] = "POST /v2.1/keys/vkey HTTP/1.1\r\n"
				       "Host: 127.0.0.1:46393\r\n"
				       "User-Agent: python-requests/2.34.2\r\n"
				       "Accept-Encoding: gzip, deflate\r\n"
				       "Accept: */*\r\n"
				       "Connection: keep-alive\r\n"
				       "Transfer-Encoding: chunked\r\n"
				       "\r\n"
				       "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";

/* requests.post(url) without data */
static const char REQUESTS_POST_EMPTY[] = "POST /v2.1/keys/vkey HTTP/1.1\r\n"
					  "Host: 127.0.0.1:39245\r\n"
					  "User-Agent: python-requests/2.34.2\r\n"
					  "Accept-Encoding: gzip, deflate\r\n"
					  "Accept: */*\r\n"
					  "Connection: keep-alive\r\n"
					  "Content-Length: 0\r\n"
					  "\r\n";

/*
 * The header set of Keylime's older tornado client (simple_httpclient:
 * Host, Accept-Encoding when decompressing, Connection: close) plus Accept;
 * written by hand, tornado is not installed here.
 */
static const char TORNADO_GET[] =
	"GET /v2.1/quotes/integrity?nonce=Vq2ojwL7PH9uRlRX4x4D&mask=0x408000&partial=1&ima_ml_entry=0 HTTP/1.1\r\n"
	"Host: 192.0.2.10:9002\r\n"
	"Accept-Encoding: gzip\r\n"
	"Accept: application/json\r\n"
	"Connection: close\r\n"
	"\r\n";

/* python3 -m http.server answering GET /x.json (a 13-byte file) */
static const char PYSRV_200[] = "HTTP/1.0 200 OK\r\n"
				"Server: SimpleHTTP/0.6 Python/3.11.7\r\n"
				"Date: Mon, 23 Nov 2026 19:14:16 GMT\r\n"
				"Content-type: application/json\r\n"
				"Content-Length: 13\r\n"
				"Last-Modified: Mon, 23 Nov 2026 19:14:14 GMT\r\n"
				"\r\n"
				"{\"code\": 200}";

/* python3 -m http.server answering GET /nope */
static const char PYSRV_404[] = "HTTP/1.0 404 File not found\r\n"
				"Server: SimpleHTTP/0.6 Python/3.11.7\r\n"
				"Date: Mon, 23 Nov 2026 19:14:16 GMT\r\n"
				"Connection: close\r\n"
				"Content-Type: text/html;charset=utf-8\r\n"
				"Content-Length: 335\r\n"
				"\r\n"
				"<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n"
				"        <title>Error response</title>\n    </head>\n    <body>\n"
				"        <h1>Error response</h1>\n        <p>Error code: 404</p>\n"
				"        <p>Message: File not found.</p>\n"
				"        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n"
				"    </body>\n</html>\n";

/* MDN's Transfer-Encoding example: 0x7 + 0x11 bytes, "MozillaDeveloper Network". */
static const char MDN_CHUNKED[] = "HTTP/1.1 200 OK\r\n"
				  "Content-Type: text/plain\r\n"
				  "Transfer-Encoding: chunked\r\n"
				  "\r\n"
				  "7\r\nMozilla\r\n"
				  "11\r\nDeveloper Network\r\n"
				  "0\r\n"
				  "\r\n";

#define BODY_MAX 4096
#define STRLEN(s) (sizeof(s) - 1)

static struct http_request req;
static char err[256];

static int parse(const char *s, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1); /* exact size: ASan sees any read past len */
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len);
	rc = http_request_parse(copy, len, BODY_MAX, &req, err, sizeof(err));
	/* the pointers in req must point into copy: re-parse the caller's bytes for the checks */
	free(copy);
	return rc == HTTP_PARSE_OK ? http_request_parse(s, len, BODY_MAX, &req, err, sizeof(err)) : rc;
}

static int parse_str(const char *s)
{
	return parse(s, strlen(s));
}

static void assert_span(const char *p, size_t n, const char *want)
{
	if (n != strlen(want) || memcmp(p, want, n) != 0)
		fail_msg("got '%.*s', want '%s'", (int)n, p, want);
}

static void assert_header(const char *name, const char *want)
{
	size_t n = 0;
	const char *v = http_header_get(&req, name, &n);

	if (v == NULL)
		fail_msg("header %s missing", name);
	assert_span(v, n, want);
}

static void assert_query(const char *name, const char *want)
{
	char out[64];
	int rc = http_query_get(&req, name, out, sizeof(out));

	if (rc < 0)
		fail_msg("query %s: %d", name, rc);
	assert_int_equal(rc, strlen(want));
	assert_string_equal(out, want);
}

static void test_curl_get(void **state)
{
	unsigned major = 0, minor = 0;
	const char *rest = NULL;
	size_t restlen = 0;

	(void)state;
	assert_int_equal(parse(CURL_GET, STRLEN(CURL_GET)), HTTP_PARSE_OK);
	assert_int_equal(req.method, HTTP_METHOD_GET);
	assert_int_equal(req.version_minor, 1);
	assert_span(req.path, req.path_len, "/v2.1/quotes/integrity");
	assert_span(req.query, req.query_len, "nonce=ABCDEFGHIJ0123456789&mask=0x10401&partial=0&ima_ml_entry=0");
	assert_int_equal(req.nheaders, 3);
	assert_header("host", "127.0.0.1:42699");
	assert_header("USER-AGENT", "curl/7.88.1");
	assert_header("Accept", "*/*");
	assert_null(http_header_get(&req, "Accept-Encoding", NULL));
	assert_true(req.keep_alive);
	assert_int_equal(req.body_len, 0);
	assert_int_equal(req.consumed, STRLEN(CURL_GET));
	assert_int_equal(req.head_len, STRLEN(CURL_GET));
	assert_query("nonce", "ABCDEFGHIJ0123456789");
	assert_query("mask", "0x10401");
	assert_query("partial", "0");
	assert_query("ima_ml_entry", "0");
	assert_int_equal(http_path_version(req.path, req.path_len, &major, &minor, &rest, &restlen), 0);
	assert_int_equal(major, 2);
	assert_int_equal(minor, 1);
	assert_span(rest, restlen, "/quotes/integrity");
}

static void test_curl_post(void **state)
{
	(void)state;
	assert_int_equal(parse(CURL_POST, STRLEN(CURL_POST)), HTTP_PARSE_OK);
	assert_int_equal(req.method, HTTP_METHOD_POST);
	assert_span(req.path, req.path_len, "/v2.1/keys/ukey");
	assert_null(req.query);
	assert_int_equal(req.content_length, 24);
	assert_span(req.body, req.body_len, "{\"encrypted_key\":\"QUJD\"}");
	assert_header("content-type", "application/json");
	assert_int_equal(req.consumed, STRLEN(CURL_POST));
	assert_false(req.expect_continue);
}

static void test_requests_get_put(void **state)
{
	(void)state;
	assert_int_equal(parse(REQUESTS_GET, STRLEN(REQUESTS_GET)), HTTP_PARSE_OK);
	assert_int_equal(req.nheaders, 5);
	assert_header("Accept-Encoding", "gzip, deflate");
	assert_header("Connection", "keep-alive");
	assert_true(req.keep_alive);
	assert_query("nonce", "ABCDEFGHIJ0123456789");

	assert_int_equal(parse(REQUESTS_PUT, STRLEN(REQUESTS_PUT)), HTTP_PARSE_OK);
	assert_int_equal(req.method, HTTP_METHOD_PUT);
	assert_span(req.path, req.path_len, "/v2.1/agents/d432fbb3-d2f1-4a97-9ef7-75bd81c00000");
	assert_int_equal(req.body_len, 112);
	assert_memory_equal(req.body, "{\"auth_tag\": \"abab", 18);
	assert_memory_equal(req.body + 110, "\"}", 2);

	assert_int_equal(parse(REQUESTS_POST_EMPTY, STRLEN(REQUESTS_POST_EMPTY)), HTTP_PARSE_OK);
	assert_int_equal(req.method, HTTP_METHOD_POST);
	assert_int_equal(req.body_len, 0);
	assert_non_null(req.body);
}

static void test_tornado_get(void **state)
{
	(void)state;
	assert_int_equal(parse(TORNADO_GET, STRLEN(TORNADO_GET)), HTTP_PARSE_OK);
	assert_false(req.keep_alive);
	assert_query("nonce", "Vq2ojwL7PH9uRlRX4x4D");
	assert_query("mask", "0x408000");
	assert_query("partial", "1");
}

static void test_chunked_request_refused(void **state)
{
	(void)state;
	assert_int_equal(parse(REQUESTS_CHUNKED, STRLEN(REQUESTS_CHUNKED)), 501);
	assert_non_null(strstr(err, "Transfer-Encoding"));
	/* also with a Content-Length beside it (the classic smuggling pair) */
	assert_int_equal(parse_str("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
				   "Transfer-Encoding: chunked\r\n\r\nabc"),
			 501);
}

static void test_keep_alive(void **state)
{
	(void)state;
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_PARSE_OK);
	assert_true(req.keep_alive);
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n"), HTTP_PARSE_OK);
	assert_false(req.keep_alive);
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"),
			 HTTP_PARSE_OK);
	assert_false(req.keep_alive);
	/* HTTP/1.0: Host optional, close unless asked */
	assert_int_equal(parse_str("GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_OK);
	assert_int_equal(req.version_minor, 0);
	assert_false(req.keep_alive);
	assert_int_equal(parse_str("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), HTTP_PARSE_OK);
	assert_true(req.keep_alive);
	/* RFC 9112 2.3: HTTP/1.2 is handled as 1.1 */
	assert_int_equal(parse_str("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), HTTP_PARSE_OK);
	assert_int_equal(req.version_minor, 1);
}

static void test_leading_crlf_and_ows(void **state)
{
	(void)state;
	assert_int_equal(parse_str("\r\n\r\nGET /x HTTP/1.1\r\nHost:a\r\nX-Y: \t v w \t\r\nX-E:\r\n\r\n"),
			 HTTP_PARSE_OK);
	assert_span(req.path, req.path_len, "/x");
	assert_header("host", "a");
	assert_header("x-y", "v w");
	assert_header("x-e", "");
	assert_int_equal(req.consumed, strlen("\r\n\r\nGET /x HTTP/1.1\r\nHost:a\r\nX-Y: \t v w \t\r\nX-E:\r\n\r\n"));
}

static void test_content_length_forms(void **state)
{
	(void)state;
	/* RFC 9110 8.6: 1*DIGIT; leading zeros are legal */
	assert_int_equal(parse_str("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000000000000000003\r\n\r\nabc"),
			 HTTP_PARSE_OK);
	assert_int_equal(req.body_len, 3);
	assert_int_equal(parse_str("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 \r\n\r\nabc"), HTTP_PARSE_OK);
	/* a GET may carry a body; it is consumed so the next request starts after it */
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET"), HTTP_PARSE_OK);
	assert_int_equal(req.consumed, strlen("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"));
	/* exactly body_max is fine, one more is not */
	{
		static char big[256 + BODY_MAX];
		int n = snprintf(big, sizeof(big), "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", BODY_MAX);

		memset(big + n, 'x', BODY_MAX);
		assert_int_equal(parse(big, (size_t)n + BODY_MAX), HTTP_PARSE_OK);
		assert_int_equal(req.body_len, BODY_MAX);
		assert_int_equal(parse(big, (size_t)n + BODY_MAX - 1), HTTP_PARSE_INCOMPLETE);
		n = snprintf(big, sizeof(big), "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", BODY_MAX + 1);
		assert_int_equal(parse(big, (size_t)n), 413); /* refused from the head alone */
	}
}

struct bad_case {
	const char *text;
	int status;
};

static const struct bad_case bad_cases[] = {
	/* Content-Length */
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", 413 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\n\r\n", 413 },
	{ "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 411 },
	{ "PUT /v2.1/agents/x HTTP/1.1\r\nHost: a\r\n\r\n{}", 411 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501 },
	/* methods: case-sensitive, only the four */
	{ "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* versions */
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400 },
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /\r\n\r\n", 400 },
	/* request line shape */
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
	{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* targets */
	{ "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /?q=%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /{x} HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* line endings */
	{ "GET / HTTP/1.1\nHost: a\n\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\n", 400 },
	/* header syntax */
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX(: v\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400 },
	/* Host: RFC 9112 3.2 */
	{ "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400 },
	/* not HTTP at all: refused before any line end */
	{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400 },
};

static void test_bad_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		int rc = parse_str(bad_cases[i].text);

		if (rc != bad_cases[i].status)
			fail_msg("case %zu (%s): got %d, want %d (%s)", i, bad_cases[i].text, rc, bad_cases[i].status,
				 err);
		if (err[0] == '\0')
			fail_msg("case %zu: no error message", i);
		assert_int_equal(req.nheaders, 0); /* nothing half-filled is left for a careless caller */
	}
}

/* Does NUL inside a header value or the target get refused? (strlen-based callers would stop there) */
static void test_nul_bytes(void **state)
{
	static const char a[] = "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char b[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	static const char c[] = "GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n";

	(void)state;
	assert_int_equal(parse(a, STRLEN(a)), 400);
	assert_int_equal(parse(b, STRLEN(b)), 400);
	assert_int_equal(parse(c, STRLEN(c)), 400);
}

static char *repeat_into(char *p, char c, size_t n)
{
	memset(p, c, n);
	return p + n;
}

static void test_size_limits(void **state)
{
	static char buf[3 * HTTP_HEADER_MAX];
	const char *pre = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
	size_t fixed = strlen(pre) + strlen("\r\n\r\n");
	char *p;

	(void)state;
	/* head of exactly HTTP_HEADER_MAX bytes */
	p = stpcpy(buf, pre);
	p = repeat_into(p, 'v', HTTP_HEADER_MAX - fixed);
	p = stpcpy(p, "\r\n\r\n");
	assert_int_equal((size_t)(p - buf), HTTP_HEADER_MAX);
	assert_int_equal(parse(buf, HTTP_HEADER_MAX), HTTP_PARSE_OK);
	/* one byte more: 431, both complete and still arriving */
	p = stpcpy(buf, pre);
	p = repeat_into(p, 'v', HTTP_HEADER_MAX - fixed + 1);
	p = stpcpy(p, "\r\n\r\n");
	assert_int_equal(parse(buf, (size_t)(p - buf)), 431);
	assert_int_equal(parse(buf, HTTP_HEADER_MAX - 1), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(parse(buf, HTTP_HEADER_MAX), 431);

	/* request line that cannot end within the limit: 414 */
	p = stpcpy(buf, "GET /");
	p = repeat_into(p, 'a', HTTP_HEADER_MAX);
	p = stpcpy(p, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(buf, (size_t)(p - buf)), 414);
	assert_int_equal(parse(buf, HTTP_HEADER_MAX - 1), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(parse(buf, HTTP_HEADER_MAX), 414);

	/* 64 header lines pass, 65 do not */
	p = stpcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < HTTP_HEADERS_MAX; i++)
		p += sprintf(p, "X-%d: %d\r\n", i, i);
	strcpy(p, "\r\n");
	assert_int_equal(parse_str(buf), HTTP_PARSE_OK);
	assert_int_equal(req.nheaders, HTTP_HEADERS_MAX);
	assert_header("X-63", "63");
	p += sprintf(p, "X-64: 64\r\n");
	strcpy(p, "\r\n");
	assert_int_equal(parse_str(buf), 431);

	/* Content-Length and body_max, with body_max 0 */
	assert_int_equal(http_request_parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", 48, 0, &req, err,
					    sizeof(err)),
			 413);
	assert_int_equal(http_request_parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 47, 0, &req, err,
					    sizeof(err)),
			 HTTP_PARSE_OK);
}

/* Every proper prefix of an acceptable request is INCOMPLETE, and the whole is OK. */
static void check_byte_by_byte(const char *text, size_t len)
{
	for (size_t n = 0; n < len; n++) {
		int rc = parse(text, n);

		if (rc != HTTP_PARSE_INCOMPLETE)
			fail_msg("prefix of %zu/%zu bytes: %d (%s)", n, len, rc, err);
	}
	assert_int_equal(parse(text, len), HTTP_PARSE_OK);
	assert_int_equal(req.consumed, len);
}

static void test_byte_by_byte(void **state)
{
	(void)state;
	check_byte_by_byte(CURL_GET, STRLEN(CURL_GET));
	check_byte_by_byte(CURL_POST, STRLEN(CURL_POST));
	check_byte_by_byte(REQUESTS_GET, STRLEN(REQUESTS_GET));
	check_byte_by_byte(REQUESTS_PUT, STRLEN(REQUESTS_PUT));
	check_byte_by_byte(TORNADO_GET, STRLEN(TORNADO_GET));
	check_byte_by_byte("\r\nGET / HTTP/1.0\r\n\r\n", 20);
}

static void test_head_known_while_incomplete(void **state)
{
	static const char text[] = "PUT /v2.1/agents/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
				   "Content-Length: 10\r\n\r\n0123";

	(void)state;
	assert_int_equal(parse(text, STRLEN(text)), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(req.head_len, STRLEN(text) - 4);
	assert_int_equal(req.content_length, 10);
	assert_true(req.expect_continue);
	/* before the head is complete nothing is claimed */
	assert_int_equal(parse(text, 30), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(req.head_len, 0);
}

static void test_pipelined(void **state)
{
	static char buf[1024];
	size_t a = STRLEN(CURL_POST), b = STRLEN(REQUESTS_GET), c = STRLEN(TORNADO_GET), off = 0;

	(void)state;
	memcpy(buf, CURL_POST, a);
	memcpy(buf + a, REQUESTS_GET, b);
	memcpy(buf + a + b, TORNADO_GET, c);

	assert_int_equal(http_request_parse(buf, a + b + c, BODY_MAX, &req, err, sizeof(err)), HTTP_PARSE_OK);
	assert_int_equal(req.method, HTTP_METHOD_POST);
	assert_span(req.body, req.body_len, "{\"encrypted_key\":\"QUJD\"}");
	assert_int_equal(req.consumed, a);
	off += req.consumed;
	assert_int_equal(http_request_parse(buf + off, a + b + c - off, BODY_MAX, &req, err, sizeof(err)),
			 HTTP_PARSE_OK);
	assert_int_equal(req.method, HTTP_METHOD_GET);
	assert_header("User-Agent", "python-requests/2.34.2");
	assert_int_equal(req.consumed, b);
	off += req.consumed;
	/* the third arrives partly: incomplete until its last byte */
	assert_int_equal(http_request_parse(buf + off, c - 1, BODY_MAX, &req, err, sizeof(err)), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(http_request_parse(buf + off, c, BODY_MAX, &req, err, sizeof(err)), HTTP_PARSE_OK);
	assert_false(req.keep_alive);
}

static void test_query_get(void **state)
{
	char out[21];
	static const char *q;

	(void)state;
	assert_int_equal(parse_str("GET /q?nonce=ABCDEFGHIJ0123456789&a=%41%2b+b&empty=&flag&&no%6Ece2=x HTTP/1.1\r\n"
				   "Host: a\r\n\r\n"),
			 HTTP_PARSE_OK);
	/* exactly fits: 20 characters + NUL */
	assert_int_equal(http_query_get(&req, "nonce", out, sizeof(out)), 20);
	assert_string_equal(out, "ABCDEFGHIJ0123456789");
	assert_int_equal(http_query_get(&req, "nonce", out, 20), HTTP_QUERY_TOO_LONG);
	assert_string_equal(out, "");
	assert_int_equal(http_query_get(&req, "a", out, sizeof(out)), 4);
	assert_string_equal(out, "A+ b");
	assert_int_equal(http_query_get(&req, "empty", out, sizeof(out)), 0);
	assert_int_equal(http_query_get(&req, "flag", out, sizeof(out)), 0);
	assert_int_equal(http_query_get(&req, "nonce2", out, sizeof(out)), 1);
	assert_string_equal(out, "x");
	assert_int_equal(http_query_get(&req, "missing", out, sizeof(out)), HTTP_QUERY_NOT_FOUND);
	assert_int_equal(http_query_get(&req, "Nonce", out, sizeof(out)), HTTP_QUERY_NOT_FOUND);

	q = "a=1&a=2";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_DUPLICATE);
	q = "a=1&%61=2";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_DUPLICATE);
	q = "a=%00";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_MALFORMED);
	q = "a%00=1";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_MALFORMED);
	q = "a=%4";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_MALFORMED);
	q = "a=%g1";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_MALFORMED);
	q = "a=1&b=%";
	assert_int_equal(http_query_get_raw(q, strlen(q), "a", out, sizeof(out)), HTTP_QUERY_MALFORMED);
	assert_string_equal(out, "");
	q = "a=1";
	assert_int_equal(http_query_get_raw(q, 2, "a", out, sizeof(out)), 0); /* length is honoured */

	/* no '?' at all, and an empty query */
	assert_int_equal(parse_str("GET /q HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_PARSE_OK);
	assert_null(req.query);
	assert_int_equal(http_query_get(&req, "a", out, sizeof(out)), HTTP_QUERY_NOT_FOUND);
	assert_int_equal(parse_str("GET /q? HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_PARSE_OK);
	assert_non_null(req.query);
	assert_int_equal(req.query_len, 0);
	assert_int_equal(http_query_get(&req, "a", out, sizeof(out)), HTTP_QUERY_NOT_FOUND);
}

static void test_path_version(void **state)
{
	unsigned ma = 99, mi = 99;
	const char *rest = NULL;
	size_t rl = 99;
	static const char *bad[] = { "/v02.1/x", "/v2./x", "/v2", "/v2.1x", "/version", "/v12345.1/x", "/v2.01/x",
				     "/v.1/x",	 "v2.1/x", "/V2.1/x", "/v2.1.3/x", "", "/" };

	(void)state;
#define PV(s) http_path_version((s), strlen(s), &ma, &mi, &rest, &rl)
	assert_int_equal(PV("/v2.1/quotes/integrity"), 0);
	assert_int_equal(ma, 2);
	assert_int_equal(mi, 1);
	assert_span(rest, rl, "/quotes/integrity");
	assert_int_equal(PV("/v2.10/keys/pubkey"), 0);
	assert_int_equal(mi, 10);
	assert_int_equal(PV("/v2.6"), 0);
	assert_int_equal(rl, 0);
	assert_int_equal(PV("/v0.0/"), 0);
	assert_span(rest, rl, "/");
	assert_int_equal(PV("/v9999.9999/a"), 0);
	assert_int_equal(ma, 9999);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (PV(bad[i]) != -1)
			fail_msg("'%s' accepted", bad[i]);
	/* only len bytes count */
	assert_int_equal(http_path_version("/v2.1/x", 5, &ma, &mi, &rest, &rl), 0);
	assert_int_equal(rl, 0);
	assert_int_equal(http_path_version("/v2.1", 4, &ma, &mi, &rest, &rl), -1);
#undef PV
}

static void test_response_format(void **state)
{
	char out[512];
	size_t len = 0;
	static const char want200[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
				      "Connection: keep-alive\r\n\r\n{}";
	static const char want404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	static const char want204[] = "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n";
	static const char want413[] = "{\"code\":413,\"status\":\"Content Too Large\",\"results\":{}}";

	(void)state;
	assert_int_equal(http_response_format(out, sizeof(out), 200, "application/json", "{}", 2, false, &len), 0);
	assert_int_equal(len, STRLEN(want200));
	assert_memory_equal(out, want200, len);
	assert_int_equal(http_response_format(out, sizeof(out), 404, NULL, NULL, 0, true, &len), 0);
	assert_int_equal(len, STRLEN(want404));
	assert_memory_equal(out, want404, len);
	assert_int_equal(http_response_format(out, sizeof(out), 204, NULL, NULL, 0, false, &len), 0);
	assert_memory_equal(out, want204, len);

	/* exactly enough room, and one byte less */
	assert_int_equal(http_response_format(out, STRLEN(want200), 200, "application/json", "{}", 2, false, &len), 0);
	assert_int_equal(http_response_format(out, STRLEN(want200) - 1, 200, "application/json", "{}", 2, false, &len),
			 -1);
	assert_string_equal(out, "");
	/* refusals */
	assert_int_equal(http_response_format(out, sizeof(out), 204, NULL, "x", 1, false, &len), -1);
	assert_int_equal(http_response_format(out, sizeof(out), 99, NULL, NULL, 0, false, &len), -1);
	assert_int_equal(http_response_format(out, sizeof(out), 600, NULL, NULL, 0, false, &len), -1);
	assert_int_equal(http_response_format(out, sizeof(out), 200, "text/plain\r\nX-Injected: 1", NULL, 0, false,
					      &len),
			 -1);
	assert_int_equal(http_response_format(out, sizeof(out), 200, "", NULL, 0, false, &len), -1);
	assert_int_equal(http_response_format(out, sizeof(out), 200, NULL, NULL, 5, false, &len), -1);

	assert_string_equal(http_status_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_reason(505), "HTTP Version Not Supported");
	assert_string_equal(http_status_reason(299), "Unknown");
	assert_int_equal(http_json_status_body(out, sizeof(out), 413, &len), 0);
	assert_int_equal(len, STRLEN(want413));
	assert_string_equal(out, want413);
	assert_int_equal(http_json_status_body(out, 10, 413, &len), -1);
}

static struct http_response resp;

static int rparse(const char *s, size_t len, bool eof, size_t body_max, char *dec, size_t dec_cap)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len);
	rc = http_response_parse(copy, len, eof, body_max, dec, dec_cap, &resp, err, sizeof(err));
	free(copy);
	if (rc == HTTP_PARSE_OK && !resp.chunked)
		rc = http_response_parse(s, len, eof, body_max, dec, dec_cap, &resp, err, sizeof(err));
	return rc;
}

static void test_response_python_server(void **state)
{
	size_t n = 0;
	const char *v;

	(void)state;
	assert_int_equal(rparse(PYSRV_200, STRLEN(PYSRV_200), false, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.version_minor, 0);
	assert_span(resp.reason, resp.reason_len, "OK");
	assert_span(resp.body, resp.body_len, "{\"code\": 200}");
	v = http_response_header_get(&resp, "content-type", &n);
	assert_non_null(v);
	assert_span(v, n, "application/json");
	assert_false(resp.keep_alive);
	assert_int_equal(resp.consumed, STRLEN(PYSRV_200));

	assert_int_equal(rparse(PYSRV_404, STRLEN(PYSRV_404), true, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_int_equal(resp.status, 404);
	assert_span(resp.reason, resp.reason_len, "File not found");
	assert_int_equal(resp.body_len, 335);
	assert_memory_equal(resp.body + 335 - 8, "</html>\n", 8);

	/* every prefix is incomplete; with eof it is malformed, never OK */
	for (size_t i = 0; i < STRLEN(PYSRV_404); i++) {
		assert_int_equal(rparse(PYSRV_404, i, false, 1024, NULL, 0), HTTP_PARSE_INCOMPLETE);
		assert_int_equal(rparse(PYSRV_404, i, true, 1024, NULL, 0), HTTP_PARSE_MALFORMED);
	}
	/* 334-byte cap */
	assert_int_equal(rparse(PYSRV_404, STRLEN(PYSRV_404), true, 334, NULL, 0), HTTP_PARSE_TOO_LARGE);
}

static void test_response_chunked(void **state)
{
	char dec[64];

	(void)state;
	/* measure pass, then decode pass */
	assert_int_equal(rparse(MDN_CHUNKED, STRLEN(MDN_CHUNKED), false, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_true(resp.chunked);
	assert_null(resp.body);
	assert_int_equal(resp.body_len, 24);
	assert_int_equal(rparse(MDN_CHUNKED, STRLEN(MDN_CHUNKED), false, 1024, dec, 24), HTTP_PARSE_OK);
	assert_span(resp.body, resp.body_len, "MozillaDeveloper Network");
	assert_int_equal(resp.consumed, STRLEN(MDN_CHUNKED));
	assert_true(resp.keep_alive);
	for (size_t i = 0; i < STRLEN(MDN_CHUNKED); i++)
		assert_int_equal(rparse(MDN_CHUNKED, i, false, 1024, dec, sizeof(dec)), HTTP_PARSE_INCOMPLETE);
	/* caps: body_max and dec_cap, one byte short each */
	assert_int_equal(rparse(MDN_CHUNKED, STRLEN(MDN_CHUNKED), false, 23, NULL, 0), HTTP_PARSE_TOO_LARGE);
	assert_int_equal(rparse(MDN_CHUNKED, STRLEN(MDN_CHUNKED), false, 1024, dec, 23), HTTP_PARSE_TOO_LARGE);

	/* extensions, upper-case hex, leading zeros, trailers */
	{
		static const char t[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
					"00A;name=\"v\"\r\n0123456789\r\n"
					"1 ; x\r\nZ\r\n"
					"0\r\nX-Trailer: t\r\n\r\nNEXT";

		assert_int_equal(rparse(t, STRLEN(t), false, 1024, dec, sizeof(dec)), HTTP_PARSE_OK);
		assert_span(resp.body, resp.body_len, "0123456789Z");
		assert_int_equal(resp.consumed, STRLEN(t) - 4);
	}
}

struct rbad {
	const char *text;
	bool eof;
	int rc;
};

static const struct rbad bad_responses[] = {
	{ "HTTP/1.1 101 Switching Protocols\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", false,
	  HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", false,
	  HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", false, HTTP_PARSE_TOO_LARGE },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", false,
	  HTTP_PARSE_TOO_LARGE },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n", false, HTTP_PARSE_TOO_LARGE },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n", true, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", false,
	  HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", true, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 20 OK\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 2000 OK\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 099 X\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 600 X\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/2 200 OK\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/2.0 200 OK\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 O\x01K\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\nContent-Length: 0\n\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", false, HTTP_PARSE_MALFORMED },
	{ "SSH-2.0-OpenSSH_9.2\r\n", false, HTTP_PARSE_MALFORMED },
	{ "HTTP/1.1 200 OK\r\n\r\n01234567890", false, HTTP_PARSE_TOO_LARGE }, /* to close, cap 10 */
};

static void test_bad_responses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_responses) / sizeof(bad_responses[0]); i++) {
		const struct rbad *b = &bad_responses[i];
		size_t cap = strstr(b->text, "01234567890") != NULL ? 10 : 1024;
		int rc = rparse(b->text, strlen(b->text), b->eof, cap, NULL, 0);

		if (rc != b->rc)
			fail_msg("case %zu: got %d, want %d (%s)", i, rc, b->rc, err);
		if (err[0] == '\0')
			fail_msg("case %zu: no error message", i);
	}
}

static void test_response_framing(void **state)
{
	static const char to_close[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabc";
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
				      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}";
	static const char no_content[] = "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n";
	static const char bare[] = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n";
	static char head[HTTP_HEADER_MAX + 64];
	char *p;

	(void)state;
	assert_int_equal(rparse(to_close, STRLEN(to_close), false, 1024, NULL, 0), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(rparse(to_close, STRLEN(to_close), true, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_span(resp.body, resp.body_len, "abc");
	assert_false(resp.keep_alive);

	assert_int_equal(rparse(interim, STRLEN(interim), false, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_int_equal(resp.status, 201);
	assert_span(resp.body, resp.body_len, "{}");
	assert_int_equal(resp.consumed, STRLEN(interim));
	assert_int_equal(rparse(interim, 25, false, 1024, NULL, 0), HTTP_PARSE_INCOMPLETE);

	assert_int_equal(rparse(no_content, STRLEN(no_content), false, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_int_equal(resp.body_len, 0);
	assert_int_equal(rparse(bare, STRLEN(bare), false, 1024, NULL, 0), HTTP_PARSE_OK);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.reason_len, 0);

	/* a head over HTTP_HEADER_MAX */
	p = stpcpy(head, "HTTP/1.1 200 OK\r\nX: ");
	memset(p, 'v', HTTP_HEADER_MAX);
	p += HTTP_HEADER_MAX;
	p = stpcpy(p, "\r\n\r\n");
	assert_int_equal(rparse(head, (size_t)(p - head), false, 1024, NULL, 0), HTTP_PARSE_TOO_LARGE);
}

/* The encoder's output is what the parser (and RFC 9112) accepts, for every registered status. */
static void test_format_parse_roundtrip(void **state)
{
	static const int codes[] = { 200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 409, 411, 412, 413,
				     414, 415, 422, 429, 431, 500, 501, 502, 503, 504, 505, 299, 599 };
	char out[512], body[160];
	size_t len = 0, blen = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		bool nobody = codes[i] == 204 || codes[i] == 304;

		assert_int_equal(http_json_status_body(body, sizeof(body), codes[i], &blen), 0);
		assert_int_equal(http_response_format(out, sizeof(out), codes[i], nobody ? NULL : "application/json",
						      nobody ? NULL : body, nobody ? 0 : blen, i % 2 == 0, &len),
				 0);
		assert_int_equal(rparse(out, len, false, 1024, NULL, 0), HTTP_PARSE_OK);
		assert_int_equal(resp.status, codes[i]);
		assert_int_equal(resp.consumed, len);
		assert_int_equal(resp.keep_alive, i % 2 != 0);
		assert_span(resp.reason, resp.reason_len, http_status_reason(codes[i]));
		if (!nobody)
			assert_span(resp.body, resp.body_len, body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_get),
		cmocka_unit_test(test_curl_post),
		cmocka_unit_test(test_requests_get_put),
		cmocka_unit_test(test_tornado_get),
		cmocka_unit_test(test_chunked_request_refused),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_leading_crlf_and_ows),
		cmocka_unit_test(test_content_length_forms),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_head_known_while_incomplete),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_query_get),
		cmocka_unit_test(test_path_version),
		cmocka_unit_test(test_response_format),
		cmocka_unit_test(test_response_python_server),
		cmocka_unit_test(test_response_chunked),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_format_parse_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

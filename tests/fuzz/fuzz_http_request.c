/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for the request side of src/lib/http.c.
 *
 * Input: one byte choosing body_max, then the bytes as received. Checked on
 * every input:
 *  - the parser reads only the len bytes it is given (exact-size copy, ASan);
 *  - the result is OK, INCOMPLETE or one of the statuses the parser promises,
 *    and an error comes with a NUL-terminated message;
 *  - an accepted request's pointers all lie inside its head or body, sizes add
 *    up, and the limits (head, header count, body_max) hold;
 *  - parsing is monotone in the bytes received: a prefix that was accepted
 *    gives the same request on the whole input, a prefix that was refused is
 *    refused with the same status, and the bytes just before the end of an
 *    accepted request are INCOMPLETE (what a server relies on when it parses
 *    again after every read);
 *  - the query and path helpers stay inside their inputs and NUL-terminate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const size_t body_maxes[4] = { 0, 16, 1024, 65536 };

static bool status_ok(int rc)
{
	return rc == HTTP_PARSE_OK || rc == HTTP_PARSE_INCOMPLETE || rc == 400 || rc == 411 || rc == 413 ||
	       rc == 414 || rc == 431 || rc == 501 || rc == 505;
}

static bool inside(const char *p, size_t n, const char *lo, size_t lolen)
{
	return p >= lo && n <= lolen && (size_t)(p - lo) <= lolen - n;
}

static int parse(const char *buf, size_t len, size_t body_max, struct http_request *req)
{
	char err[128];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = http_request_parse(buf, len, body_max, req, err, sizeof(err));
	if (!status_ok(rc))
		abort();
	if (rc >= 400 && (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0'))
		abort();
	return rc;
}

static void check_request(const char *buf, size_t len, size_t body_max, const struct http_request *r)
{
	char out[32];
	unsigned ma, mi;
	const char *rest;
	size_t restlen;

	if (r->consumed > len || r->head_len > HTTP_HEADER_MAX || r->consumed != r->head_len + r->body_len ||
	    r->body_len != r->content_length || r->body_len > body_max || r->nheaders > HTTP_HEADERS_MAX)
		abort();
	if (r->method == HTTP_METHOD_NONE || http_method_name(r->method) == NULL || r->version_minor > 1)
		abort();
	if (!inside(r->target, r->target_len, buf, r->head_len) || r->target_len == 0 || r->target[0] != '/')
		abort();
	if (r->path != r->target || r->path_len > r->target_len || memchr(r->path, '?', r->path_len) != NULL)
		abort();
	if (r->query != NULL && (!inside(r->query, r->query_len, r->target, r->target_len) || r->query[-1] != '?'))
		abort();
	if (r->body != buf + r->head_len)
		abort();
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];

		if (h->name_len == 0 || !inside(h->name, h->name_len, buf, r->head_len) ||
		    !inside(h->value, h->value_len, buf, r->head_len) ||
		    memchr(h->value, '\r', h->value_len) != NULL || memchr(h->value, '\n', h->value_len) != NULL)
			abort();
		if (http_header_get(r, "Host", NULL) == NULL && r->version_minor == 1)
			abort();
	}
	/* the first query pair's name, looked up */
	if (r->query != NULL) {
		char name[16];
		size_t n = 0;

		while (n < r->query_len && n < sizeof(name) - 1 && r->query[n] != '=' && r->query[n] != '&')
			n++;
		memcpy(name, r->query, n);
		name[n] = '\0';
		for (size_t cap = 1; cap <= sizeof(out); cap += 15) {
			int q = http_query_get(r, name, out, cap);

			if (q >= 0 && ((size_t)q >= cap || strlen(out) > (size_t)q))
				abort();
			if (q < 0 && (q < HTTP_QUERY_DUPLICATE || out[0] != '\0'))
				abort();
		}
	}
	if (http_path_version(r->path, r->path_len, &ma, &mi, &rest, &restlen) == 0) {
		if (!inside(rest, restlen, r->path, r->path_len) || (restlen > 0 && rest[0] != '/') || ma > 9999 ||
		    mi > 9999)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request r, r2;
	size_t body_max, len;
	char *buf;
	int rc, rc2;

	if (size < 1 || size > 3 * HTTP_HEADER_MAX)
		return 0;
	body_max = body_maxes[data[0] & 3];
	len = size - 1;
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 1, len);

	rc = parse(buf, len, body_max, &r);
	if (rc == HTTP_PARSE_OK) {
		check_request(buf, len, body_max, &r);
		/* the request alone parses the same; the byte before its end does not complete it */
		rc2 = parse(buf, r.consumed, body_max, &r2);
		if (rc2 != HTTP_PARSE_OK || r2.consumed != r.consumed || r2.nheaders != r.nheaders ||
		    r2.method != r.method)
			abort();
		if (r.consumed > 0 && parse(buf, r.consumed - 1, body_max, &r2) != HTTP_PARSE_INCOMPLETE)
			abort();
		if (r.head_len > 0 && parse(buf, r.head_len - 1, body_max, &r2) != HTTP_PARSE_INCOMPLETE)
			abort();
	}
	/* a prefix decides nothing the whole input contradicts */
	if (len > 0) {
		size_t cut = len / 2 + (data[0] >> 2) % (len / 2 + 1);

		if (cut > len)
			cut = len;
		rc2 = parse(buf, cut, body_max, &r2);
		if (rc2 == HTTP_PARSE_OK && (rc != HTTP_PARSE_OK || r.consumed != r2.consumed))
			abort();
		if (rc2 >= 400 && rc != rc2)
			abort();
	}
	free(buf);
	return 0;
}

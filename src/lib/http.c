/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/1.1 parsing and encoding; see http.h for what is accepted and why.
 */
#include "http.h"
#include "lib_err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "encoding.h"

/* Interim (1xx) answers skipped before a final one; a server never needs many. */
#define HTTP_INTERIM_MAX 8

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	if (enc_is_alnum(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 3986 characters of an origin-form target: unreserved, sub-delims, ":@/?%". */
static bool is_target_char(unsigned char c)
{
	if (enc_is_alnum(c))
		return true;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@/?%", c) != NULL;
}

/* RFC 9110 5.5 field-value bytes: VCHAR, obs-text, SP, HTAB. */
static bool is_field_char(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

static bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool ci_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

enum line_result { LINE_FOUND, LINE_INCOMPLETE, LINE_TOO_LONG, LINE_BAD };

/*
 * Finds the CRLF ending the line at pos. The line's CRLF must end at or
 * before limit (an absolute offset); a line that cannot end there is
 * LINE_TOO_LONG once enough bytes are present to know it. Bare CR and bare LF
 * are LINE_BAD: accepting them is how request smuggling between parsers works.
 */
static enum line_result find_line(const char *buf, size_t len, size_t pos, size_t limit, size_t *eol)
{
	size_t end = len < limit ? len : limit;

	for (size_t i = pos; i < end; i++) {
		if (buf[i] == '\n')
			return LINE_BAD;
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= end)
			break;
		if (buf[i + 1] != '\n')
			return LINE_BAD;
		*eol = i;
		return LINE_FOUND;
	}
	return len >= limit ? LINE_TOO_LONG : LINE_INCOMPLETE;
}

const char *http_headers_find(const struct http_header *h, size_t n, const char *name, size_t *value_len)
{
	if (h == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (ci_equal(h[i].name, h[i].name_len, name)) {
			if (value_len != NULL)
				*value_len = h[i].value_len;
			return h[i].value;
		}
	}
	return NULL;
}

const char *http_header_get(const struct http_request *req, const char *name, size_t *value_len)
{
	return req == NULL ? NULL : http_headers_find(req->headers, req->nheaders, name, value_len);
}

const char *http_response_header_get(const struct http_response *resp, const char *name, size_t *value_len)
{
	return resp == NULL ? NULL : http_headers_find(resp->headers, resp->nheaders, name, value_len);
}

static size_t header_count(const struct http_header *h, size_t n, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (ci_equal(h[i].name, h[i].name_len, name))
			c++;
	return c;
}

/* Whether a comma-separated token list (Connection, Transfer-Encoding) names tok. */
static bool list_has_token(const char *v, size_t n, const char *tok)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (is_ows((unsigned char)v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows((unsigned char)v[e - 1]))
			e--;
		if (e > s && ci_equal(v + s, e - s, tok))
			return true;
	}
	return false;
}

enum content_length_result { CL_OK, CL_BAD, CL_TOO_LARGE };

/* RFC 9110 8.6: Content-Length = 1*DIGIT. Leading zeros are legal; signs, spaces, lists are not. */
static enum content_length_result parse_content_length(const char *v, size_t n, size_t max, size_t *out)
{
	size_t val = 0;
	bool over = false;

	if (n == 0)
		return CL_BAD;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (!enc_is_digit((unsigned char)v[i]))
			return CL_BAD;
		d = (unsigned)(v[i] - '0');
		if (over || val > (SIZE_MAX - d) / 10) {
			over = true;
			continue;
		}
		val = val * 10 + d;
	}
	if (over || val > max)
		return CL_TOO_LARGE;
	*out = val;
	return CL_OK;
}

/*
 * Header lines from *pos up to and including the empty line; the head must
 * end by `limit`. Returns 0 with *pos after the empty line, 1 for incomplete,
 * or -1 bad syntax / -2 too many or too long, with err filled.
 */
static int parse_header_lines(const char *buf, size_t len, size_t *pos, size_t limit, struct http_header *h,
			      size_t *nh, char *err, size_t errlen)
{
	size_t p = *pos;

	*nh = 0;
	for (;;) {
		size_t eol = 0, colon, vs, ve;

		switch (find_line(buf, len, p, limit, &eol)) {
		case LINE_INCOMPLETE:
			return 1;
		case LINE_TOO_LONG:
			lib_err(err, errlen, "header section over the %d-byte limit", HTTP_HEADER_MAX);
			return -2;
		case LINE_BAD:
			lib_err(err, errlen, "header line %zu: bare CR or LF (lines must end in CRLF)", *nh + 1);
			return -1;
		case LINE_FOUND:
			break;
		}
		if (eol == p) {
			*pos = eol + 2;
			return 0;
		}
		if (is_ows((unsigned char)buf[p])) {
			lib_err(err, errlen, "header line %zu starts with whitespace (obs-fold is not accepted)",
			       *nh + 1);
			return -1;
		}
		if (*nh >= HTTP_HEADERS_MAX) {
			lib_err(err, errlen, "more than %d header lines", HTTP_HEADERS_MAX);
			return -2;
		}
		for (colon = p; colon < eol && buf[colon] != ':'; colon++) {
			if (!is_tchar((unsigned char)buf[colon])) {
				lib_err(err, errlen, "header line %zu: invalid byte 0x%02x in the field name",
				       *nh + 1, (unsigned char)buf[colon]);
				return -1;
			}
		}
		if (colon == eol || colon == p) {
			lib_err(err, errlen, "header line %zu: %s", *nh + 1,
			       colon == p ? "empty field name" : "no ':' after the field name");
			return -1;
		}
		vs = colon + 1;
		while (vs < eol && is_ows((unsigned char)buf[vs]))
			vs++;
		ve = eol;
		while (ve > vs && is_ows((unsigned char)buf[ve - 1]))
			ve--;
		for (size_t i = vs; i < ve; i++) {
			if (!is_field_char((unsigned char)buf[i])) {
				lib_err(err, errlen, "header '%.*s': control byte 0x%02x in the value",
				       (int)(colon - p > 40 ? 40 : colon - p), buf + p, (unsigned char)buf[i]);
				return -1;
			}
		}
		h[*nh].name = buf + p;
		h[*nh].name_len = colon - p;
		h[*nh].value = buf + vs;
		h[*nh].value_len = ve - vs;
		(*nh)++;
		p = eol + 2;
	}
}

/* Checks "%XX" escapes in s[0..n): each '%' needs two hex digits. */
static bool escapes_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3)
			return false;
		if (hex_digit((unsigned char)s[i + 1]) < 0 || hex_digit((unsigned char)s[i + 2]) < 0)
			return false;
		i += 2;
	}
	return true;
}

static enum http_method method_from(const char *m, size_t n)
{
	static const struct {
		const char *name;
		enum http_method m;
	} known[] = {
		{ "GET", HTTP_METHOD_GET },
		{ "POST", HTTP_METHOD_POST },
		{ "PUT", HTTP_METHOD_PUT },
		{ "DELETE", HTTP_METHOD_DELETE },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && memcmp(known[i].name, m, n) == 0)
			return known[i].m;
	return HTTP_METHOD_NONE;
}

const char *http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_METHOD_GET:
		return "GET";
	case HTTP_METHOD_POST:
		return "POST";
	case HTTP_METHOD_PUT:
		return "PUT";
	case HTTP_METHOD_DELETE:
		return "DELETE";
	default:
		return NULL;
	}
}

/* "HTTP/d.d" (RFC 9112 2.3, case-sensitive). Returns 0, or -1 when the text is not a version at all. */
static int parse_version(const char *v, size_t n, unsigned *major, unsigned *minor)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || !enc_is_digit((unsigned char)v[5]) || v[6] != '.' ||
	    !enc_is_digit((unsigned char)v[7]))
		return -1;
	*major = (unsigned)(v[5] - '0');
	*minor = (unsigned)(v[7] - '0');
	return 0;
}

/* Request line in buf[p..eol). Returns 0 or the status to answer. */
static int parse_request_line(const char *buf, size_t p, size_t eol, struct http_request *req, char *err,
			      size_t errlen)
{
	size_t m_end, t_end, i;
	unsigned major, minor;

	for (m_end = p; m_end < eol && buf[m_end] != ' '; m_end++) {
		if (!is_tchar((unsigned char)buf[m_end])) {
			lib_err(err, errlen, "request line: invalid byte 0x%02x in the method",
			       (unsigned char)buf[m_end]);
			return 400;
		}
	}
	if (m_end == p || m_end == eol) {
		lib_err(err, errlen, "request line: expected 'METHOD SP target SP HTTP/1.1'");
		return 400;
	}
	for (t_end = m_end + 1; t_end < eol && buf[t_end] != ' '; t_end++) {
		if (!is_target_char((unsigned char)buf[t_end])) {
			lib_err(err, errlen, "request target: invalid byte 0x%02x at offset %zu",
			       (unsigned char)buf[t_end], t_end - m_end - 1);
			return 400;
		}
	}
	if (t_end == m_end + 1 || t_end == eol) {
		lib_err(err, errlen, "request line: expected 'METHOD SP target SP HTTP/1.1'");
		return 400;
	}
	if (parse_version(buf + t_end + 1, eol - t_end - 1, &major, &minor) != 0) {
		lib_err(err, errlen, "request line: protocol is not 'HTTP/<digit>.<digit>'");
		return 400;
	}
	if (major != 1) {
		lib_err(err, errlen, "HTTP/%u.%u is not supported (only HTTP/1.x)", major, minor);
		return 505;
	}
	/* RFC 9112 2.3: a higher minor version of a major we speak is handled as our highest. */
	req->version_minor = minor > 1 ? 1 : minor;

	req->method = method_from(buf + p, m_end - p);
	if (req->method == HTTP_METHOD_NONE) {
		lib_err(err, errlen, "method '%.*s' is not implemented (GET, POST, PUT, DELETE are)",
		       (int)(m_end - p > 32 ? 32 : m_end - p), buf + p);
		return 501;
	}

	req->target = buf + m_end + 1;
	req->target_len = t_end - m_end - 1;
	if (req->target[0] != '/') {
		lib_err(err, errlen, "request target must start with '/' (origin-form)");
		return 400;
	}
	if (!escapes_valid(req->target, req->target_len)) {
		lib_err(err, errlen, "request target: '%%' not followed by two hex digits");
		return 400;
	}
	req->path = req->target;
	req->path_len = req->target_len;
	for (i = 0; i < req->target_len; i++) {
		if (req->target[i] == '?') {
			req->path_len = i;
			req->query = req->target + i + 1;
			req->query_len = req->target_len - i - 1;
			break;
		}
	}
	return 0;
}

/* Checks the framing and connection headers of a complete head. Returns 0 or the status to answer. */
static int check_request_head(struct http_request *req, size_t body_max, char *err, size_t errlen)
{
	const char *v;
	size_t vlen = 0, n;

	n = header_count(req->headers, req->nheaders, "Host");
	if (n > 1 || (n == 0 && req->version_minor >= 1)) {
		lib_err(err, errlen, "%s", n > 1 ? "more than one Host header" : "HTTP/1.1 request without Host");
		return 400;
	}
	if (header_count(req->headers, req->nheaders, "Transfer-Encoding") > 0) {
		lib_err(err, errlen, "Transfer-Encoding in a request is not implemented; send Content-Length");
		return 501;
	}
	n = header_count(req->headers, req->nheaders, "Content-Length");
	if (n > 1) {
		lib_err(err, errlen, "more than one Content-Length header");
		return 400;
	}
	if (n == 1) {
		v = http_headers_find(req->headers, req->nheaders, "Content-Length", &vlen);
		switch (parse_content_length(v, vlen, body_max, &req->content_length)) {
		case CL_OK:
			break;
		case CL_BAD:
			lib_err(err, errlen, "Content-Length is not a decimal number");
			return 400;
		case CL_TOO_LARGE:
			lib_err(err, errlen, "Content-Length over the %zu-byte limit", body_max);
			return 413;
		}
	} else if (req->method == HTTP_METHOD_POST || req->method == HTTP_METHOD_PUT) {
		lib_err(err, errlen, "%s without Content-Length", http_method_name(req->method));
		return 411;
	}

	req->keep_alive = req->version_minor >= 1;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];

		if (!ci_equal(h->name, h->name_len, "Connection"))
			continue;
		if (list_has_token(h->value, h->value_len, "keep-alive"))
			req->keep_alive = true;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];

		if (ci_equal(h->name, h->name_len, "Connection") && list_has_token(h->value, h->value_len, "close"))
			req->keep_alive = false;
	}
	v = http_headers_find(req->headers, req->nheaders, "Expect", &vlen);
	req->expect_continue = v != NULL && ci_equal(v, vlen, "100-continue");
	return 0;
}

int http_request_parse(const char *buf, size_t len, size_t body_max, struct http_request *req, char *err,
		       size_t errlen)
{
	size_t p = 0, eol = 0;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (req == NULL || (buf == NULL && len > 0)) {
		lib_err(err, errlen, "http_request_parse: NULL argument");
		return 400;
	}
	memset(req, 0, sizeof(*req));

	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while (p + 2 <= len && buf[p] == '\r' && buf[p + 1] == '\n' && p + 2 <= HTTP_HEADER_MAX)
		p += 2;

	switch (find_line(buf, len, p, HTTP_HEADER_MAX, &eol)) {
	case LINE_INCOMPLETE:
		/* Refuse what is not HTTP (a TLS ClientHello, binary junk) without waiting for a line end. */
		for (size_t i = p; i < len && buf[i] != ' '; i++) {
			if (!is_tchar((unsigned char)buf[i]) && !(buf[i] == '\r' && i + 1 == len)) {
				lib_err(err, errlen, "request line: invalid byte 0x%02x in the method",
				       (unsigned char)buf[i]);
				return 400;
			}
		}
		return HTTP_PARSE_INCOMPLETE;
	case LINE_TOO_LONG:
		lib_err(err, errlen, "request line longer than %d bytes", HTTP_HEADER_MAX);
		return 414;
	case LINE_BAD:
		lib_err(err, errlen, "request line: bare CR or LF (lines must end in CRLF)");
		return 400;
	case LINE_FOUND:
		break;
	}
	rc = parse_request_line(buf, p, eol, req, err, errlen);
	if (rc != 0)
		goto fail;

	p = eol + 2;
	rc = parse_header_lines(buf, len, &p, HTTP_HEADER_MAX, req->headers, &req->nheaders, err, errlen);
	if (rc == 1)
		return HTTP_PARSE_INCOMPLETE;
	if (rc < 0) {
		rc = rc == -2 ? 431 : 400;
		goto fail;
	}
	req->head_len = p;
	rc = check_request_head(req, body_max, err, errlen);
	if (rc != 0)
		goto fail;
	if (len - p < req->content_length)
		return HTTP_PARSE_INCOMPLETE;
	req->body = buf + p;
	req->body_len = req->content_length;
	req->consumed = p + req->content_length;
	return HTTP_PARSE_OK;
fail:
	memset(req, 0, sizeof(*req));
	return rc;
}

/*
 * %-decodes s[0..n) ('+' is a space) into out[0..cap) and returns the
 * decoded length, which may exceed cap (then only cap bytes are written),
 * or -1 for a bad escape or a decoded NUL.
 */
static long query_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hex_digit((unsigned char)s[i + 1]);
			lo = hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '\0')
			return -1;
		if (o < cap && out != NULL)
			out[o] = (char)c;
		o++;
	}
	return (long)o;
}

int http_query_get_raw(const char *query, size_t query_len, const char *name, char *out, size_t cap)
{
	char key[128];
	size_t name_len, i = 0;
	long found_len = -1;
	int rc = HTTP_QUERY_NOT_FOUND;

	if (out != NULL && cap > 0)
		out[0] = '\0';
	if (name == NULL || out == NULL || cap == 0)
		return HTTP_QUERY_NOT_FOUND;
	name_len = strlen(name);
	if (query == NULL)
		return HTTP_QUERY_NOT_FOUND;

	while (i <= query_len) {
		size_t s = i, eq, e;
		long klen, vlen;

		while (i < query_len && query[i] != '&')
			i++;
		e = i++;
		if (e == s)
			continue;
		for (eq = s; eq < e && query[eq] != '='; eq++)
			;
		klen = query_decode(query + s, eq - s, key, sizeof(key));
		vlen = eq < e ? query_decode(query + eq + 1, e - eq - 1, NULL, 0) : 0;
		if (klen < 0 || vlen < 0) {
			rc = HTTP_QUERY_MALFORMED;
			goto out;
		}
		if ((size_t)klen != name_len || (size_t)klen > sizeof(key) || memcmp(key, name, name_len) != 0)
			continue;
		if (found_len >= 0) {
			rc = HTTP_QUERY_DUPLICATE;
			goto out;
		}
		found_len = vlen;
		if ((size_t)vlen >= cap) {
			rc = HTTP_QUERY_TOO_LONG;
			continue; /* still check the rest for bad escapes and duplicates */
		}
		if (eq < e)
			query_decode(query + eq + 1, e - eq - 1, out, cap);
		out[vlen] = '\0';
		rc = (int)vlen;
	}
out:
	if (rc < 0)
		out[0] = '\0';
	return rc;
}

int http_query_get(const struct http_request *req, const char *name, char *out, size_t cap)
{
	if (req == NULL) {
		if (out != NULL && cap > 0)
			out[0] = '\0';
		return HTTP_QUERY_NOT_FOUND;
	}
	return http_query_get_raw(req->query, req->query_len, name, out, cap);
}

/* Decimal without leading zeros, 1..4 digits. Returns digits used, 0 when none fit. */
static size_t parse_small_uint(const char *s, size_t n, unsigned *out)
{
	size_t i = 0;
	unsigned v = 0;

	while (i < n && i < 5 && enc_is_digit((unsigned char)s[i])) {
		v = v * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (i == 0 || i > 4 || (i > 1 && s[0] == '0'))
		return 0;
	*out = v;
	return i;
}

int http_path_version(const char *path, size_t len, unsigned *major, unsigned *minor, const char **rest,
		      size_t *restlen)
{
	size_t p = 2, d;
	unsigned ma, mi;

	if (path == NULL || len < 2 || path[0] != '/' || path[1] != 'v')
		return -1;
	d = parse_small_uint(path + p, len - p, &ma);
	if (d == 0)
		return -1;
	p += d;
	if (p >= len || path[p] != '.')
		return -1;
	p++;
	d = parse_small_uint(path + p, len - p, &mi);
	if (d == 0)
		return -1;
	p += d;
	if (p < len && path[p] != '/')
		return -1;
	if (major != NULL)
		*major = ma;
	if (minor != NULL)
		*minor = mi;
	if (rest != NULL)
		*rest = path + p;
	if (restlen != NULL)
		*restlen = len - p;
	return 0;
}

const char *http_status_reason(int status)
{
	static const struct {
		int code;
		const char *reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 101, "Switching Protocols" },
		{ 200, "OK" },
		{ 201, "Created" },
		{ 202, "Accepted" },
		{ 203, "Non-Authoritative Information" },
		{ 204, "No Content" },
		{ 205, "Reset Content" },
		{ 206, "Partial Content" },
		{ 300, "Multiple Choices" },
		{ 301, "Moved Permanently" },
		{ 302, "Found" },
		{ 303, "See Other" },
		{ 304, "Not Modified" },
		{ 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 402, "Payment Required" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 410, "Gone" },
		{ 411, "Length Required" },
		{ 412, "Precondition Failed" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 416, "Range Not Satisfiable" },
		{ 417, "Expectation Failed" },
		{ 421, "Misdirected Request" },
		{ 422, "Unprocessable Content" },
		{ 426, "Upgrade Required" },
		{ 428, "Precondition Required" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return "Unknown";
}

static bool status_has_no_body(int status)
{
	return (status >= 100 && status < 200) || status == 204 || status == 304;
}

int http_response_format_head(char *out, size_t cap, int status, const char *content_type, size_t body_len,
			      bool close, size_t *len)
{
	size_t o = 0;
	int n;

	if (out != NULL && cap > 0)
		out[0] = '\0';
	if (out == NULL || len == NULL || status < 100 || status > 599 ||
	    (status_has_no_body(status) && body_len > 0))
		return -1;
	if (content_type != NULL) {
		if (content_type[0] == '\0')
			return -1;
		for (const char *c = content_type; *c != '\0'; c++)
			if (!is_field_char((unsigned char)*c) || (unsigned char)*c >= 0x80)
				return -1;
	}

	n = snprintf(out, cap, "HTTP/1.1 %d %s\r\n", status, http_status_reason(status));
	if (n < 0 || (size_t)n >= cap)
		goto fail;
	o = (size_t)n;
	if (content_type != NULL) {
		n = snprintf(out + o, cap - o, "Content-Type: %s\r\n", content_type);
		if (n < 0 || (size_t)n >= cap - o)
			goto fail;
		o += (size_t)n;
	}
	/* RFC 9110 8.6: no Content-Length in 1xx and 204; in 304 it would describe another answer. */
	if (!status_has_no_body(status)) {
		n = snprintf(out + o, cap - o, "Content-Length: %zu\r\n", body_len);
		if (n < 0 || (size_t)n >= cap - o)
			goto fail;
		o += (size_t)n;
	}
	n = snprintf(out + o, cap - o, "Connection: %s\r\n\r\n", close ? "close" : "keep-alive");
	if (n < 0 || (size_t)n >= cap - o)
		goto fail;
	o += (size_t)n;
	*len = o;
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

int http_response_format(char *out, size_t cap, int status, const char *content_type, const char *body,
			 size_t body_len, bool close, size_t *len)
{
	size_t head = 0;

	if (body == NULL && body_len > 0) {
		if (out != NULL && cap > 0)
			out[0] = '\0';
		return -1;
	}
	if (http_response_format_head(out, cap, status, content_type, body_len, close, &head) != 0)
		return -1;
	if (body_len > cap - head) {
		out[0] = '\0';
		return -1;
	}
	if (body_len > 0)
		memcpy(out + head, body, body_len);
	*len = head + body_len;
	return 0;
}

int http_json_status_body(char *out, size_t cap, int status, size_t *len)
{
	int n;

	if (out == NULL || len == NULL || cap == 0 || status < 100 || status > 599)
		return -1;
	n = snprintf(out, cap, "{\"code\":%d,\"status\":\"%s\",\"results\":{}}", status, http_status_reason(status));
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" in buf[p..eol). Returns 0 or -1. */
static int parse_status_line(const char *buf, size_t p, size_t eol, struct http_response *resp, char *err,
			     size_t errlen)
{
	unsigned major, minor;
	size_t n = eol - p;

	if (n < 12 || parse_version(buf + p, 8, &major, &minor) != 0 || buf[p + 8] != ' ' ||
	    !enc_is_digit((unsigned char)buf[p + 9]) || !enc_is_digit((unsigned char)buf[p + 10]) ||
	    !enc_is_digit((unsigned char)buf[p + 11]) || (n > 12 && buf[p + 12] != ' ')) {
		lib_err(err, errlen, "status line is not 'HTTP/1.x NNN reason'");
		return -1;
	}
	if (major != 1) {
		lib_err(err, errlen, "answer is HTTP/%u.%u, not HTTP/1.x", major, minor);
		return -1;
	}
	resp->version_minor = minor > 1 ? 1 : minor;
	resp->status = (buf[p + 9] - '0') * 100 + (buf[p + 10] - '0') * 10 + (buf[p + 11] - '0');
	if (resp->status < 100 || resp->status > 599) {
		lib_err(err, errlen, "status code %d outside 100..599", resp->status);
		return -1;
	}
	resp->reason = buf + p + (n > 12 ? 13 : 12);
	resp->reason_len = n > 12 ? n - 13 : 0;
	for (size_t i = 0; i < resp->reason_len; i++) {
		if (!is_field_char((unsigned char)resp->reason[i])) {
			lib_err(err, errlen, "control byte in the reason phrase");
			return -1;
		}
	}
	return 0;
}

/*
 * Chunked body from buf[p..len) (RFC 9112 7.1). Returns HTTP_PARSE_* with
 * resp->body_len and *end (after the trailer section) on success.
 */
static int parse_chunked(const char *buf, size_t len, size_t p, size_t body_max, char *dec, size_t dec_cap,
			 struct http_response *resp, size_t *end, char *err, size_t errlen)
{
	struct http_header trailers[HTTP_HEADERS_MAX];
	size_t total = 0, ntrailers = 0;
	size_t cap = dec != NULL && dec_cap < body_max ? dec_cap : body_max;
	int rc;

	for (;;) {
		size_t eol = 0, i, size = 0;

		switch (find_line(buf, len, p, p + HTTP_CHUNK_LINE_MAX, &eol)) {
		case LINE_INCOMPLETE:
			return HTTP_PARSE_INCOMPLETE;
		case LINE_TOO_LONG:
			lib_err(err, errlen, "chunk-size line longer than %d bytes", HTTP_CHUNK_LINE_MAX);
			return HTTP_PARSE_MALFORMED;
		case LINE_BAD:
			lib_err(err, errlen, "chunk-size line: bare CR or LF");
			return HTTP_PARSE_MALFORMED;
		case LINE_FOUND:
			break;
		}
		for (i = p; i < eol && hex_digit((unsigned char)buf[i]) >= 0; i++) {
			size_t d = (size_t)hex_digit((unsigned char)buf[i]);

			if (size > (SIZE_MAX - d) / 16 || size * 16 + d > cap - total) {
				lib_err(err, errlen, "chunked body over the %zu-byte limit", cap);
				return HTTP_PARSE_TOO_LARGE;
			}
			size = size * 16 + d;
		}
		if (i == p) {
			lib_err(err, errlen, "chunk size is not hexadecimal");
			return HTTP_PARSE_MALFORMED;
		}
		while (i < eol && is_ows((unsigned char)buf[i]))
			i++;
		if (i < eol && buf[i] != ';') {
			lib_err(err, errlen, "junk after the chunk size");
			return HTTP_PARSE_MALFORMED;
		}
		for (; i < eol; i++) {
			if (!is_field_char((unsigned char)buf[i])) {
				lib_err(err, errlen, "control byte in a chunk extension");
				return HTTP_PARSE_MALFORMED;
			}
		}
		p = eol + 2;
		if (size == 0)
			break;
		if (len - p < size || len - p - size < 2)
			return HTTP_PARSE_INCOMPLETE;
		if (buf[p + size] != '\r' || buf[p + size + 1] != '\n') {
			lib_err(err, errlen, "chunk data not followed by CRLF");
			return HTTP_PARSE_MALFORMED;
		}
		if (dec != NULL)
			memcpy(dec + total, buf + p, size);
		total += size;
		p += size + 2;
	}

	/* Trailer fields: parsed for syntax and size, then ignored. */
	rc = parse_header_lines(buf, len, &p, p + HTTP_HEADER_MAX, trailers, &ntrailers, err, errlen);
	if (rc == 1)
		return HTTP_PARSE_INCOMPLETE;
	if (rc < 0) {
		if (rc == -2)
			lib_err(err, errlen, "chunked trailer section too large");
		return rc == -2 ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_MALFORMED;
	}
	resp->body = dec;
	resp->body_len = total;
	*end = p;
	return HTTP_PARSE_OK;
}

static bool response_keep_alive(const struct http_response *resp)
{
	bool ka = resp->version_minor >= 1;

	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct http_header *h = &resp->headers[i];

		if (!ci_equal(h->name, h->name_len, "Connection"))
			continue;
		if (list_has_token(h->value, h->value_len, "close"))
			return false;
		if (list_has_token(h->value, h->value_len, "keep-alive"))
			ka = true;
	}
	return ka;
}

/* Body framing of a final answer whose head ends at p. */
static int parse_response_body(const char *buf, size_t len, size_t p, bool eof, size_t body_max, char *dec,
			       size_t dec_cap, struct http_response *resp, char *err, size_t errlen)
{
	size_t n_te = header_count(resp->headers, resp->nheaders, "Transfer-Encoding");
	size_t n_cl = header_count(resp->headers, resp->nheaders, "Content-Length");
	size_t end = p, vlen = 0, cl = 0;
	const char *v;
	int rc;

	resp->keep_alive = response_keep_alive(resp);
	if (resp->status == 204 || resp->status == 304) {
		resp->body = buf + p;
		resp->body_len = 0;
		resp->consumed = p;
		return HTTP_PARSE_OK;
	}
	if (n_te > 0) {
		if (n_cl > 0) {
			lib_err(err, errlen, "answer has both Transfer-Encoding and Content-Length");
			return HTTP_PARSE_MALFORMED;
		}
		v = http_headers_find(resp->headers, resp->nheaders, "Transfer-Encoding", &vlen);
		if (n_te > 1 || !ci_equal(v, vlen, "chunked")) {
			lib_err(err, errlen, "Transfer-Encoding other than a single 'chunked' is not supported");
			return HTTP_PARSE_MALFORMED;
		}
		resp->chunked = true;
		rc = parse_chunked(buf, len, p, body_max, dec, dec_cap, resp, &end, err, errlen);
		if (rc == HTTP_PARSE_INCOMPLETE && eof) {
			lib_err(err, errlen, "connection closed inside the chunked body");
			return HTTP_PARSE_MALFORMED;
		}
		if (rc != HTTP_PARSE_OK)
			return rc;
		resp->consumed = end;
		return HTTP_PARSE_OK;
	}
	if (n_cl > 1) {
		lib_err(err, errlen, "answer has more than one Content-Length");
		return HTTP_PARSE_MALFORMED;
	}
	if (n_cl == 1) {
		v = http_headers_find(resp->headers, resp->nheaders, "Content-Length", &vlen);
		switch (parse_content_length(v, vlen, body_max, &cl)) {
		case CL_OK:
			break;
		case CL_BAD:
			lib_err(err, errlen, "Content-Length of the answer is not a decimal number");
			return HTTP_PARSE_MALFORMED;
		case CL_TOO_LARGE:
			lib_err(err, errlen, "answer body (Content-Length) over the %zu-byte limit", body_max);
			return HTTP_PARSE_TOO_LARGE;
		}
		if (len - p < cl) {
			if (!eof)
				return HTTP_PARSE_INCOMPLETE;
			lib_err(err, errlen, "connection closed after %zu of %zu body bytes", len - p, cl);
			return HTTP_PARSE_MALFORMED;
		}
		resp->body = buf + p;
		resp->body_len = cl;
		resp->consumed = p + cl;
		return HTTP_PARSE_OK;
	}
	/* Neither: the body runs to the end of the connection. */
	resp->keep_alive = false;
	if (len - p > body_max) {
		lib_err(err, errlen, "answer body over the %zu-byte limit", body_max);
		return HTTP_PARSE_TOO_LARGE;
	}
	if (!eof)
		return HTTP_PARSE_INCOMPLETE;
	resp->body = buf + p;
	resp->body_len = len - p;
	resp->consumed = len;
	return HTTP_PARSE_OK;
}

int http_response_parse(const char *buf, size_t len, bool eof, size_t body_max, char *dec, size_t dec_cap,
			struct http_response *resp, char *err, size_t errlen)
{
	size_t start = 0, p = 0, eol = 0;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (resp == NULL || (buf == NULL && len > 0)) {
		lib_err(err, errlen, "http_response_parse: NULL argument");
		return HTTP_PARSE_MALFORMED;
	}
	for (unsigned interim = 0;; interim++) {
		memset(resp, 0, sizeof(*resp));
		p = start;
		switch (find_line(buf, len, p, start + HTTP_HEADER_MAX, &eol)) {
		case LINE_INCOMPLETE:
			rc = HTTP_PARSE_INCOMPLETE;
			goto incomplete;
		case LINE_TOO_LONG:
			lib_err(err, errlen, "status line longer than %d bytes", HTTP_HEADER_MAX);
			rc = HTTP_PARSE_TOO_LARGE;
			goto out;
		case LINE_BAD:
			lib_err(err, errlen, "status line: bare CR or LF");
			rc = HTTP_PARSE_MALFORMED;
			goto out;
		case LINE_FOUND:
			break;
		}
		if (parse_status_line(buf, p, eol, resp, err, errlen) != 0) {
			rc = HTTP_PARSE_MALFORMED;
			goto out;
		}
		p = eol + 2;
		rc = parse_header_lines(buf, len, &p, start + HTTP_HEADER_MAX, resp->headers, &resp->nheaders, err,
					errlen);
		if (rc == 1) {
			rc = HTTP_PARSE_INCOMPLETE;
			goto incomplete;
		}
		if (rc < 0) {
			rc = rc == -2 ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_MALFORMED;
			goto out;
		}
		if (resp->status >= 200)
			break;
		if (resp->status == 101 || interim + 1 >= HTTP_INTERIM_MAX) {
			lib_err(err, errlen, "%s", resp->status == 101 ? "unexpected 101 Switching Protocols" :
					    "too many interim 1xx answers");
			rc = HTTP_PARSE_MALFORMED;
			goto out;
		}
		start = p;
	}
	resp->head_len = p - start;
	rc = parse_response_body(buf, len, p, eof, body_max, dec, dec_cap, resp, err, errlen);
	goto out;
incomplete:
	if (eof) {
		lib_err(err, errlen, "connection closed after %zu bytes, inside the answer's head", len);
		rc = HTTP_PARSE_MALFORMED;
	}
out:
	if (rc != HTTP_PARSE_OK)
		memset(resp, 0, sizeof(*resp));
	return rc;
}

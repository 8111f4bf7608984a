/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for the response side of src/lib/http.c.
 *
 * Input: one flag byte (bit 0: the peer has closed; bits 1-2: body_max),
 * then the answer's bytes. Checked on every input:
 *  - reads stay inside the given bytes and the decode buffer (exact-size
 *    copies, ASan);
 *  - results are one of the four documented codes, never INCOMPLETE at EOF,
 *    with a NUL-terminated message on failure;
 *  - a chunked body measured without a buffer decodes to exactly that many
 *    bytes with one, and one byte less of buffer is TOO_LARGE;
 *  - an answer framed by Content-Length or chunks parses the same from its
 *    own bytes alone, and is INCOMPLETE one byte short;
 *  - what http_response_format() writes parses back to the same status,
 *    reason and body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const size_t body_maxes[4] = { 0, 16, 1024, 65536 };

static int parse(const char *buf, size_t len, bool eof, size_t body_max, char *dec, size_t dec_cap,
		 struct http_response *r)
{
	char err[128];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = http_response_parse(buf, len, eof, body_max, dec, dec_cap, r, err, sizeof(err));
	if (rc != HTTP_PARSE_OK && rc != HTTP_PARSE_INCOMPLETE && rc != HTTP_PARSE_MALFORMED &&
	    rc != HTTP_PARSE_TOO_LARGE)
		abort();
	if (eof && rc == HTTP_PARSE_INCOMPLETE)
		abort();
	if ((rc == HTTP_PARSE_MALFORMED || rc == HTTP_PARSE_TOO_LARGE) &&
	    (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0'))
		abort();
	return rc;
}

static void roundtrip(const uint8_t *data, size_t size)
{
	static char out[2048];
	struct http_response r;
	int status;
	size_t blen, len = 0;
	bool nobody;

	if (size < 3)
		return;
	status = 200 + (data[1] * 256 + data[2]) % 400;
	nobody = status == 204 || status == 304;
	blen = nobody ? 0 : size - 3;
	if (blen > 1024)
		blen = 1024;
	if (http_response_format(out, sizeof(out), status, nobody ? NULL : "application/json",
				 (const char *)data + 3, blen, data[0] & 1, &len) != 0)
		abort();
	if (parse(out, len, false, 1024, NULL, 0, &r) != HTTP_PARSE_OK || r.status != status ||
	    r.consumed != len || r.body_len != blen || memcmp(r.body, data + 3, blen) != 0 ||
	    r.reason_len != strlen(http_status_reason(status)) ||
	    memcmp(r.reason, http_status_reason(status), r.reason_len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response r, r2;
	size_t body_max, len;
	bool eof;
	char *buf, *dec;
	int rc;

	if (size < 1 || size > 4 * HTTP_HEADER_MAX)
		return 0;
	eof = data[0] & 1;
	body_max = body_maxes[(data[0] >> 1) & 3];
	len = size - 1;
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 1, len);

	rc = parse(buf, len, eof, body_max, NULL, 0, &r);
	if (rc == HTTP_PARSE_OK) {
		if (r.consumed > len || r.status < 200 || r.status > 599 || r.body_len > body_max ||
		    r.nheaders > HTTP_HEADERS_MAX || r.head_len > HTTP_HEADER_MAX)
			abort();
		if (r.chunked) {
			size_t n = r.body_len;

			if (r.body != NULL)
				abort();
			dec = malloc(n > 0 ? n : 1);
			if (dec == NULL)
				abort();
			if (parse(buf, len, eof, body_max, dec, n, &r2) != HTTP_PARSE_OK || r2.body_len != n ||
			    r2.body != dec || r2.consumed != r.consumed)
				abort();
			if (n > 0 && parse(buf, len, eof, body_max, dec, n - 1, &r2) != HTTP_PARSE_TOO_LARGE)
				abort();
			free(dec);
		} else if (r.body == NULL || r.body < buf || (size_t)(r.body - buf) + r.body_len > r.consumed) {
			abort();
		}
		/* not framed by the close: the answer's own bytes suffice, one fewer does not */
		if (!eof) {
			if (parse(buf, r.consumed, false, body_max, NULL, 0, &r2) != HTTP_PARSE_OK ||
			    r2.consumed != r.consumed || r2.body_len != r.body_len || r2.status != r.status)
				abort();
			if (r.consumed > 0 &&
			    parse(buf, r.consumed - 1, false, body_max, NULL, 0, &r2) != HTTP_PARSE_INCOMPLETE)
				abort();
		}
	}
	free(buf);
	roundtrip(data, size);
	return 0;
}

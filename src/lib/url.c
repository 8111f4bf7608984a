// SPDX-License-Identifier: GPL-2.0-only
#include "url.h"

#include <string.h>

#include "encoding.h"

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* DNS name or IPv4 address: labels of 1..63 [A-Za-z0-9-], no '-' at either end. */
static int host_ok(const char *h, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > URL_HOST_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-' || h[i - label] == '-')
				return 0;
			label = 0;
		} else if (is_alnum(h[i]) || h[i] == '-') {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* RFC 3986 path and query characters, '%' only as %XX; no fragment. */
static int path_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\0' && (is_alnum(p[i]) || strchr("-._~!$&'()*+,;=:@/?", p[i]) != NULL))
			continue;
		if (p[i] == '%' && i + 2 < n && hex_digit((unsigned char)p[i + 1]) >= 0 && hex_digit((unsigned char)p[i + 2]) >= 0) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

int url_parse_http(const char *url, size_t len, struct http_url *u, const char **why)
{
	const char *auth, *slash, *end = url + len, *host, *colon = NULL;
	size_t hlen;

	if (len < 7 || memcmp(url, "http://", 7) != 0) {
		*why = "must start with http:// (the download is checked against sha256, not TLS)";
		return -1;
	}
	auth = url + 7;
	slash = memchr(auth, '/', (size_t)(end - auth));
	if (slash == NULL) {
		*why = "has no path; the form is http://host[:port]/path";
		return -1;
	}
	host = auth;
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(slash - auth));

		host = auth + 1;
		hlen = close != NULL ? (size_t)(close - host) : 0;
		for (size_t i = 0; i < hlen; i++)
			if (hex_digit((unsigned char)host[i]) < 0 && host[i] != ':' && host[i] != '.')
				hlen = 0;
		if (hlen < 2 || hlen > 45 || memchr(host, ':', hlen) == NULL) {
			*why = "bad IPv6 address";
			return -1;
		}
		if (close + 1 != slash && close[1] != ':') {
			*why = "junk after ']'";
			return -1;
		}
		if (close[1] == ':')
			colon = close + 1;
	} else {
		colon = memchr(auth, ':', (size_t)(slash - auth));
		hlen = (size_t)((colon != NULL ? colon : slash) - auth);
		if (!host_ok(host, hlen)) {
			*why = "the host must be a DNS name or an address (user names and other "
			       "characters are not allowed)";
			return -1;
		}
	}
	u->port = 80;
	if (colon != NULL) {
		size_t digits = (size_t)(slash - colon - 1);
		unsigned long port = 0;

		for (size_t i = 1; i <= digits && digits <= 5 && colon[1] != '0'; i++) {
			if (colon[i] < '0' || colon[i] > '9') {
				port = 0;
				break;
			}
			port = port * 10 + (unsigned long)(colon[i] - '0');
		}
		if (port == 0 || port > 65535) {
			*why = "the port must be 1..65535";
			return -1;
		}
		u->port = (uint16_t)port;
	}
	if (!path_ok(slash, (size_t)(end - slash))) {
		*why = "the path has characters a URL does not allow (space, '#', '\\', control "
		       "characters, a bare '%', non-ASCII)";
		return -1;
	}
	memcpy(u->host, host, hlen);
	u->host[hlen] = '\0';
	u->path_off = (size_t)(slash - url);
	return 0;
}

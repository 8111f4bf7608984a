/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * http://host[:port]/path URLs for downloads that are checked against a pinned
 * SHA-256 rather than by TLS: tenant kernels and initrds named in the payload
 * manifest, and the mutual-TLS client CA named on the command line. One parser,
 * so /init (which measures the configuration) and the agent (which fetches)
 * never disagree about what a URL means. No heap.
 */
#ifndef AIRLOCK_URL_H
#define AIRLOCK_URL_H

#include <stddef.h>
#include <stdint.h>

#define URL_HOST_MAX 253 /* DNS name text (RFC 1035); IPv6 text (45) is shorter */

struct http_url {
	char host[URL_HOST_MAX + 1]; /* name, IPv4 or IPv6 address (without brackets) */
	uint16_t port;               /* 80 unless given */
	size_t path_off;             /* offset of the path (first '/', query included) in the URL */
};

/*
 * Parses the first len bytes of url (no NUL needed). Accepted: "http://", then
 * a DNS name, an IPv4 address or a bracketed IPv6 address, an optional
 * ":port" (1..65535, no leading zero), then a path of RFC 3986 path and query
 * characters with '%' only as %XX (no fragment). Returns 0 with *u filled, or
 * -1 with *why set to a static text saying what is wrong (without the URL).
 */
int url_parse_http(const char *url, size_t len, struct http_url *u, const char **why);

#endif

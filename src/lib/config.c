/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock.* command-line configuration for /init.
 *
 * Words are split exactly as the kernel's parse_args()/next_arg() split them (lib/cmdline.c,
 * kernel/params.c). If /init split differently, a word the kernel treated as "--" or as one quoted
 * value could mean something else here, and the measured command line would not mean what the
 * tenant predicted. Values are then validated strictly: the result is measured, so a rejected
 * boot is better than a guessed configuration.
 */
#include "config.h"
#include "encoding.h"
#include "lib_err.h"
#include "url.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "airlock."
#define PREFIX_LEN (sizeof(PREFIX) - 1)

/* Longest accepted text of each value kind, as written on the command line. */
#define IPV4_TEXT_MAX 15  /* 255.255.255.255 */
#define IPV6_TEXT_MAX 45  /* eight groups with a dotted-quad tail */
#define ENDPOINT_TEXT_MAX (CONFIG_HOST_MAX + 6) /* HOST:65535 */
#define IP_TEXT_MAX (IPV4_TEXT_MAX + 3 + 2 * (1 + IPV4_TEXT_MAX))

/* Canonical order: sorted by name, bytewise. keys[] below is indexed by these. */
enum key_id {
	KEY_CLIENT_CA,
	KEY_CLIENT_CA_SHA256,
	KEY_CONTACT,
	KEY_IFACE,
	KEY_IP,
	KEY_LOGLEVEL,
	KEY_MTLS,
	KEY_NET_TIMEOUT,
	KEY_PAYLOAD_MAX,
	KEY_PORT,
	KEY_REGISTRAR,
	KEY_SCRUB,
	KEY_SCRUB_MIN,
	KEY_SHELL,
	KEY_TPM,
	KEY_UUID,
	KEY_VERIFIER,
	KEY_COUNT
};

struct parse_state {
	struct airlock_config *cfg;
	struct config_diag *diag;
	size_t diag_cap;
	size_t diag_count;
	bool fatal;
	bool contact_port_given;
	size_t seen_at[KEY_COUNT]; /* offset + 1 of each key's first occurrence; 0: not seen */
};

struct out {
	char *buf;
	size_t cap;
	size_t pos;
	bool full;
};

/* Parses a value into st->cfg; on failure writes the reason (what is wrong, what is accepted). */
typedef bool (*parse_fn)(struct parse_state *st, const char *v, size_t n, char *why, size_t cap);
/* Appends the canonical value; false if cfg holds something parse_fn would reject. */
typedef bool (*format_fn)(const struct airlock_config *cfg, struct out *o);

struct key_spec {
	const char *name;  /* after "airlock."; the table is sorted by it (canonical order) */
	size_t max_len;    /* longer values are "too long", reported before parsing */
	parse_fn parse;
	format_fn format;
};

/* ---------------------------------------------------------------- small helpers */

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* The kernel's ctype table (lib/ctype.c) marks 9..13, 32 and Latin-1 NBSP (160) as space. */
static bool kernel_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static bool text_is(const char *v, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n == wl && memcmp(v, word, n) == 0;
}

static void set_why(char *why, size_t cap, const char *msg)
{
	snprintf(why, cap, "%s", msg);
}

/*
 * Decimal without sign, spaces or leading zeros, so each number has one spelling and nobody reads
 * "010" as octal. Returns NULL or the problem.
 */
static const char *check_number(const char *v, size_t n, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t acc = 0;
	bool big = false;
	size_t i;

	if (n == 0)
		return "empty number";
	if (n > 1 && v[0] == '0')
		return "leading zero";
	for (i = 0; i < n; i++) {
		if (!enc_is_digit((unsigned char)v[i]))
			return "not a decimal number";
		if (!big) {
			acc = acc * 10 + (uint64_t)(v[i] - '0');
			big = acc > max;
		}
	}
	if (big || acc < min)
		return "out of range";
	*out = (uint32_t)acc;
	return NULL;
}

static bool number_why(const char *problem, uint32_t min, uint32_t max, char *why, size_t cap)
{
	snprintf(why, cap, "%s; expected a decimal number %lu..%lu (digits only, no sign, no leading zero)",
		 problem, (unsigned long)min, (unsigned long)max);
	return false;
}

/* ---------------------------------------------------------------- addresses */

/* Strict dotted quad: four decimal octets 0..255, no leading zeros, so inet_aton's octal and
 * short forms (010.1.1.1, 1.2.3) can never be meant. */
static const char *check_ipv4(const char *v, size_t n, uint8_t out[4])
{
	size_t pos = 0;
	int part;

	for (part = 0; part < 4; part++) {
		size_t start = pos;
		uint32_t octet;

		while (pos < n && v[pos] != '.')
			pos++;
		if (check_number(v + start, pos - start, 0, 255, &octet) != NULL)
			return "not a valid IPv4 address; expected four decimal numbers 0..255 without leading zeros, e.g. 192.0.2.10";
		out[part] = (uint8_t)octet;
		if (part < 3) {
			if (pos >= n)
				return "not a valid IPv4 address; expected four decimal numbers 0..255 without leading zeros, e.g. 192.0.2.10";
			pos++; /* the '.' */
		}
	}
	if (pos != n)
		return "not a valid IPv4 address; expected four decimal numbers 0..255 without leading zeros, e.g. 192.0.2.10";
	return NULL;
}

#define IPV6_BAD "not a valid IPv6 address; expected RFC 4291 text such as 2001:db8::1 (no zone index)"

/* RFC 4291 section 2.2 text forms, including a trailing dotted quad; no zone index. */
static const char *check_ipv6(const char *v, size_t n, uint8_t out[16])
{
	uint16_t g[8] = { 0 };
	int ng = 0, gap = -1, i;
	size_t pos = 0;

	if (n == 0)
		return "empty IPv6 address between [ and ]";
	if (n > IPV6_TEXT_MAX)
		return IPV6_BAD;
	if (memchr(v, '%', n) != NULL)
		return "IPv6 zone index (%...) is not supported; give a global or unique-local address";
	if (v[0] == ':') {
		if (n < 2 || v[1] != ':')
			return IPV6_BAD;
		gap = 0;
		pos = 2;
	}
	while (pos < n) {
		size_t start = pos;
		unsigned val = 0;

		while (pos < n && pos - start < 5 && enc_is_hex((unsigned char)v[pos]))
			val = (val << 4) | (unsigned)hex_digit((unsigned char)v[pos++]);
		if (pos < n && v[pos] == '.') {
			uint8_t q[4];

			/* A dotted quad fills the last two groups. */
			if (ng > 6 || check_ipv4(v + start, n - start, q) != NULL)
				return IPV6_BAD;
			g[ng++] = (uint16_t)(q[0] << 8 | q[1]);
			g[ng++] = (uint16_t)(q[2] << 8 | q[3]);
			pos = n;
			break;
		}
		if (pos == start || pos - start > 4 || ng == 8)
			return IPV6_BAD;
		g[ng++] = (uint16_t)val;
		if (pos == n)
			break;
		if (v[pos] != ':')
			return IPV6_BAD;
		pos++;
		if (pos < n && v[pos] == ':') {
			if (gap >= 0)
				return IPV6_BAD;
			gap = ng;
			pos++;
		} else if (pos == n) {
			return IPV6_BAD; /* trailing single ':' */
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return IPV6_BAD;
	if (gap >= 0) {
		int tail = ng - gap;

		memmove(&g[8 - tail], &g[gap], (size_t)tail * sizeof(g[0]));
		for (i = gap; i < 8 - tail; i++)
			g[i] = 0;
	}
	for (i = 0; i < 8; i++) {
		out[2 * i] = (uint8_t)(g[i] >> 8);
		out[2 * i + 1] = (uint8_t)g[i];
	}
	return NULL;
}

/* RFC 5952: lowercase, no leading zeros, "::" for the longest (first on a tie) run of two or
 * more zero groups. Written by hand so the measured text is the same on musl and glibc. */
static void format_ipv6(const uint8_t a[16], char out[40])
{
	static const char hex[] = "0123456789abcdef";
	uint16_t g[8];
	int best = -1, best_len = 0, i, pos = 0;

	for (i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	for (i = 0; i < 8;) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = (j == i) ? i + 1 : j;
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8;) {
		int shift;
		bool lead = true;

		if (i == best) {
			out[pos++] = ':';
			out[pos++] = ':';
			i += best_len;
			continue;
		}
		if (i > 0 && i != best + best_len)
			out[pos++] = ':';
		for (shift = 12; shift >= 0; shift -= 4) {
			unsigned d = (g[i] >> shift) & 0xf;

			if (d == 0 && lead && shift > 0)
				continue;
			lead = false;
			out[pos++] = hex[d];
		}
		i++;
	}
	out[pos] = '\0';
}

/* RFC 1123 host name: labels of 1..63 letters, digits and '-', not starting or ending in '-'. */
static const char *check_dns_name(const char *v, size_t n)
{
	size_t i, label = 0;

	if (n > CONFIG_HOST_MAX)
		return "DNS name longer than 253 characters";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '.') {
			if (label == 0)
				return "empty label in DNS name (leading, trailing or doubled '.')";
			if (v[i - 1] == '-')
				return "DNS label ends with '-'";
			label = 0;
			continue;
		}
		if (!enc_is_alpha(c) && !enc_is_digit(c) && c != '-')
			return "character not allowed in a host; expected an IPv4 address, [IPv6] or a DNS name of letters, digits, '-' and '.'";
		if (c == '-' && label == 0)
			return "DNS label starts with '-'";
		if (++label > 63)
			return "DNS label longer than 63 characters";
	}
	if (label == 0)
		return "empty label in DNS name (leading, trailing or doubled '.')";
	if (v[n - 1] == '-')
		return "DNS label ends with '-'";
	return NULL;
}

/*
 * Unbracketed host: IPv4 or DNS name. A name whose last label starts with a digit is taken as an
 * IPv4 attempt and must be a strict dotted quad: otherwise "1.2.3" or "0x7f000001" would reach
 * the resolver, whose inet_aton() reads them as addresses nobody wrote.
 */
static const char *check_host(const char *v, size_t n, struct config_endpoint *ep)
{
	const char *why;
	size_t last = n;

	if (n == 0)
		return "empty host; expected an IPv4 address, [IPv6] or a DNS name";
	while (last > 0 && v[last - 1] != '.')
		last--;
	if (last < n && enc_is_digit((unsigned char)v[last])) {
		why = check_ipv4(v, n, ep->addr);
		if (why != NULL)
			return "not a valid IPv4 address (four decimal numbers 0..255 without leading zeros, e.g. 192.0.2.10), and a DNS name's last label must start with a letter";
		ep->kind = CONFIG_HOST_IPV4;
		memcpy(ep->host, v, n);
		ep->host[n] = '\0';
		return NULL;
	}
	why = check_dns_name(v, n);
	if (why != NULL)
		return why;
	ep->kind = CONFIG_HOST_NAME;
	for (size_t i = 0; i < n; i++)
		ep->host[i] = lower(v[i]);
	ep->host[n] = '\0';
	return NULL;
}

/* HOST[:PORT], [IPV6][:PORT]. */
static const char *check_endpoint(const char *v, size_t n, uint16_t default_port,
				  struct config_endpoint *ep, bool *port_given)
{
	const char *host = v, *port = NULL, *why;
	size_t host_len = n, port_len = 0;
	uint32_t num;

	memset(ep, 0, sizeof(*ep));
	*port_given = false;
	if (n > 0 && v[0] == '[') {
		const char *close = memchr(v, ']', n);
		char text[40];

		if (close == NULL)
			return "missing ']' after IPv6 address; expected [IPV6] or [IPV6]:PORT";
		host = v + 1;
		host_len = (size_t)(close - host);
		if ((size_t)(close - v) + 1 < n) {
			if (close[1] != ':')
				return "unexpected text after ']'; expected [IPV6] or [IPV6]:PORT";
			port = close + 2;
			port_len = n - (size_t)(port - v);
		}
		why = check_ipv6(host, host_len, ep->addr);
		if (why != NULL)
			return why;
		format_ipv6(ep->addr, text);
		memcpy(ep->host, text, strlen(text) + 1);
		ep->kind = CONFIG_HOST_IPV6;
	} else {
		const char *colon = memchr(v, ':', n);

		if (colon != NULL) {
			if (memchr(colon + 1, ':', n - (size_t)(colon - v) - 1) != NULL)
				return "more than one ':'; IPv6 addresses must be in brackets, e.g. [2001:db8::1]:8890";
			host_len = (size_t)(colon - v);
			port = colon + 1;
			port_len = n - host_len - 1;
		}
		why = check_host(host, host_len, ep);
		if (why != NULL)
			return why;
	}
	ep->port = default_port;
	if (port != NULL) {
		if (check_number(port, port_len, 1, 65535, &num) != NULL)
			return "bad port; expected a decimal number 1..65535 without leading zeros after ':'";
		ep->port = (uint16_t)num;
		*port_given = true;
	}
	return NULL;
}

/* ---------------------------------------------------------------- other value kinds */

static const char *check_uuid(const char *v, size_t n)
{
	size_t i;

	if (n != CONFIG_UUID_LEN)
		goto bad;
	for (i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? v[i] != '-' : !enc_is_hex((unsigned char)v[i]))
			goto bad;
	}
	return NULL;
bad:
	return "expected a UUID as 8-4-4-4-12 hexadecimal digits, e.g. 123e4567-e89b-12d3-a456-426614174000";
}

/* Linux dev_valid_name(), narrowed to printable ASCII so the name is safe on the console, and
 * without '"' so the canonical line can be fed back to the kernel's tokenizer unchanged. */
static const char *check_iface(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > CONFIG_IFACE_MAX)
		return "interface name must be 1..15 characters (IFNAMSIZ)";
	if (text_is(v, n, ".") || text_is(v, n, ".."))
		return "interface name cannot be '.' or '..'";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':' || c == '"')
			return "interface name may only hold printable ASCII other than '/', ':', '\"' and space";
	}
	return NULL;
}

/* Absolute path of portable file-name characters with no empty, "." or ".." component, so each
 * device has exactly one accepted spelling. */
static const char *check_tpm_path(const char *v, size_t n)
{
	size_t i, comp = 0;

	if (n == 0 || v[0] != '/')
		return "TPM device must be an absolute path such as /dev/tpmrm0";
	if (n > CONFIG_TPM_PATH_MAX)
		return "TPM device path longer than 63 characters";
	for (i = 1; i <= n; i++) {
		if (i == n || v[i] == '/') {
			const char *c = v + i - comp;

			if (comp == 0 || text_is(c, comp, ".") || text_is(c, comp, ".."))
				return "TPM device path has an empty, '.' or '..' component or a trailing '/'";
			comp = 0;
			continue;
		}
		if (!enc_is_alpha((unsigned char)v[i]) && !enc_is_digit((unsigned char)v[i]) &&
		    v[i] != '.' && v[i] != '_' && v[i] != '-')
			return "TPM device path may only hold letters, digits, '.', '_', '-' and '/'";
		comp++;
	}
	return NULL;
}

/* dhcp | ADDR/PREFIX[,GATEWAY[,DNS]] */
static const char *check_ip(const char *v, size_t n, struct config_ip *ip)
{
	const char *f[3], *slash;
	size_t fl[3], nf = 0, start = 0, i;
	uint32_t prefix;

	memset(ip, 0, sizeof(*ip));
	if (text_is(v, n, "dhcp")) {
		ip->mode = CONFIG_IP_DHCP;
		return NULL;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && v[i] != ',')
			continue;
		if (nf == 3)
			return "too many ','; expected dhcp or ADDR/PREFIX[,GATEWAY[,DNS]]";
		f[nf] = v + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	slash = memchr(f[0], '/', fl[0]);
	if (slash == NULL)
		return "expected dhcp or ADDR/PREFIX[,GATEWAY[,DNS]], e.g. 192.0.2.10/24,192.0.2.1,192.0.2.53";
	if (check_ipv4(f[0], (size_t)(slash - f[0]), ip->addr) != NULL)
		return "address before '/' is not a valid IPv4 address (four decimal numbers 0..255, no leading zeros)";
	if (check_number(slash + 1, fl[0] - (size_t)(slash - f[0]) - 1, 0, 32, &prefix) != NULL)
		return "prefix length after '/' must be a decimal number 0..32 without leading zeros";
	ip->prefix = (uint8_t)prefix;
	if (nf > 1) {
		if (check_ipv4(f[1], fl[1], ip->gateway) != NULL)
			return "gateway is not a valid IPv4 address (four decimal numbers 0..255, no leading zeros)";
		ip->has_gateway = true;
	}
	if (nf > 2) {
		if (check_ipv4(f[2], fl[2], ip->dns) != NULL)
			return "DNS server is not a valid IPv4 address (four decimal numbers 0..255, no leading zeros)";
		ip->has_dns = true;
	}
	ip->mode = CONFIG_IP_STATIC;
	return NULL;
}

static const char *const loglevel_names[] = { "error", "warn", "info", "debug" };

/* ---------------------------------------------------------------- per-key parsers */

static bool endpoint_into(struct config_endpoint *ep, uint16_t default_port, bool *port_given,
			  const char *v, size_t n, char *why, size_t cap)
{
	const char *problem = check_endpoint(v, n, default_port, ep, port_given);

	if (problem != NULL)
		set_why(why, cap, problem);
	return problem == NULL;
}

static bool parse_registrar(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	bool port_given;

	return endpoint_into(&st->cfg->registrar, CONFIG_DEFAULT_REGISTRAR_PORT, &port_given, v, n, why, cap);
}

static bool parse_verifier(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	bool port_given;

	return endpoint_into(&st->cfg->verifier, CONFIG_DEFAULT_VERIFIER_PORT, &port_given, v, n, why, cap);
}

static bool parse_contact(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	/* The port is settled after the whole line is read: without one it follows airlock.port. */
	return endpoint_into(&st->cfg->contact, 0, &st->contact_port_given, v, n, why, cap);
}

static bool number_into(uint32_t *dst, uint32_t min, uint32_t max, const char *v, size_t n, char *why, size_t cap)
{
	const char *problem = check_number(v, n, min, max, dst);

	if (problem != NULL)
		return number_why(problem, min, max, why, cap);
	return true;
}

static bool parse_port(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	uint32_t port;

	if (!number_into(&port, 1, 65535, v, n, why, cap))
		return false;
	st->cfg->port = (uint16_t)port;
	return true;
}

static bool parse_net_timeout(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return number_into(&st->cfg->net_timeout, 1, 600, v, n, why, cap);
}

static bool parse_scrub_min(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return number_into(&st->cfg->scrub_min, 1, 100, v, n, why, cap);
}

static bool parse_payload_max(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return number_into(&st->cfg->payload_max, CONFIG_PAYLOAD_MIN, CONFIG_PAYLOAD_LIMIT, v, n, why, cap);
}

static bool switch_into(bool *dst, const char *on, const char *off, const char *v, size_t n, char *why, size_t cap)
{
	if (text_is(v, n, on)) {
		*dst = true;
		return true;
	}
	if (text_is(v, n, off)) {
		*dst = false;
		return true;
	}
	snprintf(why, cap, "expected exactly '%s' or '%s' (lowercase)", on, off);
	return false;
}

static bool parse_scrub(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return switch_into(&st->cfg->scrub, "on", "off", v, n, why, cap);
}

/*
 * Without mutual TLS anyone who reaches the agent's port can send it U, V and
 * a payload, and the node would boot that kernel: turning it off takes a word
 * that says so.
 */
static bool parse_mtls(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	if (text_is(v, n, "off")) {
		snprintf(why, cap, "refused: without mutual TLS any host that reaches the agent can "
			 "send it U, V and a payload; write airlock.mtls=insecure-off to mean that");
		return false;
	}
	return switch_into(&st->cfg->mtls, "on", "insecure-off", v, n, why, cap);
}

static bool parse_shell(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return switch_into(&st->cfg->shell, "1", "0", v, n, why, cap);
}

static bool parse_loglevel(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	size_t i;

	for (i = 0; i < sizeof(loglevel_names) / sizeof(loglevel_names[0]); i++) {
		if (text_is(v, n, loglevel_names[i])) {
			st->cfg->loglevel = (enum config_loglevel)i;
			return true;
		}
	}
	set_why(why, cap, "expected exactly one of error, warn, info, debug (lowercase)");
	return false;
}

static bool parse_uuid(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	const char *problem = check_uuid(v, n);
	size_t i;

	if (problem != NULL) {
		set_why(why, cap, problem);
		return false;
	}
	for (i = 0; i < n; i++)
		st->cfg->uuid[i] = lower(v[i]);
	st->cfg->uuid[n] = '\0';
	return true;
}

static bool text_into(char *dst, const char *(*check)(const char *, size_t), const char *v, size_t n,
		      char *why, size_t cap)
{
	const char *problem = check(v, n);

	if (problem != NULL) {
		set_why(why, cap, problem);
		return false;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static bool parse_iface(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return text_into(st->cfg->iface, check_iface, v, n, why, cap);
}

static bool parse_tpm(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return text_into(st->cfg->tpm, check_tpm_path, v, n, why, cap);
}

static const char *check_client_ca(const char *v, size_t n)
{
	struct http_url u;
	const char *why = NULL;

	if (url_parse_http(v, n, &u, &why) != 0)
		return why;
	return NULL;
}

static const char *check_sha256_hex(const char *v, size_t n)
{
	size_t i;

	if (n != CONFIG_SHA256_HEX)
		return "expected the SHA-256 of the CA file as 64 lowercase hex digits";
	for (i = 0; i < n; i++)
		if (!enc_is_digit((unsigned char)v[i]) && !(v[i] >= 'a' && v[i] <= 'f'))
			return "expected the SHA-256 of the CA file as 64 lowercase hex digits";
	return NULL;
}

static bool parse_client_ca(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return text_into(st->cfg->client_ca, check_client_ca, v, n, why, cap);
}

static bool parse_client_ca_sha256(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	return text_into(st->cfg->client_ca_sha256, check_sha256_hex, v, n, why, cap);
}

static bool parse_ip(struct parse_state *st, const char *v, size_t n, char *why, size_t cap)
{
	const char *problem = check_ip(v, n, &st->cfg->ip);

	if (problem != NULL)
		set_why(why, cap, problem);
	return problem == NULL;
}

/* ---------------------------------------------------------------- canonical writers */

static void out_bytes(struct out *o, const char *p, size_t n)
{
	if (o->full || n > o->cap - o->pos) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->pos, p, n);
	o->pos += n;
}

static void out_str(struct out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

static void out_u32(struct out *o, uint32_t v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	out_bytes(o, tmp + sizeof(tmp) - n, n);
}

static void out_ipv4(struct out *o, const uint8_t a[4])
{
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			out_str(o, ".");
		out_u32(o, a[i]);
	}
}

/* Field text with its bound: a field without a NUL is corrupt. */
static bool field_len(const char *field, size_t size, size_t *len)
{
	*len = strnlen(field, size);
	return *len < size;
}

/* Re-derives the canonical host from the stored text, so a hand-built config can only produce
 * text config_parse() accepts, and checks it matches kind and addr. */
static bool format_endpoint(const struct config_endpoint *ep, struct out *o)
{
	struct config_endpoint again;
	size_t n;

	if (ep->kind == CONFIG_HOST_NONE)
		return true;
	if (!field_len(ep->host, sizeof(ep->host), &n) || ep->port == 0)
		return false;
	memset(&again, 0, sizeof(again));
	if (ep->kind == CONFIG_HOST_IPV6) {
		char text[40];

		if (check_ipv6(ep->host, n, again.addr) != NULL)
			return false;
		format_ipv6(again.addr, text);
		again.kind = CONFIG_HOST_IPV6;
		memcpy(again.host, text, strlen(text) + 1);
	} else if (check_host(ep->host, n, &again) != NULL) {
		return false;
	}
	if (again.kind != ep->kind || memcmp(again.addr, ep->addr, sizeof(again.addr)) != 0)
		return false;
	if (again.kind == CONFIG_HOST_IPV6) {
		out_str(o, "[");
		out_str(o, again.host);
		out_str(o, "]");
	} else {
		out_str(o, again.host);
	}
	out_str(o, ":");
	out_u32(o, ep->port);
	return true;
}

static bool format_registrar(const struct airlock_config *c, struct out *o)
{
	return format_endpoint(&c->registrar, o);
}

static bool format_verifier(const struct airlock_config *c, struct out *o)
{
	return format_endpoint(&c->verifier, o);
}

static bool format_contact(const struct airlock_config *c, struct out *o)
{
	return format_endpoint(&c->contact, o);
}

static bool format_number(uint32_t v, uint32_t min, uint32_t max, struct out *o)
{
	if (v < min || v > max)
		return false;
	out_u32(o, v);
	return true;
}

static bool format_port(const struct airlock_config *c, struct out *o)
{
	return format_number(c->port, 1, 65535, o);
}

static bool format_net_timeout(const struct airlock_config *c, struct out *o)
{
	return format_number(c->net_timeout, 1, 600, o);
}

static bool format_scrub_min(const struct airlock_config *c, struct out *o)
{
	return format_number(c->scrub_min, 1, 100, o);
}

static bool format_payload_max(const struct airlock_config *c, struct out *o)
{
	return format_number(c->payload_max, CONFIG_PAYLOAD_MIN, CONFIG_PAYLOAD_LIMIT, o);
}

static bool format_scrub(const struct airlock_config *c, struct out *o)
{
	out_str(o, c->scrub ? "on" : "off");
	return true;
}

static bool format_mtls(const struct airlock_config *c, struct out *o)
{
	out_str(o, c->mtls ? "on" : "insecure-off");
	return true;
}

static bool format_shell(const struct airlock_config *c, struct out *o)
{
	out_str(o, c->shell ? "1" : "0");
	return true;
}

static bool format_loglevel(const struct airlock_config *c, struct out *o)
{
	if ((unsigned)c->loglevel >= sizeof(loglevel_names) / sizeof(loglevel_names[0]))
		return false;
	out_str(o, loglevel_names[c->loglevel]);
	return true;
}

static bool format_uuid(const struct airlock_config *c, struct out *o)
{
	char text[CONFIG_UUID_LEN];
	size_t n, i;

	if (!field_len(c->uuid, sizeof(c->uuid), &n))
		return false;
	if (n == 0)
		return true;
	if (check_uuid(c->uuid, n) != NULL)
		return false;
	for (i = 0; i < n; i++)
		text[i] = lower(c->uuid[i]);
	out_bytes(o, text, n);
	return true;
}

static bool format_text(const char *field, size_t size, const char *(*check)(const char *, size_t), struct out *o)
{
	size_t n;

	if (!field_len(field, size, &n))
		return false;
	if (n == 0)
		return true;
	if (check(field, n) != NULL)
		return false;
	out_bytes(o, field, n);
	return true;
}

static bool format_iface(const struct airlock_config *c, struct out *o)
{
	return format_text(c->iface, sizeof(c->iface), check_iface, o);
}

static bool format_tpm(const struct airlock_config *c, struct out *o)
{
	return format_text(c->tpm, sizeof(c->tpm), check_tpm_path, o);
}

static bool format_client_ca(const struct airlock_config *c, struct out *o)
{
	return format_text(c->client_ca, sizeof(c->client_ca), check_client_ca, o);
}

static bool format_client_ca_sha256(const struct airlock_config *c, struct out *o)
{
	return format_text(c->client_ca_sha256, sizeof(c->client_ca_sha256), check_sha256_hex, o);
}

static bool format_ip(const struct airlock_config *c, struct out *o)
{
	if (c->ip.mode == CONFIG_IP_DHCP) {
		out_str(o, "dhcp");
		return true;
	}
	if (c->ip.mode != CONFIG_IP_STATIC || c->ip.prefix > 32 || (c->ip.has_dns && !c->ip.has_gateway))
		return false;
	out_ipv4(o, c->ip.addr);
	out_str(o, "/");
	out_u32(o, c->ip.prefix);
	if (c->ip.has_gateway) {
		out_str(o, ",");
		out_ipv4(o, c->ip.gateway);
	}
	if (c->ip.has_dns) {
		out_str(o, ",");
		out_ipv4(o, c->ip.dns);
	}
	return true;
}

/* The order of enum key_id is the canonical order. */
static const struct key_spec keys[KEY_COUNT] = {
	[KEY_CLIENT_CA] = { "client_ca", CONFIG_URL_MAX, parse_client_ca, format_client_ca },
	[KEY_CLIENT_CA_SHA256] = { "client_ca_sha256", CONFIG_SHA256_HEX, parse_client_ca_sha256,
				   format_client_ca_sha256 },
	[KEY_CONTACT] = { "contact", ENDPOINT_TEXT_MAX, parse_contact, format_contact },
	[KEY_IFACE] = { "iface", CONFIG_IFACE_MAX, parse_iface, format_iface },
	[KEY_IP] = { "ip", IP_TEXT_MAX, parse_ip, format_ip },
	[KEY_LOGLEVEL] = { "loglevel", 5, parse_loglevel, format_loglevel },
	[KEY_MTLS] = { "mtls", 12, parse_mtls, format_mtls },
	[KEY_NET_TIMEOUT] = { "net_timeout", 3, parse_net_timeout, format_net_timeout },
	[KEY_PAYLOAD_MAX] = { "payload_max", 8, parse_payload_max, format_payload_max },
	[KEY_PORT] = { "port", 5, parse_port, format_port },
	[KEY_REGISTRAR] = { "registrar", ENDPOINT_TEXT_MAX, parse_registrar, format_registrar },
	[KEY_SCRUB] = { "scrub", 3, parse_scrub, format_scrub },
	[KEY_SCRUB_MIN] = { "scrub_min", 3, parse_scrub_min, format_scrub_min },
	[KEY_SHELL] = { "shell", 1, parse_shell, format_shell },
	[KEY_TPM] = { "tpm", CONFIG_TPM_PATH_MAX, parse_tpm, format_tpm },
	[KEY_UUID] = { "uuid", CONFIG_UUID_LEN, parse_uuid, format_uuid },
	[KEY_VERIFIER] = { "verifier", ENDPOINT_TEXT_MAX, parse_verifier, format_verifier },
};

/* ---------------------------------------------------------------- diagnostics */

/*
 * Console-safe copy: printable ASCII except '\' as is, everything else as \xNN; when the text
 * does not fit it ends in "..." instead of being cut mid-escape.
 */
static void diag_text(char *dst, size_t cap, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, need = 0, room;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		need += (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
	}
	room = need < cap ? cap - 1 : cap - 4; /* cap is at least 48, see config.h */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		bool plain = c >= 0x20 && c < 0x7f && c != '\\';

		if (o + (plain ? 1 : 4) > room)
			break;
		if (plain) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	if (need >= cap) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

__attribute__((format(printf, 8, 9)))
static void report(struct parse_state *st, bool fatal, size_t offset, const char *key, size_t key_len,
		   const char *val, size_t val_len, const char *fmt, ...)
{
	struct config_diag *d = NULL;
	va_list ap;

	st->diag_count++;
	st->fatal = st->fatal || fatal;
	if (st->diag_count <= st->diag_cap) {
		d = &st->diag[st->diag_count - 1];
	} else if (fatal) {
		/* Keep the reason for failing visible: give up a stored warning instead. */
		for (size_t i = st->diag_cap; i > 0 && d == NULL; i--)
			if (!st->diag[i - 1].fatal)
				d = &st->diag[i - 1];
	}
	if (d == NULL)
		return;
	d->fatal = fatal;
	d->offset = offset;
	diag_text(d->key, sizeof(d->key), key, key_len);
	diag_text(d->value, sizeof(d->value), val, val_len);
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- kernel word splitting */

struct word {
	size_t off;     /* first byte, including a leading quote */
	size_t end;     /* one past the last byte */
	size_t key, key_len;
	bool has_val;
	size_t val, val_len;
};

static size_t skip_spaces(const char *s, size_t len, size_t pos)
{
	while (pos < len && kernel_isspace((unsigned char)s[pos]))
		pos++;
	return pos;
}

/* next_arg() writes NULs into the line; each is a "cut" here, and a string ends at the first cut
 * at or after its start. This keeps the input const and every read below len. */
static size_t first_cut(const size_t *cuts, size_t ncuts, size_t from)
{
	size_t best = SIZE_MAX, i;

	for (i = 0; i < ncuts; i++)
		if (cuts[i] >= from && cuts[i] < best)
			best = cuts[i];
	return best;
}

/* One word starting at pos (not a space, pos < len), split as the kernel's next_arg() does. */
static void next_word(const char *s, size_t len, size_t pos, struct word *w)
{
	size_t a = pos, i, equals = 0, cuts[4], ncuts = 0;
	bool in_quote = false, quoted = false;

	if (s[a] == '"') {
		a++;
		in_quote = quoted = true;
	}
	for (i = a; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (kernel_isspace(c) && !in_quote)
			break;
		/* As in the kernel, '=' as the very first byte is not a separator (0 means none). */
		if (equals == 0 && c == '=')
			equals = i - a;
		if (c == '"')
			in_quote = !in_quote;
	}
	w->off = pos;
	w->end = i;
	w->key = a;
	w->has_val = equals != 0;
	w->val = 0;
	w->val_len = 0;
	cuts[ncuts++] = i;
	if (w->has_val) {
		cuts[ncuts++] = a + equals;
		w->val = a + equals + 1;
		if (w->val < i && s[w->val] == '"') {
			w->val++;
			if (s[i - 1] == '"')
				cuts[ncuts++] = i - 1;
		}
	}
	if (quoted && i > a && s[i - 1] == '"')
		cuts[ncuts++] = i - 1;
	w->key_len = first_cut(cuts, ncuts, a) - a;
	if (w->has_val)
		w->val_len = first_cut(cuts, ncuts, w->val) - w->val;
}

/* Names compare as the kernel's parameq() does: '-' and '_' are the same. */
static bool key_matches(const char *name, const char *k, size_t n)
{
	size_t i;

	if (strlen(name) != n)
		return false;
	for (i = 0; i < n; i++) {
		char a = name[i] == '-' ? '_' : name[i];
		char b = k[i] == '-' ? '_' : k[i];

		if (a != b)
			return false;
	}
	return true;
}

static bool prefix_is(const char *k, size_t n, bool fold_case)
{
	size_t i;

	if (n < PREFIX_LEN)
		return false;
	for (i = 0; i < PREFIX_LEN; i++) {
		char c = fold_case ? lower(k[i]) : k[i];

		if (c != PREFIX[i])
			return false;
	}
	return true;
}

static void handle_word(struct parse_state *st, const char *s, const struct word *w)
{
	const char *k = s + w->key, *v = s + w->val;
	const struct key_spec *spec;
	char why[CONFIG_DIAG_MSG_MAX];
	size_t idx;

	if (!prefix_is(k, w->key_len, false)) {
		/* Another spelling of our prefix is a typo, not a kernel parameter. */
		if (prefix_is(k, w->key_len, true))
			report(st, true, w->off, k, w->key_len, v, w->val_len,
			       "unknown key: the prefix must be lowercase 'airlock.'");
		return;
	}
	for (idx = 0; idx < KEY_COUNT; idx++)
		if (key_matches(keys[idx].name, k + PREFIX_LEN, w->key_len - PREFIX_LEN))
			break;
	if (idx == KEY_COUNT) {
		report(st, true, w->off, k, w->key_len, v, w->val_len,
		       "unknown airlock key; see docs/configuration.md for the accepted keys");
		return;
	}
	spec = &keys[idx];
	if (st->seen_at[idx] != 0) {
		report(st, true, w->off, k, w->key_len, v, w->val_len,
		       "key given more than once (first at offset %zu); give each airlock key once",
		       st->seen_at[idx] - 1);
		return;
	}
	st->seen_at[idx] = w->off + 1;
	if (!w->has_val) {
		report(st, true, w->off, k, w->key_len, v, 0, "missing '='; write %s%s=VALUE", PREFIX, spec->name);
		return;
	}
	if (w->val_len == 0) {
		report(st, true, w->off, k, w->key_len, v, 0, "empty value; leave the key out to get its default");
		return;
	}
	if (w->val_len > spec->max_len) {
		report(st, true, w->off, k, w->key_len, v, w->val_len,
		       "value too long (%zu bytes, at most %zu accepted); values are never truncated",
		       w->val_len, spec->max_len);
		return;
	}
	why[0] = '\0';
	if (!spec->parse(st, v, w->val_len, why, sizeof(why)))
		report(st, true, w->off, k, w->key_len, v, w->val_len, "%s", why);
}

/* ---------------------------------------------------------------- public */

void config_defaults(struct airlock_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = CONFIG_DEFAULT_AGENT_PORT;
	cfg->ip.mode = CONFIG_IP_DHCP;
	cfg->net_timeout = CONFIG_DEFAULT_NET_TIMEOUT;
	cfg->scrub = true;
	cfg->scrub_min = CONFIG_DEFAULT_SCRUB_MIN;
	cfg->shell = false;
	cfg->loglevel = CONFIG_LOG_INFO;
	cfg->mtls = true;
	cfg->payload_max = CONFIG_DEFAULT_PAYLOAD_MAX;
}

int config_parse(const char *cmdline, size_t len, struct airlock_config *cfg,
		 struct config_diag *diag, size_t diag_cap, size_t *diag_count)
{
	struct parse_state st;
	struct word w;
	size_t pos;
	const char *nul;
	bool after_dashes = false, warned_dashes = false;

	if (diag_count != NULL)
		*diag_count = 0;
	if (cfg == NULL)
		return -1;
	config_defaults(cfg);
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.diag = diag;
	st.diag_cap = diag == NULL ? 0 : diag_cap;

	if (cmdline == NULL && len > 0) {
		report(&st, true, 0, "", 0, "", 0, "no command line buffer given");
		goto out;
	}
	if (len > CONFIG_CMDLINE_MAX) {
		report(&st, true, 0, "", 0, "", 0,
		       "command line is %zu bytes, longer than the %d accepted; shorten the boot arguments",
		       len, CONFIG_CMDLINE_MAX);
		goto out;
	}
	nul = len > 0 ? memchr(cmdline, '\0', len) : NULL;
	if (nul != NULL) {
		/* /proc/cmdline cannot hold one: the buffer is not what the kernel gave us. */
		report(&st, true, (size_t)(nul - cmdline), "", 0, "", 0,
		       "NUL byte at offset %zu; pass only the bytes read from /proc/cmdline, without a terminator",
		       (size_t)(nul - cmdline));
		goto out;
	}

	for (pos = skip_spaces(cmdline, len, 0); pos < len; pos = skip_spaces(cmdline, len, w.end)) {
		next_word(cmdline, len, pos, &w);
		if (after_dashes) {
			/* init's argv now; an airlock key here has no effect, say so once. */
			if (!warned_dashes && prefix_is(cmdline + w.key, w.key_len, true)) {
				warned_dashes = true;
				report(&st, false, w.off, cmdline + w.key, w.key_len, cmdline + w.val, w.val_len,
				       "after '--' words belong to init's argv: this and later airlock keys are ignored");
			}
			continue;
		}
		if (!w.has_val && w.key_len == 2 && cmdline[w.key] == '-' && cmdline[w.key + 1] == '-') {
			after_dashes = true;
			continue;
		}
		handle_word(&st, cmdline, &w);
	}

	if (st.seen_at[KEY_REGISTRAR] == 0)
		report(&st, true, len, PREFIX "registrar", sizeof(PREFIX "registrar") - 1, "", 0,
		       "required key missing; add airlock.registrar=HOST[:PORT] (default port %d)",
		       CONFIG_DEFAULT_REGISTRAR_PORT);
	/* The URL says where the CA is, the hash says which CA: one without the other would let
	 * whoever serves the URL choose who may talk to the agent. */
	if ((st.seen_at[KEY_CLIENT_CA] != 0) != (st.seen_at[KEY_CLIENT_CA_SHA256] != 0))
		report(&st, true, len, PREFIX "client_ca", sizeof(PREFIX "client_ca") - 1, "", 0,
		       "airlock.client_ca and airlock.client_ca_sha256 go together: give both or neither");
	else if (st.seen_at[KEY_CLIENT_CA] != 0 && !cfg->mtls)
		report(&st, true, len, PREFIX "client_ca", sizeof(PREFIX "client_ca") - 1, "", 0,
		       "airlock.client_ca is the CA of mutual TLS; it makes no sense with airlock.mtls=insecure-off");
	if (cfg->contact.kind != CONFIG_HOST_NONE && !st.contact_port_given)
		cfg->contact.port = cfg->port;
out:
	if (diag_count != NULL)
		*diag_count = st.diag_count;
	if (st.fatal) {
		config_defaults(cfg);
		return -1;
	}
	return 0;
}

int config_canonical(const struct airlock_config *cfg, char *buf, size_t len)
{
	struct out o = { .buf = buf, .cap = len, .pos = 0, .full = false };
	size_t i;
	int rc = -1;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if (cfg == NULL)
		goto out;
	/* Leave room for the NUL. */
	o.cap = len - 1;
	for (i = 0; i < KEY_COUNT; i++) {
		out_str(&o, PREFIX);
		out_str(&o, keys[i].name);
		out_str(&o, "=");
		if (!keys[i].format(cfg, &o))
			goto out;
		out_str(&o, "\n");
	}
	if (o.full)
		goto out;
	buf[o.pos] = '\0';
	rc = (int)o.pos;
out:
	if (rc < 0)
		buf[0] = '\0';
	return rc;
}

int config_parse_explained(const char *cmdline, size_t len, struct airlock_config *cfg, char *err,
			   size_t errlen)
{
	struct config_diag diag[4];
	size_t n = 0;

	if (config_parse(cmdline, len, cfg, diag, 4, &n) == 0)
		return 0;
	lib_err(err, errlen, "/init would refuse this command line");
	for (size_t i = 0; i < n && i < 4; i++)
		if (diag[i].fatal) {
			lib_err(err, errlen, "/init would refuse this command line: %s=%s: %s",
				diag[i].key, diag[i].value, diag[i].msg);
			break;
		}
	return -1;
}

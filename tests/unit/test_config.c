/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/config.c: every key, defaults, kernel quoting rules, "--", hostile
 * input and the byte-exact canonical form. Expected values come from docs/configuration.md and
 * RFC 5952 / RFC 4291 examples, never from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#define REG "airlock.registrar=reg.example "
#define NDIAG 8

struct result {
	int rc;
	struct airlock_config cfg;
	struct config_diag diag[NDIAG];
	size_t ndiag;
};

static void run(const char *line, size_t len, struct result *r)
{
	memset(r, 0xa5, sizeof(*r)); /* stale bytes must not leak into the result */
	r->rc = config_parse(line, len, &r->cfg, r->diag, NDIAG, &r->ndiag);
}

static void run_str(const char *line, struct result *r)
{
	run(line, strlen(line), r);
}

static void assert_ok(const char *line, struct result *r)
{
	run_str(line, r);
	if (r->rc != 0 || r->ndiag != 0) {
		for (size_t i = 0; i < r->ndiag && i < NDIAG; i++)
			print_error("diag: %s=%s: %s\n", r->diag[i].key, r->diag[i].value, r->diag[i].msg);
		fail_msg("expected clean parse of '%s'", line);
	}
}

/* Fails the line and checks that the first diagnostic is fatal and names the key as written. */
static void assert_fatal(const char *line, const char *key)
{
	struct result r;

	run_str(line, &r);
	if (r.rc != -1)
		fail_msg("expected '%s' to be rejected", line);
	assert_true(r.ndiag >= 1);
	assert_true(r.diag[0].fatal);
	assert_string_equal(r.diag[0].key, key);
	assert_true(strlen(r.diag[0].msg) > 0);
}

/* Same, for a value given to one key on an otherwise valid line. */
static void assert_bad_value(const char *key, const char *value)
{
	char line[CONFIG_CMDLINE_MAX + 64];
	char full[64];

	snprintf(line, sizeof(line), "%sairlock.%s=%s", REG, key, value);
	snprintf(full, sizeof(full), "airlock.%s", key);
	assert_fatal(line, full);
}

static void assert_canonical(const struct airlock_config *cfg, const char *expect)
{
	char buf[CONFIG_CANONICAL_MAX];
	int n = config_canonical(cfg, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(expect));
	assert_string_equal(buf, expect);
}

/* ------------------------------------------------------------------ defaults */

static const char canonical_defaults[] =
	"airlock.client_ca=\n"
	"airlock.client_ca_sha256=\n"
	"airlock.contact=\n"
	"airlock.iface=\n"
	"airlock.ip=dhcp\n"
	"airlock.loglevel=info\n"
	"airlock.mtls=on\n"
	"airlock.net_timeout=30\n"
	"airlock.payload_max=1048576\n"
	"airlock.port=9002\n"
	"airlock.registrar=reg.example:8890\n"
	"airlock.scrub=on\n"
	"airlock.scrub_min=90\n"
	"airlock.shell=0\n"
	"airlock.tpm=\n"
	"airlock.uuid=\n"
	"airlock.verifier=\n";

static void test_defaults(void **state)
{
	struct result r;

	(void)state;
	assert_ok("airlock.registrar=reg.example", &r);
	assert_int_equal(r.cfg.registrar.kind, CONFIG_HOST_NAME);
	assert_string_equal(r.cfg.registrar.host, "reg.example");
	assert_int_equal(r.cfg.registrar.port, 8890);
	assert_int_equal(r.cfg.verifier.kind, CONFIG_HOST_NONE);
	assert_int_equal(r.cfg.contact.kind, CONFIG_HOST_NONE);
	assert_int_equal(r.cfg.port, 9002);
	assert_string_equal(r.cfg.uuid, "");
	assert_string_equal(r.cfg.iface, "");
	assert_int_equal(r.cfg.ip.mode, CONFIG_IP_DHCP);
	assert_int_equal(r.cfg.net_timeout, 30);
	assert_true(r.cfg.scrub);
	assert_int_equal(r.cfg.scrub_min, 90);
	assert_false(r.cfg.shell);
	assert_int_equal(r.cfg.loglevel, CONFIG_LOG_INFO);
	assert_string_equal(r.cfg.tpm, "");
	assert_true(r.cfg.mtls);
	assert_int_equal(r.cfg.payload_max, 1048576);
	assert_canonical(&r.cfg, canonical_defaults);
}

static void test_registrar_required(void **state)
{
	(void)state;
	assert_fatal("", "airlock.registrar");
	assert_fatal("quiet console=ttyS0 airlock.scrub=off", "airlock.registrar");
}

static void test_non_airlock_words_ignored(void **state)
{
	struct result r;

	(void)state;
	assert_ok("BOOT_IMAGE=/vmlinuz ro quiet airlock xairlock.scrub=off airlock_scrub=off "
		  "module.airlock.x=1 " REG "panic=10 =airlock.scrub=off", &r);
	assert_true(r.cfg.scrub);
}

/* ------------------------------------------------------------------ every key */

static void test_full_canonical(void **state)
{
	struct result r;

	(void)state;
	/* Keys in an unsorted order, mixed case where the spec allows it, '-' for '_'. */
	assert_ok("console=ttyS0 airlock.verifier=[2001:DB8:0:0:1:0:0:1]:9999 "
		  "airlock.uuid=123E4567-E89B-12D3-A456-426614174000 airlock.registrar=Keylime.Example.COM "
		  "airlock.contact=192.0.2.77 airlock.port=9100 airlock.iface=enp1s0 "
		  "airlock.ip=192.0.2.10/24,192.0.2.1,192.0.2.53 airlock.net-timeout=600 "
		  "airlock.scrub=on airlock.scrub_min=100 airlock.shell=1 airlock.loglevel=debug "
		  "airlock.tpm=/dev/tpm0 airlock.mtls=insecure-off airlock.payload_max=67108864\n", &r);
	assert_canonical(&r.cfg,
			 "airlock.client_ca=\n"
			 "airlock.client_ca_sha256=\n"
			 "airlock.contact=192.0.2.77:9100\n"
			 "airlock.iface=enp1s0\n"
			 "airlock.ip=192.0.2.10/24,192.0.2.1,192.0.2.53\n"
			 "airlock.loglevel=debug\n"
			 "airlock.mtls=insecure-off\n"
			 "airlock.net_timeout=600\n"
			 "airlock.payload_max=67108864\n"
			 "airlock.port=9100\n"
			 "airlock.registrar=keylime.example.com:8890\n"
			 "airlock.scrub=on\n"
			 "airlock.scrub_min=100\n"
			 "airlock.shell=1\n"
			 "airlock.tpm=/dev/tpm0\n"
			 "airlock.uuid=123e4567-e89b-12d3-a456-426614174000\n"
			 "airlock.verifier=[2001:db8::1:0:0:1]:9999\n");
	assert_int_equal(r.cfg.verifier.kind, CONFIG_HOST_IPV6);
	assert_int_equal(r.cfg.verifier.addr[0], 0x20);
	assert_int_equal(r.cfg.verifier.addr[1], 0x01);
	assert_int_equal(r.cfg.verifier.addr[9], 0x01);
	assert_int_equal(r.cfg.verifier.addr[11], 0x00);
	assert_int_equal(r.cfg.verifier.addr[15], 0x01);
	assert_int_equal(r.cfg.contact.kind, CONFIG_HOST_IPV4);
	assert_memory_equal(r.cfg.contact.addr, ((uint8_t[]){ 192, 0, 2, 77 }), 4);
	assert_int_equal(r.cfg.ip.mode, CONFIG_IP_STATIC);
	assert_memory_equal(r.cfg.ip.addr, ((uint8_t[]){ 192, 0, 2, 10 }), 4);
	assert_int_equal(r.cfg.ip.prefix, 24);
	assert_true(r.cfg.ip.has_gateway);
	assert_memory_equal(r.cfg.ip.gateway, ((uint8_t[]){ 192, 0, 2, 1 }), 4);
	assert_true(r.cfg.ip.has_dns);
	assert_memory_equal(r.cfg.ip.dns, ((uint8_t[]){ 192, 0, 2, 53 }), 4);
	assert_true(r.cfg.shell);
	assert_false(r.cfg.mtls);
	assert_int_equal(r.cfg.loglevel, CONFIG_LOG_DEBUG);
}

/* The example in docs/configuration.md, copied from there: keeps the document honest. */
static void test_doc_example(void **state)
{
	struct result r;

	(void)state;
	assert_ok("console=ttyS0 airlock.registrar=Keylime.Example.COM "
		  "airlock.verifier=[2001:DB8:0:0:1:0:0:1]:9999 airlock.port=9100 airlock.contact=192.0.2.77 "
		  "airlock.ip=192.0.2.10/24,192.0.2.1 airlock.net-timeout=60 airlock.shell=1\n", &r);
	assert_canonical(&r.cfg,
			 "airlock.client_ca=\n"
			 "airlock.client_ca_sha256=\n"
			 "airlock.contact=192.0.2.77:9100\n"
			 "airlock.iface=\n"
			 "airlock.ip=192.0.2.10/24,192.0.2.1\n"
			 "airlock.loglevel=info\n"
			 "airlock.mtls=on\n"
			 "airlock.net_timeout=60\n"
			 "airlock.payload_max=1048576\n"
			 "airlock.port=9100\n"
			 "airlock.registrar=keylime.example.com:8890\n"
			 "airlock.scrub=on\n"
			 "airlock.scrub_min=90\n"
			 "airlock.shell=1\n"
			 "airlock.tpm=\n"
			 "airlock.uuid=\n"
			 "airlock.verifier=[2001:db8::1:0:0:1]:9999\n");
}

static void test_canonical_sorted_and_complete(void **state)
{
	static const char *const names[] = {
		"client_ca", "client_ca_sha256", "contact", "iface", "ip", "loglevel", "mtls", "net_timeout", "payload_max", "port",
		"registrar", "scrub", "scrub_min", "shell", "tpm", "uuid", "verifier",
	};
	struct result r;
	char buf[CONFIG_CANONICAL_MAX], prev[64] = "";
	char *line, *save = NULL;
	size_t count = 0;

	(void)state;
	assert_ok(REG, &r);
	assert_true(config_canonical(&r.cfg, buf, sizeof(buf)) > 0);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char key[64];
		size_t kl = strcspn(line, "=");

		assert_true(kl < sizeof(key));
		memcpy(key, line, kl);
		key[kl] = '\0';
		assert_true(strcmp(prev, key) < 0); /* strictly increasing: sorted, no repeats */
		assert_true(count < sizeof(names) / sizeof(names[0]));
		assert_true(strncmp(key, "airlock.", 8) == 0);
		assert_string_equal(key + 8, names[count]);
		strcpy(prev, key);
		count++;
	}
	assert_int_equal(count, sizeof(names) / sizeof(names[0]));
}

static void test_endpoints(void **state)
{
	struct result r;

	(void)state;
	assert_ok("airlock.registrar=10.0.0.1 airlock.verifier=verifier", &r);
	assert_int_equal(r.cfg.registrar.kind, CONFIG_HOST_IPV4);
	assert_int_equal(r.cfg.registrar.port, 8890);
	assert_memory_equal(r.cfg.registrar.addr, ((uint8_t[]){ 10, 0, 0, 1 }), 4);
	assert_int_equal(r.cfg.verifier.kind, CONFIG_HOST_NAME);
	assert_int_equal(r.cfg.verifier.port, 8881);

	assert_ok("airlock.registrar=[::1]:1 airlock.verifier=[::1]", &r);
	assert_int_equal(r.cfg.registrar.kind, CONFIG_HOST_IPV6);
	assert_string_equal(r.cfg.registrar.host, "::1");
	assert_int_equal(r.cfg.registrar.port, 1);
	assert_int_equal(r.cfg.verifier.port, 8881);

	assert_ok("airlock.registrar=a.b:65535", &r);
	assert_int_equal(r.cfg.registrar.port, 65535);
	assert_ok("airlock.registrar=0.0.0.0 airlock.verifier=255.255.255.255", &r);
	assert_ok("airlock.registrar=xn--bcher-kva.example airlock.verifier=a-b.c-d", &r);
}

static void test_contact_port_follows_agent_port(void **state)
{
	struct result r;

	(void)state;
	/* Whatever the order, a contact without port uses the effective airlock.port. */
	assert_ok(REG "airlock.contact=node.example airlock.port=9500", &r);
	assert_int_equal(r.cfg.contact.port, 9500);
	assert_ok(REG "airlock.port=9501 airlock.contact=node.example", &r);
	assert_int_equal(r.cfg.contact.port, 9501);
	assert_ok(REG "airlock.contact=node.example", &r);
	assert_int_equal(r.cfg.contact.port, 9002);
	assert_ok(REG "airlock.port=9501 airlock.contact=[fd00::5]:443", &r);
	assert_int_equal(r.cfg.contact.port, 443);
	assert_canonical(&r.cfg,
			 "airlock.client_ca=\n"
			 "airlock.client_ca_sha256=\n"
			 "airlock.contact=[fd00::5]:443\n"
			 "airlock.iface=\n"
			 "airlock.ip=dhcp\n"
			 "airlock.loglevel=info\n"
			 "airlock.mtls=on\n"
			 "airlock.net_timeout=30\n"
			 "airlock.payload_max=1048576\n"
			 "airlock.port=9501\n"
			 "airlock.registrar=reg.example:8890\n"
			 "airlock.scrub=on\n"
			 "airlock.scrub_min=90\n"
			 "airlock.shell=0\n"
			 "airlock.tpm=\n"
			 "airlock.uuid=\n"
			 "airlock.verifier=\n");
}

/* RFC 5952 section 4 examples, plus RFC 4291 forms. */
static void test_ipv6_canonical_text(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },     /* 4.2.3: first of equal runs */
		{ "2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },    /* 4.1: no leading zeros */
		{ "2001:db8::0:1", "2001:db8::1" },                  /* 4.2.1: shorten as much as possible */
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },  /* 4.2.2: not for one 0 field */
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },           /* 4.2.3: longest run */
		{ "2001:DB8::AAAA", "2001:db8::aaaa" },              /* 4.3: lowercase */
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "fe80:0000:0000:0000:0000:0000:0000:0000", "fe80::" },
		{ "1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },             /* "::" for a single field on input */
		{ "::ffff:192.0.2.1", "::ffff:c000:201" },          /* dotted tail, printed as hex */
		{ "64:ff9b::198.51.100.7", "64:ff9b::c633:6407" },
		{ "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304" },
	};
	struct result r;
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(line, sizeof(line), "airlock.registrar=[%s]:8", v[i].in);
		assert_ok(line, &r);
		assert_int_equal(r.cfg.registrar.kind, CONFIG_HOST_IPV6);
		assert_string_equal(r.cfg.registrar.host, v[i].out);
	}
}

static void test_bad_hosts(void **state)
{
	static const char *const bad[] = {
		/* IPv4: out of range, short, long, leading zeros, inet_aton forms */
		"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.00", "0x7f.0.0.1",
		"0x7f000001", "2130706433", "1..2.3", "1.2.3.", ".1.2.3.4", "-1.2.3.4", "1.2.3.4a",
		"example.123", "host.1abc",
		/* DNS names */
		"-a.example", "a-.example", "a..b", "a_b.example", "a.example.", ".a", "\"q\"x",
		"a!b", "a/b", "\"a b\"", "\"a\tb\"", "\"\"",
		/* IPv6 */
		"::1", "[::1", "::1]", "[]", "[::1]x", "[::1]8890", "[1:2:3:4:5:6:7:8:9]",
		"[1:2:3:4:5:6:7]", "[1::2::3]", "[12345::]", "[:1::]", "[1:]", "[1:2:3:4:5:6:7::8]",
		"[::1.2.3]", "[::256.1.1.1]", "[1.2.3.4]", "[fe80::1%eth0]", "[::g]", "[::1::]",
		"[[::1]]", "[::1g]", "[1:2:3:4:5:6:7x8]", "[1:2:3:4:5:6:7:8 ]",
		/* ports */
		"h:0", "h:65536", "h:80a", "h:", "h:08890", "h:-1", "h:+80", "h:99999999999999999999",
		"[::1]:", "[::1]:0", ":8890", "h:1:2",
	};
	char line[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "airlock.registrar=%s", bad[i]);
		assert_fatal(line, "airlock.registrar");
		snprintf(line, sizeof(line), REG "airlock.verifier=%s", bad[i]);
		assert_fatal(line, "airlock.verifier");
		snprintf(line, sizeof(line), REG "airlock.contact=%s", bad[i]);
		assert_fatal(line, "airlock.contact");
	}
}

static void test_dns_limits(void **state)
{
	char line[600], name[300];
	struct result r;
	size_t n;

	(void)state;
	/* 63-character label is the limit */
	memset(name, 'a', 63);
	strcpy(name + 63, ".example");
	snprintf(line, sizeof(line), "airlock.registrar=%s", name);
	assert_ok(line, &r);
	memset(name, 'a', 64);
	strcpy(name + 64, ".example");
	snprintf(line, sizeof(line), "airlock.registrar=%s", name);
	assert_fatal(line, "airlock.registrar");

	/* 253 characters total is the limit: 3 x (63 + '.') + 61 = 253 */
	n = 0;
	for (int l = 0; l < 3; l++) {
		memset(name + n, 'b', 63);
		n += 63;
		name[n++] = '.';
	}
	memset(name + n, 'c', 61);
	n += 61;
	name[n] = '\0';
	assert_int_equal(strlen(name), 253);
	snprintf(line, sizeof(line), "airlock.registrar=%s:1", name);
	assert_ok(line, &r);
	assert_int_equal(strlen(r.cfg.registrar.host), 253);
	name[n++] = 'c';
	name[n] = '\0';
	snprintf(line, sizeof(line), "airlock.registrar=%s", name);
	assert_fatal(line, "airlock.registrar");
}

static void test_port(void **state)
{
	struct result r;

	(void)state;
	assert_ok(REG "airlock.port=1", &r);
	assert_int_equal(r.cfg.port, 1);
	assert_ok(REG "airlock.port=65535", &r);
	assert_int_equal(r.cfg.port, 65535);
	assert_bad_value("port", "0");
	assert_bad_value("port", "65536");
	assert_bad_value("port", "80a");
	assert_bad_value("port", "09002");
	assert_bad_value("port", "-1");
	assert_bad_value("port", "+9002");
	assert_bad_value("port", " 9002");
	assert_bad_value("port", "4294967297");
	assert_bad_value("port", "0x2328");
}

static void test_uuid(void **state)
{
	struct result r;

	(void)state;
	assert_ok(REG "airlock.uuid=D432FBB3-D2F1-4A97-9EF7-75BD81C00000", &r);
	assert_string_equal(r.cfg.uuid, "d432fbb3-d2f1-4a97-9ef7-75bd81c00000");
	assert_bad_value("uuid", "d432fbb3-d2f1-4a97-9ef7-75bd81c0000");    /* short */
	assert_bad_value("uuid", "d432fbb3-d2f1-4a97-9ef7-75bd81c000000");  /* long */
	assert_bad_value("uuid", "d432fbb3d2f1-4a97-9ef7-75bd81c000000");   /* dash moved */
	assert_bad_value("uuid", "d432fbb3-d2f1-4a97-9ef7+75bd81c00000");
	assert_bad_value("uuid", "g432fbb3-d2f1-4a97-9ef7-75bd81c00000");
	assert_bad_value("uuid", "{d432fbb3-d2f1-4a97-9ef7-75bd81c00000}");
}

static void test_iface(void **state)
{
	struct result r;

	(void)state;
	assert_ok(REG "airlock.iface=eth0", &r);
	assert_string_equal(r.cfg.iface, "eth0");
	assert_ok(REG "airlock.iface=abcdefghijklmno", &r); /* 15 */
	assert_string_equal(r.cfg.iface, "abcdefghijklmno");
	assert_ok(REG "airlock.iface=br-lan.100@x", &r);
	assert_bad_value("iface", "abcdefghijklmnop"); /* 16 */
	assert_bad_value("iface", "eth/0");
	assert_bad_value("iface", "eth0:1");
	assert_bad_value("iface", ".");
	assert_bad_value("iface", "..");
	assert_bad_value("iface", "\"a b\"");
	assert_bad_value("iface", "a\"b\"");
	assert_bad_value("iface", "\x7f");
	assert_bad_value("iface", "\xc3\xa9th0");
}

static void test_ip(void **state)
{
	static const char *const bad[] = {
		"DHCP", "dhcp4", "static", "192.0.2.10", "192.0.2.10/", "192.0.2.10/33", "192.0.2.10/024",
		"192.0.2.10/-1", "192.0.2.10/24,", "192.0.2.10/24,,192.0.2.53", "192.0.2.10/24,a",
		"192.0.2.10/24,192.0.2.1,", "192.0.2.10/24,192.0.2.1,192.0.2.53,192.0.2.54",
		"192.0.2.1O/24", "256.0.2.10/24", "192.0.2.10/24,192.0.2.256", "/24", "[::1]/64",
		"192.0.2.10/24/8", "\"192.0.2.10/24 ,192.0.2.1\"",
	};
	struct result r;

	(void)state;
	assert_ok(REG "airlock.ip=dhcp", &r);
	assert_int_equal(r.cfg.ip.mode, CONFIG_IP_DHCP);
	assert_ok(REG "airlock.ip=10.1.2.3/0", &r);
	assert_int_equal(r.cfg.ip.mode, CONFIG_IP_STATIC);
	assert_int_equal(r.cfg.ip.prefix, 0);
	assert_false(r.cfg.ip.has_gateway);
	assert_false(r.cfg.ip.has_dns);
	assert_ok(REG "airlock.ip=10.1.2.3/32,172.31.1.1", &r);
	assert_int_equal(r.cfg.ip.prefix, 32);
	assert_true(r.cfg.ip.has_gateway);
	assert_false(r.cfg.ip.has_dns);
	assert_memory_equal(r.cfg.ip.gateway, ((uint8_t[]){ 172, 31, 1, 1 }), 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad_value("ip", bad[i]);
}

static void test_numbers(void **state)
{
	struct result r;

	(void)state;
	assert_ok(REG "airlock.net_timeout=1 airlock.scrub_min=1 airlock.payload_max=4096", &r);
	assert_int_equal(r.cfg.net_timeout, 1);
	assert_int_equal(r.cfg.scrub_min, 1);
	assert_int_equal(r.cfg.payload_max, 4096);
	assert_ok(REG "airlock.net_timeout=600 airlock.scrub_min=100 airlock.payload_max=67108864", &r);
	assert_int_equal(r.cfg.net_timeout, 600);
	assert_int_equal(r.cfg.scrub_min, 100);
	assert_int_equal(r.cfg.payload_max, 67108864);

	assert_bad_value("net_timeout", "0");
	assert_bad_value("net_timeout", "601");
	assert_bad_value("net_timeout", "030");
	assert_bad_value("net_timeout", "30s");
	assert_bad_value("net_timeout", "1e2");
	assert_bad_value("scrub_min", "0");
	assert_bad_value("scrub_min", "101");
	assert_bad_value("scrub_min", "90%");
	assert_bad_value("payload_max", "4095");
	assert_bad_value("payload_max", "67108865");
	assert_bad_value("payload_max", "1M");
	assert_bad_value("payload_max", "18446744073709551617");
}

static void test_switches_and_words(void **state)
{
	struct result r;

	(void)state;
	assert_ok(REG "airlock.scrub=off airlock.mtls=insecure-off airlock.shell=1 airlock.loglevel=error", &r);
	assert_false(r.cfg.scrub);
	assert_false(r.cfg.mtls);
	assert_true(r.cfg.shell);
	assert_int_equal(r.cfg.loglevel, CONFIG_LOG_ERROR);
	assert_ok(REG "airlock.scrub=on airlock.mtls=on airlock.shell=0 airlock.loglevel=warn", &r);
	assert_true(r.cfg.scrub);
	assert_true(r.cfg.mtls);
	assert_false(r.cfg.shell);
	assert_int_equal(r.cfg.loglevel, CONFIG_LOG_WARN);
	assert_ok(REG "airlock.loglevel=info", &r);
	assert_int_equal(r.cfg.loglevel, CONFIG_LOG_INFO);

	assert_bad_value("scrub", "ON");
	assert_bad_value("scrub", "yes");
	assert_bad_value("scrub", "1");
	assert_bad_value("scrub", "onn");
	assert_bad_value("mtls", "false");
	assert_bad_value("shell", "2");
	assert_bad_value("shell", "true");
	assert_bad_value("shell", "01");
	assert_bad_value("loglevel", "INFO");
	assert_bad_value("loglevel", "warning");
	assert_bad_value("loglevel", "3");
}

static void test_tpm(void **state)
{
	char line[256], path[80];
	struct result r;

	(void)state;
	assert_ok(REG "airlock.tpm=/dev/tpmrm0", &r);
	assert_string_equal(r.cfg.tpm, "/dev/tpmrm0");
	path[0] = '/';
	memset(path + 1, 'x', 62);
	path[63] = '\0';
	snprintf(line, sizeof(line), REG "airlock.tpm=%s", path);
	assert_ok(line, &r);
	assert_string_equal(r.cfg.tpm, path);
	path[63] = 'x';
	path[64] = '\0';
	assert_bad_value("tpm", path);
	assert_bad_value("tpm", "dev/tpm0");
	assert_bad_value("tpm", "/");
	assert_bad_value("tpm", "/dev//tpm0");
	assert_bad_value("tpm", "/dev/tpm0/");
	assert_bad_value("tpm", "/dev/../tpm0");
	assert_bad_value("tpm", "/dev/./tpm0");
	assert_bad_value("tpm", "\"/dev/tpm 0\"");
	assert_bad_value("tpm", "/dev/tpm$0");
}

/* ------------------------------------------------------------------ kernel word rules */

static void test_quoting(void **state)
{
	struct result r;

	(void)state;
	/* quoted value, quoted word, quoted other words with spaces */
	assert_ok("a=\"x y\" airlock.registrar=\"reg.example\" \"b c\" \"airlock.port=9100\"", &r);
	assert_string_equal(r.cfg.registrar.host, "reg.example");
	assert_int_equal(r.cfg.port, 9100);
	/* a quoted value containing a space reaches validation, which rejects the space */
	assert_fatal(REG "airlock.iface=\"a b\"", "airlock.iface");
	/* an unterminated quote swallows the rest of the line, as in the kernel */
	assert_fatal(REG "airlock.uuid=\"x airlock.scrub=off", "airlock.uuid");
	run_str(REG "airlock.uuid=\"x airlock.scrub=off", &r);
	assert_int_equal(r.ndiag, 1);
	assert_string_equal(r.diag[0].value, "x airlock.scrub=off");
	/* a quote inside a word toggles quoting: the space does not end the word */
	run_str(REG "x=a\"b airlock.scrub=off\"", &r);
	assert_int_equal(r.rc, 0);
	assert_true(r.cfg.scrub);
	/* inner quotes are kept by the kernel; our values never accept them */
	assert_fatal(REG "airlock.port=\"9\"0", "airlock.port");
	/* "" is an empty value */
	assert_fatal(REG "airlock.port=\"\"", "airlock.port");
	/* quote in the key is kept in the key: unknown key */
	assert_fatal(REG "\"airlock.port\"=9100", "airlock.port\"");
}

static void test_whitespace(void **state)
{
	struct result r;

	(void)state;
	/* kernel isspace(): 9..13, 32 and 0xa0 separate words; /proc/cmdline ends in '\n' */
	assert_ok(" \t\nairlock.registrar=reg.example\tairlock.port=1\vairlock.shell=1\f"
		  "airlock.scrub=off\rairlock.mtls=insecure-off\xa0" "airlock.iface=eth1\n", &r);
	assert_int_equal(r.cfg.port, 1);
	assert_true(r.cfg.shell);
	assert_false(r.cfg.scrub);
	assert_false(r.cfg.mtls);
	assert_string_equal(r.cfg.iface, "eth1");
	/* only spaces: no words, so only the required key is missing */
	run_str(" \t\n\xa0 ", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ndiag, 1);
	assert_string_equal(r.diag[0].key, "airlock.registrar");
}

static void test_dashes(void **state)
{
	struct result r;

	(void)state;
	/* after "--": init's argv, not parameters; one non-fatal warning */
	run_str(REG "-- airlock.scrub=off airlock.bogus airlock.shell=1", &r);
	assert_int_equal(r.rc, 0);
	assert_true(r.cfg.scrub);
	assert_false(r.cfg.shell);
	assert_int_equal(r.ndiag, 1);
	assert_false(r.diag[0].fatal);
	assert_string_equal(r.diag[0].key, "airlock.scrub");
	/* a quoted "--" is still "--" once the kernel strips the quotes */
	run_str(REG "\"--\" airlock.shell=1", &r);
	assert_int_equal(r.rc, 0);
	assert_false(r.cfg.shell);
	/* "--=x" and "---" are ordinary words */
	assert_ok(REG "--=x --- airlock.shell=1", &r);
	assert_true(r.cfg.shell);
	/* the required key must come before "--" */
	run_str("-- airlock.registrar=reg.example", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ndiag, 2);
	assert_false(r.diag[0].fatal);
	assert_true(r.diag[1].fatal);
	assert_string_equal(r.diag[1].key, "airlock.registrar");
	/* nothing after "--" is an error, even garbage */
	run_str(REG "-- airlock.port=0 \"", &r);
	assert_int_equal(r.rc, 0);
}

/* ------------------------------------------------------------------ hostile input */

static void test_key_errors(void **state)
{
	struct result r;

	(void)state;
	assert_fatal(REG "airlock.scrb=off", "airlock.scrb");
	assert_fatal(REG "airlock.=x", "airlock.");
	assert_fatal(REG "airlock.", "airlock.");
	assert_fatal(REG "Airlock.scrub=off", "Airlock.scrub");
	assert_fatal(REG "AIRLOCK.SCRUB=off", "AIRLOCK.SCRUB");
	assert_fatal(REG "airlock.Scrub=off", "airlock.Scrub");
	assert_fatal(REG "airlock.scrub", "airlock.scrub");
	assert_fatal(REG "airlock.scrub=", "airlock.scrub");
	assert_fatal(REG "airlock.scrub=off airlock.scrub=off", "airlock.scrub");
	assert_fatal(REG "airlock.registrar=reg.example", "airlock.registrar");
	/* '-' and '_' are the same in names (kernel parameq()), so this is a duplicate */
	assert_fatal(REG "airlock.net_timeout=5 airlock.net-timeout=5", "airlock.net-timeout");
	assert_fatal(REG "airlock.scrub==off", "airlock.scrub");

	/* duplicate names the first offset */
	run_str(REG "airlock.port=1 airlock.port=2", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ndiag, 1);
	assert_int_equal(r.diag[0].offset, strlen(REG) + strlen("airlock.port=1 "));
	assert_non_null(strstr(r.diag[0].msg, "offset 30"));
}

static void test_every_problem_reported(void **state)
{
	struct result r;

	(void)state;
	run_str("airlock.port=0 quiet airlock.scrb=1 airlock.shell", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ndiag, 4); /* port, unknown, missing '=', registrar missing */
	assert_string_equal(r.diag[0].key, "airlock.port");
	assert_string_equal(r.diag[0].value, "0");
	assert_int_equal(r.diag[0].offset, 0);
	assert_string_equal(r.diag[1].key, "airlock.scrb");
	assert_int_equal(r.diag[1].offset, 21);
	assert_string_equal(r.diag[2].key, "airlock.shell");
	assert_string_equal(r.diag[3].key, "airlock.registrar");
	for (int i = 0; i < 4; i++)
		assert_true(r.diag[i].fatal);
}

static void test_failure_resets_to_defaults(void **state)
{
	struct result r;
	struct airlock_config def;

	(void)state;
	run_str(REG "airlock.shell=1 airlock.scrub=off airlock.mtls=insecure-off airlock.scrb=off", &r);
	assert_int_equal(r.rc, -1);
	config_defaults(&def);
	assert_memory_equal(&r.cfg, &def, sizeof(def));
	assert_false(r.cfg.shell);
	assert_true(r.cfg.scrub);
}

static void test_scrub_min_kept_when_scrub_off(void **state)
{
	struct result r;

	(void)state;
	/* no warning: the canonical text always carries scrub_min and must parse cleanly */
	assert_ok(REG "airlock.scrub_min=50 airlock.scrub=off", &r);
	assert_int_equal(r.cfg.scrub_min, 50);
	assert_false(r.cfg.scrub);
}

static void test_overlong_values(void **state)
{
	static const char *const keys[] = {
		"registrar", "verifier", "contact", "port", "uuid", "iface", "ip", "net_timeout",
		"scrub", "scrub_min", "shell", "loglevel", "tpm", "mtls", "payload_max",
	};
	static char line[CONFIG_CMDLINE_MAX + 1];
	struct result r;

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* registrar would be a duplicate of the one in REG */
		const char *prefix = strcmp(keys[i], "registrar") == 0 ? "" : REG;
		int n = snprintf(line, sizeof(line), "%sairlock.%s=", prefix, keys[i]);

		/* fill the line up to exactly 4096 bytes with a plausible character */
		memset(line + n, strcmp(keys[i], "tpm") == 0 ? '/' : '1', CONFIG_CMDLINE_MAX - (size_t)n);
		line[CONFIG_CMDLINE_MAX] = '\0';
		run(line, CONFIG_CMDLINE_MAX, &r);
		assert_int_equal(r.rc, -1);
		assert_true(r.diag[0].fatal);
		/* value copy is bounded, terminated and marked as truncated */
		assert_true(strlen(r.diag[0].value) < sizeof(r.diag[0].value));
		assert_non_null(strstr(r.diag[0].value, "..."));
		assert_non_null(strstr(r.diag[0].msg, "too long"));
	}
}

static void test_length_limits(void **state)
{
	static char line[CONFIG_CMDLINE_MAX + 2];
	struct result r;
	size_t n;

	(void)state;
	/* exactly 4096 bytes of many words is fine */
	n = (size_t)snprintf(line, sizeof(line), "%s", REG);
	while (n + 2 <= CONFIG_CMDLINE_MAX) {
		line[n++] = 'q';
		line[n++] = ' ';
	}
	while (n < CONFIG_CMDLINE_MAX)
		line[n++] = ' ';
	run(line, CONFIG_CMDLINE_MAX, &r);
	assert_int_equal(r.rc, 0);
	/* one byte more is rejected */
	line[CONFIG_CMDLINE_MAX] = ' ';
	run(line, CONFIG_CMDLINE_MAX + 1, &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ndiag, 1);
	assert_string_equal(r.diag[0].key, "");
}

static void test_bounded_read(void **state)
{
	static const char text[] = "airlock.registrar=reg.example airlock.port=9100";
	size_t n = sizeof(text) - 1;
	struct result r;
	char *exact;

	(void)state;
	/* no terminator: ASan aborts if the parser reads one byte past len */
	exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, text, n);
	run(exact, n, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 9100);
	/* len cuts a value short: only the first len bytes count */
	run(exact, n - 2, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 91);
	/* len cuts inside the key: "airlock.p" without '=' is unknown */
	run(exact, strlen("airlock.registrar=reg.example airlock.p"), &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.diag[0].key, "airlock.p");
	/* an open quote at len stops at len */
	memcpy(exact, "airlock.registrar=\"r", 20);
	run(exact, 20, &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.registrar.host, "r");
	free(exact);

	/* embedded NUL inside len is rejected, also after valid text */
	run("airlock.registrar=reg.example\0airlock.shell=1", 45, &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.diag[0].offset, 29);
	/* zero length / NULL */
	run(NULL, 0, &r);
	assert_int_equal(r.rc, -1);
	run(NULL, 5, &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(config_parse(REG, strlen(REG), NULL, NULL, 0, NULL), -1);
	/* no diagnostics array is allowed */
	assert_int_equal(config_parse("airlock.port=0", 14, &r.cfg, NULL, 0, NULL), -1);
	assert_int_equal(config_parse(REG, strlen(REG), &r.cfg, NULL, 5, NULL), 0);
}

static void test_diag_capacity(void **state)
{
	static char line[CONFIG_CMDLINE_MAX];
	struct config_diag d[3];
	struct airlock_config cfg;
	size_t n, count = 0;

	(void)state;
	/* 200 unknown keys: only 3 stored, all counted, nothing written past d[2] */
	n = (size_t)snprintf(line, sizeof(line), "%s", REG);
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "airlock.x%d=1 ", i);
	memset(d, 0, sizeof(d));
	assert_int_equal(config_parse(line, n, &cfg, d, 2, &count), -1);
	assert_int_equal(count, 200);
	assert_string_equal(d[0].key, "airlock.x0");
	assert_string_equal(d[1].key, "airlock.x1");
	assert_string_equal(d[2].key, ""); /* untouched */

	/* a fatal problem displaces a stored warning when the array is full */
	n = (size_t)snprintf(line, sizeof(line), "-- airlock.scrub=off");
	assert_int_equal(config_parse(line, n, &cfg, d, 1, &count), -1);
	assert_int_equal(count, 2);
	assert_true(d[0].fatal);
	assert_string_equal(d[0].key, "airlock.registrar");
}

static void test_diag_escaping(void **state)
{
	struct result r;

	(void)state;
	/* control bytes and high bytes are shown as \xNN, so printing cannot drive a terminal */
	run_str(REG "airlock.iface=\x1b[2J\x01\xff", &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.diag[0].value, "\\x1b[2J\\x01\\xff");
	run_str(REG "airlock.\x1b[31m=1", &r);
	assert_string_equal(r.diag[0].key, "airlock.\\x1b[31m");
	/* boundary: a 47-byte key fits the 48-byte field, a 48-byte key is cut and marked */
	run_str(REG "airlock.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1", &r);
	assert_int_equal(strlen(r.diag[0].key), CONFIG_DIAG_KEY_MAX - 1);
	assert_string_equal(r.diag[0].key, "airlock.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	run_str(REG "airlock.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1", &r);
	assert_string_equal(r.diag[0].key, "airlock.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...");
	/* an escape is never split by truncation */
	run_str(REG "airlock.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x01\x01=1", &r);
	assert_string_equal(r.diag[0].key, "airlock.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...");
	run_str(REG "airlock.tpm=/a\\b", &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.diag[0].value, "/a\\x5cb");
}

/* ------------------------------------------------------------------ canonical output */

static void test_canonical_buffer_size(void **state)
{
	struct result r;
	char buf[CONFIG_CANONICAL_MAX];
	int n;

	(void)state;
	assert_ok(REG, &r);
	n = config_canonical(&r.cfg, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(canonical_defaults));
	/* needs length + 1 for the NUL */
	assert_int_equal(config_canonical(&r.cfg, buf, (size_t)n + 1), n);
	assert_string_equal(buf, canonical_defaults);
	assert_int_equal(config_canonical(&r.cfg, buf, (size_t)n), -1);
	assert_string_equal(buf, "");
	assert_int_equal(config_canonical(&r.cfg, buf, 1), -1);
	assert_int_equal(config_canonical(&r.cfg, NULL, 100), -1);
	assert_int_equal(config_canonical(&r.cfg, buf, 0), -1);
	assert_int_equal(config_canonical(NULL, buf, sizeof(buf)), -1);
}

#define CA_HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* The mutual-TLS client CA: a URL and the hash that pins it, always together. */
static void test_client_ca(void **state)
{
	struct result r;
	char url[CONFIG_URL_MAX + 2], line[CONFIG_CMDLINE_MAX];

	(void)state;
	assert_ok(REG "airlock.client_ca=http://10.0.2.2:8000/ca.pem airlock.client_ca_sha256=" CA_HASH, &r);
	assert_string_equal(r.cfg.client_ca, "http://10.0.2.2:8000/ca.pem");
	assert_string_equal(r.cfg.client_ca_sha256, CA_HASH);
	assert_ok(REG "airlock.client_ca_sha256=" CA_HASH " airlock.client-ca=http://[fd00::1]/t/ca.pem?v=2", &r);
	assert_string_equal(r.cfg.client_ca, "http://[fd00::1]/t/ca.pem?v=2");

	/* One without the other, or with plain HTTP for the API. */
	assert_fatal(REG "airlock.client_ca=http://h/ca.pem", "airlock.client_ca");
	assert_fatal(REG "airlock.client_ca_sha256=" CA_HASH, "airlock.client_ca");
	assert_fatal(REG "airlock.mtls=insecure-off airlock.client_ca=http://h/ca.pem airlock.client_ca_sha256=" CA_HASH,
		     "airlock.client_ca");

	/* Plain HTTP for the API takes the word that says what it means. */
	{
		struct result m;

		run_str(REG "airlock.mtls=off", &m);
		assert_int_equal(m.rc, -1);
		assert_string_equal(m.diag[0].key, "airlock.mtls");
		assert_non_null(strstr(m.diag[0].msg, "airlock.mtls=insecure-off"));
		assert_ok(REG "airlock.mtls=insecure-off", &m);
		assert_false(m.cfg.mtls);
		assert_bad_value("mtls", "insecure");
		assert_bad_value("mtls", "OFF");
	}

	/* URLs: only http:// (the hash authenticates), a host, a path, no fragment or spaces. */
	assert_bad_value("client_ca", "https://h/ca.pem");
	assert_bad_value("client_ca", "http://h");
	assert_bad_value("client_ca", "http://user@h/ca.pem");
	assert_bad_value("client_ca", "http://h:0/ca.pem");
	assert_bad_value("client_ca", "http://h:65536/ca.pem");
	assert_bad_value("client_ca", "http://h/ca.pem#x");
	assert_bad_value("client_ca", "http://h/%zz");
	assert_bad_value("client_ca", "http://[fd00::1/ca.pem");
	assert_bad_value("client_ca", "");
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "http://h/", 9);
	url[sizeof(url) - 1] = '\0'; /* 256 bytes: one too many */
	assert_bad_value("client_ca", url);
	url[sizeof(url) - 2] = '\0'; /* 255 bytes: fits */
	snprintf(line, sizeof(line), REG "airlock.client_ca=%s airlock.client_ca_sha256=" CA_HASH, url);
	assert_ok(line, &r);

	/* Hashes: 64 lowercase hex digits. */
	assert_bad_value("client_ca_sha256", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08");
	assert_bad_value("client_ca_sha256", CA_HASH "0");
	assert_bad_value("client_ca_sha256", "9f86");
	assert_bad_value("client_ca_sha256", "g" CA_HASH);
}

static void test_canonical_worst_case_fits(void **state)
{
	char line[CONFIG_CMDLINE_MAX], name[254], tpm[64], buf[CONFIG_CANONICAL_MAX];
	struct result r;
	int n;

	(void)state;
	tpm[0] = '/';
	memset(tpm + 1, 'd', 62);
	tpm[63] = '\0';
	memset(name, 'a', 253);
	for (int i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	snprintf(line, sizeof(line),
		 "airlock.registrar=%s:65535 airlock.verifier=%s:65535 airlock.contact=%s:65535 "
		 "airlock.ip=255.255.255.255/32,255.255.255.255,255.255.255.255 airlock.port=65535 "
		 "airlock.uuid=ffffffff-ffff-ffff-ffff-ffffffffffff airlock.iface=abcdefghijklmno "
		 "airlock.net_timeout=600 airlock.scrub=off airlock.scrub_min=100 airlock.shell=1 "
		 "airlock.loglevel=debug airlock.payload_max=67108864 airlock.tpm=%s "
		 "airlock.client_ca=http://h/%.*s airlock.client_ca_sha256=%s",
		 name, name, name, tpm, CONFIG_URL_MAX - 9, name, CA_HASH);
	run_str(line, &r);
	assert_int_equal(r.rc, 0);
	n = config_canonical(&r.cfg, buf, sizeof(buf));
	assert_true(n > 0);
	print_message("worst-case canonical length: %d of %d\n", n, CONFIG_CANONICAL_MAX);
}

/* canonical lines with a value, joined by spaces, form a command line with the same meaning */
static void roundtrip(const char *line)
{
	char a[CONFIG_CANONICAL_MAX], b[CONFIG_CANONICAL_MAX], again[CONFIG_CANONICAL_MAX];
	struct result r;
	size_t o = 0;
	char *p, *save = NULL;

	assert_ok(line, &r);
	assert_true(config_canonical(&r.cfg, a, sizeof(a)) > 0);
	strcpy(b, a);
	for (p = strtok_r(b, "\n", &save); p != NULL; p = strtok_r(NULL, "\n", &save)) {
		/* the key ends at the first '='; nothing after it means "not given" */
		if (strchr(p, '=')[1] == '\0')
			continue;
		o += (size_t)snprintf(again + o, sizeof(again) - o, "%s ", p);
	}
	assert_ok(again, &r);
	assert_true(config_canonical(&r.cfg, b, sizeof(b)) > 0);
	assert_string_equal(a, b);
}

static void test_canonical_roundtrip(void **state)
{
	(void)state;
	roundtrip(REG);
	roundtrip("airlock.registrar=[::FFFF:10.0.0.1] airlock.contact=n1 airlock.port=7 airlock.ip=1.2.3.4/8");
	roundtrip("airlock.registrar=A.B airlock.verifier=[1:0:0:2::]:5 airlock.uuid=ABCDEF01-2345-6789-abcd-ef0123456789 "
		  "airlock.scrub=off airlock.tpm=/dev/tpm0");
	roundtrip(REG "airlock.iface=\"eth1=\""); /* found by the fuzzer: a value ending in '=' */
}

static void test_canonical_rejects_corrupt_config(void **state)
{
	struct airlock_config cfg;
	char buf[CONFIG_CANONICAL_MAX];
	struct result r;

	(void)state;
	assert_ok(REG, &r);

	cfg = r.cfg;
	cfg.registrar.kind = CONFIG_HOST_IPV4; /* text is a name */
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	memset(cfg.registrar.host, 'a', sizeof(cfg.registrar.host)); /* no NUL */
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	cfg.registrar.port = 0;
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	strcpy(cfg.iface, "a b");
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	strcpy(cfg.tpm, "dev/tpm0");
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	cfg.net_timeout = 0;
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	cfg.loglevel = (enum config_loglevel)7;
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	cfg.ip.mode = CONFIG_IP_STATIC;
	cfg.ip.prefix = 33;
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	cfg = r.cfg;
	strcpy(cfg.uuid, "not-a-uuid");
	assert_int_equal(config_canonical(&cfg, buf, sizeof(buf)), -1);
	/* a hand-built uppercase UUID is lowercased, like a parsed one */
	cfg = r.cfg;
	strcpy(cfg.uuid, "ABCDEF01-2345-6789-ABCD-EF0123456789");
	assert_true(config_canonical(&cfg, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "airlock.uuid=abcdef01-2345-6789-abcd-ef0123456789\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_registrar_required),
		cmocka_unit_test(test_non_airlock_words_ignored),
		cmocka_unit_test(test_full_canonical),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_canonical_sorted_and_complete),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_contact_port_follows_agent_port),
		cmocka_unit_test(test_ipv6_canonical_text),
		cmocka_unit_test(test_bad_hosts),
		cmocka_unit_test(test_dns_limits),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_iface),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_switches_and_words),
		cmocka_unit_test(test_tpm),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_dashes),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_failure_resets_to_defaults),
		cmocka_unit_test(test_scrub_min_kept_when_scrub_off),
		cmocka_unit_test(test_overlong_values),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_bounded_read),
		cmocka_unit_test(test_diag_capacity),
		cmocka_unit_test(test_diag_escaping),
		cmocka_unit_test(test_canonical_buffer_size),
		cmocka_unit_test(test_client_ca),
		cmocka_unit_test(test_canonical_worst_case_fits),
		cmocka_unit_test(test_canonical_roundtrip),
		cmocka_unit_test(test_canonical_rejects_corrupt_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

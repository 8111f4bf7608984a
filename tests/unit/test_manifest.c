/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/agent/manifest.c: layout version 1 as docs/payload.md describes it, every
 * refusal rule (unknown and repeated keys, types, URL and volume forms, files missing, of the wrong
 * type or size, symlinks), Keylime-compat mode, and one payload end to end: a zip written by
 * Python's zipfile, unpacked by zip_extract, read by manifest_load.
 *
 * JSON in this file is written with ' for " (the j() helper swaps them) to stay readable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"
#include "zip.h"

#define ERRLEN 512
#define KERNEL_SIZE 4321
#define INITRD_SIZE 777

static char root[] = "/tmp/test_manifest.XXXXXX";
static int rfd = -1;
static struct manifest m; /* large: static */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void put_file(int dirfd, const char *path, size_t len)
{
	char *b = malloc(len + 1);
	int fd;

	assert_non_null(b);
	memset(b, 'k', len);
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
	free(b);
}

/*
 * The payload directory every parse test checks against:
 *   kernel (4321 bytes), initrd and initrd.img (777), sub/kernel, luks/{data,swap}.key (32),
 *   luks/scratch.key (64), luks/big.key (8193),
 *   luks/max.key (8192), luks/empty.key (0), luks/dir.key/ (a directory),
 *   ipsec/{swanctl.conf, x509/, x509ca/, private/, conf.d/}, ipsec-nocfg/ (no swanctl.conf),
 *   ipsec-badsub/{swanctl.conf, x509 (a file)}, link -> kernel, linkdir -> luks, fifo.
 */
static int setup(void **state)
{
	(void)state;
	umask(022);
	if (mkdtemp(root) == NULL)
		return -1;
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	put_file(rfd, "kernel", KERNEL_SIZE);
	put_file(rfd, "initrd", INITRD_SIZE);
	put_file(rfd, "initrd.img", INITRD_SIZE);
	mkdirat(rfd, "sub", 0700);
	put_file(rfd, "sub/kernel", 10);
	mkdirat(rfd, "luks", 0700);
	put_file(rfd, "luks/data.key", 32);
	put_file(rfd, "luks/swap.key", 32);
	put_file(rfd, "luks/scratch.key", 64);
	put_file(rfd, "luks/big.key", 8193);
	put_file(rfd, "luks/max.key", 8192);
	put_file(rfd, "luks/empty.key", 0);
	mkdirat(rfd, "luks/dir.key", 0700);
	mkdirat(rfd, "ipsec", 0700);
	put_file(rfd, "ipsec/swanctl.conf", 100);
	mkdirat(rfd, "ipsec/x509", 0700);
	mkdirat(rfd, "ipsec/x509ca", 0700);
	mkdirat(rfd, "ipsec/private", 0700);
	mkdirat(rfd, "ipsec/conf.d", 0700);
	mkdirat(rfd, "ipsec-nocfg", 0700);
	mkdirat(rfd, "ipsec-badsub", 0700);
	put_file(rfd, "ipsec-badsub/swanctl.conf", 1);
	put_file(rfd, "ipsec-badsub/x509", 1);
	if (symlinkat("kernel", rfd, "link") != 0 || symlinkat("luks", rfd, "linkdir") != 0 ||
	    mkfifoat(rfd, "fifo", 0600) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(rfd);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Swaps ' for " into a static buffer. */
static const char *j(const char *s)
{
	static char buf[MANIFEST_JSON_MAX + 2];
	size_t n = strlen(s);

	assert_true(n < sizeof(buf));
	for (size_t i = 0; i <= n; i++)
		buf[i] = s[i] == '\'' ? '"' : s[i];
	return buf;
}

static void parse_ok(const char *json)
{
	char err[ERRLEN];
	const char *t = j(json);

	memset(&m, 0xa5, sizeof(m));
	if (manifest_parse(t, strlen(t), rfd, &m, err, sizeof(err)) != MANIFEST_OK)
		fail_msg("rejected %s: %s", t, err);
	assert_int_equal(m.mode, MANIFEST_MODE_AIRLOCK);
	assert_int_equal(m.version, 1);
}

static int is_zeroed(const struct manifest *x)
{
	static const struct manifest zero;

	return memcmp(x, &zero, sizeof(zero)) == 0;
}

/* Refused with code; err starts with "airlock.json: " and says each of the substrings. */
static void parse_fail_(const char *json, int code, ...)
{
	char err[ERRLEN];
	const char *t = j(json), *want;
	va_list ap;
	int rc;

	memset(&m, 0xa5, sizeof(m));
	rc = manifest_parse(t, strlen(t), rfd, &m, err, sizeof(err));
	if (rc != code)
		fail_msg("%s: returned %d, expected %d (%s)", t, rc, code, rc ? err : "");
	assert_true(is_zeroed(&m));
	assert_int_equal(strncmp(err, "airlock.json: ", 14), 0);
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(err, want) == NULL)
			fail_msg("%s: message '%s' does not say '%s'", t, err, want);
	va_end(ap);
}

#define parse_fail(json, code, ...) parse_fail_(json, code, __VA_ARGS__, NULL)

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define K "'kernel':{'file':'kernel'}"
#define V "{'version':1," K

/* ---- accepted -------------------------------------------------------------- */

/* The ```json block of docs/payload.md, found next to this source file. */
static char *doc_example(void)
{
	static const char self[] = "tests/unit/test_manifest.c";
	char path[4096], *text, *start, *end, *out;
	size_t n = strlen(__FILE__) - (sizeof(self) - 1);
	FILE *f;
	long len;

	assert_true(strlen(__FILE__) >= sizeof(self) - 1 && strcmp(__FILE__ + n, self) == 0);
	snprintf(path, sizeof(path), "%.*sdocs/payload.md", (int)n, __FILE__);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0 && len < 1 << 20);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	start = strstr(text, "```json\n");
	assert_non_null(start);
	start += 8;
	end = strstr(start, "```");
	assert_non_null(end);
	out = strndup(start, (size_t)(end - start));
	assert_non_null(out);
	free(text);
	return out;
}

/* The documented example, with its files (initrd.img, luks/data.key, luks/scratch.key, ipsec/). */
static void test_example(void **state)
{
	/* sha256("test"), from `printf test | sha256sum`. */
	static const uint8_t want_sha[32] = {
		0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
		0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08,
	};

	char *doc = doc_example();

	(void)state;
	parse_ok(doc); /* the doc has no ' in it, so j() leaves it alone */
	free(doc);
	assert_int_equal(m.kernel.src, MANIFEST_SRC_URL);
	assert_string_equal(m.kernel.url, "http://10.0.2.2:8000/vmlinuz");
	assert_string_equal(m.kernel.host, "10.0.2.2");
	assert_int_equal(m.kernel.port, 8000);
	assert_string_equal(m.kernel.path, "/vmlinuz");
	assert_memory_equal(m.kernel.sha256, want_sha, 32);
	assert_int_equal(m.kernel.size, 123456);
	assert_int_equal(m.initrd.src, MANIFEST_SRC_FILE);
	assert_string_equal(m.initrd.file, "initrd.img");
	assert_int_equal(m.initrd.size, INITRD_SIZE);
	assert_true(m.has_cmdline);
	assert_string_equal(m.cmdline, "console=ttyS0 root=/dev/mapper/data");
	assert_int_equal(m.n_luks, 2);
	assert_string_equal(m.luks[0].name, "data");
	assert_string_equal(m.luks[0].key, "luks/data.key");
	assert_int_equal(m.luks[0].key_size, 32);
	assert_string_equal(m.luks[0].volume, "UUID=0b6c2f6e-8d1a-4c35-9a57-2f1e0c7d9b11");
	assert_string_equal(m.luks[1].name, "scratch");
	assert_string_equal(m.luks[1].key, "luks/scratch.key");
	assert_int_equal(m.luks[1].key_size, 64);
	assert_string_equal(m.luks[1].volume, "/dev/vdb");
	assert_true(m.has_ipsec);
	assert_string_equal(m.ipsec_dir, "ipsec");
}

static void test_minimal(void **state)
{
	(void)state;
	parse_ok(V "}");
	assert_int_equal(m.kernel.src, MANIFEST_SRC_FILE);
	assert_string_equal(m.kernel.file, "kernel");
	assert_int_equal(m.kernel.size, KERNEL_SIZE);
	assert_int_equal(m.initrd.src, MANIFEST_SRC_NONE);
	assert_false(m.has_cmdline);
	assert_int_equal(m.n_luks, 0);
	assert_false(m.has_ipsec);

	parse_ok("{'kernel':{'file':'sub/kernel'},'version':1.0,'luks':[],'cmdline':''}");
	assert_string_equal(m.kernel.file, "sub/kernel");
	assert_int_equal(m.kernel.size, 10);
	assert_true(m.has_cmdline);
	assert_string_equal(m.cmdline, "");
	parse_ok(V ",'ipsec':{'dir':'ipsec/'}}");
	assert_string_equal(m.ipsec_dir, "ipsec");
	parse_ok("\xef\xbb\xbf\n\t " V "}\r\n\n"); /* a UTF-8 BOM and whitespace around */
}

static void test_urls(void **state)
{
	(void)state;
	parse_ok("{'version':1,'kernel':{'size':1e3,'sha256':'" SHA "','url':'http://boot.example/k'}}");
	assert_string_equal(m.kernel.host, "boot.example");
	assert_int_equal(m.kernel.port, 80);
	assert_string_equal(m.kernel.path, "/k");
	assert_int_equal(m.kernel.size, 1000);
	parse_ok("{'version':1,'kernel':{'url':'http://[fd00::1]:65535/a/b?x=1&y=%2F','sha256':'" SHA "','size':9007199254740992}}");
	assert_string_equal(m.kernel.host, "fd00::1");
	assert_int_equal(m.kernel.port, 65535);
	assert_string_equal(m.kernel.path, "/a/b?x=1&y=%2F");
	assert_int_equal(m.kernel.size, 1ull << 53);
	parse_ok("{'version':1,'kernel':{'url':'http://a-b.c1:1/','sha256':'" SHA "','size':1}}");
	assert_int_equal(m.kernel.port, 1);
	assert_string_equal(m.kernel.path, "/");
}

static void test_limits_ok(void **state)
{
	char json[8192], name[40];
	size_t o;

	(void)state;
	/* 16 LUKS volumes, 32-character names, an 8192-byte key, a 4095-byte command line. */
	o = (size_t)snprintf(json, sizeof(json), V ",'luks':[");
	for (int i = 0; i < MANIFEST_LUKS_MAX; i++) {
		snprintf(name, sizeof(name), "%02d%030d", i, 0);
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s{'name':'%s','key':'luks/%s','volume':"
				      "'PARTLABEL=v%d'}", i ? "," : "", name, i ? "data.key" : "max.key", i);
	}
	o += (size_t)snprintf(json + o, sizeof(json) - o, "],'cmdline':'");
	memset(json + o, '~', 4095);
	o += 4095;
	snprintf(json + o, sizeof(json) - o, "'}");
	parse_ok(json);
	assert_int_equal(m.n_luks, 16);
	assert_int_equal(strlen(m.luks[15].name), 32);
	assert_int_equal(m.luks[0].key_size, 8192);
	assert_string_equal(m.luks[15].volume, "PARTLABEL=v15");
	assert_int_equal(strlen(m.cmdline), 4095);

	/* One more of each is refused. */
	o = (size_t)snprintf(json, sizeof(json), V ",'luks':[");
	for (int i = 0; i <= MANIFEST_LUKS_MAX; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s{'name':'v%d','key':'luks/data.key',"
				      "'volume':'/dev/vd%c'}", i ? "," : "", i, 'a' + i);
	snprintf(json + o, sizeof(json) - o, "]}");
	parse_fail(json, MANIFEST_E_SCHEMA, "more than 16 entries");
	parse_fail(V ",'luks':[{'name':'" "123456789012345678901234567890123" "','key':'luks/data.key',"
		   "'volume':'/dev/vda'}]}", MANIFEST_E_SCHEMA, "luks[0].name", "1..32");
	parse_fail(V ",'luks':[{'name':'a','key':'luks/big.key','volume':'/dev/vda'}]}", MANIFEST_E_FILE,
		   "luks[0].key", "8193 bytes; 1..8192");
	o = (size_t)snprintf(json, sizeof(json), V ",'cmdline':'");
	memset(json + o, 'x', 4096);
	snprintf(json + o + 4096, sizeof(json) - o - 4096, "'}");
	parse_fail(json, MANIFEST_E_SCHEMA, "cmdline is 4096 bytes, at most 4095");
}

/* ---- refused ----------------------------------------------------------------- */

static void test_version(void **state)
{
	(void)state;
	parse_fail("{" K "}", MANIFEST_E_VERSION, "\"version\" is missing", "version 1");
	parse_fail("{'version':2," K ",'newkey':1}", MANIFEST_E_VERSION, "version 2 is not supported",
		   "reads version 1");
	parse_fail("{'version':0}", MANIFEST_E_VERSION, "version 0 is not supported");
	parse_fail("{'version':1.5," K "}", MANIFEST_E_VERSION, "1.5");
	parse_fail("{'version':'1'," K "}", MANIFEST_E_VERSION, "must be the number 1, not a string");
	parse_fail("{'version':true," K "}", MANIFEST_E_VERSION, "not a boolean");
}

static void test_keys(void **state)
{
	(void)state;
	parse_fail(V ",'kernl':{'file':'kernel'}}", MANIFEST_E_SCHEMA, "top level: unknown key \"kernl\"",
		   "known: version, kernel, initrd, cmdline, luks, ipsec");
	parse_fail("{'version':1,'Kernel':{'file':'kernel'}}", MANIFEST_E_SCHEMA, "unknown key \"Kernel\"");
	parse_fail("{'version':1}", MANIFEST_E_SCHEMA, "\"kernel\" is missing");
	parse_fail(V "," K "}", MANIFEST_E_SCHEMA, "key \"kernel\" given twice");
	parse_fail("{'version':1,'version':1," K "}", MANIFEST_E_SCHEMA, "key \"version\" given twice");
	parse_fail("{'version':1,'kernel':{'file':'kernel','sha256':'" SHA "'}}", MANIFEST_E_SCHEMA,
		   "kernel: unknown key \"sha256\" (known: file)");
	parse_fail("{'version':1,'kernel':{'file':'kernel','file':'initrd'}}", MANIFEST_E_SCHEMA,
		   "kernel: key \"file\" given twice");
	parse_fail(V ",'luks':[{'name':'a','keyfile':'luks/data.key','volume':'/dev/vda'}]}",
		   MANIFEST_E_SCHEMA, "luks[0]: unknown key \"keyfile\" (known: name, key, volume)");
	parse_fail(V ",'luks':[{'name':'a','key':'luks/data.key'}]}", MANIFEST_E_SCHEMA,
		   "luks[0] needs \"name\", \"key\" and \"volume\"");
	parse_fail(V ",'ipsec':{'dir':'ipsec','conf':'x'}}", MANIFEST_E_SCHEMA, "ipsec: unknown key \"conf\"");
	parse_fail(V ",'ipsec':{}}", MANIFEST_E_SCHEMA, "ipsec needs \"dir\"");
	parse_fail(V ",'x\\u0001y':1}", MANIFEST_E_SCHEMA, "unknown key \"x\\x01y\"");
}

static void test_types(void **state)
{
	(void)state;
	parse_fail("[1]", MANIFEST_E_SCHEMA, "top level must be an object, not an array");
	parse_fail("{'version':1,'kernel':'kernel'}", MANIFEST_E_SCHEMA, "kernel must be an object, not a string");
	parse_fail("{'version':1,'kernel':{'file':7}}", MANIFEST_E_SCHEMA, "kernel.file must be a string, not a number");
	parse_fail(V ",'initrd':null}", MANIFEST_E_SCHEMA, "initrd must be an object, not null");
	parse_fail(V ",'cmdline':['a']}", MANIFEST_E_SCHEMA, "cmdline must be a string, not an array");
	parse_fail(V ",'luks':{}}", MANIFEST_E_SCHEMA, "luks must be an array, not an object");
	parse_fail(V ",'luks':['data']}", MANIFEST_E_SCHEMA, "luks[0] must be an object");
	parse_fail(V ",'luks':[{'name':1,'key':'luks/data.key','volume':'/dev/vda'}]}", MANIFEST_E_SCHEMA,
		   "luks[0].name must be a string");
	parse_fail(V ",'ipsec':'ipsec'}", MANIFEST_E_SCHEMA, "ipsec must be an object");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "','size':'123'}}",
		   MANIFEST_E_SCHEMA, "kernel.size must be a number, not a string");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "','size':0}}",
		   MANIFEST_E_SCHEMA, "kernel.size must be a whole number 1..9007199254740992");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "','size':-5}}",
		   MANIFEST_E_SCHEMA, "whole number");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "','size':1.5}}",
		   MANIFEST_E_SCHEMA, "whole number");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "','size':9007199254740994}}",
		   MANIFEST_E_SCHEMA, "whole number");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "','size':1e999}}",
		   MANIFEST_E_SCHEMA, "whole number");
}

static void test_blob_forms(void **state)
{
	(void)state;
	parse_fail("{'version':1,'kernel':{}}", MANIFEST_E_SCHEMA, "kernel needs either \"file\"");
	parse_fail("{'version':1,'kernel':{'file':'kernel','url':'http://h/k'}}", MANIFEST_E_SCHEMA,
		   "kernel needs either \"file\"");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k'}}", MANIFEST_E_SCHEMA,
		   "kernel: a url needs \"sha256\" and \"size\"");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','size':1}}", MANIFEST_E_SCHEMA, "needs \"sha256\"");
	parse_fail(V ",'initrd':{'url':'http://h/i','sha256':'" SHA "'}}", MANIFEST_E_SCHEMA,
		   "initrd: a url needs");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08','size':1}}",
		   MANIFEST_E_SCHEMA, "kernel.sha256", "64 lowercase hex");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'" SHA "0','size':1}}",
		   MANIFEST_E_SCHEMA, "not 65 characters");
	parse_fail("{'version':1,'kernel':{'url':'http://h/k','sha256':'g" SHA "','size':1}}",
		   MANIFEST_E_SCHEMA, "not 65 characters");
}

static void url_fail(const char *url, const char *why)
{
	char json[4096];

	snprintf(json, sizeof(json), "{'version':1,'kernel':{'url':'%s','sha256':'" SHA "','size':1}}", url);
	parse_fail(json, MANIFEST_E_SCHEMA, "kernel.url", why);
}

static void test_bad_urls(void **state)
{
	char longurl[2100];

	(void)state;
	url_fail("https://h/k", "must start with http://");
	url_fail("HTTP://h/k", "must start with http://");
	url_fail("ftp://h/k", "must start with http://");
	url_fail("http://h", "has no path");
	url_fail("http:///k", "the host must be");
	url_fail("http://user@h/k", "the host must be");
	url_fail("http://-h/k", "the host must be");
	url_fail("http://h-/k", "the host must be");
	url_fail("http://a..b/k", "the host must be");
	url_fail("http://h_x/k", "the host must be");
	url_fail("http://h:/k", "port must be 1..65535");
	url_fail("http://h:0/k", "port must be 1..65535");
	url_fail("http://h:65536/k", "port must be 1..65535");
	url_fail("http://h:08000/k", "port must be 1..65535");
	url_fail("http://h:80a/k", "port must be 1..65535");
	url_fail("http://h:123456/k", "port must be 1..65535");
	url_fail("http://[fd00::1/k", "bad IPv6");
	url_fail("http://[]/k", "bad IPv6");
	url_fail("http://[fd00::g]/k", "bad IPv6");
	url_fail("http://[fd00::1]x/k", "junk after ']'");
	url_fail("http://h/a b", "the path has characters");
	url_fail("http://h/a#frag", "the path has characters");
	url_fail("http://h/a%zz", "the path has characters");
	url_fail("http://h/a%2", "the path has characters");
	url_fail("http://h/a\\\\b", "the path has characters");
	url_fail("http://h/\xc3\xa9", "the path has characters");
	memcpy(longurl, "http://h/", 9);
	memset(longurl + 9, 'a', 2040);
	longurl[2049] = '\0';
	url_fail(longurl, "longer than 2048");
}

static void test_paths_and_files(void **state)
{
	(void)state;
	parse_fail("{'version':1,'kernel':{'file':'vmlinuz'}}", MANIFEST_E_FILE,
		   "kernel.file: \"vmlinuz\" is not in the payload");
	parse_fail("{'version':1,'kernel':{'file':'../kernel'}}", MANIFEST_E_SCHEMA,
		   "kernel.file \"../kernel\": '..' component");
	parse_fail("{'version':1,'kernel':{'file':'/boot/vmlinuz'}}", MANIFEST_E_SCHEMA, "absolute");
	parse_fail("{'version':1,'kernel':{'file':'sub/../kernel'}}", MANIFEST_E_SCHEMA, "'..'");
	parse_fail("{'version':1,'kernel':{'file':'sub/'}}", MANIFEST_E_SCHEMA, "ends in '/'");
	parse_fail("{'version':1,'kernel':{'file':''}}", MANIFEST_E_SCHEMA, "empty name");
	parse_fail("{'version':1,'kernel':{'file':'sub'}}", MANIFEST_E_FILE, "\"sub\" is not a regular file");
	parse_fail("{'version':1,'kernel':{'file':'link'}}", MANIFEST_E_FILE, "\"link\" is not a regular file");
	parse_fail("{'version':1,'kernel':{'file':'fifo'}}", MANIFEST_E_FILE, "\"fifo\" is not a regular file");
	parse_fail("{'version':1,'kernel':{'file':'kernel/x'}}", MANIFEST_E_FILE, "\"kernel/x\" is not in the payload");
	parse_fail(V ",'luks':[{'name':'a','key':'linkdir/data.key','volume':'/dev/vda'}]}", MANIFEST_E_FILE,
		   "luks[0].key: \"linkdir/data.key\"");
	parse_fail(V ",'luks':[{'name':'a','key':'luks/empty.key','volume':'/dev/vda'}]}", MANIFEST_E_FILE,
		   "\"luks/empty.key\" is 0 bytes; 1..8192");
	parse_fail(V ",'luks':[{'name':'a','key':'luks/dir.key','volume':'/dev/vda'}]}", MANIFEST_E_FILE,
		   "not a regular file");
	parse_fail(V ",'luks':[{'name':'a','key':'/etc/shadow','volume':'/dev/vda'}]}", MANIFEST_E_SCHEMA,
		   "luks[0].key \"/etc/shadow\": absolute");
	parse_fail(V ",'ipsec':{'dir':'nodir'}}", MANIFEST_E_FILE, "ipsec.dir: \"nodir\" is not a directory");
	parse_fail(V ",'ipsec':{'dir':'kernel'}}", MANIFEST_E_FILE, "\"kernel\" is not a directory");
	parse_fail(V ",'ipsec':{'dir':'linkdir'}}", MANIFEST_E_FILE, "is not a directory");
	parse_fail(V ",'ipsec':{'dir':'ipsec-nocfg'}}", MANIFEST_E_FILE,
		   "\"ipsec-nocfg/swanctl.conf\" is not in the payload");
	parse_fail(V ",'ipsec':{'dir':'ipsec-badsub'}}", MANIFEST_E_FILE,
		   "\"ipsec-badsub/x509\" must be a directory");
}

static void test_luks(void **state)
{
	(void)state;
	parse_fail(V ",'luks':[{'name':'da ta','key':'luks/data.key','volume':'/dev/vda'}]}",
		   MANIFEST_E_SCHEMA, "luks[0].name \"da ta\" must be 1..32 of [A-Za-z0-9_-]");
	parse_fail(V ",'luks':[{'name':'','key':'luks/data.key','volume':'/dev/vda'}]}",
		   MANIFEST_E_SCHEMA, "luks[0].name \"\"");
	parse_fail(V ",'luks':[{'name':'d/x','key':'luks/data.key','volume':'/dev/vda'}]}",
		   MANIFEST_E_SCHEMA, "luks[0].name");
	parse_fail(V ",'luks':[{'name':'a','key':'luks/data.key','volume':'/dev/vda'},"
		   "{'name':'a','key':'luks/swap.key','volume':'/dev/vdb'}]}",
		   MANIFEST_E_SCHEMA, "luks[1].name \"a\" is already used by luks[0]");
	static const char *const bad[] = {
		"", "vdb", "dev/vdb", "/dev/", "/dev/../etc/shadow", "/dev/a//b", "/dev/./vdb", "/dev/vdb/",
		"/dev/v db", "UUID=", "UUID=0b6c", "UUID=0b6c2f6e-8d1a-4c35-9a57-2f1e0c7d9b1g",
		"UUID=0b6c2f6e8d1a4c359a572f1e0c7d9b11", "uuid=0b6c2f6e-8d1a-4c35-9a57-2f1e0c7d9b11",
		"PARTUUID=1234567-01", "PARTUUID=1234567A-01", "UUID=0B6C2F6E-8D1A-4C35-9A57-2F1E0C7D9B11", "LABEL=", "LABEL=a b", "PARTLABEL=x|y", "LABEL=\\u00e9",
	};
	static const char *const good[] = {
		"/dev/vdb", "/dev/mapper/x", "/dev/disk/by-id/virtio-serial_1", "/dev/nvme0n1p2",
		"UUID=0b6c2f6e-8d1a-4c35-9a57-2f1e0c7d9b11", "PARTUUID=0b6c2f6e-8d1a-4c35-9a57-2f1e0c7d9b11",
		"PARTUUID=1234abcd-01", "LABEL=data", "PARTLABEL=x.y:z+1_2-3",
	};
	char json[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), V ",'luks':[{'name':'a','key':'luks/data.key','volume':'%s'}]}", bad[i]);
		parse_fail(json, MANIFEST_E_SCHEMA, "luks[0].volume", "must be UUID=<uuid>");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(json, sizeof(json), V ",'luks':[{'name':'a','key':'luks/data.key','volume':'%s'}]}", good[i]);
		parse_ok(json);
		assert_string_equal(m.luks[0].volume, good[i]);
	}
}

static void test_cmdline(void **state)
{
	(void)state;
	parse_fail(V ",'cmdline':'a\\nb'}", MANIFEST_E_SCHEMA, "cmdline byte 1 is 0x0a; only printable ASCII");
	parse_fail(V ",'cmdline':'a\\u007f'}", MANIFEST_E_SCHEMA, "0x7f");
	parse_fail(V ",'cmdline':'\xc3\xa9'}", MANIFEST_E_SCHEMA, "cmdline byte 0 is 0xc3");
	parse_ok(V ",'cmdline':'quiet a=\\'b c\\' x=\\\\'}");
	assert_string_equal(m.cmdline, "quiet a=\"b c\" x=\\");
}

static void test_json(void **state)
{
	char err[ERRLEN];
	static char big[MANIFEST_JSON_MAX + 2];

	(void)state;
	parse_fail("", MANIFEST_E_JSON, "not valid JSON at line 1");
	parse_fail("{", MANIFEST_E_JSON, "not valid JSON");
	parse_fail("{'version':1,\n'kernel':{'file':'kernel',}}", MANIFEST_E_JSON, "line 2");
	parse_fail(V "} x", MANIFEST_E_JSON, "text after the JSON value at line 1 column 42");
	parse_fail(V "}{}", MANIFEST_E_JSON, "text after the JSON value");
	/* \u0000 would cut 'kernel\u0000/../x' to 'kernel' inside cJSON; an escaped backslash is fine. */
	parse_fail("{'version':1,'kernel':{'file':'kernel\\u0000x'}}", MANIFEST_E_JSON, "\\u0000");
	parse_ok(V ",'cmdline':'a\\\\u0000'}");
	assert_string_equal(m.cmdline, "a\\u0000");
	assert_int_equal(manifest_parse("{\"version\":1,\0}", 15, rfd, &m, err, sizeof(err)), MANIFEST_E_JSON);
	assert_true(is_zeroed(&m));
	memset(big, ' ', sizeof(big));
	assert_int_equal(manifest_parse(big, MANIFEST_JSON_MAX + 1, rfd, &m, err, sizeof(err)), MANIFEST_E_SIZE);
	assert_int_equal(manifest_parse(big, 10, -1, &m, err, sizeof(err)), MANIFEST_E_ARG);
	assert_int_equal(manifest_parse(big, 10, rfd, NULL, err, sizeof(err)), MANIFEST_E_ARG);
}

/* ---- manifest_load ---------------------------------------------------------- */

static int fresh_dir(char *path)
{
	int fd;

	strcpy(path, "/tmp/test_manifest_load.XXXXXX");
	assert_non_null(mkdtemp(path));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void drop_dir(const char *path, int fd)
{
	close(fd);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_text(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_load(void **state)
{
	char path[64], err[ERRLEN];
	int fd;

	(void)state;
	fd = fresh_dir(path);
	/* Neither file. */
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(manifest_load(fd, 65536, &m, err, sizeof(err)), MANIFEST_E_MISSING);
	assert_true(is_zeroed(&m));
	assert_non_null(strstr(err, "neither airlock.json"));
	assert_non_null(strstr(err, "nor autorun.sh"));
	/* autorun.sh as a directory does not count. */
	assert_int_equal(mkdirat(fd, "autorun.sh", 0700), 0);
	assert_int_equal(manifest_load(fd, 65536, &m, err, sizeof(err)), MANIFEST_E_MISSING);
	assert_int_equal(unlinkat(fd, "autorun.sh", AT_REMOVEDIR), 0);
	/* Keylime-compat. */
	write_text(fd, "autorun.sh", "#!/bin/sh\necho hi\n");
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(manifest_load(fd, 65536, &m, err, sizeof(err)), MANIFEST_OK);
	assert_int_equal(m.mode, MANIFEST_MODE_KEYLIME_COMPAT);
	assert_int_equal(m.kernel.src, MANIFEST_SRC_NONE);
	/* airlock.json wins over autorun.sh. */
	put_file(fd, "kernel", 5);
	write_text(fd, "airlock.json", j(V "}"));
	assert_int_equal(manifest_load(fd, 65536, &m, err, sizeof(err)), MANIFEST_OK);
	assert_int_equal(m.mode, MANIFEST_MODE_AIRLOCK);
	assert_int_equal(m.kernel.size, 5);
	/* Size cap: the file is 40 bytes. */
	assert_int_equal(strlen(j(V "}")), 40);
	assert_int_equal(manifest_load(fd, 40, &m, err, sizeof(err)), MANIFEST_OK);
	assert_int_equal(manifest_load(fd, 39, &m, err, sizeof(err)), MANIFEST_E_SIZE);
	assert_non_null(strstr(err, "40 bytes, at most 39"));
	assert_true(is_zeroed(&m));
	assert_int_equal(manifest_load(fd, 0, &m, err, sizeof(err)), MANIFEST_E_ARG);
	assert_int_equal(manifest_load(fd, MANIFEST_JSON_MAX + 1, &m, err, sizeof(err)), MANIFEST_E_ARG);
	/* Errors from the text carry through. */
	write_text(fd, "airlock.json", j("{'version':3}"));
	assert_int_equal(manifest_load(fd, 65536, &m, err, sizeof(err)), MANIFEST_E_VERSION);
	/* A symlinked manifest is not followed. */
	assert_int_equal(unlinkat(fd, "airlock.json", 0), 0);
	write_text(fd, "real.json", j(V "}"));
	assert_int_equal(symlinkat("real.json", fd, "airlock.json"), 0);
	assert_int_equal(manifest_load(fd, 65536, &m, err, sizeof(err)), MANIFEST_E_IO);
	assert_non_null(strstr(err, "airlock.json: not a regular file"));
	drop_dir(path, fd);
}

/* ---- end to end: a zip from Python's zipfile, unpacked and read ---------------- */

static const char payload_py[] =
	"import sys, zipfile\n"
	"m = '''{\"version\": 1, \"kernel\": {\"file\": \"boot/vmlinuz\"}, \"initrd\": {\"file\": \"boot/initrd\"},\n"
	" \"cmdline\": \"console=ttyS0\", \"luks\": [{\"name\": \"data\", \"key\": \"keys/data.key\",\n"
	" \"volume\": \"PARTLABEL=data\"}], \"ipsec\": {\"dir\": \"ipsec\"}}'''\n"
	"with zipfile.ZipFile(sys.argv[1] + '/airlock.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
	"    z.writestr('airlock.json', m)\n"
	"    z.writestr('boot/vmlinuz', b'K' * 100000)\n"
	"    z.writestr('boot/initrd', b'I' * 5000)\n"
	"    z.writestr('keys/data.key', bytes(range(64)))\n"
	"    for d in ('x509/', 'x509ca/', 'private/', 'conf.d/'):\n"
	"        z.writestr('ipsec/' + d, b'')\n"
	"    z.writestr('ipsec/swanctl.conf', 'connections {}\\n')\n"
	"    z.writestr('ipsec/x509/node.pem', 'cert\\n')\n"
	"with zipfile.ZipFile(sys.argv[1] + '/keylime.zip', 'w') as z:\n"
	"    z.writestr('autorun.sh', '#!/bin/sh\\necho keylime\\n')\n"
	"    z.writestr('other.txt', 'x\\n')\n";

static void *slurp(const char *path, size_t *len)
{
	struct stat st;
	void *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	b = malloc(*len);
	assert_non_null(b);
	assert_int_equal(read(fd, b, *len), (ssize_t)*len);
	close(fd);
	return b;
}

static void test_end_to_end(void **state)
{
	const struct zip_limits lim = { 256, 256u << 20, 512u << 20 };
	char gen[64], out[64], zpath[128], err[ERRLEN];
	char *argv[] = { "/usr/bin/python3", "-c", (char *)payload_py, gen, NULL };
	int gfd, ofd, status;
	size_t len;
	uint8_t *zip;
	pid_t pid;

	(void)state;
	gfd = fresh_dir(gen);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	snprintf(zpath, sizeof(zpath), "%s/airlock.zip", gen);
	zip = slurp(zpath, &len);
	ofd = fresh_dir(out);
	if (zip_extract(zip, len, ofd, &lim, NULL, err, sizeof(err)) != ZIP_OK)
		fail_msg("zip_extract: %s", err);
	if (manifest_load(ofd, MANIFEST_JSON_MAX, &m, err, sizeof(err)) != MANIFEST_OK)
		fail_msg("manifest_load: %s", err);
	assert_int_equal(m.mode, MANIFEST_MODE_AIRLOCK);
	assert_string_equal(m.kernel.file, "boot/vmlinuz");
	assert_int_equal(m.kernel.size, 100000);
	assert_int_equal(m.initrd.size, 5000);
	assert_string_equal(m.cmdline, "console=ttyS0");
	assert_int_equal(m.n_luks, 1);
	assert_int_equal(m.luks[0].key_size, 64);
	assert_string_equal(m.luks[0].volume, "PARTLABEL=data");
	assert_string_equal(m.ipsec_dir, "ipsec");
	drop_dir(out, ofd);
	free(zip);

	snprintf(zpath, sizeof(zpath), "%s/keylime.zip", gen);
	zip = slurp(zpath, &len);
	ofd = fresh_dir(out);
	assert_int_equal(zip_extract(zip, len, ofd, &lim, NULL, err, sizeof(err)), ZIP_OK);
	assert_int_equal(manifest_load(ofd, MANIFEST_JSON_MAX, &m, err, sizeof(err)), MANIFEST_OK);
	assert_int_equal(m.mode, MANIFEST_MODE_KEYLIME_COMPAT);
	drop_dir(out, ofd);
	free(zip);
	drop_dir(gen, gfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_limits_ok),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_blob_forms),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_paths_and_files),
		cmocka_unit_test(test_luks),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_end_to_end),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

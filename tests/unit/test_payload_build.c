/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * src/verifier/payload_build.c checked by the node agent's own reader: every
 * payload built here must unpack with src/lib/zip.c (CRCs, names, limits) and
 * load with src/agent/manifest.c, saying what the tenant asked for; the
 * builder is deterministic; bad inputs are refused with the option named.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"
#include "payload_build.h"
#include "zip.h"

static char dir[64];

static const char *file(const char *name, const char *content)
{
	static char path[8][256];
	static int k;
	char *p = path[k++ % 8];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return p;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_payload_build.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Unpack with the agent's reader into a fresh directory and load the manifest. */
static void agent_reads(const uint8_t *zip, size_t len, struct manifest *m, int *out_fd)
{
	static int n;
	struct zip_limits lim = { 256, 256u << 20, 512u << 20 };
	char sub[128], err[512];
	int fd;

	snprintf(sub, sizeof(sub), "%s/unpacked%d", dir, n++);
	assert_int_equal(mkdir(sub, 0700), 0);
	fd = open(sub, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	if (zip_extract(zip, len, fd, &lim, NULL, err, sizeof(err)) != 0)
		fail_msg("zip_extract: %s", err);
	if (manifest_load(fd, 65536, m, err, sizeof(err)) != 0)
		fail_msg("manifest_load: %s", err);
	*out_fd = fd;
}

static void test_full_payload_read_by_agent(void **state)
{
	static struct manifest m;
	struct pb_opts o = { 0 };
	uint8_t *zip, *zip2, buf[64];
	size_t len, len2;
	char err[512], tree[256];
	int fd, kfd;
	ssize_t r;

	(void)state;
	o.kernel.file = file("vmlinuz", "KERNEL-BYTES");
	o.initrd.url = "http://192.0.2.7:8000/initrd.img";
	o.initrd.file = file("initrd.img", "INITRD");
	o.cmdline = "console=ttyS0 root=/dev/mapper/data";
	o.nluks = 1;
	{
		static char spec[512];

		snprintf(spec, sizeof(spec), "data=%s:/dev/vdb", file("data.key", "secret-key"));
		o.luks[0] = spec;
	}
	snprintf(tree, sizeof(tree), "%s/ipsec", dir);
	assert_int_equal(mkdir(tree, 0700), 0);
	file("ipsec/swanctl.conf", "connections { }\n");
	snprintf(tree, sizeof(tree), "%s/ipsec/x509", dir);
	assert_int_equal(mkdir(tree, 0700), 0);
	file("ipsec/x509/node.pem", "CERT\n");
	snprintf(tree, sizeof(tree), "%s/ipsec", dir);
	o.ipsec_dir = tree;
	if (payload_build(&o, &zip, &len, err, sizeof(err)) != 0)
		fail_msg("payload_build: %s", err);
	agent_reads(zip, len, &m, &fd);
	assert_int_equal(m.mode, MANIFEST_MODE_AIRLOCK);
	assert_int_equal(m.kernel.src, MANIFEST_SRC_FILE);
	assert_string_equal(m.kernel.file, "kernel");
	assert_int_equal(m.initrd.src, MANIFEST_SRC_URL);
	assert_int_equal(m.initrd.size, 6);
	assert_int_equal(m.initrd.sha256[0], 0xf5); /* printf INITRD | sha256sum: f5e3db... */
	assert_true(m.has_cmdline);
	assert_string_equal(m.cmdline, "console=ttyS0 root=/dev/mapper/data");
	assert_int_equal(m.n_luks, 1);
	assert_string_equal(m.luks[0].name, "data");
	assert_string_equal(m.luks[0].volume, "/dev/vdb");
	assert_true(m.has_ipsec);
	kfd = openat(fd, m.luks[0].key, O_RDONLY);
	assert_true(kfd >= 0);
	r = read(kfd, buf, sizeof(buf));
	assert_int_equal(r, 10);
	assert_memory_equal(buf, "secret-key", 10);
	close(kfd);
	close(fd);
	/* Same inputs, same bytes. */
	assert_int_equal(payload_build(&o, &zip2, &len2, err, sizeof(err)), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(zip, zip2, len);
	free(zip);
	free(zip2);
}

static void test_refusals(void **state)
{
	struct pb_opts o;
	uint8_t *zip;
	size_t len;
	char err[512], bad_tree[256];

	(void)state;
#define REFUSED(what)                                                                        \
	do {                                                                                 \
		err[0] = 0;                                                                  \
		assert_int_not_equal(payload_build(&o, &zip, &len, err, sizeof(err)), 0);   \
		assert_non_null(strstr(err, what));                                          \
		assert_null(zip);                                                            \
	} while (0)
	memset(&o, 0, sizeof(o));
	REFUSED("needs a kernel");
	o.kernel.file = "/nonexistent/kernel";
	REFUSED("/nonexistent/kernel");
	o.kernel.file = dir;
	REFUSED("not a regular file");
	o.kernel.file = NULL;
	o.kernel.url = "https://example.invalid/k";
	REFUSED("http://");
	o.kernel.url = "http://192.0.2.7/k";
	REFUSED("--kernel-sha256");
	o.kernel.sha256 = "ABCD";
	o.kernel.size = "12";
	REFUSED("--kernel-sha256");
	o.kernel.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	o.kernel.size = "012";
	REFUSED("--kernel-size");
	o.kernel.size = "12";
	o.cmdline = "bad\ncmdline";
	REFUSED("--cmdline");
	o.cmdline = NULL;
	o.luks[0] = "no-equals";
	o.nluks = 1;
	REFUSED("NAME=KEYFILE:VOLUME");
	o.luks[0] = "bad name=x:/dev/vdb";
	REFUSED("NAME=KEYFILE:VOLUME");
	o.nluks = 0;
	snprintf(bad_tree, sizeof(bad_tree), "%s/empty", dir);
	assert_int_equal(mkdir(bad_tree, 0700), 0);
	o.ipsec_dir = bad_tree;
	REFUSED("swanctl.conf");
	/* A symlink in the swanctl tree is refused: the agent takes no links. */
	file("empty/swanctl.conf", "x");
	{
		char link[300];

		snprintf(link, sizeof(link), "%s/link", bad_tree);
		assert_int_equal(symlink("/etc/passwd", link), 0);
	}
	REFUSED("not a regular file or directory");
	/* By URL with the digest given: fine. */
	o.ipsec_dir = NULL;
	assert_int_equal(payload_build(&o, &zip, &len, err, sizeof(err)), 0);
	free(zip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_payload_read_by_agent),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

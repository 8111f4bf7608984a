/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/zip.c. The archives are made at test time by independent writers:
 * Python's zipfile (/usr/bin/python3) and Info-ZIP's zip, including streamed archives with data
 * descriptors; hostile ones are Python-written archives with names and attributes no sane tool
 * writes, or with header fields patched afterwards (the script below says which field). The
 * expected contents are generated here from the same formula the script uses, never read back
 * through the code under test.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

#include "zip.h"

#define MiB (1024ull * 1024)
#define ERRLEN 512

/* The agent's defaults (docs/payload.md). */
static const struct zip_limits deflt = { 256, 256 * MiB, 512 * MiB };

/* The archive writer; run as `python3 -c SCRIPT OUTDIR`. */
static const char vectors_py[] =
	"import io, os, struct, subprocess, sys, warnings, zipfile, zlib\n"
	"warnings.simplefilter(\"ignore\")\n"
	"out = sys.argv[1]\n"
	"\n"
	"def pat(n, seed):\n"
	"    return bytes(((i * 131 + seed + (i >> 8)) & 0xff) for i in range(n))\n"
	"\n"
	"def build(entries, comp=zipfile.ZIP_DEFLATED):\n"
	"    b = io.BytesIO()\n"
	"    with zipfile.ZipFile(b, \"w\", comp) as z:\n"
	"        for e in entries:\n"
	"            z.writestr(e[0], e[1])\n"
	"    return bytearray(b.getvalue())\n"
	"\n"
	"def info(name, data, attr=None, comp=zipfile.ZIP_STORED):\n"
	"    i = zipfile.ZipInfo(name)\n"
	"    i.compress_type = comp\n"
	"    if attr is not None:\n"
	"        i.external_attr = attr\n"
	"    return (i, data)\n"
	"\n"
	"def save(name, data):\n"
	"    with open(os.path.join(out, name), \"wb\") as f:\n"
	"        f.write(data)\n"
	"\n"
	"def central(z, k):\n"
	"    \"\"\"Offset of the k-th central directory header.\"\"\"\n"
	"    eocd = z.rindex(b\"PK\\x05\\x06\")\n"
	"    pos = struct.unpack_from(\"<I\", z, eocd + 16)[0]\n"
	"    for _ in range(k):\n"
	"        n, x, c = struct.unpack_from(\"<HHH\", z, pos + 28)\n"
	"        pos += 46 + n + x + c\n"
	"    return pos\n"
	"\n"
	"def local(z, k):\n"
	"    return struct.unpack_from(\"<I\", z, central(z, k) + 42)[0]\n"
	"\n"
	"def put(z, off, fmt, v):\n"
	"    struct.pack_into(fmt, z, off, v)\n"
	"    return z\n"
	"\n"
	"# Field offsets: local flags 6, method 8, crc 14, csize 18, usize 22, name 30;\n"
	"# central flags 8, method 10, crc 16, csize 20, usize 24, name 46, local offset 42.\n"
	"def both(z, k, lo, co, fmt, v):\n"
	"    put(z, local(z, k) + lo, fmt, v)\n"
	"    return put(z, central(z, k) + co, fmt, v)\n"
	"\n"
	"# ---- good ----\n"
	"save(\"stored.zip\", build([(\"hello.txt\", b\"hello, airlock\\n\"), (\"d/\", b\"\"),\n"
	"                          (\"d/e/f.bin\", pat(1000, 1))], zipfile.ZIP_STORED))\n"
	"save(\"deflate.zip\", build([(\"hello.txt\", b\"hello, airlock\\n\"), (\"big.bin\", pat(300000, 2)),\n"
	"                           (\"empty\", b\"\"), (\"x/y/z.txt\", b\"deep\\n\"), (\"dir/\", b\"\"),\n"
	"                           (\"utf8-\\u00e9.txt\", b\"u\\n\"), (\"b\" * 255, b\"long\\n\")]))\n"
	"class Pipe(io.RawIOBase):\n"
	"    def __init__(self): self.buf = bytearray()\n"
	"    def writable(self): return True\n"
	"    def write(self, b): self.buf += b; return len(b)\n"
	"p = Pipe()\n"
	"with zipfile.ZipFile(p, \"w\", zipfile.ZIP_DEFLATED) as z:\n"
	"    z.writestr(\"a.txt\", b\"streamed\\n\")\n"
	"    z.writestr(\"b.bin\", pat(5000, 3))\n"
	"save(\"stream.zip\", p.buf)\n"
	"stream = bytearray(p.buf)\n"
	"b = io.BytesIO()\n"
	"with zipfile.ZipFile(b, \"w\") as z:\n"
	"    z.comment = b\"a comment\"\n"
	"    z.writestr(\"hello.txt\", b\"hello, airlock\\n\")\n"
	"save(\"comment.zip\", b.getvalue())\n"
	"\n"
	"# Info-ZIP, to a file and streamed to a pipe (data descriptors).\n"
	"tree = os.path.join(out, \"tree\")\n"
	"os.makedirs(os.path.join(tree, \"sub\", \"dir\"))\n"
	"os.makedirs(os.path.join(tree, \"emptydir\"))\n"
	"with open(os.path.join(tree, \"readme\"), \"wb\") as f:\n"
	"    f.write(b\"info-zip\\n\")\n"
	"with open(os.path.join(tree, \"sub\", \"dir\", \"file\"), \"wb\") as f:\n"
	"    f.write(pat(20000, 4))\n"
	"subprocess.run([\"/usr/bin/zip\", \"-q\", \"-r\", \"-X\", os.path.join(out, \"infozip.zip\"), \".\"], cwd=tree, check=True)\n"
	"r = subprocess.run([\"/usr/bin/zip\", \"-q\", \"-r\", \"-X\", \"-\", \".\"], cwd=tree, check=True, stdout=subprocess.PIPE)\n"
	"save(\"infozip-stream.zip\", r.stdout)\n"
	"\n"
	"# ---- names ----\n"
	"for fname, name in [(\"abs\", \"/etc/x\"), (\"dotdot\", \"../x\"), (\"dotdot2\", \"a/../../x\"), (\"dot\", \"./a\"),\n"
	"                    (\"emptycomp\", \"a//b\"), (\"backslash\", \"a\\\\b\"), (\"ctrl\", \"a\\x01b\"),\n"
	"                    (\"c1\", \"a\\u0085b\"), (\"longcomp\", \"c\" * 256),\n"
	"                    (\"longname\", \"/\".join([\"d\" * 250] * 5))]:\n"
	"    save(fname + \".zip\", build([(\"ok.txt\", b\"ok\\n\"), (name, b\"x\")]))\n"
	"z = build([(\"aXb\", b\"x\")])\n"
	"both(z, 0, 31, 47, \"<B\", 0)\n"
	"save(\"nul.zip\", z)\n"
	"z = build([(\"ok.txt\", b\"ok\\n\")])\n"
	"z = z.replace(b\"ok.txt\", b\"o\\xff.txt\")  # both copies of the name: not UTF-8\n"
	"save(\"notutf8.zip\", z)\n"
	"\n"
	"# ---- types ----\n"
	"for fname, attr in [(\"symlink\", 0xA1FF << 16), (\"chardev\", 0o020644 << 16), (\"blockdev\", 0o060644 << 16),\n"
	"                    (\"fifo\", 0o010644 << 16), (\"socket\", 0o140644 << 16), (\"dirmode\", 0o040755 << 16)]:\n"
	"    save(fname + \".zip\", build([info(\"ok.txt\", b\"ok\\n\"), info(\"node\", b\"/etc/passwd\", attr)]))\n"
	"save(\"dosdir.zip\", build([info(\"node\", b\"\", 0x10)]))\n"
	"save(\"dup.zip\", build([(\"a.txt\", b\"one\\n\"), (\"a.txt\", b\"two\\n\")]))\n"
	"save(\"dupdir.zip\", build([(\"a\", b\"file\\n\"), (\"a/\", b\"\")]))\n"
	"save(\"below.zip\", build([(\"a\", b\"file\\n\"), (\"a/b\", b\"x\")]))\n"
	"\n"
	"# ---- methods, flags ----\n"
	"save(\"bzip2.zip\", build([(\"a.txt\", b\"bzip2 \" * 100)], zipfile.ZIP_BZIP2))\n"
	"save(\"lzma.zip\", build([(\"a.txt\", b\"lzma \" * 100)], zipfile.ZIP_LZMA))\n"
	"z = build([(\"a.txt\", b\"secret\\n\")])\n"
	"save(\"encrypted.zip\", both(z, 0, 6, 8, \"<H\", 1))\n"
	"b = io.BytesIO()\n"
	"with zipfile.ZipFile(b, \"w\", zipfile.ZIP_DEFLATED) as zf:\n"
	"    with zf.open(\"a.txt\", \"w\", force_zip64=True) as f:\n"
	"        f.write(b\"zip64\\n\")\n"
	"save(\"zip64.zip\", b.getvalue())\n"
	"z = build([(\"a.txt\", b\"x\\n\")])\n"
	"e = z.rindex(b\"PK\\x05\\x06\")\n"
	"save(\"zip64-eocd.zip\", put(put(bytearray(z), e + 8, \"<H\", 0xffff), e + 10, \"<H\", 0xffff))\n"
	"save(\"multidisk.zip\", put(bytearray(z), e + 4, \"<H\", 1))\n"
	"\n"
	"# ---- integrity ----\n"
	"z = build([(\"a.txt\", b\"crc check\\n\")], zipfile.ZIP_STORED)\n"
	"save(\"crc-stored.zip\", both(bytearray(z), 0, 14, 16, \"<I\", zlib.crc32(b\"crc check\\n\") ^ 1))\n"
	"z[local(z, 0) + 30 + 5] ^= 0x20\n"
	"save(\"crc-data.zip\", z)\n"
	"z = build([(\"a.txt\", pat(4000, 5))])\n"
	"save(\"crc-deflate.zip\", both(z, 0, 14, 16, \"<I\", zlib.crc32(pat(4000, 5)) ^ 0x80000000))\n"
	"z = build([(\"a.txt\", pat(4000, 5))])\n"
	"z[local(z, 0) + 30 + 5] = 0xff  # BFINAL=1, BTYPE=11: a reserved block type\n"
	"save(\"corrupt.zip\", z)\n"
	"z = build([(\"a.txt\", b\"x\\n\"), (\"b.txt\", b\"y\\n\")])\n"
	"save(\"mismatch-name.zip\", put(z, local(z, 1) + 30, \"<B\", ord(\"c\")))\n"
	"z = build([(\"a.txt\", b\"x\\n\")])\n"
	"save(\"mismatch-method.zip\", put(z, local(z, 0) + 8, \"<H\", 0))\n"
	"z = build([(\"a.txt\", b\"x\\n\")])\n"
	"save(\"mismatch-size.zip\", put(z, local(z, 0) + 22, \"<I\", 3))\n"
	"z = build([(\"a.txt\", b\"x\\n\")])\n"
	"save(\"mismatch-flags.zip\", put(z, local(z, 0) + 6, \"<H\", 0x800))\n"
	"z = bytearray(stream)\n"
	"dd = z.index(b\"PK\\x07\\x08\")\n"
	"save(\"dd-mismatch.zip\", put(z, dd + 4, \"<I\", struct.unpack_from(\"<I\", z, dd + 4)[0] ^ 1))\n"
	"z = build([(\"a.txt\", b\"x\\n\"), (\"b.txt\", b\"y\\n\")], zipfile.ZIP_STORED)\n"
	"save(\"overlap.zip\", put(z, central(z, 1) + 42, \"<I\", 0))\n"
	"z = build([(\"a.txt\", b\"x\\n\")])\n"
	"save(\"outside.zip\", put(z, central(z, 0) + 42, \"<I\", 0x7ffffff0))\n"
	"good = build([(\"a.txt\", b\"x\\n\")])\n"
	"save(\"appended.zip\", good + b\"junk\")\n"
	"save(\"prepended.zip\", b\"junk\" + good)\n"
	"\n"
	"# ---- bombs ----\n"
	"z = build([(\"zeros\", bytes(10 << 20))])\n"
	"save(\"bomb-lie.zip\", both(z, 0, 22, 24, \"<I\", 1000))\n"
	"\n"
	"# 1 GiB of zeros in ~1 MB: 1 MiB compressed once with a full flush (no back-references\n"
	"# across the flush), repeated 1024 times, then an empty final stored block.\n"
	"c = zlib.compressobj(9, zlib.DEFLATED, -15)\n"
	"seg = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)\n"
	"stream1g = seg * 1024 + b\"\\x01\\x00\\x00\\xff\\xff\"\n"
	"crc = 0\n"
	"mib = bytes(1 << 20)\n"
	"for _ in range(1024):\n"
	"    crc = zlib.crc32(mib, crc)\n"
	"\n"
	"def raw_zip(name, data, crc, size, method=8):\n"
	"    n = name.encode()\n"
	"    lh = struct.pack(\"<IHHHHHIIIHH\", 0x04034b50, 20, 0, method, 0, 0x21, crc, len(data), size, len(n), 0)\n"
	"    ch = struct.pack(\"<IHHHHHHIIIHHHHHII\", 0x02014b50, 0x031e, 20, 0, method, 0, 0x21, crc, len(data),\n"
	"                     size, len(n), 0, 0, 0, 0, 0o100600 << 16, 0)\n"
	"    cd_off = len(lh) + len(n) + len(data)\n"
	"    cd = ch + n\n"
	"    eocd = struct.pack(\"<IHHHHIIH\", 0x06054b50, 0, 0, 1, 1, len(cd), cd_off, 0)\n"
	"    return lh + n + data + cd + eocd\n"
	"\n"
	"save(\"bomb-1g.zip\", raw_zip(\"zeros\", stream1g, crc, 1 << 30))\n"
	"save(\"bomb-1g-lie.zip\", raw_zip(\"zeros\", stream1g, crc, 1 << 20))\n";

static char vecdir[] = "/tmp/test_zip.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup_vectors(void **state)
{
	char *argv[] = { "/usr/bin/python3", "-c", (char *)vectors_py, vecdir, NULL };
	int status;
	pid_t pid;

	(void)state;
	umask(022);
	if (mkdtemp(vecdir) == NULL)
		return -1;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "generating archives with /usr/bin/python3 and zip failed\n");
		return -1;
	}
	return 0;
}

static int teardown_vectors(void **state)
{
	(void)state;
	rm_tree(vecdir);
	return 0;
}

struct buf {
	uint8_t *p;
	size_t len;
};

static struct buf load(const char *name)
{
	char path[256];
	struct buf b;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", vecdir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size < 4 * (off_t)MiB);
	b.len = (size_t)st.st_size;
	b.p = malloc(b.len + 1);
	assert_non_null(b.p);
	assert_int_equal(read(fd, b.p, b.len), (ssize_t)b.len);
	close(fd);
	return b;
}

/* A fresh empty target directory; *fd is open on it. */
static char *target(int *fd)
{
	char *d = strdup("/tmp/test_zip_out.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	*fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(*fd >= 0);
	return d;
}

static void untarget(char *d, int fd)
{
	close(fd);
	rm_tree(d);
	free(d);
}

/* Same formula as pat() in the script. */
static uint8_t *pat(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed + (i >> 8));
	return p;
}

static void check_file(int dirfd, const char *path, const void *want, size_t len)
{
	struct stat st;
	uint8_t *got;
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, len);
	got = malloc(len + 1);
	assert_non_null(got);
	assert_int_equal(read(fd, got, len + 1), (ssize_t)len);
	assert_memory_equal(got, want, len);
	free(got);
	close(fd);
}

static void check_dir(int dirfd, const char *path)
{
	struct stat st;

	assert_int_equal(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
}

static size_t count_tree(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (de->d_type == DT_DIR) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			assert_true(sub >= 0);
			n += count_tree(sub);
			close(sub);
		}
	}
	closedir(d);
	return n;
}

/* Both the dry run and a real extraction refuse the archive with code, and err says each of the substrings. */
static void expect_fail_lim(const char *file, const struct zip_limits *lim, int code, ...)
{
	struct buf b = load(file);
	char err[ERRLEN], err2[ERRLEN];
	struct zip_stats st;
	const char *want;
	va_list ap;
	char *d;
	int fd, rc;

	memset(err, 'x', sizeof(err));
	rc = zip_check(b.p, b.len, lim, &st, err, sizeof(err));
	if (rc != code)
		fail_msg("%s: zip_check returned %d, expected %d (%s)", file, rc, code, rc ? err : "");
	d = target(&fd);
	rc = zip_extract(b.p, b.len, fd, lim, &st, err2, sizeof(err2));
	if (rc != code)
		fail_msg("%s: zip_extract returned %d, expected %d (%s)", file, rc, code, rc ? err2 : "");
	assert_string_equal(err, err2);
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(err, want) == NULL)
			fail_msg("%s: message '%s' does not say '%s'", file, err, want);
	va_end(ap);
	untarget(d, fd);
	free(b.p);
}

#define expect_fail(file, code, ...) expect_fail_lim(file, &deflt, code, __VA_ARGS__, NULL)

static void extract_ok(const char *file, const struct zip_limits *lim, struct zip_stats *st, char **d, int *fd)
{
	struct buf b = load(file);
	struct zip_stats dry;
	char err[ERRLEN];
	int rc;

	rc = zip_check(b.p, b.len, lim, &dry, err, sizeof(err));
	if (rc != ZIP_OK)
		fail_msg("%s: zip_check: %s", file, err);
	*d = target(fd);
	rc = zip_extract(b.p, b.len, *fd, lim, st, err, sizeof(err));
	if (rc != ZIP_OK)
		fail_msg("%s: zip_extract: %s", file, err);
	assert_memory_equal(&dry, st, sizeof(dry));
	free(b.p);
}

/* ---- good archives -------------------------------------------------------- */

static void test_stored(void **state)
{
	uint8_t *f = pat(1000, 1);
	struct zip_stats st;
	char *d;
	int fd;

	(void)state;
	extract_ok("stored.zip", &deflt, &st, &d, &fd);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dirs, 1);
	assert_int_equal(st.total_size, 15 + 1000);
	check_file(fd, "hello.txt", "hello, airlock\n", 15);
	check_dir(fd, "d");
	check_dir(fd, "d/e"); /* implied by d/e/f.bin, no entry of its own */
	check_file(fd, "d/e/f.bin", f, 1000);
	assert_int_equal(count_tree(fd), 4);
	untarget(d, fd);
	free(f);
}

static void test_deflate(void **state)
{
	uint8_t *big = pat(300000, 2);
	char longname[256];
	struct zip_stats st;
	char *d;
	int fd;

	(void)state;
	extract_ok("deflate.zip", &deflt, &st, &d, &fd);
	assert_int_equal(st.entries, 7);
	assert_int_equal(st.files, 6);
	assert_int_equal(st.dirs, 1);
	assert_int_equal(st.total_size, 15 + 300000 + 0 + 5 + 2 + 5);
	check_file(fd, "hello.txt", "hello, airlock\n", 15);
	check_file(fd, "big.bin", big, 300000);
	check_file(fd, "empty", "", 0);
	check_dir(fd, "x");
	check_dir(fd, "x/y");
	check_file(fd, "x/y/z.txt", "deep\n", 5);
	check_dir(fd, "dir");
	check_file(fd, "utf8-\xc3\xa9.txt", "u\n", 2);
	memset(longname, 'b', 255);
	longname[255] = '\0';
	check_file(fd, longname, "long\n", 5);
	assert_int_equal(count_tree(fd), 9);
	untarget(d, fd);
	free(big);
}

/* Python writing to a pipe: data descriptors after each entry, zeros in the local headers. */
static void test_stream(void **state)
{
	uint8_t *b = pat(5000, 3);
	struct zip_stats st;
	char *d;
	int fd;

	(void)state;
	extract_ok("stream.zip", &deflt, &st, &d, &fd);
	assert_int_equal(st.files, 2);
	check_file(fd, "a.txt", "streamed\n", 9);
	check_file(fd, "b.bin", b, 5000);
	assert_int_equal(count_tree(fd), 2);
	untarget(d, fd);
	free(b);
}

static void check_infozip(const char *file)
{
	uint8_t *f = pat(20000, 4);
	struct zip_stats st;
	char *d;
	int fd;

	extract_ok(file, &deflt, &st, &d, &fd);
	assert_int_equal(st.entries, 5);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dirs, 3);
	assert_int_equal(st.total_size, 9 + 20000);
	check_file(fd, "readme", "info-zip\n", 9);
	check_dir(fd, "sub");
	check_dir(fd, "sub/dir");
	check_dir(fd, "emptydir");
	check_file(fd, "sub/dir/file", f, 20000);
	assert_int_equal(count_tree(fd), 5);
	untarget(d, fd);
	free(f);
}

static void test_infozip(void **state)
{
	(void)state;
	check_infozip("infozip.zip");
	check_infozip("infozip-stream.zip"); /* `zip -r - .` into a pipe: data descriptors */
}

static void test_comment(void **state)
{
	struct zip_stats st;
	char *d;
	int fd;

	(void)state;
	extract_ok("comment.zip", &deflt, &st, &d, &fd);
	check_file(fd, "hello.txt", "hello, airlock\n", 15);
	untarget(d, fd);
}

struct listed {
	size_t n;
	char names[8][300];
	uint64_t sizes[8];
	int dirs[8];
};

static int collect(const struct zip_entry *e, void *ctx)
{
	struct listed *l = ctx;

	assert_int_equal(e->index, l->n);
	assert_int_equal(strlen(e->name), e->name_len);
	assert_true(l->n < 8);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", e->name);
	l->sizes[l->n] = e->size;
	l->dirs[l->n] = e->is_dir;
	l->n++;
	return 0;
}

static int stop_at_second(const struct zip_entry *e, void *ctx)
{
	(void)ctx;
	return e->index == 1 ? 42 : 0;
}

static void test_list(void **state)
{
	struct buf b = load("stored.zip");
	struct listed l = { 0 };
	char err[ERRLEN];

	(void)state;
	assert_int_equal(zip_list(b.p, b.len, &deflt, collect, &l, err, sizeof(err)), ZIP_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.names[0], "hello.txt");
	assert_string_equal(l.names[1], "d/");
	assert_string_equal(l.names[2], "d/e/f.bin");
	assert_int_equal(l.sizes[0], 15);
	assert_int_equal(l.sizes[2], 1000);
	assert_int_equal(l.dirs[1], 1);
	assert_int_equal(l.dirs[2], 0);
	assert_int_equal(zip_list(b.p, b.len, &deflt, stop_at_second, NULL, err, sizeof(err)), 42);
	free(b.p);
}

/* ---- names and types ------------------------------------------------------ */

static void test_names(void **state)
{
	(void)state;
	expect_fail("abs.zip", ZIP_E_NAME, "entry 1 \"/etc/x\"", "absolute");
	expect_fail("dotdot.zip", ZIP_E_NAME, "entry 1 \"../x\"", "'..'");
	expect_fail("dotdot2.zip", ZIP_E_NAME, "entry 1 \"a/../../x\"", "'..' component at offset 2");
	expect_fail("dot.zip", ZIP_E_NAME, "entry 1 \"./a\"", "'.'");
	expect_fail("emptycomp.zip", ZIP_E_NAME, "entry 1 \"a//b\"", "empty path component");
	expect_fail("backslash.zip", ZIP_E_NAME, "entry 1 \"a\\x5cb\"", "backslash");
	expect_fail("ctrl.zip", ZIP_E_NAME, "entry 1 \"a\\x01b\"", "control character 0x01");
	expect_fail("c1.zip", ZIP_E_NAME, "entry 1 \"a\\xc2\\x85b\"", "control character");
	expect_fail("nul.zip", ZIP_E_NAME, "entry 0 \"a\\x00b\"", "NUL byte");
	expect_fail("notutf8.zip", ZIP_E_NAME, "entry 0", "not UTF-8");
	expect_fail("longcomp.zip", ZIP_E_NAME, "entry 1", "256 bytes, at most 255");
	expect_fail("longname.zip", ZIP_E_NAME, "entry 1", "1254 bytes, at most 1024");
	expect_fail("dup.zip", ZIP_E_DUPLICATE, "entry 1 \"a.txt\"", "same name as entry 0 \"a.txt\"");
	expect_fail("dupdir.zip", ZIP_E_DUPLICATE, "entry 1 \"a/\"", "same name as entry 0 \"a\"");
	expect_fail("below.zip", ZIP_E_DUPLICATE, "entry 1 \"a/b\"", "below entry 0 \"a\", which is a file");
}

static void test_name_check(void **state)
{
	static const struct {
		const char *name;
		int dir_ok, rc;
	} t[] = {
		{ "kernel", 0, ZIP_OK }, { "a/b/c", 0, ZIP_OK }, { "a/b/", 1, ZIP_OK }, { "a/b/", 0, ZIP_E_NAME },
		{ "...", 0, ZIP_OK }, { "..a", 0, ZIP_OK }, { "a..", 0, ZIP_OK }, { "x/.y", 0, ZIP_OK },
		{ "", 0, ZIP_E_NAME }, { "/", 1, ZIP_E_NAME }, { "a/", 0, ZIP_E_NAME }, { "a//", 1, ZIP_E_NAME },
		{ "a/./b", 0, ZIP_E_NAME }, { "a/..", 0, ZIP_E_NAME }, { "../", 1, ZIP_E_NAME },
		{ "a\x7f", 0, ZIP_E_NAME }, { "a\tb", 0, ZIP_E_NAME }, { "C:\\x", 0, ZIP_E_NAME },
		{ "\xc3\xa9", 0, ZIP_OK },              /* U+00E9 */
		{ "\xf0\x9f\x94\x91", 0, ZIP_OK },      /* U+1F511 */
		{ "\xc0\xaf", 0, ZIP_E_NAME },          /* overlong '/' */
		{ "\xe0\x80\xaf", 0, ZIP_E_NAME },      /* overlong '/' */
		{ "\xed\xa0\x80", 0, ZIP_E_NAME },      /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 0, ZIP_E_NAME },  /* U+110000 */
		{ "\xc2\x9b", 0, ZIP_E_NAME },          /* U+009B, CSI */
		{ "\xc3", 0, ZIP_E_NAME },              /* cut short */
	};
	char err[ERRLEN], name[1100];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = zip_name_check(t[i].name, strlen(t[i].name), t[i].dir_ok, err, sizeof(err));

		if (rc != t[i].rc)
			fail_msg("name #%zu: %d, expected %d", i, rc, t[i].rc);
	}
	/* 4 components of 255 and 3 slashes: 1023 bytes, then 1024 with a trailing '/', then 1025. */
	memset(name, 'n', sizeof(name));
	name[255] = name[511] = name[767] = '/';
	assert_int_equal(zip_name_check(name, 1023, 0, err, sizeof(err)), ZIP_OK);
	name[1023] = '/';
	assert_int_equal(zip_name_check(name, 1024, 1, err, sizeof(err)), ZIP_OK);
	name[1023] = 'n';
	name[1024] = 'n';
	assert_int_equal(zip_name_check(name, 1024, 0, err, sizeof(err)), ZIP_E_NAME); /* last is 256 */
	name[1019] = '/';
	assert_int_equal(zip_name_check(name, 1025, 0, err, sizeof(err)), ZIP_E_NAME);
	assert_non_null(strstr(err, "1025 bytes"));
	assert_int_equal(zip_name_check("a\0b", 3, 0, err, sizeof(err)), ZIP_E_NAME);
}

static void test_types(void **state)
{
	(void)state;
	expect_fail("symlink.zip", ZIP_E_TYPE, "entry 1 \"node\"", "symbolic link", "0120777");
	expect_fail("chardev.zip", ZIP_E_TYPE, "entry 1 \"node\"", "character device");
	expect_fail("blockdev.zip", ZIP_E_TYPE, "entry 1 \"node\"", "block device");
	expect_fail("fifo.zip", ZIP_E_TYPE, "entry 1 \"node\"", "fifo");
	expect_fail("socket.zip", ZIP_E_TYPE, "entry 1 \"node\"", "socket");
	expect_fail("dirmode.zip", ZIP_E_TYPE, "entry 1 \"node\"", "directory but the name does not end");
	expect_fail("dosdir.zip", ZIP_E_TYPE, "entry 0 \"node\"", "attributes say directory");
}

/* ---- methods, flags, structure -------------------------------------------- */

static void test_unsupported(void **state)
{
	(void)state;
	expect_fail("bzip2.zip", ZIP_E_UNSUPPORTED, "entry 0 \"a.txt\"", "method 12 (bzip2)");
	expect_fail("lzma.zip", ZIP_E_UNSUPPORTED, "entry 0 \"a.txt\"", "method 14 (lzma)");
	expect_fail("encrypted.zip", ZIP_E_UNSUPPORTED, "entry 0 \"a.txt\"", "encrypted");
	expect_fail("zip64.zip", ZIP_E_UNSUPPORTED, "entry 0 \"a.txt\"", "ZIP64 extra field in the local");
	expect_fail("zip64-eocd.zip", ZIP_E_UNSUPPORTED, "ZIP64");
	expect_fail("multidisk.zip", ZIP_E_UNSUPPORTED, "multi-disk");
}

static void test_integrity(void **state)
{
	(void)state;
	expect_fail("crc-stored.zip", ZIP_E_CRC, "entry 0 \"a.txt\"", "CRC-32");
	expect_fail("crc-data.zip", ZIP_E_CRC, "entry 0 \"a.txt\"", "CRC-32");
	expect_fail("crc-deflate.zip", ZIP_E_CRC, "entry 0 \"a.txt\"", "CRC-32");
	expect_fail("corrupt.zip", ZIP_E_DATA, "entry 0 \"a.txt\"", "corrupt deflate data");
	expect_fail("mismatch-name.zip", ZIP_E_MISMATCH, "entry 1 \"b.txt\"", "local header names \"c.txt\"");
	expect_fail("mismatch-method.zip", ZIP_E_MISMATCH, "entry 0 \"a.txt\"", "method 0");
	expect_fail("mismatch-size.zip", ZIP_E_MISMATCH, "entry 0 \"a.txt\"", "3 bytes");
	expect_fail("mismatch-flags.zip", ZIP_E_MISMATCH, "entry 0 \"a.txt\"", "flags 0x0800");
	expect_fail("dd-mismatch.zip", ZIP_E_MISMATCH, "entry 0 \"a.txt\"", "data descriptor");
	expect_fail("overlap.zip", ZIP_E_OVERLAP, "inside entry");
	expect_fail("outside.zip", ZIP_E_OVERLAP, "entry 0 \"a.txt\"", "outside");
	expect_fail("appended.zip", ZIP_E_FORMAT, "no end of central directory");
	expect_fail("prepended.zip", ZIP_E_FORMAT, "does not end where the end record starts");
}

/* Every strict prefix of a good archive is refused, and so is every single-byte change outside the
 * fields the reader ignores; nothing may crash either way. */
static void test_truncated_and_flipped(void **state)
{
	struct buf b = load("stream.zip");
	char err[ERRLEN];
	size_t ok = 0;

	(void)state;
	for (size_t n = 0; n < b.len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		assert_non_null(cut);
		memcpy(cut, b.p, n);
		err[0] = '\0';
		if (zip_check(cut, n, &deflt, NULL, err, sizeof(err)) == ZIP_OK)
			fail_msg("prefix of %zu bytes accepted", n);
		assert_true(err[0] != '\0');
		free(cut);
	}
	for (size_t i = 0; i < b.len; i++) {
		b.p[i] ^= 0x41;
		ok += zip_check(b.p, b.len, &deflt, NULL, err, sizeof(err)) == ZIP_OK;
		b.p[i] ^= 0x41;
	}
	/* Only flips in fields the reader ignores may pass: per entry, the local header's version,
	 * time and date (6 bytes), the central entry's two versions, time, date, internal attributes
	 * (10) and three bytes of external attributes (DOS bits, low mode bits); two entries. */
	if (ok > 2 * (6 + 10 + 3))
		fail_msg("%zu of %zu single-byte changes accepted", ok, b.len);
	free(b.p);
}

/* ---- limits and bombs ----------------------------------------------------- */

static void test_limits(void **state)
{
	const uint64_t total = 15 + 300000 + 5 + 2 + 5;
	struct zip_limits l;
	struct zip_stats st;
	char *d;
	int fd;

	(void)state;
	l = (struct zip_limits){ 6, 300000, total };
	expect_fail_lim("deflate.zip", &l, ZIP_E_LIMIT, "7 entries, above the limit of 6", NULL);
	l = (struct zip_limits){ 7, 299999, total };
	expect_fail_lim("deflate.zip", &l, ZIP_E_LIMIT, "entry 1 \"big.bin\"", "300000 bytes", NULL);
	l = (struct zip_limits){ 7, 300000, total - 1 };
	expect_fail_lim("deflate.zip", &l, ZIP_E_LIMIT, "declared total", NULL);
	l = (struct zip_limits){ 7, 300000, total }; /* exactly at every limit */
	extract_ok("deflate.zip", &l, &st, &d, &fd);
	assert_int_equal(st.total_size, total);
	untarget(d, fd);
	l = (struct zip_limits){ 0, 1, 1 };
	expect_fail_lim("deflate.zip", &l, ZIP_E_ARG, "limit of 0", NULL);
}

static void test_bombs(void **state)
{
	const struct zip_limits big = { 4, 2048 * MiB, 2048 * MiB };
	struct buf b = load("bomb-1g.zip"), lie;
	struct zip_stats st;
	char err[ERRLEN];
	struct stat s;
	char *d;
	int fd;

	(void)state;
	/* 10 MiB of zeros declared as 1000 bytes: inflation stops at byte 1001. */
	expect_fail("bomb-lie.zip", ZIP_E_DATA, "entry 0 \"zeros\"", "past its declared size of 1000");
	/* An honest 1 GiB of zeros in ~1 MB: refused on its declared size before any inflation. */
	expect_fail("bomb-1g.zip", ZIP_E_LIMIT, "entry 0 \"zeros\"", "1073741824 bytes, above the per-file limit of 268435456");
	/* The same stream declared as 1 MiB. */
	expect_fail("bomb-1g-lie.zip", ZIP_E_DATA, "past its declared size of 1048576");
	lie = load("bomb-1g-lie.zip");
	d = target(&fd);
	assert_int_equal(zip_extract(lie.p, lie.len, fd, &deflt, NULL, err, sizeof(err)), ZIP_E_DATA);
	assert_int_equal(fstatat(fd, "zeros", &s, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(s.st_size <= 1048576); /* never more than declared reached the disk */
	untarget(d, fd);
	free(lie.p);
	/* With limits that allow it, the stream is a valid 1 GiB file (dry run: counted, CRC checked). */
	assert_int_equal(zip_check(b.p, b.len, &big, &st, err, sizeof(err)), ZIP_OK);
	assert_int_equal(st.total_size, 1ull << 30);
	free(b.p);
}

/* ---- the file system ------------------------------------------------------ */

static void test_no_overwrite_no_follow(void **state)
{
	struct buf b = load("stored.zip");
	char err[ERRLEN], *d, *elsewhere;
	int fd, efd;

	(void)state;
	/* Second extraction into the same directory: O_EXCL refuses to replace hello.txt. */
	d = target(&fd);
	assert_int_equal(zip_extract(b.p, b.len, fd, &deflt, NULL, err, sizeof(err)), ZIP_OK);
	assert_int_equal(zip_extract(b.p, b.len, fd, &deflt, NULL, err, sizeof(err)), ZIP_E_IO);
	assert_non_null(strstr(err, "entry 0 \"hello.txt\""));
	assert_non_null(strstr(err, "exists"));
	untarget(d, fd);

	/* A symlink planted where a parent directory goes is not followed. */
	elsewhere = target(&efd);
	d = target(&fd);
	assert_int_equal(symlinkat(elsewhere, fd, "d"), 0);
	assert_int_equal(zip_extract(b.p, b.len, fd, &deflt, NULL, err, sizeof(err)), ZIP_E_IO);
	assert_non_null(strstr(err, "entry 1 \"d/\""));
	assert_int_equal(count_tree(efd), 0);
	untarget(d, fd);

	/* ... nor where a file goes. */
	d = target(&fd);
	assert_int_equal(symlinkat("../x", fd, "hello.txt"), 0);
	assert_int_equal(zip_extract(b.p, b.len, fd, &deflt, NULL, err, sizeof(err)), ZIP_E_IO);
	assert_non_null(strstr(err, "entry 0 \"hello.txt\""));
	untarget(d, fd);
	untarget(elsewhere, efd);
	free(b.p);
}

static void test_args(void **state)
{
	struct buf b = load("stored.zip");
	char err[8];

	(void)state;
	assert_int_equal(zip_check(NULL, 0, &deflt, NULL, err, sizeof(err)), ZIP_E_ARG);
	assert_int_equal(zip_check(b.p, b.len, NULL, NULL, err, sizeof(err)), ZIP_E_ARG);
	assert_int_equal(zip_extract(b.p, b.len, -1, &deflt, NULL, err, sizeof(err)), ZIP_E_ARG);
	assert_int_equal(zip_list(b.p, b.len, &deflt, NULL, NULL, err, sizeof(err)), ZIP_E_ARG);
	/* A short message buffer truncates; a NULL one is allowed. */
	assert_int_equal(zip_check(b.p, 10, &deflt, NULL, err, sizeof(err)), ZIP_E_FORMAT);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(zip_check(b.p, 10, &deflt, NULL, NULL, 0), ZIP_E_FORMAT);
	/* The smallest archive: an end record alone. */
	assert_int_equal(zip_check((const uint8_t *)"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22,
				   &deflt, NULL, err, sizeof(err)), ZIP_OK);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stored),
		cmocka_unit_test(test_deflate),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_infozip),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_integrity),
		cmocka_unit_test(test_truncated_and_flipped),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_no_overwrite_no_follow),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, setup_vectors, teardown_vectors);
}

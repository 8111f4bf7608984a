/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mkcpio: write a Linux initramfs ("newc" cpio, magic 070701) whose bytes depend only on the
 * names, contents and types of the inputs, never on the build host (umask, mtimes, owners,
 * readdir order, inode numbers, staging path).  The image is measured, so any host-dependent
 * byte would break attestation.
 *
 *   mkcpio -o OUT [-t EPOCH] [-s SPECFILE] [DIR]
 *
 * Build host tool: trusted input, glibc, heap allowed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG "mkcpio"
#define MAX_ENTRIES 65536u
#define NEWC_HDR_LEN 110u
#define IO_CHUNK (64u * 1024u)
/* The kernel's gen_init_cpio pads to 512 so that concatenated archives stay block aligned. */
#define ARCHIVE_ALIGN 512u
/* Room for "slink PATH TARGET MODE UID GID" with both strings at their limit. */
#define SPEC_LINE_MAX (2u * PATH_MAX + 64u)
#define SPEC_MAX_FIELDS 8u
/* Linux dev_t as the initramfs unpacker rebuilds it (MKDEV): 12-bit major, 20-bit minor. */
#define DEV_MAJOR_MAX 4095u
#define DEV_MINOR_MAX 1048575u
/* (uid_t)-1 means "no change" to chown(), so the kernel could never apply it. */
#define ID_MAX 4294967294u
#define NEWC_FIELD_MAX 0xFFFFFFFFu

enum origin { FROM_DIR, FROM_SPEC };

struct entry {
	char *path;	/* archive name: relative, no leading "/" or "./" */
	char *target;	/* symlink target, else NULL */
	uint32_t mode;	/* file type and permission bits as archived */
	uint32_t uid, gid;
	uint32_t rmajor, rminor;
	uint64_t size;	/* DIR regular files: size seen by the walk */
	dev_t dev;	/* DIR entries: identity seen by the walk, to notice swaps */
	ino_t ino;
	enum origin origin;
	unsigned long line; /* FROM_SPEC: line number in the spec file */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

struct out {
	int fd;
	const char *name;
	uint64_t off;
	size_t len;
	unsigned char buf[IO_CHUNK];
};

struct spec_ctx {
	const char *name;
	unsigned long line;
};

static struct out g_out;
static unsigned char g_readbuf[IO_CHUNK];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(void)
{
	fputs("usage: " PROG " -o OUT [-t EPOCH] [-s SPECFILE] [DIR]\n"
	      "  writes DIR (and the dir/nod/slink lines of SPECFILE) as a deterministic\n"
	      "  newc cpio; EPOCH defaults to $SOURCE_DATE_EPOCH, else 0\n",
	      stderr);
}

/* Decimal only, no sign, no spaces: anything else is a typo we must not guess about. */
static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;
	int rc = -1;

	if (s[0] == '\0')
		goto out;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto out;
		v = v * 10u + (uint64_t)(*p - '0');
		/* Checked every digit, so v never exceeds max * 10 + 9 and cannot wrap. */
		if (v > max)
			goto out;
	}
	*out = v;
	rc = 0;
out:
	return rc;
}

static int parse_mode(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	const char *p;
	int rc = -1;

	if (s[0] == '\0')
		goto out;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			goto out;
		v = v * 8u + (uint32_t)(*p - '0');
		if (v > 07777u)
			goto out;
	}
	*out = v;
	rc = 0;
out:
	return rc;
}

static int resolve_epoch(const char *arg, uint32_t *out)
{
	const char *src = "-t";
	const char *s = arg;
	uint64_t v = 0;
	int rc = -1;

	if (s == NULL) {
		src = "SOURCE_DATE_EPOCH";
		s = getenv(src);
	}
	if (s == NULL) {
		*out = 0;
		rc = 0;
		goto out;
	}
	/* newc mtime is 8 hex digits; a wrapped time would silently misdate every file. */
	if (parse_dec(s, NEWC_FIELD_MAX, &v) != 0) {
		fail("%s: '%s' is not a decimal number of seconds in 0..%u", src, s,
		     NEWC_FIELD_MAX);
		goto out;
	}
	*out = (uint32_t)v;
	rc = 0;
out:
	return rc;
}

static struct entry *entries_add(struct entries *es)
{
	struct entry *e = NULL;

	if (es->n >= MAX_ENTRIES) {
		fail("more than %u entries; raise MAX_ENTRIES in src/tools/mkcpio.c if this is "
		     "intended", MAX_ENTRIES);
		goto out;
	}
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2u : 256u;
		struct entry *v;

		if (cap > MAX_ENTRIES)
			cap = MAX_ENTRIES;
		v = realloc(es->v, cap * sizeof(*v));
		if (v == NULL) {
			fail("out of memory for %zu entries", cap);
			goto out;
		}
		es->v = v;
		es->cap = cap;
	}
	e = &es->v[es->n++];
	memset(e, 0, sizeof(*e));
out:
	return e;
}

static void entries_free(struct entries *es)
{
	size_t i;

	for (i = 0; i < es->n; i++) {
		free(es->v[i].path);
		free(es->v[i].target);
	}
	free(es->v);
	es->v = NULL;
	es->n = es->cap = 0;
}

/* ---- staging directory ---- */

static int add_dir_entry(const char *root, int dfd, const char *rel, const char *name,
			 struct entries *es)
{
	struct stat st;
	struct entry *e;
	char *path = NULL;
	char *target = NULL;
	size_t plen;
	ssize_t n;
	int rc = -1;

	plen = (rel ? strlen(rel) + 1u : 0u) + strlen(name);
	/* The kernel skips names longer than PATH_MAX including the NUL. */
	if (plen + 1u > PATH_MAX) {
		fail("%s/%s/%s: path longer than %d bytes", root, rel ? rel : ".", name,
		     PATH_MAX - 1);
		goto out;
	}
	path = malloc(plen + 1u);
	if (path == NULL) {
		fail("out of memory");
		goto out;
	}
	if (rel) {
		if (snprintf(path, plen + 1u, "%s/%s", rel, name) != (int)plen) {
			fail("internal error joining %s and %s", rel, name);
			goto out;
		}
	} else {
		memcpy(path, name, plen + 1u);
	}

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		fail("%s/%s: cannot stat: %s", root, path, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		target = malloc(PATH_MAX);
		if (target == NULL) {
			fail("out of memory");
			goto out;
		}
		n = readlinkat(dfd, name, target, PATH_MAX);
		if (n < 0) {
			fail("%s/%s: cannot read symlink: %s", root, path, strerror(errno));
			goto out;
		}
		/* readlink truncates silently; a full buffer means the target did not fit. */
		if ((size_t)n >= PATH_MAX) {
			fail("%s/%s: symlink target longer than %d bytes", root, path,
			     PATH_MAX - 1);
			goto out;
		}
		target[n] = '\0';
	} else if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > NEWC_FIELD_MAX) {
			fail("%s/%s: %lld bytes does not fit newc's 32-bit size field", root,
			     path, (long long)st.st_size);
			goto out;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		fail("%s/%s: not a regular file, directory or symlink (type %06o); put device "
		     "nodes in the spec file instead", root, path,
		     (unsigned)(st.st_mode & S_IFMT));
		goto out;
	}

	e = entries_add(es);
	if (e == NULL)
		goto out;
	/* Host permissions come from umask and checkout tools, so only "executable or not"
	 * survives; setuid/setgid/sticky never leak from a build tree. */
	if (S_ISDIR(st.st_mode))
		e->mode = S_IFDIR | 0755u;
	else if (S_ISLNK(st.st_mode))
		e->mode = S_IFLNK | 0777u;
	else
		e->mode = S_IFREG | ((st.st_mode & 0111u) ? 0755u : 0644u);
	e->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0u;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->origin = FROM_DIR;
	e->path = path;
	e->target = target;
	path = NULL;
	target = NULL;
	rc = 0;
out:
	free(path);
	free(target);
	return rc;
}

static int scan_dir(const char *root, int rootfd, const char *rel, dev_t dev, ino_t ino,
		    struct entries *es)
{
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int fd;
	int rc = -1;

	fd = openat(rootfd, rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fail("%s/%s: cannot open directory: %s", root, rel ? rel : ".", strerror(errno));
		goto out;
	}
	if (rel) {
		if (fstat(fd, &st) != 0) {
			fail("%s/%s: cannot stat: %s", root, rel, strerror(errno));
			goto out;
		}
		if (st.st_dev != dev || st.st_ino != ino) {
			fail("%s/%s: replaced while being archived; is a build still running?",
			     root, rel);
			goto out;
		}
	}
	d = fdopendir(fd);
	if (d == NULL) {
		fail("%s/%s: cannot read directory: %s", root, rel ? rel : ".", strerror(errno));
		goto out;
	}
	fd = -1;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				fail("%s/%s: cannot read directory: %s", root, rel ? rel : ".",
				     strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (add_dir_entry(root, dirfd(d), rel, de->d_name, es) != 0)
			goto out;
	}
	rc = 0;
out:
	if (d != NULL && closedir(d) != 0 && rc == 0) {
		fail("%s/%s: cannot close directory: %s", root, rel ? rel : ".", strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		(void)close(fd); /* error path, read-only: nothing more to report */
	return rc;
}

/* Breadth-first over the entry list itself: no recursion and one open directory at a
 * time, so depth is bounded by PATH_MAX rather than by the stack or the fd limit. */
static int walk_tree(const char *root, int rootfd, struct entries *es)
{
	size_t i;
	int rc = -1;

	if (scan_dir(root, rootfd, NULL, 0, 0, es) != 0)
		goto out;
	for (i = 0; i < es->n; i++) {
		/* es->v moves when scan_dir grows it; the path string does not. */
		const char *rel = es->v[i].path;
		dev_t dev = es->v[i].dev;
		ino_t ino = es->v[i].ino;

		if (!S_ISDIR(es->v[i].mode))
			continue;
		if (scan_dir(root, rootfd, rel, dev, ino, es) != 0)
			goto out;
	}
	rc = 0;
out:
	return rc;
}

/* ---- spec file ---- */

static void spec_fail(const struct spec_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void spec_fail(const struct spec_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s:%lu: ", c->name, c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Only canonical absolute paths: the kernel would create "a//b" or "a/./b" under a name
 * other than the one we sort and de-duplicate by. */
static int spec_path(const struct spec_ctx *c, const char *s, char **out)
{
	const char *comp;
	size_t len = strlen(s);
	int rc = -1;

	if (s[0] != '/') {
		spec_fail(c, "path '%s' must be absolute (start with '/')", s);
		goto out;
	}
	if (len < 2u) {
		spec_fail(c, "path '/' is the archive root and cannot be an entry");
		goto out;
	}
	if (len > PATH_MAX) { /* stored without the '/', plus NUL: len bytes */
		spec_fail(c, "path longer than %d bytes", PATH_MAX);
		goto out;
	}
	comp = s + 1;
	for (;;) {
		const char *slash = strchr(comp, '/');
		size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);

		if (clen == 0u || (clen == 1u && comp[0] == '.') ||
		    (clen == 2u && comp[0] == '.' && comp[1] == '.')) {
			spec_fail(c, "path '%s' has an empty, '.' or '..' component", s);
			goto out;
		}
		if (slash == NULL)
			break;
		comp = slash + 1;
	}
	*out = strdup(s + 1);
	if (*out == NULL) {
		spec_fail(c, "out of memory");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static int spec_mode(const struct spec_ctx *c, const char *s, uint32_t *out)
{
	int rc = parse_mode(s, out);

	if (rc != 0)
		spec_fail(c, "mode '%s' is not octal in 0..7777", s);
	return rc;
}

/* Decimal field of at most max (uid, gid, major, minor). */
static int spec_num(const struct spec_ctx *c, const char *what, const char *s, uint32_t max,
		    uint32_t *out)
{
	uint64_t v = 0;
	int rc = parse_dec(s, max, &v);

	if (rc != 0)
		spec_fail(c, "%s '%s' is not a decimal number in 0..%u", what, s, max);
	else
		*out = (uint32_t)v;
	return rc;
}

/* The "MODE UID GID" triple that every entry type carries. */
static int spec_attrs(const struct spec_ctx *c, char *const f[3], struct entry *e)
{
	int rc = -1;

	if (spec_mode(c, f[0], &e->mode) != 0 || spec_num(c, "uid", f[1], ID_MAX, &e->uid) != 0 ||
	    spec_num(c, "gid", f[2], ID_MAX, &e->gid) != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

static int spec_line(const struct spec_ctx *c, char *line, struct entries *es)
{
	char *f[SPEC_MAX_FIELDS + 1u];
	struct entry tmp;
	struct entry *e;
	const char *shape;
	size_t nf = 0, want;
	char *p = line;
	int rc = -1;

	memset(&tmp, 0, sizeof(tmp));
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#') {
		rc = 0;
		goto out;
	}
	/* Split on blanks by hand so that a wrong field count is seen, not absorbed. */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (nf == SPEC_MAX_FIELDS + 1u) {
			spec_fail(c, "too many fields (at most %u)", SPEC_MAX_FIELDS);
			goto out;
		}
		f[nf++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}

	if (strcmp(f[0], "dir") == 0) {
		want = 5u;
		shape = "dir PATH MODE UID GID";
	} else if (strcmp(f[0], "nod") == 0) {
		want = 8u;
		shape = "nod PATH MODE UID GID c|b MAJ MIN";
	} else if (strcmp(f[0], "slink") == 0) {
		want = 6u;
		shape = "slink PATH TARGET MODE UID GID";
	} else if (strcmp(f[0], "file") == 0 || strcmp(f[0], "pipe") == 0 ||
		   strcmp(f[0], "sock") == 0) {
		spec_fail(c, "type '%s' is not supported here (regular files belong in DIR; "
			  "only dir, nod and slink are allowed)", f[0]);
		goto out;
	} else {
		spec_fail(c, "unknown entry type '%s' (expected dir, nod or slink)", f[0]);
		goto out;
	}
	if (nf != want) {
		spec_fail(c, "%s %zu fields, expected %zu: %s", nf < want ? "missing field:" :
			  "too many fields:", nf, want, shape);
		goto out;
	}

	if (spec_path(c, f[1], &tmp.path) != 0)
		goto out;
	if (want == 5u) { /* dir */
		if (spec_attrs(c, &f[2], &tmp) != 0)
			goto out;
		tmp.mode |= S_IFDIR;
	} else if (want == 8u) { /* nod */
		if (spec_attrs(c, &f[2], &tmp) != 0)
			goto out;
		if (strcmp(f[5], "c") == 0) {
			tmp.mode |= S_IFCHR;
		} else if (strcmp(f[5], "b") == 0) {
			tmp.mode |= S_IFBLK;
		} else {
			spec_fail(c, "device type '%s' must be 'c' or 'b'", f[5]);
			goto out;
		}
		if (spec_num(c, "major", f[6], DEV_MAJOR_MAX, &tmp.rmajor) != 0 ||
		    spec_num(c, "minor", f[7], DEV_MINOR_MAX, &tmp.rminor) != 0)
			goto out;
	} else { /* slink */
		/* Same bound as the kernel's symlink buffer; blanks cannot occur here. */
		if (strlen(f[2]) >= PATH_MAX) {
			spec_fail(c, "symlink target longer than %d bytes", PATH_MAX - 1);
			goto out;
		}
		tmp.target = strdup(f[2]);
		if (tmp.target == NULL) {
			spec_fail(c, "out of memory");
			goto out;
		}
		if (spec_attrs(c, &f[3], &tmp) != 0)
			goto out;
		tmp.mode |= S_IFLNK;
	}
	tmp.origin = FROM_SPEC;
	tmp.line = c->line;

	e = entries_add(es);
	if (e == NULL)
		goto out;
	*e = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rc = 0;
out:
	free(tmp.path);
	free(tmp.target);
	return rc;
}

static int parse_spec(const char *name, struct entries *es)
{
	static char line[SPEC_LINE_MAX + 1u];
	struct spec_ctx c = { name, 0 };
	FILE *f;
	size_t len = 0;
	int ch, rc = -1;

	f = fopen(name, "re");
	if (f == NULL) {
		fail("%s: cannot open spec file: %s", name, strerror(errno));
		goto out;
	}
	c.line = 1;
	for (;;) {
		ch = getc(f);
		if (ch == EOF) {
			if (ferror(f)) {
				fail("%s: cannot read spec file: %s", name, strerror(errno));
				goto out;
			}
			/* A last line without '\n' still counts. */
			if (len > 0u) {
				line[len] = '\0';
				if (spec_line(&c, line, es) != 0)
					goto out;
			}
			break;
		}
		if (ch == '\n') {
			line[len] = '\0';
			if (spec_line(&c, line, es) != 0)
				goto out;
			len = 0;
			c.line++;
			continue;
		}
		if (ch == '\0') {
			spec_fail(&c, "NUL byte in line");
			goto out;
		}
		if (ch == '\r') {
			spec_fail(&c, "carriage return in line (convert DOS line endings)");
			goto out;
		}
		if (len == SPEC_LINE_MAX) {
			spec_fail(&c, "line longer than %u bytes", SPEC_LINE_MAX);
			goto out;
		}
		line[len++] = (char)ch;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0) {
		fail("%s: cannot close spec file: %s", name, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* ---- ordering and consistency ---- */

/* strcmp compares as unsigned char, i.e. memcmp order; a prefix sorts first, so every
 * directory precedes its contents.  Ties only exist for duplicates, which are errors:
 * break them so the report is stable (DIR first, then spec line order). */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	if (r != 0)
		return r;
	if (x->origin != y->origin)
		return x->origin == FROM_DIR ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* Binary search for the first len bytes of s (es is sorted by entry_cmp). */
static const struct entry *find_path(const struct entries *es, const char *s, size_t len)
{
	const struct entry *found = NULL;
	size_t lo = 0, hi = es->n;

	while (lo < hi && found == NULL) {
		size_t mid = lo + (hi - lo) / 2u;
		const char *p = es->v[mid].path;
		int r = strncmp(s, p, len);

		if (r == 0 && p[len] != '\0')
			r = -1; /* the key is a proper prefix of p, so it sorts first */
		if (r == 0)
			found = &es->v[mid];
		else if (r < 0)
			hi = mid;
		else
			lo = mid + 1u;
	}
	return found;
}

static int check_entries(const char *root, const char *spec, const struct entries *es)
{
	size_t i;
	int rc = -1;

	for (i = 0; i < es->n; i++) {
		const struct entry *e = &es->v[i];
		const struct entry *parent;
		const char *slash;
		struct spec_ctx c = { spec, e->line };

		if (i > 0u && strcmp(es->v[i - 1u].path, e->path) == 0) {
			const struct entry *first = &es->v[i - 1u];

			/* Only spec lines can collide: a directory cannot list a name twice. */
			if (first->origin == FROM_DIR)
				spec_fail(&c, "/%s is also in %s (%s/%s); remove one of them",
					  e->path, root, root, e->path);
			else
				spec_fail(&c, "/%s already defined on line %lu", e->path,
					  first->line);
			goto out;
		}
		slash = strrchr(e->path, '/');
		if (slash == NULL)
			continue;
		/* The kernel does not create missing parents: the entry would be lost. */
		parent = find_path(es, e->path, (size_t)(slash - e->path));
		if (parent == NULL || !S_ISDIR(parent->mode)) {
			if (e->origin == FROM_SPEC)
				spec_fail(&c, "parent of /%s is not a directory in the archive; add "
					  "a 'dir' line for it", e->path);
			else
				fail("%s/%s: parent is not a directory in the archive", root,
				     e->path);
			goto out;
		}
	}
	rc = 0;
out:
	return rc;
}

/* ---- output ---- */

static int out_flush(struct out *o)
{
	size_t done = 0;
	int rc = -1;

	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("%s: write failed: %s", o->name, strerror(errno));
			goto out;
		}
		if (n == 0) {
			fail("%s: write made no progress", o->name);
			goto out;
		}
		done += (size_t)n;
	}
	o->len = 0;
	rc = 0;
out:
	return rc;
}

static int out_put(struct out *o, const void *data, size_t n)
{
	const unsigned char *p = data;
	int rc = -1;

	while (n > 0u) {
		size_t room = sizeof(o->buf) - o->len;
		size_t k = n < room ? n : room;

		memcpy(o->buf + o->len, p, k);
		o->len += k;
		o->off += k;
		p += k;
		n -= k;
		if (o->len == sizeof(o->buf) && out_flush(o) != 0)
			goto out;
	}
	rc = 0;
out:
	return rc;
}

/* Zero-fill up to the next multiple of align (4 or ARCHIVE_ALIGN). */
static int out_pad(struct out *o, uint64_t align)
{
	static const unsigned char zeros[ARCHIVE_ALIGN];
	uint64_t rem = o->off % align;

	return rem == 0u ? 0 : out_put(o, zeros, (size_t)(align - rem));
}

static int out_header(struct out *o, uint32_t ino, uint32_t mode, uint32_t uid, uint32_t gid,
		      uint32_t nlink, uint32_t mtime, uint32_t size, uint32_t rmajor,
		      uint32_t rminor, const char *name)
{
	char hdr[NEWC_HDR_LEN + 1u];
	size_t namesize = strlen(name) + 1u;
	int n, rc = -1;

	/* Upper-case hex like the kernel's gen_init_cpio; devmajor/devminor are 0 because
	 * the host's device numbers are not part of what we ship. */
	n = snprintf(hdr, sizeof(hdr),
		     "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		     (unsigned)ino, (unsigned)mode, (unsigned)uid, (unsigned)gid,
		     (unsigned)nlink, (unsigned)mtime, (unsigned)size, 0u, 0u,
		     (unsigned)rmajor, (unsigned)rminor, (unsigned)namesize, 0u);
	if (n != (int)NEWC_HDR_LEN) {
		fail("internal error: header for %s is %d bytes", name, n);
		goto out;
	}
	/* Header starts 4-aligned, so padding the offset pads header+name as newc wants. */
	if (out_put(o, hdr, NEWC_HDR_LEN) != 0 || out_put(o, name, namesize) != 0 ||
	    out_pad(o, 4u) != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

static int copy_file(struct out *o, const char *root, int rootfd, const struct entry *e,
		     uint32_t ino, uint32_t mtime)
{
	struct stat st;
	uint64_t left;
	ssize_t n;
	int fd, rc = -1;

	/* O_NONBLOCK: if something swapped in a fifo, fail below instead of hanging. */
	fd = openat(rootfd, e->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fail("%s/%s: cannot open: %s", root, e->path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		fail("%s/%s: cannot stat: %s", root, e->path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != e->dev || st.st_ino != e->ino ||
	    (uint64_t)st.st_size != e->size) {
		fail("%s/%s: changed while being archived; is a build still running?", root,
		     e->path);
		goto out;
	}
	if (out_header(o, ino, e->mode, 0, 0, 1, mtime, (uint32_t)e->size, 0, 0, e->path) != 0)
		goto out;
	left = e->size;
	/* Read one byte past the size seen by stat so a growing file is caught, not cut. */
	for (;;) {
		size_t want = left < sizeof(g_readbuf) ? (size_t)left + 1u : sizeof(g_readbuf);

		n = read(fd, g_readbuf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("%s/%s: read failed: %s", root, e->path, strerror(errno));
			goto out;
		}
		if ((uint64_t)n > left) {
			fail("%s/%s: grew while being archived", root, e->path);
			goto out;
		}
		if (n == 0) {
			if (left != 0u) {
				fail("%s/%s: shrank while being archived", root, e->path);
				goto out;
			}
			break;
		}
		if (out_put(o, g_readbuf, (size_t)n) != 0)
			goto out;
		left -= (uint64_t)n;
	}
	if (out_pad(o, 4u) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		fail("%s/%s: close failed: %s", root, e->path, strerror(errno));
		rc = -1;
	}
	return rc;
}

static int write_archive(struct out *o, const char *root, int rootfd, const struct entries *es,
			 uint32_t mtime)
{
	static const char trailer[] = "TRAILER!!!";
	size_t i;
	int rc = -1;

	for (i = 0; i < es->n; i++) {
		const struct entry *e = &es->v[i];
		uint32_t ino = (uint32_t)(i + 1u); /* 1..N in archive order, never host inodes */

		if (S_ISREG(e->mode)) {
			if (copy_file(o, root, rootfd, e, ino, mtime) != 0)
				goto out;
		} else if (S_ISLNK(e->mode)) {
			/* Target stored without a NUL (filesize = strlen), as GNU cpio and
			 * libarchive do; the kernel terminates it itself. */
			size_t tlen = strlen(e->target);

			if (out_header(o, ino, e->mode, e->uid, e->gid, 1, mtime, (uint32_t)tlen,
				       0, 0, e->path) != 0 ||
			    out_put(o, e->target, tlen) != 0 || out_pad(o, 4u) != 0)
				goto out;
		} else {
			uint32_t nlink = S_ISDIR(e->mode) ? 2u : 1u;

			if (out_header(o, ino, e->mode, e->uid, e->gid, nlink, mtime, 0,
				       e->rmajor, e->rminor, e->path) != 0)
				goto out;
		}
	}
	if (out_header(o, 0, 0, 0, 0, 1, 0, 0, 0, 0, trailer) != 0 ||
	    out_pad(o, ARCHIVE_ALIGN) != 0 || out_flush(o) != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

int main(int argc, char **argv)
{
	const char *out_path = NULL, *epoch_arg = NULL, *spec = NULL, *root = NULL;
	struct entries es = { NULL, 0, 0 };
	char *tmp_path = NULL;
	uint32_t mtime = 0;
	size_t olen;
	int rootfd = -1, outfd = -1, tmp_made = 0;
	int opt, status = 1;

	while ((opt = getopt(argc, argv, "o:t:s:h")) != -1) {
		switch (opt) {
		case 'o':
			out_path = optarg;
			break;
		case 't':
			epoch_arg = optarg;
			break;
		case 's':
			spec = optarg;
			break;
		default:
			usage();
			goto out;
		}
	}
	if (out_path == NULL || out_path[0] == '\0' || argc - optind > 1) {
		usage();
		goto out;
	}
	if (optind < argc)
		root = argv[optind];
	if (resolve_epoch(epoch_arg, &mtime) != 0)
		goto out;

	if (root != NULL) {
		rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			fail("%s: cannot open staging directory: %s", root, strerror(errno));
			goto out;
		}
		if (walk_tree(root, rootfd, &es) != 0)
			goto out;
	}
	if (spec != NULL && parse_spec(spec, &es) != 0)
		goto out;
	if (es.n > 1u)
		qsort(es.v, es.n, sizeof(es.v[0]), entry_cmp);
	if (check_entries(root ? root : "DIR", spec ? spec : "SPECFILE", &es) != 0)
		goto out;

	olen = strlen(out_path);
	tmp_path = malloc(olen + sizeof(".tmp"));
	if (tmp_path == NULL) {
		fail("out of memory");
		goto out;
	}
	memcpy(tmp_path, out_path, olen);
	memcpy(tmp_path + olen, ".tmp", sizeof(".tmp"));
	/* A stale temp file from a killed run must not be reused: its inode might be in DIR. */
	if (unlink(tmp_path) != 0 && errno != ENOENT) {
		fail("%s: cannot remove stale temp file: %s", tmp_path, strerror(errno));
		goto out;
	}
	outfd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (outfd < 0) {
		fail("%s: cannot create: %s", tmp_path, strerror(errno));
		goto out;
	}
	tmp_made = 1;
	g_out.fd = outfd;
	g_out.name = tmp_path;
	if (write_archive(&g_out, root ? root : "DIR", rootfd, &es, mtime) != 0)
		goto out;
	if (fsync(outfd) != 0) {
		fail("%s: fsync failed: %s", tmp_path, strerror(errno));
		goto out;
	}
	if (close(outfd) != 0) {
		outfd = -1;
		fail("%s: close failed: %s", tmp_path, strerror(errno));
		goto out;
	}
	outfd = -1;
	if (rename(tmp_path, out_path) != 0) {
		fail("%s: cannot rename to %s: %s", tmp_path, out_path, strerror(errno));
		goto out;
	}
	tmp_made = 0;
	status = 0;
out:
	if (outfd >= 0)
		(void)close(outfd); /* only on failure; the temp file is removed next */
	if (tmp_made && unlink(tmp_path) != 0)
		fail("%s: cannot remove temp file: %s", tmp_path, strerror(errno));
	if (rootfd >= 0)
		(void)close(rootfd); /* read-only */
	free(tmp_path);
	entries_free(&es);
	return status;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Read-only ZIP reader and extractor for the tenant payload; see zip.h. */
#include "zip.h"
#include "bytes.h"
#include "fd_write.h"
#include "lib_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_DESCRIPTOR 0x08074b50u
#define SIG_ZIP64_LOCATOR 0x07064b50u

#define LOCAL_SIZE 30
#define CENTRAL_SIZE 46
#define EOCD_SIZE 22
#define ZIP64_LOCATOR_SIZE 20
#define DESCRIPTOR_SIZE 12 /* CRC-32, compressed size, size; the signature is optional */
#define COMMENT_MAX 65535

#define FLAG_ENCRYPTED 0x0001u
#define FLAG_DESCRIPTOR 0x0008u
#define FLAG_PATCHED 0x0020u
#define FLAG_STRONG_ENCRYPTION 0x0040u
#define FLAG_MASKED_HEADERS 0x2000u

#define EXTRA_ZIP64 0x0001u
#define DOS_ATTR_DIR 0x10u
#define HOST_UNIX 3

#define CHUNK (64 * 1024)
#define NAME_SHOWN 64 /* bytes of a name quoted in messages */

struct ent {
	size_t index;
	const uint8_t *name; /* central directory copy, not NUL-terminated */
	size_t name_len;
	size_t key_len; /* name_len without a directory's trailing '/' */
	uint16_t flags;
	uint16_t method;
	uint32_t crc;
	uint32_t comp_size;
	uint32_t size;
	size_t local_off;
	size_t data_off; /* set by the local header pass */
	size_t end;      /* after the data and any data descriptor */
	bool is_dir;
};

struct archive {
	const uint8_t *p;
	size_t len;
	size_t cd_off;
	size_t n;
	struct ent *e;
	struct ent **sorted; /* scratch for the name and layout passes */
};

/* A name as it may appear in a log line: printable ASCII, the rest as \xHH, cut at NAME_SHOWN. */
static const char *shown(const uint8_t *name, size_t len, char out[NAME_SHOWN * 4 + 4])
{
	size_t o = 0;

	for (size_t i = 0; i < len && i < NAME_SHOWN; i++) {
		uint8_t c = name[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	if (len > NAME_SHOWN) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

#define ENTFMT "entry %zu \"%s\": "
#define ENTARG(e, buf) (e)->index, shown((e)->name, (e)->name_len, (buf))

static const char *method_name(uint16_t m)
{
	switch (m) {
	case 1: return "shrink";
	case 6: return "implode";
	case 9: return "deflate64";
	case 12: return "bzip2";
	case 14: return "lzma";
	case 93: return "zstd";
	case 95: return "xz";
	case 96: return "jpeg";
	case 97: return "wavpack";
	case 98: return "ppmd";
	case 99: return "aes-encrypted";
	default: return "unknown";
	}
}

static const char *mode_type_name(uint32_t type)
{
	switch (type) {
	case S_IFLNK: return "a symbolic link";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFIFO: return "a fifo";
	case S_IFSOCK: return "a socket";
	default: return "of an unknown file type";
	}
}

/* ---- names ---------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (0 if invalid, overlong, a surrogate, above U+10FFFF or a C1 control). */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp, min;
	size_t need;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1fu;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0fu;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return need;
}

int zip_name_check(const char *name, size_t len, int allow_dir, char *err, size_t errlen)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t body, start;

	if (name == NULL || len == 0) {
		lib_err(err, errlen, "empty name");
		return ZIP_E_NAME;
	}
	if (len > ZIP_NAME_MAX) {
		lib_err(err, errlen, "name is %zu bytes, at most %d allowed", len, ZIP_NAME_MAX);
		return ZIP_E_NAME;
	}
	if (s[0] == '/') {
		lib_err(err, errlen, "absolute path; names must be relative");
		return ZIP_E_NAME;
	}
	for (size_t i = 0; i < len;) {
		size_t n;

		if (s[i] == 0) {
			lib_err(err, errlen, "NUL byte at offset %zu", i);
			return ZIP_E_NAME;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			lib_err(err, errlen, "control character 0x%02x at offset %zu", s[i], i);
			return ZIP_E_NAME;
		}
		if (s[i] == '\\') {
			lib_err(err, errlen, "backslash at offset %zu; the separator is '/'", i);
			return ZIP_E_NAME;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(s + i, len - i);
		if (n == 0) {
			lib_err(err, errlen, "not UTF-8, or a control character, at offset %zu", i);
			return ZIP_E_NAME;
		}
		i += n;
	}
	body = len;
	if (s[len - 1] == '/') {
		if (!allow_dir) {
			lib_err(err, errlen, "ends in '/'");
			return ZIP_E_NAME;
		}
		body--;
	}
	start = 0;
	for (size_t i = 0; i <= body; i++) {
		size_t clen;

		if (i < body && s[i] != '/')
			continue;
		clen = i - start;
		if (clen == 0) {
			lib_err(err, errlen, "empty path component at offset %zu", start);
			return ZIP_E_NAME;
		}
		if (clen > ZIP_COMPONENT_MAX) {
			lib_err(err, errlen, "path component at offset %zu is %zu bytes, at most %d allowed",
			       start, clen, ZIP_COMPONENT_MAX);
			return ZIP_E_NAME;
		}
		if ((clen == 1 && s[start] == '.') || (clen == 2 && s[start] == '.' && s[start + 1] == '.')) {
			lib_err(err, errlen, "'%.*s' component at offset %zu", (int)clen, name + start, start);
			return ZIP_E_NAME;
		}
		start = i + 1;
	}
	return ZIP_OK;
}

/* ---- structure ------------------------------------------------------------ */

/* Extra fields must be well-formed (id, size, data) and carry no ZIP64 record. */
static int check_extra(const uint8_t *x, size_t n, const struct ent *e, const char *where,
		       char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4];
	size_t pos = 0;

	while (pos < n) {
		uint16_t id, sz;

		if (4 > n - pos) {
			lib_err(err, errlen, ENTFMT "%s extra field: %zu stray bytes at its end",
			       ENTARG(e, nb), where, n - pos);
			return ZIP_E_FORMAT;
		}
		id = load_le16(x + pos);
		sz = load_le16(x + pos + 2);
		pos += 4;
		if (sz > n - pos) {
			lib_err(err, errlen, ENTFMT "%s extra field 0x%04x: %u bytes declared, %zu present",
			       ENTARG(e, nb), where, id, sz, n - pos);
			return ZIP_E_FORMAT;
		}
		if (id == EXTRA_ZIP64) {
			lib_err(err, errlen, ENTFMT "ZIP64 extra field in the %s header; ZIP64 is not supported",
			       ENTARG(e, nb), where);
			return ZIP_E_UNSUPPORTED;
		}
		pos += sz;
	}
	return ZIP_OK;
}

static int find_eocd(const uint8_t *p, size_t len, size_t *eocd, char *err, size_t errlen)
{
	size_t lowest, pos;

	if (len < EOCD_SIZE) {
		lib_err(err, errlen, "%zu bytes is too short for a zip archive (at least %d)", len, EOCD_SIZE);
		return ZIP_E_FORMAT;
	}
	pos = len - EOCD_SIZE;
	lowest = pos > COMMENT_MAX ? pos - COMMENT_MAX : 0;
	for (;;) {
		/* The comment must reach exactly to the end: nothing may be appended. */
		if (load_le32(p + pos) == SIG_EOCD && load_le16(p + pos + 20) == len - pos - EOCD_SIZE) {
			*eocd = pos;
			return ZIP_OK;
		}
		if (pos == lowest)
			break;
		pos--;
	}
	lib_err(err, errlen, "no end of central directory record in the last %zu bytes: "
	       "not a zip archive, truncated, or bytes appended to it", len - lowest);
	return ZIP_E_FORMAT;
}

static int parse_central(struct archive *ar, size_t eocd, const struct zip_limits *lim,
			 char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4], why[160];
	const uint8_t *p = ar->p;
	uint64_t total = 0;
	size_t pos = ar->cd_off;
	int ret;

	for (size_t i = 0; i < ar->n; i++) {
		struct ent *e = &ar->e[i];
		const uint8_t *h = p + pos;
		uint16_t nlen, xlen, clen, disk;
		uint32_t ext, type;

		e->index = i;
		if (CENTRAL_SIZE > eocd - pos) {
			lib_err(err, errlen, "central directory entry %zu at offset %zu runs past the "
			       "directory's end", i, pos);
			return ZIP_E_FORMAT;
		}
		if (load_le32(h) != SIG_CENTRAL) {
			lib_err(err, errlen, "central directory entry %zu at offset %zu has no signature", i, pos);
			return ZIP_E_FORMAT;
		}
		e->flags = load_le16(h + 8);
		e->method = load_le16(h + 10);
		e->crc = load_le32(h + 16);
		e->comp_size = load_le32(h + 20);
		e->size = load_le32(h + 24);
		nlen = load_le16(h + 28);
		xlen = load_le16(h + 30);
		clen = load_le16(h + 32);
		disk = load_le16(h + 34);
		ext = load_le32(h + 38);
		e->local_off = load_le32(h + 42);
		if ((size_t)nlen + xlen + clen > eocd - pos - CENTRAL_SIZE) {
			lib_err(err, errlen, "central directory entry %zu at offset %zu: name, extra and "
			       "comment run past the directory's end", i, pos);
			return ZIP_E_FORMAT;
		}
		e->name = h + CENTRAL_SIZE;
		e->name_len = nlen;
		pos += CENTRAL_SIZE + (size_t)nlen + xlen + clen;

		ret = zip_name_check((const char *)e->name, e->name_len, 1, why, sizeof(why));
		if (ret != ZIP_OK) {
			lib_err(err, errlen, ENTFMT "name refused: %s", ENTARG(e, nb), why);
			return ret;
		}
		e->is_dir = e->name[nlen - 1] == '/';
		e->key_len = e->is_dir ? e->name_len - 1 : e->name_len;

		if (e->flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) {
			lib_err(err, errlen, ENTFMT "encrypted (flags 0x%04x); encryption is not supported, "
			       "the payload is already encrypted by Keylime", ENTARG(e, nb), e->flags);
			return ZIP_E_UNSUPPORTED;
		}
		if (e->flags & FLAG_PATCHED) {
			lib_err(err, errlen, ENTFMT "compressed patched data (flags 0x%04x) is not supported",
			       ENTARG(e, nb), e->flags);
			return ZIP_E_UNSUPPORTED;
		}
		if (e->method != 0 && e->method != 8) {
			lib_err(err, errlen, ENTFMT "compression method %u (%s) is not supported; "
			       "use 0 (stored) or 8 (deflate)", ENTARG(e, nb), e->method,
			       method_name(e->method));
			return ZIP_E_UNSUPPORTED;
		}
		if (e->comp_size == 0xffffffffu || e->size == 0xffffffffu ||
		    e->local_off == 0xffffffffu || disk == 0xffffu) {
			lib_err(err, errlen, ENTFMT "ZIP64 sizes or offset; ZIP64 is not supported", ENTARG(e, nb));
			return ZIP_E_UNSUPPORTED;
		}
		if (disk != 0) {
			lib_err(err, errlen, ENTFMT "starts on disk %u; multi-disk archives are not supported",
			       ENTARG(e, nb), disk);
			return ZIP_E_UNSUPPORTED;
		}
		ret = check_extra(e->name + nlen, xlen, e, "central", err, errlen);
		if (ret != ZIP_OK)
			return ret;

		/* Unix mode bits, whoever wrote them: only files and directories get through. */
		type = (ext >> 16) & S_IFMT;
		if (type != 0 && type != S_IFREG && type != S_IFDIR) {
			lib_err(err, errlen, ENTFMT "is %s (mode 0%o); only files and directories are allowed",
			       ENTARG(e, nb), mode_type_name(type), ext >> 16);
			return ZIP_E_TYPE;
		}
		if ((type == S_IFDIR && !e->is_dir) || (type == S_IFREG && e->is_dir)) {
			lib_err(err, errlen, ENTFMT "mode 0%o says %s but the name %s in '/'", ENTARG(e, nb),
			       ext >> 16, type == S_IFDIR ? "directory" : "file",
			       e->is_dir ? "ends" : "does not end");
			return ZIP_E_TYPE;
		}
		if ((ext & DOS_ATTR_DIR) && !e->is_dir) {
			lib_err(err, errlen, ENTFMT "attributes say directory but the name does not end in '/'",
			       ENTARG(e, nb));
			return ZIP_E_TYPE;
		}

		/* Python's writestr stores a directory as an empty deflate stream: data, but none inflated. */
		if (e->is_dir && (e->size != 0 || e->crc != 0)) {
			lib_err(err, errlen, ENTFMT "directory with data (%u bytes, crc %08x)",
			       ENTARG(e, nb), e->size, e->crc);
			return ZIP_E_FORMAT;
		}
		if (e->method == 0 && e->comp_size != e->size) {
			lib_err(err, errlen, ENTFMT "stored entry with compressed size %u but size %u",
			       ENTARG(e, nb), e->comp_size, e->size);
			return ZIP_E_FORMAT;
		}
		if (e->size > lim->max_file_size) {
			lib_err(err, errlen, ENTFMT "declares %u bytes, above the per-file limit of %llu",
			       ENTARG(e, nb), e->size, (unsigned long long)lim->max_file_size);
			return ZIP_E_LIMIT;
		}
		total += e->size;
		if (total > lim->max_total_size) {
			lib_err(err, errlen, ENTFMT "brings the declared total to %llu bytes, above the limit "
			       "of %llu", ENTARG(e, nb), (unsigned long long)total,
			       (unsigned long long)lim->max_total_size);
			return ZIP_E_LIMIT;
		}
	}
	if (pos != eocd) {
		lib_err(err, errlen, "central directory holds %zu bytes after its %zu entries", eocd - pos, ar->n);
		return ZIP_E_FORMAT;
	}
	return ZIP_OK;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a, *y = *(const struct ent *const *)b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static int cmp_offset(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a, *y = *(const struct ent *const *)b;

	return x->local_off < y->local_off ? -1 : x->local_off > y->local_off;
}

/* Duplicates (a file and a directory of one name included) and names below a file. */
static int check_names(struct archive *ar, char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4], nb2[NAME_SHOWN * 4 + 4];
	struct ent **s = ar->sorted;

	for (size_t i = 0; i < ar->n; i++)
		s[i] = &ar->e[i];
	qsort(s, ar->n, sizeof(*s), cmp_name);
	for (size_t i = 1; i < ar->n; i++) {
		if (cmp_name(&s[i - 1], &s[i]) == 0) {
			const struct ent *a = s[i - 1]->index < s[i]->index ? s[i - 1] : s[i];
			const struct ent *b = a == s[i] ? s[i - 1] : s[i];

			lib_err(err, errlen, ENTFMT "same name as entry %zu \"%s\"", ENTARG(b, nb),
			       ENTARG(a, nb2));
			return ZIP_E_DUPLICATE;
		}
	}
	for (size_t i = 0; i < ar->n; i++) {
		const struct ent *e = &ar->e[i];

		for (size_t k = 0; k < e->key_len; k++) {
			struct ent probe, *pp = &probe, **hit;

			if (e->name[k] != '/')
				continue;
			probe.name = e->name;
			probe.key_len = k;
			hit = bsearch(&pp, s, ar->n, sizeof(*s), cmp_name);
			if (hit != NULL && !(*hit)->is_dir) {
				lib_err(err, errlen, ENTFMT "lies below entry %zu \"%s\", which is a file",
				       ENTARG(e, nb), ENTARG(*hit, nb2));
				return ZIP_E_DUPLICATE;
			}
		}
	}
	return ZIP_OK;
}

/* Local header, data and data descriptor of e, all below the central directory. */
static int parse_local(struct archive *ar, struct ent *e, char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4];
	const uint8_t *p = ar->p, *h;
	size_t limit = ar->cd_off, off = e->local_off, data_end;
	uint32_t crc, csize, usize;
	uint16_t nlen, xlen;
	int ret;

	if (off >= limit || LOCAL_SIZE > limit - off) {
		lib_err(err, errlen, ENTFMT "local header offset %zu lies outside the entry area "
		       "(0..%zu)", ENTARG(e, nb), off, limit);
		return ZIP_E_OVERLAP;
	}
	h = p + off;
	if (load_le32(h) != SIG_LOCAL) {
		lib_err(err, errlen, ENTFMT "no local header at offset %zu", ENTARG(e, nb), off);
		return ZIP_E_FORMAT;
	}
	crc = load_le32(h + 14);
	csize = load_le32(h + 18);
	usize = load_le32(h + 22);
	nlen = load_le16(h + 26);
	xlen = load_le16(h + 28);
	if ((size_t)nlen + xlen > limit - off - LOCAL_SIZE) {
		lib_err(err, errlen, ENTFMT "local header name and extra run past the entry area",
		       ENTARG(e, nb));
		return ZIP_E_OVERLAP;
	}
	if (load_le16(h + 6) != e->flags || load_le16(h + 8) != e->method) {
		lib_err(err, errlen, ENTFMT "local header says flags 0x%04x method %u, central directory "
		       "flags 0x%04x method %u", ENTARG(e, nb), load_le16(h + 6), load_le16(h + 8), e->flags, e->method);
		return ZIP_E_MISMATCH;
	}
	if (nlen != e->name_len || memcmp(h + LOCAL_SIZE, e->name, nlen) != 0) {
		char lb[NAME_SHOWN * 4 + 4];

		lib_err(err, errlen, ENTFMT "local header names \"%s\"", ENTARG(e, nb),
		       shown(h + LOCAL_SIZE, nlen, lb));
		return ZIP_E_MISMATCH;
	}
	ret = check_extra(h + LOCAL_SIZE + nlen, xlen, e, "local", err, errlen);
	if (ret != ZIP_OK)
		return ret;
	/* With a data descriptor the local fields may be zero; whatever is there must agree. */
	if (!(e->flags & FLAG_DESCRIPTOR) ? (crc != e->crc || csize != e->comp_size || usize != e->size)
	    : ((crc != 0 && crc != e->crc) || (csize != 0 && csize != e->comp_size) ||
	       (usize != 0 && usize != e->size))) {
		lib_err(err, errlen, ENTFMT "local header says crc %08x, %u compressed, %u bytes; central "
		       "directory says crc %08x, %u compressed, %u bytes", ENTARG(e, nb), crc, csize, usize,
		       e->crc, e->comp_size, e->size);
		return ZIP_E_MISMATCH;
	}
	e->data_off = off + LOCAL_SIZE + nlen + xlen;
	if (e->comp_size > limit - e->data_off) {
		lib_err(err, errlen, ENTFMT "%u bytes of data at offset %zu run past the entry area (0..%zu)",
		       ENTARG(e, nb), e->comp_size, e->data_off, limit);
		return ZIP_E_OVERLAP;
	}
	data_end = e->data_off + e->comp_size;
	e->end = data_end;
	if (e->flags & FLAG_DESCRIPTOR) {
		const uint8_t *d = p + data_end;
		size_t room = limit - data_end;

		if (room >= 4 + DESCRIPTOR_SIZE && load_le32(d) == SIG_DESCRIPTOR &&
		    load_le32(d + 4) == e->crc && load_le32(d + 8) == e->comp_size && load_le32(d + 12) == e->size) {
			e->end += 4 + DESCRIPTOR_SIZE;
		} else if (room >= DESCRIPTOR_SIZE && load_le32(d) == e->crc && load_le32(d + 4) == e->comp_size &&
			   load_le32(d + 8) == e->size) {
			e->end += DESCRIPTOR_SIZE;
		} else {
			lib_err(err, errlen, ENTFMT "data descriptor at offset %zu is missing or disagrees "
			       "with the central directory (crc %08x, %u compressed, %u bytes)",
			       ENTARG(e, nb), data_end, e->crc, e->comp_size, e->size);
			return ZIP_E_MISMATCH;
		}
	}
	return ZIP_OK;
}

/* Every local header, in offset order: back to back from 0 to the central directory. */
static int check_layout(struct archive *ar, char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4], nb2[NAME_SHOWN * 4 + 4];
	struct ent **s = ar->sorted;
	size_t expect = 0;
	int ret;

	for (size_t i = 0; i < ar->n; i++)
		s[i] = &ar->e[i];
	qsort(s, ar->n, sizeof(*s), cmp_offset);
	for (size_t i = 0; i < ar->n; i++) {
		if (s[i]->local_off < expect) {
			lib_err(err, errlen, ENTFMT "starts at offset %zu, inside entry %zu \"%s\" (which "
			       "ends at %zu)", ENTARG(s[i], nb), s[i]->local_off, ENTARG(s[i - 1], nb2), expect);
			return ZIP_E_OVERLAP;
		}
		ret = parse_local(ar, s[i], err, errlen);
		if (ret != ZIP_OK)
			return ret;
		if (s[i]->local_off > expect) {
			lib_err(err, errlen, ENTFMT "starts at offset %zu; %zu unaccounted bytes before it",
			       ENTARG(s[i], nb), s[i]->local_off, s[i]->local_off - expect);
			return ZIP_E_FORMAT;
		}
		expect = s[i]->end;
	}
	if (expect != ar->cd_off) {
		lib_err(err, errlen, "%zu unaccounted bytes between the last entry and the central "
		       "directory at offset %zu", ar->cd_off - expect, ar->cd_off);
		return ZIP_E_FORMAT;
	}
	return ZIP_OK;
}

static void archive_free(struct archive *ar)
{
	free(ar->e);
	free(ar->sorted);
	ar->e = NULL;
	ar->sorted = NULL;
}

static int archive_open(struct archive *ar, const uint8_t *zip, size_t len, const struct zip_limits *lim,
			char *err, size_t errlen)
{
	size_t eocd, n, cd_size;
	const uint8_t *r;
	int ret;

	memset(ar, 0, sizeof(*ar));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (zip == NULL || lim == NULL || lim->max_entries == 0 || lim->max_file_size == 0 ||
	    lim->max_total_size == 0) {
		lib_err(err, errlen, "zip: NULL archive or limits, or a limit of 0");
		return ZIP_E_ARG;
	}
	ar->p = zip;
	ar->len = len;
	ret = find_eocd(zip, len, &eocd, err, errlen);
	if (ret != ZIP_OK)
		return ret;
	r = zip + eocd;
	if (eocd >= ZIP64_LOCATOR_SIZE && load_le32(zip + eocd - ZIP64_LOCATOR_SIZE) == SIG_ZIP64_LOCATOR) {
		lib_err(err, errlen, "ZIP64 end of central directory locator; ZIP64 is not supported");
		return ZIP_E_UNSUPPORTED;
	}
	n = load_le16(r + 10);
	cd_size = load_le32(r + 12);
	ar->cd_off = load_le32(r + 16);
	if (load_le16(r + 8) == 0xffff || n == 0xffff || cd_size == 0xffffffffu || ar->cd_off == 0xffffffffu) {
		lib_err(err, errlen, "end record with ZIP64 markers; ZIP64 is not supported");
		return ZIP_E_UNSUPPORTED;
	}
	if (load_le16(r + 4) != 0 || load_le16(r + 6) != 0 || load_le16(r + 8) != n) {
		lib_err(err, errlen, "multi-disk archive (disk %u, directory on disk %u, %u of %zu entries "
		       "here); not supported", load_le16(r + 4), load_le16(r + 6), load_le16(r + 8), n);
		return ZIP_E_UNSUPPORTED;
	}
	if (ar->cd_off > eocd || cd_size != eocd - ar->cd_off) {
		lib_err(err, errlen, "central directory (offset %zu, %zu bytes) does not end where the end "
		       "record starts (offset %zu)", ar->cd_off, cd_size, eocd);
		return ZIP_E_FORMAT;
	}
	if (n > lim->max_entries) {
		lib_err(err, errlen, "%zu entries, above the limit of %zu", n, lim->max_entries);
		return ZIP_E_LIMIT;
	}
	if (n > cd_size / CENTRAL_SIZE) {
		lib_err(err, errlen, "%zu entries cannot fit a %zu-byte central directory", n, cd_size);
		return ZIP_E_FORMAT;
	}
	ar->n = n;
	if (n == 0) {
		if (ar->cd_off != 0) {
			lib_err(err, errlen, "empty archive with %zu bytes before its end record", ar->cd_off);
			return ZIP_E_FORMAT;
		}
		return ZIP_OK;
	}
	ar->e = calloc(n, sizeof(*ar->e));
	ar->sorted = calloc(n, sizeof(*ar->sorted));
	if (ar->e == NULL || ar->sorted == NULL) {
		lib_err(err, errlen, "zip: out of memory for %zu entries", n);
		ret = ZIP_E_NOMEM;
		goto out;
	}
	ret = parse_central(ar, eocd, lim, err, errlen);
	if (ret == ZIP_OK)
		ret = check_names(ar, err, errlen);
	if (ret == ZIP_OK)
		ret = check_layout(ar, err, errlen);
out:
	if (ret != ZIP_OK)
		archive_free(ar);
	return ret;
}

/* ---- data ----------------------------------------------------------------- */

/*
 * zlib's window holds the last 32 KiB of inflated data, key files included:
 * these allocators wipe every block before it is freed.
 */
union zhdr {
	size_t size;
	max_align_t align;
};

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	union zhdr *h;

	(void)opaque;
	if (size != 0 && items > (SIZE_MAX - sizeof(*h)) / size)
		return Z_NULL;
	h = malloc(sizeof(*h) + (size_t)items * size);
	if (h == NULL)
		return Z_NULL;
	h->size = (size_t)items * size;
	return h + 1;
}

static void z_free(voidpf opaque, voidpf p)
{
	union zhdr *h = (union zhdr *)p - 1;

	(void)opaque;
	explicit_bzero(p, h->size);
	free(h);
}

/* Where inflated bytes go: a file, or (fd < 0) nowhere, only counted. */
struct sink {
	int fd;
	uint32_t crc;
	uint64_t got;
};

static int sink_put(struct sink *k, const struct ent *e, const uint8_t *b, size_t n,
		    char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4];

	k->crc = (uint32_t)crc32(k->crc, b, (uInt)n);
	k->got += n;
	if (k->fd >= 0 && fd_write_all(k->fd, b, n) != 0) {
		lib_err(err, errlen, ENTFMT "writing failed: %s", ENTARG(e, nb), strerror(errno));
		return ZIP_E_IO;
	}
	return ZIP_OK;
}

static int inflate_entry(const struct archive *ar, const struct ent *e, struct sink *k, uint8_t *buf,
			 char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4];
	const uint8_t *data = ar->p + e->data_off;
	z_stream zs;
	int zr, ret = ZIP_OK;

	if (e->method == 0)
		return sink_put(k, e, data, e->comp_size, err, errlen);

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
		lib_err(err, errlen, ENTFMT "zlib inflateInit2 failed", ENTARG(e, nb));
		return ZIP_E_NOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = e->comp_size;
	for (;;) {
		/* Never ask for more than one byte past the declared size: a bomb stops there. */
		uint64_t left = (uint64_t)e->size - k->got + 1;
		size_t want = left < CHUNK ? (size_t)left : CHUNK, made;

		zs.next_out = buf;
		zs.avail_out = (uInt)want;
		zr = inflate(&zs, Z_NO_FLUSH);
		made = want - zs.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			lib_err(err, errlen, ENTFMT "corrupt deflate data: %s", ENTARG(e, nb),
			       zr == Z_MEM_ERROR ? "out of memory" : zs.msg != NULL ? zs.msg : "inflate failed");
			ret = zr == Z_MEM_ERROR ? ZIP_E_NOMEM : ZIP_E_DATA;
			goto out;
		}
		if (k->got + made > e->size) {
			lib_err(err, errlen, ENTFMT "inflates past its declared size of %u bytes", ENTARG(e, nb),
			       e->size);
			ret = ZIP_E_DATA;
			goto out;
		}
		ret = sink_put(k, e, buf, made, err, errlen);
		if (ret != ZIP_OK)
			goto out;
		if (zr == Z_STREAM_END)
			break;
		if (made == 0 && (zr == Z_BUF_ERROR || zs.avail_in == 0)) {
			lib_err(err, errlen, ENTFMT "deflate stream ends early (%llu of %u bytes)",
			       ENTARG(e, nb), (unsigned long long)k->got, e->size);
			ret = ZIP_E_DATA;
			goto out;
		}
	}
	if (zs.avail_in != 0) {
		lib_err(err, errlen, ENTFMT "%u bytes after the end of the deflate stream", ENTARG(e, nb),
		       zs.avail_in);
		ret = ZIP_E_DATA;
	}
out:
	inflateEnd(&zs);
	return ret;
}

/* ---- file system ---------------------------------------------------------- */

/* Opens (creating as needed) the directory holding path's last component; *last points at it. */
static int open_parent(int dirfd, char *path, const struct ent *e, int *out, const char **last,
		       char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4];
	char *comp = path, *slash;
	int fd = dirfd;

	while ((slash = strchr(comp, '/')) != NULL) {
		int nfd;

		*slash = '\0';
		if (mkdirat(fd, comp, 0700) != 0 && errno != EEXIST)
			goto fail;
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			goto fail;
		if (fd != dirfd)
			close(fd);
		fd = nfd;
		*slash = '/';
		comp = slash + 1;
	}
	*out = fd;
	*last = comp;
	return ZIP_OK;
fail:
	lib_err(err, errlen, ENTFMT "cannot create or open directory \"%s\": %s", ENTARG(e, nb), path,
	       strerror(errno));
	if (fd != dirfd)
		close(fd);
	return ZIP_E_IO;
}

static int create_entry(const struct archive *ar, const struct ent *e, int dirfd, struct sink *k,
			uint8_t *buf, char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4], path[ZIP_NAME_MAX + 1];
	const char *last;
	int pfd = -1, ret;

	memcpy(path, e->name, e->key_len);
	path[e->key_len] = '\0';
	ret = open_parent(dirfd, path, e, &pfd, &last, err, errlen);
	if (ret != ZIP_OK)
		return ret;
	if (e->is_dir) {
		int fd;

		/* EEXIST is fine only for a real directory an earlier entry's path created. */
		if (mkdirat(pfd, last, 0700) != 0 && errno != EEXIST)
			goto fail;
		fd = openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		close(fd);
		goto out;
	}
	k->fd = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (k->fd < 0)
		goto fail;
	ret = inflate_entry(ar, e, k, buf, err, errlen);
	if (close(k->fd) != 0 && ret == ZIP_OK) {
		k->fd = -1;
		goto fail;
	}
	k->fd = -1;
	goto out;
fail:
	lib_err(err, errlen, ENTFMT "cannot create: %s", ENTARG(e, nb), strerror(errno));
	ret = ZIP_E_IO;
out:
	if (pfd != dirfd)
		close(pfd);
	return ret;
}

/* ---- public --------------------------------------------------------------- */

static int run(const uint8_t *zip, size_t len, int dirfd, const struct zip_limits *lim,
	       struct zip_stats *st, char *err, size_t errlen)
{
	char nb[NAME_SHOWN * 4 + 4];
	struct archive ar;
	struct zip_stats s = { 0 };
	uint8_t *buf = NULL;
	int ret;

	ret = archive_open(&ar, zip, len, lim, err, errlen);
	if (ret != ZIP_OK)
		return ret;
	buf = malloc(CHUNK);
	if (buf == NULL) {
		lib_err(err, errlen, "zip: out of memory for the inflate buffer");
		ret = ZIP_E_NOMEM;
		goto out;
	}
	s.entries = ar.n;
	for (size_t i = 0; i < ar.n; i++) {
		const struct ent *e = &ar.e[i];
		struct sink k = { .fd = -1 };

		/* A file is inflated into what create_entry opened; a directory's data only counted. */
		if (dirfd >= 0)
			ret = create_entry(&ar, e, dirfd, &k, buf, err, errlen);
		if (ret == ZIP_OK && (dirfd < 0 || e->is_dir))
			ret = inflate_entry(&ar, e, &k, buf, err, errlen);
		if (ret != ZIP_OK)
			goto out;
		if (k.got != e->size) {
			lib_err(err, errlen, ENTFMT "inflates to %llu bytes, %u declared", ENTARG(e, nb),
			       (unsigned long long)k.got, e->size);
			ret = ZIP_E_DATA;
			goto out;
		}
		if (k.crc != e->crc) {
			lib_err(err, errlen, ENTFMT "CRC-32 of the data is %08x, %08x declared", ENTARG(e, nb),
			       k.crc, e->crc);
			ret = ZIP_E_CRC;
			goto out;
		}
		s.total_size += k.got;
		if (e->is_dir)
			s.dirs++;
		else
			s.files++;
	}
	/* Holds by construction (each size checked, declared total capped); kept as a last guard. */
	if (s.total_size > lim->max_total_size) {
		lib_err(err, errlen, "total %llu bytes above the limit", (unsigned long long)s.total_size);
		ret = ZIP_E_LIMIT;
		goto out;
	}
	if (st != NULL)
		*st = s;
out:
	if (buf != NULL)
		explicit_bzero(buf, CHUNK);
	free(buf);
	archive_free(&ar);
	return ret;
}

int zip_check(const uint8_t *zip, size_t len, const struct zip_limits *lim, struct zip_stats *st,
	      char *err, size_t errlen)
{
	return run(zip, len, -1, lim, st, err, errlen);
}

int zip_extract(const uint8_t *zip, size_t len, int dirfd, const struct zip_limits *lim,
		struct zip_stats *st, char *err, size_t errlen)
{
	if (dirfd < 0) {
		lib_err(err, errlen, "zip: no target directory");
		return ZIP_E_ARG;
	}
	return run(zip, len, dirfd, lim, st, err, errlen);
}

int zip_list(const uint8_t *zip, size_t len, const struct zip_limits *lim, zip_entry_cb cb, void *ctx,
	     char *err, size_t errlen)
{
	char name[ZIP_NAME_MAX + 1];
	struct archive ar;
	int ret;

	if (cb == NULL) {
		lib_err(err, errlen, "zip: no callback");
		return ZIP_E_ARG;
	}
	ret = archive_open(&ar, zip, len, lim, err, errlen);
	if (ret != ZIP_OK)
		return ret;
	for (size_t i = 0; i < ar.n && ret == ZIP_OK; i++) {
		const struct ent *e = &ar.e[i];
		struct zip_entry z = {
			.index = i, .name = name, .name_len = e->name_len, .is_dir = e->is_dir,
			.method = e->method, .crc32 = e->crc, .comp_size = e->comp_size, .size = e->size,
		};

		memcpy(name, e->name, e->name_len);
		name[e->name_len] = '\0';
		ret = cb(&z, ctx);
	}
	archive_free(&ar);
	return ret;
}

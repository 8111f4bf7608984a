/* SPDX-License-Identifier: GPL-2.0-only */
#define _GNU_SOURCE /* memmem */
#include "cbfs.h"
#include "bytes.h"

#include <stdio.h>
#include <string.h>

#define FMAP_SIG "__FMAP__"
#define FMAP_HEADER 56
#define FMAP_AREA 42
/* Real flash maps have a few dozen areas; more is not a flash map. */
#define FMAP_MAX_AREAS 256
#define CBFS_MAGIC "LARCHIVE"
#define CBFS_HEADER 24
#define CBFS_ALIGN 64
#define METADATA_HASH_ANCHOR_MAGIC "\xadMdtHsh\x15"

/* Area i of the FMAP at off; the caller checked it lies within the image. */
static void read_area(const uint8_t *rom, size_t off, unsigned i, struct fmap_area *a)
{
	const uint8_t *p = rom + off + FMAP_HEADER + (size_t)i * FMAP_AREA;

	a->offset = load_le32(p);
	a->size = load_le32(p + 4);
	memcpy(a->name, p + 8, FMAP_NAME_LEN);
	a->name[FMAP_NAME_LEN] = '\0';
	a->flags = load_le16(p + 40);
}

/*
 * An FMAP at off whose areas all lie within the image and whose "FMAP" area is
 * itself. When it is not, *depth says how far it got (a higher depth is more
 * like a real flash map: "__FMAP__" also occurs inside coreboot's stages).
 */
static int fmap_valid(const uint8_t *rom, size_t len, size_t off, char *why, size_t cap,
		      int *depth)
{
	struct fmap_area a;
	unsigned n;
	int self = 0;

	*depth = 0;
	if (len - off < FMAP_HEADER) {
		snprintf(why, cap, "header runs past the end");
		return 0;
	}
	*depth = 1;
	if (rom[off + 8] != 1) {
		snprintf(why, cap, "version %u.%u, only 1.x is known", rom[off + 8], rom[off + 9]);
		return 0;
	}
	*depth = 2;
	n = load_le16(rom + off + 54);
	if (n > FMAP_MAX_AREAS) {
		snprintf(why, cap, "%u areas, at most %d", n, FMAP_MAX_AREAS);
		return 0;
	}
	*depth = 3;
	if ((len - off - FMAP_HEADER) / FMAP_AREA < n) {
		snprintf(why, cap, "%u areas run past the end of the image", n);
		return 0;
	}
	*depth = 4;
	for (unsigned i = 0; i < n; i++) {
		read_area(rom, off, i, &a);
		if (a.offset > len || a.size > len - a.offset) {
			snprintf(why, cap, "area \"%s\" (0x%x + 0x%x) lies outside the %zu-byte image",
				 a.name, a.offset, a.size, len);
			return 0;
		}
		/* Two areas of one name: which one would coreboot measure or load? */
		for (unsigned j = 0; j < i; j++) {
			struct fmap_area b;

			read_area(rom, off, j, &b);
			if (!strcmp(a.name, b.name)) {
				snprintf(why, cap, "two areas are called \"%s\"", a.name);
				return 0;
			}
		}
		if (!strcmp(a.name, "FMAP") && a.offset == off &&
		    a.size >= FMAP_HEADER + (size_t)n * FMAP_AREA)
			self = 1;
	}
	*depth = 5;
	if (!self)
		snprintf(why, cap, "no \"FMAP\" area describes it");
	return self;
}

int cbfs_verification_anchor(const uint8_t *rom, size_t len)
{
	return rom && memmem(rom, len, METADATA_HASH_ANCHOR_MAGIC, 8) != NULL;
}

int fmap_locate(const uint8_t *rom, size_t len, size_t *fmap_off, char *err, size_t errlen)
{
	char why[160], best[160] = "";
	size_t at = 0, best_off = 0, candidates = 0;
	int depth, best_depth = -1;
	const uint8_t *p;

	if (!rom || !fmap_off) {
		snprintf(err, errlen, "fmap: no image");
		return -1;
	}
	while (at < len && (p = memmem(rom + at, len - at, FMAP_SIG, 8)) != NULL) {
		size_t off = (size_t)(p - rom);

		if (fmap_valid(rom, len, off, why, sizeof(why), &depth)) {
			*fmap_off = off;
			return 0;
		}
		/* Report the candidate most like a flash map, not whichever came last. */
		candidates++;
		if (depth > best_depth) {
			best_depth = depth;
			best_off = off;
			snprintf(best, sizeof(best), "%s", why);
		}
		at = off + 1;
	}
	if (candidates == 0)
		snprintf(err, errlen, "no FMAP in the %zu-byte image (is it a coreboot ROM built with an "
			 "FMAP, as every current board is?)", len);
	else
		snprintf(err, errlen, "no valid FMAP in the %zu-byte image: of %zu \"__FMAP__\" "
			 "signatures, the most complete one (at offset 0x%zx) fails: %s (a truncated "
			 "or damaged image? compare its size with the flash part's)", len, candidates,
			 best_off, best);
	return -1;
}

int fmap_find_area(const uint8_t *rom, size_t len, size_t fmap_off, const char *name,
		   struct fmap_area *out, char *err, size_t errlen)
{
	char why[160];
	unsigned n;
	int depth;

	if (!rom || !name || !out || fmap_off > len ||
	    !fmap_valid(rom, len, fmap_off, why, sizeof(why), &depth)) {
		snprintf(err, errlen, "fmap: no valid FMAP at offset %zu", fmap_off);
		return -1;
	}
	n = load_le16(rom + fmap_off + 54);
	for (unsigned i = 0; i < n; i++) {
		read_area(rom, fmap_off, i, out);
		if (!strcmp(out->name, name))
			return 1;
	}
	return 0;
}

int cbfs_find(const uint8_t *rom, size_t len, const struct fmap_area *region, const char *name,
	      struct cbfs_file *out, char *err, size_t errlen)
{
	size_t pos, end;

	if (!rom || !region || !name || !out || region->offset > len ||
	    region->size > len - region->offset) {
		snprintf(err, errlen, "cbfs: region outside the image");
		return -1;
	}
	pos = region->offset;
	end = region->offset + (size_t)region->size;
	while (end - pos >= CBFS_HEADER && !memcmp(rom + pos, CBFS_MAGIC, 8)) {
		const uint8_t *h = rom + pos;
		uint32_t flen = load_be32(h + 8), type = load_be32(h + 12), attr = load_be32(h + 16);
		uint32_t doff = load_be32(h + 20);
		size_t nlen, next;

		if (doff < CBFS_HEADER + 1 || doff > end - pos || flen > end - pos - doff) {
			snprintf(err, errlen, "cbfs: file at 0x%zx: data (offset %u, %u bytes) runs past "
				 "the region \"%s\"", pos, doff, flen, region->name);
			return -1;
		}
		if (attr && (attr < CBFS_HEADER + 1 || attr > doff)) {
			snprintf(err, errlen, "cbfs: file at 0x%zx: attributes offset %u outside its "
				 "header (data at %u)", pos, attr, doff);
			return -1;
		}
		/* The name lies between the fixed header and the attributes (or the data). */
		nlen = strnlen((const char *)h + CBFS_HEADER, (attr ? attr : doff) - CBFS_HEADER);
		if (nlen == (attr ? attr : doff) - CBFS_HEADER || nlen >= CBFS_NAME_MAX) {
			snprintf(err, errlen, "cbfs: file at 0x%zx: name not terminated within %u bytes",
				 pos, (attr ? attr : doff) - CBFS_HEADER);
			return -1;
		}
		if (type != CBFS_TYPE_DELETED && type != CBFS_TYPE_NULL &&
		    !strcmp((const char *)h + CBFS_HEADER, name)) {
			memcpy(out->name, h + CBFS_HEADER, nlen + 1);
			out->type = type;
			out->data = h + doff;
			out->len = flen;
			out->offset = pos;
			return 1;
		}
		next = pos + doff + flen;
		next = (next - region->offset + CBFS_ALIGN - 1) / CBFS_ALIGN * CBFS_ALIGN +
		       region->offset;
		if (next <= pos || next > end)
			break;
		pos = next;
	}
	return 0;
}

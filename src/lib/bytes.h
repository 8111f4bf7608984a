/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one bounded byte reader under every binary parser (event logs, TPM
 * structures, credential blobs): a cursor over a buffer the caller owns.
 *
 * One contract: a read either returns the whole field and advances, or reads
 * nothing, returns false (NULL for bytes_take) and marks the cursor bad; once
 * bad, every later read fails too, so a parser may read a run of fields and
 * check once. Bounds are checked as n > len - pos, never pos + n > len, so no
 * length can overflow the check. Nothing allocates; nothing is copied unless
 * asked.
 *
 * The load helpers below read a fixed-size field at a pointer the caller has
 * already bounds-checked as part of a whole fixed-size record (ZIP, CBFS and
 * PE headers, read at fixed offsets).
 */
#ifndef AIRLOCK_BYTES_H
#define AIRLOCK_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bytes {
	const uint8_t *p;
	size_t len;
	size_t pos; /* invariant: pos <= len */
	bool bad;   /* a read did not fit; sticky */
};

static inline struct bytes bytes_of(const void *p, size_t len)
{
	return (struct bytes){ .p = p, .len = p ? len : 0, .pos = 0, .bad = false };
}

static inline size_t bytes_left(const struct bytes *b)
{
	return b->len - b->pos;
}

/* n bytes at the cursor, or NULL (nothing consumed, cursor bad) if fewer are left. */
static inline const uint8_t *bytes_take(struct bytes *b, size_t n)
{
	const uint8_t *p;

	if (b->bad || n > b->len - b->pos) {
		b->bad = true;
		return NULL;
	}
	p = b->p + b->pos;
	b->pos += n;
	return p;
}

/* Fixed-size loads from a checked pointer. */
static inline uint16_t load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
	return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

static inline uint16_t load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

#define BYTES_GETTER(name, type, size, load)                      \
	static inline bool name(struct bytes *b, type *v)         \
	{                                                         \
		const uint8_t *p = bytes_take(b, size);           \
                                                                  \
		if (p)                                            \
			*v = load(p);                             \
		return p != NULL;                                 \
	}

static inline uint8_t load_u8(const uint8_t *p)
{
	return p[0];
}

BYTES_GETTER(bytes_u8, uint8_t, 1, load_u8)
BYTES_GETTER(bytes_le16, uint16_t, 2, load_le16)
BYTES_GETTER(bytes_le32, uint32_t, 4, load_le32)
BYTES_GETTER(bytes_le64, uint64_t, 8, load_le64)
BYTES_GETTER(bytes_be16, uint16_t, 2, load_be16)
BYTES_GETTER(bytes_be32, uint32_t, 4, load_be32)
BYTES_GETTER(bytes_be64, uint64_t, 8, load_be64)
#undef BYTES_GETTER

/* n bytes copied to out (which holds at least n); false as bytes_take. */
static inline bool bytes_copy(struct bytes *b, void *out, size_t n)
{
	const uint8_t *p = bytes_take(b, n);

	if (p && n)
		memcpy(out, p, n);
	return p != NULL;
}

#endif

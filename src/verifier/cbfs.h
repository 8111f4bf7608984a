/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * coreboot flash images, read-only: the FMAP (flash map) and the files of a
 * CBFS region. Enough to predict what coreboot measures into PCR 2 (the FMAP
 * area, then the raw stored data of each stage and the payload it loads);
 * every offset and length is checked against the image before it is read.
 *
 * FMAP: "__FMAP__", version 1.x, little-endian, 56-byte header then 42-byte
 * areas (offset, size, 32-byte name, flags). An FMAP is accepted only where
 * its own "FMAP" area points at it (the signature can appear in code too),
 * every area lies inside the image, no two areas share a name, and there are
 * at most 256 of them.
 * CBFS: 64-byte aligned files, each a "LARCHIVE" header (big-endian length,
 * type, attributes offset, data offset) and a NUL-terminated name; the walk
 * ends at the first position without the magic.
 */
#ifndef AIRLOCK_VERIFIER_CBFS_H
#define AIRLOCK_VERIFIER_CBFS_H

#include <stddef.h>
#include <stdint.h>

#define FMAP_NAME_LEN 32
#define CBFS_NAME_MAX 256
#define CBFS_TYPE_DELETED 0x00000000u
#define CBFS_TYPE_NULL 0xffffffffu

struct fmap_area {
	uint32_t offset, size;
	char name[FMAP_NAME_LEN + 1];
	uint16_t flags;
};

struct cbfs_file {
	char name[CBFS_NAME_MAX];
	uint32_t type;
	const uint8_t *data; /* the stored bytes (compressed if stored so) */
	uint32_t len;
	size_t offset;       /* of the header in the image */
};

/*
 * 1 when the image carries coreboot's metadata hash anchor ("\xadMdtHsh\x15",
 * which coreboot lets appear once, in the bootblock of a build with
 * CONFIG_CBFS_VERIFICATION), else 0. With it, coreboot 26.06 does not measure
 * the bootblock and romstage into PCR 2.
 */
int cbfs_verification_anchor(const uint8_t *rom, size_t len);

/* The validated FMAP's offset in the image, or -1 with err filled. */
int fmap_locate(const uint8_t *rom, size_t len, size_t *fmap_off, char *err, size_t errlen);
/* The area called name: 1 found, 0 not there, -1 malformed. */
int fmap_find_area(const uint8_t *rom, size_t len, size_t fmap_off, const char *name,
		   struct fmap_area *out, char *err, size_t errlen);
/* The live (not deleted or empty) file called name in the CBFS of region: 1, 0, or -1. */
int cbfs_find(const uint8_t *rom, size_t len, const struct fmap_area *region, const char *name,
	      struct cbfs_file *out, char *err, size_t errlen);

#endif

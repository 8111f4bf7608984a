/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read-only ZIP reader for the tenant payload (a Keylime payload is a zip
 * file; it arrives decrypted, in memory). The archive is hostile until proven
 * otherwise, so this reader accepts one plain shape only and refuses the rest:
 *
 *   - one disk, no ZIP64, no encryption, methods 0 (stored) and 8 (deflate);
 *   - the central directory is the truth; every local header must repeat it
 *     (name, method, flags, CRC-32, sizes), data descriptors included;
 *   - entries are laid out back to back from offset 0 up to the central
 *     directory, which ends where the end record starts (no gaps, overlaps or
 *     appended archives, so a streaming reader sees what this one sees);
 *   - names are relative paths in UTF-8 without control characters; no "..",
 *     ".", empty components or backslashes; at most 255 bytes a component and
 *     1024 in all; no duplicates, and no name below one that is a file;
 *   - only regular files and directories (name ending in '/'); Unix modes
 *     that say symlink, device, fifo or socket are refused;
 *   - the caller's limits bound the entry count, each file's size and the
 *     total, checked on the declared sizes before anything is written and
 *     again on every inflated byte, so a lying header cannot exceed them;
 *   - CRC-32 is verified on the inflated bytes.
 * Layout and rules as the tenant sees them: docs/payload.md.
 *
 * Nothing here prints. Errors are the negative ZIP_E_* codes with a message
 * in the caller's buffer naming the entry (index and escaped name) and why.
 */
#ifndef AIRLOCK_ZIP_H
#define AIRLOCK_ZIP_H

#include <stddef.h>
#include <stdint.h>

#define ZIP_NAME_MAX 1024     /* bytes in an entry name, trailing '/' included */
#define ZIP_COMPONENT_MAX 255 /* bytes in one path component */

enum zip_err {
	ZIP_OK = 0,
	ZIP_E_ARG = -1,         /* NULL pointer or a limit of 0 */
	ZIP_E_FORMAT = -2,      /* truncated or malformed structure, gaps, trailing bytes */
	ZIP_E_UNSUPPORTED = -3, /* ZIP64, multi-disk, encryption, method other than 0 and 8 */
	ZIP_E_NAME = -4,        /* name refused: absolute, "..", control characters, too long, ... */
	ZIP_E_DUPLICATE = -5,   /* two entries with one name, or a name below a file */
	ZIP_E_TYPE = -6,        /* symlink, device, fifo, socket, or type and name disagree */
	ZIP_E_LIMIT = -7,       /* more entries, or larger files or total, than the limits allow */
	ZIP_E_MISMATCH = -8,    /* local header or data descriptor disagrees with the central entry */
	ZIP_E_OVERLAP = -9,     /* entries overlap or point outside the archive */
	ZIP_E_DATA = -10,       /* deflate stream corrupt, or it inflates to another size than declared */
	ZIP_E_CRC = -11,        /* CRC-32 of the inflated bytes differs from the declared one */
	ZIP_E_IO = -12,         /* creating or writing a file or directory failed (errno in the message) */
	ZIP_E_NOMEM = -13,      /* allocation failed */
};

/* Caller's bounds; all must be non-zero. */
struct zip_limits {
	size_t max_entries;      /* directory entries count too */
	uint64_t max_file_size;  /* uncompressed bytes of one file */
	uint64_t max_total_size; /* uncompressed bytes of all files together */
};

struct zip_stats {
	size_t entries;      /* central directory entries */
	size_t files;        /* regular files */
	size_t dirs;         /* explicit directory entries */
	uint64_t total_size; /* uncompressed bytes produced (written, or counted in zip_check) */
};

/* One entry as zip_list reports it, after the whole archive's structure was checked. */
struct zip_entry {
	size_t index;         /* position in the central directory */
	const char *name;     /* NUL-terminated copy, valid during the callback only */
	size_t name_len;
	int is_dir;
	uint16_t method;      /* 0 or 8 */
	uint32_t crc32;
	uint64_t comp_size;
	uint64_t size;        /* declared uncompressed size */
};

/* Return 0 to go on; any other value stops zip_list, which then returns it. */
typedef int (*zip_entry_cb)(const struct zip_entry *e, void *ctx);

/*
 * Checks the structure of the whole archive (central directory, every local
 * header, names, types, declared sizes against lim) and then calls cb for
 * each entry in central-directory order. Does not inflate; CRCs are not
 * checked. Returns ZIP_OK, a ZIP_E_* code, or cb's non-zero value.
 */
int zip_list(const uint8_t *zip, size_t len, const struct zip_limits *lim,
	     zip_entry_cb cb, void *ctx, char *err, size_t errlen);

/*
 * Everything zip_extract checks, without touching a file system: the
 * structure, then every entry inflated into a counting sink with its size
 * and CRC-32 verified. st (optional) is filled on success.
 */
int zip_check(const uint8_t *zip, size_t len, const struct zip_limits *lim,
	      struct zip_stats *st, char *err, size_t errlen);

/*
 * Unpacks into the directory dirfd (meant to be an empty directory on a
 * tmpfs). The structure is checked completely before anything is created.
 * Files are created with openat(O_CREAT|O_EXCL|O_NOFOLLOW), mode 0600,
 * directories with mkdirat, mode 0700; parents are opened with
 * O_DIRECTORY|O_NOFOLLOW, so nothing is followed or overwritten. On any
 * error some entries may already exist: the caller must not trust the
 * directory and wipes it. st (optional) is filled on success.
 */
int zip_extract(const uint8_t *zip, size_t len, int dirfd, const struct zip_limits *lim,
		struct zip_stats *st, char *err, size_t errlen);

/*
 * The name rules above, for other code that takes paths into an extracted
 * payload (the manifest). allow_dir: a single trailing '/' is accepted.
 * Returns ZIP_OK or ZIP_E_NAME with why in err (the name is not quoted).
 */
int zip_name_check(const char *name, size_t len, int allow_dir, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The payload manifest: airlock.json at the top of the unpacked payload
 * (layout version 1, docs/payload.md). It names the tenant kernel and initrd
 * (a file in the payload, or an http:// URL pinned by SHA-256 and size), the
 * kernel command line, LUKS keys with the volumes they open, and a strongSwan
 * swanctl tree. A payload without airlock.json but with autorun.sh at its top
 * is a plain Keylime payload ("keylime-compat" mode).
 *
 * The reader is strict: unknown or repeated keys, wrong types and values
 * outside the documented forms are refused, so a typo cannot silently drop a
 * key. Every file the manifest names must exist in the unpacked directory as
 * a regular file (directory for ipsec.dir), checked without following
 * symlinks. All fields are fixed-size; the JSON text is capped.
 *
 * Nothing here prints. Errors are the negative MANIFEST_E_* codes with a
 * message naming the field (e.g. "airlock.json: luks[1].key") and why.
 */
#ifndef AIRLOCK_MANIFEST_H
#define AIRLOCK_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_FILE "airlock.json"
#define MANIFEST_COMPAT_SCRIPT "autorun.sh"
#define MANIFEST_VERSION 1

#define MANIFEST_JSON_MAX (64 * 1024) /* largest max_json accepted */
#define MANIFEST_PATH_MAX 1024        /* a path inside the payload (the zip name limit) */
#define MANIFEST_URL_MAX 2048
#define MANIFEST_HOST_MAX 253
#define MANIFEST_CMDLINE_MAX 4095
#define MANIFEST_LUKS_MAX 16
#define MANIFEST_LUKS_NAME_MAX 32
#define MANIFEST_LUKS_KEY_MAX 8192    /* bytes in a key file; at least 1 */
#define MANIFEST_VOLUME_MAX 255
#define MANIFEST_SIZE_MAX (1ull << 53) /* exact in a JSON number (double) */

enum manifest_err {
	MANIFEST_OK = 0,
	MANIFEST_E_ARG = -1,     /* NULL pointer, bad dirfd, max_json 0 or above MANIFEST_JSON_MAX */
	MANIFEST_E_MISSING = -2, /* neither airlock.json nor autorun.sh */
	MANIFEST_E_IO = -3,      /* reading airlock.json failed, or it is not a regular file */
	MANIFEST_E_SIZE = -4,    /* airlock.json larger than max_json */
	MANIFEST_E_JSON = -5,    /* not JSON, or a \u0000 / NUL byte in it */
	MANIFEST_E_VERSION = -6, /* version missing or not 1 */
	MANIFEST_E_SCHEMA = -7,  /* unknown, repeated or missing key; wrong type; value refused */
	MANIFEST_E_FILE = -8,    /* a referenced file or directory missing or of the wrong type or size */
	MANIFEST_E_NOMEM = -9,
};

enum manifest_mode {
	MANIFEST_MODE_NONE = 0,
	MANIFEST_MODE_AIRLOCK,        /* airlock.json: kexec the tenant kernel */
	MANIFEST_MODE_KEYLIME_COMPAT, /* autorun.sh only: run it; no kernel */
};

enum manifest_src {
	MANIFEST_SRC_NONE = 0, /* not given (initrd is optional) */
	MANIFEST_SRC_FILE,     /* a file in the payload */
	MANIFEST_SRC_URL,      /* fetched over plain HTTP, checked against sha256 and size */
};

/* The kernel or the initrd. */
struct manifest_blob {
	enum manifest_src src;
	char file[MANIFEST_PATH_MAX + 1]; /* SRC_FILE: path relative to the payload directory */
	char url[MANIFEST_URL_MAX + 1];   /* SRC_URL: as written */
	char host[MANIFEST_HOST_MAX + 1]; /* SRC_URL: name or address, IPv6 without brackets */
	uint16_t port;                    /* SRC_URL: 80 unless given */
	char path[MANIFEST_URL_MAX + 1];  /* SRC_URL: from the first '/', query included */
	uint8_t sha256[32];               /* SRC_URL */
	uint64_t size;                    /* SRC_URL: declared; SRC_FILE: the file's size */
};

struct manifest_luks {
	char name[MANIFEST_LUKS_NAME_MAX + 1];  /* [A-Za-z0-9_-]{1,32}, unique */
	char key[MANIFEST_PATH_MAX + 1];        /* key file in the payload */
	uint64_t key_size;                      /* 1..MANIFEST_LUKS_KEY_MAX */
	char volume[MANIFEST_VOLUME_MAX + 1];   /* UUID=, PARTUUID=, LABEL=, PARTLABEL= or /dev/... */
};

struct manifest {
	enum manifest_mode mode;
	int version;                             /* 1 in MODE_AIRLOCK, 0 in compat mode */
	struct manifest_blob kernel;             /* always given in MODE_AIRLOCK */
	struct manifest_blob initrd;
	bool has_cmdline;
	char cmdline[MANIFEST_CMDLINE_MAX + 1];  /* printable ASCII */
	size_t n_luks;
	struct manifest_luks luks[MANIFEST_LUKS_MAX];
	bool has_ipsec;
	char ipsec_dir[MANIFEST_PATH_MAX + 1];   /* holds swanctl.conf; no trailing '/' */
};

/*
 * Reads MANIFEST_FILE from the unpacked payload dirfd (refused above max_json
 * bytes; 1..MANIFEST_JSON_MAX) and parses it, or, without one, selects
 * keylime-compat mode when MANIFEST_COMPAT_SCRIPT is a regular file there.
 * On failure m is zeroed (mode NONE).
 */
int manifest_load(int dirfd, size_t max_json, struct manifest *m, char *err, size_t errlen);

/* Parses manifest text (len bytes, no terminator needed) and checks the files it names in dirfd. */
int manifest_parse(const char *json, size_t len, int dirfd, struct manifest *m, char *err, size_t errlen);

#endif

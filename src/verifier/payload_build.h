/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tenant's payload builder: the zip of docs/payload.md (layout version
 * 1) from files on the tenant's machine. airlock.json is written here; the
 * kernel and initrd go inline or by URL (sha256 and size from a local copy,
 * or given); LUKS keys under luks/NAME.key; a swanctl tree under ipsec/.
 *
 * The zip is deterministic (stored entries, fixed 1980-01-01 timestamps,
 * sorted ipsec tree, mode 0600) so the same inputs give the same bytes.
 * Key material lives only in the returned buffer; the caller wipes it
 * (explicit_bzero) once encrypted.
 */
#ifndef AIRLOCK_VERIFIER_PAYLOAD_BUILD_H
#define AIRLOCK_VERIFIER_PAYLOAD_BUILD_H

#include <stddef.h>
#include <stdint.h>

#define PB_MAX_LUKS 16
#define PB_MAX_TOTAL (64u << 20)

struct pb_blob {
	const char *file;   /* inline, or (with url) where sha256 and size come from */
	const char *url;    /* http:// URL the agent fetches */
	const char *sha256; /* with url and no file */
	const char *size;   /* with url and no file */
};

struct pb_opts {
	struct pb_blob kernel, initrd;
	const char *cmdline; /* NULL: none */
	const char *luks[PB_MAX_LUKS]; /* NAME=KEYFILE:VOLUME */
	unsigned nluks;
	const char *ipsec_dir; /* a swanctl tree (swanctl.conf at its top) */
	const char *revocation_cert; /* PEM: RevocationNotifier-cert.crt, NULL: none */
};

/* 0 with *zip (malloc'd, *len bytes), or -1 with err saying which input is wrong. */
int payload_build(const struct pb_opts *o, uint8_t **zip, size_t *len, char *err, size_t errlen);

#endif

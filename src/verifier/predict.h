/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `airlock-verifier predict BUILD_DIR`: the policy a node booting this build
 * must meet, computed from the build output alone (docs/verifier.md,
 * "Predicting a policy"):
 *
 *   PCR 8  the runtime's events in order: the command line /proc/cmdline
 *          will show (the board's built-in line from board.config, then what
 *          the boot loader appends), the canonical configuration /init
 *          derives from it (the same src/lib/config.c), a passing scrub
 *          (with the early memtest when the line asks for it), "ready";
 *          then, optionally, the agent's attestation and separator events;
 *   PCR 4  on UEFI boards, the Authenticode digest of bzImage, which the
 *          firmware measures when it loads the EFI-stub image;
 *   PCR 2  on coreboot boards, from the ROM: SHA-256 of the FMAP area, then of
 *          the stored data of each CBFS file coreboot loads (bootblock and
 *          romstage not with CBFS verification), as events and as the value.
 */
#ifndef AIRLOCK_VERIFIER_PREDICT_H
#define AIRLOCK_VERIFIER_PREDICT_H

#include <stddef.h>
#include <stdint.h>

struct predict_opts {
	const char *build_dir;
	const char *append;   /* boot loader arguments ("" for none) */
	const char *firmware; /* "uefi", "bios", "coreboot", or NULL: from buildinfo */
	const char *rom;      /* coreboot: the flash image (default BUILD_DIR/airlock.rom) */
	const char *cbfs_measured; /* coreboot: space-separated CBFS names (default: buildinfo's
				      coreboot-measured, else the q35 list) */
	/* coreboot: CBFS verification on (bootblock, romstage unmeasured): 1, 0, or -1 to read it
	   from the ROM (its metadata hash anchor); a given value the ROM contradicts is refused. */
	int cbfs_verification;
	/* Optional: the kernel's Authenticode digest for this build_dir, filled by the first
	   UEFI prediction and used by the next (boot-config predicts every node of one build). */
	struct predict_kernel_cache *kernel_cache;
};

struct predict_kernel_cache {
	int have;
	uint8_t authenticode[32];
};


/* The policy JSON (malloc'd) or NULL with err filled. */
char *predict_policy(const struct predict_opts *o, char *err, size_t errlen);

#endif

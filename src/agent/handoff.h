/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The last step of the runtime: measure the tenant's kernel, initrd and command
 * line (PCR 9) and the end of attestation (PCR 8), append the handoff archive
 * (keys, IPsec material, event logs; docs/payload.md) to the tenant initrd, load
 * it all with kexec and jump.
 *
 * The order matters: measure first, so the event log the tenant receives already
 * holds the events that describe what it was booted with.
 */
#ifndef AIRLOCK_AGENT_HANDOFF_H
#define AIRLOCK_AGENT_HANDOFF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANDOFF_CMDLINE_MAX 4096
#define HANDOFF_LUKS_MAX 16
#define HANDOFF_NAME_MAX 32
#define HANDOFF_VOLUME_MAX 255
/* The archive holds keys and a swanctl tree, not images: a few MiB is plenty. */
#define HANDOFF_ARCHIVE_MAX (16u << 20)
#define HANDOFF_MATERIAL_FILE_MAX (1u << 20)

struct handoff_luks {
	char name[HANDOFF_NAME_MAX + 1];
	char volume[HANDOFF_VOLUME_MAX + 1];
	char key_path[PATH_MAX];
};

struct handoff_plan {
	const char *kernel;                /* tenant kernel file */
	const char *initrd;                /* NULL: the tenant gets only the handoff archive */
	const char *cmdline;               /* NUL-terminated, shorter than HANDOFF_CMDLINE_MAX */
	const struct handoff_luks *luks;
	unsigned nluks;
	const char *ipsec_dir;             /* NULL: no IPsec material */
	const char *eventlog;              /* the runtime event log /init started */
	const uint8_t *fw_log;             /* the firmware's event log; NULL: none */
	size_t fw_log_len;
	const char *tpm;                   /* TPM spec for tpm_pcr_open() */
	const char *work_dir;              /* tmpfs directory for the combined initrd */
	uint32_t mtime;                    /* archive timestamps */
};

struct handoff_result {
	uint8_t kernel_sha256[32];
	uint64_t kernel_size;
	bool has_initrd;
	uint8_t initrd_sha256[32];
	uint64_t initrd_size;
	size_t archive_len;                /* bytes of the appended archive */
	char combined_initrd[PATH_MAX];    /* what kexec loads as the initrd */
	char kexec_path[32];               /* "kexec_file_load" or "kexec_load (kexec-tools)" */
};

/* sha256 and size of a file, at most max bytes. */
int handoff_file_sha256(const char *path, uint64_t max, uint8_t out[32], uint64_t *size,
			char *err, size_t errlen);

/* Events 4..9 of docs/eventlog.md into the TPM and the runtime event log. */
int handoff_measure(const struct handoff_plan *p, struct handoff_result *r, char *err,
		    size_t errlen);

/* Build the handoff archive and write initrd + archive to r->combined_initrd. */
int handoff_prepare_initrd(const struct handoff_plan *p, struct handoff_result *r, char *err,
			   size_t errlen);

/*
 * Load the tenant with kexec_file_load, or with kexec-tools' kexec_load path when
 * the kernel refuses the file-based call (r->kexec_path says which). Does not jump.
 */
int handoff_kexec_load(const struct handoff_plan *p, struct handoff_result *r,
		       const char *kexec_tool, char *err, size_t errlen);

/* Jump into the loaded kernel. Returns only on failure. */
int handoff_kexec_jump(char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The firmware's TCG event log, which answers PCRs 0-7: UEFI's from
 * securityfs, else coreboot's TPM2 log from CBMEM (docs/agent.md). Under
 * coreboot, QEMU's q35 gives Linux an ACPI TPM2 table whose log is empty, so
 * a securityfs log without events does not count. coreboot keeps its log in a
 * fixed-size table; the unused, zeroed entries are cut off.
 */
#ifndef AIRLOCK_AGENT_FW_LOG_H
#define AIRLOCK_AGENT_FW_LOG_H

#include <stddef.h>
#include <stdint.h>

#define FW_LOG_SECURITYFS "/sys/kernel/security/tpm0/binary_bios_measurements"
#define FW_LOG_COREBOOT "/sys/bus/coreboot/devices/cbmem-54504d32/mem"
#define FW_LOG_MAX (8u << 20)

struct fw_log {
	uint8_t *data;      /* NULL: no firmware log */
	size_t len;
	size_t nevents;
	const char *source; /* the file it came from */
};

/*
 * path: the log named by --fw-eventlog, or NULL to look in the standard
 * places. Never fails: a log that does not parse is kept whole (the verifier
 * says what is wrong with it) and a warning is logged.
 */
void fw_log_load(const char *path, struct fw_log *log);
void fw_log_free(struct fw_log *log);

#endif

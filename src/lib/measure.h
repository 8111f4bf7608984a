/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Measure one runtime event: record it in the runtime event log, extend the
 * same digests into every active bank of the PCR, and publish the log at
 * /run/airlock/eventlog, so that replaying the file always gives exactly what
 * the TPM holds.
 */
#ifndef AIRLOCK_LIB_MEASURE_H
#define AIRLOCK_LIB_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"
#include "tpm_pcr.h"

#define MEASURE_LOG_CAP (64 * 1024)

struct measure {
	struct tpm_pcr *tpm;
	const char *path;
	struct eventlog_writer log;
	uint8_t buf[MEASURE_LOG_CAP];
};

int measure_init(struct measure *m, struct tpm_pcr *tpm, const char *path, char *err,
		 size_t errlen);
/*
 * Continue the log published at path (written by /init): the agent appends its
 * events to the same log, so one file replays to the runtime PCRs. The log's
 * banks must be the TPM's active banks.
 */
int measure_resume(struct measure *m, struct tpm_pcr *tpm, const char *path, char *err,
		   size_t errlen);
int measure_event(struct measure *m, uint32_t pcr, uint32_t type, const void *data, size_t len,
		  char *err, size_t errlen);

#endif

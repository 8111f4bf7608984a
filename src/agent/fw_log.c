/* SPDX-License-Identifier: GPL-2.0-only */
#include "fw_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "file_read.h"
#include "log.h"

/* 1 and log filled if path holds a log with events (or any bytes, when !need_events). */
static int try_load(const char *path, bool need_events, struct fw_log *log)
{
	size_t len = 0, used = 0, n = 0;
	uint8_t *b = file_read(path, FW_LOG_MAX, &len, NULL, 0);
	int rc;

	if (!b) {
		if (errno == EFBIG)
			log_warn("agent: firmware event log %s is larger than %u bytes; not sent",
				 path, FW_LOG_MAX);
		return 0;
	}
	rc = eventlog_used_length(b, len, &used, &n);
	if (rc != EVENTLOG_OK) {
		if (need_events) {
			free(b);
			return 0;
		}
		log_warn("agent: firmware event log %s: %s (at byte %zu of %zu); sent as read",
			 path, eventlog_strerror(rc), used, len);
		used = len;
	} else if (need_events && n == 0) {
		free(b);
		return 0;
	}
	log->data = b;
	log->len = used;
	log->nevents = n;
	log->source = path;
	return 1;
}

void fw_log_load(const char *path, struct fw_log *log)
{
	memset(log, 0, sizeof(*log));
	if (path ? try_load(path, false, log) :
		   try_load(FW_LOG_SECURITYFS, true, log) || try_load(FW_LOG_COREBOOT, true, log))
		log_info("agent: firmware event log: %s (%zu events, %zu bytes)", log->source,
			 log->nevents, log->len);
	else
		log_info("agent: no firmware event log%s%s", path ? " at " : "", path ? path : "");
}

void fw_log_free(struct fw_log *log)
{
	free(log->data);
	memset(log, 0, sizeof(*log));
}

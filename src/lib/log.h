/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runtime's log (/init and the agent): every line goes to the console and
 * to /run/airlock/log with a monotonic timestamp, so an operator sees the same
 * story on the serial line that the agent can later ship. Fixed buffers only
 * (PID 1 has no heap).
 */
#ifndef AIRLOCK_LOG_H
#define AIRLOCK_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
/* Opens /run/airlock/log for appending; until then lines go to the console only. */
int log_open_file(const char *path);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif

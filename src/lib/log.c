/* SPDX-License-Identifier: GPL-2.0-only */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fd_write.h"

static enum log_level max_level = LOG_INFO;
static int file_fd = -1;

void log_set_level(enum log_level level)
{
	max_level = level;
}

int log_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	file_fd = fd;
	return 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	va_list ap;
	int n, m;

	if (level > max_level)
		return;
	n = snprintf(line, sizeof(line), "[%11.6f] airlock: %s", mono_s(), tag[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2) /* truncated: keep the newline */
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)fd_write_all(STDERR_FILENO, line, (size_t)n); /* nowhere to report it */
	if (file_fd >= 0)
		(void)fd_write_all(file_fd, line, (size_t)n);
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "measure.h"
#include "fd_write.h"
#include "lib_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Replace the file whole, so a reader never sees half an event. */
static int publish(const struct measure *m, char *err, size_t errlen)
{
	char tmp[256];
	int fd, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", m->path) >= (int)sizeof(tmp)) {
		lib_err(err, errlen, "event log path too long: %s", m->path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		lib_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fd_write_all(fd, m->log.buf, m->log.len) != 0) {
		lib_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, m->path) != 0) {
		lib_err(err, errlen, "cannot rename %s to %s: %s", tmp, m->path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(fd);
	if (ret != 0)
		unlink(tmp);
	return ret;
}

int measure_init(struct measure *m, struct tpm_pcr *tpm, const char *path, char *err,
		 size_t errlen)
{
	int rc;

	m->tpm = tpm;
	m->path = path;
	rc = eventlog_writer_init(&m->log, m->buf, sizeof(m->buf), tpm->banks, tpm->nbanks);
	if (rc != 0) {
		lib_err(err, errlen, "event log: %s", eventlog_strerror(rc));
		return -1;
	}
	return publish(m, err, errlen);
}

int measure_resume(struct measure *m, struct tpm_pcr *tpm, const char *path, char *err,
		   size_t errlen)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc, ret = -1;

	m->tpm = tpm;
	m->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		lib_err(err, errlen, "cannot open the runtime event log %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > sizeof(m->buf)) {
		lib_err(err, errlen, "runtime event log %s is not a regular file of at most %zu bytes",
			 path, sizeof(m->buf));
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, m->buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			lib_err(err, errlen, "cannot read the runtime event log %s: %s", path,
				 n < 0 ? strerror(errno) : "short read");
			goto out;
		}
		len += (size_t)n;
	}
	rc = eventlog_writer_resume(&m->log, m->buf, sizeof(m->buf), len);
	if (rc != 0) {
		lib_err(err, errlen, "runtime event log %s: %s", path, eventlog_strerror(rc));
		goto out;
	}
	if (m->log.nbanks != tpm->nbanks ||
	    memcmp(m->log.banks, tpm->banks, tpm->nbanks * sizeof(tpm->banks[0])) != 0) {
		lib_err(err, errlen, "runtime event log %s declares other PCR banks than the TPM has",
			 path);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

int measure_event(struct measure *m, uint32_t pcr, uint32_t type, const void *data, size_t len,
		  char *err, size_t errlen)
{
	struct eventlog_digests d;
	size_t before = m->log.len;
	int rc;

	rc = eventlog_append(&m->log, pcr, type, data, len, &d);
	if (rc != 0) {
		lib_err(err, errlen, "event log (PCR %u, %zu bytes): %s", pcr, len,
			 eventlog_strerror(rc));
		return -1;
	}
	/* The log must never claim an extend the TPM did not take. */
	if (tpm_pcr_extend(m->tpm, pcr, &d, err, errlen) != 0) {
		m->log.len = before;
		return -1;
	}
	return publish(m, err, errlen);
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "vkey_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_write.h"

/* uuids are [A-Za-z0-9._-] (the registrar's rule); refuse anything that is not a plain name. */
static int path_of(const char *state_dir, const char *uuid, char *out, size_t cap, char *err,
		   size_t errlen)
{
	if (!uuid[0] || uuid[0] == '.' || strchr(uuid, '/')) {
		snprintf(err, errlen, "pending V: \"%s\" is not a node name", uuid);
		return -1;
	}
	if ((size_t)snprintf(out, cap, "%s/%s/%s", state_dir, VKEY_DIR, uuid) >= cap) {
		snprintf(err, errlen, "pending V: path too long under %s", state_dir);
		return -1;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The file: V, then the enrolment's generation (big-endian); the release before wrote V alone. */
#define VKEY_FILE_LEN (VKEY_LEN + 8)

int vkey_put(const char *state_dir, const char *uuid, int64_t gen, const uint8_t v[VKEY_LEN],
	     char *err, size_t errlen)
{
	char dir[4096], path[4200], tmp[4300];
	uint8_t rec[VKEY_FILE_LEN];
	int fd = -1, ret = -1;

	if (path_of(state_dir, uuid, path, sizeof(path), err, errlen) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, VKEY_DIR);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "pending V: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	memcpy(rec, v, VKEY_LEN);
	for (int k = 0; k < 8; k++)
		rec[VKEY_LEN + k] = (uint8_t)((uint64_t)gen >> (56 - 8 * k));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fd_write_all(fd, rec, sizeof(rec)) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "pending V: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0 || sync_dir(dir) != 0) {
		snprintf(err, errlen, "pending V: cannot put %s in place: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(rec, sizeof(rec));
	if (fd >= 0)
		close(fd);
	if (ret != 0)
		(void)unlink(tmp);
	return ret;
}

/* uuid's file read whole: 1 with rec and *len (VKEY_LEN or VKEY_FILE_LEN), 0 none, -1 err. */
static int read_rec(const char *path, uint8_t rec[VKEY_FILE_LEN], size_t *len, char *err,
		    size_t errlen)
{
	uint8_t extra;
	ssize_t r;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "pending V: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	r = read(fd, rec, VKEY_FILE_LEN);
	if ((r != VKEY_LEN && r != VKEY_FILE_LEN) || read(fd, &extra, 1) != 0) {
		snprintf(err, errlen, "pending V: %s is neither %d nor %d bytes", path, VKEY_LEN,
			 VKEY_FILE_LEN);
		explicit_bzero(rec, VKEY_FILE_LEN);
		goto out;
	}
	*len = (size_t)r;
	ret = 1;
out:
	close(fd);
	return ret;
}

static int gen_matches(const uint8_t *rec, size_t len, int64_t gen)
{
	uint64_t g = 0;

	if (len == VKEY_LEN || gen < 0)
		return 1;
	for (int k = 0; k < 8; k++)
		g = g << 8 | rec[VKEY_LEN + k];
	return (int64_t)g == gen;
}

int vkey_get(const char *state_dir, const char *uuid, int64_t gen, uint8_t v[VKEY_LEN],
	     char *err, size_t errlen)
{
	char path[4200];
	uint8_t rec[VKEY_FILE_LEN];
	size_t len = 0;
	int rc;

	if (path_of(state_dir, uuid, path, sizeof(path), err, errlen) != 0)
		return -1;
	rc = read_rec(path, rec, &len, err, errlen);
	if (rc == 1 && !gen_matches(rec, len, gen))
		rc = 0;
	if (rc == 1)
		memcpy(v, rec, VKEY_LEN);
	explicit_bzero(rec, sizeof(rec));
	return rc;
}

int vkey_wipe(const char *state_dir, const char *uuid, int64_t gen, char *err, size_t errlen)
{
	static const uint8_t zero[VKEY_FILE_LEN];
	char path[4200], dir[4096];
	uint8_t rec[VKEY_FILE_LEN];
	size_t len = 0;
	int fd, rc, ours;

	if (path_of(state_dir, uuid, path, sizeof(path), err, errlen) != 0)
		return -1;
	/* A file that cannot be read as a V (another size) goes too. */
	rc = read_rec(path, rec, &len, err, errlen);
	ours = rc != 1 || gen_matches(rec, len, gen);
	explicit_bzero(rec, sizeof(rec));
	if (rc == 0 || !ours)
		return 0; /* none, or another enrolment's V: not ours to take */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "pending V: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	/* Overwrite in place before the name goes, so the blocks do not keep it. */
	if (fd_write_all(fd, zero, rc == 1 ? len : VKEY_FILE_LEN) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "pending V: cannot overwrite %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, VKEY_DIR);
	if (unlink(path) != 0 || sync_dir(dir) != 0) {
		snprintf(err, errlen, "pending V: cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

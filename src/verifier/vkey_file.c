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

int vkey_put(const char *state_dir, const char *uuid, const uint8_t v[VKEY_LEN], char *err,
	     size_t errlen)
{
	char dir[4096], path[4200], tmp[4300];
	int fd = -1, ret = -1;

	if (path_of(state_dir, uuid, path, sizeof(path), err, errlen) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, VKEY_DIR);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "pending V: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fd_write_all(fd, v, VKEY_LEN) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "pending V: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0 || sync_dir(dir) != 0) {
		snprintf(err, errlen, "pending V: cannot put %s in place: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0)
		(void)unlink(tmp);
	return ret;
}

int vkey_get(const char *state_dir, const char *uuid, uint8_t v[VKEY_LEN], char *err,
	     size_t errlen)
{
	char path[4200];
	ssize_t r;
	int fd, ret = -1;

	if (path_of(state_dir, uuid, path, sizeof(path), err, errlen) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "pending V: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	r = read(fd, v, VKEY_LEN);
	if (r != VKEY_LEN) {
		snprintf(err, errlen, "pending V: %s is not %d bytes", path, VKEY_LEN);
		explicit_bzero(v, VKEY_LEN);
		goto out;
	}
	ret = 1;
out:
	close(fd);
	return ret;
}

int vkey_wipe(const char *state_dir, const char *uuid, char *err, size_t errlen)
{
	static const uint8_t zero[VKEY_LEN];
	char path[4200], dir[4096];
	int fd;

	if (path_of(state_dir, uuid, path, sizeof(path), err, errlen) != 0)
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "pending V: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	/* Overwrite in place before the name goes, so the blocks do not keep it. */
	if (fd_write_all(fd, zero, VKEY_LEN) != 0 || fsync(fd) != 0) {
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

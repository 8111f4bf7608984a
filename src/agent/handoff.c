/* SPDX-License-Identifier: GPL-2.0-only */
#include "handoff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cpio_newc.h"
#include "digest.h"
#include "encoding.h"
#include "eventlog.h"
#include "fd_write.h"
#include "measure.h"
#include "runtime_events.h"
#include "tpm_pcr.h"

#define IO_CHUNK 65536u
#define IPSEC_DEPTH_MAX 6
#define KEXEC_TOOL_TIMEOUT_S 120

#ifndef KEXEC_FILE_NO_INITRAMFS
#define KEXEC_FILE_NO_INITRAMFS 0x00000004
#endif

int handoff_file_sha256(const char *path, uint64_t max, uint8_t out[32], uint64_t *size,
			char *err, size_t errlen)
{
	static uint8_t buf[IO_CHUNK];
	struct digest_ctx ctx;
	bool started = false;
	uint64_t total = 0;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (digest_init(&ctx, TPM_ALG_SHA256) != 0) {
		snprintf(err, errlen, "sha256 of %s: cannot start the digest", path);
		goto out;
	}
	started = true;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) {
			snprintf(err, errlen, "%s is larger than %llu bytes", path,
				 (unsigned long long)max);
			goto out;
		}
		if (digest_update(&ctx, buf, (size_t)n) != 0) {
			snprintf(err, errlen, "sha256 of %s failed", path);
			goto out;
		}
	}
	started = false;
	if (digest_final(&ctx, out) != 0) {
		snprintf(err, errlen, "sha256 of %s failed", path);
		goto out;
	}
	*size = total;
	ret = 0;
out:
	if (started)
		digest_abort(&ctx);
	close(fd);
	return ret;
}

int handoff_measure(const struct handoff_plan *p, struct handoff_result *r, char *err,
		    size_t errlen)
{
	static const uint8_t separator[4];
	static struct measure m;
	static struct tpm_pcr tpm;
	char line[160], digest_hex[65];
	bool open = false;
	int ret = -1;

	if (handoff_file_sha256(p->kernel, UINT64_MAX, r->kernel_sha256, &r->kernel_size, err,
				errlen) != 0)
		return -1;
	r->has_initrd = p->initrd != NULL;
	if (r->has_initrd && handoff_file_sha256(p->initrd, UINT64_MAX, r->initrd_sha256,
						 &r->initrd_size, err, errlen) != 0)
		return -1;
	if (tpm_pcr_open(&tpm, p->tpm, err, errlen) != 0)
		return -1;
	open = true;
	if (measure_resume(&m, &tpm, p->eventlog, err, errlen) != 0)
		goto out;
	if (measure_event(&m, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_PHASE, AIRLOCK_EV_TEXT_HANDOFF,
			  strlen(AIRLOCK_EV_TEXT_HANDOFF), err, errlen) != 0)
		goto out;
	hex_encode(r->kernel_sha256, 32, digest_hex, sizeof(digest_hex), NULL);
	snprintf(line, sizeof(line), AIRLOCK_EV_FMT_KERNEL, digest_hex,
		 (unsigned long long)r->kernel_size);
	if (measure_event(&m, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_PAYLOAD, line, strlen(line), err,
			  errlen) != 0)
		goto out;
	if (r->has_initrd) {
		hex_encode(r->initrd_sha256, 32, digest_hex, sizeof(digest_hex), NULL);
		snprintf(line, sizeof(line), AIRLOCK_EV_FMT_INITRD, digest_hex,
			 (unsigned long long)r->initrd_size);
		if (measure_event(&m, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_PAYLOAD, line, strlen(line),
				  err, errlen) != 0)
			goto out;
	}
	if (measure_event(&m, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_PAYLOAD, p->cmdline,
			  strlen(p->cmdline), err, errlen) != 0)
		goto out;
	if (measure_event(&m, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_SEPARATOR, separator,
			  sizeof(separator), err, errlen) != 0 ||
	    measure_event(&m, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_SEPARATOR, separator,
			  sizeof(separator), err, errlen) != 0)
		goto out;
	ret = 0;
out:
	if (open)
		tpm_pcr_close(&tpm);
	return ret;
}

/*
 * Read a whole small file into a malloc'd buffer; the caller wipes and frees it.
 * st_size is only a hint: securityfs files (the firmware log) report 0.
 */
static int slurp(int dirfd, const char *name, const char *shown, size_t max, uint8_t **out,
		 size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL, *grown;
	size_t got = 0, alloc;
	ssize_t n;
	int fd, ret = -1;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", shown);
		goto out;
	}
	alloc = st.st_size > 0 && (uint64_t)st.st_size < max ? (size_t)st.st_size + 1u : 65536u;
	for (;;) {
		if (got == alloc || !buf) {
			size_t want = buf ? alloc * 2u : alloc;

			if (want > max + 1u)
				want = max + 1u;
			if (buf && want <= got) {
				snprintf(err, errlen, "%s is larger than the %zu bytes allowed", shown,
					 max);
				goto out;
			}
			/* Never realloc: the old block would keep a copy of key bytes. */
			grown = malloc(want);
			if (!grown) {
				snprintf(err, errlen, "out of memory reading %s", shown);
				goto out;
			}
			if (buf) {
				memcpy(grown, buf, got);
				explicit_bzero(buf, got);
				free(buf);
			}
			buf = grown;
			alloc = want;
		}
		n = read(fd, buf + got, alloc - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read %s: %s", shown, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			snprintf(err, errlen, "%s is larger than the %zu bytes allowed", shown, max);
			goto out;
		}
	}
	*out = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	if (buf) {
		explicit_bzero(buf, got);
		free(buf);
	}
	close(fd);
	return ret;
}

static int add_file_from(struct cpio_buf *c, int dirfd, const char *name, const char *shown,
			 const char *archive_name, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (slurp(dirfd, name, shown, HANDOFF_MATERIAL_FILE_MAX, &data, &len, err, errlen) != 0)
		return -1;
	rc = cpio_add_file(c, archive_name, 0400, data, len);
	explicit_bzero(data, len);
	free(data);
	if (rc != 0) {
		snprintf(err, errlen, "handoff archive: %s: %s", archive_name, cpio_strerror(rc));
		return -1;
	}
	return 0;
}

/* Copy a swanctl tree: directories and regular files only, never following links. */
static int add_tree(struct cpio_buf *c, int dirfd, const char *shown, const char *prefix,
		    int depth, char *err, size_t errlen)
{
	char child_shown[PATH_MAX], child_name[CPIO_NAME_MAX + 1];
	struct dirent **ents = NULL;
	struct stat st;
	int n = -1, i, fd, ret = -1;

	if (depth > IPSEC_DEPTH_MAX) {
		snprintf(err, errlen, "%s: IPsec tree deeper than %d levels", shown,
			 IPSEC_DEPTH_MAX);
		return -1;
	}
	/* Sorted, so the archive is the same for the same tree. */
	fd = dup(dirfd);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", shown, strerror(errno));
		return -1;
	}
	{
		DIR *d = fdopendir(fd);
		struct dirent *e;
		size_t cnt = 0, cap = 0;

		if (!d) {
			close(fd);
			snprintf(err, errlen, "cannot list %s: %s", shown, strerror(errno));
			return -1;
		}
		while ((e = readdir(d)) != NULL) {
			struct dirent **grown;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (cnt == 4096u) {
				snprintf(err, errlen, "%s: more than 4096 entries", shown);
				break;
			}
			if (cnt == cap) {
				cap = cap ? cap * 2u : 16u;
				grown = realloc(ents, cap * sizeof(*ents));
				if (!grown)
					break;
				ents = grown;
			}
			ents[cnt] = malloc(sizeof(**ents));
			if (!ents[cnt])
				break;
			memcpy(ents[cnt], e, sizeof(**ents));
			cnt++;
		}
		n = (int)cnt;
		closedir(d);
		if (e != NULL) {
			if (!err[0])
				snprintf(err, errlen, "out of memory listing %s", shown);
			goto out;
		}
	}
	for (i = 1; i < n; i++) {
		struct dirent *k = ents[i];
		int j = i - 1;

		while (j >= 0 && strcmp(ents[j]->d_name, k->d_name) > 0) {
			ents[j + 1] = ents[j];
			j--;
		}
		ents[j + 1] = k;
	}
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		snprintf(child_shown, sizeof(child_shown), "%s/%s", shown, nm);
		if ((size_t)snprintf(child_name, sizeof(child_name), "%s/%s", prefix, nm) >=
		    sizeof(child_name)) {
			snprintf(err, errlen, "%s: name too long for the handoff archive",
				 child_shown);
			goto out;
		}
		if (fstatat(dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			snprintf(err, errlen, "cannot stat %s: %s", child_shown, strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int rc;

			if (sub < 0) {
				snprintf(err, errlen, "cannot open %s: %s", child_shown,
					 strerror(errno));
				goto out;
			}
			rc = cpio_add_dir(c, child_name, 0700);
			if (rc != 0) {
				close(sub);
				snprintf(err, errlen, "handoff archive: %s: %s", child_name,
					 cpio_strerror(rc));
				goto out;
			}
			rc = add_tree(c, sub, child_shown, child_name, depth + 1, err, errlen);
			close(sub);
			if (rc != 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			if (add_file_from(c, dirfd, nm, child_shown, child_name, err, errlen) != 0)
				goto out;
		} else {
			snprintf(err, errlen, "%s is neither a directory nor a regular file",
				 child_shown);
			goto out;
		}
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

static int build_archive(const struct handoff_plan *p, struct cpio_buf *c, char *err,
			 size_t errlen)
{
	char volumes[HANDOFF_LUKS_MAX * (HANDOFF_NAME_MAX + HANDOFF_VOLUME_MAX + 2) + 1];
	char name[CPIO_NAME_MAX + 1];
	size_t vlen = 0;
	unsigned i;
	int rc, fd;

	err[0] = '\0';
	if ((rc = cpio_add_dir(c, "airlock", 0700)) != 0 ||
	    (rc = cpio_add_file(c, "airlock/VERSION", 0400, "1\n", 2)) != 0)
		goto archive_err;
	if (add_file_from(c, AT_FDCWD, p->eventlog, p->eventlog, "airlock/eventlog", err,
			  errlen) != 0)
		return -1;
	if (p->fw_log && (rc = cpio_add_file(c, "airlock/firmware-eventlog", 0400, p->fw_log,
					     p->fw_log_len)) != 0)
		goto archive_err;
	if (p->nluks > HANDOFF_LUKS_MAX) {
		snprintf(err, errlen, "%u LUKS keys, at most %d", p->nluks, HANDOFF_LUKS_MAX);
		return -1;
	}
	if (p->nluks) {
		if ((rc = cpio_add_dir(c, "airlock/luks", 0700)) != 0)
			goto archive_err;
		for (i = 0; i < p->nluks; i++) {
			snprintf(name, sizeof(name), "airlock/luks/%s.key", p->luks[i].name);
			if (add_file_from(c, AT_FDCWD, p->luks[i].key_path, p->luks[i].key_path,
					  name, err, errlen) != 0)
				return -1;
			vlen += (size_t)snprintf(volumes + vlen, sizeof(volumes) - vlen, "%s %s\n",
						 p->luks[i].name, p->luks[i].volume);
		}
		if ((rc = cpio_add_file(c, "airlock/luks/volumes", 0400, volumes, vlen)) != 0)
			goto archive_err;
	}
	if (p->ipsec_dir) {
		fd = open(p->ipsec_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open the IPsec directory %s: %s", p->ipsec_dir,
				 strerror(errno));
			return -1;
		}
		rc = cpio_add_dir(c, "airlock/ipsec", 0700);
		if (rc != 0) {
			close(fd);
			goto archive_err;
		}
		rc = add_tree(c, fd, p->ipsec_dir, "airlock/ipsec", 1, err, errlen);
		close(fd);
		if (rc != 0)
			return -1;
	}
	if ((rc = cpio_finish(c)) != 0)
		goto archive_err;
	return 0;
archive_err:
	snprintf(err, errlen, "handoff archive: %s", cpio_strerror(rc));
	return -1;
}

int handoff_prepare_initrd(const struct handoff_plan *p, struct handoff_result *r, char *err,
			   size_t errlen)
{
	static uint8_t buf[IO_CHUNK];
	static const uint8_t zeros[4];
	struct cpio_buf c;
	uint64_t copied = 0;
	int in = -1, out = -1, ret = -1;
	ssize_t n;

	cpio_init(&c, HANDOFF_ARCHIVE_MAX, p->mtime);
	if (build_archive(p, &c, err, errlen) != 0)
		goto out;
	r->archive_len = c.len;
	if ((size_t)snprintf(r->combined_initrd, sizeof(r->combined_initrd), "%s/tenant-initrd",
			     p->work_dir) >= sizeof(r->combined_initrd)) {
		snprintf(err, errlen, "work directory path too long: %s", p->work_dir);
		goto out;
	}
	unlink(r->combined_initrd);
	out = open(r->combined_initrd, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		snprintf(err, errlen, "cannot create %s: %s", r->combined_initrd, strerror(errno));
		goto out;
	}
	if (p->initrd) {
		in = open(p->initrd, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (in < 0) {
			snprintf(err, errlen, "cannot open %s: %s", p->initrd, strerror(errno));
			goto out;
		}
		while ((n = read(in, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || fd_write_all(out, buf, (size_t)n) != 0) {
				snprintf(err, errlen, "copying %s to %s: %s", p->initrd,
					 r->combined_initrd, strerror(errno));
				goto out;
			}
			copied += (uint64_t)n;
		}
		/* What was measured is what is loaded. */
		if (copied != r->initrd_size) {
			snprintf(err, errlen, "%s changed size after it was measured", p->initrd);
			goto out;
		}
	}
	/* The kernel unpacks concatenated archives and skips zero padding between them. */
	if (fd_write_all(out, zeros, (size_t)((4u - (copied & 3u)) & 3u)) != 0 ||
	    fd_write_all(out, c.data, c.len) != 0) {
		snprintf(err, errlen, "writing %s: %s", r->combined_initrd, strerror(errno));
		goto out;
	}
	if (fsync(out) != 0 && errno != EINVAL) {
		snprintf(err, errlen, "writing %s: %s", r->combined_initrd, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret != 0 && r->combined_initrd[0])
		unlink(r->combined_initrd);
	cpio_free(&c);
	return ret;
}

/* kexec-tools' "kexec -c -l" uses the older kexec_load syscall. */
static int run_kexec_tool(const char *tool, const struct handoff_plan *p,
			  const struct handoff_result *r, char *err, size_t errlen)
{
	char initrd_arg[PATH_MAX + 16];
	char *cmdline_arg = NULL;
	pid_t pid;
	int status = 0, ret = -1;
	size_t alen = strlen(p->cmdline) + sizeof("--command-line=");

	cmdline_arg = malloc(alen);
	if (!cmdline_arg) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(cmdline_arg, alen, "--command-line=%s", p->cmdline);
	snprintf(initrd_arg, sizeof(initrd_arg), "--initrd=%s", r->combined_initrd);
	{
		char *argv[] = { (char *)tool, "-c", "-l", initrd_arg, cmdline_arg,
				 (char *)p->kernel, NULL };

		pid = fork();
		if (pid < 0) {
			snprintf(err, errlen, "fork for %s: %s", tool, strerror(errno));
			goto out;
		}
		if (pid == 0) {
			execv(tool, argv);
			_exit(127);
		}
	}
	switch (child_wait(pid, KEXEC_TOOL_TIMEOUT_S * 1000, &status)) {
	case CHILD_EXITED:
		break;
	case CHILD_TIMEOUT:
		child_kill(pid, NULL);
		snprintf(err, errlen, "%s did not finish within %d s", tool, KEXEC_TOOL_TIMEOUT_S);
		goto out;
	default:
		snprintf(err, errlen, "waiting for %s: %s", tool, strerror(errno));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s -c -l failed (%s %d)", tool,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	ret = 0;
out:
	free(cmdline_arg);
	return ret;
}

int handoff_kexec_load(const struct handoff_plan *p, struct handoff_result *r,
		       const char *kexec_tool, char *err, size_t errlen)
{
	int kfd = -1, ifd = -1, ret = -1;
	long rc;
	int saved;

	kfd = open(p->kernel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ifd = open(r->combined_initrd, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (kfd < 0 || ifd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", kfd < 0 ? p->kernel : r->combined_initrd,
			 strerror(errno));
		goto out;
	}
	rc = syscall(SYS_kexec_file_load, kfd, ifd, strlen(p->cmdline) + 1u, p->cmdline, 0UL);
	if (rc == 0) {
		snprintf(r->kexec_path, sizeof(r->kexec_path), "kexec_file_load");
		ret = 0;
		goto out;
	}
	saved = errno;
	/* EPERM and EACCES are policy (lockdown, signature checks): never work around them. */
	if (saved == EPERM || saved == EACCES || !kexec_tool) {
		snprintf(err, errlen, "kexec_file_load of %s refused: %s", p->kernel,
			 strerror(saved));
		goto out;
	}
	if (run_kexec_tool(kexec_tool, p, r, err, errlen) != 0) {
		char first[256];

		snprintf(first, sizeof(first), "%s", err);
		snprintf(err, errlen, "kexec_file_load failed (%s), and then %s", strerror(saved),
			 first);
		goto out;
	}
	snprintf(r->kexec_path, sizeof(r->kexec_path), "kexec_load (kexec-tools)");
	ret = 0;
out:
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return ret;
}

int handoff_kexec_jump(char *err, size_t errlen)
{
	sync();
	reboot(RB_KEXEC);
	snprintf(err, errlen, "reboot(RB_KEXEC) failed: %s", strerror(errno));
	return -1;
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "payload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "digest.h"
#include "encoding.h"
#include "fd_write.h"
#include "handoff.h"
#include "http_client.h"
#include "log.h"
#include "manifest.h"
#include "measure.h"
#include "runtime_events.h"
#include "tpm_agent.h"
#include "tpm_pcr.h"
#include "zip.h"

#define AUTORUN_TIMEOUT_S 300

struct payload {
	char dir[PATH_MAX];     /* unpacked zip */
	char fetched[PATH_MAX]; /* kernel/initrd fetched by URL */
	char work[PATH_MAX];    /* combined initrd */
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char ipsec[PATH_MAX];
	struct manifest m;
	struct handoff_luks luks[HANDOFF_LUKS_MAX];
};

/* rm -rf of a directory we created, never following links. */
static void remove_tree_at(int parent, const char *name, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd;

	if (depth > 32)
		return;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unlinkat(parent, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			remove_tree_at(fd, e->d_name, depth + 1);
		else
			unlinkat(fd, e->d_name, 0);
	}
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
}

static void remove_tree(const char *path)
{
	if (path[0])
		remove_tree_at(AT_FDCWD, path, 0);
}

static int fresh_dir(const char *path)
{
	remove_tree(path);
	if (mkdir(path, 0700) != 0) {
		log_err("agent: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* dir/name into out; -1 (reported) if it does not fit. */
static int join(char *out, size_t cap, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap) {
		log_err("agent: path too long: %s/%s", dir, name);
		return -1;
	}
	return 0;
}

/* GET a kernel or initrd named by URL; keep it only if size and sha256 match. */
static int fetch(const struct manifest_blob *b, const char *what, const char *dest)
{
	struct http_client_response r = { 0 };
	uint8_t got[32];
	char err[512], want_hex[65], got_hex[65];
	double t0 = mono_s();
	int fd = -1, ret = -1;

	log_info("agent: fetching the %s from %s (%llu bytes)", what, b->url,
		 (unsigned long long)b->size);
	if (http_client_request(b->host, b->port, "GET", b->path, NULL, NULL, 0,
				PAYLOAD_FETCH_TIMEOUT_MS, (size_t)b->size, &r, err,
				sizeof(err)) != 0) {
		log_err("agent: cannot fetch the %s from %s: %s", what, b->url, err);
		goto out;
	}
	if (r.status != 200) {
		log_err("agent: fetching the %s from %s: HTTP %d", what, b->url, r.status);
		goto out;
	}
	if (r.body_len != b->size) {
		log_err("agent: the %s from %s is %zu bytes, the manifest says %llu", what, b->url,
			r.body_len, (unsigned long long)b->size);
		goto out;
	}
	if (digest(TPM_ALG_SHA256, r.body, r.body_len, got) != 0 ||
	    memcmp(got, b->sha256, sizeof(got)) != 0) {
		hex_encode(b->sha256, 32, want_hex, sizeof(want_hex), NULL);
		hex_encode(got, 32, got_hex, sizeof(got_hex), NULL);
		log_err("agent: the %s from %s has sha256 %s, the manifest says %s: refused", what,
			b->url, got_hex, want_hex);
		goto out;
	}
	fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("agent: cannot create %s: %s", dest, strerror(errno));
		goto out;
	}
	if (fd_write_all(fd, r.body, r.body_len) != 0) {
		log_err("agent: writing %s: %s", dest, strerror(errno));
		goto out;
	}
	log_info("agent: %s fetched and verified in %.2f s", what, mono_s() - t0);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0 && fd >= 0)
		unlink(dest);
	http_client_response_free(&r);
	return ret;
}

static int blob_path(struct payload *p, const struct manifest_blob *b, const char *what,
		     char *out, size_t cap)
{
	if (b->src == MANIFEST_SRC_FILE)
		return join(out, cap, p->dir, b->file);
	if (join(out, cap, p->fetched, what) != 0)
		return -1;
	return fetch(b, what, out);
}

int payload_prepare(struct agent *a)
{
	static const struct zip_limits lim = {
		.max_entries = PAYLOAD_MAX_ENTRIES,
		.max_file_size = PAYLOAD_MAX_FILE,
		.max_total_size = PAYLOAD_MAX_TOTAL,
	};
	struct zip_stats st;
	struct payload *p;
	uint8_t *zip = NULL;
	size_t zip_len = 0;
	char err[512];
	double t0 = mono_s();
	int dirfd = -1, rc, ret = -1;
	size_t i;

	p = calloc(1, sizeof(*p));
	if (!p) {
		log_err("agent: out of memory for the payload state");
		a->refusal = "internal";
		return -1;
	}
	a->payload = p;
	a->refusal = "internal";
	if (join(p->dir, sizeof(p->dir), a->opt.state_dir, "payload") != 0 ||
	    join(p->fetched, sizeof(p->fetched), a->opt.state_dir, "fetched") != 0 ||
	    join(p->work, sizeof(p->work), a->opt.state_dir, "handoff") != 0)
		goto out;
	rc = keys_decrypt_payload(&a->keys, &zip, &zip_len, err, sizeof(err));
	a->refusal = "decrypt";
	if (rc == KC_ERR_AUTH) {
		log_err("agent: the payload does not decrypt with the derived key (GCM tag "
			"mismatch): tampered or not for this key");
		goto out;
	}
	if (rc != 0) {
		log_err("agent: payload: %s", err);
		goto out;
	}
	a->refusal = "empty";
	if (!zip) {
		log_err("agent: the tenant sent no payload with U; nothing to boot");
		goto out;
	}
	a->refusal = "internal";
	if (fresh_dir(p->dir) != 0 || fresh_dir(p->fetched) != 0 || fresh_dir(p->work) != 0)
		goto out;
	dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		log_err("agent: cannot open %s: %s", p->dir, strerror(errno));
		goto out;
	}
	a->refusal = "unpack";
	rc = zip_extract(zip, zip_len, dirfd, &lim, &st, err, sizeof(err));
	if (rc != 0) {
		log_err("agent: payload refused: %s", err);
		goto out;
	}
	a->refusal = "manifest";
	rc = manifest_load(dirfd, MANIFEST_JSON_MAX, &p->m, err, sizeof(err));
	if (rc != 0) {
		log_err("agent: payload refused: %s", err);
		goto out;
	}
	log_info("agent: payload decrypted and unpacked: %zu files, %llu bytes, %s (%.2f s)",
		 st.files, (unsigned long long)st.total_size,
		 p->m.mode == MANIFEST_MODE_KEYLIME_COMPAT ? "Keylime autorun.sh" : "airlock.json",
		 mono_s() - t0);
	if (p->m.mode == MANIFEST_MODE_KEYLIME_COMPAT) {
		a->refusal = NULL;
		ret = 0;
		goto out;
	}
	a->refusal = "kernel";
	if (blob_path(p, &p->m.kernel, "kernel", p->kernel, sizeof(p->kernel)) != 0)
		goto out;
	a->refusal = "initrd";
	if (p->m.initrd.src != MANIFEST_SRC_NONE &&
	    blob_path(p, &p->m.initrd, "initrd", p->initrd, sizeof(p->initrd)) != 0)
		goto out;
	a->refusal = "internal";
	for (i = 0; i < p->m.n_luks && i < HANDOFF_LUKS_MAX; i++) {
		snprintf(p->luks[i].name, sizeof(p->luks[i].name), "%s", p->m.luks[i].name);
		snprintf(p->luks[i].volume, sizeof(p->luks[i].volume), "%s", p->m.luks[i].volume);
		if (join(p->luks[i].key_path, sizeof(p->luks[i].key_path), p->dir,
			 p->m.luks[i].key) != 0)
			goto out;
	}
	if (p->m.has_ipsec && join(p->ipsec, sizeof(p->ipsec), p->dir, p->m.ipsec_dir) != 0)
		goto out;
	a->refusal = NULL;
	ret = 0;
out:
	if (zip) {
		explicit_bzero(zip, zip_len);
		free(zip);
	}
	if (dirfd >= 0)
		close(dirfd);
	if (ret != 0)
		payload_free(a);
	return ret;
}

int payload_measure_refusal(struct agent *a)
{
	/* Static: the log buffer is large, and the agent measures this at most once. */
	static struct measure m;
	static struct tpm_pcr tpm;
	char event[96], err[256];
	bool open = false;
	int ret = -1;

	snprintf(event, sizeof(event), AIRLOCK_EV_FMT_FAILURE, "payload",
		 a->refusal ? a->refusal : "internal");
	if (tpm_pcr_attach(&tpm, ta_tcti(a->tpm), err, sizeof(err)) != 0)
		goto out;
	open = true;
	if (measure_resume(&m, &tpm, a->opt.eventlog, err, sizeof(err)) != 0 ||
	    measure_event(&m, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_PHASE, event, strlen(event), err,
			  sizeof(err)) != 0)
		goto out;
	log_err("agent: payload refused; measured \"%s\" into PCR %d: no kexec, still answering "
		"quotes so the verifier sees why", event, AIRLOCK_PCR_RUNTIME);
	ret = 0;
out:
	if (ret != 0)
		log_err("agent: payload refused, and measuring \"%s\" failed: %s (no kexec)", event,
			err);
	if (open)
		tpm_pcr_close(&tpm);
	return ret;
}

bool payload_is_compat(const struct agent *a)
{
	return a->payload && a->payload->m.mode == MANIFEST_MODE_KEYLIME_COMPAT;
}

int payload_handoff(struct agent *a)
{
	struct payload *p = a->payload;
	struct handoff_plan plan = { 0 };
	struct handoff_result r = { 0 };
	char err[512], kh[65], ih[65];
	const char *tpm = a->opt.tpm ? a->opt.tpm : a->cfg.tpm[0] ? a->cfg.tpm :
			  tpm_device_default();
	double t0 = mono_s();

	if (!p)
		return -1;
	plan.kernel = p->kernel;
	plan.initrd = p->initrd[0] ? p->initrd : NULL;
	plan.cmdline = p->m.has_cmdline ? p->m.cmdline : "";
	plan.luks = p->luks;
	plan.nluks = (unsigned)(p->m.n_luks < HANDOFF_LUKS_MAX ? p->m.n_luks : HANDOFF_LUKS_MAX);
	plan.ipsec_dir = p->ipsec[0] ? p->ipsec : NULL;
	plan.eventlog = a->opt.eventlog;
	plan.fw_log = a->fw_log.data;
	plan.fw_log_len = a->fw_log.len;
	plan.tpm = tpm;
	plan.work_dir = p->work;
	plan.mtime = 0;
	if (handoff_measure(&plan, &r, err, sizeof(err)) != 0) {
		log_err("agent: measuring the tenant's boot failed: %s", err);
		return -1;
	}
	hex_encode(r.kernel_sha256, 32, kh, sizeof(kh), NULL);
	hex_encode(r.initrd_sha256, 32, ih, sizeof(ih), NULL);
	log_info("agent: measured into PCR 9: kernel sha256=%s size=%llu", kh,
		 (unsigned long long)r.kernel_size);
	if (r.has_initrd)
		log_info("agent: measured into PCR 9: initrd sha256=%s size=%llu", ih,
			 (unsigned long long)r.initrd_size);
	log_info("agent: measured into PCR 9: command line \"%s\"", plan.cmdline);
	if (handoff_prepare_initrd(&plan, &r, err, sizeof(err)) != 0) {
		log_err("agent: building the tenant initrd failed: %s", err);
		return -1;
	}
	log_info("agent: handoff archive %zu bytes (%u LUKS key%s%s) appended: %s",
		 r.archive_len, plan.nluks, plan.nluks == 1 ? "" : "s",
		 plan.ipsec_dir ? ", IPsec material" : "", r.combined_initrd);
	if (a->opt.dry_run) {
		printf("dry-run: would kexec kernel=%s sha256=%s size=%llu\n", plan.kernel, kh,
		       (unsigned long long)r.kernel_size);
		printf("dry-run: initrd=%s (tenant initrd %s, archive %zu bytes)\n",
		       r.combined_initrd, r.has_initrd ? ih : "none", r.archive_len);
		printf("dry-run: cmdline=\"%s\"\n", plan.cmdline);
		printf("dry-run: handoff in %.2f s\n", mono_s() - t0);
		fflush(stdout);
		return 0;
	}
	if (handoff_kexec_load(&plan, &r, a->opt.kexec_tool, err, sizeof(err)) != 0) {
		log_err("agent: kexec failed: %s", err);
		return -1;
	}
	log_info("agent: tenant loaded with %s in %.2f s; booting it", r.kexec_path,
		 mono_s() - t0);
	/* The loaded image holds its own copy; the unpacked keys go now. */
	remove_tree(p->dir);
	remove_tree(p->fetched);
	remove_tree(p->work);
	keys_free(&a->keys);
	kc_nk_free(&a->nk);
	if (handoff_kexec_jump(err, sizeof(err)) != 0)
		log_err("agent: %s", err);
	return -1;
}

int payload_run_autorun(struct agent *a)
{
	struct payload *p = a->payload;
	int status = 0;
	pid_t pid;

	if (!p)
		return -1;
	log_info("agent: running autorun.sh from the payload (Keylime compatibility)");
	pid = fork();
	if (pid < 0) {
		log_err("agent: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (chdir(p->dir) != 0)
			_exit(126);
		execl("/bin/sh", "sh", "autorun.sh", (char *)NULL);
		_exit(127);
	}
	switch (child_wait(pid, AUTORUN_TIMEOUT_S * 1000, &status)) {
	case CHILD_EXITED:
		break;
	case CHILD_TIMEOUT:
		child_kill(pid, NULL);
		log_err("agent: autorun.sh ran longer than %d s; killed", AUTORUN_TIMEOUT_S);
		return -1;
	default:
		log_err("agent: waiting for autorun.sh: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_err("agent: autorun.sh failed (%s %d)", WIFEXITED(status) ? "exit status" :
			"signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	log_info("agent: autorun.sh finished");
	return 0;
}

const char *payload_dir(const struct agent *a)
{
	return a->payload && a->payload->dir[0] ? a->payload->dir : NULL;
}

void payload_free(struct agent *a)
{
	struct payload *p = a->payload;

	if (!p)
		return;
	/* Not in dry-run: the test reads what the handoff would have loaded. */
	if (!a->opt.dry_run) {
		remove_tree(p->dir);
		remove_tree(p->fetched);
		remove_tree(p->work);
	}
	explicit_bzero(p, sizeof(*p));
	free(p);
	a->payload = NULL;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Revocation notices on the agent; see revocation.h. */
#include "revocation.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cJSON.h"
#include "child.h"
#include "clock.h"
#include "log.h"
#include "file_read.h"
#include "revocation_sig.h"

#define ACTION_LIST_MAX 4096

static bool regular_file(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void revocation_arm(struct revocation *r, const char *payload_dir, const char *work_dir)
{
	char path[PATH_MAX], dir[PATH_MAX], work[PATH_MAX], err[256];
	uint8_t *pem;
	size_t len = 0;

	free(r->cert);
	r->cert = NULL;
	r->cert_len = 0;
	r->dir[0] = r->work[0] = '\0';
	/* Absolute: the actions run in the payload directory and get the notice's path. */
	if (!payload_dir || !realpath(payload_dir, dir) || !realpath(work_dir, work) ||
	    strlen(dir) >= sizeof(r->dir) || strlen(work) >= sizeof(r->work)) {
		log_err("agent: payload or state directory missing or its path over %zu bytes: "
			"revocation notices will be refused", sizeof(r->dir) - 1);
		return;
	}
	memcpy(r->dir, dir, strlen(dir) + 1);
	memcpy(r->work, work, strlen(work) + 1);
	snprintf(path, sizeof(path), "%s/%s", r->dir, REVOCATION_CERT_FILE);
	if (!regular_file(path)) {
		log_info("agent: the payload has no %s: revocation notices will be refused",
			 REVOCATION_CERT_FILE);
		return;
	}
	pem = file_read(path, RS_CERT_MAX, &len, err, sizeof(err));
	if (!pem) {
		log_warn("agent: cannot read the payload's %s (%s): revocation notices will be "
			 "refused", REVOCATION_CERT_FILE, err);
		return;
	}
	if (rs_cert_check((const char *)pem, len, err, sizeof(err)) != KC_OK) {
		log_warn("agent: the payload's %s: %s: revocation notices will be refused",
			 REVOCATION_CERT_FILE, err);
		free(pem);
		return;
	}
	r->cert = (char *)pem;
	r->cert_len = len;
	log_info("agent: revocation notices are checked against the payload's %s",
		 REVOCATION_CERT_FILE);
}

static bool is_separator(uint8_t c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* action_list: names separated by commas or white space (Keylime writes either). */
static int action_names(const struct revocation *r, char names[][REVOCATION_ACTION_NAME_MAX + 1],
			unsigned *n, char *why, size_t whylen)
{
	char path[PATH_MAX], err[PATH_MAX + 64];
	uint8_t *b = NULL;
	size_t len = 0, i = 0;
	int ret = -1;

	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", r->dir, REVOCATION_ACTION_LIST);
	if (!regular_file(path))
		return 0;
	b = file_read(path, ACTION_LIST_MAX, &len, err, sizeof(err));
	if (!b) {
		snprintf(why, whylen, "cannot read the payload's %s: %s", REVOCATION_ACTION_LIST, err);
		goto out;
	}
	while (i < len) {
		size_t start, k;

		while (i < len && is_separator(b[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_separator(b[i]))
			i++;
		if (i - start > REVOCATION_ACTION_NAME_MAX || b[start] == '.' || b[start] == '-') {
			snprintf(why, whylen, "%s: entry at byte %zu is not an action name "
				 "(1..%d of A-Z a-z 0-9 . _ -, not starting with '.' or '-')",
				 REVOCATION_ACTION_LIST, start, REVOCATION_ACTION_NAME_MAX);
			goto out;
		}
		for (k = start; k < i; k++)
			if (!((b[k] >= 'a' && b[k] <= 'z') || (b[k] >= 'A' && b[k] <= 'Z') ||
			      (b[k] >= '0' && b[k] <= '9') || b[k] == '.' || b[k] == '_' ||
			      b[k] == '-')) {
				snprintf(why, whylen, "%s: byte 0x%02x at %zu is not allowed in an "
					 "action name", REVOCATION_ACTION_LIST, b[k], k);
				goto out;
			}
		if (*n == REVOCATION_ACTIONS_MAX) {
			snprintf(why, whylen, "%s names more than %d actions",
				 REVOCATION_ACTION_LIST, REVOCATION_ACTIONS_MAX);
			goto out;
		}
		memcpy(names[*n], b + start, i - start);
		names[*n][i - start] = '\0';
		snprintf(path, sizeof(path), "%s/%s", r->dir, names[*n]);
		if (!regular_file(path)) {
			snprintf(why, whylen, "%s names %s, which is not a file in the payload",
				 REVOCATION_ACTION_LIST, names[*n]);
			goto out;
		}
		(*n)++;
	}
	ret = 0;
out:
	free(b);
	return ret;
}

/* The runner keeps nothing of the agent's: no listening socket, no client connection. */
static void close_inherited_fds(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close((int)fd);
}

/*
 * The runner (leader of its own process group): one action after another, each
 * bounded; on a timeout it kills the group, itself and whatever the action started
 * included. Its exit status says how far it got.
 */
static void run_actions(const char *dir, const char *json, char names[][REVOCATION_ACTION_NAME_MAX + 1],
			unsigned n)
{
	close_inherited_fds();
	for (unsigned i = 0; i < n; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid < 0)
			_exit(100);
		if (pid == 0) {
			if (chdir(dir) != 0)
				_exit(126);
			execl("/bin/sh", "sh", names[i], json, (char *)NULL);
			_exit(127);
		}
		if (child_wait(pid, REVOCATION_ACTION_TIMEOUT_S * 1000, &status) != CHILD_EXITED) {
			log_err("agent: revocation action %s ran longer than %d s; killed with "
				"what it started, the rest skipped", names[i],
				REVOCATION_ACTION_TIMEOUT_S);
			kill(0, SIGKILL);
			_exit(101);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			log_err("agent: revocation action %s failed (%s %d); the rest skipped",
				names[i], WIFEXITED(status) ? "exit status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			_exit(102);
		}
		log_info("agent: revocation action %s done", names[i]);
	}
	_exit(0);
}

static int write_notice(const char *path, const char *msg, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), ret = -1;

	if (fd < 0)
		return -1;
	if (write(fd, msg, len) == (ssize_t)len)
		ret = 0;
	if (close(fd) != 0)
		ret = -1;
	return ret;
}

static const char *str_field(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsString(v) ? v->valuestring : "?";
}

int revocation_receive(struct revocation *r, const char *msg, size_t msg_len, const char *sig,
		       size_t sig_len, char *why, size_t whylen)
{
	static char names[REVOCATION_ACTIONS_MAX][REVOCATION_ACTION_NAME_MAX + 1];
	struct revocation_runner *slot = NULL;
	char err[256];
	cJSON *j = NULL, *sev;
	unsigned n = 0;
	int status = 400, rc;
	pid_t pid;

	if (!r->cert) {
		snprintf(why, whylen, "revocation notice refused: no certificate to check it with "
			 "(%s)", r->dir[0] ? "the payload carried no " REVOCATION_CERT_FILE :
			 "no payload yet");
		status = 409;
		goto out;
	}
	rc = rs_verify(r->cert, r->cert_len, msg, msg_len, sig, sig_len, err, sizeof(err));
	if (rc != KC_OK) {
		snprintf(why, whylen, "revocation notice refused: %s", err);
		status = rc == KC_ERR_KEY ? 409 : 400;
		goto out;
	}
	j = cJSON_ParseWithLength(msg, msg_len);
	if (!cJSON_IsObject(j)) {
		snprintf(why, whylen, "revocation notice refused: msg is signed but not a JSON "
			 "object");
		goto out;
	}
	/* airlock-verifier says why in "reason"; Keylime 7.x in "event_id" and "severity_label". */
	sev = cJSON_GetObjectItemCaseSensitive(j, "severity_label");
	log_warn("agent: signed revocation notice: %s for agent %.64s (ip %.64s): %.200s%s%.32s",
		 str_field(j, "type"), str_field(j, "agent_id"), str_field(j, "ip"),
		 cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "reason")) ?
		 str_field(j, "reason") : str_field(j, "event_id"),
		 cJSON_IsString(sev) ? ", severity " : "", cJSON_IsString(sev) ? sev->valuestring : "");
	if (action_names(r, names, &n, why, whylen) != 0) {
		log_err("agent: revocation actions not run: %s", why);
		status = 500;
		goto out;
	}
	if (n == 0) {
		snprintf(why, whylen, "revocation notice accepted; the payload names no actions");
		status = 200;
		goto out;
	}
	for (unsigned i = 0; i < REVOCATION_RUNNERS && !slot; i++)
		if (!r->run[i].pid)
			slot = &r->run[i];
	if (!slot) {
		snprintf(why, whylen, "revocation notice accepted, but %d earlier ones are still "
			 "running their actions; send it again later", REVOCATION_RUNNERS);
		status = 503;
		goto out;
	}
	slot->seq = ++r->seq;
	/* The pid too: a file left by an earlier agent in a kept state directory is no clash. */
	snprintf(slot->json, sizeof(slot->json), "%s/revocation-%ld-%u.json", r->work,
		 (long)getpid(), slot->seq);
	if (write_notice(slot->json, msg, msg_len) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", slot->json, strerror(errno));
		status = 500;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot start the revocation actions: fork: %s",
			 strerror(errno));
		unlink(slot->json);
		status = 500;
		goto out;
	}
	if (pid == 0) {
		/* Its own group, so a deadline kills the actions' children too. */
		setpgid(0, 0);
		run_actions(r->dir, slot->json, names, n);
	}
	setpgid(pid, pid);
	slot->pid = pid;
	slot->deadline = mono_s() + (double)n * REVOCATION_ACTION_TIMEOUT_S + 5;
	snprintf(why, whylen, "revocation notice accepted; running %u action(s)", n);
	status = 200;
out:
	cJSON_Delete(j);
	return status;
}

void revocation_poll(struct revocation *r)
{
	for (unsigned i = 0; i < REVOCATION_RUNNERS; i++) {
		struct revocation_runner *s = &r->run[i];
		int status = 0;
		pid_t w;

		if (!s->pid)
			continue;
		w = waitpid(s->pid, &status, WNOHANG);
		if (w == 0 && mono_s() > s->deadline && !s->killed) {
			/* Reaped on a later call: a process stuck in the kernel must not stall the API. */
			kill(-s->pid, SIGKILL);
			s->killed = 1;
			log_err("agent: revocation notice %u: actions past their time; killed", s->seq);
		}
		if (w == 0 || (w < 0 && errno == EINTR))
			continue;
		if (w == s->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("agent: revocation notice %u: all actions done", s->seq);
		unlink(s->json);
		memset(s, 0, sizeof(*s));
	}
}

void revocation_free(struct revocation *r)
{
	for (unsigned i = 0; i < REVOCATION_RUNNERS; i++) {
		struct revocation_runner *s = &r->run[i];

		if (!s->pid)
			continue;
		kill(-s->pid, SIGKILL);
		/* Bounded: up to 2 s for the kill to land, then leave it to init. */
		for (int t = 0; t < 100 && waitpid(s->pid, NULL, WNOHANG) == 0; t++)
			usleep(20000);
		unlink(s->json);
	}
	free(r->cert);
	memset(r, 0, sizeof(*r));
}

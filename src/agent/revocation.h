/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keylime revocation notices on the agent (docs/agent.md, "Revocation
 * notices"). Once a payload is unpacked, its RevocationNotifier-cert.crt
 * is the only key a notice is accepted under: the signature (RSA-PSS
 * SHA-256, revocation_sig.h) must verify over msg's exact bytes. An
 * accepted notice runs the payload's actions, named in its action_list,
 * one after another as `sh NAME NOTICE.json` in the payload directory (as
 * rust-keylime runs them: the notice's JSON in a file, first argument),
 * stopping at the first that fails. The actions run in a child process
 * group so the API keeps answering; each has a time limit.
 */
#ifndef AIRLOCK_AGENT_REVOCATION_H
#define AIRLOCK_AGENT_REVOCATION_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define REVOCATION_CERT_FILE "RevocationNotifier-cert.crt"
#define REVOCATION_ACTION_LIST "action_list"
#define REVOCATION_ACTIONS_MAX 16
#define REVOCATION_ACTION_NAME_MAX 64
#define REVOCATION_ACTION_TIMEOUT_S 60
/* Notices whose actions may run at once; another is refused with 503. */
#define REVOCATION_RUNNERS 4

struct revocation_runner {
	pid_t pid;      /* 0: free */
	int killed;     /* past its deadline, SIGKILL sent; waiting to reap it */
	double deadline;
	unsigned seq;
	char json[1200];
};

struct revocation {
	char *cert;     /* PEM from the payload; NULL until one arrives */
	size_t cert_len;
	char dir[1024];  /* the unpacked payload: actions and action_list */
	char work[1024]; /* where notices are written for the actions */
	unsigned seq;
	struct revocation_runner run[REVOCATION_RUNNERS];
};

/*
 * After a payload is unpacked in payload_dir: take its certificate, if any
 * (said on the console either way). work_dir holds the notice files.
 */
void revocation_arm(struct revocation *r, const char *payload_dir, const char *work_dir);

/*
 * A notice as the verifier sent it. Returns the HTTP status to answer:
 * 200 accepted (actions started, or none to run), 400 not signed by the
 * payload's certificate or not a JSON object, 409 no usable certificate to
 * check it with, 503 too many notices still running actions, 500 a bad
 * action_list or out of resources. why says what happened, for the answer and the console.
 */
int revocation_receive(struct revocation *r, const char *msg, size_t msg_len, const char *sig,
		       size_t sig_len, char *why, size_t whylen);

/* Reap finished action runs and kill those past their time; call from the main loop. */
void revocation_poll(struct revocation *r);

/* Kill what still runs and forget the certificate. */
void revocation_free(struct revocation *r);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `serve` tells others when a node fails, off the attestation workers:
 * detection never waits for it (docs/verifier.md, "Revocation notices").
 *
 * A failure goes into a bounded queue; one thread signs its notice and fans
 * it out: each recipient (every enrolled or attesting node, and the failed
 * one) has a small queue of notices of its own, and a pool of delivery
 * threads sends them, one connection per recipient at a time, with a short
 * timeout, every recipient in turn. A delivery that meets no answer or a busy
 * agent is tried once more; then it and everything else waiting for that
 * recipient is dropped and counted, and for NOTIFY_DEAD_MS nothing more is
 * queued for it; recipients that do not answer hold at most half the senders,
 * so they cannot delay the notices of those that do. Memory is
 * bounded: at most NOTIFY_NOTICES_MAX notices in flight and
 * NOTIFY_PER_NODE_MAX waiting per recipient (a recipient's oldest goes when a
 * new one does not fit, and is counted). Keylime's agents get one notice per
 * failed node, as they expect.
 *
 * The webhook has its own thread and bounded queue.
 */
#ifndef AIRLOCK_VERIFIER_NOTIFY_H
#define AIRLOCK_VERIFIER_NOTIFY_H

#include "attest.h"
#include "revocation_key.h"

#define NOTIFY_FAILURES_MAX 4096  /* failures waiting to be signed and fanned out */
#define NOTIFY_NOTICES_MAX 1024   /* signed notices not yet delivered everywhere */
#define NOTIFY_PER_NODE_MAX 64    /* notices waiting for one recipient */
#define NOTIFY_WEBHOOK_MAX 1024   /* webhook posts waiting */
#define NOTIFY_TIMEOUT_MS 3000    /* one delivery */
#define NOTIFY_RETRY_MS 2000      /* before the one retry */
#define NOTIFY_DEAD_MS 30000      /* no answer twice: no notices to it for this long */
#define NOTIFY_RECIPIENTS_MAX 100000 /* nodes with notices waiting at once */
#define NOTIFY_NICE 10            /* the notifier's threads yield the CPU to attestation */

struct notify_opts {
	const char *state_dir;
	const char *db; /* store_open's: NULL for SQLite in state_dir */
	unsigned senders;           /* delivery threads */
	const struct revkey *rk;    /* NULL: no notices (hooks and webhook only) */
	struct attest_opts attest;  /* TLS client certificate; timeout is NOTIFY_TIMEOUT_MS */
	const char *webhook;        /* http:// URL or NULL */
};

/* Starts the threads. 0, or -1 with err. */
int notify_start(const struct notify_opts *o, char *err, size_t errlen);
/* Stops them (what is queued is dropped, and said). */
void notify_stop(void);

/* A node failed: sign and send its notice. Never blocks on the network. */
void notify_failure(const char *uuid, const char *reason);
/* A verdict for the webhook. Never blocks on the network. */
void notify_webhook(const char *uuid, const char *result, const char *reason);

/* Counters since start, for the log and the tests. */
struct notify_stats {
	unsigned long notices, delivered, refused, retried, dropped, skipped;
};
void notify_get_stats(struct notify_stats *out);

#endif

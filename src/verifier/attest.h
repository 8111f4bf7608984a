/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tenant and verifier roles against one agent (Keylime agent API 2.x):
 * mutual TLS when the agent registered a certificate (pinned: the registered
 * certificate is the only trust anchor, as in Keylime), plain HTTP when it
 * registered "disabled".
 *
 * tenant_enroll: identity quote (signed by the registered AK, over our
 * nonce, PCR 16 = the NK binding), then U and the encrypted payload; V and
 * a keys/verify challenge wait in the state database for the first passing
 * integrity quote.
 *
 * attest_node: one integrity quote: signature, nonce, PCR digest, counters
 * never going back, safe clock, PCR 16, the runtime (and firmware) event log
 * replayed against the quoted PCRs, the node's policy; on the first pass V
 * is released and keys/verify checked.
 */
#ifndef AIRLOCK_VERIFIER_ATTEST_H
#define AIRLOCK_VERIFIER_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "keylime_crypto.h"
#include "store.h"

#define ATTEST_TIMEOUT_MS_DEFAULT 30000
#define ATTEST_ANSWER_MAX (16u << 20) /* event logs make integrity answers large */

/* Results of attest_node and tenant_enroll. */
enum attest_result {
	ATTEST_PASS = 0,
	ATTEST_FAIL = 1,   /* the node is not trustworthy: state becomes failed */
	ATTEST_ERROR = 2,  /* could not ask (network, database): try again later */
	ATTEST_SKIP = 3,   /* nothing to do for this node in its state */
};

struct attest_opts {
	int timeout_ms;
	const char *agent_host; /* override the registered contact (NAT, tests) */
	int agent_port;
	/* Mutual TLS with agents that registered a certificate: ours, issued by the
	 * client CA the agents trust (airlock.client_ca). PEM files. */
	const char *client_cert;
	const char *client_key;
};

/* payload: the zip to deliver (may be NULL: U only); policy_json may be NULL. */
int tenant_enroll(struct store *s, struct kc_rng *rng, const char *uuid, const uint8_t *payload,
		  size_t payload_len, const char *policy_json, const struct attest_opts *o,
		  char *why, size_t whylen);

/*
 * One attestation round; why says what failed (or what passed). *changed is
 * set when the verdict differs from the node's previous one (hooks run on
 * changes, not on every passing round).
 */
int attest_node(struct store *s, struct kc_rng *rng, const char *uuid, const struct attest_opts *o,
		int *changed, char *why, size_t whylen);

/*
 * Stop polling a node whose agent did not answer several rounds in a row:
 * state "unreachable", not "failed" (no evidence against it; an airlock
 * agent is gone once it kexecs into the tenant's kernel). A pending V is
 * dropped: the tenant enrols the node again if it comes back.
 */
int attest_unreachable(struct store *s, const char *uuid, const char *reason, char *err,
		       size_t errlen);

/* POST a revocation notice (revocation_notice.h) to n's agent: 0 when it took it (2xx), else -1, logged. */
int attest_post_revocation(const struct store_node *n, const struct attest_opts *o,
			   struct kc_rng *rng, const char *body);

/* Frees this thread's TLS client (our certificate and key), if it made one. */
void attest_tls_free(void);

#endif

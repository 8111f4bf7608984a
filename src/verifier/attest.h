/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tenant and verifier roles against one agent (Keylime agent API 2.x):
 * mutual TLS when the agent registered a certificate (pinned: the registered
 * certificate is the only trust anchor, as in Keylime), plain HTTP when it
 * registered "disabled".
 *
 * tenant_enroll: identity quote (signed by the registered AK, over our
 * nonce, PCR 16 = the NK binding), then U and the encrypted payload; V (in
 * its own file) and a keys/verify challenge wait for the first passing
 * integrity quote.
 *
 * attest_node: one integrity quote: signature, nonce, PCR digest, counters
 * never going back, safe clock, PCR 16, the runtime (and firmware) event log
 * replayed against the quoted PCRs, the node's policy; on the first pass V
 * is released (only to a runtime that has not handed off since the TPM's
 * last reset) and keys/verify checked.
 */
#ifndef AIRLOCK_VERIFIER_ATTEST_H
#define AIRLOCK_VERIFIER_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "keylime_crypto.h"
#include "store.h"

#define ATTEST_TIMEOUT_MS_DEFAULT 10000
#define ATTEST_ANSWER_MAX (16u << 20) /* event logs make integrity answers large */

/* Results of attest_node and tenant_enroll. */
enum attest_result {
	ATTEST_PASS = 0,
	ATTEST_FAIL = 1,   /* the node is not trustworthy: state becomes failed */
	ATTEST_ERROR = 2,  /* could not ask, or the agent said "not now" (429, 5xx): again later */
	ATTEST_SKIP = 3,   /* nothing to do for this node in its state, or it changed meanwhile */
	ATTEST_GONE = 4,   /* nothing answered: no connection, no TLS with its pin, no answer in time */
	ATTEST_STORE = 5,  /* the verifier's database failed: not the node's fault, asked again */
};

struct attest_opts {
	int timeout_ms;
	const char *agent_host; /* override the registered contact (NAT, tests) */
	int agent_port;
	/* Mutual TLS with agents that registered a certificate: ours, issued by the
	 * client CA the agents trust (airlock.client_ca). PEM files. */
	const char *client_cert;
	const char *client_key;
	/* Sent as User-Agent, so an agent's log says which verifier instance asked. */
	const char *user_agent;
};

/*
 * The tenant's `node add`: the uuid must be the machine the tenant means
 * (ek_hash, the EK's ek-hash, when the tenant names it; else a pin, or a uuid
 * bound to its EK at registration); then the identity quote, V into its file
 * (vkey_file.h), U and the payload to the agent. payload may be NULL (U only);
 * policy_json may be NULL.
 */
int tenant_enroll(struct store *s, struct kc_rng *rng, const char *uuid, const char *ek_hash,
		  const uint8_t *payload, size_t payload_len, const char *policy_json,
		  const struct attest_opts *o, char *why, size_t whylen);

/*
 * One attestation round; why says what failed (or what passed). *changed is
 * set when the verdict differs from the node's previous one (hooks run on
 * changes, not on every passing round). ATTEST_ERROR and ATTEST_GONE leave
 * the node as it was: the caller retries and decides when it is lost.
 */
int attest_node(struct store *s, struct kc_rng *rng, const char *uuid, const struct attest_opts *o,
		int *changed, char *why, size_t whylen);

/*
 * A node whose agent did not answer (gone: nothing answered at all; lost: it
 * has not answered for several rounds). A runtime agent that took V is gone
 * because it handed off: state "handed_off", not polled again. Any other
 * lost node becomes "unreachable": no evidence against it, polled at a
 * slower pace, back to attestation when it answers. 0 with state set to the
 * new state, 1 nothing changed, -1 error.
 */
int attest_lost(struct store *s, const char *uuid, int gone, int lost, const char *reason,
		char *state, size_t cap, char *err, size_t errlen);

/* POST a revocation notice (revocation_notice.h) to n's agent: an attest_result, why says why not. */
int attest_post_revocation(const struct store_node *n, const struct attest_opts *o,
			   struct kc_rng *rng, const char *body, char *why, size_t whylen);

/* Frees this thread's TLS client (our certificate and key), if it made one. */
void attest_tls_free(void);

/* Replaces what is not printable ASCII: reasons carry agents' text into logs and notices. */
void attest_clean_text(char *s);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A node's PCR policy (docs/verifier.md, "Policy file"):
 *
 *   {"airlock_policy": 1, "hash_alg": "sha256",
 *    "pcrs":   {"8": ["<hex>", ...], "0": [...]},
 *    "events": {"8": ["<hex event digest>", ...]}}
 *
 * "pcrs" lists the accepted values of each PCR (several for firmware
 * versions a provider publishes); "events" optionally lists the expected
 * event digests of a PCR in order (what `predict` derives from a build), so
 * a mismatch report can name the first event that differs. Parsing is
 * strict: unknown keys, PCRs outside 0..23, PCR 16 (the agent's key
 * binding, checked separately), digests of the wrong length are errors.
 */
#ifndef AIRLOCK_VERIFIER_POLICY_H
#define AIRLOCK_VERIFIER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "quote.h"

#define POLICY_MAX_VALUES 16 /* accepted values per PCR */
#define POLICY_MAX_EVENTS 64 /* predicted events per PCR */

struct policy {
	uint16_t hash_alg;
	uint32_t mask; /* PCRs with accepted values */
	unsigned nvalues[QUOTE_NPCR];
	uint8_t values[QUOTE_NPCR][POLICY_MAX_VALUES][DIGEST_MAX_SIZE];
	unsigned nevents[QUOTE_NPCR];
	uint8_t events[QUOTE_NPCR][POLICY_MAX_EVENTS][DIGEST_MAX_SIZE];
};

/* 0, or -1 with err saying what is wrong where. */
int policy_parse(const char *json, size_t len, struct policy *p, char *err, size_t errlen);

/*
 * Checks every PCR of the policy against the quote. 0 when all match;
 * -1 with a report: PCR, expected and actual values, and (when the policy
 * has predicted events and the runtime log is given) the first event of
 * that PCR in the log that differs.
 */
int policy_check(const struct policy *p, const struct quote *q, const uint8_t *runtime_log,
		 size_t log_len, char *report, size_t cap);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A node's policy (docs/verifier.md, "Policy file"):
 *
 *   {"airlock_policy": 1, "hash_alg": "sha256",
 *    "pcrs":            {"0": ["<hex>", ...]},
 *    "runtime_events":  {"8": [RULE, ...]},
 *    "runtime_tail":    {"8": [RULE, ...]},
 *    "firmware_events": {"4": [{"digest": "<hex>"}, ...]}}
 *
 * "pcrs" lists accepted values of a PCR (provider-published firmware
 * values). "runtime_events" describes, in order, every event the runtime log
 * holds for PCR 8 or 9 (the verifier has already checked that the log
 * replays to the quoted PCR, so its events are what was extended);
 * "runtime_tail" lists events that may follow them (the agent's own
 * attestation and separator events, measured just before kexec).
 * "firmware_events" names digests that must appear among the firmware log's
 * events of PCRs 0-7 (the runtime image's Authenticode hash in PCR 4 on UEFI).
 * A RULE is one of {"digest": "<hex>"}, {"text": "<exact data>"},
 * {"text_prefix": "<start>", "text_contains": ["<part>", ...]},
 * {"separator": true}. `predict` writes these from a build.
 *
 * "fresh_boot" (default true): V goes only to a runtime that has not handed
 * off since the TPM's last reset (its PCR 8 holds no handoff event). false
 * says the policy attests an OS the runtime already handed off to (the
 * tenant's own OS running a host agent), which then may get V.
 *
 * Parsing is strict: unknown keys, PCRs out of range, PCR 16 (the agent's
 * key binding, checked separately), digests of the wrong length, empty
 * policies are errors.
 */
#ifndef AIRLOCK_VERIFIER_POLICY_H
#define AIRLOCK_VERIFIER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "quote.h"

#define POLICY_MAX_VALUES 16  /* accepted values per PCR */
#define POLICY_MAX_RULES 64   /* event rules in all */
#define POLICY_TEXT_MAX 256
#define POLICY_MAX_CONTAINS 4

enum policy_rule_kind { RULE_DIGEST, RULE_TEXT, RULE_PREFIX, RULE_SEPARATOR };
enum policy_rule_set { SET_RUNTIME, SET_TAIL, SET_FIRMWARE };

struct policy_rule {
	uint8_t pcr;
	uint8_t set;  /* enum policy_rule_set */
	uint8_t kind; /* enum policy_rule_kind */
	uint8_t ncontains;
	uint8_t digest[DIGEST_MAX_SIZE];
	char text[POLICY_TEXT_MAX];
	char contains[POLICY_MAX_CONTAINS][64];
};

struct policy {
	uint16_t hash_alg;
	uint32_t mask; /* every PCR the policy says something about */
	unsigned nvalues[QUOTE_NPCR];
	uint8_t values[QUOTE_NPCR][POLICY_MAX_VALUES][DIGEST_MAX_SIZE];
	unsigned nrules;
	struct policy_rule rules[POLICY_MAX_RULES];
	int fresh_boot;   /* "fresh_boot", true unless the policy says false */
	uint32_t events;  /* PCRs whose events a rule reads: each must replay to the quote */
};

/* 0, or -1 with err saying what is wrong where. */
int policy_parse(const char *json, size_t len, struct policy *p, char *err, size_t errlen);

/*
 * Checks the policy against the quote and the (already replayed) logs. 0
 * when everything matches; -1 with a report naming the PCR, expected and
 * actual values, or the first event that differs from its rule.
 */
int policy_check(const struct policy *p, const struct quote *q, const uint8_t *runtime_log,
		 size_t rt_len, const uint8_t *firmware_log, size_t fw_len, char *report,
		 size_t cap);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/verifier/policy.c: the input as a policy file,
 * and (after the first NUL) as the runtime and the firmware event log for
 * the checks. A policy that parses must only name PCRs 0..23 except 16,
 * with counts within bounds; the report is always NUL-terminated within
 * its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			abort();  \
	} while (0)

static struct policy p;
static struct quote q;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size;
	char err[300], report[512];

	if (policy_parse((const char *)data, jlen, &p, err, sizeof(err)) != 0) {
		CHECK(memchr(err, 0, sizeof(err)));
		return 0;
	}
	CHECK(!(p.mask & (1u << 16)) && p.mask < (1u << QUOTE_NPCR));
	for (unsigned i = 0; i < QUOTE_NPCR; i++) {
		CHECK(p.nvalues[i] <= POLICY_MAX_VALUES);
		CHECK(!p.nvalues[i] || (p.mask & (1u << i)));
	}
	CHECK(p.nrules <= POLICY_MAX_RULES);
	for (unsigned i = 0; i < p.nrules; i++)
		CHECK((p.mask & (1u << p.rules[i].pcr)) && p.rules[i].ncontains <= POLICY_MAX_CONTAINS);
	/* A quote whose sha256 bank covers every PCR with zeros. */
	memset(&q, 0, sizeof(q));
	q.nbanks = 1;
	q.banks[0].alg = TPM_ALG_SHA256;
	q.banks[0].size = 32;
	q.banks[0].mask = (1u << QUOTE_NPCR) - 1;
	memset(report, 'x', sizeof(report));
	if (policy_check(&p, &q, nul ? nul + 1 : NULL, nul ? size - jlen - 1 : 0,
			 nul ? nul + 1 : NULL, nul ? size - jlen - 1 : 0, report, sizeof(report)) != 0)
		CHECK(memchr(report, 0, sizeof(report)));
	return 0;
}

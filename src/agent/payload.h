/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the agent does with the tenant's payload once U and V combined:
 * decrypt it, unpack the zip into the state directory (tmpfs), read the
 * manifest (docs/payload.md), fetch a kernel or initrd given by URL and check
 * it against the manifest's sha256 and size, then either hand off (measure,
 * append the handoff archive, kexec) or run a Keylime-style autorun.sh.
 */
#ifndef AIRLOCK_AGENT_PAYLOAD_H
#define AIRLOCK_AGENT_PAYLOAD_H

#include <stdbool.h>

#include "agent.h"

/* Unpacking limits (docs/payload.md). */
#define PAYLOAD_MAX_ENTRIES 256
#define PAYLOAD_MAX_FILE (256ull << 20)
#define PAYLOAD_MAX_TOTAL (512ull << 20)
#define PAYLOAD_FETCH_TIMEOUT_MS 300000

int payload_prepare(struct agent *a);
/*
 * After payload_prepare failed: extend "airlock failure: stage=payload
 * reason=<a->refusal>" into PCR 8 and the runtime log on the agent's own TPM
 * connection, so the next quote tells the verifier why this node will not boot
 * its tenant (the reason then shows in its report).
 */
int payload_measure_refusal(struct agent *a);
bool payload_is_compat(const struct agent *a);
/* Runtime: measure, build the tenant initrd, kexec (or print it all with --dry-run). */
int payload_handoff(struct agent *a);
/* Keylime compatibility: sh autorun.sh in the payload directory, bounded in time. */
int payload_run_autorun(struct agent *a);
/* The unpacked payload's directory, once payload_prepare succeeded; else NULL. */
const char *payload_dir(const struct agent *a);
/* Removes the unpacked payload (keys included) and frees the state. */
void payload_free(struct agent *a);

#endif

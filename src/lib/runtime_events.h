/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runtime's measured events: a contract between three programs. /init and
 * the agent measure them; the verifier's `predict` writes policies that expect
 * them and `attest` looks for the handoff. Each text is spelled here once, so a
 * change on one side cannot silently break attestation on the other (the
 * tests spell them out again on purpose: they are the independent witness).
 * docs/eventlog.md, "Runtime events", says exactly what the data bytes are.
 * Every one of them has digest == H(data) in every bank.
 */
#ifndef AIRLOCK_RUNTIME_EVENTS_H
#define AIRLOCK_RUNTIME_EVENTS_H

#include "eventlog.h"

#define AIRLOCK_PCR_RUNTIME 8 /* command line, configuration, phases */
#define AIRLOCK_PCR_PAYLOAD 9 /* tenant kernel, initrd, command line */

#define AIRLOCK_EV_CMDLINE   TCG_EV_IPL       /* /proc/cmdline, PCR 8 */
#define AIRLOCK_EV_CONFIG    TCG_EV_EVENT_TAG /* tagged config text, PCR 8 */
#define AIRLOCK_EV_PHASE     TCG_EV_ACTION    /* "airlock <phase>: ...", PCR 8 */
#define AIRLOCK_EV_SEPARATOR TCG_EV_SEPARATOR /* 4 zero bytes, PCR 8 and 9 */
#define AIRLOCK_EV_PAYLOAD   TCG_EV_IPL       /* kernel, initrd, cmdline, PCR 9 */

/*
 * The first event of the handoff (PCR 8, AIRLOCK_EV_PHASE): the agent
 * measures it, then the tenant's kernel, initrd and command line (PCR 9) and
 * the separators, before it kexecs. PCR 8 cannot be reset without resetting
 * the TPM, so a quote whose PCR 8 replays to a log holding this event (or a
 * separator) comes from a node whose runtime already handed off since the
 * TPM's last reset; the verifier releases V only to one that has not.
 */
#define AIRLOCK_EV_TEXT_HANDOFF "airlock attest: result=pass"

/* taggedEventID of the AIRLOCK_EV_CONFIG event ("AIRC" read as bytes). */
#define AIRLOCK_TAG_CONFIG 0x43524941u

/* The EV_SEPARATOR data TCG uses for "no error". */
#define AIRLOCK_SEPARATOR_SIZE 4

/*
 * Phase texts (AIRLOCK_EV_PHASE, PCR 8), in boot order. The scrub event is
 *   AIRLOCK_EV_TEXT_SCRUB "bytes=... verify_failures=N <memtest> result=pass|fail"
 * or, with airlock.scrub=off, AIRLOCK_EV_TEXT_SCRUB "<memtest> result=skipped";
 * <memtest> is one of the AIRLOCK_EV_MEMTEST_* words. `predict` matches the
 * prefix, the memtest word and the result, not the machine's figures.
 */
#define AIRLOCK_EV_TEXT_SCRUB "airlock scrub: "
#define AIRLOCK_EV_MEMTEST_RAN "memtest=ran"  /* followed by " memtest_bad=N" */
#define AIRLOCK_EV_MEMTEST_OFF "memtest=off"
#define AIRLOCK_EV_MEMTEST_UNKNOWN "memtest=unknown"
#define AIRLOCK_EV_RESULT_PASS "result=pass"
#define AIRLOCK_EV_RESULT_FAIL "result=fail"
#define AIRLOCK_EV_RESULT_SKIPPED "result=skipped"
#define AIRLOCK_EV_TEXT_READY "airlock runtime: state=ready"
#define AIRLOCK_EV_TEXT_SHUTDOWN "airlock shutdown: reason=request"
#define AIRLOCK_EV_TEXT_DEBUG_SHELL "airlock debug-shell: state=started"
/* printf formats: stage and reason are short tokens (docs/eventlog.md). */
#define AIRLOCK_EV_FMT_FAILURE "airlock failure: stage=%s reason=%s"

/* Payload texts (AIRLOCK_EV_PAYLOAD, PCR 9): lowercase hex sha256, size in bytes. */
#define AIRLOCK_EV_FMT_KERNEL "airlock kernel: sha256=%s size=%llu"
#define AIRLOCK_EV_FMT_INITRD "airlock initrd: sha256=%s size=%llu"

#endif

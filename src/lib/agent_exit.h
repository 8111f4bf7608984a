/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Exit statuses of airlock-agent that /init tells apart. Any other non-zero
 * status is a failure a restart may cure (network, TPM busy, a bad payload:
 * the tenant starts over with the fresh agent).
 */
#ifndef AIRLOCK_AGENT_EXIT_H
#define AIRLOCK_AGENT_EXIT_H

/* Restarting cannot help: configuration invalid, registration refused (4xx),
 * mutual TLS without its client CA. /init fails the boot at once. */
#define AGENT_EXIT_FATAL 3

#endif

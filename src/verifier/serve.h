/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef AIRLOCK_VERIFIER_SERVE_H
#define AIRLOCK_VERIFIER_SERVE_H

#include <stdint.h>

#include "attest.h"

struct serve_opts {
	const char *state_dir;
	const char *db;           /* a postgresql:// URL, or NULL: SQLite in state_dir */
	const char *instance;     /* this instance's name among those on one database */
	const char *listen_addr; /* registrar */
	uint16_t listen_port;
	const char *port_file;   /* write the bound port here (tests use port 0) */
	const char *ek_ca_dir;
	const char *ek_list;
	int interval_ms;
	unsigned workers;
	unsigned senders;              /* revocation notice deliveries at once */
	const char *on_pass, *on_fail; /* hook commands: CMD UUID RESULT REASON */
	const char *webhook;           /* http:// URL receiving a JSON POST */
	struct attest_opts attest;
};

struct metrics_schedule;
/* The schedule as GET /metrics shows it (taken under its lock). */
void serve_schedule_view(struct metrics_schedule *m);

/* Runs until SIGTERM/SIGINT; 0 on a clean stop, 1 when it could not start. */
int serve(const struct serve_opts *o);

#endif

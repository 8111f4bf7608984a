/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock-verifier's command line: the command table in main.c names a
 * function of this shape for each command, in the cmd_*.c file of its group.
 * Usage and exit codes: docs/verifier.md.
 */
#ifndef AIRLOCK_VERIFIER_CLI_H
#define AIRLOCK_VERIFIER_CLI_H

#include <stdint.h>

#include "cJSON.h"
#include "store.h"

/* Exit codes (docs/verifier.md). */
#define EXIT_OK 0
#define EXIT_ERROR 1     /* could not do it: I/O, database, network */
#define EXIT_USAGE 2
#define EXIT_REFUSED 3   /* the node failed a check, or a policy is invalid */
#define EXIT_NOTFOUND 4

#define PAYLOAD_MAX (64u << 20)
#define POLICY_FILE_MAX (STORE_TEXT_MAX - 1)

/* What a command may use: the state directory and, once opened, its store. */
struct cli {
	const char *state;
	const char *db; /* a postgresql:// URL, or NULL: SQLite in the state directory */
	struct store *st;
};

typedef int cli_command_fn(const struct cli *c, int argc, char **argv);

/* cmd_serve.c */
cli_command_fn cmd_serve;
/* cmd_node.c */
cli_command_fn cmd_node_add, cmd_node_list, cmd_node_show, cmd_node_delete, cmd_node_pin,
	cmd_node_unpin, cmd_policy_show;
/* cmd_policy.c */
cli_command_fn cmd_policy_check, cmd_policy_test, cmd_predict;
/* cmd_keys.c */
cli_command_fn cmd_ek_hash, cmd_revocation_cert;
/* cmd_boot.c */
cli_command_fn cmd_boot_config;

/* cli.c */
extern const char cli_usage[];
/* Prints "airlock-verifier: " fmt (one %s: arg) and the usage; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, const char *arg);
/* --state's default: $AIRLOCK_VERIFIER_STATE, $XDG_STATE_HOME/..., ~/.local/state/...; or NULL. */
const char *cli_default_state(void);
/* HOST:PORT or [V6]:PORT; port 0 only when allow_zero. */
int cli_parse_hostport(const char *s, char *host, size_t cap, uint16_t *port, int allow_zero);
/* Seconds 0.1..86400 into milliseconds. */
int cli_parse_seconds(const char *s, int *ms);
/* 64 hex digits (either case) into lowercase. */
int cli_parse_ek_hash(const char *s, char out[STORE_HASH_HEX + 1]);
/* j as indented JSON on stdout (the caller still owns j). */
void cli_print_json(cJSON *j);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock-verifier: the tenant's registrar, verifier and tenant in one
 * program. Usage and exit codes: docs/verifier.md (and `airlock-verifier
 * help`). Each command lives in the cmd_*.c file of its group; this table
 * says what it needs before it runs.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum cli_needs {
	NEEDS_NOTHING, /* works on files alone */
	NEEDS_STATE,   /* a state directory */
	NEEDS_STORE,   /* the state directory's store, opened */
};

static const struct command {
	const char *word, *sub; /* sub NULL: a one-word command */
	enum cli_needs needs;
	cli_command_fn *run;
} commands[] = {
	{ "ek-hash", NULL, NEEDS_NOTHING, cmd_ek_hash },
	{ "predict", NULL, NEEDS_NOTHING, cmd_predict },
	{ "boot-config", NULL, NEEDS_NOTHING, cmd_boot_config },
	{ "policy", "test", NEEDS_NOTHING, cmd_policy_test },
	{ "serve", NULL, NEEDS_STATE, cmd_serve },
	{ "revocation-cert", NULL, NEEDS_STATE, cmd_revocation_cert },
	{ "policy", "check", NEEDS_STATE, cmd_policy_check },
	{ "policy", "show", NEEDS_STORE, cmd_policy_show },
	{ "node", "add", NEEDS_STORE, cmd_node_add },
	{ "node", "list", NEEDS_STORE, cmd_node_list },
	{ "node", "show", NEEDS_STORE, cmd_node_show },
	{ "node", "delete", NEEDS_STORE, cmd_node_delete },
	{ "node", "pin", NEEDS_STORE, cmd_node_pin },
	{ "node", "unpin", NEEDS_STORE, cmd_node_unpin },
};

/* The command argv names (with how many words it took), or NULL with the usage error printed. */
static const struct command *lookup(int argc, char **argv, int *words, int *ret)
{
	int group = 0;

	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		const struct command *c = &commands[k];

		if (strcmp(argv[0], c->word) != 0)
			continue;
		if (!c->sub) {
			*words = 1;
			return c;
		}
		group = 1;
		if (argc > 1 && !strcmp(argv[1], c->sub)) {
			*words = 2;
			return c;
		}
	}
	if (group && argc > 1)
		*ret = cli_usage_error(!strcmp(argv[0], "node") ? "unknown node command %s" :
				       "unknown policy command %s", argv[1]);
	else
		*ret = cli_usage_error("unknown command %s", argv[0]);
	return NULL;
}

int main(int argc, char **argv)
{
	struct store st = { 0 };
	struct cli c = { 0 };
	const struct command *cmd;
	char err[300];
	int i = 1, words = 0, ret = EXIT_USAGE;
	const char *db = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Global options, in either order, before the command. */
	for (int k = 0; k < 2; k++) {
		if (i + 1 < argc && !strcmp(argv[i], "--state")) {
			c.state = argv[i + 1];
			i += 2;
		} else if (i + 1 < argc && !strcmp(argv[i], "--db")) {
			db = argv[i + 1];
			i += 2;
		}
	}
	if (i >= argc || !strcmp(argv[i], "help") || !strcmp(argv[i], "--help")) {
		fputs(cli_usage, i >= argc ? stderr : stdout);
		return i >= argc ? EXIT_USAGE : EXIT_OK;
	}
	cmd = lookup(argc - i, argv + i, &words, &ret);
	if (!cmd)
		return ret;
	i += words;
	if (cmd->needs == NEEDS_NOTHING)
		return cmd->run(&c, argc - i, argv + i);
	if (store_db_choice(db, &c.db, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_USAGE;
	}
	if (!c.state)
		c.state = cli_default_state();
	if (!c.state) {
		fprintf(stderr, "airlock-verifier: no state directory: give --state DIR\n");
		return EXIT_USAGE;
	}
	if (cmd->needs == NEEDS_STATE)
		return cmd->run(&c, argc - i, argv + i);
	if (store_open(&st, c.state, c.db, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s\n", err);
		return EXIT_ERROR;
	}
	c.st = &st;
	ret = cmd->run(&c, argc - i, argv + i);
	store_close(&st);
	return ret;
}

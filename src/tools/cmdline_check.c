/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cmdline-check 'LINE': would /init accept LINE as its /proc/cmdline? The
 * same parser /init runs (src/lib/config.c), so `make` refuses a coreboot ROM
 * whose command line the runtime would refuse before writing it.
 * Exit 0 (accepted), 1 (refused, the reason on stderr), 2 (usage).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

int main(int argc, char **argv)
{
	char err[CONFIG_DIAG_KEY_MAX + CONFIG_DIAG_VALUE_MAX + CONFIG_DIAG_MSG_MAX + 64];
	struct airlock_config cfg;

	if (argc != 2) {
		fprintf(stderr, "usage: cmdline-check 'KERNEL COMMAND LINE'\n");
		return 2;
	}
	if (config_parse_explained(argv[1], strlen(argv[1]), &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmdline-check: %s\n", err);
		return 1;
	}
	return 0;
}

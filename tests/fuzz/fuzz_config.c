/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/config.c.
 *
 * Properties checked on every input (up to one byte over the 4096-byte limit):
 *  - the parser reads only the len bytes it is given (the copy has no terminator, ASan watches);
 *  - every stored diagnostic is NUL-terminated inside its field;
 *  - success means no fatal diagnostic, config_canonical() succeeds, and the canonical lines fed
 *    back as a command line parse cleanly to the same canonical text (the measured text is a
 *    faithful, re-readable description of the configuration);
 *  - failure means at least one fatal diagnostic is stored and cfg holds only the defaults.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define NDIAG 4

static void check_diags(const struct config_diag *d, size_t stored)
{
	for (size_t i = 0; i < stored; i++) {
		if (strnlen(d[i].key, sizeof(d[i].key)) == sizeof(d[i].key) ||
		    strnlen(d[i].value, sizeof(d[i].value)) == sizeof(d[i].value) ||
		    strnlen(d[i].msg, sizeof(d[i].msg)) == sizeof(d[i].msg) || d[i].msg[0] == '\0')
			abort();
	}
}

/* Canonical lines that carry a value, joined by spaces; empty values mean "not given". */
static size_t canonical_to_cmdline(const char *canon, char *line, size_t cap)
{
	size_t o = 0;
	const char *p = canon;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n'), *eq;
		size_t n;

		if (nl == NULL)
			abort(); /* every line ends in '\n' */
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL)
			abort(); /* every line is KEY=VALUE */
		n = (size_t)(nl - p);
		/* The key ends at the first '='; a value may itself contain '=' (e.g. an iface). */
		if (eq + 1 != nl) {
			if (o + n + 1 > cap)
				abort();
			memcpy(line + o, p, n);
			o += n;
			line[o++] = ' ';
		}
		p = nl + 1;
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char canon[CONFIG_CANONICAL_MAX], canon2[CONFIG_CANONICAL_MAX], line[CONFIG_CANONICAL_MAX];
	struct airlock_config cfg, def;
	struct config_diag diag[NDIAG];
	size_t ndiag, stored, n;
	char *buf;
	int rc, len;

	if (size > CONFIG_CMDLINE_MAX + 1)
		return 0;
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);

	rc = config_parse(buf, size, &cfg, diag, NDIAG, &ndiag);
	stored = ndiag < NDIAG ? ndiag : NDIAG;
	check_diags(diag, stored);
	if (size > CONFIG_CMDLINE_MAX && rc != -1)
		abort();

	if (rc == 0) {
		for (size_t i = 0; i < stored; i++)
			if (diag[i].fatal)
				abort();
		len = config_canonical(&cfg, canon, sizeof(canon));
		if (len <= 0 || strlen(canon) != (size_t)len)
			abort();

		n = canonical_to_cmdline(canon, line, sizeof(line));
		if (config_parse(line, n, &cfg, diag, NDIAG, &ndiag) != 0 || ndiag != 0)
			abort();
		if (config_canonical(&cfg, canon2, sizeof(canon2)) != len || memcmp(canon, canon2, (size_t)len) != 0)
			abort();
	} else if (rc == -1) {
		bool any_fatal = false;

		for (size_t i = 0; i < stored; i++)
			any_fatal = any_fatal || diag[i].fatal;
		if (!any_fatal)
			abort();
		config_defaults(&def);
		if (memcmp(&cfg, &def, sizeof(def)) != 0)
			abort();
	} else {
		abort();
	}
	free(buf);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* airlock-verifier serve: registrar, verifier and tenant API until a signal. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int cmd_serve(const struct cli *c, int argc, char **argv)
{
	const char *state = c->state;
	static char host[256];
	struct serve_opts o = { 0 };

	o.state_dir = state;
	o.db = c->db;
	o.listen_addr = "127.0.0.1";
	o.listen_port = 8890;
	o.interval_ms = 2000;
	o.workers = 8;
	o.senders = 16;
	o.attest.timeout_ms = ATTEST_TIMEOUT_MS_DEFAULT;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return cli_usage_error("%s needs a value", a);
		i++;
		if (!strcmp(a, "--listen")) {
			if (cli_parse_hostport(v, host, sizeof(host), &o.listen_port, 1) != 0)
				return cli_usage_error("--listen wants ADDR:PORT, got %s", v);
			o.listen_addr = host;
		} else if (!strcmp(a, "--ek-ca")) {
			o.ek_ca_dir = v;
		} else if (!strcmp(a, "--ek-list")) {
			o.ek_list = v;
		} else if (!strcmp(a, "--interval")) {
			if (cli_parse_seconds(v, &o.interval_ms) != 0)
				return cli_usage_error("--interval wants seconds (0.1..86400), got %s", v);
		} else if (!strcmp(a, "--timeout")) {
			if (cli_parse_seconds(v, &o.attest.timeout_ms) != 0)
				return cli_usage_error("--timeout wants seconds (0.1..86400), got %s", v);
		} else if (!strcmp(a, "--instance")) {
			if (!*v || strlen(v) > 100)
				return cli_usage_error("--instance wants a name of 1..100 characters, got '%s'",
						       v);
			o.instance = v;
		} else if (!strcmp(a, "--workers")) {
			o.workers = (unsigned)atoi(v);
			if (o.workers < 1 || o.workers > 256)
				return cli_usage_error("--workers wants 1..256, got %s", v);
		} else if (!strcmp(a, "--senders")) {
			o.senders = (unsigned)atoi(v);
			if (o.senders < 1 || o.senders > 256)
				return cli_usage_error("--senders wants 1..256, got %s", v);
		} else if (!strcmp(a, "--on-pass")) {
			o.on_pass = v;
		} else if (!strcmp(a, "--on-fail")) {
			o.on_fail = v;
		} else if (!strcmp(a, "--webhook")) {
			o.webhook = v;
		} else if (!strcmp(a, "--port-file")) {
			o.port_file = v;
		} else if (!strcmp(a, "--client-cert")) {
			o.attest.client_cert = v;
		} else if (!strcmp(a, "--client-key")) {
			o.attest.client_key = v;
		} else {
			return cli_usage_error("serve: unknown option %s", a);
		}
	}
	return serve(&o) == 0 ? EXIT_OK : EXIT_ERROR;
}

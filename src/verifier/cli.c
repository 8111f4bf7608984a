/* SPDX-License-Identifier: GPL-2.0-only */
/* What every airlock-verifier command shares: usage, the state directory, argument parsers. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"
#include "encoding.h"

const char cli_usage[] =
	"usage: airlock-verifier [--state DIR] [--db postgresql://...] COMMAND ...\n"
	"  serve [--listen ADDR:PORT] [--ek-ca DIR] [--ek-list FILE] [--interval SEC]\n"
	"        [--workers N] [--senders N] [--timeout SEC] [--on-pass CMD] [--on-fail CMD]\n"
	"        [--webhook URL] [--port-file FILE] [--client-cert PEM --client-key PEM]\n"
	"        [--instance NAME]  (PostgreSQL: this one among several sharing the nodes)\n"
	"  node add UUID [--ek-hash HASH] (--payload ZIP | PAYLOAD) [--policy FILE]\n"
	"        [--agent HOST:PORT] [--timeout SEC] [--client-cert PEM --client-key PEM]\n"
	"    PAYLOAD: (--kernel FILE | --kernel-url URL (--kernel FILE | --kernel-sha256 H\n"
	"        --kernel-size N)) [the same for --initrd] [--cmdline S]\n"
	"        [--luks NAME=KEYFILE:VOLUME]... [--ipsec DIR]\n"
	"  node list [--json]\n"
	"  node show UUID [--json]\n"
	"  node delete UUID\n"
	"  node pin UUID HASH  (only the EK with this ek-hash may register UUID)\n"
	"  node unpin UUID\n"
	"  policy show UUID\n"
	"  policy check FILE\n"
	"  policy test FILE --runtime-log LOG [--firmware-log LOG]\n"
	"  predict BUILD_DIR [--append ARGS] [--firmware uefi|bios|coreboot] [--out FILE]\n"
	"          [--rom FILE] [--cbfs-measured 'NAME ...'] [--cbfs-verification on|off]\n"
	"  boot-config NODES BUILD_DIR --url URL --out DIR  (from lines \"UUID MAC WORD...\":\n"
	"          each node's iPXE script and the policy predicted from that same line)\n"
	"  ek-hash [--uuid] FILE  (an EK: TPM2B_PUBLIC as tpm2_createek -u writes it, or its\n"
	"                      certificate: the --ek-list entry and --ek-hash; --uuid: the\n"
	"                      uuid an airlock agent derives from that EK, TPM2B_PUBLIC only)\n"
	"  revocation-cert     (the certificate nodes check revocation notices with; a payload\n"
	"                      given by --payload carries it as RevocationNotifier-cert.crt)\n"
	"State directory: --state, else $AIRLOCK_VERIFIER_STATE, else\n"
	"$XDG_STATE_HOME/airlock-verifier (~/.local/state/airlock-verifier).\n"
	"Database: SQLite in the state directory, or PostgreSQL: --db URL, else\n"
	"$AIRLOCK_VERIFIER_DB (password in the URL, PGPASSWORD or ~/.pgpass).\n"
	"Exit codes: 0 ok, 1 error, 2 usage, 3 node or policy refused, 4 not found.\n";

int cli_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "airlock-verifier: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", cli_usage);
	return EXIT_USAGE;
}

static char state_buf[4096];

const char *cli_default_state(void)
{
	const char *e = getenv("AIRLOCK_VERIFIER_STATE"), *x = getenv("XDG_STATE_HOME"),
		   *h = getenv("HOME");

	if (e && *e)
		return e;
	if (x && *x)
		snprintf(state_buf, sizeof(state_buf), "%s/airlock-verifier", x);
	else if (h && *h) {
		snprintf(state_buf, sizeof(state_buf), "%s/.local/state", h);
		/* Only the last component is made by store_open. */
		mkdir(state_buf, 0700);
		snprintf(state_buf, sizeof(state_buf), "%s/.local/state/airlock-verifier", h);
	} else
		return NULL;
	return state_buf;
}

int cli_parse_hostport(const char *s, char *host, size_t cap, uint16_t *port, int allow_zero)
{
	const char *c = strrchr(s, ':');
	char *end;
	long p;

	if (!c || c == s || (size_t)(c - s) >= cap)
		return -1;
	errno = 0;
	p = strtol(c + 1, &end, 10);
	if (errno || *end || p < (allow_zero ? 0 : 1) || p > 65535)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	/* [v6]:port */
	if (host[0] == '[' && host[c - s - 1] == ']') {
		memmove(host, host + 1, (size_t)(c - s) - 2);
		host[c - s - 2] = '\0';
	}
	*port = (uint16_t)p;
	return 0;
}

int cli_parse_seconds(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v < 0.1 || v > 86400)
		return -1;
	*ms = (int)(v * 1000);
	return 0;
}

int cli_parse_ek_hash(const char *s, char out[STORE_HASH_HEX + 1])
{
	if (strlen(s) != STORE_HASH_HEX)
		return -1;
	for (int i = 0; i < STORE_HASH_HEX; i++) {
		if (!enc_is_hex((unsigned char)s[i]))
			return -1;
		out[i] = "0123456789abcdef"[hex_digit((unsigned char)s[i])];
	}
	out[STORE_HASH_HEX] = '\0';
	return 0;
}

void cli_print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		printf("%s\n", s);
	free(s);
}

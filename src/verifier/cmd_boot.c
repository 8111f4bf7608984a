/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock-verifier boot-config: from one node list, each node's iPXE script
 * and the policy predicted from exactly the command line that script gives
 * its kernel, so the two cannot disagree.
 *
 *   NODES: one node a line, "UUID MAC WORD...", '#' comments; WORDs are the
 *          kernel command line the node gets after the image's built-in one
 *          (airlock.registrar=..., airlock.uuid=..., console=ttyS1,115200, ...).
 *   DIR/boot.ipxe              chains ${net0/mac:hexhyp}.ipxe next to it (UEFI
 *                              HTTP boot loads ipxe.efi, DHCP hands it this)
 *   DIR/<mac as aa-bb-..>.ipxe "chain URL WORD..."
 *   DIR/<uuid>.policy          predict BUILD_DIR --append "<image name> WORD..."
 *                              (iPXE passes the image's name as the first word)
 * Every line is checked and every policy predicted before anything is written.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "encoding.h"
#include "file_read.h"
#include "lib_err.h"
#include "predict.h"

#define NODES_FILE_MAX (4u << 20)
#define NODES_MAX 10000
#define URL_MAX 1024

struct boot_node {
	char uuid[STORE_UUID_MAX + 1];
	char mac[18]; /* aa-bb-cc-dd-ee-ff, as iPXE's ${net0/mac:hexhyp} */
	char *words;  /* points into the node list's buffer */
	char *policy; /* predicted, malloc'd */
	unsigned line;
};

/* aa:bb:cc:dd:ee:ff or aa-bb-...: lowercase with hyphens, or -1. */
static int parse_mac(const char *s, char out[18])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':' && s[i] != '-')
				return -1;
			out[i] = '-';
		} else {
			int d = hex_digit((unsigned char)s[i]);

			if (d < 0)
				return -1;
			out[i] = "0123456789abcdef"[d];
		}
	}
	out[17] = '\0';
	return 0;
}

/* What iPXE would read as a variable, a comment or a second command must not reach the script. */
static const char *words_problem(const char *w)
{
	for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return "a control or non-ASCII byte";
		if (*p == '$')
			return "'$' (iPXE would expand it as a setting)";
		if (*p == '#' && (p == (const unsigned char *)w || p[-1] == ' '))
			return "a word starting with '#' (iPXE would read a comment)";
		if (*p == '|' || *p == '&' || *p == '"' || *p == '\'')
			return "'|', '&' or a quote (iPXE script syntax)";
	}
	return NULL;
}

static int write_file(const char *dir, const char *name, const char *text, char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		lib_err(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fputs(text, f) < 0 || fflush(f) != 0) {
		lib_err(err, errlen, "writing %s: %s", tmp, strerror(errno));
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		lib_err(err, errlen, "writing %s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret)
		unlink(tmp);
	return ret;
}

/* Splits the node list (modified in place) into nodes; 0 or -1 with err naming the line. */
static int parse_nodes(char *text, struct boot_node *nodes, size_t *n, char *err, size_t errlen)
{
	unsigned line = 0;
	char *save = NULL;

	*n = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *uuid, *mac, *words, *end;
		struct boot_node *b;
		const char *why;

		line++;
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '#' || *l == '\0')
			continue;
		for (end = l + strlen(l); end > l && (end[-1] == ' ' || end[-1] == '\t' ||
						       end[-1] == '\r'); end--)
			end[-1] = '\0';
		uuid = l;
		mac = strpbrk(uuid, " \t");
		if (!mac)
			goto short_line;
		*mac++ = '\0';
		mac += strspn(mac, " \t");
		words = strpbrk(mac, " \t");
		if (!words)
			goto short_line;
		*words++ = '\0';
		words += strspn(words, " \t");
		if (*n == NODES_MAX) {
			snprintf(err, errlen, "line %u: more than %d nodes in one list", line, NODES_MAX);
			return -1;
		}
		b = &nodes[(*n)++];
		memset(b, 0, sizeof(*b));
		b->line = line;
		if (!store_uuid_ok(uuid, strlen(uuid))) {
			snprintf(err, errlen, "line %u: uuid \"%.80s\" is not 1-%d of [A-Za-z0-9._-]", line,
				 uuid, STORE_UUID_MAX);
			return -1;
		}
		snprintf(b->uuid, sizeof(b->uuid), "%s", uuid);
		if (parse_mac(mac, b->mac) != 0) {
			snprintf(err, errlen, "line %u: \"%.40s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
				 line, mac);
			return -1;
		}
		if ((why = words_problem(words)) != NULL) {
			snprintf(err, errlen, "line %u (%s): the command line has %s", line, b->uuid, why);
			return -1;
		}
		b->words = words;
		/* The uuid the node registers with must be the one its policy is filed under. */
		for (const char *w = strstr(words, "airlock.uuid="); w; w = strstr(w + 1, "airlock.uuid="))
			if (w == words || w[-1] == ' ') {
				size_t vl = strcspn(w + 13, " ");

				if (vl != strlen(b->uuid) || strncmp(w + 13, b->uuid, vl) != 0) {
					snprintf(err, errlen, "line %u: the words say airlock.uuid=%.*s, the "
						 "node is %s", line, (int)(vl > 64 ? 64 : vl), w + 13, b->uuid);
					return -1;
				}
			}
		for (size_t k = 0; k + 1 < *n; k++)
			if (!strcmp(nodes[k].uuid, b->uuid) || !strcmp(nodes[k].mac, b->mac)) {
				snprintf(err, errlen, "line %u: %s %s again (line %u has it)", line,
					 !strcmp(nodes[k].uuid, b->uuid) ? "uuid" : "MAC",
					 !strcmp(nodes[k].uuid, b->uuid) ? b->uuid : b->mac, nodes[k].line);
				return -1;
			}
		continue;
short_line:
		snprintf(err, errlen, "line %u: expected UUID MAC WORD..., got \"%.80s\"", line, l);
		return -1;
	}
	if (*n == 0) {
		snprintf(err, errlen, "no nodes in the list");
		return -1;
	}
	return 0;
}

int cmd_boot_config(const struct cli *c, int argc, char **argv)
{
	const char *nodes_file = NULL, *build = NULL, *url = NULL, *dir = NULL, *name;
	struct boot_node *nodes = NULL;
	char err[600], *text = NULL, *script = NULL;
	size_t len, n = 0;
	int ret = EXIT_ERROR;

	(void)c;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--url") && i + 1 < argc)
			url = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			dir = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error("boot-config: unknown option %s", argv[i]);
		else if (!nodes_file)
			nodes_file = argv[i];
		else if (!build)
			build = argv[i];
		else
			return cli_usage_error("boot-config: one NODES file and one BUILD_DIR, not %s",
					       argv[i]);
	}
	if (!nodes_file || !build || !url || !dir)
		return cli_usage_error("boot-config NODES BUILD_DIR --url URL --out DIR%s", "");
	name = strrchr(url, '/');
	name = name ? name + 1 : url;
	if (strlen(url) >= URL_MAX || !*name || strncmp(url, "http", 4) != 0 || words_problem(url) ||
	    strchr(url, ' '))
		return cli_usage_error("boot-config: --url wants the runtime image's http(s) URL, "
				       "ending in its file name (e.g. http://boot.example/runtime.efi), "
				       "got %s", url);
	/* iPXE hands the kernel the image's name as its first word; an airlock.* name is a key. */
	if (!strncmp(name, "airlock.", 8))
		return cli_usage_error("boot-config: the image's file name must not start with "
				       "\"airlock.\" (iPXE passes it as the first word of the command "
				       "line), got %s", name);
	text = (char *)file_read(nodes_file, NODES_FILE_MAX, &len, err, sizeof(err));
	if (!text) {
		fprintf(stderr, "airlock-verifier: boot-config: %s\n", err);
		goto out;
	}
	nodes = calloc(NODES_MAX, sizeof(*nodes));
	if (!nodes) {
		fprintf(stderr, "airlock-verifier: boot-config: out of memory\n");
		goto out;
	}
	if (parse_nodes(text, nodes, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: boot-config: %s: %s\n", nodes_file, err);
		ret = EXIT_REFUSED;
		goto out;
	}
	/* Every policy first: a line /init would refuse stops the run before a file is written. */
	for (size_t i = 0; i < n; i++) {
		struct predict_opts o = { .build_dir = build, .cbfs_verification = -1 };
		char append[CONFIG_CMDLINE_MAX];

		if ((size_t)snprintf(append, sizeof(append), "%s %s", name, nodes[i].words) >=
		    sizeof(append)) {
			fprintf(stderr, "airlock-verifier: boot-config: line %u (%s): command line "
				"longer than %d bytes\n", nodes[i].line, nodes[i].uuid,
				CONFIG_CMDLINE_MAX);
			ret = EXIT_REFUSED;
			goto out;
		}
		o.append = append;
		nodes[i].policy = predict_policy(&o, err, sizeof(err));
		if (nodes[i].policy) {
			/* Ended by a newline, as `predict --out` writes it: the same bytes. */
			size_t pl = strlen(nodes[i].policy);
			char *nl = realloc(nodes[i].policy, pl + 2);

			if (!nl) {
				free(nodes[i].policy);
				nodes[i].policy = NULL;
				snprintf(err, sizeof(err), "out of memory");
			} else {
				memcpy(nl + pl, "\n", 2);
				nodes[i].policy = nl;
			}
		}
		if (!nodes[i].policy) {
			fprintf(stderr, "airlock-verifier: boot-config: line %u (%s): %s\n",
				nodes[i].line, nodes[i].uuid, err);
			ret = EXIT_REFUSED;
			goto out;
		}
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "airlock-verifier: boot-config: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	script = malloc(URL_MAX + CONFIG_CMDLINE_MAX + 128);
	if (!script)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char file[STORE_UUID_MAX + 16];

		snprintf(script, URL_MAX + CONFIG_CMDLINE_MAX + 128,
			 "#!ipxe\n# %s (airlock-verifier boot-config; its policy: %s.policy)\n"
			 "chain %s %s\n", nodes[i].uuid, nodes[i].uuid, url, nodes[i].words);
		snprintf(file, sizeof(file), "%s.ipxe", nodes[i].mac);
		if (write_file(dir, file, script, err, sizeof(err)) != 0)
			goto werr;
		snprintf(file, sizeof(file), "%s.policy", nodes[i].uuid);
		if (write_file(dir, file, nodes[i].policy, err, sizeof(err)) != 0)
			goto werr;
	}
	if (write_file(dir, "boot.ipxe", "#!ipxe\n# Each node's own script, by its MAC "
		       "(airlock-verifier boot-config).\nchain ${net0/mac:hexhyp}.ipxe\n", err,
		       sizeof(err)) != 0)
		goto werr;
	printf("boot-config: %zu node%s: boot.ipxe, <mac>.ipxe and <uuid>.policy in %s\n", n,
	       n == 1 ? "" : "s", dir);
	ret = EXIT_OK;
	goto out;
werr:
	fprintf(stderr, "airlock-verifier: boot-config: %s\n", err);
out:
	for (size_t i = 0; nodes && i < n; i++)
		free(nodes[i].policy);
	free(nodes);
	free(text);
	free(script);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airlock-verifier boot-config: from one node list, each node's iPXE script
 * and the policy predicted from exactly the command line that script gives
 * its kernel, so the two cannot disagree.
 *
 *   NODES: one node a line, "UUID MAC WORD...", '#' comments; WORDs are the
 *          kernel command line the node gets after the image's built-in one
 *          (airlock.registrar=..., airlock.uuid=..., console=ttyS1,115200, ...).
 *   DIR/boot.ipxe              chains ${netX/mac:hexhyp}.ipxe next to it: the
 *                              script of the NIC iPXE booted from (UEFI HTTP
 *                              boot loads ipxe.efi, DHCP hands it this)
 *   DIR/<mac as aa-bb-..>.ipxe "chain URL WORD..."
 *   DIR/<uuid>.policy          predict BUILD_DIR --append "<image name> WORD..."
 *                              (iPXE passes the image's name as the first word)
 * Words are joined by single spaces, as iPXE passes them; a line without
 * airlock.uuid= gets airlock.uuid=UUID, so the node registers under the uuid
 * its policy is filed under. Every line is checked and every policy predicted
 * before anything is written; DIR is then replaced whole (the previous one
 * kept as DIR.previous), so no script of a node no longer listed survives.
 * UEFI builds only: iPXE adds the image name for EFI images alone.
 */
#include "cli.h"

#include <dirent.h>
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
#define WORDS_MAX (CONFIG_CMDLINE_MAX + STORE_UUID_MAX + 16)

struct boot_node {
	char uuid[STORE_UUID_MAX + 1];
	char mac[18]; /* aa-bb-cc-dd-ee-ff, as iPXE's ${net0/mac:hexhyp} */
	char words[WORDS_MAX]; /* single spaces, airlock.uuid= included */
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

/* One file in the private directory that replaces DIR whole: no per-file rename needed. */
static int write_file(const char *dir, const char *name, const char *text, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		lib_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	bad = fputs(text, f) < 0;
	if (fclose(f) != 0 || bad) {
		lib_err(err, errlen, "writing %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The words joined by single spaces: what the kernel gets from iPXE's argument list. */
static int join_words(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = in; *p;) {
		size_t n = strcspn(p, " \t");

		if (n) {
			if (o + (o ? 1 : 0) + n + 1 > cap)
				return -1;
			if (o)
				out[o++] = ' ';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		p += strspn(p, " \t");
	}
	out[o] = '\0';
	return 0;
}

/* 0 when BUILD_DIR's buildinfo says UEFI (ovmf/uefi); else -1 with err. */
static int uefi_build(const char *build, char *err, size_t errlen)
{
	char path[4096], fw[32] = "";
	size_t len;
	char *info, *l;

	snprintf(path, sizeof(path), "%s/buildinfo", build);
	info = (char *)file_read(path, 1u << 20, &len, err, errlen);
	if (!info)
		return -1;
	for (l = info; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "firmware: ", 10)) {
			size_t n = strcspn(l + 10, "\n");

			snprintf(fw, sizeof(fw), "%.*s", (int)(n < 31 ? n : 31), l + 10);
			break;
		}
	free(info);
	if (!strcmp(fw, "ovmf") || !strcmp(fw, "uefi"))
		return 0;
	lib_err(err, errlen, "%s is a %s build: boot-config writes iPXE scripts for UEFI builds "
		"(iPXE passes the image's name as the first word for EFI images only)", build,
		fw[0] ? fw : "firmware-less");
	return -1;
}

/* Removes a directory boot-config wrote (flat: files only). 0, or -1 with errno. */
static int remove_tree(const char *path)
{
	char f[4352];
	struct dirent *e;
	DIR *d = opendir(path);
	int ret = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
		if (unlink(f) != 0)
			ret = -1;
	}
	closedir(d);
	return ret == 0 ? rmdir(path) : -1;
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
		int named;

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
		if (join_words(words, b->words, sizeof(b->words)) != 0) {
			snprintf(err, errlen, "line %u (%s): the command line is longer than %d bytes",
				 line, b->uuid, CONFIG_CMDLINE_MAX);
			return -1;
		}
		/* The uuid the node registers with must be the one its policy is filed under. */
		named = 0;
		for (const char *w = strstr(b->words, "airlock.uuid="); w; w = strstr(w + 1, "airlock.uuid="))
			if (w == b->words || w[-1] == ' ') {
				named = 1;
				size_t vl = strcspn(w + 13, " ");

				if (vl != strlen(b->uuid) || strncmp(w + 13, b->uuid, vl) != 0) {
					snprintf(err, errlen, "line %u: the words say airlock.uuid=%.*s, the "
						 "node is %s", line, (int)(vl > 64 ? 64 : vl), w + 13, b->uuid);
					return -1;
				}
			}
		if (!named) {
			size_t wl = strlen(b->words);

			if ((size_t)snprintf(b->words + wl, sizeof(b->words) - wl, " airlock.uuid=%s",
					     b->uuid) >= sizeof(b->words) - wl) {
				snprintf(err, errlen, "line %u (%s): the command line is too long", line,
					 b->uuid);
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
	/* One kernel for every node: hashed once, not once a node. */
	struct predict_kernel_cache kernel = { 0 };
	char err[600], *text = NULL, *script = NULL, tmpdir[4096] = "", prev[4096];
	size_t len, n = 0, script_cap;
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
	/* iPXE names the image after the URL's decoded path, without query or fragment: keep
	   the URL plain so that name is exactly the text after the last '/'. */
	if (strlen(url) >= URL_MAX || !*name || strncmp(url, "http", 4) != 0 || words_problem(url) ||
	    strpbrk(url, " \t?#%"))
		return cli_usage_error("boot-config: --url wants the runtime image's plain http(s) "
				       "URL, ending in its file name, no '?', '#' or '%%' (e.g. "
				       "http://boot.example/runtime.efi), got %s", url);
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
	if (memchr(text, '\0', len)) {
		fprintf(stderr, "airlock-verifier: boot-config: %s holds a NUL byte; a node list is "
			"text\n", nodes_file);
		ret = EXIT_REFUSED;
		goto out;
	}
	if (uefi_build(build, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: boot-config: %s\n", err);
		ret = EXIT_REFUSED;
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
		struct predict_opts o = { .build_dir = build, .cbfs_verification = -1,
					  .kernel_cache = &kernel };
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
	/* Everything into a new directory, which then replaces DIR whole. */
	if (strlen(dir) + 16 >= sizeof(tmpdir)) {
		fprintf(stderr, "airlock-verifier: boot-config: --out path too long\n");
		goto out;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s.new.XXXXXX", dir);
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "airlock-verifier: boot-config: cannot make %s: %s\n", tmpdir,
			strerror(errno));
		tmpdir[0] = '\0';
		goto out;
	}
	chmod(tmpdir, 0755);
	script_cap = strlen(url) + WORDS_MAX + 2 * STORE_UUID_MAX + 128;
	script = malloc(script_cap);
	if (!script)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char file[STORE_UUID_MAX + 16];

		if ((size_t)snprintf(script, script_cap,
				     "#!ipxe\n# %s (airlock-verifier boot-config; its policy: %s.policy)\n"
				     "chain %s %s\n", nodes[i].uuid, nodes[i].uuid, url, nodes[i].words) >=
		    script_cap) {
			snprintf(err, sizeof(err), "the script of %s does not fit", nodes[i].uuid);
			goto werr;
		}
		snprintf(file, sizeof(file), "%s.ipxe", nodes[i].mac);
		if (write_file(tmpdir, file, script, err, sizeof(err)) != 0)
			goto werr;
		snprintf(file, sizeof(file), "%s.policy", nodes[i].uuid);
		if (write_file(tmpdir, file, nodes[i].policy, err, sizeof(err)) != 0)
			goto werr;
	}
	if (write_file(tmpdir, "boot.ipxe", "#!ipxe\n# The script of the NIC iPXE booted from, by "
		       "its MAC (airlock-verifier boot-config).\nchain ${netX/mac:hexhyp}.ipxe\n", err,
		       sizeof(err)) != 0)
		goto werr;
	if (snprintf(prev, sizeof(prev), "%s.previous", dir) >= (int)sizeof(prev) ||
	    (remove_tree(prev) != 0 && errno != ENOENT) ||
	    (rename(dir, prev) != 0 && errno != ENOENT) || rename(tmpdir, dir) != 0) {
		lib_err(err, sizeof(err), "replacing %s with %s: %s", dir, tmpdir, strerror(errno));
		goto werr;
	}
	tmpdir[0] = '\0';
	printf("boot-config: %zu node%s: boot.ipxe, <mac>.ipxe and <uuid>.policy in %s%s\n", n,
	       n == 1 ? "" : "s", dir, access(prev, F_OK) == 0 ? " (the previous one: .previous)" : "");
	ret = EXIT_OK;
	goto out;
werr:
	fprintf(stderr, "airlock-verifier: boot-config: %s\n", err);
out:
	if (tmpdir[0])
		remove_tree(tmpdir);
	for (size_t i = 0; nodes && i < n; i++)
		free(nodes[i].policy);
	free(nodes);
	free(text);
	free(script);
	return ret;
}

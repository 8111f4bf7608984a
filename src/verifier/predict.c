/* SPDX-License-Identifier: GPL-2.0-only */
#include "predict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cJSON.h"
#include "cbfs.h"
#include "config.h"
#include "digest.h"
#include "eventlog.h"
#include "file_read.h"
#include "keylime_crypto.h"
#include "pe_hash.h"
#include "runtime_events.h"

#define IMAGE_MAX (64u << 20)
#define ROM_MAX (64u << 20)
/* What coreboot (26.06, q35) loads and so measures, in order; "FMAP" comes first. */
#define CB_MEASURED_DEFAULT "bootblock fallback/romstage fallback/postcar fallback/ramstage " \
			    "fallback/payload"
#define CB_MEASURED_MAX 16

/* DIR/NAME of the build output; a missing one is most likely not a build directory. */
static uint8_t *slurp(const char *dir, const char *name, size_t max, size_t *len, char *err,
		      size_t errlen)
{
	char path[4096];
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	b = file_read(path, max, len, err, errlen);
	if (!b && access(path, F_OK) != 0)
		snprintf(err, errlen, "cannot read %s: is %s a board's build output (make BOARD=...)?",
			 path, dir);
	return b;
}

/* The value of KEY in "KEY=value" / "KEY: value" line-oriented text, or NULL. */
static const char *line_value(const char *text, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n");

		if (n > k && strncmp(l, key, k) == 0 && n - k < cap) {
			memcpy(out, l + k, n - k);
			out[n - k] = '\0';
			return out;
		}
	}
	return NULL;
}

/* CONFIG_CMDLINE="..." from a kernel .config: no escapes are allowed in it. */
static int builtin_cmdline(const char *config, char *out, size_t cap, int *override, char *err,
			   size_t errlen)
{
	char v[CONFIG_CMDLINE_MAX + 3];
	size_t n;

	*override = line_value(config, "CONFIG_CMDLINE_OVERRIDE=", v, sizeof(v)) && !strcmp(v, "y");
	if (!line_value(config, "CONFIG_CMDLINE_BOOL=", v, sizeof(v)) || strcmp(v, "y") != 0) {
		out[0] = '\0';
		return 0;
	}
	if (!line_value(config, "CONFIG_CMDLINE=", v, sizeof(v)) || (n = strlen(v)) < 2 ||
	    v[0] != '"' || v[n - 1] != '"' || n - 2 >= cap || memchr(v + 1, '\\', n - 2)) {
		snprintf(err, errlen, "board.config: CONFIG_CMDLINE missing or not a plain quoted string");
		return -1;
	}
	memcpy(out, v + 1, n - 2);
	out[n - 2] = '\0';
	return 0;
}

/*
 * What /proc/cmdline shows without its newline (arch/x86/kernel/setup.c):
 * the built-in line, then a space and the boot loader's line; with
 * CMDLINE_OVERRIDE the built-in line alone.
 */
static int proc_cmdline(const char *builtin, int override, const char *append, char *out,
			size_t cap)
{
	int n;

	if (override)
		n = snprintf(out, cap, "%s", builtin);
	else if (builtin[0])
		n = snprintf(out, cap, "%s %s", builtin, append);
	else
		n = snprintf(out, cap, "%s", append);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Did the early memtest run? The kernel takes the last memtest= (0 or absent: no). */
static int memtest_runs(const char *cmdline)
{
	int runs = 0;

	for (const char *p = cmdline; (p = strstr(p, "memtest")) != NULL; p += 7) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		if (p[7] == ' ' || p[7] == '\0')
			runs = 1; /* "memtest" alone: the default number of patterns */
		else if (p[7] == '=')
			runs = atoi(p + 8) > 0;
	}
	return runs;
}

static cJSON *digest_rule(const uint8_t *d)
{
	char hex[2 * DIGEST_MAX_SIZE + 1];
	cJSON *r = cJSON_CreateObject();
	size_t n;

	hex_encode(d, 32, hex, sizeof(hex), &n);
	if (r && !cJSON_AddStringToObject(r, "digest", hex)) {
		cJSON_Delete(r);
		r = NULL;
	}
	return r;
}

static cJSON *text_rule(const char *key, const char *text)
{
	cJSON *r = cJSON_CreateObject();

	if (r && !cJSON_AddStringToObject(r, key, text)) {
		cJSON_Delete(r);
		r = NULL;
	}
	return r;
}

/*
 * coreboot's PCR 2 for rom: the events' digests (*n of them, FMAP first) and
 * the PCR value they extend to from zero. 0, or -1 with err filled.
 */
static int coreboot_pcr2(const uint8_t *rom, size_t len, const char *measured,
			 int cbfs_verification, uint8_t digests[][32], size_t *n,
			 uint8_t value[32], char *err, size_t errlen)
{
	char list[512], *save = NULL, *name;
	struct fmap_area fmap, cbfs;
	struct cbfs_file f;
	size_t fmap_off;
	int rc;

	*n = 0;
	if (fmap_locate(rom, len, &fmap_off, err, errlen) != 0 ||
	    fmap_find_area(rom, len, fmap_off, "FMAP", &fmap, err, errlen) != 1)
		return -1;
	if ((rc = fmap_find_area(rom, len, fmap_off, "COREBOOT", &cbfs, err, errlen)) != 1) {
		if (rc == 0)
			snprintf(err, errlen, "the FMAP has no COREBOOT area (the CBFS coreboot loads "
				 "its stages from)");
		return -1;
	}
	digest(TPM_ALG_SHA256, rom + fmap.offset, fmap.size, digests[0]);
	*n = 1;
	if (snprintf(list, sizeof(list), "%s", measured) >= (int)sizeof(list)) {
		snprintf(err, errlen, "list of measured CBFS files too long");
		return -1;
	}
	for (name = strtok_r(list, " ,", &save); name; name = strtok_r(NULL, " ,", &save)) {
		/* With CBFS verification coreboot 26.06 does not measure these two. */
		if (cbfs_verification && (!strcmp(name, "bootblock") ||
					  !strcmp(name, "fallback/romstage")))
			continue;
		if (*n >= CB_MEASURED_MAX) {
			snprintf(err, errlen, "more than %d measured CBFS files", CB_MEASURED_MAX - 1);
			return -1;
		}
		rc = cbfs_find(rom, len, &cbfs, name, &f, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			snprintf(err, errlen, "the ROM's CBFS has no file \"%s\", which coreboot "
				 "loads and measures", name);
			return -1;
		}
		digest(TPM_ALG_SHA256, f.data, f.len, digests[*n]);
		(*n)++;
	}
	memset(value, 0, 32);
	for (size_t i = 0; i < *n; i++)
		pcr_extend(TPM_ALG_SHA256, value, digests[i]);
	return 0;
}

/* firmware_events["2"] and pcrs["2"] for the board's coreboot ROM. */
static int coreboot_rules(const struct predict_opts *o, const char *info, cJSON *pol, char *err,
			  size_t errlen)
{
	static uint8_t digests[CB_MEASURED_MAX][32];
	char path[4096], measured[400], hex[65];
	uint8_t *rom, value[32];
	size_t len, n, hlen;
	cJSON *fw, *list, *pcrs, *vals;
	int ret = -1, verification;

	snprintf(path, sizeof(path), "%s/airlock.rom", o->build_dir);
	rom = file_read(o->rom ? o->rom : path, ROM_MAX, &len, err, errlen);
	if (!rom) {
		if (!o->rom && access(path, F_OK) != 0)
			snprintf(err, errlen, "coreboot board: no ROM at %s; build it with "
				 "COREBOOT_ROM=base.rom (docs/coreboot.md) or give --rom FILE", path);
		return -1;
	}
	if (!o->cbfs_measured && !line_value(info, "coreboot-measured: ", measured,
					     sizeof(measured)))
		snprintf(measured, sizeof(measured), "%s", CB_MEASURED_DEFAULT);
	/* What the ROM says wins over a guess: a wrong answer predicts another PCR 2. */
	verification = cbfs_verification_anchor(rom, len);
	if (o->cbfs_verification >= 0 && o->cbfs_verification != verification) {
		snprintf(err, errlen, "--cbfs-verification %s, but the ROM %s coreboot's metadata hash "
			 "anchor: CBFS verification is %s in this build (leave the option out to take "
			 "it from the ROM)", o->cbfs_verification ? "on" : "off",
			 verification ? "carries" : "does not carry", verification ? "on" : "off");
		goto out;
	}
	if (coreboot_pcr2(rom, len, o->cbfs_measured ? o->cbfs_measured : measured,
			  verification, digests, &n, value, err, errlen) != 0)
		goto out;
	if (!(fw = cJSON_GetObjectItem(pol, "firmware_events")) &&
	    !(fw = cJSON_AddObjectToObject(pol, "firmware_events")))
		goto nomem;
	if (!(list = cJSON_AddArrayToObject(fw, "2")))
		goto nomem;
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, digest_rule(digests[i]));
	hex_encode(value, 32, hex, sizeof(hex), &hlen);
	if (!(pcrs = cJSON_AddObjectToObject(pol, "pcrs")) ||
	    !(vals = cJSON_AddArrayToObject(pcrs, "2")))
		goto nomem;
	cJSON_AddItemToArray(vals, cJSON_CreateString(hex));
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	free(rom);
	return ret;
}

/* The Authenticode digest the firmware measures into PCR 4 for the build's kernel, from
   o->kernel_cache when it holds one (and into it when it does not). 0, or -1 with err. */
static int kernel_authenticode(const struct predict_opts *o, uint8_t d[32], char *err,
			       size_t errlen)
{
	uint8_t *image;
	size_t image_len;
	char why[200];
	int ret = -1;

	if (o->kernel_cache && o->kernel_cache->have) {
		memcpy(d, o->kernel_cache->authenticode, 32);
		return 0;
	}
	image = slurp(o->build_dir, "bzImage", IMAGE_MAX, &image_len, err, errlen);
	if (!image)
		return -1;
	if (pe_authenticode(image, image_len, TPM_ALG_SHA256, d, err, errlen) != 0) {
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "bzImage: %s (is the board's kernel built with the EFI stub?)",
			 why);
		goto out;
	}
	if (o->kernel_cache) {
		memcpy(o->kernel_cache->authenticode, d, 32);
		o->kernel_cache->have = 1;
	}
	ret = 0;
out:
	free(image);
	return ret;
}

char *predict_policy(const struct predict_opts *o, char *err, size_t errlen)
{
	static char builtin[CONFIG_CMDLINE_MAX + 1], cmdline[CONFIG_CMDLINE_MAX + 1];
	static char canon[CONFIG_CANONICAL_MAX];
	static uint8_t tagged[CONFIG_CANONICAL_MAX + 8];
	static struct airlock_config cfg;
	uint8_t *config = NULL, *info = NULL, d[32];
	size_t config_len, info_len, tlen;
	char board[64] = "?", rev[64] = "?", firmware[16] = "", comment[400];
	cJSON *pol = NULL, *rt, *list, *tail, *scrub, *contains, *fw;
	char *out = NULL;
	int override, uefi, coreboot = 0, n;

	config = slurp(o->build_dir, "board.config", 1u << 20, &config_len, err, errlen);
	info = config ? slurp(o->build_dir, "buildinfo", 1u << 20, &info_len, err, errlen) : NULL;
	if (!info)
		goto out;
	line_value((char *)info, "board: ", board, sizeof(board));
	line_value((char *)info, "git-revision: ", rev, sizeof(rev));
	line_value((char *)info, "firmware: ", firmware, sizeof(firmware));
	if (o->firmware)
		snprintf(firmware, sizeof(firmware), "%s", o->firmware);
	if (!strcmp(firmware, "ovmf") || !strcmp(firmware, "uefi")) {
		uefi = 1;
	} else if (!strcmp(firmware, "seabios") || !strcmp(firmware, "bios")) {
		uefi = 0;
	} else if (!strcmp(firmware, "coreboot")) {
		uefi = 0;
		coreboot = 1;
	} else {
		snprintf(err, errlen, "which firmware boots this image? give --firmware uefi, "
			 "bios or coreboot (buildinfo has no firmware line)");
		goto out;
	}
	if (builtin_cmdline((char *)config, builtin, sizeof(builtin), &override, err, errlen) != 0)
		goto out;
	if (proc_cmdline(builtin, override, o->append ? o->append : "", cmdline,
			 sizeof(cmdline)) != 0) {
		snprintf(err, errlen, "command line longer than %d bytes", CONFIG_CMDLINE_MAX);
		goto out;
	}
	/* /init's own parse: a line it would refuse boots into a failure, not into this policy. */
	if (config_parse_explained(cmdline, strlen(cmdline), &cfg, err, errlen) != 0)
		goto out;
	n = config_canonical(&cfg, canon, sizeof(canon));
	if (n < 0 || eventlog_tagged_event(AIRLOCK_TAG_CONFIG, canon, (size_t)n, tagged,
					   sizeof(tagged), &tlen) != 0) {
		snprintf(err, errlen, "cannot write the canonical configuration");
		goto out;
	}
	pol = cJSON_CreateObject();
	snprintf(comment, sizeof(comment), "predicted by airlock-verifier from board %s, git %s; "
		 "/proc/cmdline: %.200s", board, rev, cmdline);
	if (!pol || !cJSON_AddNumberToObject(pol, "airlock_policy", 1) ||
	    !cJSON_AddStringToObject(pol, "hash_alg", "sha256") ||
	    !cJSON_AddStringToObject(pol, "comment", comment) ||
	    !(rt = cJSON_AddObjectToObject(pol, "runtime_events")) ||
	    !(list = cJSON_AddArrayToObject(rt, "8")))
		goto nomem;
	digest(TPM_ALG_SHA256, cmdline, strlen(cmdline), d);
	cJSON_AddItemToArray(list, digest_rule(d));
	digest(TPM_ALG_SHA256, tagged, tlen, d);
	cJSON_AddItemToArray(list, digest_rule(d));
	/* The scrub's figures depend on the machine; its verdict and memtest do not. */
	scrub = text_rule("text_prefix", AIRLOCK_EV_TEXT_SCRUB);
	contains = cJSON_CreateArray();
	if (!scrub || !contains) {
		cJSON_Delete(scrub);
		cJSON_Delete(contains);
		goto nomem;
	}
	cJSON_AddItemToObject(scrub, "text_contains", contains);
	if (memtest_runs(cmdline))
		cJSON_AddItemToArray(contains, cJSON_CreateString(" " AIRLOCK_EV_MEMTEST_RAN " "));
	cJSON_AddItemToArray(contains, cJSON_CreateString(cfg.scrub ? " " AIRLOCK_EV_RESULT_PASS :
							  " " AIRLOCK_EV_RESULT_SKIPPED));
	cJSON_AddItemToArray(list, scrub);
	cJSON_AddItemToArray(list, text_rule("text", AIRLOCK_EV_TEXT_READY));
	tail = cJSON_AddObjectToObject(pol, "runtime_tail");
	list = tail ? cJSON_AddArrayToObject(tail, "8") : NULL;
	if (!list)
		goto nomem;
	cJSON_AddItemToArray(list, text_rule("text", AIRLOCK_EV_TEXT_HANDOFF));
	{
		cJSON *sep = cJSON_CreateObject();

		if (!sep || !cJSON_AddTrueToObject(sep, "separator")) {
			cJSON_Delete(sep);
			goto nomem;
		}
		cJSON_AddItemToArray(list, sep);
	}
	if (uefi) {
		if (kernel_authenticode(o, d, err, errlen) != 0)
			goto out;
		fw = cJSON_AddObjectToObject(pol, "firmware_events");
		list = fw ? cJSON_AddArrayToObject(fw, "4") : NULL;
		if (!list)
			goto nomem;
		cJSON_AddItemToArray(list, digest_rule(d));
	}
	if (coreboot && coreboot_rules(o, (const char *)info, pol, err, errlen) != 0)
		goto out;
	out = cJSON_Print(pol);
	if (!out)
		goto nomem;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	cJSON_Delete(pol);
	free(config);
	free(info);
	return out;
}

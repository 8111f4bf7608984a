/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/agent/manifest.c (manifest_parse: the JSON text of airlock.json).
 *
 * The files a manifest may name live in a scratch payload directory made once per process
 * (removed at exit): kernel, initrd, luks/a.key, luks/b.key, ipsec/{swanctl.conf, x509/}, and a
 * symlink "link" -> kernel that must never be accepted.
 *
 * Properties checked on every input (up to one byte over MANIFEST_JSON_MAX):
 *  - the parser reads only the len bytes it is given (the copy has no terminator, ASan watches);
 *  - the result is MANIFEST_OK or a MANIFEST_E_* code; the message is NUL-terminated and, on
 *    failure, starts with "airlock.json: " while the manifest is all zeroes;
 *  - success means a well-formed manifest: every string terminated inside its field, paths
 *    passing the zip name rules, files that exist, LUKS names unique and in their alphabet,
 *    a printable command line, a URL with host, port and a path;
 *  - and a faithful one: the manifest written back out as JSON parses to the same struct.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "manifest.h"
#include "zip.h"

static char base[] = "/tmp/fuzz_manifest.XXXXXX";
static int dirfd_ = -1;
static struct manifest m, m2;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_base(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *path, size_t len)
{
	static const char bytes[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	int fd = openat(dirfd_, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, bytes, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void make_payload(void)
{
	if (mkdtemp(base) == NULL)
		abort();
	atexit(rm_base);
	dirfd_ = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_ < 0 || mkdirat(dirfd_, "luks", 0700) || mkdirat(dirfd_, "ipsec", 0700) ||
	    mkdirat(dirfd_, "ipsec/x509", 0700) || symlinkat("kernel", dirfd_, "link"))
		abort();
	put("kernel", 64);
	put("initrd", 10);
	put("luks/a.key", 32);
	put("luks/b.key", 1);
	put("ipsec/swanctl.conf", 5);
}

static void terminated(const char *s, size_t cap)
{
	if (strnlen(s, cap) == cap)
		abort();
}

static void check_blob(const struct manifest_blob *b, bool required)
{
	char err[128];

	terminated(b->file, sizeof(b->file));
	terminated(b->url, sizeof(b->url));
	terminated(b->host, sizeof(b->host));
	terminated(b->path, sizeof(b->path));
	switch (b->src) {
	case MANIFEST_SRC_NONE:
		if (required)
			abort();
		break;
	case MANIFEST_SRC_FILE:
		if (zip_name_check(b->file, strlen(b->file), 0, err, sizeof(err)) != ZIP_OK || b->size == 0 ||
		    strcmp(b->file, "link") == 0)
			abort();
		break;
	case MANIFEST_SRC_URL:
		if (strncmp(b->url, "http://", 7) != 0 || b->host[0] == '\0' || b->port == 0 || b->path[0] != '/' ||
		    b->size == 0 || b->size > MANIFEST_SIZE_MAX || strstr(b->url, b->path) == NULL)
			abort();
		break;
	default:
		abort();
	}
}

static void check(const struct manifest *x)
{
	char err[128];

	if (x->mode != MANIFEST_MODE_AIRLOCK || x->version != 1)
		abort();
	check_blob(&x->kernel, true);
	check_blob(&x->initrd, false);
	terminated(x->cmdline, sizeof(x->cmdline));
	for (const char *p = x->cmdline; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	if (!x->has_cmdline && x->cmdline[0] != '\0')
		abort();
	if (x->n_luks > MANIFEST_LUKS_MAX)
		abort();
	for (size_t i = 0; i < x->n_luks; i++) {
		const struct manifest_luks *l = &x->luks[i];

		terminated(l->name, sizeof(l->name));
		terminated(l->key, sizeof(l->key));
		terminated(l->volume, sizeof(l->volume));
		if (l->name[0] == '\0' || strspn(l->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789_-") != strlen(l->name))
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(x->luks[k].name, l->name) == 0)
				abort();
		if (zip_name_check(l->key, strlen(l->key), 0, err, sizeof(err)) != ZIP_OK || l->key_size == 0 ||
		    l->key_size > MANIFEST_LUKS_KEY_MAX || l->volume[0] == '\0')
			abort();
	}
	terminated(x->ipsec_dir, sizeof(x->ipsec_dir));
	if (x->has_ipsec != (x->ipsec_dir[0] != '\0'))
		abort();
}

static cJSON *blob_json(const struct manifest_blob *b)
{
	cJSON *o = cJSON_CreateObject();
	char hex[65], size[24];

	if (b->src == MANIFEST_SRC_FILE) {
		cJSON_AddStringToObject(o, "file", b->file);
	} else {
		for (size_t i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", b->sha256[i]);
		cJSON_AddStringToObject(o, "url", b->url);
		cJSON_AddStringToObject(o, "sha256", hex);
		/* cJSON prints numbers with 15 significant digits; sizes go up to 2^53. */
		snprintf(size, sizeof(size), "%llu", (unsigned long long)b->size);
		cJSON_AddRawToObject(o, "size", size);
	}
	return o;
}

/* The manifest as JSON again; parsing it must give the same struct. */
static void round_trip(const struct manifest *x)
{
	cJSON *root = cJSON_CreateObject(), *arr, *ipsec;
	char err[256], *text;

	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddItemToObject(root, "kernel", blob_json(&x->kernel));
	if (x->initrd.src != MANIFEST_SRC_NONE)
		cJSON_AddItemToObject(root, "initrd", blob_json(&x->initrd));
	if (x->has_cmdline)
		cJSON_AddStringToObject(root, "cmdline", x->cmdline);
	if (x->n_luks > 0) {
		arr = cJSON_AddArrayToObject(root, "luks");
		for (size_t i = 0; i < x->n_luks; i++) {
			cJSON *l = cJSON_CreateObject();

			cJSON_AddStringToObject(l, "name", x->luks[i].name);
			cJSON_AddStringToObject(l, "key", x->luks[i].key);
			cJSON_AddStringToObject(l, "volume", x->luks[i].volume);
			cJSON_AddItemToArray(arr, l);
		}
	}
	if (x->has_ipsec) {
		ipsec = cJSON_AddObjectToObject(root, "ipsec");
		cJSON_AddStringToObject(ipsec, "dir", x->ipsec_dir);
	}
	text = cJSON_PrintUnformatted(root);
	if (text == NULL)
		abort();
	if (manifest_parse(text, strlen(text), dirfd_, &m2, err, sizeof(err)) != MANIFEST_OK ||
	    memcmp(x, &m2, sizeof(m2)) != 0)
		abort();
	cJSON_free(text);
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct manifest zero;
	char err[256];
	char *buf;
	int rc;

	if (size > MANIFEST_JSON_MAX + 1)
		return 0;
	if (dirfd_ < 0)
		make_payload();
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	memset(err, 'x', sizeof(err));
	memset(&m, 0xa5, sizeof(m));
	rc = manifest_parse(buf, size, dirfd_, &m, err, sizeof(err));
	terminated(err, sizeof(err));
	if (rc == MANIFEST_OK) {
		check(&m);
		round_trip(&m);
	} else if (rc < MANIFEST_E_NOMEM || rc > 0 || strncmp(err, "airlock.json: ", 14) != 0 ||
		   memcmp(&m, &zero, sizeof(m)) != 0) {
		abort();
	}
	free(buf);
	return 0;
}

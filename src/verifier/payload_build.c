/* SPDX-License-Identifier: GPL-2.0-only */
#include "payload_build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cJSON.h"
#include "digest.h"
#include "encoding.h"
#include "file_read.h"
#include "keylime_crypto.h"

#define PB_MAX_ENTRIES 256
#define PB_MAX_DEPTH 8
#define DOS_DATE_1980_01_01 0x0021

struct entry {
	char name[256];
	uint32_t crc, size, offset;
};

struct zipw {
	uint8_t *buf;
	size_t len, cap;
	struct entry e[PB_MAX_ENTRIES];
	unsigned n;
};

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

static int put(struct zipw *z, const void *p, size_t n)
{
	if (n > PB_MAX_TOTAL - z->len)
		return -1;
	if (z->len + n > z->cap) {
		size_t cap = z->cap ? z->cap : 65536;
		uint8_t *b;

		while (cap < z->len + n)
			cap *= 2;
		b = malloc(cap);
		if (!b)
			return -1;
		/* Copy and wipe rather than realloc: the old buffer may hold keys. */
		if (z->len)
			memcpy(b, z->buf, z->len);
		if (z->buf)
			explicit_bzero(z->buf, z->cap);
		free(z->buf);
		z->buf = b;
		z->cap = cap;
	}
	memcpy(z->buf + z->len, p, n);
	z->len += n;
	return 0;
}

static int put16(struct zipw *z, uint32_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return put(z, b, 2);
}

static int put32(struct zipw *z, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return put(z, b, 4);
}

/* One stored entry: local header then the bytes. */
static int add(struct zipw *z, const char *name, const uint8_t *data, size_t n, char *err,
	       size_t errlen)
{
	struct entry *e;
	size_t nl = strlen(name);

	if (z->n == PB_MAX_ENTRIES || nl >= sizeof(e->name) || n > PB_MAX_TOTAL) {
		snprintf(err, errlen, "payload: too many files, a name over 255 bytes, or %s too large",
			 name);
		return -1;
	}
	for (unsigned i = 0; i < z->n; i++)
		if (!strcmp(z->e[i].name, name)) {
			snprintf(err, errlen, "payload: %s given twice", name);
			return -1;
		}
	e = &z->e[z->n];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->crc = crc32_update(0, data, n);
	e->size = (uint32_t)n;
	e->offset = (uint32_t)z->len;
	if (put32(z, 0x04034b50) || put16(z, 20) || put16(z, 0) || put16(z, 0) || put16(z, 0) ||
	    put16(z, DOS_DATE_1980_01_01) || put32(z, e->crc) || put32(z, e->size) ||
	    put32(z, e->size) || put16(z, (uint32_t)nl) || put16(z, 0) || put(z, name, nl) ||
	    put(z, data, n)) {
		snprintf(err, errlen, "payload larger than %u MiB (or out of memory)",
			 PB_MAX_TOTAL >> 20);
		return -1;
	}
	z->n++;
	return 0;
}

static int finish(struct zipw *z, char *err, size_t errlen)
{
	uint32_t cd = (uint32_t)z->len;
	int bad = 0;

	for (unsigned i = 0; i < z->n; i++) {
		const struct entry *e = &z->e[i];
		size_t nl = strlen(e->name);

		bad |= put32(z, 0x02014b50) || put16(z, 3 << 8 | 20) || put16(z, 20) ||
		       put16(z, 0) || put16(z, 0) || put16(z, 0) || put16(z, DOS_DATE_1980_01_01) ||
		       put32(z, e->crc) || put32(z, e->size) || put32(z, e->size) ||
		       put16(z, (uint32_t)nl) || put16(z, 0) || put16(z, 0) || put16(z, 0) ||
		       put16(z, 0) || put32(z, 0100600u << 16) || put32(z, e->offset) ||
		       put(z, e->name, nl);
	}
	if (!bad) {
		uint32_t cd_size = (uint32_t)(z->len - cd);

		bad = put32(z, 0x06054b50) || put16(z, 0) || put16(z, 0) || put16(z, z->n) ||
		      put16(z, z->n) || put32(z, cd_size) || put32(z, cd) || put16(z, 0);
	}
	if (bad) {
		snprintf(err, errlen, "payload larger than %u MiB (or out of memory)",
			 PB_MAX_TOTAL >> 20);
		return -1;
	}
	return 0;
}

static int add_file(struct zipw *z, const char *name, const char *path, char *err, size_t errlen)
{
	size_t n;
	uint8_t *b = file_read(path, PB_MAX_TOTAL, &n, err, errlen);
	int ret;

	if (!b)
		return -1;
	ret = add(z, name, b, n, err, errlen);
	explicit_bzero(b, n);
	free(b);
	return ret;
}

static int is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!enc_is_hex_lower((unsigned char)*s))
			return 0;
	return 1;
}

/* {"file": NAME} with the bytes in the zip, or {"url", "sha256", "size"}. */
static cJSON *blob(struct zipw *z, const char *what, const struct pb_blob *b, char *err,
		   size_t errlen)
{
	cJSON *o = cJSON_CreateObject();
	char hex[65];
	size_t n;

	if (!o)
		goto nomem;
	if (!b->url) {
		if (b->sha256 || b->size) {
			snprintf(err, errlen, "--%s-sha256 and --%s-size go with --%s-url", what, what,
				 what);
			goto fail;
		}
		if (add_file(z, what, b->file, err, errlen) != 0)
			goto fail;
		if (!cJSON_AddStringToObject(o, "file", what))
			goto nomem;
		return o;
	}
	if (strncmp(b->url, "http://", 7) != 0) {
		snprintf(err, errlen, "--%s-url must be http://HOST[:PORT]/PATH (integrity comes from "
			 "the sha256), got %s", what, b->url);
		goto fail;
	}
	if (b->file) {
		/* The agent fetches the URL and checks it against this local copy's hash. */
		size_t flen;
		uint8_t *data = file_read(b->file, 1u << 30, &flen, err, errlen), d[32];

		if (!data)
			goto fail;
		digest(TPM_ALG_SHA256, data, flen, d);
		free(data);
		hex_encode(d, 32, hex, sizeof(hex), &n);
		if (b->sha256 || b->size) {
			snprintf(err, errlen, "--%s FILE gives sha256 and size; drop --%s-sha256/-size",
				 what, what);
			goto fail;
		}
		if (!cJSON_AddStringToObject(o, "url", b->url) ||
		    !cJSON_AddStringToObject(o, "sha256", hex) ||
		    !cJSON_AddNumberToObject(o, "size", (double)flen))
			goto nomem;
		return o;
	}
	if (!is_hex64(b->sha256) || !b->size || strspn(b->size, "0123456789") != strlen(b->size) ||
	    !b->size[0] || b->size[0] == '0' || strlen(b->size) > 15) {
		snprintf(err, errlen, "--%s-url needs --%s FILE, or --%s-sha256 (64 lowercase hex) "
			 "and --%s-size (bytes)", what, what, what, what);
		goto fail;
	}
	if (!cJSON_AddStringToObject(o, "url", b->url) ||
	    !cJSON_AddStringToObject(o, "sha256", b->sha256) ||
	    !cJSON_AddNumberToObject(o, "size", strtod(b->size, NULL)))
		goto nomem;
	return o;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	cJSON_Delete(o);
	return NULL;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The swanctl tree: regular files and directories only, sorted, under ipsec/. */
static int add_tree(struct zipw *z, const char *dir, const char *prefix, int depth, char *err,
		    size_t errlen)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, by_name), ret = 0;

	if (n < 0) {
		snprintf(err, errlen, "--ipsec %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096], name[512];
		struct stat st;
		const char *d = list[i]->d_name;

		if (ret || !strcmp(d, ".") || !strcmp(d, ".."))
			goto next;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, d) >= sizeof(path) ||
		    (size_t)snprintf(name, sizeof(name), "%s/%s", prefix, d) >= 256) {
			snprintf(err, errlen, "--ipsec: path too long under %s", dir);
			ret = -1;
			goto next;
		}
		if (lstat(path, &st) != 0) {
			snprintf(err, errlen, "--ipsec %s: %s", path, strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= PB_MAX_DEPTH) {
				snprintf(err, errlen, "--ipsec: deeper than %d levels at %s", PB_MAX_DEPTH,
					 path);
				ret = -1;
			} else {
				ret = add_tree(z, path, name, depth + 1, err, errlen);
			}
		} else if (S_ISREG(st.st_mode)) {
			ret = add_file(z, name, path, err, errlen);
		} else {
			snprintf(err, errlen, "--ipsec: %s is not a regular file or directory (the "
				 "agent accepts no links or devices)", path);
			ret = -1;
		}
next:
		free(list[i]);
	}
	free(list);
	return ret;
}

static int luks_entry(struct zipw *z, cJSON *arr, const char *spec, char *err, size_t errlen)
{
	char name[33], key[64], path[4096];
	const char *eq = strchr(spec, '='), *colon = eq ? strchr(eq + 1, ':') : NULL;
	size_t nl = eq ? (size_t)(eq - spec) : 0;
	cJSON *o;

	if (!eq || !colon || nl == 0 || nl > 32 || strspn(spec, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789_-") < nl || colon == eq + 1 || !colon[1] ||
	    (size_t)(colon - eq - 1) >= sizeof(path)) {
		snprintf(err, errlen, "--luks wants NAME=KEYFILE:VOLUME (NAME of [A-Za-z0-9_-], at "
			 "most 32), got %s", spec);
		return -1;
	}
	memcpy(name, spec, nl);
	name[nl] = '\0';
	memcpy(path, eq + 1, (size_t)(colon - eq - 1));
	path[colon - eq - 1] = '\0';
	snprintf(key, sizeof(key), "luks/%s.key", name);
	if (add_file(z, key, path, err, errlen) != 0)
		return -1;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "name", name) || !cJSON_AddStringToObject(o, "key", key) ||
	    !cJSON_AddStringToObject(o, "volume", colon + 1)) {
		cJSON_Delete(o);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cJSON_AddItemToArray(arr, o);
	return 0;
}

int payload_build(const struct pb_opts *o, uint8_t **zip, size_t *len, char *err, size_t errlen)
{
	static struct zipw z;
	cJSON *m = cJSON_CreateObject(), *b, *arr;
	char *json = NULL;
	int ret = -1;

	memset(&z, 0, sizeof(z));
	*zip = NULL;
	if (!m || !cJSON_AddNumberToObject(m, "version", 1))
		goto nomem;
	if (!o->kernel.file && !o->kernel.url) {
		snprintf(err, errlen, "the payload needs a kernel: --kernel FILE or --kernel-url URL");
		goto out;
	}
	if (!(b = blob(&z, "kernel", &o->kernel, err, errlen)))
		goto out;
	cJSON_AddItemToObject(m, "kernel", b);
	if (o->initrd.file || o->initrd.url) {
		if (!(b = blob(&z, "initrd", &o->initrd, err, errlen)))
			goto out;
		cJSON_AddItemToObject(m, "initrd", b);
	}
	if (o->cmdline) {
		size_t n = strlen(o->cmdline), i;

		for (i = 0; i < n; i++)
			if (o->cmdline[i] < 0x20 || o->cmdline[i] > 0x7e)
				break;
		if (i < n || n > 4095) {
			snprintf(err, errlen, "--cmdline: at most 4095 bytes of printable ASCII");
			goto out;
		}
		if (!cJSON_AddStringToObject(m, "cmdline", o->cmdline))
			goto nomem;
	}
	if (o->nluks) {
		if (!(arr = cJSON_AddArrayToObject(m, "luks")))
			goto nomem;
		for (unsigned i = 0; i < o->nluks; i++)
			if (luks_entry(&z, arr, o->luks[i], err, errlen) != 0)
				goto out;
	}
	if (o->ipsec_dir) {
		char conf[4096];
		struct stat st;

		snprintf(conf, sizeof(conf), "%s/swanctl.conf", o->ipsec_dir);
		if (stat(conf, &st) != 0 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "--ipsec %s: no swanctl.conf at its top (a strongSwan "
				 "swanctl tree is expected)", o->ipsec_dir);
			goto out;
		}
		if (add_tree(&z, o->ipsec_dir, "ipsec", 0, err, errlen) != 0)
			goto out;
		b = cJSON_CreateObject();
		if (!b || !cJSON_AddStringToObject(b, "dir", "ipsec")) {
			cJSON_Delete(b);
			goto nomem;
		}
		cJSON_AddItemToObject(m, "ipsec", b);
	}
	/* Keylime's name, at the top: the agent checks revocation notices with it. */
	if (o->revocation_cert &&
	    add(&z, "RevocationNotifier-cert.crt", (const uint8_t *)o->revocation_cert,
		strlen(o->revocation_cert), err, errlen) != 0)
		goto out;
	json = cJSON_PrintUnformatted(m);
	if (!json)
		goto nomem;
	if (add(&z, "airlock.json", (const uint8_t *)json, strlen(json), err, errlen) != 0 ||
	    finish(&z, err, errlen) != 0)
		goto out;
	*zip = z.buf;
	*len = z.len;
	z.buf = NULL;
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory building the payload");
out:
	if (z.buf) {
		explicit_bzero(z.buf, z.cap);
		free(z.buf);
		z.buf = NULL;
	}
	free(json);
	cJSON_Delete(m);
	return ret;
}

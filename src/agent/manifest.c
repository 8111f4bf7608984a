/* SPDX-License-Identifier: GPL-2.0-only */
/* The payload manifest, airlock.json layout version 1; see manifest.h and docs/payload.md. */
#define _GNU_SOURCE /* O_PATH */
#include "manifest.h"
#include "encoding.h"
#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "zip.h"

#define SHOWN 64 /* bytes of a tenant-supplied string quoted in messages */
#define SHOWN_BUF (SHOWN * 4 + 4)

struct ctx {
	int dirfd;
	char *err;
	size_t errlen;
};

static int fail(const struct ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(const struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err == NULL || c->errlen == 0)
		return code;
	n = snprintf(c->err, c->errlen, MANIFEST_FILE ": ");
	if (n < 0 || (size_t)n >= c->errlen)
		return code;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* A tenant string fit for a log line: printable ASCII, the rest as \xHH, cut at SHOWN bytes. */
static const char *shown(const char *s, char out[SHOWN_BUF])
{
	size_t o = 0, i;

	for (i = 0; s[i] != '\0' && i < SHOWN; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			snprintf(out + o, 5, "\\x%02x", ch);
			o += 4;
		}
	}
	if (s[i] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsObject(v))
		return "an object";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	return "null";
}

/* Exact (case-sensitive) lookup; cJSON_GetObjectItem would match "Kernel" too. */
static const cJSON *member(const cJSON *obj, const char *key)
{
	for (const cJSON *it = obj->child; it != NULL; it = it->next)
		if (it->string != NULL && strcmp(it->string, key) == 0)
			return it;
	return NULL;
}

/* Every key of obj is one of known[], and none appears twice. */
static int check_keys(const struct ctx *c, const cJSON *obj, const char *where, const char *const *known,
		      size_t n)
{
	char sb[SHOWN_BUF], list[160];
	unsigned seen = 0;
	size_t o = 0;

	for (const cJSON *it = obj->child; it != NULL; it = it->next) {
		size_t k;

		for (k = 0; k < n; k++)
			if (strcmp(it->string, known[k]) == 0)
				break;
		if (k == n) {
			for (size_t j = 0; j < n; j++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", j ? ", " : "", known[j]);
			return fail(c, MANIFEST_E_SCHEMA, "%s: unknown key \"%s\" (known: %s)", where,
				    shown(it->string, sb), list);
		}
		if (seen & 1u << k)
			return fail(c, MANIFEST_E_SCHEMA, "%s: key \"%s\" given twice", where, known[k]);
		seen |= 1u << k;
	}
	return MANIFEST_OK;
}

static int want_object(const struct ctx *c, const cJSON *v, const char *where)
{
	if (!cJSON_IsObject(v))
		return fail(c, MANIFEST_E_SCHEMA, "%s must be an object, not %s", where, type_name(v));
	return MANIFEST_OK;
}

static int want_string(const struct ctx *c, const cJSON *v, const char *where, const char *key)
{
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return fail(c, MANIFEST_E_SCHEMA, "%s%s%s must be a string, not %s", where, *where ? "." : "",
			    key, type_name(v));
	return MANIFEST_OK;
}

/* ---- paths into the payload ------------------------------------------------ */

/* stat of path below dirfd, following no symlink on the way: 0 or an errno. */
static int stat_in(int dirfd, const char *path, struct stat *st)
{
	char buf[MANIFEST_PATH_MAX + 32], *comp = buf, *slash;
	int fd = dirfd, e = 0;

	memset(st, 0, sizeof(*st));
	if (strlen(path) >= sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, path, strlen(path) + 1);
	while ((slash = strchr(comp, '/')) != NULL) {
		int nfd;

		*slash = '\0';
		nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			e = errno;
			goto out;
		}
		if (fd != dirfd)
			close(fd);
		fd = nfd;
		comp = slash + 1;
	}
	if (fstatat(fd, comp, st, AT_SYMLINK_NOFOLLOW) != 0)
		e = errno;
out:
	if (fd != dirfd)
		close(fd);
	return e;
}

/* A path string under the zip name rules, copied to out without a trailing '/'. */
static int get_path(const struct ctx *c, const cJSON *v, const char *where, const char *key, int allow_dir,
		    char out[MANIFEST_PATH_MAX + 1])
{
	char why[160], sb[SHOWN_BUF];
	size_t len;
	int ret;

	ret = want_string(c, v, where, key);
	if (ret != MANIFEST_OK)
		return ret;
	len = strlen(v->valuestring);
	if (zip_name_check(v->valuestring, len, allow_dir, why, sizeof(why)) != ZIP_OK)
		return fail(c, MANIFEST_E_SCHEMA, "%s.%s \"%s\": %s", where, key, shown(v->valuestring, sb), why);
	if (v->valuestring[len - 1] == '/')
		len--;
	memcpy(out, v->valuestring, len);
	out[len] = '\0';
	return MANIFEST_OK;
}

/* path must be a regular file of min..max bytes in the payload; its size goes to *size. */
static int need_file(const struct ctx *c, const char *where, const char *key, const char *path,
		     uint64_t min, uint64_t max, uint64_t *size)
{
	char sb[SHOWN_BUF];
	struct stat st;
	int e = stat_in(c->dirfd, path, &st);

	if (e == ENOENT || e == ENOTDIR)
		return fail(c, MANIFEST_E_FILE, "%s.%s: \"%s\" is not in the payload", where, key, shown(path, sb));
	if (e != 0)
		return fail(c, MANIFEST_E_FILE, "%s.%s: \"%s\": %s", where, key, shown(path, sb), strerror(e));
	if (!S_ISREG(st.st_mode))
		return fail(c, MANIFEST_E_FILE, "%s.%s: \"%s\" is not a regular file", where, key, shown(path, sb));
	if ((uint64_t)st.st_size < min || (uint64_t)st.st_size > max)
		return fail(c, MANIFEST_E_FILE, "%s.%s: \"%s\" is %lld bytes; %llu..%llu allowed", where, key,
			    shown(path, sb), (long long)st.st_size, (unsigned long long)min,
			    (unsigned long long)max);
	*size = (uint64_t)st.st_size;
	return MANIFEST_OK;
}

/* ---- values ----------------------------------------------------------------- */

static int parse_url(const struct ctx *c, const char *url, const char *where, struct manifest_blob *b)
{
	struct http_url u;
	const char *why = NULL;
	char sb[SHOWN_BUF];
	size_t len = strlen(url);

	if (len > MANIFEST_URL_MAX)
		return fail(c, MANIFEST_E_SCHEMA, "%s.url is longer than %d bytes", where, MANIFEST_URL_MAX);
	if (url_parse_http(url, len, &u, &why) != 0)
		return fail(c, MANIFEST_E_SCHEMA, "%s.url \"%s\": %s", where, shown(url, sb), why);
	b->port = u.port;
	snprintf(b->host, sizeof(b->host), "%s", u.host);
	snprintf(b->path, sizeof(b->path), "%s", url + u.path_off);
	snprintf(b->url, sizeof(b->url), "%s", url);
	return MANIFEST_OK;
}

/* A JSON number that is an integer in 1..max (1e3 and 1000.0 count as 1000). */
static int get_count(const struct ctx *c, const cJSON *v, const char *where, const char *key, uint64_t max,
		     uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return fail(c, MANIFEST_E_SCHEMA, "%s.%s must be a number, not %s", where, key, type_name(v));
	d = v->valuedouble;
	if (!(d >= 1 && d <= (double)max) || (double)(uint64_t)d != d)
		return fail(c, MANIFEST_E_SCHEMA, "%s.%s must be a whole number 1..%llu", where, key,
			    (unsigned long long)max);
	*out = (uint64_t)d;
	return MANIFEST_OK;
}

static int parse_blob(const struct ctx *c, const cJSON *v, const char *where, struct manifest_blob *b)
{
	static const char *const file_keys[] = { "file" };
	static const char *const url_keys[] = { "url", "sha256", "size" };
	const cJSON *file, *url, *sha, *size;
	char sb[SHOWN_BUF];
	int ret;

	ret = want_object(c, v, where);
	if (ret != MANIFEST_OK)
		return ret;
	file = member(v, "file");
	url = member(v, "url");
	if ((file == NULL) == (url == NULL))
		return fail(c, MANIFEST_E_SCHEMA, "%s needs either \"file\" (a file in the payload) or \"url\" "
			    "with \"sha256\" and \"size\"", where);
	if (file != NULL) {
		ret = check_keys(c, v, where, file_keys, 1);
		if (ret == MANIFEST_OK)
			ret = get_path(c, file, where, "file", 0, b->file);
		if (ret == MANIFEST_OK)
			ret = need_file(c, where, "file", b->file, 1, UINT64_MAX, &b->size);
		if (ret == MANIFEST_OK)
			b->src = MANIFEST_SRC_FILE;
		return ret;
	}
	ret = check_keys(c, v, where, url_keys, 3);
	if (ret != MANIFEST_OK)
		return ret;
	sha = member(v, "sha256");
	size = member(v, "size");
	if (sha == NULL || size == NULL)
		return fail(c, MANIFEST_E_SCHEMA, "%s: a url needs \"sha256\" and \"size\" too", where);
	ret = want_string(c, url, where, "url");
	if (ret == MANIFEST_OK)
		ret = parse_url(c, url->valuestring, where, b);
	if (ret == MANIFEST_OK)
		ret = want_string(c, sha, where, "sha256");
	if (ret != MANIFEST_OK)
		return ret;
	if (strlen(sha->valuestring) != 64)
		return fail(c, MANIFEST_E_SCHEMA, "%s.sha256 must be 64 lowercase hex digits, not %zu characters",
			    where, strlen(sha->valuestring));
	if (hex_decode(sha->valuestring, 64, b->sha256, 32, HEX_LOWER) != ENC_OK)
		return fail(c, MANIFEST_E_SCHEMA, "%s.sha256 \"%s\" must be 64 lowercase hex digits", where,
			    shown(sha->valuestring, sb));
	ret = get_count(c, size, where, "size", MANIFEST_SIZE_MAX, &b->size);
	if (ret == MANIFEST_OK)
		b->src = MANIFEST_SRC_URL;
	return ret;
}

static int parse_cmdline(const struct ctx *c, const cJSON *v, struct manifest *m)
{
	const char *s;
	size_t n;
	int ret;

	ret = want_string(c, v, "", "cmdline");
	if (ret != MANIFEST_OK)
		return ret;
	s = v->valuestring;
	n = strlen(s);
	if (n > MANIFEST_CMDLINE_MAX)
		return fail(c, MANIFEST_E_SCHEMA, "cmdline is %zu bytes, at most %d allowed", n, MANIFEST_CMDLINE_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return fail(c, MANIFEST_E_SCHEMA, "cmdline byte %zu is 0x%02x; only printable ASCII is "
				    "allowed", i, (unsigned char)s[i]);
	memcpy(m->cmdline, s, n + 1);
	m->has_cmdline = true;
	return MANIFEST_OK;
}

/* One of [A-Za-z0-9._:+-], the characters of a label that needs no quoting anywhere. */
static bool label_char(int ch)
{
	return enc_is_alnum(ch) || ch == '.' || ch == '_' || ch == ':' || ch == '+' || ch == '-';
}

/* Lowercase hex digits in form's x places, as blkid prints them and /dev/disk/by-*uuid names them. */
static bool hex_form(const char *s, const char *form)
{
	if (strlen(s) != strlen(form))
		return false;
	for (size_t i = 0; form[i] != '\0'; i++)
		if (form[i] == 'x' ? !enc_is_hex_lower((unsigned char)s[i]) : s[i] != form[i])
			return false;
	return true;
}

#define UUID_FORM "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
#define MBR_PARTUUID_FORM "xxxxxxxx-xx"

/* UUID=<uuid>, PARTUUID=<uuid or MBR xxxxxxxx-yy> (lowercase), LABEL=/PARTLABEL=<1..128 label chars>, /dev/<path>. */
static bool volume_ok(const char *v)
{
	const char *s;
	size_t n = strlen(v);

	if (n == 0 || n > MANIFEST_VOLUME_MAX)
		return false;
	if (strncmp(v, "UUID=", 5) == 0)
		return hex_form(v + 5, UUID_FORM);
	if (strncmp(v, "PARTUUID=", 9) == 0)
		return hex_form(v + 9, UUID_FORM) || hex_form(v + 9, MBR_PARTUUID_FORM);
	s = strncmp(v, "LABEL=", 6) == 0 ? v + 6 : strncmp(v, "PARTLABEL=", 10) == 0 ? v + 10 : NULL;
	if (s != NULL) {
		if (*s == '\0' || strlen(s) > 128)
			return false;
		for (; *s != '\0'; s++)
			if (!label_char(*s))
				return false;
		return true;
	}
	if (strncmp(v, "/dev/", 5) != 0)
		return false;
	/* Components of label characters; no empty, "." or ".." ones. */
	s = v + 5;
	for (;;) {
		size_t len = 0;

		while (label_char(s[len]))
			len++;
		if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += len;
		if (*s == '\0')
			return true;
		if (*s != '/')
			return false;
		s++;
	}
}

static int parse_luks(const struct ctx *c, const cJSON *arr, struct manifest *m)
{
	static const char *const keys[] = { "name", "key", "volume" };
	char where[32], sb[SHOWN_BUF];
	size_t i = 0;
	int ret;

	if (!cJSON_IsArray(arr))
		return fail(c, MANIFEST_E_SCHEMA, "luks must be an array, not %s", type_name(arr));
	for (const cJSON *it = arr->child; it != NULL; it = it->next, i++) {
		struct manifest_luks *l = &m->luks[i];
		const cJSON *name, *key, *vol;
		size_t n;

		if (i == MANIFEST_LUKS_MAX)
			return fail(c, MANIFEST_E_SCHEMA, "luks has more than %d entries", MANIFEST_LUKS_MAX);
		snprintf(where, sizeof(where), "luks[%zu]", i);
		ret = want_object(c, it, where);
		if (ret == MANIFEST_OK)
			ret = check_keys(c, it, where, keys, 3);
		if (ret != MANIFEST_OK)
			return ret;
		name = member(it, "name");
		key = member(it, "key");
		vol = member(it, "volume");
		if (name == NULL || key == NULL || vol == NULL)
			return fail(c, MANIFEST_E_SCHEMA, "%s needs \"name\", \"key\" and \"volume\"", where);
		ret = want_string(c, name, where, "name");
		if (ret != MANIFEST_OK)
			return ret;
		n = strlen(name->valuestring);
		for (size_t k = 0; k < n; k++)
			if (!enc_is_alnum(name->valuestring[k]) && name->valuestring[k] != '_' &&
			    name->valuestring[k] != '-')
				n = 0;
		if (n == 0 || n > MANIFEST_LUKS_NAME_MAX)
			return fail(c, MANIFEST_E_SCHEMA, "%s.name \"%s\" must be 1..%d of [A-Za-z0-9_-]", where,
				    shown(name->valuestring, sb), MANIFEST_LUKS_NAME_MAX);
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->luks[k].name, name->valuestring) == 0)
				return fail(c, MANIFEST_E_SCHEMA, "%s.name \"%s\" is already used by luks[%zu]", where,
					    name->valuestring, k);
		memcpy(l->name, name->valuestring, n + 1);
		ret = get_path(c, key, where, "key", 0, l->key);
		if (ret == MANIFEST_OK)
			ret = need_file(c, where, "key", l->key, 1, MANIFEST_LUKS_KEY_MAX, &l->key_size);
		if (ret == MANIFEST_OK)
			ret = want_string(c, vol, where, "volume");
		if (ret != MANIFEST_OK)
			return ret;
		if (!volume_ok(vol->valuestring))
			return fail(c, MANIFEST_E_SCHEMA, "%s.volume \"%s\" must be UUID=<uuid>, PARTUUID=<uuid>, "
				    "LABEL=<label>, PARTLABEL=<label> or /dev/<path>", where,
				    shown(vol->valuestring, sb));
		snprintf(l->volume, sizeof(l->volume), "%s", vol->valuestring);
		m->n_luks = i + 1;
	}
	return MANIFEST_OK;
}

static int parse_ipsec(const struct ctx *c, const cJSON *v, struct manifest *m)
{
	static const char *const keys[] = { "dir" };
	static const char *const subdirs[] = { "x509", "x509ca", "private", "conf.d" };
	char sub[MANIFEST_PATH_MAX + 32], sb[SHOWN_BUF];
	const cJSON *dir;
	struct stat st;
	uint64_t size;
	int ret, e;

	ret = want_object(c, v, "ipsec");
	if (ret == MANIFEST_OK)
		ret = check_keys(c, v, "ipsec", keys, 1);
	if (ret != MANIFEST_OK)
		return ret;
	dir = member(v, "dir");
	if (dir == NULL)
		return fail(c, MANIFEST_E_SCHEMA, "ipsec needs \"dir\"");
	ret = get_path(c, dir, "ipsec", "dir", 1, m->ipsec_dir);
	if (ret != MANIFEST_OK)
		return ret;
	e = stat_in(c->dirfd, m->ipsec_dir, &st);
	if (e != 0 || !S_ISDIR(st.st_mode))
		return fail(c, MANIFEST_E_FILE, "ipsec.dir: \"%s\" is not a directory in the payload",
			    shown(m->ipsec_dir, sb));
	snprintf(sub, sizeof(sub), "%s/swanctl.conf", m->ipsec_dir);
	ret = need_file(c, "ipsec", "dir", sub, 0, UINT64_MAX, &size);
	if (ret != MANIFEST_OK)
		return ret;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(sub, sizeof(sub), "%s/%s", m->ipsec_dir, subdirs[i]);
		e = stat_in(c->dirfd, sub, &st);
		if (e == 0 && !S_ISDIR(st.st_mode))
			return fail(c, MANIFEST_E_FILE, "ipsec.dir: \"%s\" must be a directory", shown(sub, sb));
	}
	m->has_ipsec = true;
	return MANIFEST_OK;
}

static int parse_root(const struct ctx *c, const cJSON *root, struct manifest *m)
{
	static const char *const keys[] = { "version", "kernel", "initrd", "cmdline", "luks", "ipsec" };
	const cJSON *v;
	int ret;

	if (!cJSON_IsObject(root))
		return fail(c, MANIFEST_E_SCHEMA, "the top level must be an object, not %s", type_name(root));
	/* The version first: a newer layout's keys are unknown here, and that is the real reason. */
	v = member(root, "version");
	if (v == NULL)
		return fail(c, MANIFEST_E_VERSION, "\"version\" is missing; this agent reads layout version %d",
			    MANIFEST_VERSION);
	if (!cJSON_IsNumber(v) || v->valuedouble != MANIFEST_VERSION) {
		if (cJSON_IsNumber(v))
			return fail(c, MANIFEST_E_VERSION, "layout version %g is not supported; this agent reads "
				    "version %d (docs/payload.md)", v->valuedouble, MANIFEST_VERSION);
		return fail(c, MANIFEST_E_VERSION, "version must be the number %d, not %s", MANIFEST_VERSION,
			    type_name(v));
	}
	m->version = MANIFEST_VERSION;
	ret = check_keys(c, root, "top level", keys, sizeof(keys) / sizeof(keys[0]));
	if (ret != MANIFEST_OK)
		return ret;
	v = member(root, "kernel");
	if (v == NULL)
		return fail(c, MANIFEST_E_SCHEMA, "\"kernel\" is missing");
	ret = parse_blob(c, v, "kernel", &m->kernel);
	if (ret == MANIFEST_OK && (v = member(root, "initrd")) != NULL)
		ret = parse_blob(c, v, "initrd", &m->initrd);
	if (ret == MANIFEST_OK && (v = member(root, "cmdline")) != NULL)
		ret = parse_cmdline(c, v, m);
	if (ret == MANIFEST_OK && (v = member(root, "luks")) != NULL)
		ret = parse_luks(c, v, m);
	if (ret == MANIFEST_OK && (v = member(root, "ipsec")) != NULL)
		ret = parse_ipsec(c, v, m);
	return ret;
}

/*
 * cJSON keeps a \u0000 escape as a NUL inside the C string, which would cut
 * a value short without a word; such text (and raw NUL bytes) is refused.
 */
static bool has_nul(const char *s, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			return true;
		if (s[i] == '"') {
			in_str = !in_str;
		} else if (in_str && s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
				return true;
			i++;
		}
	}
	return false;
}

int manifest_parse(const char *json, size_t len, int dirfd, struct manifest *m, char *err, size_t errlen)
{
	const struct ctx c = { dirfd, err, errlen };
	const char *end = NULL;
	cJSON *root = NULL;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (m == NULL || json == NULL || dirfd < 0)
		return fail(&c, MANIFEST_E_ARG, "NULL argument or no directory");
	memset(m, 0, sizeof(*m));
	if (len > MANIFEST_JSON_MAX) {
		ret = fail(&c, MANIFEST_E_SIZE, "%zu bytes, at most %d", len, MANIFEST_JSON_MAX);
		goto out;
	}
	if (has_nul(json, len)) {
		ret = fail(&c, MANIFEST_E_JSON, "a NUL byte or \\u0000 escape; not allowed");
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (root != NULL)
		for (; end < json + len; end++)
			if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
				break;
	if (root == NULL || end < json + len) {
		size_t line = 1, col = 1;

		if (end == NULL || end < json || end > json + len)
			end = json;
		for (const char *p = json; p < end; p++, col++)
			if (*p == '\n') {
				line++;
				col = 0;
			}
		ret = fail(&c, MANIFEST_E_JSON, "%s at line %zu column %zu", root == NULL ? "not valid JSON" :
			   "text after the JSON value", line, col);
		goto out;
	}
	m->mode = MANIFEST_MODE_AIRLOCK;
	ret = parse_root(&c, root, m);
out:
	cJSON_Delete(root);
	if (ret != MANIFEST_OK)
		memset(m, 0, sizeof(*m));
	return ret;
}

int manifest_load(int dirfd, size_t max_json, struct manifest *m, char *err, size_t errlen)
{
	const struct ctx c = { dirfd, err, errlen };
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = -1, ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (m == NULL || dirfd < 0 || max_json == 0 || max_json > MANIFEST_JSON_MAX)
		return fail(&c, MANIFEST_E_ARG, "NULL manifest, no directory, or max_json not 1..%d",
			    MANIFEST_JSON_MAX);
	memset(m, 0, sizeof(*m));
	if (fstatat(dirfd, MANIFEST_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			return fail(&c, MANIFEST_E_IO, "%s", strerror(errno));
		if (fstatat(dirfd, MANIFEST_COMPAT_SCRIPT, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
			m->mode = MANIFEST_MODE_KEYLIME_COMPAT;
			return MANIFEST_OK;
		}
		return fail(&c, MANIFEST_E_MISSING, "the payload has neither " MANIFEST_FILE " (the airlock "
			    "manifest, docs/payload.md) nor " MANIFEST_COMPAT_SCRIPT " (a Keylime payload script) at "
			    "its top level");
	}
	if (!S_ISREG(st.st_mode))
		return fail(&c, MANIFEST_E_IO, "not a regular file");
	if ((uint64_t)st.st_size > max_json)
		return fail(&c, MANIFEST_E_SIZE, "%lld bytes, at most %zu", (long long)st.st_size, max_json);
	fd = openat(dirfd, MANIFEST_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail(&c, MANIFEST_E_IO, "%s", strerror(errno));
	buf = malloc(max_json + 1);
	if (buf == NULL) {
		ret = fail(&c, MANIFEST_E_NOMEM, "no memory for %zu bytes", max_json);
		goto out;
	}
	/* One byte more than allowed, to notice a file that grew since the fstatat. */
	while (got <= max_json) {
		ssize_t n = read(fd, buf + got, max_json + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = fail(&c, MANIFEST_E_IO, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max_json) {
		ret = fail(&c, MANIFEST_E_SIZE, "more than %zu bytes", max_json);
		goto out;
	}
	ret = manifest_parse(buf, got, dirfd, m, err, errlen);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

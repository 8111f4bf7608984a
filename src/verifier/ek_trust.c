/* SPDX-License-Identifier: GPL-2.0-only */
#include "ek_trust.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "encoding.h"

void ek_trust_free(struct ek_trust *t)
{
	mbedtls_x509_crt_free(&t->cas);
	free(t->list);
	memset(t, 0, sizeof(*t));
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int load_cas(struct ek_trust *t, const char *dir, char *err, size_t errlen)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[4096];
	int ret = -1, rc;

	if (!d) {
		snprintf(err, errlen, "EK CA directory %s: cannot open it", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!has_suffix(e->d_name, ".pem") && !has_suffix(e->d_name, ".crt") &&
		    !has_suffix(e->d_name, ".der") && !has_suffix(e->d_name, ".cer"))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		rc = mbedtls_x509_crt_parse_file(&t->cas, path);
		if (rc != 0) {
			snprintf(err, errlen, "EK CA certificate %s: cannot parse it (mbedtls -0x%04x)",
				 path, (unsigned)-rc);
			goto out;
		}
		t->ncas++;
	}
	if (t->ncas == 0) {
		snprintf(err, errlen, "EK CA directory %s holds no .pem/.crt/.der/.cer certificate",
			 dir);
		goto out;
	}
	ret = 0;
out:
	closedir(d);
	return ret;
}

static int cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int load_list(struct ek_trust *t, const char *file, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	char line[512];
	size_t lineno = 0, cap = 0;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "EK list %s: cannot open it", file);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *name;
		uint8_t h[32];

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "EK list %s:%zu: line too long", file, lineno);
			goto out;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		if (strnlen(p, 64) < 64 || hex_decode(p, 64, h, 32, 0) != ENC_OK) {
			snprintf(err, errlen, "EK list %s:%zu: expected 64 hex digits (SHA-256 "
				 "of the EK's SubjectPublicKeyInfo DER)", file, lineno);
			goto out;
		}
		name = p + 64;
		if (*name && !isspace((unsigned char)*name)) {
			snprintf(err, errlen, "EK list %s:%zu: more than 64 hex digits", file, lineno);
			goto out;
		}
		while (isspace((unsigned char)*name))
			name++;
		name[strcspn(name, "\r\n#")] = '\0';
		if (t->nlist == EK_LIST_MAX) {
			snprintf(err, errlen, "EK list %s: more than %d entries", file, EK_LIST_MAX);
			goto out;
		}
		if (t->nlist == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct ek_entry *l = realloc(t->list, ncap * sizeof(*l));

			if (!l)
				goto nomem;
			t->list = l;
			cap = ncap;
		}
		memcpy(t->list[t->nlist].hash, h, 32);
		snprintf(t->list[t->nlist].name, sizeof(t->list[t->nlist].name), "%s",
			 *name ? name : "unnamed");
		t->nlist++;
	}
	if (t->nlist)
		qsort(t->list, t->nlist, sizeof(*t->list), cmp32);
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "EK list %s: out of memory", file);
out:
	fclose(f);
	return ret;
}

int ek_trust_load(struct ek_trust *t, const char *ca_dir, const char *list_file, char *err,
		  size_t errlen)
{
	memset(t, 0, sizeof(*t));
	mbedtls_x509_crt_init(&t->cas);
	if ((ca_dir && load_cas(t, ca_dir, err, errlen) != 0) ||
	    (list_file && load_list(t, list_file, err, errlen) != 0)) {
		ek_trust_free(t);
		return -1;
	}
	return 0;
}

static int spki_der(mbedtls_pk_context *pk, uint8_t *buf, size_t cap, const uint8_t **der,
		    size_t *len)
{
	int n = mbedtls_pk_write_pubkey_der(pk, buf, cap);

	if (n <= 0)
		return -1;
	/* mbedtls writes at the end of the buffer. */
	*der = buf + cap - (size_t)n;
	*len = (size_t)n;
	return 0;
}

int ek_pk_hash(mbedtls_pk_context *pk, uint8_t out[32])
{
	uint8_t buf[1200];
	const uint8_t *der;
	size_t len;

	return spki_der(pk, buf, sizeof(buf), &der, &len) != 0 ||
	       mbedtls_sha256(der, len, out, 0) != 0 ? -1 : 0;
}

int ek_pubkey_hash(const struct tpm_public *ek, uint8_t out[32], char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	int ret = -1;

	mbedtls_pk_init(&pk);
	if (tpm_public_to_pk(ek, &pk, err, errlen) != 0)
		goto out;
	if (ek_pk_hash(&pk, out) != 0) {
		snprintf(err, errlen, "cannot encode the EK public key");
		goto out;
	}
	ret = 0;
out:
	mbedtls_pk_free(&pk);
	return ret;
}

static int cert_check(const struct ek_trust *t, const struct tpm_public *ek, const uint8_t *cert,
		      size_t cert_len, char *how, size_t howlen)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	uint8_t a[1200], b[1200];
	const uint8_t *da, *db;
	size_t la, lb;
	uint32_t flags = 0;
	char subject[160];
	int ret = -1, rc;

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	rc = mbedtls_x509_crt_parse_der(&crt, cert, cert_len);
	if (rc != 0) {
		snprintf(how, howlen, "EK certificate does not parse (mbedtls -0x%04x)",
			 (unsigned)-rc);
		goto out;
	}
	rc = mbedtls_x509_crt_verify(&crt, (mbedtls_x509_crt *)&t->cas, NULL, NULL, &flags, NULL,
				     NULL);
	if (rc != 0) {
		char info[200];

		mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		info[strcspn(info, "\n")] = '\0';
		snprintf(how, howlen, "EK certificate does not chain to a trusted TPM CA (%s)", info);
		goto out;
	}
	/* The certificate must be for this EK, not just any valid EK. */
	if (tpm_public_to_pk(ek, &pk, how, howlen) != 0)
		goto out;
	if (spki_der(&pk, a, sizeof(a), &da, &la) != 0 ||
	    spki_der(&crt.pk, b, sizeof(b), &db, &lb) != 0 || la != lb || memcmp(da, db, la) != 0) {
		snprintf(how, howlen, "EK certificate certifies another key than the EK sent");
		goto out;
	}
	if (mbedtls_x509_dn_gets(subject, sizeof(subject), &crt.issuer) < 0)
		snprintf(subject, sizeof(subject), "?");
	snprintf(how, howlen, "certificate issued by %s", subject);
	ret = 0;
out:
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
	return ret;
}

int ek_trust_check(const struct ek_trust *t, const struct tpm_public *ek, const uint8_t *cert,
		   size_t cert_len, char *how, size_t howlen)
{
	char cert_why[300] = "";
	uint8_t h[32];
	const struct ek_entry *hit;

	if (t->ncas && cert && cert_len) {
		if (cert_check(t, ek, cert, cert_len, how, howlen) == 0)
			return 0;
		snprintf(cert_why, sizeof(cert_why), "%s", how);
	}
	if (t->nlist) {
		if (ek_pubkey_hash(ek, h, how, howlen) != 0)
			return -1;
		hit = bsearch(h, t->list, t->nlist, sizeof(*t->list), cmp32);
		if (hit) {
			snprintf(how, howlen, "node list: %s", hit->name);
			return 0;
		}
	}
	if (!t->ncas && !t->nlist)
		snprintf(how, howlen, "no EK CA directory or node list configured: nothing is trusted");
	else if (cert_why[0])
		snprintf(how, howlen, "%s%s", cert_why, t->nlist ? "; EK not in the node list" : "");
	else if (t->ncas && !cert_len)
		snprintf(how, howlen, "no EK certificate sent%s",
			 t->nlist ? " and EK not in the node list" : "");
	else
		snprintf(how, howlen, "EK not in the node list");
	return -1;
}

const char *ek_trust_list_name(const struct ek_trust *t, const uint8_t hash[32])
{
	const struct ek_entry *hit = t->nlist ? bsearch(hash, t->list, t->nlist, sizeof(*t->list),
						       cmp32) : NULL;

	return hit ? hit->name : NULL;
}

int ek_trust_list_other(const struct ek_trust *t, const char *name, const uint8_t hash[32],
			uint8_t other[32])
{
	for (size_t i = 0; i < t->nlist; i++)
		if (!strcmp(t->list[i].name, name) && memcmp(t->list[i].hash, hash, 32) != 0) {
			memcpy(other, t->list[i].hash, 32);
			return 1;
		}
	return 0;
}

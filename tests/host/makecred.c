/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host helper for tests/host/test_credential_swtpm.sh: drives
 * src/lib/tpm_public.c and src/lib/credential.c on files tpm2-tools wrote.
 *
 *   makecred name PUB                       print the Name of a TPM2B_PUBLIC file (hex)
 *   makecred make EK.pub AK.name SECRET OUT write MakeCredential(EK, AK Name, SECRET)
 *   makecred split BLOB ID OUT              write credblob_parse's two TPM2Bs
 *
 * Random numbers come from mbedtls' CTR_DRBG seeded from the system entropy
 * source, as the registrar will do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "credential.h"
#include "tpm_public.h"

#define FILE_MAX 4096

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int ret = -1;

	if (!f) {
		fprintf(stderr, "makecred: cannot open %s\n", path);
		return -1;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f) || !feof(f) || n == cap) {
		fprintf(stderr, "makecred: cannot read %s (or larger than %zu bytes)\n", path, cap - 1);
		goto out;
	}
	*len = n;
	ret = 0;
out:
	fclose(f);
	return ret;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ret = -1;

	if (!f) {
		fprintf(stderr, "makecred: cannot create %s\n", path);
		return -1;
	}
	if (fwrite(buf, 1, len, f) == len)
		ret = 0;
	if (fclose(f) != 0)
		ret = -1;
	if (ret)
		fprintf(stderr, "makecred: cannot write %s\n", path);
	return ret;
}

static int cmd_name(const char *pub_path)
{
	static uint8_t buf[FILE_MAX];
	struct tpm_public p;
	uint8_t name[TPM_NAME_MAX_SIZE];
	size_t len, nlen;
	char err[256];
	int ret;

	if (read_file(pub_path, buf, sizeof(buf), &len))
		return 1;
	ret = tpm_public_parse(buf, len, &p, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "makecred: %s: %s\n", pub_path, err);
		return 1;
	}
	if (tpm_public_name(&p, name, sizeof(name), &nlen)) {
		fprintf(stderr, "makecred: %s: cannot compute the Name\n", pub_path);
		return 1;
	}
	for (size_t i = 0; i < nlen; i++)
		printf("%02x", name[i]);
	printf("\n");
	return 0;
}

static int cmd_make(const char *ek_path, const char *name_path, const char *secret,
		    const char *out_path)
{
	static uint8_t ekbuf[FILE_MAX], name[FILE_MAX], blob[CREDBLOB_MAX_SIZE];
	static const char pers[] = "airlock makecred test";
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	struct tpm_public ek;
	size_t eklen, nlen, blen;
	char err[256];
	int ret = 1, r;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if (read_file(ek_path, ekbuf, sizeof(ekbuf), &eklen) ||
	    read_file(name_path, name, sizeof(name), &nlen))
		goto out;
	if (tpm_public_parse(ekbuf, eklen, &ek, err, sizeof(err))) {
		fprintf(stderr, "makecred: %s: %s\n", ek_path, err);
		goto out;
	}
	r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const uint8_t *)pers,
				  sizeof(pers) - 1);
	if (r) {
		fprintf(stderr, "makecred: cannot seed CTR_DRBG (-0x%04x)\n", (unsigned)-r);
		goto out;
	}
	r = make_credential(&ek, name, nlen, (const uint8_t *)secret, strlen(secret),
			    mbedtls_ctr_drbg_random, &drbg, blob, sizeof(blob), &blen, err,
			    sizeof(err));
	if (r) {
		fprintf(stderr, "makecred: %s (%s)\n", err, credential_strerror(r));
		goto out;
	}
	if (write_file(out_path, blob, blen))
		goto out;
	ret = 0;
out:
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret;
}

static int cmd_split(const char *blob_path, const char *id_path, const char *es_path)
{
	static uint8_t blob[FILE_MAX];
	const uint8_t *id, *es;
	size_t len, idn, esn;
	char err[256];

	if (read_file(blob_path, blob, sizeof(blob), &len))
		return 1;
	if (credblob_parse(blob, len, &id, &idn, &es, &esn, err, sizeof(err))) {
		fprintf(stderr, "makecred: %s: %s\n", blob_path, err);
		return 1;
	}
	return write_file(id_path, id, idn) || write_file(es_path, es, esn);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "name"))
		return cmd_name(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "make"))
		return cmd_make(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && !strcmp(argv[1], "split"))
		return cmd_split(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: makecred name PUB | make EK.pub AK.name SECRET OUT | "
			"split BLOB ID OUT\n");
	return 2;
}

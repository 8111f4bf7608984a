/* SPDX-License-Identifier: GPL-2.0-only */
/* airlock-verifier ek-hash and revocation-cert: identities a tenant hands out. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "ek_trust.h"
#include "ek_uuid.h"
#include "file_read.h"
#include "revocation_key.h"

int cmd_revocation_cert(const struct cli *c, int argc, char **argv)
{
	const char *state = c->state;
	struct revkey rk;
	struct kc_rng rng;
	char err[300];
	int ret = EXIT_ERROR;

	(void)argv;
	memset(&rng, 0, sizeof(rng));
	if (argc != 0)
		return cli_usage_error("revocation-cert takes no arguments%s", "");
	if (kc_rng_init(&rng, "airlock-verifier revocation-cert", err, sizeof(err)) != 0 ||
	    revkey_open(state, &rng, &rk, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: revocation key: %s\n", err);
		goto out;
	}
	fputs(rk.cert, stdout);
	revkey_free(&rk);
	ret = EXIT_OK;
out:
	kc_rng_free(&rng);
	return ret;
}

/*
 * The ek-hash of an EK given as a TPM2B_PUBLIC, or as its certificate (PEM or
 * DER; the provider may publish either): SHA-256 of the SubjectPublicKeyInfo.
 */
static int ek_file_hash(const uint8_t *b, size_t len, uint8_t h[32], char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	struct tpm_public ek;
	int ret = -1;

	if (tpm_public_parse(b, len, &ek, err, errlen) == 0)
		return ek_pubkey_hash(&ek, h, err, errlen);
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, b, len + 1) != 0) {
		snprintf(err, errlen, "neither a TPM2B_PUBLIC nor an X.509 certificate");
		goto out;
	}
	if (ek_pk_hash(&crt.pk, h) != 0) {
		snprintf(err, errlen, "cannot encode the certificate's public key");
		goto out;
	}
	ret = 0;
out:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

int cmd_ek_hash(const struct cli *c, int argc, char **argv)
{
	(void)c;
	struct tpm_public ek;
	uint8_t *b, h[32];
	size_t len;
	char err[300], hex[65], uuid[EK_UUID_LEN + 1];
	int want_uuid = argc == 2 && !strcmp(argv[0], "--uuid"), ret = EXIT_REFUSED;
	const char *file = argv[argc - 1];

	if (argc != 1 + want_uuid)
		return cli_usage_error("ek-hash needs [--uuid] FILE%s", "");
	b = file_read(file, 16384, &len, NULL, 0);
	if (!b) {
		fprintf(stderr, "airlock-verifier: cannot read %s (at most 16 KiB)\n", file);
		return EXIT_ERROR;
	}
	if (want_uuid) {
		if (tpm_public_parse(b, len, &ek, err, sizeof(err)) != 0 ||
		    ek_uuid(b, len, uuid) != 0) {
			fprintf(stderr, "airlock-verifier: %s: the uuid comes from the EK's TPM2B_PUBLIC "
				"(tpm2_createek -u): %s\n", file, err);
			goto out;
		}
		printf("%s\n", uuid);
		ret = EXIT_OK;
		goto out;
	}
	if (ek_file_hash(b, len, h, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s: %s\n", file, err);
		goto out;
	}
	hex_encode(h, sizeof(h), hex, sizeof(hex), &len);
	printf("%s\n", hex);
	ret = EXIT_OK;
out:
	free(b);
	return ret;
}

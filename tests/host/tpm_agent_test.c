/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host test driver for the agent's TPM layer (src/agent/tpm_agent.c): keeps
 * one TPM context open and runs commands read from stdin, one a line, so a
 * script can check each result with independent tools (tpm2-tools, openssl)
 * while the EK and AK stay loaded. Answers one line per command on stdout:
 * "ok ..." or "err MESSAGE".
 *   tpm-agent-test TPMSPEC OUTDIR
 * Commands:
 *   ek auto|rsa|ecc             OUTDIR/ek.pub, OUTDIR/ek.crt (empty: none) -> ok ek TYPE cert LEN
 *   ak auto|rsa|ecc             OUTDIR/ak.pub, OUTDIR/ak.name (binary)      -> ok ak TYPE SIGNALG NAMEHEX
 *   activate BLOBFILE           OUTDIR/secret                               -> ok activate LEN
 *   quote MASKHEX ALG NONCE PFX PFX.attest PFX.sig PFX.pcrs (NONCE "-": empty) -> ok quote
 *   bind FILE                   PCR 16 binding of FILE's bytes              -> ok bind
 *   close                       ta_close, then exit 0
 *   abandon                     exit without ta_close (the flush check must see leftovers)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm_agent.h"

#define FILE_MAX 65536

static uint8_t buf[FILE_MAX], out1[4096], out2[4096], out3[4096];
static char outdir[256];

static int write_file(const char *dir, const char *name, const uint8_t *d, size_t n)
{
	char path[1024];
	FILE *f;
	int ok;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(d, 1, n, f) == n;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static long read_file(const char *path, uint8_t *d, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(d, 1, cap, f);
	if (ferror(f) || (n == cap && fgetc(f) != EOF)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return (long)n;
}

static int key_type(const char *s, enum ta_key_type *t)
{
	if (s && strcmp(s, "auto") == 0)
		*t = TA_KEY_AUTO;
	else if (s && strcmp(s, "rsa") == 0)
		*t = TA_KEY_RSA2048;
	else if (s && strcmp(s, "ecc") == 0)
		*t = TA_KEY_ECC_P256;
	else
		return -1;
	return 0;
}

static int hash_alg(const char *s, uint16_t *alg)
{
	static const struct { const char *n; uint16_t id; } algs[] = {
		{ "sha1", 0x0004 }, { "sha256", 0x000b }, { "sha384", 0x000c }, { "sha512", 0x000d },
		{ "sm3_256", 0x0012 },
	};

	for (size_t i = 0; s && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(s, algs[i].n) == 0) {
			*alg = algs[i].id;
			return 0;
		}
	return -1;
}

static int run(struct ta_ctx *ctx, char *line, char *err, size_t errlen)
{
	char *cmd = strtok(line, " \t\r\n"), *a1 = strtok(NULL, " \t\r\n");
	char *a2 = strtok(NULL, " \t\r\n"), *a3 = strtok(NULL, " \t\r\n"), *a4 = strtok(NULL, " \t\r\n");
	enum ta_key_type t, got = TA_KEY_AUTO;
	size_t n1 = 0, n2 = 0, n3 = 0;
	char path[1024];
	long n;

	if (cmd == NULL) {
		snprintf(err, errlen, "empty command");
		return -1;
	}
	if (strcmp(cmd, "ek") == 0) {
		if (key_type(a1, &t) != 0) {
			snprintf(err, errlen, "usage: ek auto|rsa|ecc");
			return -1;
		}
		if (ta_ek_create(ctx, t, out1, sizeof(out1), &n1, out2, sizeof(out2), &n2, &got, err,
				 errlen) != 0)
			return -1;
		if (write_file(outdir, "ek.pub", out1, n1) || write_file(outdir, "ek.crt", out2, n2)) {
			snprintf(err, errlen, "cannot write ek.pub/ek.crt in %s", outdir);
			return -1;
		}
		printf("ok ek %s cert %zu\n", ta_key_type_name(got), n2);
		return 0;
	}
	if (strcmp(cmd, "ak") == 0) {
		if (key_type(a1, &t) != 0) {
			snprintf(err, errlen, "usage: ak auto|rsa|ecc");
			return -1;
		}
		if (ta_ak_create(ctx, t, out1, sizeof(out1), &n1, out2, sizeof(out2), &n2, err,
				 errlen) != 0)
			return -1;
		if (write_file(outdir, "ak.pub", out1, n1) || write_file(outdir, "ak.name", out2, n2)) {
			snprintf(err, errlen, "cannot write ak.pub/ak.name in %s", outdir);
			return -1;
		}
		printf("ok ak %s %s ", ta_key_type_name(ta_ak_type(ctx)),
		       ta_sign_alg_name(ta_ak_type(ctx)));
		for (size_t i = 0; i < n2; i++)
			printf("%02x", out2[i]);
		printf("\n");
		return 0;
	}
	if (strcmp(cmd, "activate") == 0) {
		if (a1 == NULL || (n = read_file(a1, buf, sizeof(buf))) < 0) {
			snprintf(err, errlen, "activate: cannot read '%s'", a1 ? a1 : "");
			return -1;
		}
		if (ta_activate_credential(ctx, buf, (size_t)n, out1, sizeof(out1), &n1, err, errlen))
			return -1;
		if (write_file(outdir, "secret", out1, n1)) {
			snprintf(err, errlen, "cannot write secret in %s", outdir);
			return -1;
		}
		explicit_bzero(out1, sizeof(out1));
		printf("ok activate %zu\n", n1);
		return 0;
	}
	if (strcmp(cmd, "quote") == 0) {
		uint16_t alg;
		char *end = NULL;
		unsigned long mask = a1 ? strtoul(a1, &end, 16) : 0;
		const char *nonce = (a3 && strcmp(a3, "-") != 0) ? a3 : "";

		if (a1 == NULL || end == a1 || *end != '\0' || hash_alg(a2, &alg) != 0 || a3 == NULL ||
		    a4 == NULL) {
			snprintf(err, errlen, "usage: quote MASKHEX sha1|sha256|... NONCE|- PREFIX");
			return -1;
		}
		if (ta_quote(ctx, (uint32_t)mask, alg, (const uint8_t *)nonce, strlen(nonce), out1,
			     sizeof(out1), &n1, out2, sizeof(out2), &n2, out3, sizeof(out3), &n3, err,
			     errlen) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s.attest", a4);
		if (write_file(NULL, path, out1, n1) == 0) {
			snprintf(path, sizeof(path), "%s.sig", a4);
			if (write_file(NULL, path, out2, n2) == 0) {
				snprintf(path, sizeof(path), "%s.pcrs", a4);
				if (write_file(NULL, path, out3, n3) == 0) {
					printf("ok quote %zu %zu %zu\n", n1, n2, n3);
					return 0;
				}
			}
		}
		snprintf(err, errlen, "cannot write %s", path);
		return -1;
	}
	if (strcmp(cmd, "bind") == 0) {
		if (a1 == NULL || (n = read_file(a1, buf, sizeof(buf))) < 0) {
			snprintf(err, errlen, "bind: cannot read '%s'", a1 ? a1 : "");
			return -1;
		}
		if (ta_pcr16_bind(ctx, buf, (size_t)n, err, errlen) != 0)
			return -1;
		printf("ok bind\n");
		return 0;
	}
	snprintf(err, errlen, "unknown command '%s'", cmd);
	return -1;
}

int main(int argc, char **argv)
{
	struct ta_ctx *ctx = NULL;
	char line[1024], err[2048];

	if (argc != 3) {
		fprintf(stderr, "usage: tpm-agent-test TPMSPEC OUTDIR (commands on stdin)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(outdir, sizeof(outdir), "%s", argv[2]);
	if (ta_open(&ctx, argv[1], err, sizeof(err)) != 0) {
		printf("err %s\n", err);
		return 1;
	}
	printf("ok open %s rm %d\n", ta_spec(ctx), ta_resource_managed(ctx));
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "close", 5) == 0) {
			ta_close(ctx);
			printf("ok close\n");
			return 0;
		}
		if (strncmp(line, "abandon", 7) == 0) {
			printf("ok abandon\n");
			fflush(stdout);
			_Exit(0);
		}
		err[0] = '\0';
		if (run(ctx, line, err, sizeof(err)) != 0)
			printf("err %s\n", err);
	}
	ta_close(ctx);
	return 0;
}

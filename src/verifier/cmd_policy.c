/* SPDX-License-Identifier: GPL-2.0-only */
/* airlock-verifier policy check|test and predict: policies without a node. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "eventlog.h"
#include "file_read.h"
#include "policy.h"
#include "predict.h"

int cmd_policy_check(const struct cli *c, int argc, char **argv)
{
	(void)c;
	static struct policy p;
	uint8_t *b;
	size_t len;
	char err[300];
	int ret;

	if (argc != 1)
		return cli_usage_error("policy check needs a FILE%s", "");
	b = file_read(argv[0], POLICY_FILE_MAX, &len, NULL, 0);
	if (!b) {
		fprintf(stderr, "airlock-verifier: cannot read %s (at most %d bytes)\n", argv[0],
			POLICY_FILE_MAX);
		return EXIT_ERROR;
	}
	ret = policy_parse((const char *)b, len, &p, err, sizeof(err));
	free(b);
	if (ret != 0) {
		fprintf(stderr, "airlock-verifier: %s: %s\n", argv[0], err);
		return EXIT_REFUSED;
	}
	printf("%s: valid policy for PCRs", argv[0]);
	for (unsigned i = 0; i < QUOTE_NPCR; i++)
		if (p.mask & (1u << i))
			printf(" %u", i);
	printf("\n");
	return EXIT_OK;
}

int cmd_predict(const struct cli *c, int argc, char **argv)
{
	(void)c;
	struct predict_opts o = { .cbfs_verification = -1 };
	const char *out_file = NULL;
	char err[512], *json;
	FILE *f;

	if (argc < 1 || argv[0][0] == '-')
		return cli_usage_error("predict needs a BUILD_DIR (e.g. build/qemu-ovmf)%s", "");
	o.build_dir = argv[0];
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return cli_usage_error("%s needs a value", argv[i]);
		if (!strcmp(argv[i], "--append"))
			o.append = argv[i + 1];
		else if (!strcmp(argv[i], "--firmware"))
			o.firmware = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			out_file = argv[i + 1];
		else if (!strcmp(argv[i], "--rom"))
			o.rom = argv[i + 1];
		else if (!strcmp(argv[i], "--cbfs-measured"))
			o.cbfs_measured = argv[i + 1];
		else if (!strcmp(argv[i], "--cbfs-verification") &&
			 (!strcmp(argv[i + 1], "on") || !strcmp(argv[i + 1], "off")))
			o.cbfs_verification = !strcmp(argv[i + 1], "on");
		else
			return cli_usage_error("predict: unknown option %s", argv[i]);
	}
	json = predict_policy(&o, err, sizeof(err));
	if (!json) {
		fprintf(stderr, "airlock-verifier: predict: %s\n", err);
		return EXIT_ERROR;
	}
	if (out_file) {
		int bad;

		f = fopen(out_file, "w");
		bad = !f || fprintf(f, "%s\n", json) < 0;
		if ((f && fclose(f) != 0) || bad) {
			fprintf(stderr, "airlock-verifier: cannot write %s\n", out_file);
			free(json);
			return EXIT_ERROR;
		}
	} else {
		printf("%s\n", json);
	}
	free(json);
	return EXIT_OK;
}

/*
 * Evaluate a policy against event logs alone (from a known-good node, or a
 * QEMU boot): the logs are replayed into the PCR values a quote would carry.
 */
int cmd_policy_test(const struct cli *c, int argc, char **argv)
{
	(void)c;
	static struct policy p;
	static struct quote q;
	static struct eventlog_pcrs pcrs;
	uint8_t *pol = NULL, *rt = NULL, *fw = NULL;
	size_t pol_len, rt_len = 0, fw_len = 0, used, nev;
	char err[1024];
	int ret = EXIT_ERROR, rc;

	if (argc != 3 && argc != 5)
		return cli_usage_error("policy test FILE --runtime-log LOG [--firmware-log LOG]%s", "");
	for (int i = 1; i + 1 < argc; i += 2) {
		uint8_t **b = !strcmp(argv[i], "--runtime-log") ? &rt :
			      !strcmp(argv[i], "--firmware-log") ? &fw : NULL;
		size_t *l = b == &rt ? &rt_len : &fw_len;

		if (!b)
			return cli_usage_error("policy test: unknown option %s", argv[i]);
		free(*b);
		*b = file_read(argv[i + 1], 16u << 20, l, NULL, 0);
		if (!*b) {
			fprintf(stderr, "airlock-verifier: cannot read %s\n", argv[i + 1]);
			goto out;
		}
	}
	if (!rt)
		return cli_usage_error("policy test needs --runtime-log%s", "");
	pol = file_read(argv[0], POLICY_FILE_MAX, &pol_len, NULL, 0);
	if (!pol || policy_parse((const char *)pol, pol_len, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "airlock-verifier: %s: %s\n", argv[0], pol ? err : "cannot read it");
		ret = pol ? EXIT_REFUSED : EXIT_ERROR;
		goto out;
	}
	/* A log copied straight out of coreboot's CBMEM table ends in zeroed entries. */
	if (fw && eventlog_used_length(fw, fw_len, &used, &nev) == EVENTLOG_OK)
		fw_len = used;
	rc = fw ? eventlog_replay(fw, fw_len, &pcrs) : EVENTLOG_OK;
	if (rc == EVENTLOG_OK)
		rc = fw ? eventlog_replay_continue(rt, rt_len, &pcrs) : eventlog_replay(rt, rt_len, &pcrs);
	if (rc != EVENTLOG_OK) {
		fprintf(stderr, "airlock-verifier: the logs do not replay: %s\n", eventlog_strerror(rc));
		ret = EXIT_REFUSED;
		goto out;
	}
	for (unsigned b = 0; b < pcrs.nbanks; b++)
		if (pcrs.banks[b].alg == TPM_ALG_SHA256 && pcrs.banks[b].status == EVENTLOG_BANK_OK) {
			q.nbanks = 1;
			q.banks[0].alg = TPM_ALG_SHA256;
			q.banks[0].size = 32;
			q.banks[0].mask = (1u << QUOTE_NPCR) - 1;
			for (unsigned i = 0; i < QUOTE_NPCR && i < EVENTLOG_PCR_COUNT; i++)
				memcpy(q.banks[0].pcr[i], pcrs.banks[b].pcr[i], 32);
		}
	if (!q.nbanks) {
		fprintf(stderr, "airlock-verifier: the logs have no complete sha256 bank\n");
		ret = EXIT_REFUSED;
		goto out;
	}
	if (policy_check(&p, &q, rt, rt_len, fw, fw_len, err, sizeof(err)) != 0) {
		printf("%s: FAIL: %s\n", argv[0], err);
		ret = EXIT_REFUSED;
		goto out;
	}
	printf("%s: pass\n", argv[0]);
	ret = EXIT_OK;
out:
	free(pol);
	free(rt);
	free(fw);
	return ret;
}

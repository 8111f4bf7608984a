/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host test driver for /init's measurement path (src/init/measure.c over
 * src/lib/tpm_pcr.c): measure each argument as a runtime phase event into
 * PCR 8 of the given TPM and write the event log, exactly as /init does.
 *   tpm-measure TPMSPEC LOGFILE TEXT...
 */
#include <stdio.h>
#include <string.h>

#include "measure.h"

static struct tpm_pcr tpm;
static struct measure meas;

int main(int argc, char **argv)
{
	char err[256];
	int ret = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: tpm-measure TPMSPEC LOGFILE TEXT...\n");
		return 2;
	}
	if (tpm_pcr_open(&tpm, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "tpm-measure: %s\n", err);
		return 1;
	}
	if (measure_init(&meas, &tpm, argv[2], err, sizeof(err)) != 0)
		goto out;
	for (int i = 3; i < argc; i++)
		if (measure_event(&meas, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_PHASE, argv[i],
				  strlen(argv[i]), err, sizeof(err)) != 0)
			goto out;
	printf("banks:");
	for (unsigned i = 0; i < tpm.nbanks; i++)
		printf(" %s", tpm_alg_name(tpm.banks[i]));
	printf("\n");
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "tpm-measure: %s\n", err);
	tpm_pcr_close(&tpm);
	return ret;
}

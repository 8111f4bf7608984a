/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host test driver for /init's measurement path (src/lib/measure.c over
 * src/lib/tpm_pcr.c): measure each argument as a runtime phase event into
 * PCR 8 (or --pcr N) of the given TPM and write the event log, exactly as
 * /init does. --resume appends to an existing log (as the agent does), whose
 * banks must be the TPM's; with another TPM than the log's own, that writes
 * events the node's TPM never saw (the attack tests' forged log).
 *   tpm-measure [--resume] [--pcr N] TPMSPEC LOGFILE TEXT...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "runtime_events.h"

static struct tpm_pcr tpm;
static struct measure meas;

int main(int argc, char **argv)
{
	char err[256];
	int ret = 1, resume = 0, a = 1;
	unsigned long pcr = AIRLOCK_PCR_RUNTIME;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--resume"))
			resume = 1;
		else if (!strcmp(argv[a], "--pcr") && a + 1 < argc)
			pcr = strtoul(argv[++a], NULL, 10);
		else
			break;
	}
	if (argc - a < 2 || pcr > 23) {
		fprintf(stderr, "usage: tpm-measure [--resume] [--pcr N] TPMSPEC LOGFILE TEXT...\n");
		return 2;
	}
	if (tpm_pcr_open(&tpm, argv[a], err, sizeof(err)) != 0) {
		fprintf(stderr, "tpm-measure: %s\n", err);
		return 1;
	}
	if ((resume ? measure_resume(&meas, &tpm, argv[a + 1], err, sizeof(err)) :
		      measure_init(&meas, &tpm, argv[a + 1], err, sizeof(err))) != 0)
		goto out;
	for (int i = a + 2; i < argc; i++)
		if (measure_event(&meas, (uint32_t)pcr, pcr == AIRLOCK_PCR_RUNTIME ? AIRLOCK_EV_PHASE :
				  AIRLOCK_EV_PAYLOAD, argv[i], strlen(argv[i]), err, sizeof(err)) != 0)
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

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/verifier/pe_hash.c: any input is either refused
 * with a message or hashed, never read out of bounds; hashing the same input
 * twice gives the same digest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "pe_hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t a[32], b[32];
	char err[256];

	err[0] = '\0';
	if (pe_authenticode(data, size, TPM_ALG_SHA256, a, err, sizeof(err)) != 0) {
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			abort();
		return 0;
	}
	if (pe_authenticode(data, size, TPM_ALG_SHA256, b, err, sizeof(err)) != 0 ||
	    memcmp(a, b, sizeof(a)) != 0)
		abort();
	return 0;
}

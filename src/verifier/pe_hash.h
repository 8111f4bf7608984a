/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Authenticode digest of a PE/COFF image (Microsoft "Windows Authenticode
 * Portable Executable Signature Format", "Calculating the PE Image Hash"):
 * what UEFI firmware measures into PCR 4 as EV_EFI_BOOT_SERVICES_APPLICATION
 * when it loads an EFI application, such as the runtime's EFI-stub kernel.
 *
 * Hashed: the headers up to SizeOfHeaders without the CheckSum field and
 * the Certificate Table directory entry; every section's raw data in file
 * order; then whatever follows the last section, up to the attribute
 * certificate table (which is not hashed). Parsing checks every offset
 * against the file size and rejects what it cannot place.
 */
#ifndef AIRLOCK_VERIFIER_PE_HASH_H
#define AIRLOCK_VERIFIER_PE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 0 and out (digest_size(hash_alg) bytes), or -1 with err saying what is wrong. */
int pe_authenticode(const uint8_t *img, size_t len, uint16_t hash_alg, uint8_t *out, char *err,
		    size_t errlen);

#endif

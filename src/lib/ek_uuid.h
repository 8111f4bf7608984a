/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The uuid an airlock agent takes when none is configured: a name-based uuid
 * of its EK, so one TPM always gets the same one and a tenant can compute it
 * from the EK the provider published. The first 16 bytes of SHA-256 over the
 * marshalled EK public area (TPM2B_PUBLIC with its size prefix, `ek_tpm` as
 * registered), with the RFC 9562 version 8 and variant 10 bits set, written
 * 8-4-4-4-12 in lowercase.
 *
 * The registrar checks the form where it is claimed: a uuid in this form that
 * is not the registering EK's is refused, so nobody can take the uuid of
 * another machine's EK (docs/threat-model.md).
 */
#ifndef AIRLOCK_EK_UUID_H
#define AIRLOCK_EK_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EK_UUID_LEN 36

/* 0, or -1 if hashing failed. out gets 36 characters and a NUL. */
int ek_uuid(const uint8_t *ek_pub, size_t len, char out[EK_UUID_LEN + 1]);

/* Whether s (NUL-terminated) has the derived form: lowercase 8-4-4-4-12, version 8, variant 10. */
bool ek_uuid_form(const char *s);

#endif

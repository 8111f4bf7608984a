/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which TPMs may register: an EK is trusted when
 *   - its certificate (DER, as the agent sends `ekcert`) chains to one of
 *     the CA certificates in a configured directory (TPM vendors' CAs;
 *     swtpm's local CA in tests) AND certifies exactly the EK public key
 *     the agent sent, or
 *   - the SHA-256 of its public key (DER SubjectPublicKeyInfo, what
 *     `openssl pkey -pubin -outform DER | sha256sum` prints) is listed in
 *     the provider's published node list: lines "<64 hex> [node name]",
 *     '#' starts a comment. A node name that is the node's uuid binds that
 *     uuid to that EK: no other EK may register it.
 * With neither configured nothing is trusted: the registrar refuses every
 * node rather than accept an unverified EK.
 */
#ifndef AIRLOCK_VERIFIER_EK_TRUST_H
#define AIRLOCK_VERIFIER_EK_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crt.h>

#include "tpm_public.h"

#define EK_LIST_MAX 100000

struct ek_trust {
	mbedtls_x509_crt cas;
	int ncas;
	struct ek_entry {
		uint8_t hash[32]; /* SHA-256 of SubjectPublicKeyInfo DER */
		char name[64];
	} *list; /* sorted by hash */
	size_t nlist;
};

/* ca_dir and list_file may each be NULL. */
int ek_trust_load(struct ek_trust *t, const char *ca_dir, const char *list_file, char *err,
		  size_t errlen);
void ek_trust_free(struct ek_trust *t);

/* SHA-256 of the public key's DER SubjectPublicKeyInfo: the ek-hash. */
int ek_pk_hash(mbedtls_pk_context *pk, uint8_t out[32]);
int ek_pubkey_hash(const struct tpm_public *ek, uint8_t out[32], char *err, size_t errlen);

/*
 * 0 and how[] says why the EK is trusted ("certificate: CN=..." or
 * "node list: NAME"); -1 and why[] in how says why not.
 */
int ek_trust_check(const struct ek_trust *t, const struct tpm_public *ek, const uint8_t *cert,
		   size_t cert_len, char *how, size_t howlen);

/* The node list's name of the EK whose ek-hash this is, or NULL if it is not listed. */
const char *ek_trust_list_name(const struct ek_trust *t, const uint8_t hash[32]);

/*
 * A list entry may name a node by its uuid: then that uuid belongs to that
 * EK. 1 when the list gives name to an EK other than hash (other filled),
 * else 0.
 */
int ek_trust_list_other(const struct ek_trust *t, const char *name, const uint8_t hash[32],
			uint8_t other[32]);

#endif

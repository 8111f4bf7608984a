/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The node agent's TPM 2.0 layer over tpm2-tss ESAPI: endorsement key and
 * its certificate, the attestation key (the same on every boot), credential
 * activation, quotes in the layout Keylime reads, and the PCR 16 binding of
 * the agent's key. Everything the verifier or registrar receives comes out
 * marshalled exactly as tpm2-tools writes it.
 *
 * Transport spec strings as for /init (src/lib/tpm_pcr.h): an absolute device
 * path ("/dev/tpmrm0", "/dev/tpm0") or "swtpm:host=H,port=P". Without a
 * resource manager the TPM keeps every transient object and session until
 * it is flushed, so ta_close() flushes all this layer created, on every path.
 *
 * Assumes the endorsement hierarchy has an empty authorization value (as
 * shipped, and as Keylime's agents assume). EK template/nonce NV indices
 * (0x01c00004/3, 0x01c0000c/b) are not consulted: the EK is always made from
 * the default template of the TCG EK Credential Profile.
 *
 * Every function returns 0 or a negative value; on failure err names the
 * TPM command and the response code decoded by Tss2_RC_Decode, or the input
 * that was refused. Nothing here prints.
 *
 * Keylime names (checked against keylime/keylime keylime/common/algorithms.py
 * and rust-keylime keylime/src/algorithms.rs):
 *   enc_alg  (EK type)   "rsa" | "ecc"   ta_key_type_name(). Every verifier
 *            release accepts these two; newer ones also take "rsa2048" /
 *            "ecc256" and normalise "rsa"->"rsa2048", "ecc"->"ecc256".
 *   sign_alg (AK scheme) "rsassa" | "ecdsa"   ta_sign_alg_name().
 *   hash_alg             "sha256" (tpm2-tools names: "sha1", "sha384", ...).
 */
#ifndef AIRLOCK_TPM_AGENT_H
#define AIRLOCK_TPM_AGENT_H

#include <stddef.h>
#include <stdint.h>

enum ta_key_type { TA_KEY_AUTO = 0, TA_KEY_RSA2048, TA_KEY_ECC_P256 };

/* EK certificate NV indices (TCG EK Credential Profile, low range). */
#define TA_NV_EK_CERT_RSA2048 0x01c00002u
#define TA_NV_EK_CERT_ECC_P256 0x01c0000au

/* Buffer sizes that always suffice. */
#define TA_PUB_MAX 512      /* marshalled TPM2B_PUBLIC of an RSA 2048 or P-256 key */
#define TA_NAME_MAX 66      /* nameAlg || digest (up to SHA-512) */
#define TA_ATTEST_MAX 1024  /* marshalled TPMS_ATTEST (TPM2B_ATTEST bound) */
#define TA_SIG_MAX 512      /* marshalled TPMT_SIGNATURE */
#define TA_PCRBLOB_MAX (132 + 4 + 3 * 532)  /* tpm2_quote -o layout, 24 PCRs */
#define TA_NONCE_MAX 64

struct ta_ctx;

/*
 * Open the TPM. spec NULL or "": /dev/tpmrm0 if present, else /dev/tpm0.
 * The context remembers whether the transport is resource-managed (tpmrm).
 * Without a resource manager (/dev/tpm0, swtpm) the transport has one user
 * at a time, so transient objects and sessions found loaded are leftovers of
 * an earlier user that died (e.g. a crashed agent): they are flushed, or the
 * TPM's few slots would fill up over restarts.
 */
int ta_open(struct ta_ctx **out, const char *spec, char *err, size_t errlen);

/*
 * Flush every transient object and session this context created (always,
 * resource manager or not), close the transport, free the context.
 * NULL is allowed.
 */
void ta_close(struct ta_ctx *ctx);

/* The transport spec actually opened, and whether it is resource-managed. */
const char *ta_spec(const struct ta_ctx *ctx);
/* The open TCTI, so a SAPI context can measure on the same connection (tpm_pcr_attach). */
void *ta_tcti(struct ta_ctx *ctx);
int ta_resource_managed(const struct ta_ctx *ctx);

/*
 * Endorsement key. Reads the EK certificate from NV (RSA 2048 at 0x01c00002,
 * ECC P-256 at 0x01c0000a); TA_KEY_AUTO picks ECC if its certificate exists,
 * else RSA (with or without certificate). Creates the EK as a primary in the
 * endorsement hierarchy from the default template (L-1 RSA 2048, L-2 ECC
 * P-256: policy A = PolicySecret(TPM_RH_ENDORSEMENT), AES-128-CFB, restricted
 * decrypt, fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy), so
 * its public key matches the certificate. A previous EK of this context is
 * flushed first.
 * ek_pub: marshalled TPM2B_PUBLIC with its 2-byte size prefix (tpm2_createek
 * -u). cert: DER (trailing NV padding after the DER object is dropped),
 * *cert_len 0 if the TPM holds none. got (may be NULL): the type created.
 */
int ta_ek_create(struct ta_ctx *ctx, enum ta_key_type want, uint8_t *ek_pub, size_t cap,
		 size_t *len, uint8_t *cert, size_t cert_cap, size_t *cert_len,
		 enum ta_key_type *got, char *err, size_t errlen);

/*
 * Attestation key: a primary restricted signing key of the endorsement
 * hierarchy (CreatePrimary under TPM_RH_ENDORSEMENT, empty authorisation)
 * from a fixed template with airlock's label in its unique field, so it is
 * the same key on every boot of the same TPM until the endorsement seed
 * changes (TPM2_Clear of the endorsement hierarchy, ChangeEPS). Keylime's
 * registrar (7.14 and later) keeps one AK per agent for good, so it must be.
 * Attributes as tpm2_createak: fixedTPM, fixedParent, sensitiveDataOrigin,
 * userWithAuth, restricted, sign. TA_KEY_AUTO and TA_KEY_RSA2048: RSA 2048
 * RSASSA-SHA256 (what Keylime accepts by default); TA_KEY_ECC_P256: ECC P-256
 * ECDSA-SHA256. Needs the EK first (credential activation pairs them). A
 * previous AK of this context is flushed first.
 * ak_pub: marshalled TPM2B_PUBLIC with size prefix. name: the object Name,
 * nameAlg (big-endian u16) || SHA-256(marshalled TPMT_PUBLIC), no size prefix.
 */
int ta_ak_create(struct ta_ctx *ctx, enum ta_key_type type, uint8_t *ak_pub, size_t cap,
		 size_t *len, uint8_t *name, size_t name_cap, size_t *name_len, char *err,
		 size_t errlen);

/* Type of the current AK (TA_KEY_AUTO if none). */
enum ta_key_type ta_ak_type(const struct ta_ctx *ctx);

/*
 * TPM2_ActivateCredential with the AK as activateHandle (password) and the
 * EK as keyHandle (PolicySecret(endorsement) session). blob is the
 * tpm2-tools/Keylime layout: BE32 0xBADCC0DE | BE32 1 | TPM2B_ID_OBJECT |
 * TPM2B_ENCRYPTED_SECRET, nothing after. The recovered secret is a secret:
 * the caller wipes it.
 */
int ta_activate_credential(struct ta_ctx *ctx, const uint8_t *blob, size_t blob_len,
			   uint8_t *secret, size_t cap, size_t *len, char *err, size_t errlen);

/*
 * Quote with the AK over the PCRs in mask (bit n = PCR n, 0..23, not empty)
 * of bank hash_alg (TPM_ALG_ID: 0x000B sha256, 0x0004 sha1, 0x000C sha384,
 * 0x000D sha512), qualifyingData = nonce (at most TA_NONCE_MAX bytes; Keylime
 * sends the nonce's ASCII). The signature scheme is the AK's (ECDSA or
 * RSASSA with SHA-256): Keylime wants its hash equal to hash_alg, so a
 * non-sha256 hash_alg needs a matching AK.
 * attest: marshalled TPMS_ATTEST (no size prefix, starts ff 54 43 47).
 * sig: marshalled TPMT_SIGNATURE. pcrblob: tpm2_quote -o layout
 * (little-endian TPML_PCR_SELECTION, u32 n, n x TPML_DIGEST of up to 8 PCR
 * values in ascending PCR order). The values are read around the quote and
 * checked against its pcrDigest; a PCR that moved meanwhile means another try
 * (bounded).
 */
int ta_quote(struct ta_ctx *ctx, uint32_t mask, uint16_t hash_alg, const uint8_t *nonce,
	     size_t nonce_len, uint8_t *attest, size_t attest_cap, size_t *attest_len,
	     uint8_t *sig, size_t sig_cap, size_t *sig_len, uint8_t *pcrblob, size_t blob_cap,
	     size_t *blob_len, char *err, size_t errlen);

/*
 * Keylime binding of the agent's key NK: PCR_Reset(16), then extend PCR 16 of
 * every active bank with that bank's hash of data. Keylime's verifier then
 * expects sha256 PCR 16 = SHA-256(32 zero bytes || SHA-256(data)), data being
 * the PEM text of the NK's public key exactly as sent in "pubkey".
 */
int ta_pcr16_bind(struct ta_ctx *ctx, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Keylime enc_alg of an EK type: "rsa", "ecc" ("auto" for TA_KEY_AUTO). */
const char *ta_key_type_name(enum ta_key_type type);
/* Keylime sign_alg of an AK type: "rsassa", "ecdsa" (AUTO is RSA: "rsassa"). */
const char *ta_sign_alg_name(enum ta_key_type type);

#endif

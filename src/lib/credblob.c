/* SPDX-License-Identifier: GPL-2.0-only */
/* The credential blob parser; see credblob.h. */
#include "credblob.h"
#include "bytes.h"
#include "lib_err.h"

/* An HMAC in a credential is as long as one of the digests we know. */
static int hmac_size_ok(size_t n)
{
	return n == 20 || n == 32 || n == 48 || n == 64;
}

int credblob_parse(const uint8_t *b, size_t len, const uint8_t **id_object, size_t *id_len,
		   const uint8_t **enc_secret, size_t *es_len, char *err, size_t errlen)
{
	struct bytes c = bytes_of(b, len), id;
	const uint8_t *body;
	uint16_t idn, macn, esn;
	uint32_t magic, version;
	size_t at, encn;
	int ret = CREDENTIAL_E_ARG;

	if (err && errlen)
		err[0] = '\0';
	if (!id_object || !id_len || !enc_secret || !es_len || (!b && len)) {
		lib_err(err, errlen, "credential blob: missing argument");
		goto out;
	}
	*id_object = *enc_secret = NULL;
	*id_len = *es_len = 0;
	ret = CREDENTIAL_E_FORMAT;
	if (!bytes_be32(&c, &magic) || !bytes_be32(&c, &version)) {
		lib_err(err, errlen, "credential blob: %zu bytes, shorter than its 8-byte header", len);
		goto out;
	}
	if (len > CREDBLOB_MAX_SIZE) {
		lib_err(err, errlen, "credential blob: %zu bytes, more than the %d a blob may have", len,
		     CREDBLOB_MAX_SIZE);
		goto out;
	}
	if (magic != CREDBLOB_MAGIC) {
		lib_err(err, errlen, "credential blob: magic 0x%08x, expected 0x%08x", magic,
			CREDBLOB_MAGIC);
		ret = CREDENTIAL_E_MAGIC;
		goto out;
	}
	if (version != CREDBLOB_VERSION) {
		lib_err(err, errlen, "credential blob: version %u, expected %u", version,
			CREDBLOB_VERSION);
		ret = CREDENTIAL_E_VERSION;
		goto out;
	}
	at = c.pos;
	if (!bytes_be16(&c, &idn)) {
		lib_err(err, errlen, "credential blob: truncated before TPM2B_ID_OBJECT size at offset %zu",
		     at);
		goto out;
	}
	if (idn > CREDBLOB_MAX_ID_OBJECT || !(body = bytes_take(&c, idn))) {
		lib_err(err, errlen,
		     "credential blob: TPM2B_ID_OBJECT at offset %zu claims %u bytes (max %d, %zu left)",
		     at, idn, CREDBLOB_MAX_ID_OBJECT, len - at - 2);
		goto out;
	}
	/* Inside: TPM2B_DIGEST integrityHMAC, then encIdentity (an encrypted TPM2B_DIGEST). */
	id = bytes_of(body, idn);
	if (!bytes_be16(&id, &macn) || !bytes_take(&id, macn) || !hmac_size_ok(macn)) {
		lib_err(err, errlen,
		     "credential blob: integrity HMAC in TPM2B_ID_OBJECT at offset %zu is malformed",
		     at);
		goto out;
	}
	encn = bytes_left(&id);
	if (encn < 2 || encn > 2 + DIGEST_MAX_SIZE) {
		lib_err(err, errlen,
		     "credential blob: encrypted identity of %zu bytes at offset %zu, must be 2..%d",
		     encn, at + 4 + macn, 2 + DIGEST_MAX_SIZE);
		goto out;
	}
	*id_object = b + at;
	*id_len = 2 + (size_t)idn;
	at = c.pos;
	if (!bytes_be16(&c, &esn)) {
		lib_err(err, errlen,
		     "credential blob: truncated before TPM2B_ENCRYPTED_SECRET size at offset %zu", at);
		goto out;
	}
	if (esn < 1 || esn > CREDBLOB_MAX_ENC_SECRET || !bytes_take(&c, esn)) {
		lib_err(err, errlen,
		     "credential blob: TPM2B_ENCRYPTED_SECRET at offset %zu claims %u bytes (1..%d, %zu left)",
		     at, esn, CREDBLOB_MAX_ENC_SECRET, len - at - 2);
		goto out;
	}
	*enc_secret = b + at;
	*es_len = 2 + (size_t)esn;
	if (bytes_left(&c) != 0) {
		lib_err(err, errlen, "credential blob: %zu trailing bytes after offset %zu",
			bytes_left(&c), c.pos);
		goto out;
	}
	ret = CREDENTIAL_OK;
out:
	if (ret && id_object && id_len && enc_secret && es_len) {
		*id_object = *enc_secret = NULL;
		*id_len = *es_len = 0;
	}
	return ret;
}

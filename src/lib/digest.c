/* SPDX-License-Identifier: GPL-2.0-only */
/* TPM algorithm ids to mbedtls message digests; see digest.h. */
#include "digest.h"

#include <string.h>

struct alg_entry {
	uint16_t alg;
	uint8_t size;
	mbedtls_md_type_t md;
	const char *name;
};

/*
 * Sizes are part of the log format, so they come from this table and not
 * from whatever mbedtls was built with: a log parses the same everywhere.
 */
static const struct alg_entry algs[] = {
	{ TPM_ALG_SHA1, 20, MBEDTLS_MD_SHA1, "sha1" },
	{ TPM_ALG_SHA256, 32, MBEDTLS_MD_SHA256, "sha256" },
	{ TPM_ALG_SHA384, 48, MBEDTLS_MD_SHA384, "sha384" },
	{ TPM_ALG_SHA512, 64, MBEDTLS_MD_SHA512, "sha512" },
};

static const struct alg_entry *find_alg(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return &algs[i];
	return NULL;
}

/* NULL for an unknown id and for a known id this mbedtls build lacks. */
static const mbedtls_md_info_t *md_info(const struct alg_entry *e)
{
	return mbedtls_md_info_from_type(e->md);
}

size_t digest_size(uint16_t alg)
{
	const struct alg_entry *e = find_alg(alg);

	return e ? e->size : 0;
}

const char *digest_name(uint16_t alg)
{
	const struct alg_entry *e = find_alg(alg);

	return e ? e->name : NULL;
}

int digest(uint16_t alg, const void *data, size_t len, uint8_t *out)
{
	const struct alg_entry *e = find_alg(alg);
	const mbedtls_md_info_t *info;
	int ret = DIGEST_E_ARG;

	if (!out || (!data && len))
		goto out;
	ret = DIGEST_E_ALG;
	if (!e)
		goto out;
	ret = DIGEST_E_CRYPTO;
	info = md_info(e);
	if (!info || mbedtls_md_get_size(info) != e->size)
		goto out;
	/* mbedtls' legacy one-shot functions want a non-NULL pointer. */
	if (mbedtls_md(info, len ? data : (const void *)"", len, out) != 0)
		goto out;
	ret = DIGEST_OK;
out:
	return ret;
}

int pcr_extend(uint16_t alg, uint8_t *pcr, const uint8_t *dig)
{
	uint8_t cat[2 * DIGEST_MAX_SIZE];
	uint8_t next[DIGEST_MAX_SIZE];
	size_t n = digest_size(alg);
	int ret = DIGEST_E_ARG;

	if (!pcr || !dig)
		goto out;
	ret = DIGEST_E_ALG;
	if (n == 0)
		goto out;
	memcpy(cat, pcr, n);
	memcpy(cat + n, dig, n);
	/* Hash into a temporary so a failure leaves the PCR as it was. */
	ret = digest(alg, cat, 2 * n, next);
	if (ret != DIGEST_OK)
		goto out;
	memcpy(pcr, next, n);
out:
	return ret;
}

int digest_init(struct digest_ctx *ctx, uint16_t alg)
{
	const struct alg_entry *e = find_alg(alg);
	const mbedtls_md_info_t *info;
	int ret = DIGEST_E_ARG;

	if (!ctx)
		goto out;
	ctx->ready = 0;
	ctx->alg = alg;
	mbedtls_md_init(&ctx->md);
	ret = DIGEST_E_ALG;
	if (!e)
		goto out;
	ret = DIGEST_E_CRYPTO;
	info = md_info(e);
	if (!info || mbedtls_md_get_size(info) != e->size)
		goto out;
	if (mbedtls_md_setup(&ctx->md, info, 0) != 0)
		goto out;
	if (mbedtls_md_starts(&ctx->md) != 0)
		goto out;
	ctx->ready = 1;
	ret = DIGEST_OK;
out:
	/* mbedtls_md_free is safe on an initialised, never-set-up context. */
	if (ctx && ret != DIGEST_OK)
		mbedtls_md_free(&ctx->md);
	return ret;
}

int digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
	int ret = DIGEST_E_ARG;

	if (!ctx || !ctx->ready || (!data && len))
		goto out;
	ret = DIGEST_OK;
	if (len == 0)
		goto out;
	if (mbedtls_md_update(&ctx->md, data, len) != 0)
		ret = DIGEST_E_CRYPTO;
out:
	return ret;
}

int digest_final(struct digest_ctx *ctx, uint8_t *out)
{
	int ret = DIGEST_E_ARG;

	if (!ctx || !ctx->ready)
		goto out;
	if (!out)
		goto release;
	ret = DIGEST_OK;
	if (mbedtls_md_finish(&ctx->md, out) != 0)
		ret = DIGEST_E_CRYPTO;
release:
	digest_abort(ctx);
out:
	return ret;
}

void digest_abort(struct digest_ctx *ctx)
{
	if (!ctx || !ctx->ready)
		return;
	mbedtls_md_free(&ctx->md);
	ctx->ready = 0;
}

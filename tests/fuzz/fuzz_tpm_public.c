/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/tpm_public.c and src/lib/credential.c.
 *
 * 1. The input as a TPM2B_PUBLIC. When it parses, the fields must marshal
 *    back (by this harness's own writer) to exactly the input bytes, the
 *    Name must be computable, and the mbedtls conversion must either work
 *    or say the key material is bad. A usable EK must give a credential
 *    blob that credblob_parse splits back into the sizes it was made with.
 * 2. The input as a credential blob: when it parses, the two TPM2Bs lie
 *    inside the input, cover it exactly after the header, and their size
 *    fields say their lengths.
 * 3. The first bytes as KDF parameters: KDFa/KDFe never write past the
 *    output size they are given.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/lib \
 *   -I$MBEDTLS/include tests/fuzz/fuzz_tpm_public.c src/lib/tpm_public.c \
 *   src/lib/credential.c src/lib/digest.c -L$MBEDTLS/lib -lmbedcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>

#include "credential.h"
#include "tpm_public.h"

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			abort();  \
	} while (0)

static uint8_t out[TPM_PUBLIC_MAX_SIZE + 2];
static size_t olen;

static void w16(uint16_t v)
{
	CHECK(olen + 2 <= sizeof(out));
	out[olen++] = (uint8_t)(v >> 8);
	out[olen++] = (uint8_t)v;
}

static void w32(uint32_t v)
{
	w16((uint16_t)(v >> 16));
	w16((uint16_t)v);
}

static void w2b(const uint8_t *b, uint16_t n)
{
	w16(n);
	CHECK(olen + n <= sizeof(out));
	memcpy(out + olen, b, n);
	olen += n;
}

/* TPM 2.0 Part 2 marshalling of what the parser kept. */
static void marshal(const struct tpm_public *p)
{
	olen = 2;
	w16(p->type);
	w16(p->name_alg);
	w32(p->attributes);
	w2b(p->auth_policy, p->auth_policy_len);
	w16(p->sym_alg);
	if (p->sym_alg != TPM_ALG_NULL) {
		w16(p->sym_bits);
		w16(p->sym_mode);
	}
	w16(p->scheme);
	if (p->scheme != TPM_ALG_NULL && p->scheme != TPM_ALG_RSAES)
		w16(p->scheme_hash);
	if (p->type == TPM_ALG_RSA) {
		w16(p->rsa_bits);
		w32(p->rsa_exponent);
		w2b(p->unique_x, p->unique_x_len);
	} else {
		w16(p->ecc_curve);
		w16(p->kdf);
		if (p->kdf != TPM_ALG_NULL)
			w16(p->kdf_hash);
		w2b(p->unique_x, p->unique_x_len);
		w2b(p->unique_y, p->unique_y_len);
	}
	out[0] = (uint8_t)((olen - 2) >> 8);
	out[1] = (uint8_t)(olen - 2);
}

/* A fixed generator: the harness is about parsing, not randomness. */
static int rng(void *p, unsigned char *buf, size_t len)
{
	uint32_t *s = p;

	for (size_t i = 0; i < len; i++) {
		*s = *s * 1103515245u + 12345u;
		buf[i] = (uint8_t)(*s >> 16);
	}
	return 0;
}

static void as_public(const uint8_t *data, size_t size)
{
	static const uint8_t ak_name[34] = { 0x00, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8 };
	static uint8_t blob[CREDBLOB_MAX_SIZE];
	struct tpm_public p;
	uint8_t name[TPM_NAME_MAX_SIZE];
	mbedtls_pk_context pk;
	const uint8_t *id, *es;
	size_t nlen = 0, blen = 0, idn, esn, hl;
	uint32_t seed = 1;
	char err[128];
	int ret;

	ret = tpm_public_parse(data, size, &p, err, sizeof(err));
	CHECK(memchr(err, 0, sizeof(err)) != NULL);
	if (ret != TPM_PUBLIC_OK) {
		CHECK(ret < 0 && err[0]);
		return;
	}
	CHECK(p.type == TPM_ALG_RSA || p.type == TPM_ALG_ECC);
	CHECK(p.tpmt == data + 2 && p.tpmt_len == size - 2);
	marshal(&p);
	CHECK(olen == size && !memcmp(out, data, size));

	CHECK(tpm_public_name(&p, name, sizeof(name), &nlen) == TPM_PUBLIC_OK);
	CHECK(nlen == 2 + digest_size(p.name_alg));
	CHECK(name[0] == data[4] && name[1] == data[5]);

	/* RSA keys cost a modular exponentiation per input: only small ones. */
	if (p.type == TPM_ALG_RSA && p.rsa_bits > 2048)
		return;
	mbedtls_pk_init(&pk);
	ret = tpm_public_to_pk(&p, &pk, err, sizeof(err));
	CHECK(ret == TPM_PUBLIC_OK || ret == TPM_PUBLIC_E_KEY);
	if (ret)
		CHECK(mbedtls_pk_get_type(&pk) == MBEDTLS_PK_NONE);
	mbedtls_pk_free(&pk);

	hl = digest_size(p.name_alg);
	ret = make_credential(&p, ak_name, sizeof(ak_name), (const uint8_t *)"fuzz", 4, rng, &seed,
			      blob, sizeof(blob), &blen, err, sizeof(err));
	if (ret != CREDENTIAL_OK) {
		CHECK(ret == CREDENTIAL_E_EK || ret == CREDENTIAL_E_CRYPTO);
		return;
	}
	CHECK(p.attributes & TPMA_OBJECT_DECRYPT && p.sym_alg == TPM_ALG_AES);
	CHECK(credblob_parse(blob, blen, &id, &idn, &es, &esn, err, sizeof(err)) ==
	      CREDENTIAL_OK);
	CHECK(idn == 2 + 2 + hl + 2 + 4);
	if (p.type == TPM_ALG_RSA)
		CHECK(esn == 2 + p.rsa_bits / 8u);
	else
		CHECK(esn == 2 + 4 + 2 * tpm_public_ecc_size(p.ecc_curve));
}

static void as_blob(const uint8_t *data, size_t size)
{
	const uint8_t *id, *es;
	size_t idn, esn;
	char err[128];
	int ret = credblob_parse(data, size, &id, &idn, &es, &esn, err, sizeof(err));

	if (ret != CREDENTIAL_OK) {
		CHECK(ret < 0 && err[0] && !id && !es && !idn && !esn);
		return;
	}
	CHECK(id == data + 8 && idn >= 4 && es == id + idn && es + esn == data + size);
	CHECK(((size_t)id[0] << 8 | id[1]) == idn - 2);
	CHECK(((size_t)es[0] << 8 | es[1]) == esn - 2);
	CHECK(idn - 2 <= CREDBLOB_MAX_ID_OBJECT && esn - 2 <= CREDBLOB_MAX_ENC_SECRET);
}

/* [alg index][bits hi][bits lo][cap] then key bytes. */
static void as_kdf(const uint8_t *data, size_t size)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384,
					 TPM_ALG_SHA512, 0x0012 };
	uint8_t buf[TPM_KDF_MAX_BYTES + 16];
	uint16_t alg;
	uint32_t bits;
	size_t cap, half;
	int ret;

	if (size < 4)
		return;
	alg = algs[data[0] % 5];
	bits = (uint32_t)data[1] << 8 | data[2];
	cap = data[3] * 4u;
	data += 4;
	size -= 4;
	half = size / 2;
	memset(buf, 0xA5, sizeof(buf));
	ret = tpm_kdfa(alg, data, half, "STORAGE", data + half, size - half, NULL, 0, bits, buf,
		       cap);
	if (ret == CREDENTIAL_OK)
		CHECK((bits + 7) / 8 <= cap && bits);
	for (size_t i = ret == CREDENTIAL_OK ? (bits + 7) / 8 : 0; i < sizeof(buf); i++)
		CHECK(buf[i] == 0xA5);
	ret = tpm_kdfe(alg, data, half, "IDENTITY", data + half, size - half, data, half, bits,
		       buf, cap);
	if (ret == CREDENTIAL_OK)
		CHECK((bits + 7) / 8 <= cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_public(data, size);
	as_blob(data, size);
	as_kdf(data, size);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Software TPM2_MakeCredential and the credential file; see credential.h. */
#include "credential.h"
#include "bytes.h"
#include "lib_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

/* TPM reference code: the label string includes its terminating NUL. */
static const char LABEL_IDENTITY[] = "IDENTITY";
static const char LABEL_STORAGE[] = "STORAGE";
static const char LABEL_INTEGRITY[] = "INTEGRITY";

static const mbedtls_md_info_t *md_of(uint16_t alg)
{
	mbedtls_md_type_t t;

	switch (alg) {
	case TPM_ALG_SHA1: t = MBEDTLS_MD_SHA1; break;
	case TPM_ALG_SHA256: t = MBEDTLS_MD_SHA256; break;
	case TPM_ALG_SHA384: t = MBEDTLS_MD_SHA384; break;
	case TPM_ALG_SHA512: t = MBEDTLS_MD_SHA512; break;
	default: return NULL;
	}
	return mbedtls_md_info_from_type(t);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One KDF: hmac != 0 for KDFa (keyed, trailing [bits]32), 0 for KDFe. */
static int kdf(int hmac, uint16_t hash_alg, const uint8_t *key, size_t key_len,
	       const char *label, const uint8_t *u, size_t u_len, const uint8_t *v,
	       size_t v_len, uint32_t bits, uint8_t *out, size_t cap)
{
	const mbedtls_md_info_t *info = md_of(hash_alg);
	uint8_t block[DIGEST_MAX_SIZE], be[4];
	size_t bytes = ((size_t)bits + 7) / 8, done, hlen, n;
	mbedtls_md_context_t md;
	int ret = CREDENTIAL_E_ARG;

	mbedtls_md_init(&md);
	if (!out || !bits || bytes > TPM_KDF_MAX_BYTES || bytes > cap || (!key && key_len) ||
	    (!u && u_len) || (!v && v_len))
		goto out;
	ret = CREDENTIAL_E_CRYPTO;
	if (!info || mbedtls_md_setup(&md, info, hmac) != 0)
		goto out;
	hlen = mbedtls_md_get_size(info);
	done = 0;
	for (uint32_t i = 1; done < bytes; i++, done += n) {
		int r;

		put32(be, i);
		r = hmac ? mbedtls_md_hmac_starts(&md, key_len ? key : (const uint8_t *)"", key_len)
			 : mbedtls_md_starts(&md);
		if (!r)
			r = hmac ? mbedtls_md_hmac_update(&md, be, 4) : mbedtls_md_update(&md, be, 4);
		if (!r && !hmac && key_len)
			r = mbedtls_md_update(&md, key, key_len);
		if (!r && label)
			r = hmac ? mbedtls_md_hmac_update(&md, (const uint8_t *)label, strlen(label) + 1)
				 : mbedtls_md_update(&md, (const uint8_t *)label, strlen(label) + 1);
		if (!r && u_len)
			r = hmac ? mbedtls_md_hmac_update(&md, u, u_len) : mbedtls_md_update(&md, u, u_len);
		if (!r && v_len)
			r = hmac ? mbedtls_md_hmac_update(&md, v, v_len) : mbedtls_md_update(&md, v, v_len);
		if (!r && hmac) {
			put32(be, bits);
			r = mbedtls_md_hmac_update(&md, be, 4);
		}
		if (!r)
			r = hmac ? mbedtls_md_hmac_finish(&md, block) : mbedtls_md_finish(&md, block);
		if (r)
			goto out;
		n = bytes - done < hlen ? bytes - done : hlen;
		memcpy(out + done, block, n);
	}
	if (bits % 8)
		out[0] &= (uint8_t)((1u << (bits % 8)) - 1);
	ret = CREDENTIAL_OK;
out:
	explicit_bzero(block, sizeof(block));
	mbedtls_md_free(&md);
	return ret;
}

int tpm_kdfa(uint16_t hash_alg, const uint8_t *key, size_t key_len, const char *label,
	     const uint8_t *ctx_u, size_t ctx_u_len, const uint8_t *ctx_v, size_t ctx_v_len,
	     uint32_t bits, uint8_t *out, size_t cap)
{
	return kdf(1, hash_alg, key, key_len, label, ctx_u, ctx_u_len, ctx_v, ctx_v_len, bits,
		   out, cap);
}

int tpm_kdfe(uint16_t hash_alg, const uint8_t *z, size_t z_len, const char *label,
	     const uint8_t *party_u, size_t u_len, const uint8_t *party_v, size_t v_len,
	     uint32_t bits, uint8_t *out, size_t cap)
{
	return kdf(0, hash_alg, z, z_len, label, party_u, u_len, party_v, v_len, bits, out, cap);
}

/* RSA EK: random seed, OAEP-encrypted to the EK. es = the ciphertext. */
static int rsa_seed(const struct tpm_public *ek, int (*f_rng)(void *, unsigned char *, size_t),
		    void *p_rng, uint8_t *seed, size_t seed_len, uint8_t *es, size_t *es_len,
		    char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	mbedtls_rsa_context *rsa;
	mbedtls_md_type_t mdt = mbedtls_md_get_type(md_of(ek->name_alg));
	int ret, r;

	mbedtls_pk_init(&pk);
	ret = tpm_public_to_pk(ek, &pk, err, errlen);
	if (ret) {
		ret = CREDENTIAL_E_EK;
		goto out;
	}
	rsa = mbedtls_pk_rsa(pk);
	ret = CREDENTIAL_E_EK;
	if (mbedtls_rsa_get_len(rsa) > CREDBLOB_MAX_ENC_SECRET) {
		lib_err(err, errlen, "MakeCredential: RSA EK of %zu bytes is too large",
		     mbedtls_rsa_get_len(rsa));
		goto out;
	}
	ret = CREDENTIAL_E_CRYPTO;
	r = f_rng(p_rng, seed, seed_len);
	if (r) {
		lib_err(err, errlen, "MakeCredential: random generator failed (-0x%04x)", (unsigned)-r);
		goto out;
	}
	r = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, mdt);
	if (!r)
		r = mbedtls_rsa_rsaes_oaep_encrypt(rsa, f_rng, p_rng,
						   (const uint8_t *)LABEL_IDENTITY,
						   sizeof(LABEL_IDENTITY), seed_len, seed, es);
	if (r) {
		lib_err(err, errlen, "MakeCredential: RSA-OAEP(%s) of the seed failed (-0x%04x)",
		     digest_name(ek->name_alg), (unsigned)-r);
		goto out;
	}
	*es_len = mbedtls_rsa_get_len(rsa);
	ret = CREDENTIAL_OK;
out:
	mbedtls_pk_free(&pk);
	return ret;
}

/*
 * ECC EK: one-pass ECDH (Part 1, C.6.1) with an ephemeral key; es = the
 * ephemeral public point as TPMS_ECC_POINT, coordinates at curve size.
 */
static int ecc_seed(const struct tpm_public *ek, int (*f_rng)(void *, unsigned char *, size_t),
		    void *p_rng, uint8_t *seed, size_t seed_len, uint8_t *es, size_t *es_len,
		    char *err, size_t errlen)
{
	size_t n = tpm_public_ecc_size(ek->ecc_curve), olen = 0;
	uint8_t pt[1 + 2 * TPM_PUBLIC_MAX_ECC_BYTES], z[TPM_PUBLIC_MAX_ECC_BYTES];
	mbedtls_ecp_group grp;
	mbedtls_ecp_point qek, qe, s;
	mbedtls_mpi d;
	int ret = CREDENTIAL_E_EK, r;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&qek);
	mbedtls_ecp_point_init(&qe);
	mbedtls_ecp_point_init(&s);
	mbedtls_mpi_init(&d);
	r = tpm_public_ecc_point(ek, "MakeCredential: EK", &grp, &qek, err, errlen);
	if (r != TPM_PUBLIC_OK) {
		ret = r == TPM_PUBLIC_E_KEY ? CREDENTIAL_E_EK : CREDENTIAL_E_CRYPTO;
		goto out;
	}
	ret = CREDENTIAL_E_CRYPTO;
	r = mbedtls_ecp_gen_keypair(&grp, &d, &qe, f_rng, p_rng);
	if (!r)
		r = mbedtls_ecp_mul(&grp, &s, &d, &qek, f_rng, p_rng);
	if (!r)
		r = mbedtls_ecp_is_zero(&s) ? MBEDTLS_ERR_ECP_INVALID_KEY : 0;
	/* Uncompressed points (04 || x || y) give both coordinates at curve size. */
	if (!r)
		r = mbedtls_ecp_point_write_binary(&grp, &s, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pt,
						   sizeof(pt));
	if (!r && olen != 1 + 2 * n)
		r = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
	if (!r)
		memcpy(z, pt + 1, n);
	if (!r)
		r = mbedtls_ecp_point_write_binary(&grp, &qe, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pt,
						   sizeof(pt));
	if (!r && olen != 1 + 2 * n)
		r = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
	if (!r) {
		memcpy(es + 2, pt + 1, n);
		memcpy(es + 4 + n, pt + 1 + n, n);
	}
	if (r) {
		lib_err(err, errlen, "MakeCredential: ephemeral ECDH on curve 0x%04x failed (-0x%04x)",
		     ek->ecc_curve, (unsigned)-r);
		goto out;
	}
	put16(es, n);
	put16(es + 2 + n, n);
	*es_len = 4 + 2 * n;
	r = tpm_kdfe(ek->name_alg, z, n, LABEL_IDENTITY, es + 2, n, ek->unique_x, n,
		     (uint32_t)seed_len * 8, seed, seed_len);
	if (r) {
		lib_err(err, errlen, "MakeCredential: KDFe(%s) failed", digest_name(ek->name_alg));
		goto out;
	}
	ret = CREDENTIAL_OK;
out:
	explicit_bzero(z, sizeof(z));
	explicit_bzero(pt, sizeof(pt));
	mbedtls_mpi_free(&d); /* mbedtls zeroizes limbs on free */
	mbedtls_ecp_point_free(&s);
	mbedtls_ecp_point_free(&qe);
	mbedtls_ecp_point_free(&qek);
	mbedtls_ecp_group_free(&grp);
	return ret;
}

static int check_ek(const struct tpm_public *ek, char *err, size_t errlen)
{
	const uint32_t want = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

	if (ek->type != TPM_ALG_RSA && ek->type != TPM_ALG_ECC) {
		lib_err(err, errlen, "MakeCredential: EK type 0x%04x is neither RSA nor ECC", ek->type);
		return CREDENTIAL_E_EK;
	}
	if (!md_of(ek->name_alg) || !digest_size(ek->name_alg)) {
		lib_err(err, errlen, "MakeCredential: EK nameAlg 0x%04x is not supported", ek->name_alg);
		return CREDENTIAL_E_EK;
	}
	if ((ek->attributes & want) != want || (ek->attributes & TPMA_OBJECT_SIGN_ENCRYPT)) {
		lib_err(err, errlen,
		     "MakeCredential: EK attributes 0x%08x are not those of a restricted decryption key",
		     ek->attributes);
		return CREDENTIAL_E_EK;
	}
	if (ek->sym_alg != TPM_ALG_AES || ek->sym_mode != TPM_ALG_CFB ||
	    (ek->sym_bits != 128 && ek->sym_bits != 192 && ek->sym_bits != 256)) {
		lib_err(err, errlen,
		     "MakeCredential: EK symmetric 0x%04x/%u/0x%04x is not AES-CFB",
		     ek->sym_alg, ek->sym_bits, ek->sym_mode);
		return CREDENTIAL_E_EK;
	}
	return CREDENTIAL_OK;
}

int make_credential(const struct tpm_public *ek, const uint8_t *ak_name, size_t ak_name_len,
		    const uint8_t *secret, size_t secret_len,
		    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		    uint8_t *blob, size_t cap, size_t *blob_len, char *err, size_t errlen)
{
	uint8_t seed[DIGEST_MAX_SIZE], sym_key[32], hmac_key[DIGEST_MAX_SIZE];
	uint8_t plain[2 + DIGEST_MAX_SIZE], enc[2 + DIGEST_MAX_SIZE], iv[16];
	uint8_t mac_in[2 + DIGEST_MAX_SIZE + TPM_NAME_MAX_SIZE], mac[DIGEST_MAX_SIZE];
	uint8_t es[CREDBLOB_MAX_ENC_SECRET];
	size_t hlen, es_len = 0, id_len, total, iv_off = 0;
	const mbedtls_md_info_t *info;
	mbedtls_aes_context aes;
	int ret = CREDENTIAL_E_ARG, r;

	mbedtls_aes_init(&aes);
	if (err && errlen)
		err[0] = '\0';
	if (!ek || !ak_name || !secret || !f_rng || !blob || !blob_len) {
		lib_err(err, errlen, "MakeCredential: missing argument");
		goto out;
	}
	*blob_len = 0;
	ret = check_ek(ek, err, errlen);
	if (ret)
		goto out;
	info = md_of(ek->name_alg);
	hlen = digest_size(ek->name_alg);
	if (ak_name_len < 2 || ak_name_len > TPM_NAME_MAX_SIZE ||
	    digest_size(load_be16(ak_name)) != ak_name_len - 2) {
		lib_err(err, errlen,
		     "MakeCredential: AK Name of %zu bytes is not a hash algorithm id and its digest",
		     ak_name_len);
		ret = CREDENTIAL_E_NAME;
		goto out;
	}
	if (secret_len < 1 || secret_len > hlen) {
		lib_err(err, errlen, "MakeCredential: secret of %zu bytes, must be 1..%zu (%s digest)",
		     secret_len, hlen, digest_name(ek->name_alg));
		ret = CREDENTIAL_E_SECRET;
		goto out;
	}

	if (ek->type == TPM_ALG_RSA)
		ret = rsa_seed(ek, f_rng, p_rng, seed, hlen, es, &es_len, err, errlen);
	else
		ret = ecc_seed(ek, f_rng, p_rng, seed, hlen, es, &es_len, err, errlen);
	if (ret)
		goto out;

	ret = CREDENTIAL_E_CRYPTO;
	if (tpm_kdfa(ek->name_alg, seed, hlen, LABEL_STORAGE, ak_name, ak_name_len, NULL, 0,
		     ek->sym_bits, sym_key, sizeof(sym_key)) ||
	    tpm_kdfa(ek->name_alg, seed, hlen, LABEL_INTEGRITY, NULL, 0, NULL, 0,
		     (uint32_t)hlen * 8, hmac_key, sizeof(hmac_key))) {
		lib_err(err, errlen, "MakeCredential: KDFa(%s) failed", digest_name(ek->name_alg));
		goto out;
	}

	put16(plain, secret_len);
	memcpy(plain + 2, secret, secret_len);
	memset(iv, 0, sizeof(iv));
	r = mbedtls_aes_setkey_enc(&aes, sym_key, ek->sym_bits);
	if (!r)
		r = mbedtls_aes_crypt_cfb128(&aes, MBEDTLS_AES_ENCRYPT, 2 + secret_len, &iv_off, iv,
					     plain, enc);
	if (r) {
		lib_err(err, errlen, "MakeCredential: AES-%u-CFB failed (-0x%04x)", ek->sym_bits,
		     (unsigned)-r);
		goto out;
	}

	memcpy(mac_in, enc, 2 + secret_len);
	memcpy(mac_in + 2 + secret_len, ak_name, ak_name_len);
	r = mbedtls_md_hmac(info, hmac_key, hlen, mac_in, 2 + secret_len + ak_name_len, mac);
	if (r) {
		lib_err(err, errlen, "MakeCredential: HMAC-%s failed (-0x%04x)",
		     digest_name(ek->name_alg), (unsigned)-r);
		goto out;
	}

	id_len = 2 + hlen + 2 + secret_len;
	total = 8 + 2 + id_len + 2 + es_len;
	if (cap < total) {
		lib_err(err, errlen, "MakeCredential: blob needs %zu bytes, buffer has %zu", total, cap);
		ret = CREDENTIAL_E_ARG;
		goto out;
	}
	put32(blob, CREDBLOB_MAGIC);
	put32(blob + 4, CREDBLOB_VERSION);
	put16(blob + 8, id_len);
	put16(blob + 10, hlen);
	memcpy(blob + 12, mac, hlen);
	memcpy(blob + 12 + hlen, enc, 2 + secret_len);
	put16(blob + 10 + id_len, es_len);
	memcpy(blob + 12 + id_len, es, es_len);
	*blob_len = total;
	ret = CREDENTIAL_OK;
out:
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(sym_key, sizeof(sym_key));
	explicit_bzero(hmac_key, sizeof(hmac_key));
	explicit_bzero(plain, sizeof(plain));
	mbedtls_aes_free(&aes);
	return ret;
}

const char *credential_strerror(int err)
{
	switch (err) {
	case CREDENTIAL_OK: return "success";
	case CREDENTIAL_E_ARG: return "invalid argument";
	case CREDENTIAL_E_EK: return "EK unusable for MakeCredential";
	case CREDENTIAL_E_NAME: return "malformed AK Name";
	case CREDENTIAL_E_SECRET: return "secret length not allowed";
	case CREDENTIAL_E_CRYPTO: return "crypto failure";
	case CREDENTIAL_E_FORMAT: return "malformed credential blob";
	case CREDENTIAL_E_MAGIC: return "bad credential blob magic";
	case CREDENTIAL_E_VERSION: return "bad credential blob version";
	default: return "unknown error";
	}
}

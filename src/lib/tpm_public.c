/* SPDX-License-Identifier: GPL-2.0-only */
/* TPM2B_PUBLIC parser, Name and mbedtls key; see tpm_public.h. */
#include "tpm_public.h"
#include "bytes.h"
#include "lib_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

/* src/lib/bytes.h's cursor, and where to say what a bad field was. */
struct rd {
	struct bytes b;
	char *err;
	size_t errlen;
};

static int need(struct rd *r, size_t n, const char *what)
{
	if (n > bytes_left(&r->b)) {
		lib_err(r->err, r->errlen,
		     "TPM2B_PUBLIC: %s at offset %zu needs %zu bytes, only %zu left",
		     what, r->b.pos, n, bytes_left(&r->b));
		return TPM_PUBLIC_E_TRUNCATED;
	}
	return 0;
}

static int get16(struct rd *r, uint16_t *v, const char *what)
{
	int ret = need(r, 2, what);

	if (ret == 0 && !bytes_be16(&r->b, v))
		ret = TPM_PUBLIC_E_TRUNCATED;
	return ret;
}

static int get32(struct rd *r, uint32_t *v, const char *what)
{
	int ret = need(r, 4, what);

	if (ret == 0 && !bytes_be32(&r->b, v))
		ret = TPM_PUBLIC_E_TRUNCATED;
	return ret;
}

/* A TPM2B whose size must be within [min, max]; copied into out. */
static int get2b(struct rd *r, uint8_t *out, uint16_t *outlen, size_t min,
		 size_t max, const char *what)
{
	uint16_t n;
	size_t at = r->b.pos;
	int ret = get16(r, &n, what);

	if (ret)
		return ret;
	if (n < min || n > max) {
		if (min == max)
			lib_err(r->err, r->errlen,
			     "TPM2B_PUBLIC: %s at offset %zu has size %u, must be %zu",
			     what, at, n, min);
		else
			lib_err(r->err, r->errlen,
			     "TPM2B_PUBLIC: %s at offset %zu has size %u, must be %zu..%zu",
			     what, at, n, min, max);
		return TPM_PUBLIC_E_SIZE;
	}
	ret = need(r, n, what);
	if (ret)
		return ret;
	if (!bytes_copy(&r->b, out, n))
		return TPM_PUBLIC_E_TRUNCATED;
	*outlen = n;
	return 0;
}

static int bad_alg(struct rd *r, size_t at, const char *what, uint16_t alg)
{
	lib_err(r->err, r->errlen,
	     "TPM2B_PUBLIC: %s 0x%04x at offset %zu is not supported", what, alg, at);
	return TPM_PUBLIC_E_ALG;
}

static int get_hash(struct rd *r, uint16_t *alg, const char *what)
{
	size_t at = r->b.pos;
	int ret = get16(r, alg, what);

	if (ret)
		return ret;
	if (!digest_size(*alg))
		return bad_alg(r, at, what, *alg);
	return 0;
}

size_t tpm_public_ecc_size(uint16_t curve)
{
	switch (curve) {
	case TPM_ECC_NIST_P256: return 32;
	case TPM_ECC_NIST_P384: return 48;
	case TPM_ECC_NIST_P521: return 66;
	default: return 0;
	}
}

/* TPMT_SYM_DEF_OBJECT: NULL, or AES with 128/192/256-bit keys in CFB mode. */
static int get_symmetric(struct rd *r, struct tpm_public *p)
{
	size_t at = r->b.pos;
	int ret = get16(r, &p->sym_alg, "symmetric.algorithm");

	if (ret)
		return ret;
	if (p->sym_alg == TPM_ALG_NULL)
		return 0;
	if (p->sym_alg != TPM_ALG_AES)
		return bad_alg(r, at, "symmetric algorithm", p->sym_alg);
	at = r->b.pos;
	ret = get16(r, &p->sym_bits, "symmetric.keyBits");
	if (ret)
		return ret;
	if (p->sym_bits != 128 && p->sym_bits != 192 && p->sym_bits != 256) {
		lib_err(r->err, r->errlen,
		     "TPM2B_PUBLIC: AES key size %u at offset %zu is not 128, 192 or 256",
		     p->sym_bits, at);
		return TPM_PUBLIC_E_SIZE;
	}
	at = r->b.pos;
	ret = get16(r, &p->sym_mode, "symmetric.mode");
	if (ret)
		return ret;
	if (p->sym_mode != TPM_ALG_CFB)
		return bad_alg(r, at, "symmetric mode (only CFB)", p->sym_mode);
	return 0;
}

/* TPMT_RSA_SCHEME / TPMT_ECC_SCHEME: the schemes that carry just a hash. */
static int get_scheme(struct rd *r, struct tpm_public *p)
{
	size_t at = r->b.pos;
	int ret = get16(r, &p->scheme, "scheme");

	if (ret)
		return ret;
	if (p->scheme == TPM_ALG_NULL)
		return 0;
	if (p->type == TPM_ALG_RSA) {
		switch (p->scheme) {
		case TPM_ALG_RSAES:
			return 0; /* no details */
		case TPM_ALG_RSASSA:
		case TPM_ALG_RSAPSS:
		case TPM_ALG_OAEP:
			break;
		default:
			return bad_alg(r, at, "RSA scheme", p->scheme);
		}
	} else {
		switch (p->scheme) {
		case TPM_ALG_ECDSA:
		case TPM_ALG_ECDH:
		case TPM_ALG_ECSCHNORR:
			break;
		default:
			return bad_alg(r, at, "ECC scheme", p->scheme);
		}
	}
	return get_hash(r, &p->scheme_hash, "scheme hash");
}

static int get_rsa(struct rd *r, struct tpm_public *p)
{
	size_t at = r->b.pos;
	int ret = get16(r, &p->rsa_bits, "RSA keyBits");

	if (ret)
		return ret;
	if (p->rsa_bits != 1024 && p->rsa_bits != 2048 && p->rsa_bits != 3072 &&
	    p->rsa_bits != 4096) {
		lib_err(r->err, r->errlen,
		     "TPM2B_PUBLIC: RSA keyBits %u at offset %zu is not 1024, 2048, 3072 or 4096",
		     p->rsa_bits, at);
		return TPM_PUBLIC_E_SIZE;
	}
	ret = get32(r, &p->rsa_exponent, "RSA exponent");
	if (ret)
		return ret;
	return get2b(r, p->unique_x, &p->unique_x_len, p->rsa_bits / 8u,
		     p->rsa_bits / 8u, "RSA modulus (unique.rsa)");
}

static int get_ecc(struct rd *r, struct tpm_public *p)
{
	size_t at = r->b.pos, n;
	int ret = get16(r, &p->ecc_curve, "ECC curveID");

	if (ret)
		return ret;
	n = tpm_public_ecc_size(p->ecc_curve);
	if (!n)
		return bad_alg(r, at, "ECC curve", p->ecc_curve);
	at = r->b.pos;
	ret = get16(r, &p->kdf, "ECC kdf.scheme");
	if (ret)
		return ret;
	switch (p->kdf) {
	case TPM_ALG_NULL:
		break;
	case TPM_ALG_MGF1:
	case TPM_ALG_KDF1_SP800_56A:
	case TPM_ALG_KDF2:
	case TPM_ALG_KDF1_SP800_108:
		ret = get_hash(r, &p->kdf_hash, "ECC kdf hash");
		if (ret)
			return ret;
		break;
	default:
		return bad_alg(r, at, "ECC kdf", p->kdf);
	}
	ret = get2b(r, p->unique_x, &p->unique_x_len, n, n, "ECC point x (unique.ecc.x)");
	if (ret)
		return ret;
	return get2b(r, p->unique_y, &p->unique_y_len, n, n, "ECC point y (unique.ecc.y)");
}

int tpm_public_parse(const uint8_t *buf, size_t len, struct tpm_public *out,
		     char *err, size_t errlen)
{
	struct rd r = { .b = bytes_of(buf, len), .err = err, .errlen = errlen };
	uint16_t size;
	size_t at;
	int ret = TPM_PUBLIC_E_ARG;

	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		lib_err(err, errlen, "TPM2B_PUBLIC: no output structure");
		goto out;
	}
	memset(out, 0, sizeof(*out));
	if (!buf && len) {
		lib_err(err, errlen, "TPM2B_PUBLIC: no input buffer");
		goto out;
	}
	if (len > TPM_PUBLIC_MAX_SIZE + 2) {
		lib_err(err, errlen, "TPM2B_PUBLIC: %zu bytes, more than the %d a public area may have",
		     len, TPM_PUBLIC_MAX_SIZE + 2);
		ret = TPM_PUBLIC_E_SIZE;
		goto out;
	}
	ret = get16(&r, &size, "size prefix");
	if (ret)
		goto out;
	if (size != len - 2) {
		lib_err(err, errlen,
		     "TPM2B_PUBLIC: size prefix says %u bytes, but %zu follow it", size, len - 2);
		ret = size > len - 2 ? TPM_PUBLIC_E_TRUNCATED : TPM_PUBLIC_E_TRAILING;
		goto out;
	}
	out->tpmt = buf + 2;
	out->tpmt_len = size;

	at = r.b.pos;
	ret = get16(&r, &out->type, "type");
	if (ret)
		goto out;
	if (out->type != TPM_ALG_RSA && out->type != TPM_ALG_ECC) {
		lib_err(err, errlen, "TPM2B_PUBLIC: type 0x%04x at offset %zu is neither RSA nor ECC",
		     out->type, at);
		ret = TPM_PUBLIC_E_TYPE;
		goto out;
	}
	ret = get_hash(&r, &out->name_alg, "nameAlg");
	if (ret)
		goto out;
	at = r.b.pos;
	ret = get32(&r, &out->attributes, "objectAttributes");
	if (ret)
		goto out;
	if (out->attributes & TPMA_OBJECT_RESERVED) {
		lib_err(err, errlen,
		     "TPM2B_PUBLIC: objectAttributes 0x%08x at offset %zu sets reserved bits 0x%08x",
		     out->attributes, at, out->attributes & TPMA_OBJECT_RESERVED);
		ret = TPM_PUBLIC_E_ATTRIBUTES;
		goto out;
	}
	at = r.b.pos;
	ret = get2b(&r, out->auth_policy, &out->auth_policy_len, 0, DIGEST_MAX_SIZE,
		    "authPolicy");
	if (ret)
		goto out;
	if (out->auth_policy_len && out->auth_policy_len != digest_size(out->name_alg)) {
		lib_err(err, errlen,
		     "TPM2B_PUBLIC: authPolicy at offset %zu has %u bytes, must be 0 or %zu (%s)",
		     at, out->auth_policy_len, digest_size(out->name_alg),
		     digest_name(out->name_alg));
		ret = TPM_PUBLIC_E_SIZE;
		goto out;
	}
	ret = get_symmetric(&r, out);
	if (ret)
		goto out;
	ret = get_scheme(&r, out);
	if (ret)
		goto out;
	ret = out->type == TPM_ALG_RSA ? get_rsa(&r, out) : get_ecc(&r, out);
	if (ret)
		goto out;
	if (bytes_left(&r.b) != 0) {
		lib_err(err, errlen,
		     "TPM2B_PUBLIC: %zu bytes after the public area ends at offset %zu",
		     bytes_left(&r.b), r.b.pos);
		ret = TPM_PUBLIC_E_TRAILING;
		goto out;
	}
	ret = TPM_PUBLIC_OK;
out:
	if (ret && out)
		memset(out, 0, sizeof(*out));
	return ret;
}

int tpm_public_name(const struct tpm_public *p, uint8_t *name, size_t cap,
		    size_t *namelen)
{
	size_t n;

	if (!p || !name || !namelen || !p->tpmt)
		return TPM_PUBLIC_E_ARG;
	n = digest_size(p->name_alg);
	if (!n)
		return TPM_PUBLIC_E_ALG;
	if (cap < 2 + n)
		return TPM_PUBLIC_E_ARG;
	if (digest(p->name_alg, p->tpmt, p->tpmt_len, name + 2) != DIGEST_OK)
		return TPM_PUBLIC_E_CRYPTO;
	name[0] = (uint8_t)(p->name_alg >> 8);
	name[1] = (uint8_t)p->name_alg;
	*namelen = 2 + n;
	return TPM_PUBLIC_OK;
}

static mbedtls_ecp_group_id ecp_group(uint16_t curve)
{
	switch (curve) {
	case TPM_ECC_NIST_P256: return MBEDTLS_ECP_DP_SECP256R1;
	case TPM_ECC_NIST_P384: return MBEDTLS_ECP_DP_SECP384R1;
	case TPM_ECC_NIST_P521: return MBEDTLS_ECP_DP_SECP521R1;
	default: return MBEDTLS_ECP_DP_NONE;
	}
}

static int rsa_to_pk(const struct tpm_public *p, mbedtls_pk_context *pk, char *err,
		     size_t errlen)
{
	uint8_t e[4];
	uint32_t ev = p->rsa_exponent ? p->rsa_exponent : 65537u;
	mbedtls_rsa_context *rsa;
	int ret;

	ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
	if (ret) {
		lib_err(err, errlen, "RSA key: mbedtls_pk_setup failed (-0x%04x)", (unsigned)-ret);
		return TPM_PUBLIC_E_CRYPTO;
	}
	rsa = mbedtls_pk_rsa(*pk);
	e[0] = (uint8_t)(ev >> 24);
	e[1] = (uint8_t)(ev >> 16);
	e[2] = (uint8_t)(ev >> 8);
	e[3] = (uint8_t)ev;
	ret = mbedtls_rsa_import_raw(rsa, p->unique_x, p->unique_x_len, NULL, 0, NULL, 0,
				     NULL, 0, e, sizeof(e));
	if (!ret)
		ret = mbedtls_rsa_complete(rsa);
	if (!ret)
		ret = mbedtls_rsa_check_pubkey(rsa);
	if (ret) {
		lib_err(err, errlen, "RSA key: modulus or exponent %u rejected by mbedtls (-0x%04x)",
		     ev, (unsigned)-ret);
		return TPM_PUBLIC_E_KEY;
	}
	if (mbedtls_rsa_get_bitlen(rsa) != p->rsa_bits) {
		lib_err(err, errlen, "RSA key: modulus has %zu bits, keyBits says %u",
		     mbedtls_rsa_get_bitlen(rsa), p->rsa_bits);
		return TPM_PUBLIC_E_KEY;
	}
	return TPM_PUBLIC_OK;
}

int tpm_public_ecc_point(const struct tpm_public *p, const char *what, mbedtls_ecp_group *grp,
			 mbedtls_ecp_point *q, char *err, size_t errlen)
{
	uint8_t pt[1 + 2 * TPM_PUBLIC_MAX_ECC_BYTES];
	mbedtls_ecp_group_id gid = ecp_group(p->ecc_curve);
	size_t n = tpm_public_ecc_size(p->ecc_curve);
	int r;

	if (gid == MBEDTLS_ECP_DP_NONE || !n || p->unique_x_len != n || p->unique_y_len != n) {
		lib_err(err, errlen, "%s: curve 0x%04x with %u/%u-byte coordinates is not supported",
			what, p->ecc_curve, p->unique_x_len, p->unique_y_len);
		return TPM_PUBLIC_E_KEY;
	}
	pt[0] = 0x04; /* uncompressed: 04 || x || y */
	memcpy(pt + 1, p->unique_x, n);
	memcpy(pt + 1 + n, p->unique_y, n);
	r = mbedtls_ecp_group_load(grp, gid);
	if (r) {
		lib_err(err, errlen, "%s: mbedtls lacks curve 0x%04x (-0x%04x)", what, p->ecc_curve,
			(unsigned)-r);
		return TPM_PUBLIC_E_CRYPTO;
	}
	r = mbedtls_ecp_point_read_binary(grp, q, pt, 1 + 2 * n);
	if (!r)
		r = mbedtls_ecp_check_pubkey(grp, q);
	if (r) {
		lib_err(err, errlen, "%s: (x, y) is not a point on curve 0x%04x (-0x%04x)", what,
			p->ecc_curve, (unsigned)-r);
		return TPM_PUBLIC_E_KEY;
	}
	return TPM_PUBLIC_OK;
}

static int ecc_to_pk(const struct tpm_public *p, mbedtls_pk_context *pk, char *err,
		     size_t errlen)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	int ret;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	ret = tpm_public_ecc_point(p, "ECC key", &grp, &q, err, errlen);
	if (ret != TPM_PUBLIC_OK)
		goto out;
	ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!ret)
		ret = mbedtls_ecp_set_public_key(grp.id, mbedtls_pk_ec(*pk), &q);
	if (ret) {
		lib_err(err, errlen, "ECC key: mbedtls could not take the point (-0x%04x)",
		     (unsigned)-ret);
		ret = TPM_PUBLIC_E_CRYPTO;
		goto out;
	}
	ret = TPM_PUBLIC_OK;
out:
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return ret;
}

int tpm_public_to_pk(const struct tpm_public *p, mbedtls_pk_context *pk, char *err,
		     size_t errlen)
{
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!p || !pk || !p->tpmt) {
		lib_err(err, errlen, "public key: missing argument");
		return TPM_PUBLIC_E_ARG;
	}
	if (p->type == TPM_ALG_RSA)
		ret = rsa_to_pk(p, pk, err, errlen);
	else if (p->type == TPM_ALG_ECC)
		ret = ecc_to_pk(p, pk, err, errlen);
	else {
		lib_err(err, errlen, "public key: type 0x%04x is neither RSA nor ECC", p->type);
		ret = TPM_PUBLIC_E_TYPE;
	}
	if (ret) {
		mbedtls_pk_free(pk);
		mbedtls_pk_init(pk);
	}
	return ret;
}

const char *tpm_public_strerror(int err)
{
	switch (err) {
	case TPM_PUBLIC_OK: return "success";
	case TPM_PUBLIC_E_ARG: return "invalid argument";
	case TPM_PUBLIC_E_TRUNCATED: return "truncated public area";
	case TPM_PUBLIC_E_TRAILING: return "trailing bytes after public area";
	case TPM_PUBLIC_E_TYPE: return "object type not RSA or ECC";
	case TPM_PUBLIC_E_ALG: return "unsupported algorithm";
	case TPM_PUBLIC_E_SIZE: return "field size not allowed";
	case TPM_PUBLIC_E_ATTRIBUTES: return "reserved object attributes set";
	case TPM_PUBLIC_E_KEY: return "unusable key material";
	case TPM_PUBLIC_E_CRYPTO: return "crypto backend failure";
	default: return "unknown error";
	}
}

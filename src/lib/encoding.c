/* SPDX-License-Identifier: GPL-2.0-only */
/* Strict base64 and hex, branch-free in the data; see encoding.h. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "encoding.h"

#include <stdlib.h>
#include <string.h>

/*
 * Branch-free byte classification, so base64 and hex of secrets leave no
 * data-dependent branches or table lookups. Arguments are below 2^31.
 */
static uint32_t mask_lt(uint32_t a, uint32_t b)
{
	return 0u - ((a - b) >> 31);
}

static uint32_t mask_range(uint32_t c, uint32_t lo, uint32_t hi)
{
	return ~mask_lt(c, lo) & mask_lt(c, hi + 1);
}

static uint32_t mask_eq(uint32_t a, uint32_t b)
{
	return mask_lt(a ^ b, 1);
}

/* 0..63 -> alphabet character. */
static char b64_char(uint32_t v)
{
	uint32_t c = v + 'A';

	c += mask_lt(25, v) & 6;                      /* 26..51: 'a'.. */
	c -= mask_lt(51, v) & 75;                     /* 52..61: '0'.. */
	c -= mask_eq(v, 62) & 15;                     /* '+' */
	c -= mask_eq(v, 63) & 12;                     /* '/' */
	return (char)c;
}

/* Character -> 0..63, or a value with bit 8 set if not in the alphabet. */
static uint32_t b64_val(unsigned char ch)
{
	uint32_t c = ch;
	uint32_t up = mask_range(c, 'A', 'Z'), lo = mask_range(c, 'a', 'z');
	uint32_t dg = mask_range(c, '0', '9'), pl = mask_eq(c, '+');
	uint32_t sl = mask_eq(c, '/');

	return (up & (c - 'A')) | (lo & (c - 'a' + 26)) | (dg & (c - '0' + 52)) |
	       (pl & 62) | (sl & 63) | (~(up | lo | dg | pl | sl) & 0x100);
}

static char hex_char(uint32_t v)
{
	return (char)(v + '0' + (mask_lt(9, v) & ('a' - '0' - 10)));
}

/* Hex digit of either case -> 0..15, or a value with bit 8 set. */
static uint32_t hex_val(unsigned char ch)
{
	uint32_t c = ch, l = c | 0x20;
	uint32_t dg = mask_range(c, '0', '9'), af = mask_range(l, 'a', 'f');

	return (dg & (c - '0')) | (af & (l - 'a' + 10)) | (~(dg | af) & 0x100);
}

int b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap,
		  size_t *outlen)
{
	size_t pad = 0, o = 0;
	uint32_t bad = 0;
	int ret = ENC_ERR_INPUT;

	if (outlen)
		*outlen = 0;
	if ((!in && inlen) || (!out && cap) || inlen % 4)
		goto out;
	if (inlen && in[inlen - 1] == '=') {
		pad = 1;
		if (in[inlen - 2] == '=')
			pad = 2;
	}
	if (inlen / 4 * 3 - pad > cap) {
		ret = ENC_ERR_SPACE;
		goto out;
	}
	for (size_t i = 0; i < inlen; i += 4) {
		bool last = i + 4 == inlen;
		uint32_t v0 = b64_val((unsigned char)in[i]);
		uint32_t v1 = b64_val((unsigned char)in[i + 1]);
		uint32_t v2 = last && pad == 2 ? 0 : b64_val((unsigned char)in[i + 2]);
		uint32_t v3 = last && pad >= 1 ? 0 : b64_val((unsigned char)in[i + 3]);
		uint32_t w;

		bad |= (v0 | v1 | v2 | v3) & 0x100;
		w = (v0 & 0x3f) << 18 | (v1 & 0x3f) << 12 | (v2 & 0x3f) << 6 | (v3 & 0x3f);
		out[o++] = (uint8_t)(w >> 16);
		if (last && pad == 2) {
			bad |= v1 & 0x0f; /* non-canonical: bits past the last byte */
			continue;
		}
		out[o++] = (uint8_t)(w >> 8);
		if (last && pad == 1) {
			bad |= v2 & 0x03;
			continue;
		}
		out[o++] = (uint8_t)w;
	}
	if (bad) {
		explicit_bzero(out, o);
		goto out;
	}
	if (outlen)
		*outlen = o;
	ret = ENC_OK;
out:
	return ret;
}

int b64_encode(const uint8_t *in, size_t inlen, char *out, size_t cap,
		  size_t *outlen)
{
	size_t groups, o = 0, i = 0;
	int ret = ENC_ERR_INPUT;

	if (outlen)
		*outlen = 0;
	if ((!in && inlen) || !out)
		goto out;
	groups = inlen / 3 + (inlen % 3 != 0);
	if (groups > (SIZE_MAX - 1) / 4 || cap < groups * 4 + 1) {
		if (cap)
			out[0] = '\0';
		ret = ENC_ERR_SPACE;
		goto out;
	}
	for (; i + 3 <= inlen; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char((w >> 12) & 0x3f);
		out[o++] = b64_char((w >> 6) & 0x3f);
		out[o++] = b64_char(w & 0x3f);
	}
	if (inlen - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char((w >> 12) & 0x3f);
		out[o++] = '=';
		out[o++] = '=';
	} else if (inlen - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char((w >> 12) & 0x3f);
		out[o++] = b64_char((w >> 6) & 0x3f);
		out[o++] = '=';
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	ret = ENC_OK;
out:
	return ret;
}

int hex_encode(const uint8_t *in, size_t inlen, char *out, size_t cap,
		  size_t *outlen)
{
	int ret = ENC_ERR_INPUT;

	if (outlen)
		*outlen = 0;
	if ((!in && inlen) || !out)
		goto out;
	if (inlen > (SIZE_MAX - 1) / 2 || cap < 2 * inlen + 1) {
		if (cap)
			out[0] = '\0';
		ret = ENC_ERR_SPACE;
		goto out;
	}
	for (size_t i = 0; i < inlen; i++) {
		out[2 * i] = hex_char(in[i] >> 4);
		out[2 * i + 1] = hex_char(in[i] & 0x0f);
	}
	out[2 * inlen] = '\0';
	if (outlen)
		*outlen = 2 * inlen;
	ret = ENC_OK;
out:
	return ret;
}

char *b64_encode_alloc(const uint8_t *in, size_t inlen)
{
	size_t cap;
	char *s;

	if (inlen > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	cap = B64_ENCODED_LEN(inlen) + 1;
	s = malloc(cap);
	if (s && b64_encode(in, inlen, s, cap, NULL) != ENC_OK) {
		free(s);
		s = NULL;
	}
	return s;
}

int hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen, unsigned flags)
{
	uint32_t bad = 0, upper = flags & HEX_LOWER ? 0x100 : 0;

	if (!out || outlen > SIZE_MAX / 2)
		return ENC_ERR_INPUT;
	if (!in || inlen != 2 * outlen) {
		explicit_bzero(out, outlen);
		return ENC_ERR_INPUT;
	}
	for (size_t i = 0; i < outlen; i++) {
		uint32_t c0 = (unsigned char)in[2 * i], c1 = (unsigned char)in[2 * i + 1];
		uint32_t hi = hex_val(c0), lo = hex_val(c1);

		bad |= (hi | lo) & 0x100;
		bad |= (mask_range(c0, 'A', 'F') | mask_range(c1, 'A', 'F')) & upper;
		out[i] = (uint8_t)((hi << 4 | lo) & 0xff);
	}
	if (bad) {
		explicit_bzero(out, outlen);
		return ENC_ERR_INPUT;
	}
	return ENC_OK;
}

int hex_digit(int c)
{
	uint32_t v;

	if (c < 0 || c > 0xff)
		return -1;
	v = hex_val((unsigned char)c);
	return v & 0x100 ? -1 : (int)v;
}

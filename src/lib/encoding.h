/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one text codec: strict base64 (RFC 4648, padded) and hex, and the
 * character classes of the C locale that parsers need (independent of
 * setlocale, so a parser accepts the same bytes on every machine).
 *
 * The codecs are branch-free in the data (no data-dependent branches or
 * table lookups), so secrets may pass through them: the activation secret is
 * base64 text, auth tags are hex. Decoders accept exactly one canonical form
 * and reject everything else; on failure they leave no decoded byte behind.
 * Every function returns ENC_OK or a negative ENC_ERR_*.
 */
#ifndef AIRLOCK_ENCODING_H
#define AIRLOCK_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum enc_err {
	ENC_OK = 0,
	ENC_ERR_INPUT = -1, /* malformed input, wrong length, NULL argument */
	ENC_ERR_SPACE = -3, /* output buffer too small; nothing useful written */
};

/* The most bytes n characters of base64 can decode to. */
#define B64_DECODED_MAX(n) ((n) / 4 * 3)
/* Characters base64 needs for n bytes, without the NUL. */
#define B64_ENCODED_LEN(n) (4 * (((n) + 2) / 3))

/*
 * Strict decoding: length a multiple of 4, padding required, no whitespace or
 * other characters, and the unused bits before the padding zero (so every
 * accepted string is the one canonical encoding of its bytes). Empty input
 * decodes to 0 bytes. On failure *outlen is 0 and nothing decoded remains.
 */
int b64_decode(const char *in, size_t inlen, uint8_t *out, size_t cap, size_t *outlen);
/* Needs cap >= B64_ENCODED_LEN(inlen) + 1; writes a NUL, *outlen excludes it. */
int b64_encode(const uint8_t *in, size_t inlen, char *out, size_t cap, size_t *outlen);
/* base64 of in as a new NUL-terminated string (free() it); NULL if out of memory. */
char *b64_encode_alloc(const uint8_t *in, size_t inlen);

/* Lowercase hex; needs cap >= 2 * inlen + 1; NUL-terminated, *outlen excludes it. */
int hex_encode(const uint8_t *in, size_t inlen, char *out, size_t cap, size_t *outlen);

/* hex_decode flags. */
#define HEX_LOWER 1u /* accept lowercase digits only (a digest spelled one way) */
/*
 * Exactly 2 * outlen hex digits (inlen must equal that) into out[outlen];
 * either case unless HEX_LOWER. On failure out is zeroed (unless out is NULL
 * or outlen is no buffer's size).
 */
int hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen, unsigned flags);
/* One hex digit of either case: 0..15, or -1. */
int hex_digit(int c);

/* C-locale character classes; c is a byte value (an EOF or a negative char is no class). */
static inline bool enc_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool enc_is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline bool enc_is_hex(int c) { return hex_digit(c) >= 0; }
static inline bool enc_is_hex_lower(int c) { return enc_is_digit(c) || (c >= 'a' && c <= 'f'); }
static inline bool enc_is_alnum(int c) { return enc_is_digit(c) || enc_is_alpha(c); }

#endif

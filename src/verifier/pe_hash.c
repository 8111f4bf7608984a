/* SPDX-License-Identifier: GPL-2.0-only */
#include "pe_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "digest.h"

#define PE_MAX_SECTIONS 96 /* the PE format's own limit */
/* Every field below is read with bytes.h's loads from a header whose bounds were checked first. */

struct section {
	uint32_t raw_size, raw_off;
};

static int by_offset(const void *a, const void *b)
{
	const struct section *x = a, *y = b;

	return (x->raw_off > y->raw_off) - (x->raw_off < y->raw_off);
}

/* Is [off, off + n) inside a file of len bytes? */
static int inside(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

int pe_authenticode(const uint8_t *img, size_t len, uint16_t hash_alg, uint8_t *out, char *err,
		    size_t errlen)
{
	struct section sec[PE_MAX_SECTIONS];
	struct digest_ctx ctx;
	size_t pe, opt, opt_size, nsec, csum, certdir, headers, hashed, end, dirs_at, ndirs;
	uint32_t cert_off = 0, cert_size = 0;
	uint16_t magic;
	int ret = -1;

	if (len < 0x40 || img[0] != 'M' || img[1] != 'Z') {
		snprintf(err, errlen, "not a PE image (no MZ header)");
		return -1;
	}
	pe = load_le32(img + 0x3c);
	if (!inside(pe, 24, len) || memcmp(img + pe, "PE\0\0", 4) != 0) {
		snprintf(err, errlen, "not a PE image (no PE signature at 0x%zx)", pe);
		return -1;
	}
	nsec = load_le16(img + pe + 6);
	opt_size = load_le16(img + pe + 20);
	opt = pe + 24;
	if (nsec > PE_MAX_SECTIONS || !inside(opt, opt_size, len) || opt_size < 2) {
		snprintf(err, errlen, "PE headers truncated or %zu sections", nsec);
		return -1;
	}
	magic = (uint16_t)load_le16(img + opt);
	if (magic == 0x20b) {        /* PE32+ */
		dirs_at = 112;
	} else if (magic == 0x10b) { /* PE32 */
		dirs_at = 96;
	} else {
		snprintf(err, errlen, "unknown optional header magic 0x%x", magic);
		return -1;
	}
	if (opt_size < dirs_at) {
		snprintf(err, errlen, "optional header of %zu bytes is too short", opt_size);
		return -1;
	}
	csum = opt + 64;
	headers = load_le32(img + opt + 60);
	ndirs = load_le32(img + opt + dirs_at - 4);
	certdir = opt + dirs_at + 4 * 8; /* directory 4: the Certificate Table */
	if (ndirs > 4 && certdir + 8 <= opt + opt_size) {
		cert_off = load_le32(img + certdir);
		cert_size = load_le32(img + certdir + 4);
	}
	if (!inside(0, headers, len) || headers < opt + opt_size + 40 * nsec ||
	    (ndirs > 4 && headers < certdir + 8)) {
		snprintf(err, errlen, "SizeOfHeaders 0x%zx does not cover the headers", headers);
		return -1;
	}
	if (cert_size && (!inside(cert_off, cert_size, len) || cert_off + cert_size != len)) {
		snprintf(err, errlen, "certificate table is not at the end of the file");
		return -1;
	}
	for (size_t i = 0; i < nsec; i++) {
		const uint8_t *s = img + opt + opt_size + 40 * i;

		sec[i].raw_size = load_le32(s + 16);
		sec[i].raw_off = load_le32(s + 20);
		if (sec[i].raw_size && !inside(sec[i].raw_off, sec[i].raw_size, len)) {
			snprintf(err, errlen, "section %zu lies outside the file", i);
			return -1;
		}
	}
	qsort(sec, nsec, sizeof(sec[0]), by_offset);
	if (digest_init(&ctx, hash_alg) != DIGEST_OK) {
		snprintf(err, errlen, "hash algorithm unavailable");
		return -1;
	}
	/* Headers without CheckSum and (when present) the Certificate Table entry. */
	if (digest_update(&ctx, img, csum) != DIGEST_OK)
		goto out;
	if (ndirs > 4) {
		if (digest_update(&ctx, img + csum + 4, certdir - (csum + 4)) != DIGEST_OK ||
		    digest_update(&ctx, img + certdir + 8, headers - (certdir + 8)) != DIGEST_OK)
			goto out;
	} else if (digest_update(&ctx, img + csum + 4, headers - (csum + 4)) != DIGEST_OK) {
		goto out;
	}
	hashed = headers;
	for (size_t i = 0; i < nsec; i++) {
		if (!sec[i].raw_size)
			continue;
		if (digest_update(&ctx, img + sec[i].raw_off, sec[i].raw_size) != DIGEST_OK)
			goto out;
		hashed += sec[i].raw_size;
	}
	/*
	 * Trailing data, minus the certificates. Like EDK2 (what OVMF measures),
	 * it starts at the count of bytes hashed so far, not at the end of the
	 * last section: the two agree for the contiguous layouts linkers write.
	 */
	end = len - cert_size;
	if (hashed < end && digest_update(&ctx, img + hashed, end - hashed) != DIGEST_OK)
		goto out;
	if (digest_final(&ctx, out) != DIGEST_OK) {
		snprintf(err, errlen, "hashing failed");
		return -1;
	}
	return 0;
out:
	digest_abort(&ctx);
	snprintf(err, errlen, "hashing failed");
	return ret;
}

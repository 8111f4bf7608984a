/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/verifier/cbfs.c: any image is either refused with
 * a message or parsed, and whatever it returns (the FMAP's areas, a CBFS
 * file's data) lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cbfs.h"

static const char *const names[] = { "bootblock", "fallback/romstage", "fallback/payload", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmap_area fmap, cbfs;
	struct cbfs_file f;
	size_t off;
	char err[256];
	int rc;

	err[0] = '\0';
	if (fmap_locate(data, size, &off, err, sizeof(err)) != 0) {
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			abort();
		return 0;
	}
	if (off >= size || fmap_find_area(data, size, off, "FMAP", &fmap, err, sizeof(err)) != 1 ||
	    fmap.offset != off || fmap.offset + (uint64_t)fmap.size > size)
		abort();
	if (fmap_find_area(data, size, off, "COREBOOT", &cbfs, err, sizeof(err)) != 1)
		return 0;
	if (cbfs.offset + (uint64_t)cbfs.size > size)
		abort();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = cbfs_find(data, size, &cbfs, names[i], &f, err, sizeof(err));
		if (rc == 1 && (f.data < data + cbfs.offset ||
				f.data + f.len > data + cbfs.offset + cbfs.size ||
				strcmp(f.name, names[i]) != 0))
			abort();
		if (rc < 0 && (!err[0] || !memchr(err, 0, sizeof(err))))
			abort();
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int wire_reply(struct http_reply *r, int status, const char *why, cJSON *results)
{
	cJSON *root = cJSON_CreateObject();
	char *s = NULL;

	if (root && cJSON_AddNumberToObject(root, "code", status) &&
	    cJSON_AddStringToObject(root, "status", why ? why : status == 200 ? "Success" : "Error")) {
		if (cJSON_AddItemToObject(root, "results", results ? results : cJSON_CreateObject()))
			results = NULL;
		s = cJSON_PrintUnformatted(root);
	}
	cJSON_Delete(results);
	cJSON_Delete(root);
	if (!s)
		return -1;
	r->status = status;
	r->ext_body = s;
	r->ext_len = strlen(s);
	r->ext_free = free;
	return 0;
}

int wire_unb64(const cJSON *item, uint8_t *out, size_t cap, size_t *len)
{
	size_t n;

	if (!cJSON_IsString(item))
		return -1;
	n = strlen(item->valuestring);
	if (B64_DECODED_MAX(n) > cap + 2)
		return -1;
	return b64_decode(item->valuestring, n, out, cap, len) == 0 ? 0 : -1;
}

int wire_alnum(struct kc_rng *rng, char *out, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t b[64];
	size_t i = 0;

	while (i < n) {
		if (kc_rng_bytes(rng, b, sizeof(b)) != 0)
			return -1;
		/* 62 * 4 = 248: values from 248 up would bias the first letters. */
		for (size_t k = 0; k < sizeof(b) && i < n; k++)
			if (b[k] < 248)
				out[i++] = al[b[k] % 62];
	}
	out[n] = '\0';
	explicit_bzero(b, sizeof(b));
	return 0;
}

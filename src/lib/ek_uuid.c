/* SPDX-License-Identifier: GPL-2.0-only */
#include "ek_uuid.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"

int ek_uuid(const uint8_t *ek_pub, size_t len, char out[EK_UUID_LEN + 1])
{
	uint8_t h[32];

	if (digest(TPM_ALG_SHA256, ek_pub, len, h) != 0)
		return -1;
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x80);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, EK_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
		 h[13], h[14], h[15]);
	return 0;
}

bool ek_uuid_form(const char *s)
{
	if (strlen(s) != EK_UUID_LEN)
		return false;
	for (size_t i = 0; i < EK_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	/* Version nibble 8; variant 10 (the nibble after the third dash is 8, 9, a or b). */
	return s[14] == '8' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

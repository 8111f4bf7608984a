/* SPDX-License-Identifier: GPL-2.0-only */
#include "keylime_api.h"

const char *const keylime_api_versions[] = { "2.1", "2.2", "2.3", "2.4", "2.5", "2.6" };
const size_t keylime_api_nversions = sizeof(keylime_api_versions) / sizeof(keylime_api_versions[0]);

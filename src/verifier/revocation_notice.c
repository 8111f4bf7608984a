/* SPDX-License-Identifier: GPL-2.0-only */
/* Revocation notice bodies; see revocation_notice.h. */
#include "revocation_notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest.h"
#include "cJSON.h"

char *revocation_notice(const struct store_node *failed, const char *reason,
			const struct revkey *rk, struct kc_rng *rng, char *err, size_t errlen)
{
	cJSON *msg = cJSON_CreateObject(), *body = cJSON_CreateObject();
	char *m = NULL, *out = NULL, when[64], sig[RS_SIG_B64_MAX], why[REVOCATION_REASON_MAX + 1];
	time_t now = time(NULL);
	struct tm tm;

	/* Signed and sent to every node: printable, and short. */
	snprintf(why, sizeof(why), "%s", reason);
	attest_clean_text(why);
	/* time.asctime(), as Keylime writes event_time (in UTC here). */
	if (!gmtime_r(&now, &tm) || !strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm))
		snprintf(when, sizeof(when), "unknown");
	if (!msg || !body || !cJSON_AddStringToObject(msg, "type", "revocation") ||
	    !cJSON_AddStringToObject(msg, "ip", failed->ip) ||
	    !cJSON_AddStringToObject(msg, "agent_id", failed->uuid) ||
	    !cJSON_AddNumberToObject(msg, "port", failed->port) ||
	    !cJSON_AddStringToObject(msg, "meta_data", "{}") ||
	    !cJSON_AddStringToObject(msg, "event_time", when) ||
	    !cJSON_AddStringToObject(msg, "reason", why) ||
	    !(m = cJSON_PrintUnformatted(msg))) {
		snprintf(err, errlen, "out of memory building a revocation notice");
		goto out;
	}
	if (rs_sign(&rk->key, rng, m, strlen(m), sig, sizeof(sig), err, errlen) != KC_OK)
		goto out;
	if (!cJSON_AddStringToObject(body, "msg", m) ||
	    !cJSON_AddStringToObject(body, "signature", sig) ||
	    !(out = cJSON_PrintUnformatted(body)))
		snprintf(err, errlen, "out of memory building a revocation notice");
out:
	free(m);
	cJSON_Delete(msg);
	cJSON_Delete(body);
	return out;
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "eventlog.h"
#include "keylime_crypto.h"

static int hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* {"<pcr>": ["hex", ...]} into digests[pcr][...], at most max per PCR. */
static int parse_pcr_lists(const cJSON *obj, const char *what, size_t dsz, unsigned max,
			   unsigned *count, uint8_t (*digests)[DIGEST_MAX_SIZE], size_t stride,
			   uint32_t *mask, char *err, size_t errlen)
{
	const cJSON *e, *v;

	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "policy: \"%s\" must be an object", what);
		return -1;
	}
	cJSON_ArrayForEach(e, obj) {
		char *end;
		long pcr = strtol(e->string, &end, 10);
		unsigned k = 0;

		if (*end || end == e->string || pcr < 0 || pcr >= QUOTE_NPCR || pcr == 16 ||
		    (e->string[0] == '0' && e->string[1])) {
			snprintf(err, errlen, "policy: %s key \"%s\" is not a PCR 0..23 (16 is the "
				 "agent's key binding, always checked)", what, e->string);
			return -1;
		}
		if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) < 1 ||
		    (unsigned)cJSON_GetArraySize(e) > max) {
			snprintf(err, errlen, "policy: %s of PCR %ld must be a list of 1..%u digests",
				 what, pcr, max);
			return -1;
		}
		cJSON_ArrayForEach(v, e) {
			if (!cJSON_IsString(v) ||
			    hex_decode(v->valuestring, digests[(size_t)pcr * stride + k], dsz) != 0) {
				snprintf(err, errlen, "policy: %s of PCR %ld: \"%.80s\" is not %zu "
					 "lowercase hex digits", what, pcr,
					 cJSON_IsString(v) ? v->valuestring : "?", 2 * dsz);
				return -1;
			}
			k++;
		}
		count[pcr] = k;
		*mask |= 1u << pcr;
	}
	return 0;
}

int policy_parse(const char *json, size_t len, struct policy *p, char *err, size_t errlen)
{
	cJSON *j = cJSON_ParseWithLength(json, len), *e;
	uint32_t emask = 0;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "policy: not a JSON object");
		goto out;
	}
	cJSON_ArrayForEach(e, j) {
		if (strcmp(e->string, "airlock_policy") && strcmp(e->string, "hash_alg") &&
		    strcmp(e->string, "pcrs") && strcmp(e->string, "events") &&
		    strcmp(e->string, "comment")) {
			snprintf(err, errlen, "policy: unknown key \"%s\"", e->string);
			goto out;
		}
	}
	e = cJSON_GetObjectItem(j, "airlock_policy");
	if (!cJSON_IsNumber(e) || e->valuedouble != 1) {
		snprintf(err, errlen, "policy: \"airlock_policy\": 1 is required (format version)");
		goto out;
	}
	e = cJSON_GetObjectItem(j, "hash_alg");
	if (!cJSON_IsString(e) || strcmp(e->valuestring, "sha256") != 0) {
		snprintf(err, errlen, "policy: \"hash_alg\" must be \"sha256\" (the bank agents quote)");
		goto out;
	}
	p->hash_alg = TPM_ALG_SHA256;
	e = cJSON_GetObjectItem(j, "pcrs");
	if (!e) {
		snprintf(err, errlen, "policy: \"pcrs\" is required");
		goto out;
	}
	if (parse_pcr_lists(e, "pcrs", digest_size(p->hash_alg), POLICY_MAX_VALUES, p->nvalues,
			    &p->values[0][0], POLICY_MAX_VALUES, &p->mask, err, errlen) != 0)
		goto out;
	e = cJSON_GetObjectItem(j, "events");
	if (e && parse_pcr_lists(e, "events", digest_size(p->hash_alg), POLICY_MAX_EVENTS,
				 p->nevents, &p->events[0][0], POLICY_MAX_EVENTS, &emask, err,
				 errlen) != 0)
		goto out;
	if (emask & ~p->mask) {
		snprintf(err, errlen, "policy: \"events\" given for a PCR without accepted values");
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(j);
	return ret;
}

/* Describe the first event of pcr in the log whose digest differs from the prediction. */
static void first_diff(const struct policy *p, unsigned pcr, const uint8_t *log, size_t len,
		       char *out, size_t cap)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	char want[2 * DIGEST_MAX_SIZE + 1], got[2 * DIGEST_MAX_SIZE + 1];
	size_t dsz = digest_size(p->hash_alg), n;
	unsigned k = 0;
	int rc;

	out[0] = '\0';
	if (!log || !p->nevents[pcr] || eventlog_reader_init(&r, log, len) != EVENTLOG_OK)
		return;
	while ((rc = eventlog_reader_next(&r, &ev)) == 1) {
		const uint8_t *d = NULL;

		if (ev.pcr != pcr || ev.type == TCG_EV_NO_ACTION)
			continue;
		for (unsigned i = 0; i < ev.ndigests; i++)
			if (ev.digests[i].alg == p->hash_alg)
				d = ev.digests[i].value;
		if (!d)
			return;
		if (k >= p->nevents[pcr] || memcmp(d, p->events[pcr][k], dsz) != 0) {
			kc_hex_encode(d, dsz, got, sizeof(got), &n);
			if (k < p->nevents[pcr])
				kc_hex_encode(p->events[pcr][k], dsz, want, sizeof(want), &n);
			snprintf(out, cap, "; first differing event: #%u of PCR %u (log record %zu, "
				 "type 0x%x, data \"%.*s\"): expected %s, got %s", k, pcr, ev.index,
				 ev.type, (int)(ev.data_size > 80 ? 80 : ev.data_size),
				 (const char *)ev.data, k < p->nevents[pcr] ? want : "no more events",
				 got);
			/* Event data is often text but not always: keep the report printable. */
			for (char *c = out; *c; c++)
				if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
					*c = '.';
			return;
		}
		k++;
	}
	if (rc == 0 && k < p->nevents[pcr])
		snprintf(out, cap, "; the log ends after %u of the %u predicted events of PCR %u", k,
			 p->nevents[pcr], pcr);
}

int policy_check(const struct policy *p, const struct quote *q, const uint8_t *runtime_log,
		 size_t log_len, char *report, size_t cap)
{
	char want[2 * DIGEST_MAX_SIZE + 1], got[2 * DIGEST_MAX_SIZE + 1], diff[400];
	size_t dsz = digest_size(p->hash_alg), n;

	for (unsigned pcr = 0; pcr < QUOTE_NPCR; pcr++) {
		const uint8_t *v;
		unsigned i;

		if (!(p->mask & (1u << pcr)))
			continue;
		v = quote_pcr(q, p->hash_alg, pcr);
		if (!v) {
			snprintf(report, cap, "PCR %u: not in the quote", pcr);
			return -1;
		}
		for (i = 0; i < p->nvalues[pcr]; i++)
			if (memcmp(v, p->values[pcr][i], dsz) == 0)
				break;
		if (i < p->nvalues[pcr])
			continue;
		kc_hex_encode(p->values[pcr][0], dsz, want, sizeof(want), &n);
		kc_hex_encode(v, dsz, got, sizeof(got), &n);
		first_diff(p, pcr, runtime_log, log_len, diff, sizeof(diff));
		snprintf(report, cap, "PCR %u mismatch: expected %s%s, got %s%s", pcr, want,
			 p->nvalues[pcr] > 1 ? " (or another allowed value)" : "", got, diff);
		return -1;
	}
	return 0;
}

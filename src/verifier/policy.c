/* SPDX-License-Identifier: GPL-2.0-only */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "encoding.h"
#include "eventlog.h"
#include "keylime_crypto.h"

/* A PCR key: "0".."23" without leading zeros, in [lo, hi], never 16. */
static long pcr_key(const char *s, long lo, long hi)
{
	char *end;
	long pcr = strtol(s, &end, 10);

	if (*end || end == s || pcr < lo || pcr > hi || pcr == 16 || (s[0] == '0' && s[1]))
		return -1;
	return pcr;
}

static int parse_values(const cJSON *obj, struct policy *p, char *err, size_t errlen)
{
	const cJSON *e, *v;
	size_t dsz = digest_size(p->hash_alg);

	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "policy: \"pcrs\" must be an object");
		return -1;
	}
	cJSON_ArrayForEach(e, obj) {
		long pcr = pcr_key(e->string, 0, QUOTE_NPCR - 1);
		unsigned k = 0;

		if (pcr < 0) {
			snprintf(err, errlen, "policy: pcrs key \"%s\" is not a PCR 0..23 (16 is the "
				 "agent's key binding, always checked)", e->string);
			return -1;
		}
		if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) < 1 ||
		    cJSON_GetArraySize(e) > POLICY_MAX_VALUES) {
			snprintf(err, errlen, "policy: pcrs of PCR %ld must be a list of 1..%d digests",
				 pcr, POLICY_MAX_VALUES);
			return -1;
		}
		cJSON_ArrayForEach(v, e) {
			if (!cJSON_IsString(v) || hex_decode(v->valuestring, strlen(v->valuestring), p->values[pcr][k], dsz, HEX_LOWER)) {
				snprintf(err, errlen, "policy: pcrs of PCR %ld: \"%.80s\" is not %zu "
					 "lowercase hex digits", pcr,
					 cJSON_IsString(v) ? v->valuestring : "?", 2 * dsz);
				return -1;
			}
			k++;
		}
		p->nvalues[pcr] = k;
		p->mask |= 1u << pcr;
	}
	return 0;
}

static int copy_text(char *out, size_t cap, const cJSON *v)
{
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return -1;
	snprintf(out, cap, "%s", v->valuestring);
	return 0;
}

static int parse_rule(const cJSON *o, struct policy_rule *r, size_t dsz, int digest_only,
		      char *why, size_t whylen)
{
	const cJSON *d = cJSON_GetObjectItem(o, "digest"), *t = cJSON_GetObjectItem(o, "text");
	const cJSON *pre = cJSON_GetObjectItem(o, "text_prefix");
	const cJSON *con = cJSON_GetObjectItem(o, "text_contains");
	const cJSON *sep = cJSON_GetObjectItem(o, "separator"), *c;
	int kinds = !!d + !!t + !!pre + !!sep, fields = cJSON_GetArraySize(o);

	if (!cJSON_IsObject(o) || kinds != 1 || fields != 1 + (pre && con) || (con && !pre) ||
	    (digest_only && !d)) {
		snprintf(why, whylen, "a rule is one of {\"digest\"}%s", digest_only ? "" :
			 ", {\"text\"}, {\"text_prefix\"[, \"text_contains\"]}, {\"separator\": true}");
		return -1;
	}
	if (d) {
		r->kind = RULE_DIGEST;
		if (!cJSON_IsString(d) || hex_decode(d->valuestring, strlen(d->valuestring), r->digest, dsz, HEX_LOWER) != 0) {
			snprintf(why, whylen, "digest must be %zu lowercase hex digits", 2 * dsz);
			return -1;
		}
	} else if (t) {
		r->kind = RULE_TEXT;
		if (copy_text(r->text, sizeof(r->text), t) != 0) {
			snprintf(why, whylen, "text must be a string of at most %d bytes",
				 POLICY_TEXT_MAX - 1);
			return -1;
		}
	} else if (pre) {
		r->kind = RULE_PREFIX;
		if (copy_text(r->text, sizeof(r->text), pre) != 0) {
			snprintf(why, whylen, "text_prefix must be a string of at most %d bytes",
				 POLICY_TEXT_MAX - 1);
			return -1;
		}
		if (con && (!cJSON_IsArray(con) || cJSON_GetArraySize(con) > POLICY_MAX_CONTAINS)) {
			snprintf(why, whylen, "text_contains must be a list of at most %d strings",
				 POLICY_MAX_CONTAINS);
			return -1;
		}
		cJSON_ArrayForEach(c, con) {
			if (copy_text(r->contains[r->ncontains], sizeof(r->contains[0]), c) != 0 ||
			    !c->valuestring[0]) {
				snprintf(why, whylen, "text_contains entries are non-empty strings of "
					 "at most 63 bytes");
				return -1;
			}
			r->ncontains++;
		}
	} else {
		r->kind = RULE_SEPARATOR;
		if (!cJSON_IsTrue(sep)) {
			snprintf(why, whylen, "separator must be true");
			return -1;
		}
	}
	return 0;
}

static int parse_rules(const cJSON *obj, const char *name, int set, long lo, long hi,
		       struct policy *p, char *err, size_t errlen)
{
	const cJSON *e, *o;
	char why[200];

	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "policy: \"%s\" must be an object", name);
		return -1;
	}
	cJSON_ArrayForEach(e, obj) {
		long pcr = pcr_key(e->string, lo, hi);
		int k = 0;

		if (pcr < 0) {
			snprintf(err, errlen, "policy: %s key \"%s\" is not a PCR %ld..%ld", name,
				 e->string, lo, hi);
			return -1;
		}
		if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) < 1) {
			snprintf(err, errlen, "policy: %s of PCR %ld must be a non-empty list", name, pcr);
			return -1;
		}
		cJSON_ArrayForEach(o, e) {
			struct policy_rule *r;

			if (p->nrules == POLICY_MAX_RULES) {
				snprintf(err, errlen, "policy: more than %d event rules", POLICY_MAX_RULES);
				return -1;
			}
			r = &p->rules[p->nrules];
			memset(r, 0, sizeof(*r));
			r->pcr = (uint8_t)pcr;
			r->set = (uint8_t)set;
			if (parse_rule(o, r, digest_size(p->hash_alg), set == SET_FIRMWARE, why,
				       sizeof(why)) != 0) {
				snprintf(err, errlen, "policy: %s of PCR %ld, rule %d: %s", name, pcr, k,
					 why);
				return -1;
			}
			p->nrules++;
			k++;
		}
		p->mask |= 1u << pcr;
		p->events |= 1u << pcr;
	}
	return 0;
}

int policy_parse(const char *json, size_t len, struct policy *p, char *err, size_t errlen)
{
	cJSON *j = cJSON_ParseWithLength(json, len), *e;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "policy: not a JSON object");
		goto out;
	}
	cJSON_ArrayForEach(e, j) {
		if (strcmp(e->string, "airlock_policy") && strcmp(e->string, "hash_alg") &&
		    strcmp(e->string, "pcrs") && strcmp(e->string, "runtime_events") &&
		    strcmp(e->string, "runtime_tail") && strcmp(e->string, "firmware_events") &&
		    strcmp(e->string, "fresh_boot") && strcmp(e->string, "comment")) {
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
	p->fresh_boot = 1;
	e = cJSON_GetObjectItem(j, "fresh_boot");
	if (e && !cJSON_IsBool(e)) {
		snprintf(err, errlen, "policy: \"fresh_boot\" must be true or false");
		goto out;
	}
	if (e)
		p->fresh_boot = cJSON_IsTrue(e);
	if (((e = cJSON_GetObjectItem(j, "pcrs")) && parse_values(e, p, err, errlen) != 0) ||
	    ((e = cJSON_GetObjectItem(j, "runtime_events")) &&
	     parse_rules(e, "runtime_events", SET_RUNTIME, 8, 9, p, err, errlen) != 0) ||
	    ((e = cJSON_GetObjectItem(j, "runtime_tail")) &&
	     parse_rules(e, "runtime_tail", SET_TAIL, 8, 9, p, err, errlen) != 0) ||
	    ((e = cJSON_GetObjectItem(j, "firmware_events")) &&
	     parse_rules(e, "firmware_events", SET_FIRMWARE, 0, 7, p, err, errlen) != 0))
		goto out;
	if (!p->mask) {
		snprintf(err, errlen, "policy: says nothing (give pcrs, runtime_events or "
			 "firmware_events)");
		goto out;
	}
	for (unsigned i = 0; i < p->nrules; i++) {
		unsigned k;

		if (p->rules[i].set != SET_TAIL)
			continue;
		for (k = 0; k < p->nrules; k++)
			if (p->rules[k].set == SET_RUNTIME && p->rules[k].pcr == p->rules[i].pcr)
				break;
		if (k == p->nrules) {
			snprintf(err, errlen, "policy: runtime_tail of PCR %u without runtime_events",
				 p->rules[i].pcr);
			goto out;
		}
	}
	ret = 0;
out:
	cJSON_Delete(j);
	return ret;
}

static const uint8_t *event_digest(const struct eventlog_event *ev, uint16_t alg)
{
	for (unsigned i = 0; i < ev->ndigests; i++)
		if (ev->digests[i].alg == alg)
			return ev->digests[i].value;
	return NULL;
}

static int rule_matches(const struct policy_rule *r, const struct eventlog_event *ev,
			uint16_t alg)
{
	const uint8_t *d = event_digest(ev, alg);
	size_t n = strlen(r->text);

	switch (r->kind) {
	case RULE_DIGEST:
		return d && memcmp(d, r->digest, digest_size(alg)) == 0;
	case RULE_TEXT:
		return ev->data_size == n && memcmp(ev->data, r->text, n) == 0;
	case RULE_PREFIX:
		if (ev->data_size < n || memcmp(ev->data, r->text, n) != 0)
			return 0;
		for (unsigned i = 0; i < r->ncontains; i++) {
			size_t m = strlen(r->contains[i]), k;

			for (k = 0; k + m <= ev->data_size; k++)
				if (memcmp(ev->data + k, r->contains[i], m) == 0)
					break;
			if (k + m > ev->data_size)
				return 0;
		}
		return 1;
	default:
		return ev->type == TCG_EV_SEPARATOR && ev->data_size == 4 &&
		       memcmp(ev->data, "\0\0\0\0", 4) == 0;
	}
}

static void describe_rule(const struct policy_rule *r, uint16_t alg, char *out, size_t cap)
{
	char hex[2 * DIGEST_MAX_SIZE + 1];
	size_t n;

	switch (r->kind) {
	case RULE_DIGEST:
		hex_encode(r->digest, digest_size(alg), hex, sizeof(hex), &n);
		snprintf(out, cap, "digest %s", hex);
		break;
	case RULE_TEXT:
		snprintf(out, cap, "\"%.100s\"", r->text);
		break;
	case RULE_PREFIX:
		snprintf(out, cap, "\"%.80s...\"%s%.60s%s", r->text, r->ncontains ? " containing \"" : "",
			 r->ncontains ? r->contains[0] : "", r->ncontains ? "\"" : "");
		break;
	default:
		snprintf(out, cap, "a separator");
	}
}

static void describe_event(const struct eventlog_event *ev, uint16_t alg, char *out, size_t cap)
{
	char hex[2 * DIGEST_MAX_SIZE + 1] = "none";
	const uint8_t *d = event_digest(ev, alg);
	const char *data = (const char *)ev->data;
	size_t n;

	if (d)
		hex_encode(d, digest_size(alg), hex, sizeof(hex), &n);
	/* Long data (a command line): its start and its end, where additions usually are. */
	if (ev->data_size <= 160)
		snprintf(out, cap, "log record %zu, type 0x%x, digest %s, data \"%.*s\"", ev->index,
			 ev->type, hex, (int)ev->data_size, data);
	else
		snprintf(out, cap, "log record %zu, type 0x%x, digest %s, data \"%.80s...%.72s\"",
			 ev->index, ev->type, hex, data, data + ev->data_size - 72);
	/* Event data is often text but not always: keep the report printable. */
	for (char *c = strstr(out, "data \""); c && *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '.';
}

/* The runtime events of one PCR against its rules, then its optional tail. */
static int check_runtime(const struct policy *p, unsigned pcr, const uint8_t *log, size_t len,
			 char *report, size_t cap)
{
	const struct policy_rule *want[POLICY_MAX_RULES], *tail[POLICY_MAX_RULES];
	struct eventlog_reader r;
	struct eventlog_event ev;
	unsigned nwant = 0, ntail = 0, k = 0;
	char rd[300], ed[400];
	int rc;

	for (unsigned i = 0; i < p->nrules; i++) {
		if (p->rules[i].pcr != pcr)
			continue;
		if (p->rules[i].set == SET_RUNTIME)
			want[nwant++] = &p->rules[i];
		else if (p->rules[i].set == SET_TAIL)
			tail[ntail++] = &p->rules[i];
	}
	if (!nwant)
		return 0;
	if (!log || eventlog_reader_init(&r, log, len) != EVENTLOG_OK) {
		snprintf(report, cap, "PCR %u: no readable runtime event log", pcr);
		return -1;
	}
	while ((rc = eventlog_reader_next(&r, &ev)) == 1) {
		const struct policy_rule *rule;

		if (ev.pcr != pcr || ev.type == TCG_EV_NO_ACTION)
			continue;
		rule = k < nwant ? want[k] : k - nwant < ntail ? tail[k - nwant] : NULL;
		describe_event(&ev, p->hash_alg, ed, sizeof(ed));
		if (!rule) {
			snprintf(report, cap, "PCR %u: unexpected event #%u after the %u the policy "
				 "allows (%s)", pcr, k, nwant + ntail, ed);
			return -1;
		}
		if (!rule_matches(rule, &ev, p->hash_alg)) {
			describe_rule(rule, p->hash_alg, rd, sizeof(rd));
			snprintf(report, cap, "PCR %u: first differing event: #%u (%s): expected %s",
				 pcr, k, ed, rd);
			return -1;
		}
		k++;
	}
	if (rc != 0) {
		snprintf(report, cap, "PCR %u: runtime event log: %s", pcr, eventlog_strerror(rc));
		return -1;
	}
	if (k < nwant) {
		describe_rule(want[k], p->hash_alg, rd, sizeof(rd));
		snprintf(report, cap, "PCR %u: the log ends after %u of the %u expected events; "
			 "next expected: %s", pcr, k, nwant, rd);
		return -1;
	}
	return 0;
}

/* Each firmware rule's digest must be among the firmware log's events of its PCR. */
static int check_firmware(const struct policy *p, const uint8_t *log, size_t len, char *report,
			  size_t cap)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	char rd[300];

	for (unsigned i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		int found = 0, rc;

		if (rule->set != SET_FIRMWARE)
			continue;
		if (!log || eventlog_reader_init(&r, log, len) != EVENTLOG_OK) {
			snprintf(report, cap, "PCR %u: no readable firmware event log", rule->pcr);
			return -1;
		}
		while (!found && (rc = eventlog_reader_next(&r, &ev)) == 1)
			found = ev.pcr == rule->pcr && ev.type != TCG_EV_NO_ACTION &&
				rule_matches(rule, &ev, p->hash_alg);
		if (!found) {
			describe_rule(rule, p->hash_alg, rd, sizeof(rd));
			snprintf(report, cap, "PCR %u: no firmware event with %s (did the firmware "
				 "load another image?)", rule->pcr, rd);
			return -1;
		}
	}
	return 0;
}

int policy_check(const struct policy *p, const struct quote *q, const uint8_t *runtime_log,
		 size_t rt_len, const uint8_t *firmware_log, size_t fw_len, char *report,
		 size_t cap)
{
	char want[2 * DIGEST_MAX_SIZE + 1], got[2 * DIGEST_MAX_SIZE + 1];
	size_t dsz = digest_size(p->hash_alg), n;

	for (unsigned pcr = 0; pcr < QUOTE_NPCR; pcr++)
		if ((p->mask & (1u << pcr)) && !quote_pcr(q, p->hash_alg, pcr)) {
			snprintf(report, cap, "PCR %u: not in the quote", pcr);
			return -1;
		}
	/* Events first: a differing event explains a differing value. */
	for (unsigned pcr = 8; pcr <= 9; pcr++)
		if (check_runtime(p, pcr, runtime_log, rt_len, report, cap) != 0)
			return -1;
	if (check_firmware(p, firmware_log, fw_len, report, cap) != 0)
		return -1;
	for (unsigned pcr = 0; pcr < QUOTE_NPCR; pcr++) {
		const uint8_t *v = quote_pcr(q, p->hash_alg, pcr);
		unsigned i;

		if (!p->nvalues[pcr])
			continue;
		for (i = 0; i < p->nvalues[pcr]; i++)
			if (memcmp(v, p->values[pcr][i], dsz) == 0)
				break;
		if (i < p->nvalues[pcr])
			continue;
		hex_encode(p->values[pcr][0], dsz, want, sizeof(want), &n);
		hex_encode(v, dsz, got, sizeof(got), &n);
		snprintf(report, cap, "PCR %u mismatch: expected %s%s, got %s", pcr, want,
			 p->nvalues[pcr] > 1 ? " (or another allowed value)" : "", got);
		return -1;
	}
	return 0;
}

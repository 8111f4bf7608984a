/* SPDX-License-Identifier: GPL-2.0-only */
/* TCG crypto-agile event log writer, reader and replay; see eventlog.h. */
#include "eventlog.h"
#include "bytes.h"

#include <string.h>

/* TCG_PCClientPCREvent: PCRIndex, EventType, SHA-1 digest, EventSize. */
#define LEGACY_HDR_SIZE (4 + 4 + 20 + 4)
/* TCG_EfiSpecIDEvent up to numberOfAlgorithms, inclusive. */
#define SPEC_ID_FIXED_SIZE (16 + 4 + 1 + 1 + 1 + 1 + 4)

static const uint8_t spec_id_sig[16] = "Spec ID Event03";
static const uint8_t locality_sig[16] = "StartupLocality";
#define LOCALITY_EVENT_SIZE 17

/* ---- reading: src/lib/bytes.h's cursor, with eventlog's error code ------- */

static int take(struct bytes *c, size_t n, const uint8_t **out)
{
	*out = bytes_take(c, n);
	return *out ? EVENTLOG_OK : EVENTLOG_E_TRUNCATED;
}

static int get_u8(struct bytes *c, uint8_t *v)
{
	return bytes_u8(c, v) ? EVENTLOG_OK : EVENTLOG_E_TRUNCATED;
}

static int get_u16(struct bytes *c, uint16_t *v)
{
	return bytes_le16(c, v) ? EVENTLOG_OK : EVENTLOG_E_TRUNCATED;
}

static int get_u32(struct bytes *c, uint32_t *v)
{
	return bytes_le32(c, v) ? EVENTLOG_OK : EVENTLOG_E_TRUNCATED;
}

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

static int map_digest_err(int err)
{
	if (err == DIGEST_OK)
		return EVENTLOG_OK;
	if (err == DIGEST_E_ALG)
		return EVENTLOG_E_ALG;
	return EVENTLOG_E_CRYPTO;
}

const char *eventlog_strerror(int err)
{
	switch (err) {
	case EVENTLOG_OK: return "success";
	case EVENTLOG_E_ARG: return "invalid argument";
	case EVENTLOG_E_NOSPACE: return "event log buffer full";
	case EVENTLOG_E_TRUNCATED: return "event log truncated";
	case EVENTLOG_E_NOT_AGILE:
		return "not a crypto-agile log (first event is not Spec ID Event03)";
	case EVENTLOG_E_HEADER: return "malformed Spec ID Event03 header";
	case EVENTLOG_E_ALG: return "digest algorithm unknown or not declared";
	case EVENTLOG_E_DIGEST_SIZE:
		return "declared digest size disagrees with the algorithm";
	case EVENTLOG_E_COUNT: return "bad digest count or repeated algorithm";
	case EVENTLOG_E_EVENT_SIZE: return "EventSize beyond the end of the log";
	case EVENTLOG_E_PCR: return "PCR index outside 0..23";
	case EVENTLOG_E_LOCALITY: return "malformed or misplaced StartupLocality event";
	case EVENTLOG_E_MISMATCH: return "event digest does not match event data";
	case EVENTLOG_E_CRYPTO: return "hash computation failed";
	case EVENTLOG_E_TYPE: return "event type not allowed here";
	default: return "unknown error";
	}
}

/* ---- reader -------------------------------------------------------------- */

static int bank_index(const struct eventlog_header *h, uint16_t alg)
{
	for (unsigned i = 0; i < h->nbanks; i++)
		if (h->banks[i].alg == alg)
			return (int)i;
	return -1;
}

/* Declared list: known algs must carry their real size, none repeated. */
static int parse_banks(struct bytes *c, struct eventlog_header *h, uint32_t n)
{
	int ret = EVENTLOG_E_HEADER;

	if (n == 0 || n > EVENTLOG_MAX_BANKS)
		goto out;
	h->nbanks = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t alg, size;
		size_t known;

		ret = get_u16(c, &alg);
		if (ret != EVENTLOG_OK)
			goto out;
		ret = get_u16(c, &size);
		if (ret != EVENTLOG_OK)
			goto out;
		ret = EVENTLOG_E_HEADER;
		if (bank_index(h, alg) >= 0)
			goto out;
		/*
		 * An algorithm we do not know may still be declared (SM3,
		 * SHA-3): its digests are skipped by size and its bank is
		 * reported unsupported by replay, rather than refusing a
		 * firmware log outright.
		 */
		known = digest_size(alg);
		ret = EVENTLOG_E_DIGEST_SIZE;
		if (known ? size != known : size == 0 || size > DIGEST_MAX_SIZE)
			goto out;
		h->banks[h->nbanks].alg = alg;
		h->banks[h->nbanks].size = size;
		h->nbanks++;
	}
	ret = EVENTLOG_OK;
out:
	return ret;
}

static int parse_header(struct eventlog_reader *r)
{
	struct bytes c = bytes_of(r->buf, r->len);
	struct eventlog_header *h = &r->hdr;
	const uint8_t *digest, *sig, *body;
	uint32_t pcr, type, size, nalgs;
	struct bytes e;
	int ret;

	ret = get_u32(&c, &pcr);
	if (ret != EVENTLOG_OK)
		goto out;
	ret = get_u32(&c, &type);
	if (ret != EVENTLOG_OK)
		goto out;
	ret = take(&c, 20, &digest);
	if (ret != EVENTLOG_OK)
		goto out;
	ret = get_u32(&c, &size);
	if (ret != EVENTLOG_OK)
		goto out;
	/* A legacy SHA-1 log starts with a measured event, not EV_NO_ACTION. */
	ret = EVENTLOG_E_NOT_AGILE;
	if (pcr != 0 || type != TCG_EV_NO_ACTION)
		goto out;
	ret = EVENTLOG_E_EVENT_SIZE;
	if (size > bytes_left(&c))
		goto out;
	ret = take(&c, size, &body);
	if (ret != EVENTLOG_OK)
		goto out;
	/* Parse the event inside its own bounds, so it cannot read past size. */
	e = bytes_of(body, size);
	ret = take(&e, sizeof(spec_id_sig), &sig);
	if (ret != EVENTLOG_OK || memcmp(sig, spec_id_sig, sizeof(spec_id_sig))) {
		ret = EVENTLOG_E_NOT_AGILE;
		goto out;
	}
	ret = EVENTLOG_E_HEADER;
	for (size_t i = 0; i < 20; i++)
		if (digest[i] != 0)
			goto out;
	if (size < SPEC_ID_FIXED_SIZE)
		goto out;
	ret = get_u32(&e, &h->platform_class);
	if (ret == EVENTLOG_OK)
		ret = get_u8(&e, &h->spec_minor);
	if (ret == EVENTLOG_OK)
		ret = get_u8(&e, &h->spec_major);
	if (ret == EVENTLOG_OK)
		ret = get_u8(&e, &h->spec_errata);
	if (ret == EVENTLOG_OK)
		ret = get_u8(&e, &h->uintn_size);
	if (ret == EVENTLOG_OK)
		ret = get_u32(&e, &nalgs);
	if (ret != EVENTLOG_OK)
		goto out;
	/* uintnSize: 1 means UINT32, 2 means UINT64; PFP knows no other. */
	ret = EVENTLOG_E_HEADER;
	if (h->spec_major != 2 || (h->uintn_size != 1 && h->uintn_size != 2))
		goto out;
	ret = parse_banks(&e, h, nalgs);
	if (ret == EVENTLOG_E_TRUNCATED)
		ret = EVENTLOG_E_HEADER;
	if (ret != EVENTLOG_OK)
		goto out;
	ret = get_u8(&e, &h->vendor_info_size);
	if (ret == EVENTLOG_OK)
		ret = take(&e, h->vendor_info_size, &h->vendor_info);
	/* The list and vendor info must fill EventSize exactly. */
	if (ret != EVENTLOG_OK || bytes_left(&e) != 0) {
		ret = EVENTLOG_E_HEADER;
		goto out;
	}
	h->size = c.pos;
	r->pos = c.pos;
	ret = EVENTLOG_OK;
out:
	if (ret != EVENTLOG_OK)
		r->err_offset = c.pos;
	return ret;
}

int eventlog_reader_init(struct eventlog_reader *r, const void *buf, size_t len)
{
	int ret = EVENTLOG_E_ARG;

	if (!r)
		goto out;
	memset(r, 0, sizeof(*r));
	if (!buf && len)
		goto out;
	r->buf = buf;
	r->len = len;
	ret = parse_header(r);
out:
	return ret;
}

int eventlog_used_length(const void *buf, size_t len, size_t *used, size_t *nevents)
{
	static const uint8_t zero[12];
	struct eventlog_reader r;
	struct eventlog_event ev;
	int rc;

	if (!used || !nevents)
		return EVENTLOG_E_ARG;
	*used = 0;
	*nevents = 0;
	rc = eventlog_reader_init(&r, buf, len);
	if (rc != EVENTLOG_OK)
		return rc;
	for (;;) {
		if (r.len - r.pos >= sizeof(zero) && !memcmp(r.buf + r.pos, zero, sizeof(zero)))
			break;
		rc = eventlog_reader_next(&r, &ev);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		(*nevents)++;
	}
	*used = r.pos;
	return EVENTLOG_OK;
}

int eventlog_reader_next(struct eventlog_reader *r, struct eventlog_event *ev)
{
	struct bytes c;
	uint32_t count, size;
	unsigned seen = 0;
	int ret = EVENTLOG_E_ARG;

	if (!r || !ev || !r->hdr.nbanks)
		goto out;
	c = bytes_of(r->buf, r->len);
	c.pos = r->pos;
	ret = 0;
	if (bytes_left(&c) == 0)
		goto out;
	memset(ev, 0, sizeof(*ev));
	ev->offset = c.pos;
	ev->index = r->index;
	ret = get_u32(&c, &ev->pcr);
	if (ret == EVENTLOG_OK)
		ret = get_u32(&c, &ev->type);
	if (ret == EVENTLOG_OK)
		ret = get_u32(&c, &count);
	if (ret != EVENTLOG_OK)
		goto fail;
	ret = EVENTLOG_E_PCR;
	if (ev->pcr >= EVENTLOG_PCR_COUNT)
		goto fail;
	ret = EVENTLOG_E_COUNT;
	if (count == 0 || count > r->hdr.nbanks)
		goto fail;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t alg;
		int b;

		ret = get_u16(&c, &alg);
		if (ret != EVENTLOG_OK)
			goto fail;
		b = bank_index(&r->hdr, alg);
		ret = EVENTLOG_E_ALG;
		if (b < 0)
			goto fail;
		ret = EVENTLOG_E_COUNT;
		if (seen & 1u << b)
			goto fail;
		seen |= 1u << b;
		ev->digests[i].alg = alg;
		ev->digests[i].size = r->hdr.banks[b].size;
		ret = take(&c, ev->digests[i].size, &ev->digests[i].value);
		if (ret != EVENTLOG_OK)
			goto fail;
	}
	ev->ndigests = count;
	ret = get_u32(&c, &size);
	if (ret != EVENTLOG_OK)
		goto fail;
	ret = EVENTLOG_E_EVENT_SIZE;
	if (size > bytes_left(&c))
		goto fail;
	ret = take(&c, size, &ev->data);
	if (ret != EVENTLOG_OK)
		goto fail;
	ev->data_size = size;
	r->pos = c.pos;
	r->index++;
	ret = 1;
	goto out;
fail:
	r->err_offset = c.pos;
out:
	return ret;
}

int eventlog_event_verify(const struct eventlog_event *ev)
{
	uint8_t md[DIGEST_MAX_SIZE];
	int ret = EVENTLOG_E_ARG;

	if (!ev)
		goto out;
	for (unsigned i = 0; i < ev->ndigests; i++) {
		ret = map_digest_err(digest(ev->digests[i].alg, ev->data,
					    ev->data_size, md));
		if (ret != EVENTLOG_OK)
			goto out;
		ret = EVENTLOG_E_MISMATCH;
		if (memcmp(md, ev->digests[i].value, ev->digests[i].size) != 0)
			goto out;
	}
	ret = EVENTLOG_OK;
out:
	return ret;
}

int eventlog_verify_data_digests(const void *buf, size_t len,
				 uint32_t pcr_mask, size_t *bad_index)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	int ret;

	ret = eventlog_reader_init(&r, buf, len);
	if (ret != EVENTLOG_OK)
		goto out;
	while ((ret = eventlog_reader_next(&r, &ev)) == 1) {
		if (ev.type == TCG_EV_NO_ACTION || !(pcr_mask & 1u << ev.pcr))
			continue;
		ret = eventlog_event_verify(&ev);
		if (ret != EVENTLOG_OK) {
			if (bad_index)
				*bad_index = ev.index;
			goto out;
		}
	}
out:
	return ret;
}

/* ---- writer -------------------------------------------------------------- */

int eventlog_writer_init(struct eventlog_writer *w, void *buf, size_t cap,
			 const uint16_t *banks, unsigned nbanks)
{
	uint8_t *p;
	size_t need, event_size;
	int ret = EVENTLOG_E_ARG;

	if (!w)
		goto out;
	memset(w, 0, sizeof(*w));
	if (!buf || !banks || nbanks == 0 || nbanks > EVENTLOG_MAX_BANKS)
		goto out;
	for (unsigned i = 0; i < nbanks; i++) {
		ret = EVENTLOG_E_ALG;
		if (digest_size(banks[i]) == 0)
			goto out;
		ret = EVENTLOG_E_ARG;
		for (unsigned j = 0; j < i; j++)
			if (banks[j] == banks[i])
				goto out;
	}
	event_size = SPEC_ID_FIXED_SIZE + 4 * (size_t)nbanks + 1;
	need = LEGACY_HDR_SIZE + event_size;
	ret = EVENTLOG_E_NOSPACE;
	if (need > cap)
		goto out;
	p = buf;
	p = put_u32(p, 0);
	p = put_u32(p, TCG_EV_NO_ACTION);
	memset(p, 0, 20);
	p += 20;
	p = put_u32(p, (uint32_t)event_size);
	memcpy(p, spec_id_sig, sizeof(spec_id_sig));
	p += sizeof(spec_id_sig);
	p = put_u32(p, 0); /* platformClass: client */
	*p++ = 0;          /* specVersionMinor */
	*p++ = 2;          /* specVersionMajor */
	*p++ = 2;          /* specErrata */
	*p++ = 2;          /* uintnSize: UINT64 */
	p = put_u32(p, nbanks);
	for (unsigned i = 0; i < nbanks; i++) {
		p = put_u16(p, banks[i]);
		p = put_u16(p, (uint16_t)digest_size(banks[i]));
	}
	*p++ = 0; /* vendorInfoSize */
	w->buf = buf;
	w->cap = cap;
	w->len = need;
	w->nbanks = nbanks;
	memcpy(w->banks, banks, nbanks * sizeof(banks[0]));
	ret = EVENTLOG_OK;
out:
	return ret;
}

int eventlog_writer_resume(struct eventlog_writer *w, void *buf, size_t cap,
			   size_t len)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	int ret = EVENTLOG_E_ARG;

	if (!w)
		goto out;
	memset(w, 0, sizeof(*w));
	if (!buf || len > cap)
		goto out;
	ret = eventlog_reader_init(&r, buf, len);
	if (ret != EVENTLOG_OK)
		goto out;
	while ((ret = eventlog_reader_next(&r, &ev)) == 1)
		;
	if (ret != 0)
		goto out;
	/* Appending hashes every bank, so each must be one we can compute. */
	ret = EVENTLOG_E_ALG;
	for (unsigned i = 0; i < r.hdr.nbanks; i++)
		if (digest_size(r.hdr.banks[i].alg) == 0)
			goto out;
	for (unsigned i = 0; i < r.hdr.nbanks; i++)
		w->banks[i] = r.hdr.banks[i].alg;
	w->nbanks = r.hdr.nbanks;
	w->buf = buf;
	w->cap = cap;
	w->len = len;
	ret = EVENTLOG_OK;
out:
	return ret;
}

static int writer_ok(const struct eventlog_writer *w)
{
	return w && w->buf && w->nbanks && w->nbanks <= EVENTLOG_MAX_BANKS &&
	       w->len <= w->cap;
}

/*
 * Checked before anything is hashed or written, so an oversized len is
 * refused without reading data and a full buffer never gets half a record.
 */
static int check_room(const struct eventlog_writer *w, size_t len)
{
	size_t need = 4 + 4 + 4 + 4;

	/* Cast: on 32-bit size_t the test is vacuous and -Wtype-limits fires. */
	if ((uint64_t)len > UINT32_MAX)
		return EVENTLOG_E_ARG;
	for (unsigned i = 0; i < w->nbanks; i++)
		need += 2 + digest_size(w->banks[i]);
	if (len > w->cap - w->len || need > w->cap - w->len - len)
		return EVENTLOG_E_NOSPACE;
	return EVENTLOG_OK;
}

/* dig matches the writer's banks and check_room() has passed. */
static void write_record(struct eventlog_writer *w, uint32_t pcr, uint32_t type,
			 const struct eventlog_digests *dig, const void *data,
			 size_t len)
{
	uint8_t *p = w->buf + w->len;

	p = put_u32(p, pcr);
	p = put_u32(p, type);
	p = put_u32(p, dig->count);
	for (unsigned i = 0; i < dig->count; i++) {
		p = put_u16(p, dig->d[i].alg);
		memcpy(p, dig->d[i].value, dig->d[i].size);
		p += dig->d[i].size;
	}
	p = put_u32(p, (uint32_t)len);
	if (len)
		memcpy(p, data, len);
	w->len = (size_t)(p + len - w->buf);
}

int eventlog_append(struct eventlog_writer *w, uint32_t pcr, uint32_t type,
		    const void *data, size_t len, struct eventlog_digests *out)
{
	struct eventlog_digests dig;
	int ret = EVENTLOG_E_ARG;

	if (!writer_ok(w) || (!data && len))
		goto out;
	ret = EVENTLOG_E_PCR;
	if (pcr >= EVENTLOG_PCR_COUNT)
		goto out;
	ret = EVENTLOG_E_TYPE;
	if (type == TCG_EV_NO_ACTION)
		goto out;
	ret = check_room(w, len);
	if (ret != EVENTLOG_OK)
		goto out;
	memset(&dig, 0, sizeof(dig));
	for (unsigned i = 0; i < w->nbanks; i++) {
		dig.d[i].alg = w->banks[i];
		dig.d[i].size = (uint16_t)digest_size(w->banks[i]);
		ret = map_digest_err(digest(w->banks[i], data, len,
					    dig.d[i].value));
		if (ret != EVENTLOG_OK)
			goto out;
	}
	dig.count = w->nbanks;
	write_record(w, pcr, type, &dig, data, len);
	if (out)
		*out = dig;
out:
	return ret;
}

int eventlog_append_digests(struct eventlog_writer *w, uint32_t pcr,
			    uint32_t type, const struct eventlog_digests *dig,
			    const void *data, size_t len)
{
	int ret = EVENTLOG_E_ARG;

	if (!writer_ok(w) || !dig || (!data && len))
		goto out;
	ret = EVENTLOG_E_PCR;
	if (pcr >= EVENTLOG_PCR_COUNT)
		goto out;
	/* Same banks, same order, as declared: the reader insists on it too. */
	ret = EVENTLOG_E_COUNT;
	if (dig->count != w->nbanks)
		goto out;
	for (unsigned i = 0; i < dig->count; i++) {
		ret = EVENTLOG_E_ALG;
		if (dig->d[i].alg != w->banks[i])
			goto out;
		ret = EVENTLOG_E_DIGEST_SIZE;
		if (dig->d[i].size != digest_size(w->banks[i]))
			goto out;
	}
	ret = check_room(w, len);
	if (ret != EVENTLOG_OK)
		goto out;
	write_record(w, pcr, type, dig, data, len);
out:
	return ret;
}

int eventlog_tagged_event(uint32_t tag_id, const void *data, size_t len,
			  uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t *p;
	int ret = EVENTLOG_E_ARG;

	if (!out || !out_len || (!data && len) ||
	    (uint64_t)len > UINT32_MAX - 8)
		goto out;
	ret = EVENTLOG_E_NOSPACE;
	if (cap < 8 || len > cap - 8)
		goto out;
	p = put_u32(out, tag_id);
	p = put_u32(p, (uint32_t)len);
	if (len)
		memcpy(p, data, len);
	*out_len = 8 + len;
	ret = EVENTLOG_OK;
out:
	return ret;
}

/* ---- replay -------------------------------------------------------------- */

static int is_locality_event(const struct eventlog_event *ev)
{
	return ev->type == TCG_EV_NO_ACTION &&
	       ev->data_size >= sizeof(locality_sig) &&
	       memcmp(ev->data, locality_sig, sizeof(locality_sig)) == 0;
}

/* PFP: PCR 0 only, exactly 17 bytes, once, before anything extends PCR 0. */
static int apply_locality(struct eventlog_pcrs *out,
			  const struct eventlog_event *ev)
{
	uint8_t loc;
	int ret = EVENTLOG_E_LOCALITY;

	if (ev->pcr != 0 || ev->data_size != LOCALITY_EVENT_SIZE)
		goto out;
	if (out->startup_locality >= 0 || (out->extended & 1u))
		goto out;
	loc = ev->data[sizeof(locality_sig)];
	/* TPM localities are 0..4. */
	if (loc > 4)
		goto out;
	out->startup_locality = loc;
	for (unsigned b = 0; b < out->nbanks; b++)
		out->banks[b].pcr[0][out->banks[b].size - 1] = loc;
	ret = EVENTLOG_OK;
out:
	return ret;
}

static int extend_event(struct eventlog_pcrs *out,
			const struct eventlog_event *ev)
{
	int ret = EVENTLOG_OK;

	out->extended |= 1u << ev->pcr;
	for (unsigned b = 0; b < out->nbanks; b++) {
		unsigned i;

		if (out->banks[b].status != EVENTLOG_BANK_OK)
			continue;
		for (i = 0; i < ev->ndigests; i++)
			if (ev->digests[i].alg == out->banks[b].alg)
				break;
		if (i == ev->ndigests) {
			out->banks[b].status = EVENTLOG_BANK_INCOMPLETE;
			continue;
		}
		ret = map_digest_err(pcr_extend(out->banks[b].alg,
						out->banks[b].pcr[ev->pcr],
						ev->digests[i].value));
		if (ret != EVENTLOG_OK)
			goto out;
	}
out:
	return ret;
}

/* Replay r's remaining events on top of out; out's banks stay as they are. */
static int replay_events(struct eventlog_reader *r, struct eventlog_pcrs *out)
{
	struct eventlog_event ev;
	int ret;

	while ((ret = eventlog_reader_next(r, &ev)) == 1) {
		out->nevents++;
		if (is_locality_event(&ev))
			ret = apply_locality(out, &ev);
		else if (ev.type != TCG_EV_NO_ACTION)
			ret = extend_event(out, &ev);
		else
			ret = EVENTLOG_OK;
		if (ret != EVENTLOG_OK)
			goto out;
	}
	if (ret != 0)
		goto out;
	/* Leave no half-replayed values behind a bank that cannot be used. */
	for (unsigned b = 0; b < out->nbanks; b++)
		if (out->banks[b].status != EVENTLOG_BANK_OK)
			memset(out->banks[b].pcr, 0, sizeof(out->banks[b].pcr));
	ret = EVENTLOG_OK;
out:
	return ret;
}

static void clear_pcrs(struct eventlog_pcrs *out)
{
	memset(out, 0, sizeof(*out));
	out->startup_locality = -1;
}

int eventlog_replay(const void *buf, size_t len, struct eventlog_pcrs *out)
{
	struct eventlog_reader r;
	int ret = EVENTLOG_E_ARG;

	if (!out)
		goto out;
	clear_pcrs(out);
	ret = eventlog_reader_init(&r, buf, len);
	if (ret != EVENTLOG_OK)
		goto out;
	out->nbanks = r.hdr.nbanks;
	for (unsigned b = 0; b < r.hdr.nbanks; b++) {
		out->banks[b].alg = r.hdr.banks[b].alg;
		out->banks[b].size = r.hdr.banks[b].size;
		out->banks[b].status = digest_size(r.hdr.banks[b].alg)
					       ? EVENTLOG_BANK_OK
					       : EVENTLOG_BANK_UNSUPPORTED;
	}
	ret = replay_events(&r, out);
out:
	/* A log that does not replay has no PCR values at all. */
	if (out && ret != EVENTLOG_OK)
		clear_pcrs(out);
	return ret;
}

int eventlog_replay_continue(const void *buf, size_t len,
			     struct eventlog_pcrs *io)
{
	struct eventlog_reader r;
	int ret = EVENTLOG_E_ARG;

	if (!io || io->nbanks == 0 || io->nbanks > EVENTLOG_MAX_BANKS)
		goto out;
	ret = eventlog_reader_init(&r, buf, len);
	if (ret != EVENTLOG_OK)
		goto out;
	/*
	 * The banks of the first log rule. One the second log does not
	 * declare cannot follow its events; a bank only the second log
	 * declares has no start value, so it is ignored.
	 */
	for (unsigned b = 0; b < io->nbanks; b++) {
		unsigned i;

		for (i = 0; i < r.hdr.nbanks; i++)
			if (r.hdr.banks[i].alg == io->banks[b].alg)
				break;
		if (i == r.hdr.nbanks && r.pos < r.len)
			io->banks[b].status = EVENTLOG_BANK_INCOMPLETE;
	}
	ret = replay_events(&r, io);
out:
	if (io && ret != EVENTLOG_OK)
		clear_pcrs(io);
	return ret;
}

const uint8_t *eventlog_pcr_value(const struct eventlog_pcrs *p, uint16_t alg,
				  unsigned pcr)
{
	if (!p || pcr >= EVENTLOG_PCR_COUNT)
		return NULL;
	for (unsigned b = 0; b < p->nbanks && b < EVENTLOG_MAX_BANKS; b++)
		if (p->banks[b].alg == alg)
			return p->banks[b].status == EVENTLOG_BANK_OK
				       ? p->banks[b].pcr[pcr]
				       : NULL;
	return NULL;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer harness for src/lib/eventlog.c.
 *
 * 1. The input as a log: parse every event, verify digests, replay, replay
 *    it again on top of itself. Nothing may crash, and the reader, the
 *    replay and the digest check must agree on whether the log is well formed.
 * 2. Parse-write round trip: a log that parses is written again with the
 *    writer (same banks, same digests, same data). If its header is the one
 *    our writer produces, the bytes must come out identical; in any case the
 *    rewritten log must replay to the same PCRs.
 * 3. The input as a script for the writer, into a small buffer: every append
 *    either succeeds and reads back exactly, or fails and leaves every byte
 *    of the buffer as it was.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/lib \
 *   -I$MBEDTLS/include tests/fuzz/fuzz_eventlog.c src/lib/eventlog.c \
 *   src/lib/digest.c -L$MBEDTLS/lib -lmbedcrypto -o fuzz_eventlog
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "eventlog.h"

#define MAX_LOG (1 << 20)

static uint8_t rebuilt[MAX_LOG];
static struct eventlog_pcrs pcrs_in, pcrs_out, pcrs_twice;

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			abort();  \
	} while (0)

/*
 * Write the parsed log again. Banks must all be hashable and each event must
 * carry every bank. *same_shape: the input's header is byte for byte the
 * one our writer produced and every event listed its digests in declaration
 * order, so the rewrite must equal the input.
 */
static int rewrite(const uint8_t *data, size_t size, size_t *out_len,
		   int *same_shape)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	struct eventlog_writer w;
	uint16_t banks[EVENTLOG_MAX_BANKS];
	int ret;

	if (eventlog_reader_init(&r, data, size) != EVENTLOG_OK)
		return -1;
	for (unsigned b = 0; b < r.hdr.nbanks; b++) {
		if (!digest_size(r.hdr.banks[b].alg))
			return -1;
		banks[b] = r.hdr.banks[b].alg;
	}
	ret = eventlog_writer_init(&w, rebuilt, sizeof(rebuilt), banks,
				   r.hdr.nbanks);
	CHECK(ret == EVENTLOG_OK);
	*same_shape = w.len == r.hdr.size && !memcmp(rebuilt, data, w.len);
	while ((ret = eventlog_reader_next(&r, &ev)) == 1) {
		struct eventlog_digests d;

		if (ev.ndigests != r.hdr.nbanks)
			return -1;
		memset(&d, 0, sizeof(d));
		d.count = ev.ndigests;
		/* Put the digests in declaration order, as the writer does. */
		for (unsigned b = 0; b < r.hdr.nbanks; b++) {
			unsigned i;

			for (i = 0; i < ev.ndigests; i++)
				if (ev.digests[i].alg == banks[b])
					break;
			CHECK(i < ev.ndigests); /* no repeats, so all present */
			if (i != b)
				*same_shape = 0;
			d.d[b].alg = banks[b];
			d.d[b].size = ev.digests[i].size;
			memcpy(d.d[b].value, ev.digests[i].value, d.d[b].size);
		}
		ret = eventlog_append_digests(&w, ev.pcr, ev.type, &d, ev.data,
					      ev.data_size);
		CHECK(ret == EVENTLOG_OK);
	}
	CHECK(ret == 0);
	*out_len = w.len;
	return 0;
}

static void as_log(const uint8_t *data, size_t size)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	size_t n = 0, out_len = 0, bad;
	int parsed, replayed, ret, same_shape = 0;

	ret = eventlog_reader_init(&r, data, size);
	if (ret == EVENTLOG_OK) {
		while ((ret = eventlog_reader_next(&r, &ev)) == 1) {
			CHECK(ev.pcr < EVENTLOG_PCR_COUNT);
			CHECK(ev.ndigests >= 1 && ev.ndigests <= r.hdr.nbanks);
			CHECK(ev.data + ev.data_size <= data + size);
			CHECK(r.pos <= size);
			(void)eventlog_event_verify(&ev);
			n++;
		}
	}
	parsed = ret == 0;
	if (!parsed)
		CHECK(ret < 0 && r.err_offset <= size);
	{
		/* Trimming zero padding: within the input, at most the events parsed. */
		size_t used = 0, nev = 0;

		ret = eventlog_used_length(data, size, &used, &nev);
		if (parsed)
			CHECK(ret == EVENTLOG_OK && used <= size && nev <= n);
		if (ret == EVENTLOG_OK)
			CHECK(used <= size && eventlog_used_length(data, used, &used, &nev) ==
						      EVENTLOG_OK);
	}

	replayed = eventlog_replay(data, size, &pcrs_in);
	/* Replay adds only the StartupLocality rules on top of parsing. */
	if (!parsed)
		CHECK(replayed != EVENTLOG_OK);
	if (replayed == EVENTLOG_OK)
		CHECK(pcrs_in.nevents == n);
	else
		CHECK(pcrs_in.nbanks == 0);

	/* The log twice in a row: fine unless it sets the StartupLocality. */
	if (replayed == EVENTLOG_OK) {
		pcrs_twice = pcrs_in;
		ret = eventlog_replay_continue(data, size, &pcrs_twice);
		if (pcrs_in.startup_locality >= 0) {
			CHECK(ret == EVENTLOG_E_LOCALITY && pcrs_twice.nbanks == 0);
		} else {
			CHECK(ret == EVENTLOG_OK);
			CHECK(pcrs_twice.nevents == 2 * n);
			CHECK(pcrs_twice.extended == pcrs_in.extended);
		}
	}

	ret = eventlog_verify_data_digests(data, size, 0xFFFFFF, &bad);
	if (!parsed)
		CHECK(ret != EVENTLOG_OK);

	if (!parsed || size > sizeof(rebuilt) ||
	    rewrite(data, size, &out_len, &same_shape) != 0)
		return;
	if (same_shape)
		CHECK(out_len == size && !memcmp(rebuilt, data, size));
	ret = eventlog_replay(rebuilt, out_len, &pcrs_out);
	CHECK(ret == replayed);
	if (ret == EVENTLOG_OK) {
		CHECK(pcrs_out.nbanks == pcrs_in.nbanks);
		CHECK(pcrs_out.startup_locality == pcrs_in.startup_locality);
		CHECK(!memcmp(pcrs_out.banks, pcrs_in.banks, sizeof(pcrs_in.banks)));
	}
}

/* Script: [bank mask][cap hi][cap lo] then records [pcr][type][len] data. */
static void as_script(const uint8_t *data, size_t size)
{
	static const uint16_t all[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
					TPM_ALG_SHA384, TPM_ALG_SHA512 };
	static uint8_t buf[8192], snap[8192];
	struct eventlog_writer w, wsnap;
	struct eventlog_reader r;
	struct eventlog_event ev;
	struct eventlog_digests out;
	uint16_t banks[4];
	unsigned nbanks = 0, appended = 0;
	size_t pos = 3, cap;
	int ret;

	if (size < 3)
		return;
	for (unsigned i = 0; i < 4; i++)
		if (data[0] & 1u << i)
			banks[nbanks++] = all[(i + (data[0] >> 4)) % 4];
	cap = ((size_t)data[1] << 8 | data[2]) % sizeof(buf);
	memset(buf, 0xA5, sizeof(buf));
	ret = eventlog_writer_init(&w, buf, cap, banks, nbanks);
	if (ret != EVENTLOG_OK) {
		/* Only these reasons; and nothing was written. */
		CHECK(ret == EVENTLOG_E_NOSPACE || ret == EVENTLOG_E_ARG);
		for (size_t i = 0; i < sizeof(buf); i++)
			CHECK(buf[i] == 0xA5);
		return;
	}
	while (pos + 3 <= size) {
		uint32_t pcr = data[pos] % 26; /* 24, 25 must be refused */
		uint32_t type = data[pos + 1] % 16;
		size_t len = data[pos + 2];

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		memcpy(snap, buf, sizeof(buf));
		wsnap = w;
		ret = eventlog_append(&w, pcr, type, data + pos, len, &out);
		if (ret == EVENTLOG_OK) {
			appended++;
			CHECK(out.count == nbanks);
		} else {
			CHECK(!memcmp(snap, buf, sizeof(buf)));
			CHECK(!memcmp(&wsnap, &w, sizeof(w)));
			CHECK(ret == EVENTLOG_E_NOSPACE || ret == EVENTLOG_E_PCR ||
			      ret == EVENTLOG_E_TYPE);
		}
		pos += len;
	}
	CHECK(w.len <= cap);
	for (size_t i = w.len; i < sizeof(buf); i++)
		CHECK(buf[i] == 0xA5);
	/* Read back: as many events as appended, every digest == H(data). */
	CHECK(eventlog_reader_init(&r, buf, w.len) == EVENTLOG_OK);
	while ((ret = eventlog_reader_next(&r, &ev)) == 1) {
		CHECK(ev.ndigests == nbanks);
		CHECK(eventlog_event_verify(&ev) == EVENTLOG_OK);
	}
	CHECK(ret == 0 && r.index == appended);
	CHECK(eventlog_replay(buf, w.len, &pcrs_in) == EVENTLOG_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_log(data, size);
	as_script(data, size);
	return 0;
}

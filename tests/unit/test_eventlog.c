/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for src/lib/digest.c and src/lib/eventlog.c.
 *
 * Independent oracles: published SHA test vectors (FIPS 180 "abc" etc.),
 * OpenSSL's libcrypto for every hash the tests predict (never the code under
 * test), a hand-rolled byte builder for firmware-style and corrupt logs
 * (never the writer), and two published log vectors: the Spec ID Event03
 * bytes from go-attestation's tests and the PC Client example log of the TCG
 * Canonical Event Log spec v1.1 section 5.1.7.
 *
 * Helper modes for tests/unit/test_eventlog_tpm2tools.sh:
 *   test_eventlog --write-log SCENARIO FILE   write a log
 *   test_eventlog --replay FILE               print "alg pcr hex" per PCR
 *   test_eventlog --scenarios                 list scenario names
 * Without arguments it runs the cmocka tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "digest.h"
#include "eventlog.h"
#include "runtime_events.h"

#define LOG_CAP (256 * 1024)

/* ---- independent hashing (OpenSSL) --------------------------------------- */

static const EVP_MD *ossl_md(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1: return EVP_sha1();
	case TPM_ALG_SHA256: return EVP_sha256();
	case TPM_ALG_SHA384: return EVP_sha384();
	case TPM_ALG_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

static size_t ossl_size(uint16_t alg)
{
	const EVP_MD *md = ossl_md(alg);

	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

static void ossl_hash(uint16_t alg, const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	assert_non_null(ossl_md(alg));
	assert_int_equal(EVP_Digest(data, len, out, &n, ossl_md(alg), NULL), 1);
	assert_int_equal(n, ossl_size(alg));
}

static void ossl_extend(uint16_t alg, uint8_t *pcr, const uint8_t *dig)
{
	uint8_t cat[128];
	size_t n = ossl_size(alg);

	memcpy(cat, pcr, n);
	memcpy(cat + n, dig, n);
	ossl_hash(alg, cat, 2 * n, pcr);
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* ---- expected PCRs, computed with OpenSSL --------------------------------- */

struct model {
	unsigned nbanks;
	uint16_t algs[EVENTLOG_MAX_BANKS];
	uint8_t pcr[EVENTLOG_MAX_BANKS][EVENTLOG_PCR_COUNT][64];
	uint32_t extended;
};

static void model_init(struct model *m, const uint16_t *algs, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->nbanks = n;
	memcpy(m->algs, algs, n * sizeof(algs[0]));
}

static void model_locality(struct model *m, uint8_t loc)
{
	for (unsigned b = 0; b < m->nbanks; b++)
		m->pcr[b][0][ossl_size(m->algs[b]) - 1] = loc;
}

/* Extend with H(data) in every bank. */
static void model_event(struct model *m, unsigned pcr, const void *data, size_t len)
{
	uint8_t d[64];

	for (unsigned b = 0; b < m->nbanks; b++) {
		ossl_hash(m->algs[b], data, len, d);
		ossl_extend(m->algs[b], m->pcr[b][pcr], d);
	}
	m->extended |= 1u << pcr;
}

static void check_replay(const struct eventlog_pcrs *p, const struct model *m)
{
	assert_int_equal(p->nbanks, m->nbanks);
	assert_int_equal(p->extended, m->extended);
	for (unsigned b = 0; b < m->nbanks; b++) {
		assert_int_equal(p->banks[b].alg, m->algs[b]);
		assert_int_equal(p->banks[b].status, EVENTLOG_BANK_OK);
		for (unsigned i = 0; i < EVENTLOG_PCR_COUNT; i++) {
			const uint8_t *v = eventlog_pcr_value(p, m->algs[b], i);

			assert_non_null(v);
			assert_memory_equal(v, m->pcr[b][i], ossl_size(m->algs[b]));
		}
	}
}

/* ---- hand-rolled log builder (independent of the writer) ------------------ */

struct lb {
	uint8_t buf[LOG_CAP];
	size_t len;
};

static void lb_bytes(struct lb *l, const void *p, size_t n)
{
	assert_true(n <= sizeof(l->buf) - l->len);
	if (n)
		memcpy(l->buf + l->len, p, n);
	l->len += n;
}

static void lb_u8(struct lb *l, uint8_t v) { lb_bytes(l, &v, 1); }

static void lb_u16(struct lb *l, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	lb_bytes(l, b, 2);
}

static void lb_u32(struct lb *l, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	lb_bytes(l, b, 4);
}

/* Knobs for malformed headers; a zeroed struct plus banks gives a good one. */
struct hdr_opts {
	unsigned n;
	uint16_t algs[12];
	uint16_t sizes[12];
	int nalgs_override; /* if set, numberOfAlgorithms written (as u32) */
	uint32_t nalgs_value;
	uint32_t pcr, type;
	uint8_t major, uintn;
	int size_delta;     /* added to the correct EventSize */
	int extra_bytes;    /* junk appended inside the event */
	int bad_digest;     /* non-zero SHA-1 digest field */
	const char *sig;    /* default "Spec ID Event03" */
};

static void hdr_defaults(struct hdr_opts *o, const uint16_t *algs, unsigned n)
{
	memset(o, 0, sizeof(*o));
	o->n = n;
	for (unsigned i = 0; i < n; i++) {
		o->algs[i] = algs[i];
		o->sizes[i] = (uint16_t)ossl_size(algs[i]);
	}
	o->type = 3;
	o->major = 2;
	o->uintn = 2;
}

static void lb_header(struct lb *l, const struct hdr_opts *o)
{
	uint8_t sig[16] = { 0 };
	uint8_t digest[20] = { 0 };
	uint32_t size = 16 + 4 + 4 + 4 + 4 * o->n + 1 + (uint32_t)o->extra_bytes;

	memcpy(sig, o->sig ? o->sig : "Spec ID Event03", 16);
	if (o->bad_digest)
		digest[7] = 1;
	lb_u32(l, o->pcr);
	lb_u32(l, o->type);
	lb_bytes(l, digest, 20);
	lb_u32(l, (uint32_t)((int64_t)size + o->size_delta));
	lb_bytes(l, sig, 16);
	lb_u32(l, 0);
	lb_u8(l, 0);
	lb_u8(l, o->major);
	lb_u8(l, 2);
	lb_u8(l, o->uintn);
	lb_u32(l, o->nalgs_override ? o->nalgs_value : o->n);
	for (unsigned i = 0; i < o->n; i++) {
		lb_u16(l, o->algs[i]);
		lb_u16(l, o->sizes[i]);
	}
	lb_u8(l, 0);
	for (int i = 0; i < o->extra_bytes; i++)
		lb_u8(l, 0xEE);
}

static void lb_good_header(struct lb *l, const uint16_t *algs, unsigned n)
{
	struct hdr_opts o;

	hdr_defaults(&o, algs, n);
	lb_header(l, &o);
}

/* An event with explicit digests (count written = nd unless count >= 0). */
static void lb_event(struct lb *l, uint32_t pcr, uint32_t type, int64_t count,
		     unsigned nd, const uint16_t *algs, const uint8_t (*dig)[64],
		     const void *data, uint32_t len, int64_t size_field)
{
	lb_u32(l, pcr);
	lb_u32(l, type);
	lb_u32(l, count >= 0 ? (uint32_t)count : nd);
	for (unsigned i = 0; i < nd; i++) {
		lb_u16(l, algs[i]);
		lb_bytes(l, dig[i], ossl_size(algs[i]) ? ossl_size(algs[i]) : 32);
	}
	lb_u32(l, size_field >= 0 ? (uint32_t)size_field : len);
	lb_bytes(l, data, len);
}

/* An event whose digests are H(data) in each listed bank (OpenSSL). */
static void lb_hashed(struct lb *l, uint32_t pcr, uint32_t type,
		      const uint16_t *algs, unsigned n, const void *data,
		      uint32_t len)
{
	uint8_t dig[EVENTLOG_MAX_BANKS][64];

	for (unsigned i = 0; i < n; i++)
		ossl_hash(algs[i], data, len, dig[i]);
	lb_event(l, pcr, type, -1, n, algs, (const uint8_t(*)[64])dig, data,
		 len, -1);
}

static void lb_no_action(struct lb *l, uint32_t pcr, const uint16_t *algs,
			 unsigned n, const void *data, uint32_t len)
{
	uint8_t zero[EVENTLOG_MAX_BANKS][64];

	memset(zero, 0, sizeof(zero));
	lb_event(l, pcr, TCG_EV_NO_ACTION, -1, n, algs,
		 (const uint8_t(*)[64])zero, data, len, -1);
}

static void lb_locality(struct lb *l, const uint16_t *algs, unsigned n,
			uint32_t pcr, uint8_t loc, uint32_t size)
{
	uint8_t data[32] = "StartupLocality";

	data[16] = loc;
	lb_no_action(l, pcr, algs, n, data, size);
}

/* ---- parse helpers --------------------------------------------------------- */

/* Events in the log, or the first error. Copies into an exact-size heap
 * buffer so that ASan catches any read past len. */
static int parse_all(const uint8_t *buf, size_t len, size_t *err_offset)
{
	struct eventlog_reader r;
	struct eventlog_event ev;
	uint8_t *copy = malloc(len ? len : 1);
	int ret, n = 0;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	ret = eventlog_reader_init(&r, copy, len);
	if (ret == EVENTLOG_OK)
		while ((ret = eventlog_reader_next(&r, &ev)) == 1)
			n++;
	if (ret == 0)
		ret = n;
	else if (err_offset)
		*err_offset = r.err_offset;
	free(copy);
	return ret;
}

static int replay_copy(const uint8_t *buf, size_t len, struct eventlog_pcrs *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	ret = eventlog_replay(copy, len, p);
	free(copy);
	return ret;
}

/* ---- scenarios shared with the tpm2-tools comparison ----------------------- */

struct scenario_out {
	struct model m;
	size_t bounds[256]; /* log length after the header and after each event */
	unsigned nbounds;
};

static void note_bound(struct scenario_out *s, size_t len)
{
	assert_true(s->nbounds < 256);
	s->bounds[s->nbounds++] = len;
}

/* Append with the writer and mirror the event in the model. */
static void w_event(struct eventlog_writer *w, struct scenario_out *s,
		    uint32_t pcr, uint32_t type, const void *data, size_t len)
{
	struct eventlog_digests out;
	uint8_t d[64];

	assert_int_equal(eventlog_append(w, pcr, type, data, len, &out),
			 EVENTLOG_OK);
	/* The digests handed back for the TPM are H(data) in each bank. */
	assert_int_equal(out.count, w->nbanks);
	for (unsigned b = 0; b < out.count; b++) {
		assert_int_equal(out.d[b].alg, w->banks[b]);
		assert_int_equal(out.d[b].size, ossl_size(w->banks[b]));
		ossl_hash(w->banks[b], data, len, d);
		assert_memory_equal(out.d[b].value, d, out.d[b].size);
	}
	model_event(&s->m, pcr, data, len);
	note_bound(s, w->len);
}

static const char kernel_line[] =
	"airlock kernel: sha256="
	"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
	" size=11534336";
static const char initrd_line[] =
	"airlock initrd: sha256="
	"b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"
	" size=52428800";

/* The events /init and the agent write, in order (docs/eventlog.md). */
static void runtime_events(struct eventlog_writer *w, struct scenario_out *s)
{
	static const char cmdline[] =
		"console=ttyS0,115200 airlock.verifier=10.0.0.1:8881 "
		"airlock.net=dhcp quiet";
	static const char config[] =
		"net=dhcp\nscrub=full\nverifier=10.0.0.1:8881\n";
	static const char scrub[] =
		"airlock scrub: bytes=34359738368 coverage_permille=1000 "
		"result=pass";
	static const char tenant_cmdline[] = "root=/dev/mapper/root ro quiet";
	static const uint8_t sep[AIRLOCK_SEPARATOR_SIZE] = { 0 };
	uint8_t tagged[256];
	size_t tagged_len;

	w_event(w, s, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_CMDLINE, cmdline,
		strlen(cmdline));
	assert_int_equal(eventlog_tagged_event(AIRLOCK_TAG_CONFIG, config,
					       strlen(config), tagged,
					       sizeof(tagged), &tagged_len),
			 EVENTLOG_OK);
	w_event(w, s, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_CONFIG, tagged, tagged_len);
	w_event(w, s, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_PHASE, scrub, strlen(scrub));
	w_event(w, s, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_PAYLOAD, kernel_line,
		strlen(kernel_line));
	w_event(w, s, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_PAYLOAD, initrd_line,
		strlen(initrd_line));
	w_event(w, s, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_PAYLOAD, tenant_cmdline,
		strlen(tenant_cmdline));
	w_event(w, s, AIRLOCK_PCR_RUNTIME, AIRLOCK_EV_SEPARATOR, sep, sizeof(sep));
	w_event(w, s, AIRLOCK_PCR_PAYLOAD, AIRLOCK_EV_SEPARATOR, sep, sizeof(sep));
}

/* Deterministic events across all 24 PCRs, sizes 0..~3000 bytes. */
static void spread_events(struct eventlog_writer *w, struct scenario_out *s)
{
	/* Types whose data tpm2_eventlog does not parse as a structure. */
	static const uint32_t types[8] = { 0x1, 0x2, 0x4, 0x5, 0x6, 0x8, 0xC,
					   0xD };
	static uint8_t data[3100];
	uint32_t x = 0x12345678;

	for (unsigned i = 0; i < 60; i++) {
		size_t len = (i * 53) % sizeof(data);

		if (i % 7 == 0)
			len = 0;
		for (size_t j = 0; j < len; j++) {
			x = x * 1103515245u + 12345u;
			data[j] = (uint8_t)(x >> 16);
		}
		w_event(w, s, i % EVENTLOG_PCR_COUNT, types[i % 8], data, len);
	}
}

/* Firmware-style log built by hand: StartupLocality 3, sha1+sha256. */
static void firmware_log(struct lb *l, struct model *m, uint8_t loc)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static const uint8_t crtm[] = { '1', 0, '.', 0, '0', 0, 0, 0 };
	static const uint8_t sp800[] = "SP800-155 Event";
	static const uint8_t sep[4] = { 0 };
	uint8_t blob_dig[2][64];
	uint8_t blob[16];

	model_init(m, algs, 2);
	lb_good_header(l, algs, 2);
	lb_locality(l, algs, 2, 0, loc, 17);
	model_locality(m, loc);
	lb_hashed(l, 0, TCG_EV_S_CRTM_VERSION, algs, 2, crtm, sizeof(crtm));
	model_event(m, 0, crtm, sizeof(crtm));
	/* A firmware blob: the digest is of the code, not of the event data. */
	memset(blob, 0x42, sizeof(blob));
	memset(blob_dig, 0, sizeof(blob_dig));
	ossl_hash(TPM_ALG_SHA1, "firmware volume", 15, blob_dig[0]);
	ossl_hash(TPM_ALG_SHA256, "firmware volume", 15, blob_dig[1]);
	lb_event(l, 0, TCG_EV_POST_CODE, -1, 2, algs,
		 (const uint8_t(*)[64])blob_dig, blob, sizeof(blob), -1);
	for (unsigned b = 0; b < 2; b++)
		ossl_extend(algs[b], m->pcr[b][0], blob_dig[b]);
	/* Another EV_NO_ACTION: never extended. */
	lb_no_action(l, 0, algs, 2, sp800, sizeof(sp800));
	for (uint32_t pcr = 0; pcr < 8; pcr++) {
		lb_hashed(l, pcr, TCG_EV_SEPARATOR, algs, 2, sep, sizeof(sep));
		model_event(m, pcr, sep, sizeof(sep));
	}
}

/* ---- digest tests ---------------------------------------------------------- */

struct kat {
	uint16_t alg;
	const char *msg;
	const char *hex;
};

/* FIPS 180-2 appendix vectors (one block, multi block) and the empty string. */
static const struct kat kats[] = {
	{ TPM_ALG_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ TPM_ALG_SHA256, "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ TPM_ALG_SHA384, "abc",
	  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
	  "8086072ba1e7cc2358baeca134c825a7" },
	{ TPM_ALG_SHA512, "abc",
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
	{ TPM_ALG_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ TPM_ALG_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ TPM_ALG_SHA384,
	  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
	  "fcc7c71a557e2db966c3e9fa91746039" },
	{ TPM_ALG_SHA512,
	  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	  "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" },
	{ TPM_ALG_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ TPM_ALG_SHA256, "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
};

static void test_digest_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		uint8_t want[64], got[64];
		size_t n = unhex(kats[i].hex, want, sizeof(want));

		assert_int_equal(digest_size(kats[i].alg), n);
		memset(got, 0, sizeof(got));
		assert_int_equal(digest(kats[i].alg, kats[i].msg,
					strlen(kats[i].msg), got),
				 DIGEST_OK);
		assert_memory_equal(got, want, n);
	}
	/* len 0 with a NULL pointer is the empty message. */
	{
		uint8_t want[32], got[32];

		unhex(kats[9].hex, want, sizeof(want));
		assert_int_equal(digest(TPM_ALG_SHA256, NULL, 0, got), DIGEST_OK);
		assert_memory_equal(got, want, 32);
	}
}

/* FIPS 180-2: one million 'a', fed in uneven pieces. */
static void test_digest_incremental(void **state)
{
	static const struct {
		uint16_t alg;
		const char *hex;
	} million[] = {
		{ TPM_ALG_SHA1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
		{ TPM_ALG_SHA256,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	static uint8_t a[1000];
	(void)state;

	memset(a, 'a', sizeof(a));
	for (size_t k = 0; k < 2; k++) {
		struct digest_ctx ctx;
		uint8_t want[64], got[64];
		size_t n = unhex(million[k].hex, want, sizeof(want)), done = 0;

		assert_int_equal(digest_init(&ctx, million[k].alg), DIGEST_OK);
		for (size_t step = 1; done < 1000000; step = step % 997 + 1) {
			size_t chunk = step < 1000000 - done ? step : 1000000 - done;

			assert_int_equal(digest_update(&ctx, a, chunk), DIGEST_OK);
			done += chunk;
		}
		assert_int_equal(digest_final(&ctx, got), DIGEST_OK);
		assert_memory_equal(got, want, n);
		/* The context is released: further use is refused. */
		assert_int_equal(digest_update(&ctx, a, 1), DIGEST_E_ARG);
		assert_int_equal(digest_final(&ctx, got), DIGEST_E_ARG);
		digest_abort(&ctx);
	}
	/* Every known alg: incremental == one-shot (OpenSSL as the judge). */
	{
		static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
						 TPM_ALG_SHA384, TPM_ALG_SHA512 };
		for (size_t k = 0; k < 4; k++) {
			struct digest_ctx ctx;
			uint8_t want[64], got[64];

			ossl_hash(algs[k], a, 777, want);
			assert_int_equal(digest_init(&ctx, algs[k]), DIGEST_OK);
			assert_int_equal(digest_update(&ctx, a, 100), DIGEST_OK);
			assert_int_equal(digest_update(&ctx, NULL, 0), DIGEST_OK);
			assert_int_equal(digest_update(&ctx, a + 100, 677), DIGEST_OK);
			assert_int_equal(digest_final(&ctx, got), DIGEST_OK);
			assert_memory_equal(got, want, ossl_size(algs[k]));
		}
	}
	/* Abort without final releases cleanly (ASan/LSan would report). */
	{
		struct digest_ctx ctx;

		assert_int_equal(digest_init(&ctx, TPM_ALG_SHA512), DIGEST_OK);
		assert_int_equal(digest_update(&ctx, a, 10), DIGEST_OK);
		digest_abort(&ctx);
		digest_abort(&ctx);
	}
}

static void test_digest_unknown_alg(void **state)
{
	/* SM3_256, SHA3_256, TPM_ALG_NULL, TPM_ALG_ERROR, junk */
	static const uint16_t bad[] = { 0x0012, 0x0027, 0x0010, 0x0000, 0xFFFF };
	uint8_t out[64], pcr[64];
	struct digest_ctx ctx;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(digest_size(bad[i]), 0);
		assert_null(digest_name(bad[i]));
		assert_int_equal(digest(bad[i], "abc", 3, out), DIGEST_E_ALG);
		memset(pcr, 0x5A, sizeof(pcr));
		assert_int_equal(pcr_extend(bad[i], pcr, out), DIGEST_E_ALG);
		for (size_t j = 0; j < sizeof(pcr); j++)
			assert_int_equal(pcr[j], 0x5A);
		assert_int_equal(digest_init(&ctx, bad[i]), DIGEST_E_ALG);
	}
	assert_int_equal(digest(TPM_ALG_SHA256, NULL, 3, out), DIGEST_E_ARG);
	assert_int_equal(digest(TPM_ALG_SHA256, "abc", 3, NULL), DIGEST_E_ARG);
	assert_string_equal(digest_name(TPM_ALG_SHA384), "sha384");
}

static void test_pcr_extend(void **state)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
					 TPM_ALG_SHA384, TPM_ALG_SHA512 };
	(void)state;

	for (size_t k = 0; k < 4; k++) {
		uint8_t pcr[64] = { 0 }, want[64] = { 0 }, d[64];
		size_t n = ossl_size(algs[k]);

		for (int i = 0; i < 3; i++) {
			ossl_hash(algs[k], "abcde", 3 + (size_t)i, d);
			ossl_extend(algs[k], want, d);
			assert_int_equal(pcr_extend(algs[k], pcr, d), DIGEST_OK);
			assert_memory_equal(pcr, want, n);
		}
	}
	/* One known answer: SHA-256 extend of zeros with H("abc"). */
	{
		uint8_t pcr[32] = { 0 }, d[32], cat[64] = { 0 }, want[32];

		unhex(kats[1].hex, d, sizeof(d));
		memcpy(cat + 32, d, 32);
		ossl_hash(TPM_ALG_SHA256, cat, 64, want);
		assert_int_equal(pcr_extend(TPM_ALG_SHA256, pcr, d), DIGEST_OK);
		assert_memory_equal(pcr, want, 32);
	}
}

/* ---- published log vectors ------------------------------------------------- */

/*
 * go-attestation tcglog tests: Spec ID Event03 declaring SHA-1 and SHA-256.
 * It carries specErrata 0 (byte 54); our header writes 2 as PFP 1.05 and
 * docs/eventlog.md say, so that one byte is checked on its own.
 */
static const char spec_id_sha1_sha256_hex[] =
	"0000000003000000000000000000000000000000000000000000000025000000"
	"53706563204944204576656e74303300000000000002000202000000040014000b"
	"00200000";

/* TCG CEL v1.1 section 5.1.7: Spec ID + one EV_S_CRTM_VERSION in PCR 0. */
static const char cel_example_hex[] =
	"0000000003000000000000000000000000000000000000000000000025000000"
	"53706563204944204576656e74303300000000000002000202000000040014000b"
	"002000000000000008000000020000000400c42fedad268200cb1d15f97841c344"
	"e79dae33200b00d4720b4009438213b803568017f903093f6bea8ab47d283db32b"
	"6eabedbbf155100000001efb6b540c1d5540a4ad4ef4bf17b83a";

static void test_writer_header_matches_published_bytes(void **state)
{
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static uint8_t buf[256];
	uint8_t want[128];
	struct eventlog_writer w;
	size_t n = unhex(spec_id_sha1_sha256_hex, want, sizeof(want));
	(void)state;

	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 2),
			 EVENTLOG_OK);
	assert_int_equal(w.len, n);
	assert_int_equal(want[54], 0);
	assert_int_equal(buf[54], 2);
	want[54] = 2;
	assert_memory_equal(buf, want, n);
}

static void test_reader_cel_spec_example(void **state)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	uint8_t log[256], d[64];
	size_t len = unhex(cel_example_hex, log, sizeof(log));
	struct eventlog_reader r;
	struct eventlog_event ev;
	struct eventlog_pcrs p;
	struct model m;
	(void)state;

	assert_int_equal(eventlog_reader_init(&r, log, len), EVENTLOG_OK);
	assert_int_equal(r.hdr.nbanks, 2);
	assert_int_equal(r.hdr.banks[0].alg, TPM_ALG_SHA1);
	assert_int_equal(r.hdr.banks[1].size, 32);
	assert_int_equal(r.hdr.spec_errata, 0);
	assert_int_equal(eventlog_reader_next(&r, &ev), 1);
	assert_int_equal(ev.pcr, 0);
	assert_int_equal(ev.type, TCG_EV_S_CRTM_VERSION);
	assert_int_equal(ev.ndigests, 2);
	assert_int_equal(ev.data_size, 16);
	unhex("c42fedad268200cb1d15f97841c344e79dae3320", d, sizeof(d));
	assert_memory_equal(ev.digests[0].value, d, 20);
	unhex("d4720b4009438213b803568017f903093f6bea8ab47d283db32b6eabedbbf155",
	      d, sizeof(d));
	assert_memory_equal(ev.digests[1].value, d, 32);
	/* The example's digests are H(data): OpenSSL and our check agree. */
	ossl_hash(TPM_ALG_SHA256, ev.data, ev.data_size, d);
	assert_memory_equal(ev.digests[1].value, d, 32);
	assert_int_equal(eventlog_event_verify(&ev), EVENTLOG_OK);
	assert_int_equal(eventlog_reader_next(&r, &ev), 0);

	model_init(&m, algs, 2);
	model_event(&m, 0, log + len - 16, 16);
	assert_int_equal(eventlog_replay(log, len, &p), EVENTLOG_OK);
	assert_int_equal(p.startup_locality, -1);
	assert_int_equal(p.nevents, 1);
	check_replay(&p, &m);
}

/* ---- writer/reader round trips ---------------------------------------------- */

static void round_trip(const uint16_t *banks, unsigned nbanks)
{
	static uint8_t buf[LOG_CAP];
	static struct scenario_out s;
	struct eventlog_writer w;
	struct eventlog_reader r;
	struct eventlog_event ev;
	struct eventlog_pcrs p;
	size_t bad = 99;
	int n;

	memset(&s, 0, sizeof(s));
	model_init(&s.m, banks, nbanks);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, nbanks),
			 EVENTLOG_OK);
	note_bound(&s, w.len);
	runtime_events(&w, &s);
	spread_events(&w, &s);

	/* Every record reads back field for field. */
	assert_int_equal(eventlog_reader_init(&r, buf, w.len), EVENTLOG_OK);
	assert_int_equal(r.hdr.nbanks, nbanks);
	assert_int_equal(r.hdr.spec_major, 2);
	assert_int_equal(r.hdr.uintn_size, 2);
	assert_int_equal(r.hdr.size, s.bounds[0]);
	for (unsigned b = 0; b < nbanks; b++) {
		assert_int_equal(r.hdr.banks[b].alg, banks[b]);
		assert_int_equal(r.hdr.banks[b].size, ossl_size(banks[b]));
	}
	n = 0;
	while ((n = eventlog_reader_next(&r, &ev)) == 1) {
		uint8_t d[64];

		assert_int_equal(ev.offset, s.bounds[ev.index]);
		assert_int_equal(ev.ndigests, nbanks);
		for (unsigned b = 0; b < nbanks; b++) {
			assert_int_equal(ev.digests[b].alg, banks[b]);
			ossl_hash(banks[b], ev.data, ev.data_size, d);
			assert_memory_equal(ev.digests[b].value, d,
					    ossl_size(banks[b]));
		}
		assert_int_equal(ev.offset + (size_t)(ev.data + ev.data_size -
						      (buf + ev.offset)),
				 s.bounds[ev.index + 1]);
	}
	assert_int_equal(n, 0);
	assert_int_equal(r.index, s.nbounds - 1);

	/* The first record is the command line, byte for byte. */
	assert_int_equal(eventlog_reader_init(&r, buf, w.len), EVENTLOG_OK);
	assert_int_equal(eventlog_reader_next(&r, &ev), 1);
	assert_int_equal(ev.pcr, 8);
	assert_int_equal(ev.type, TCG_EV_IPL);
	assert_int_equal(ev.data_size, strlen("console=ttyS0,115200 airlock."
					      "verifier=10.0.0.1:8881 airlock."
					      "net=dhcp quiet"));
	assert_memory_equal(ev.data, "console=ttyS0,115200", 20);

	assert_int_equal(replay_copy(buf, w.len, &p), EVENTLOG_OK);
	check_replay(&p, &s.m);
	assert_int_equal(p.nevents, s.nbounds - 1);
	assert_int_equal(eventlog_verify_data_digests(buf, w.len, 0xFFFFFF, &bad),
			 EVENTLOG_OK);
	assert_int_equal(bad, 99);
}

static void test_round_trip_1_bank(void **state)
{
	static const uint16_t b[] = { TPM_ALG_SHA256 };
	(void)state;
	round_trip(b, 1);
}

static void test_round_trip_2_banks(void **state)
{
	static const uint16_t b[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	(void)state;
	round_trip(b, 2);
}

static void test_round_trip_4_banks(void **state)
{
	static const uint16_t b[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
				      TPM_ALG_SHA384, TPM_ALG_SHA512 };
	static const uint16_t rev[] = { TPM_ALG_SHA512, TPM_ALG_SHA384,
					TPM_ALG_SHA1, TPM_ALG_SHA256 };
	(void)state;
	round_trip(b, 4);
	/* Declaration order is kept, whatever it is. */
	round_trip(rev, 4);
}

/* ---- firmware-style log, StartupLocality ------------------------------------ */

static void test_firmware_log_startup_locality(void **state)
{
	static struct lb l;
	static struct model m;
	struct eventlog_pcrs p;
	size_t bad = 99;
	(void)state;

	/* Locality 0 as the control: PCR 0 must differ, PCRs 1-7 must not. */
	{
		static struct lb l0;
		static struct model m0;
		struct eventlog_pcrs p0;

		memset(&l0, 0, sizeof(l0));
		firmware_log(&l0, &m0, 0);
		assert_int_equal(replay_copy(l0.buf, l0.len, &p0), EVENTLOG_OK);
		assert_int_equal(p0.startup_locality, 0);
		check_replay(&p0, &m0);
		memset(&l, 0, sizeof(l));
		firmware_log(&l, &m, 3);
		assert_int_equal(parse_all(l.buf, l.len, NULL), 12);
		assert_int_equal(replay_copy(l.buf, l.len, &p), EVENTLOG_OK);
		assert_int_equal(p.startup_locality, 3);
		check_replay(&p, &m);
		assert_memory_not_equal(eventlog_pcr_value(&p, TPM_ALG_SHA256, 0),
					eventlog_pcr_value(&p0, TPM_ALG_SHA256, 0), 32);
		assert_memory_equal(eventlog_pcr_value(&p, TPM_ALG_SHA1, 7),
				    eventlog_pcr_value(&p0, TPM_ALG_SHA1, 7), 20);
	}
	/* The firmware blob event (index 2) is not H(data); PCR 8/9 are clean. */
	assert_int_equal(eventlog_verify_data_digests(l.buf, l.len, 0xFF, &bad),
			 EVENTLOG_E_MISMATCH);
	assert_int_equal(bad, 2);
	assert_int_equal(eventlog_verify_data_digests(l.buf, l.len,
						      1u << 8 | 1u << 9, NULL),
			 EVENTLOG_OK);
	/* A log with a StartupLocality event resumes fine (sha1, sha256). */
	{
		static uint8_t buf[LOG_CAP];
		struct eventlog_writer w;

		memcpy(buf, l.buf, l.len);
		assert_int_equal(eventlog_writer_resume(&w, buf, sizeof(buf), l.len),
				 EVENTLOG_OK);
		assert_int_equal(w.nbanks, 2);
	}
}

static void test_startup_locality_rules(void **state)
{
	static const uint16_t algs[] = { TPM_ALG_SHA256 };
	static struct lb l;
	struct eventlog_pcrs p;
	struct model m;
	(void)state;

	/* Locality 0 is explicit and still replays from zero. */
	memset(&l, 0, sizeof(l));
	lb_good_header(&l, algs, 1);
	lb_locality(&l, algs, 1, 0, 0, 17);
	lb_hashed(&l, 0, TCG_EV_POST_CODE, algs, 1, "x", 1);
	model_init(&m, algs, 1);
	model_event(&m, 0, "x", 1);
	assert_int_equal(eventlog_replay(l.buf, l.len, &p), EVENTLOG_OK);
	assert_int_equal(p.startup_locality, 0);
	check_replay(&p, &m);

	/* Locality event after PCR 0 was extended. */
	memset(&l, 0, sizeof(l));
	lb_good_header(&l, algs, 1);
	lb_hashed(&l, 0, TCG_EV_POST_CODE, algs, 1, "x", 1);
	lb_locality(&l, algs, 1, 0, 3, 17);
	assert_int_equal(eventlog_replay(l.buf, l.len, &p), EVENTLOG_E_LOCALITY);
	assert_int_equal(p.nbanks, 0);
	assert_null(eventlog_pcr_value(&p, TPM_ALG_SHA256, 0));

	/* Twice. */
	memset(&l, 0, sizeof(l));
	lb_good_header(&l, algs, 1);
	lb_locality(&l, algs, 1, 0, 3, 17);
	lb_locality(&l, algs, 1, 0, 3, 17);
	assert_int_equal(eventlog_replay(l.buf, l.len, &p), EVENTLOG_E_LOCALITY);

	/* Wrong sizes, wrong PCR, impossible locality. */
	for (int c = 0; c < 4; c++) {
		memset(&l, 0, sizeof(l));
		lb_good_header(&l, algs, 1);
		lb_locality(&l, algs, 1, c == 2 ? 1 : 0, c == 3 ? 5 : 3,
			    c == 0 ? 16 : c == 1 ? 18 : 17);
		assert_int_equal(parse_all(l.buf, l.len, NULL), 1);
		assert_int_equal(eventlog_replay(l.buf, l.len, &p),
				 EVENTLOG_E_LOCALITY);
	}

	/* Locality set while another PCR was already extended is fine. */
	memset(&l, 0, sizeof(l));
	lb_good_header(&l, algs, 1);
	lb_hashed(&l, 7, TCG_EV_SEPARATOR, algs, 1, "\0\0\0", 4);
	lb_locality(&l, algs, 1, 0, 3, 17);
	model_init(&m, algs, 1);
	model_event(&m, 7, "\0\0\0", 4);
	model_locality(&m, 3);
	m.extended = 1u << 7; /* PCR 0 holds the locality but was not extended */
	assert_int_equal(eventlog_replay(l.buf, l.len, &p), EVENTLOG_OK);
	check_replay(&p, &m);
}

/* ---- banks the replay cannot or must not use --------------------------------- */

static void test_declared_unknown_alg(void **state)
{
	static const uint16_t algs[] = { TPM_ALG_SHA256, 0x0012 /* SM3_256 */ };
	static uint8_t buf[LOG_CAP];
	static struct lb l;
	uint8_t dig[2][64];
	struct eventlog_pcrs p;
	struct eventlog_reader r;
	struct eventlog_event ev;
	struct eventlog_writer w;
	struct hdr_opts o;
	struct model m;
	(void)state;

	memset(&l, 0, sizeof(l));
	hdr_defaults(&o, algs, 2);
	o.sizes[1] = 32;
	lb_header(&l, &o);
	ossl_hash(TPM_ALG_SHA256, "kernel", 6, dig[0]);
	memset(dig[1], 0x33, 32);
	lb_event(&l, 4, 0x80000003u, -1, 2, algs, (const uint8_t(*)[64])dig,
		 "kernel", 6, -1);
	assert_int_equal(parse_all(l.buf, l.len, NULL), 1);
	assert_int_equal(eventlog_replay(l.buf, l.len, &p), EVENTLOG_OK);
	assert_int_equal(p.banks[0].status, EVENTLOG_BANK_OK);
	assert_int_equal(p.banks[1].status, EVENTLOG_BANK_UNSUPPORTED);
	assert_null(eventlog_pcr_value(&p, 0x0012, 4));
	model_init(&m, algs, 1);
	model_event(&m, 4, "kernel", 6);
	assert_memory_equal(eventlog_pcr_value(&p, TPM_ALG_SHA256, 4),
			    m.pcr[0][4], 32);
	/* Verification cannot vouch for a digest it cannot compute. */
	assert_int_equal(eventlog_reader_init(&r, l.buf, l.len), EVENTLOG_OK);
	assert_int_equal(eventlog_reader_next(&r, &ev), 1);
	assert_int_equal(eventlog_event_verify(&ev), EVENTLOG_E_ALG);
	/* Nor append to it: every bank must be hashed. */
	memcpy(buf, l.buf, l.len);
	assert_int_equal(eventlog_writer_resume(&w, buf, sizeof(buf), l.len),
			 EVENTLOG_E_ALG);
}

static void test_incomplete_bank(void **state)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static struct lb l;
	struct eventlog_pcrs p;
	struct model m;
	(void)state;

	memset(&l, 0, sizeof(l));
	lb_good_header(&l, algs, 2);
	lb_hashed(&l, 8, TCG_EV_ACTION, algs, 2, "one", 3);
	lb_hashed(&l, 8, TCG_EV_ACTION, algs + 1, 1, "two", 3);
	assert_int_equal(parse_all(l.buf, l.len, NULL), 2);
	assert_int_equal(eventlog_replay(l.buf, l.len, &p), EVENTLOG_OK);
	assert_int_equal(p.banks[0].status, EVENTLOG_BANK_INCOMPLETE);
	assert_null(eventlog_pcr_value(&p, TPM_ALG_SHA1, 8));
	model_init(&m, algs + 1, 1);
	model_event(&m, 8, "one", 3);
	model_event(&m, 8, "two", 3);
	assert_memory_equal(eventlog_pcr_value(&p, TPM_ALG_SHA256, 8),
			    m.pcr[0][8], 32);
}

/* ---- truncation -------------------------------------------------------------- */

static void check_all_prefixes(const uint8_t *buf, size_t len,
			       const size_t *bounds, unsigned nbounds)
{
	unsigned k = 0;

	for (size_t n = 0; n < len; n++) {
		struct eventlog_pcrs p;
		int events = parse_all(buf, n, NULL);
		int rr = replay_copy(buf, n, &p);

		while (k < nbounds && bounds[k] < n)
			k++;
		if (k < nbounds && bounds[k] == n) {
			/* Cut exactly after a record: a valid, shorter log. */
			assert_int_equal(events, (int)k);
			assert_int_equal(rr, EVENTLOG_OK);
			assert_int_equal(p.nevents, k);
		} else {
			if (events >= 0)
				fail_msg("prefix %zu of %zu accepted", n, len);
			assert_true(rr < 0);
			assert_int_equal(p.nbanks, 0);
		}
	}
	assert_int_equal(parse_all(buf, len, NULL), (int)nbounds - 1);
}

static void test_truncation_every_offset(void **state)
{
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
					  TPM_ALG_SHA384, TPM_ALG_SHA512 };
	static uint8_t buf[LOG_CAP];
	static struct scenario_out s;
	static struct lb l;
	struct eventlog_writer w;
	(void)state;

	memset(&s, 0, sizeof(s));
	model_init(&s.m, banks, 4);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 4),
			 EVENTLOG_OK);
	note_bound(&s, w.len);
	runtime_events(&w, &s);
	check_all_prefixes(buf, w.len, s.bounds, s.nbounds);

	/* The same over the hand-built firmware log, bounds from the reader. */
	{
		static struct model m;
		struct eventlog_reader r;
		struct eventlog_event ev;
		size_t bounds[64];
		unsigned nb = 0;

		memset(&l, 0, sizeof(l));
		firmware_log(&l, &m, 3);
		assert_int_equal(eventlog_reader_init(&r, l.buf, l.len), EVENTLOG_OK);
		bounds[nb++] = r.pos;
		while (eventlog_reader_next(&r, &ev) == 1)
			bounds[nb++] = r.pos;
		check_all_prefixes(l.buf, l.len, bounds, nb);
	}
	/* A prefix shorter than the header is never a log. */
	assert_int_equal(parse_all(buf, 0, NULL), EVENTLOG_E_TRUNCATED);
	assert_int_equal(parse_all(buf, 31, NULL), EVENTLOG_E_TRUNCATED);
}

/* ---- corrupted headers and records ------------------------------------------- */

static const uint16_t two[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };

static int header_case(void (*mut)(struct hdr_opts *))
{
	static struct lb l;
	struct hdr_opts o;

	memset(&l, 0, sizeof(l));
	hdr_defaults(&o, two, 2);
	mut(&o);
	lb_header(&l, &o);
	lb_hashed(&l, 8, TCG_EV_ACTION, two, 2, "after", 5);
	return parse_all(l.buf, l.len, NULL);
}

static void m_size20(struct hdr_opts *o) { o->sizes[1] = 20; }
static void m_sha1_32(struct hdr_opts *o) { o->sizes[0] = 32; }
static void m_unknown0(struct hdr_opts *o) { o->algs[1] = 0x0012; o->sizes[1] = 0; }
static void m_unknown65(struct hdr_opts *o) { o->algs[1] = 0x0012; o->sizes[1] = 65; }
static void m_nalgs0(struct hdr_opts *o) { o->n = 0; }
static void m_nalgs9(struct hdr_opts *o)
{
	o->n = 9;
	for (unsigned i = 0; i < 9; i++) {
		o->algs[i] = (uint16_t)(0x0100 + i);
		o->sizes[i] = 32;
	}
}
static void m_nalgs_huge(struct hdr_opts *o) { o->nalgs_override = 1; o->nalgs_value = 0xFFFFFFFFu; }
static void m_nalgs_more(struct hdr_opts *o) { o->nalgs_override = 1; o->nalgs_value = 3; }
static void m_dup(struct hdr_opts *o) { o->algs[1] = TPM_ALG_SHA1; o->sizes[1] = 20; }
static void m_size_huge(struct hdr_opts *o) { o->size_delta = 0x7FFFFFFF; }
static void m_size_plus1(struct hdr_opts *o) { o->size_delta = 1; }
static void m_size_minus1(struct hdr_opts *o) { o->size_delta = -1; }
static void m_trailing(struct hdr_opts *o) { o->extra_bytes = 1; }
/* EventSize 20: the signature and platformClass, nothing more. */
static void m_size_short(struct hdr_opts *o) { o->size_delta = 20 - (28 + 8 + 1); }
static void m_major1(struct hdr_opts *o) { o->major = 1; }
static void m_uintn3(struct hdr_opts *o) { o->uintn = 3; }
static void m_digest(struct hdr_opts *o) { o->bad_digest = 1; }
static void m_pcr1(struct hdr_opts *o) { o->pcr = 1; }
static void m_type8(struct hdr_opts *o) { o->type = 8; }
static void m_sig02(struct hdr_opts *o) { o->sig = "Spec ID Event02"; }
static void m_sig00(struct hdr_opts *o) { o->sig = "Spec ID Event00"; }
static void m_nop(struct hdr_opts *o) { (void)o; }

static void test_corrupt_header(void **state)
{
	(void)state;
	assert_int_equal(header_case(m_nop), 1);
	assert_int_equal(header_case(m_size20), EVENTLOG_E_DIGEST_SIZE);
	assert_int_equal(header_case(m_sha1_32), EVENTLOG_E_DIGEST_SIZE);
	assert_int_equal(header_case(m_unknown0), EVENTLOG_E_DIGEST_SIZE);
	assert_int_equal(header_case(m_unknown65), EVENTLOG_E_DIGEST_SIZE);
	assert_int_equal(header_case(m_nalgs0), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_nalgs9), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_nalgs_huge), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_nalgs_more), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_dup), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_size_huge), EVENTLOG_E_EVENT_SIZE);
	assert_int_equal(header_case(m_size_plus1), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_size_minus1), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_trailing), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_size_short), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_major1), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_uintn3), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_digest), EVENTLOG_E_HEADER);
	assert_int_equal(header_case(m_pcr1), EVENTLOG_E_NOT_AGILE);
	assert_int_equal(header_case(m_type8), EVENTLOG_E_NOT_AGILE);
	assert_int_equal(header_case(m_sig02), EVENTLOG_E_NOT_AGILE);
	assert_int_equal(header_case(m_sig00), EVENTLOG_E_NOT_AGILE);
}

/* A TPM 1.2 / SHA-1-only log: TCG_PCClientPCREvent records throughout. */
static void test_legacy_sha1_log_rejected(void **state)
{
	static struct lb l;
	uint8_t d[20];
	(void)state;

	memset(&l, 0, sizeof(l));
	ossl_hash(TPM_ALG_SHA1, "1.0", 3, d);
	lb_u32(&l, 0);
	lb_u32(&l, TCG_EV_S_CRTM_VERSION);
	lb_bytes(&l, d, 20);
	lb_u32(&l, 3);
	lb_bytes(&l, "1.0", 3);
	lb_u32(&l, 0);
	lb_u32(&l, TCG_EV_SEPARATOR);
	ossl_hash(TPM_ALG_SHA1, "\0\0\0", 4, d);
	lb_bytes(&l, d, 20);
	lb_u32(&l, 4);
	lb_u32(&l, 0);
	assert_int_equal(parse_all(l.buf, l.len, NULL), EVENTLOG_E_NOT_AGILE);
	assert_string_equal(eventlog_strerror(EVENTLOG_E_NOT_AGILE),
			    "not a crypto-agile log (first event is not Spec ID Event03)");
}

static void test_corrupt_records(void **state)
{
	static struct lb l;
	static const uint16_t sha384[] = { TPM_ALG_SHA384 };
	static const uint16_t dup[] = { TPM_ALG_SHA256, TPM_ALG_SHA256 };
	uint8_t dig[3][64];
	size_t off, rec;
	(void)state;

	memset(dig, 0x11, sizeof(dig));
#define CASE(expect, ...)                                                    \
	do {                                                                 \
		memset(&l, 0, sizeof(l));                                    \
		lb_good_header(&l, two, 2);                                  \
		lb_hashed(&l, 8, TCG_EV_ACTION, two, 2, "ok", 2);            \
		rec = l.len;                                                 \
		__VA_ARGS__;                                                 \
		assert_int_equal(parse_all(l.buf, l.len, &off), expect);     \
	} while (0)

	/* count 0, count above the declared two, a repeated alg */
	CASE(EVENTLOG_E_COUNT,
	     lb_event(&l, 8, 5, 0, 0, two, (const uint8_t(*)[64])dig, "x", 1, -1));
	assert_int_equal(off, rec + 12);
	CASE(EVENTLOG_E_COUNT,
	     lb_event(&l, 8, 5, 3, 2, two, (const uint8_t(*)[64])dig, "x", 1, -1));
	CASE(EVENTLOG_E_COUNT,
	     lb_event(&l, 8, 5, -1, 2, dup, (const uint8_t(*)[64])dig, "x", 1, -1));
	/* an algorithm the header did not declare */
	CASE(EVENTLOG_E_ALG,
	     lb_event(&l, 8, 5, -1, 1, sha384, (const uint8_t(*)[64])dig, "x", 1, -1));
	assert_int_equal(off, rec + 14);
	/* count says two, only one digest follows: the next bytes are read as
	 * an alg id (0x0001 from EventSize) that was not declared */
	CASE(EVENTLOG_E_ALG,
	     lb_event(&l, 8, 5, 2, 1, two + 1, (const uint8_t(*)[64])dig, "x", 1, -1));
	/* EventSize beyond what remains, absurd and by one */
	CASE(EVENTLOG_E_EVENT_SIZE,
	     lb_event(&l, 8, 5, -1, 2, two, (const uint8_t(*)[64])dig, "x", 1,
		      0xFFFFFFFF));
	CASE(EVENTLOG_E_EVENT_SIZE,
	     lb_event(&l, 8, 5, -1, 2, two, (const uint8_t(*)[64])dig, "x", 1, 2));
	/* PCR index out of range */
	CASE(EVENTLOG_E_PCR,
	     lb_event(&l, 24, 5, -1, 2, two, (const uint8_t(*)[64])dig, "x", 1, -1));
	CASE(EVENTLOG_E_PCR,
	     lb_event(&l, 0xFFFFFFFF, 5, -1, 2, two, (const uint8_t(*)[64])dig,
		      "x", 1, -1));
	/* junk after the last record, and the zero padding of a raw ACPI area */
	CASE(EVENTLOG_E_TRUNCATED, lb_bytes(&l, "abc", 3));
	CASE(EVENTLOG_E_COUNT, lb_bytes(&l, (uint8_t[32]){ 0 }, 32));
	/* a smaller EventSize leaves a record boundary on garbage */
	CASE(EVENTLOG_E_PCR,
	     lb_event(&l, 8, 5, -1, 2, two, (const uint8_t(*)[64])dig,
		      "abcdefghijklmnop", 16, 4));
#undef CASE
}

/* A single event digest flipped: parse is fine, verification catches it. */
static void test_verify_detects_tampered_data(void **state)
{
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static uint8_t buf[LOG_CAP];
	static struct scenario_out s;
	struct eventlog_writer w;
	struct eventlog_pcrs p;
	size_t bad = 99;
	(void)state;

	memset(&s, 0, sizeof(s));
	model_init(&s.m, banks, 2);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 2),
			 EVENTLOG_OK);
	note_bound(&s, w.len);
	runtime_events(&w, &s);
	/* Event 2 is the scrub line; change "pass" to "pasS" in its data. */
	assert_memory_equal(buf + s.bounds[3] - 4, "pass", 4);
	buf[s.bounds[3] - 1] = 'S';
	assert_int_equal(parse_all(buf, w.len, NULL), 8);
	assert_int_equal(eventlog_verify_data_digests(buf, w.len, 1u << 8, &bad),
			 EVENTLOG_E_MISMATCH);
	assert_int_equal(bad, 2);
	/* Replay follows the digests, not the data: PCRs are as measured. */
	assert_int_equal(eventlog_replay(buf, w.len, &p), EVENTLOG_OK);
	check_replay(&p, &s.m);
	/* Tampering a digest instead changes the replayed PCR. */
	buf[s.bounds[3] - 1] = 's';
	buf[s.bounds[1] + 14] ^= 1; /* event 1's first SHA-1 digest byte */
	assert_int_equal(eventlog_verify_data_digests(buf, w.len, 1u << 8, &bad),
			 EVENTLOG_E_MISMATCH);
	assert_int_equal(bad, 1);
	assert_int_equal(eventlog_replay(buf, w.len, &p), EVENTLOG_OK);
	assert_memory_not_equal(eventlog_pcr_value(&p, TPM_ALG_SHA1, 8),
				s.m.pcr[0][8], 20);
	assert_memory_equal(eventlog_pcr_value(&p, TPM_ALG_SHA256, 8),
			    s.m.pcr[1][8], 32);
}

/* ---- writer limits --------------------------------------------------------- */

static void test_append_overflow_leaves_log_unchanged(void **state)
{
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
					  TPM_ALG_SHA384, TPM_ALG_SHA512 };
	/* header 77 bytes; one record = 16 + 4*2 + 164 digest bytes + data */
	enum { HDR = 32 + 29 + 16, REC = 16 + 8 + 20 + 32 + 48 + 64 };
	static uint8_t buf[HDR + 2 * REC + 100 + 10];
	static uint8_t snap[sizeof(buf)];
	static uint8_t data[200];
	struct eventlog_writer w, wsnap;
	struct eventlog_digests out;
	(void)state;

	memset(buf, 0xA5, sizeof(buf));
	memset(data, 'd', sizeof(data));
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 4),
			 EVENTLOG_OK);
	assert_int_equal(w.len, HDR);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, data, 100, NULL),
			 EVENTLOG_OK);
	assert_int_equal(w.len, HDR + REC + 100);
	/* Remaining: REC + 10. A record with 11 data bytes is one too many. */
	memcpy(snap, buf, sizeof(buf));
	wsnap = w;
	memset(&out, 0x77, sizeof(out));
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, data, 11, &out),
			 EVENTLOG_E_NOSPACE);
	assert_memory_equal(buf, snap, sizeof(buf));
	assert_memory_equal(&w, &wsnap, sizeof(w));
	assert_int_equal(out.count, 0x77777777u); /* untouched on error */
	/* Far too big, and SIZE_MAX (no overflow in the size arithmetic). */
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, data, 200, NULL),
			 EVENTLOG_E_NOSPACE);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, data,
					 (size_t)UINT32_MAX, NULL),
			 EVENTLOG_E_NOSPACE);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_ACTION, data, SIZE_MAX, NULL),
			 EVENTLOG_E_ARG);
	assert_memory_equal(buf, snap, sizeof(buf));
	assert_memory_equal(&w, &wsnap, sizeof(w));
	/* Exactly full works, and the log is still valid. */
	assert_int_equal(eventlog_append(&w, 9, TCG_EV_IPL, data, 10, NULL),
			 EVENTLOG_OK);
	assert_int_equal(w.len, sizeof(buf));
	assert_int_equal(eventlog_append(&w, 9, TCG_EV_IPL, NULL, 0, NULL),
			 EVENTLOG_E_NOSPACE);
	assert_int_equal(parse_all(buf, w.len, NULL), 2);

	/* init: a buffer one byte short of the header. */
	memset(buf, 0xA5, sizeof(buf));
	memcpy(snap, buf, sizeof(buf));
	assert_int_equal(eventlog_writer_init(&w, buf, HDR - 1, banks, 4),
			 EVENTLOG_E_NOSPACE);
	assert_memory_equal(buf, snap, sizeof(buf));
	assert_int_equal(eventlog_writer_init(&w, buf, HDR, banks, 4), EVENTLOG_OK);
}

static void test_writer_rejects_bad_input(void **state)
{
	static const uint16_t unknown[] = { TPM_ALG_SHA256, 0x0012 };
	static const uint16_t dup[] = { TPM_ALG_SHA256, TPM_ALG_SHA256 };
	static const uint16_t nine[9] = { TPM_ALG_SHA256 };
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static uint8_t buf[4096], snap[4096];
	struct eventlog_writer w, wsnap;
	struct eventlog_digests d;
	(void)state;

	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), unknown, 2),
			 EVENTLOG_E_ALG);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), dup, 2),
			 EVENTLOG_E_ARG);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 0),
			 EVENTLOG_E_ARG);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), nine, 9),
			 EVENTLOG_E_ARG);
	assert_int_equal(eventlog_writer_init(&w, NULL, sizeof(buf), banks, 2),
			 EVENTLOG_E_ARG);
	/* A writer that failed to init refuses to append. */
	assert_int_equal(eventlog_append(&w, 8, 5, "x", 1, NULL), EVENTLOG_E_ARG);

	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 2),
			 EVENTLOG_OK);
	memcpy(snap, buf, sizeof(buf));
	wsnap = w;
	assert_int_equal(eventlog_append(&w, 24, 5, "x", 1, NULL), EVENTLOG_E_PCR);
	assert_int_equal(eventlog_append(&w, 8, TCG_EV_NO_ACTION, "x", 1, NULL),
			 EVENTLOG_E_TYPE);
	assert_int_equal(eventlog_append(&w, 8, 5, NULL, 1, NULL), EVENTLOG_E_ARG);

	memset(&d, 0, sizeof(d));
	d.count = 2;
	d.d[0].alg = TPM_ALG_SHA1;
	d.d[0].size = 20;
	d.d[1].alg = TPM_ALG_SHA256;
	d.d[1].size = 32;
	d.count = 1;
	assert_int_equal(eventlog_append_digests(&w, 0, 3, &d, "x", 1),
			 EVENTLOG_E_COUNT);
	d.count = 2;
	d.d[1].alg = TPM_ALG_SHA384;
	assert_int_equal(eventlog_append_digests(&w, 0, 3, &d, "x", 1),
			 EVENTLOG_E_ALG);
	d.d[1].alg = TPM_ALG_SHA256;
	d.d[1].size = 48;
	assert_int_equal(eventlog_append_digests(&w, 0, 3, &d, "x", 1),
			 EVENTLOG_E_DIGEST_SIZE);
	d.d[1].size = 32;
	assert_int_equal(eventlog_append_digests(&w, 30, 3, &d, "x", 1),
			 EVENTLOG_E_PCR);
	assert_memory_equal(buf, snap, sizeof(buf));
	assert_memory_equal(&w, &wsnap, sizeof(w));
	assert_int_equal(eventlog_append_digests(&w, 0, 3, &d, "x", 1), EVENTLOG_OK);
	assert_int_equal(parse_all(buf, w.len, NULL), 1);
}

static void test_resume_continues_the_same_log(void **state)
{
	static const uint16_t banks[] = { TPM_ALG_SHA256, TPM_ALG_SHA384 };
	static uint8_t a[LOG_CAP], b[LOG_CAP];
	static struct scenario_out sa, sb;
	struct eventlog_writer wa, wb;
	size_t half;
	(void)state;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	model_init(&sa.m, banks, 2);
	model_init(&sb.m, banks, 2);
	assert_int_equal(eventlog_writer_init(&wa, a, sizeof(a), banks, 2), EVENTLOG_OK);
	runtime_events(&wa, &sa);
	spread_events(&wa, &sa);

	assert_int_equal(eventlog_writer_init(&wb, b, sizeof(b), banks, 2), EVENTLOG_OK);
	runtime_events(&wb, &sb);
	half = wb.len;
	/* The agent picks up /init's log: same bytes, same banks. */
	memset(&wb, 0, sizeof(wb));
	assert_int_equal(eventlog_writer_resume(&wb, b, sizeof(b), half), EVENTLOG_OK);
	assert_int_equal(wb.nbanks, 2);
	assert_int_equal(wb.banks[1], TPM_ALG_SHA384);
	spread_events(&wb, &sb);
	assert_int_equal(wa.len, wb.len);
	assert_memory_equal(a, b, wa.len);

	/* Resuming a damaged or oversized log is refused. */
	assert_int_equal(eventlog_writer_resume(&wb, b, sizeof(b), half - 1),
			 EVENTLOG_E_EVENT_SIZE);
	assert_int_equal(eventlog_writer_resume(&wb, b, 10, half), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_append(&wb, 8, 5, "x", 1, NULL), EVENTLOG_E_ARG);
}

static void test_tagged_event(void **state)
{
	static const uint8_t want[] = { 0x41, 0x49, 0x52, 0x43, 3, 0, 0, 0,
					'a',  '=',  '1' };
	uint8_t out[16];
	size_t n = 0;
	(void)state;

	assert_int_equal(eventlog_tagged_event(AIRLOCK_TAG_CONFIG, "a=1", 3, out,
					       sizeof(out), &n),
			 EVENTLOG_OK);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(eventlog_tagged_event(1, "a=1", 3, out, 10, &n),
			 EVENTLOG_E_NOSPACE);
	assert_int_equal(eventlog_tagged_event(1, NULL, 0, out, 8, &n), EVENTLOG_OK);
	assert_int_equal(n, 8);
}

/* Verifier path: the firmware log, then the runtime log, into one set. */
static void test_replay_continue(void **state)
{
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static const uint16_t only256[] = { TPM_ALG_SHA256 };
	static uint8_t buf[LOG_CAP];
	static struct scenario_out s;
	static struct lb fw, other;
	struct eventlog_writer w;
	struct eventlog_pcrs p, alone;
	(void)state;

	/* Firmware log with locality 3 and PCR 9 already extended by a loader. */
	memset(&fw, 0, sizeof(fw));
	memset(&s, 0, sizeof(s));
	firmware_log(&fw, &s.m, 3);
	lb_hashed(&fw, 9, TCG_EV_EVENT_TAG, banks, 2, "linux initrd", 12);
	model_event(&s.m, 9, "linux initrd", 12);
	assert_int_equal(eventlog_writer_init(&w, buf, sizeof(buf), banks, 2),
			 EVENTLOG_OK);
	runtime_events(&w, &s);

	assert_int_equal(eventlog_replay(fw.buf, fw.len, &p), EVENTLOG_OK);
	assert_int_equal(eventlog_replay_continue(buf, w.len, &p), EVENTLOG_OK);
	assert_int_equal(p.startup_locality, 3);
	assert_int_equal(p.nevents, 13 + 8);
	check_replay(&p, &s.m);
	/* The runtime log alone gets PCR 9 wrong on such a machine. */
	assert_int_equal(eventlog_replay(buf, w.len, &alone), EVENTLOG_OK);
	assert_memory_not_equal(eventlog_pcr_value(&alone, TPM_ALG_SHA256, 9),
				eventlog_pcr_value(&p, TPM_ALG_SHA256, 9), 32);

	/* A second log without the SHA-1 bank: SHA-1 becomes unusable. */
	memset(&other, 0, sizeof(other));
	lb_good_header(&other, only256, 1);
	lb_hashed(&other, 8, TCG_EV_ACTION, only256, 1, "x", 1);
	assert_int_equal(eventlog_replay(fw.buf, fw.len, &p), EVENTLOG_OK);
	assert_int_equal(eventlog_replay_continue(other.buf, other.len, &p),
			 EVENTLOG_OK);
	assert_null(eventlog_pcr_value(&p, TPM_ALG_SHA1, 8));
	assert_non_null(eventlog_pcr_value(&p, TPM_ALG_SHA256, 8));

	/* A second StartupLocality, a broken second log, a failed first one. */
	assert_int_equal(eventlog_replay(fw.buf, fw.len, &p), EVENTLOG_OK);
	assert_int_equal(eventlog_replay_continue(fw.buf, fw.len, &p),
			 EVENTLOG_E_LOCALITY);
	assert_int_equal(p.nbanks, 0);
	assert_int_equal(eventlog_replay(fw.buf, fw.len, &p), EVENTLOG_OK);
	assert_int_equal(eventlog_replay_continue(buf, w.len - 1, &p),
			 EVENTLOG_E_EVENT_SIZE);
	assert_null(eventlog_pcr_value(&p, TPM_ALG_SHA256, 0));
	assert_int_equal(eventlog_replay_continue(buf, w.len, &p), EVENTLOG_E_ARG);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A log shaped like coreboot's CBMEM TPM2 log: a TCG_PCR_EVENT header with a
 * Spec ID Event03 declaring sha256 only and 13 bytes of vendor info, then
 * fixed-size TCG_PCR_EVENT2 entries (EV_ACTION, a 50-byte NUL-padded name),
 * then max - used entries of zeros. Returns the bytes written.
 */
static size_t coreboot_log(uint8_t *b, size_t cap, unsigned used, unsigned max)
{
	static const char *names[] = { "FMAP: FMAP", "CBFS: bootblock", "CBFS: fallback/romstage",
				       "CBFS: fallback/postcar", "CBFS: fallback/ramstage",
				       "CBFS: fallback/payload" };
	const size_t entry = 4 + 4 + 4 + 2 + 32 + 4 + 50;
	size_t pos = 0;

	assert_true(cap >= 32 + 33 + 13 + max * entry);
	memset(b, 0, cap);
	put_le(b + 4, 3, 4); /* EV_NO_ACTION; PCR 0 and a zero SHA-1 digest */
	put_le(b + 28, 33 + 13, 4);
	pos = 32;
	memcpy(b + pos, "Spec ID Event03", 16);
	b[pos + 21] = 2;     /* spec 2.0, errata 0 */
	b[pos + 23] = 2;     /* uintnSize: 64-bit */
	put_le(b + pos + 24, 1, 4);
	put_le(b + pos + 28, TPM_ALG_SHA256, 2);
	put_le(b + pos + 30, 32, 2);
	b[pos + 32] = 13;
	pos += 33 + 13;
	for (unsigned i = 0; i < used; i++, pos += entry) {
		const char *name = names[i % 6];

		put_le(b + pos, 2, 4);
		put_le(b + pos + 4, 5, 4); /* EV_ACTION */
		put_le(b + pos + 8, 1, 4);
		put_le(b + pos + 12, TPM_ALG_SHA256, 2);
		ossl_hash(TPM_ALG_SHA256, name, strlen(name), b + pos + 14);
		put_le(b + pos + 46, 50, 4);
		memcpy(b + pos + 50, name, strlen(name));
	}
	return 32 + 33 + 13 + max * entry;
}

static void test_used_length_zero_padded_table(void **state)
{
	static uint8_t b[8192];
	const size_t header = 32 + 33 + 13, entry = 100;
	size_t len, used, n;
	struct eventlog_pcrs p;
	(void)state;

	len = coreboot_log(b, sizeof(b), 6, 50);
	assert_int_equal(eventlog_used_length(b, len, &used, &n), EVENTLOG_OK);
	assert_int_equal(n, 6);
	assert_int_equal(used, header + 6 * entry);
	/* The trimmed log replays; the padded one does not (zero digest count). */
	assert_int_equal(eventlog_replay(b, used, &p), EVENTLOG_OK);
	assert_int_not_equal(eventlog_replay(b, len, &p), EVENTLOG_OK);
	/* No events yet: the header only. */
	len = coreboot_log(b, sizeof(b), 0, 50);
	assert_int_equal(eventlog_used_length(b, len, &used, &n), EVENTLOG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(used, header);
	/* A full table has no padding. */
	len = coreboot_log(b, sizeof(b), 50, 50);
	assert_int_equal(eventlog_used_length(b, len, &used, &n), EVENTLOG_OK);
	assert_int_equal(n, 50);
	assert_int_equal(used, len);
	/* A corrupt entry before the padding is an error, not the end. */
	coreboot_log(b, sizeof(b), 3, 50);
	put_le(b + header + entry + 8, 7, 4); /* 7 digests, 1 declared */
	assert_int_equal(eventlog_used_length(b, len, &used, &n), EVENTLOG_E_COUNT);
	assert_int_equal(eventlog_used_length(b, 10, &used, &n), EVENTLOG_E_TRUNCATED);
	assert_int_equal(eventlog_used_length(NULL, 10, &used, &n), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_used_length(b, len, NULL, &n), EVENTLOG_E_ARG);
}

static void test_api_misuse(void **state)
{
	static const int codes[] = {
		EVENTLOG_OK, EVENTLOG_E_ARG, EVENTLOG_E_NOSPACE,
		EVENTLOG_E_TRUNCATED, EVENTLOG_E_NOT_AGILE, EVENTLOG_E_HEADER,
		EVENTLOG_E_ALG, EVENTLOG_E_DIGEST_SIZE, EVENTLOG_E_COUNT,
		EVENTLOG_E_EVENT_SIZE, EVENTLOG_E_PCR, EVENTLOG_E_LOCALITY,
		EVENTLOG_E_MISMATCH, EVENTLOG_E_CRYPTO, EVENTLOG_E_TYPE,
	};
	struct eventlog_reader r;
	struct eventlog_event ev;
	struct eventlog_pcrs p;
	size_t n;
	(void)state;

	/* Every code has its own text; anything else is "unknown error". */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_string_not_equal(eventlog_strerror(codes[i]), "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(eventlog_strerror(codes[i]),
						eventlog_strerror(codes[j]));
	}
	assert_string_equal(eventlog_strerror(-99), "unknown error");
	assert_string_equal(eventlog_strerror(1), "unknown error");

	assert_int_equal(eventlog_reader_init(NULL, "x", 1), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_reader_init(&r, NULL, 1), EVENTLOG_E_ARG);
	/* A reader whose init failed yields no events. */
	assert_int_equal(eventlog_reader_next(&r, &ev), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_reader_init(&r, NULL, 0), EVENTLOG_E_TRUNCATED);
	assert_int_equal(eventlog_reader_next(&r, &ev), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_reader_next(NULL, &ev), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_event_verify(NULL), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_replay("x", 1, NULL), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_replay(NULL, 0, &p), EVENTLOG_E_TRUNCATED);
	assert_null(eventlog_pcr_value(NULL, TPM_ALG_SHA256, 0));
	assert_null(eventlog_pcr_value(&p, TPM_ALG_SHA256, 24));
	assert_int_equal(eventlog_tagged_event(1, "x", 1, NULL, 8, &n), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_tagged_event(1, NULL, 1, (uint8_t[8]){ 0 }, 8, &n),
			 EVENTLOG_E_ARG);
	assert_int_equal(eventlog_writer_init(NULL, "x", 1, NULL, 0), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_writer_resume(NULL, "x", 1, 1), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_append(NULL, 8, 5, "x", 1, NULL), EVENTLOG_E_ARG);
	assert_int_equal(eventlog_append_digests(NULL, 8, 5, NULL, "x", 1),
			 EVENTLOG_E_ARG);
}

/* ---- helper modes ------------------------------------------------------------ */

/* Runs a scenario outside cmocka: assert_* failures abort via cmocka's
 * default handler, which prints and exits non-zero. */
static int write_scenario(const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	static const uint16_t b1[] = { TPM_ALG_SHA256 };
	static const uint16_t b2[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static const uint16_t b4[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
				       TPM_ALG_SHA384, TPM_ALG_SHA512 };
	static struct scenario_out s;
	static struct lb l;
	struct eventlog_writer w;

	memset(&s, 0, sizeof(s));
	if (!strcmp(name, "runtime-sha256") || !strcmp(name, "runtime-sha1-sha256") ||
	    !strcmp(name, "runtime-4banks") || !strcmp(name, "spread-4banks") ||
	    !strcmp(name, "resumed-2banks")) {
		const uint16_t *b = b4;
		unsigned n = 4;

		if (!strcmp(name, "runtime-sha256")) {
			b = b1;
			n = 1;
		} else if (!strcmp(name, "runtime-sha1-sha256") ||
			   !strcmp(name, "resumed-2banks")) {
			b = b2;
			n = 2;
		}
		model_init(&s.m, b, n);
		if (eventlog_writer_init(&w, buf, cap, b, n) != EVENTLOG_OK)
			return -1;
		runtime_events(&w, &s);
		if (!strcmp(name, "spread-4banks"))
			spread_events(&w, &s);
		if (!strcmp(name, "resumed-2banks")) {
			size_t half = w.len;

			if (eventlog_writer_resume(&w, buf, cap, half) != EVENTLOG_OK)
				return -1;
			spread_events(&w, &s);
		}
		*len = w.len;
		return 0;
	}
	if (!strcmp(name, "firmware-locality3")) {
		memset(&l, 0, sizeof(l));
		firmware_log(&l, &s.m, 3);
		if (l.len > cap)
			return -1;
		memcpy(buf, l.buf, l.len);
		*len = l.len;
		return 0;
	}
	return -1;
}

static const char *const scenario_names[] = {
	"runtime-sha256", "runtime-sha1-sha256", "runtime-4banks",
	"spread-4banks", "resumed-2banks", "firmware-locality3",
};

static int mode_write(const char *name, const char *path)
{
	static uint8_t buf[LOG_CAP];
	size_t len = 0;
	FILE *f = NULL;
	int ret = 1;

	if (write_scenario(name, buf, sizeof(buf), &len) != 0) {
		fprintf(stderr, "test_eventlog: unknown scenario %s\n", name);
		goto out;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len) {
		fprintf(stderr, "test_eventlog: cannot write %s\n", path);
		goto out;
	}
	ret = 0;
out:
	if (f && fclose(f) != 0)
		ret = 1;
	return ret;
}

/* One line per extended PCR of every usable bank: "sha256 8 <hex>". */
static int mode_replay(const char *path)
{
	static uint8_t buf[1 << 20];
	static struct eventlog_pcrs p;
	FILE *f = fopen(path, "rb");
	size_t len;
	int ret = 1, err;

	if (!f) {
		fprintf(stderr, "test_eventlog: cannot open %s\n", path);
		goto out;
	}
	len = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "test_eventlog: cannot read all of %s\n", path);
		goto out;
	}
	err = eventlog_replay(buf, len, &p);
	if (err != EVENTLOG_OK) {
		fprintf(stderr, "test_eventlog: %s: %s\n", path, eventlog_strerror(err));
		goto out;
	}
	for (unsigned b = 0; b < p.nbanks; b++) {
		const char *name = digest_name(p.banks[b].alg);

		if (!name || p.banks[b].status != EVENTLOG_BANK_OK)
			continue;
		for (unsigned i = 0; i < EVENTLOG_PCR_COUNT; i++) {
			const uint8_t *v = eventlog_pcr_value(&p, p.banks[b].alg, i);

			if (!(p.extended & 1u << i) || !v)
				continue;
			printf("%s %u ", name, i);
			for (unsigned j = 0; j < p.banks[b].size; j++)
				printf("%02x", v[j]);
			printf("\n");
		}
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_kat),
		cmocka_unit_test(test_digest_incremental),
		cmocka_unit_test(test_digest_unknown_alg),
		cmocka_unit_test(test_pcr_extend),
		cmocka_unit_test(test_writer_header_matches_published_bytes),
		cmocka_unit_test(test_reader_cel_spec_example),
		cmocka_unit_test(test_round_trip_1_bank),
		cmocka_unit_test(test_round_trip_2_banks),
		cmocka_unit_test(test_round_trip_4_banks),
		cmocka_unit_test(test_firmware_log_startup_locality),
		cmocka_unit_test(test_startup_locality_rules),
		cmocka_unit_test(test_declared_unknown_alg),
		cmocka_unit_test(test_incomplete_bank),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_corrupt_header),
		cmocka_unit_test(test_legacy_sha1_log_rejected),
		cmocka_unit_test(test_corrupt_records),
		cmocka_unit_test(test_verify_detects_tampered_data),
		cmocka_unit_test(test_append_overflow_leaves_log_unchanged),
		cmocka_unit_test(test_writer_rejects_bad_input),
		cmocka_unit_test(test_resume_continues_the_same_log),
		cmocka_unit_test(test_tagged_event),
		cmocka_unit_test(test_replay_continue),
		cmocka_unit_test(test_used_length_zero_padded_table),
		cmocka_unit_test(test_api_misuse),
	};

	if (argc == 4 && !strcmp(argv[1], "--write-log"))
		return mode_write(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--replay"))
		return mode_replay(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--scenarios")) {
		for (size_t i = 0; i < sizeof(scenario_names) / sizeof(scenario_names[0]); i++)
			printf("%s\n", scenario_names[i]);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--write-log SCENARIO FILE | --replay FILE | --scenarios]\n",
			argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

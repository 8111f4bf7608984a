/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TCG crypto-agile event log (PC Client Platform Firmware Profile, the format
 * of Linux's /sys/kernel/security/tpm0/binary_bios_measurements).
 *
 * One library for the three places that touch a log:
 *   - /init writes the runtime log while it extends the TPM (no heap; the
 *     caller owns a fixed buffer),
 *   - the agent resumes the same log, appends, and ships the bytes,
 *   - the tenant verifier parses and replays both that log and the
 *     firmware's own log.
 * Format, event types, data bytes and replay rules: docs/eventlog.md.
 *
 * Nothing here allocates or prints. Errors are the negative EVENTLOG_E_*
 * codes; eventlog_strerror() names them, and the reader records the byte
 * offset it stopped at so callers can say where a log is bad.
 */
#ifndef AIRLOCK_EVENTLOG_H
#define AIRLOCK_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

/* PCRs a PC Client TPM has; events for any other index are rejected. */
#define EVENTLOG_PCR_COUNT 24

/*
 * Most algorithms a log may declare. The TPM 2.0 registry has eight hash
 * algorithms a PCR bank can use, so a longer list is not a real log.
 */
#define EVENTLOG_MAX_BANKS 8

/* TCG PC Client PFP event types (section 10.4.1) used or recognised here. */
#define TCG_EV_PREBOOT_CERT   0x00000000u
#define TCG_EV_POST_CODE      0x00000001u
#define TCG_EV_NO_ACTION      0x00000003u
#define TCG_EV_SEPARATOR      0x00000004u
#define TCG_EV_ACTION         0x00000005u
#define TCG_EV_EVENT_TAG      0x00000006u
#define TCG_EV_S_CRTM_CONTENTS 0x00000007u
#define TCG_EV_S_CRTM_VERSION 0x00000008u
#define TCG_EV_IPL            0x0000000Du

enum eventlog_err {
	EVENTLOG_OK = 0,
	EVENTLOG_E_ARG = -1,       /* NULL pointer, bad bank list, len > cap */
	EVENTLOG_E_NOSPACE = -2,   /* writer buffer too small; log unchanged */
	EVENTLOG_E_TRUNCATED = -3, /* a field runs past the end of the log */
	EVENTLOG_E_NOT_AGILE = -4, /* first event is not a Spec ID Event03 */
	EVENTLOG_E_HEADER = -5,    /* Spec ID Event03 fields malformed */
	EVENTLOG_E_ALG = -6,       /* algorithm unknown or not declared */
	EVENTLOG_E_DIGEST_SIZE = -7, /* declared size disagrees with the alg */
	EVENTLOG_E_COUNT = -8,     /* digest count 0, above declared, or repeated alg */
	EVENTLOG_E_EVENT_SIZE = -9, /* EventSize beyond the bytes that remain */
	EVENTLOG_E_PCR = -10,      /* PCR index outside 0..23 */
	EVENTLOG_E_LOCALITY = -11, /* StartupLocality event malformed or misplaced */
	EVENTLOG_E_MISMATCH = -12, /* event digest != H(event data) */
	EVENTLOG_E_CRYPTO = -13,   /* the hash backend failed */
	EVENTLOG_E_TYPE = -14,     /* event type not allowed for this call */
};

/* Static English text for an EVENTLOG_E_* code (or "unknown error"). */
const char *eventlog_strerror(int err);

/* One digest per bank, in the order the banks were declared. */
struct eventlog_digests {
	unsigned count;
	struct {
		uint16_t alg;
		uint16_t size;
		uint8_t value[DIGEST_MAX_SIZE];
	} d[EVENTLOG_MAX_BANKS];
};

/* ---- writer -------------------------------------------------------------- */

struct eventlog_writer {
	uint8_t *buf;
	size_t cap;
	size_t len; /* bytes of log written so far: ship buf[0..len) */
	unsigned nbanks;
	uint16_t banks[EVENTLOG_MAX_BANKS];
};

/*
 * Start a log in buf[0..cap) with the Spec ID Event03 header declaring the
 * given banks (the TPM's active PCR banks, in the order given). Every bank
 * must be a known algorithm, without repeats.
 */
int eventlog_writer_init(struct eventlog_writer *w, void *buf, size_t cap,
			 const uint16_t *banks, unsigned nbanks);

/*
 * Continue a log already in buf[0..len) (for example the one /init handed to
 * the agent). The whole log is parsed strictly first; its declared banks
 * become the writer's banks and must all be known algorithms.
 */
int eventlog_writer_resume(struct eventlog_writer *w, void *buf, size_t cap,
			   size_t len);

/*
 * Append one event whose digest in every bank is H(data), and return those
 * digests in out (may be NULL) so the caller extends the TPM with exactly
 * them. pcr must be 0..23 and type must not be EV_NO_ACTION (whose digests
 * are zeros by definition; use eventlog_append_digests). On any error the
 * log is unchanged: no partial record is ever written.
 */
int eventlog_append(struct eventlog_writer *w, uint32_t pcr, uint32_t type,
		    const void *data, size_t len, struct eventlog_digests *out);

/*
 * Append an event with caller-supplied digests, one per writer bank in the
 * writer's bank order (same algs and sizes). For EV_NO_ACTION events and for
 * measurements whose digest is not H(data). Same all-or-nothing rule.
 */
int eventlog_append_digests(struct eventlog_writer *w, uint32_t pcr,
			    uint32_t type, const struct eventlog_digests *dig,
			    const void *data, size_t len);

/*
 * Encode TCG_PCClientTaggedEvent {u32 taggedEventID, u32 taggedEventDataSize,
 * data} into out[0..cap), for EV_EVENT_TAG events. *out_len gets the size.
 */
int eventlog_tagged_event(uint32_t tag_id, const void *data, size_t len,
			  uint8_t *out, size_t cap, size_t *out_len);

/* ---- reader -------------------------------------------------------------- */

struct eventlog_bank {
	uint16_t alg;
	uint16_t size;
};

/* The Spec ID Event03 fields. */
struct eventlog_header {
	uint32_t platform_class;
	uint8_t spec_minor;
	uint8_t spec_major;
	uint8_t spec_errata;
	uint8_t uintn_size;
	unsigned nbanks;
	struct eventlog_bank banks[EVENTLOG_MAX_BANKS];
	const uint8_t *vendor_info; /* points into the log */
	uint8_t vendor_info_size;
	size_t size; /* bytes of the header record */
};

/* One TCG_PCR_EVENT2 record; pointers point into the log buffer. */
struct eventlog_event {
	size_t offset; /* of the record in the log */
	size_t index;  /* 0 for the first record after the header */
	uint32_t pcr;
	uint32_t type;
	unsigned ndigests;
	struct {
		uint16_t alg;
		uint16_t size;
		const uint8_t *value;
	} digests[EVENTLOG_MAX_BANKS];
	const uint8_t *data;
	uint32_t data_size;
};

struct eventlog_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;      /* offset of the next record */
	size_t index;    /* events returned so far */
	size_t err_offset; /* where parsing stopped on error */
	struct eventlog_header hdr;
};

/* Parse the Spec ID Event03 header of buf[0..len). */
int eventlog_reader_init(struct eventlog_reader *r, const void *buf, size_t len);

/*
 * Next event: 1 and *ev filled, 0 at the clean end of the log, or a negative
 * EVENTLOG_E_* code (r->err_offset says where). Digest algorithms must have
 * been declared, with the declared size, at most once per event.
 */
int eventlog_reader_next(struct eventlog_reader *r, struct eventlog_event *ev);

/*
 * How much of buf is log: firmware that keeps its log in a fixed-size table
 * (coreboot's CBMEM TPM2 log) leaves the unused entries zero. *used is the
 * header plus every event up to the first record whose PCR, type and digest
 * count are all zero (or the end); *nevents counts those events. Anything
 * malformed before that point is an error, as in eventlog_reader_next().
 */
int eventlog_used_length(const void *buf, size_t len, size_t *used, size_t *nevents);

/*
 * EVENTLOG_OK if every digest of ev equals H(ev->data) in its algorithm,
 * EVENTLOG_E_MISMATCH if one does not, EVENTLOG_E_ALG if a digest is of an
 * algorithm this library cannot compute. Meaningful only for events defined
 * as digest == H(data): every runtime event is; most firmware events
 * (PCRs 0-7) are not.
 */
int eventlog_event_verify(const struct eventlog_event *ev);

/*
 * Parse the whole log and check eventlog_event_verify() for every event
 * whose PCR bit is set in pcr_mask (bit n = PCR n), EV_NO_ACTION excepted.
 * On EVENTLOG_E_MISMATCH *bad_index (may be NULL) is the event's index.
 */
int eventlog_verify_data_digests(const void *buf, size_t len,
				 uint32_t pcr_mask, size_t *bad_index);

/* ---- replay -------------------------------------------------------------- */

enum eventlog_bank_status {
	EVENTLOG_BANK_OK = 0,
	EVENTLOG_BANK_UNSUPPORTED = 1, /* declared, but not an alg we can hash */
	EVENTLOG_BANK_INCOMPLETE = 2,  /* an extended event lacked this bank */
};

struct eventlog_pcrs {
	unsigned nbanks;
	struct {
		uint16_t alg;
		uint16_t size;
		int status; /* enum eventlog_bank_status */
		uint8_t pcr[EVENTLOG_PCR_COUNT][DIGEST_MAX_SIZE];
	} banks[EVENTLOG_MAX_BANKS];
	int startup_locality; /* -1 if the log has no StartupLocality event */
	size_t nevents;       /* records after the header */
	uint32_t extended;    /* bit n set: PCR n was extended at least once */
};

/*
 * Replay buf[0..len) into PCRs 0..23 of every declared bank. All PCRs start
 * at zero, except that a StartupLocality EV_NO_ACTION event (PCR 0, data
 * "StartupLocality\0" + locality byte, before any event extends PCR 0) makes
 * PCR 0 start as 00..00LL in every bank. EV_NO_ACTION events are not
 * extended. A bank with status other than EVENTLOG_BANK_OK has no values.
 */
int eventlog_replay(const void *buf, size_t len, struct eventlog_pcrs *out);

/*
 * Replay a second log on top of io, a successful eventlog_replay() of the
 * first: for the verifier, the firmware log and then the runtime log, since
 * firmware-side code (the Linux EFI stub, for one) may already have extended
 * PCR 8 or 9. io's banks stay; a bank the second log does not declare
 * becomes EVENTLOG_BANK_INCOMPLETE if that log has any event. The
 * StartupLocality rules carry over (at most one, before PCR 0 is extended).
 * On error io is cleared.
 */
int eventlog_replay_continue(const void *buf, size_t len,
			     struct eventlog_pcrs *io);

/* PCR value of a bank with status OK, else NULL. Size: digest_size(alg). */
const uint8_t *eventlog_pcr_value(const struct eventlog_pcrs *p, uint16_t alg,
				  unsigned pcr);

#endif

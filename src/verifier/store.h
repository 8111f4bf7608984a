/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verifier's state, in SQLite or PostgreSQL (db.h): nodes whose AK was activated (EK, AK,
 * contact, how the EK was trusted and the uuid bound to it), enrolment
 * (policy, the keys/verify challenge, where V is), the last quote's counters,
 * verdicts and their history; registrations waiting for activation; the
 * tenant's uuid -> EK pins; refused registrations (one row per uuid, capped).
 * SQLite: one file in the state directory, mode 0600, WAL journal so the
 * daemon's threads and the CLI work on it at once. PostgreSQL: the database a
 * postgresql:// URL names. V itself is never in the database (vkey_file.h).
 *
 * The schema carries a version (store_migrate.c); store_open upgrades an
 * older database in one transaction and refuses a newer one.
 *
 * Every write is one transaction. Each thread opens its own handle.
 */
#ifndef AIRLOCK_VERIFIER_STORE_H
#define AIRLOCK_VERIFIER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define STORE_FILE "verifier.db"
#define STORE_SCHEMA_VERSION 3
#define STORE_UUID_MAX 64
#define STORE_BLOB_MAX 4096
#define STORE_TEXT_MAX 8192
#define STORE_HASH_HEX 64
#define STORE_PEER_MAX 64

/* Where a node's V is (docs/verifier.md, "Where secrets rest"). */
enum store_v {
	STORE_V_NONE = 0,    /* no V: not enrolled, or done */
	STORE_V_PENDING = 1, /* V waits in its file for the first passing quote */
	STORE_V_SENT = 2,    /* the agent took V; keys/verify not yet matched */
};

/*
 * Node life cycle:
 *   active       the AK is bound to the trusted EK (credential activated)
 *   enrolled     the tenant sent U and the payload; V waits for the first
 *                passing integrity quote
 *   attesting    V delivered and keys/verify matched; polled every interval
 *   failed       a check failed; not polled again until enrolled anew
 *   unreachable  the agent stopped answering; polled at a slower pace
 *   handed_off   a runtime agent took V and left for the tenant's kernel
 * A registration that was not activated yet is not a node: it waits in the
 * pending table (store_pending_*).
 */
struct store_node {
	char uuid[STORE_UUID_MAX + 1];
	uint8_t ek_tpm[STORE_BLOB_MAX];
	size_t ek_tpm_len;
	uint8_t aik_tpm[STORE_BLOB_MAX];
	size_t aik_tpm_len;
	char ek_hash[STORE_HASH_HEX + 1]; /* SHA-256 of the EK's SubjectPublicKeyInfo (ek-hash) */
	char ip[64];
	int port;
	int mtls; /* the agent registered a TLS certificate */
	char mtls_cert[STORE_BLOB_MAX]; /* its PEM: the pin for mutual TLS */
	char ek_trust[256]; /* how the EK was accepted */
	char uuid_bound[64]; /* how the uuid is tied to this EK, "" when it is not */
	char state[16];
	char api_version[8]; /* agent API version the tenant negotiated, "2.5" */
	char agent_mode[16]; /* "runtime", "host" (airlock's agent/info), "" unknown */
	char policy[STORE_TEXT_MAX];
	char nk_pem[2048];
	int v_state; /* enum store_v */
	int64_t release_reset; /* the TPM's resetCount when V went out; -1: never */
	char challenge[32];
	char challenge_hmac[97];
	int have_counters;
	int64_t reset_count, restart_count, clock, fw_version;
	int64_t last_time;
	char verdict[16];
	char reason[512];
	int64_t passes, failures;
	/*
	 * Bumped by every change of identity or enrolment (registration, node
	 * add): a worker that read the node before such a change must not write
	 * its round over it (store_put_if_gen).
	 */
	int64_t gen;
};

/* A registration waiting for its activation (the credential's secret). */
struct store_pending {
	char uuid[STORE_UUID_MAX + 1];
	uint8_t ek_tpm[STORE_BLOB_MAX];
	size_t ek_tpm_len;
	uint8_t aik_tpm[STORE_BLOB_MAX];
	size_t aik_tpm_len;
	char ek_hash[STORE_HASH_HEX + 1];
	char ip[64];
	int port;
	char mtls_cert[STORE_BLOB_MAX]; /* "" for "disabled" */
	char ek_trust[256];
	char uuid_bound[64];
	char secret_b64[64];
	char peer[STORE_PEER_MAX];
	int64_t created;
};

struct store {
	struct db db;
	char dir[4096]; /* the state directory: V's files, and SQLite's database */
	char me[128];   /* serve's instance on this handle ("" none): rounds write only its nodes */
};

/*
 * Opens the database: PostgreSQL when db is a postgresql:// URL, else (db
 * NULL) DIR/verifier.db, created with mode 0600. Either is brought to this
 * program's schema version. dir is made (0700) when missing.
 */
int store_open(struct store *s, const char *dir, const char *db, char *err, size_t errlen);
void store_close(struct store *s);
/* For messages: the file, or which PostgreSQL database (never its password). */
const char *store_where(const struct store *s);

/*
 * Where the database is: given (--db's value), else $AIRLOCK_VERIFIER_DB, else
 * *db = NULL (SQLite in the state directory). 0, or -1 with err for anything
 * but a postgresql:// URL.
 */
int store_db_choice(const char *given, const char **db, char *err, size_t errlen);

/*
 * For a connection that records rounds (serve's workers): its commits return
 * before they reach the disk (PostgreSQL's synchronous_commit off), the
 * durability SQLite's WAL journal with synchronous=NORMAL gives every
 * connection: a crash of the database server may lose the last fraction of a
 * second of verdicts, which the next rounds compute again; registrations,
 * enrolments and the CLI keep waiting for the disk. On this build machine a
 * flushed commit cost 210 KB of disk writes per quote, an unflushed one
 * 1.3 KB (docs/benchmarks.md). 0, or -1 with err.
 */
int store_rounds_connection(struct store *s, char *err, size_t errlen);

/* A transaction for writes that go together (SQLite: BEGIN IMMEDIATE). */
int store_begin(struct store *s, char *err, size_t errlen);
int store_commit(struct store *s, char *err, size_t errlen);
void store_rollback(struct store *s);

/* 1 found, 0 not found, -1 error. */
int store_get(struct store *s, const char *uuid, struct store_node *n, char *err, size_t errlen);
/* Inserts or replaces the whole row. */
int store_put(struct store *s, const struct store_node *n, char *err, size_t errlen);
/*
 * A round's outcome: only what a round changes (state, verdict, reason,
 * counters, tallies, V's state, the time), in one UPDATE that also checks the
 * generation, so a round never writes back columns it merely read (a policy or
 * address changed meanwhile stays) and writes a fraction of the bytes of a
 * whole row. 0 written, 1 the node changed (or went) meanwhile and nothing was
 * written, -1 error.
 */
int store_put_round(struct store *s, const struct store_node *n, int64_t expect_gen, char *err,
		    size_t errlen);
/* The same, waiting for the disk whatever store_rounds_connection set (V's delivery). */
int store_put_round_durable(struct store *s, const struct store_node *n, int64_t expect_gen,
			    char *err, size_t errlen);
/*
 * In a transaction (store_begin): holds uuid against every other process's
 * read-then-write of it until COMMIT (PostgreSQL: an advisory lock, which
 * also covers a row not there yet; SQLite's BEGIN IMMEDIATE already is one).
 */
int store_lock_node(struct store *s, const char *uuid, char *err, size_t errlen);
/*
 * Replaces the row only if it still has generation expect_gen (what the
 * caller read): 0 written, 1 the node changed (or went) meanwhile and nothing
 * was written, -1 error.
 */
int store_put_if_gen(struct store *s, const struct store_node *n, int64_t expect_gen, char *err,
		     size_t errlen);
int store_delete(struct store *s, const char *uuid, char *err, size_t errlen);
/* Calls fn for every node, ordered by uuid; fn returning non-zero stops. */
int store_each(struct store *s, int (*fn)(void *ctx, const struct store_node *n), void *ctx,
	       char *err, size_t errlen);
/*
 * Only uuid and state of the nodes in one of states (NULL-terminated list,
 * at most 8), ordered by uuid, through fn; cheap enough to run every second
 * on a large fleet (an index on state).
 */
int store_each_in_state(struct store *s, const char *const *states,
			int (*fn)(void *ctx, const char *uuid, const char *state), void *ctx,
			char *err, size_t errlen);
/* Where to reach a node: what a revocation notice needs, without the whole row. */
struct store_contact {
	const char *uuid, *state, *ip, *api_version;
	int port, mtls;
};
/* The contact of every node in one of states (as store_each_in_state), ordered by uuid. */
int store_each_contact(struct store *s, const char *const *states,
		       int (*fn)(void *ctx, const struct store_contact *c), void *ctx, char *err,
		       size_t errlen);
/* How many nodes have this EK, not counting except_uuid; -1 on error. */
int store_count_ek(struct store *s, const char *ek_hash, const char *except_uuid, char *err,
		   size_t errlen);
/* Appends to the node's attestation history. */
int store_history(struct store *s, const char *uuid, const char *verdict, const char *reason,
		  char *err, size_t errlen);
/* Last n history rows of a node (newest first) through fn. */
int store_history_each(struct store *s, const char *uuid, int n,
		       int (*fn)(void *ctx, int64_t t, const char *verdict, const char *reason),
		       void *ctx, char *err, size_t errlen);

/*
 * Refused registrations: one row per uuid (the newest reason, when, from
 * whom, how many times), at most STORE_REJECTED_MAX rows (the oldest go).
 */
#define STORE_REJECTED_MAX 10000
int store_reject(struct store *s, const char *uuid, const char *reason, const char *peer,
		 char *err, size_t errlen);
/* The newest refusal of uuid: 1 found, 0 none, -1 error. */
int store_last_rejection(struct store *s, const char *uuid, int64_t *t, char *reason, size_t cap,
			 int64_t *count, char *err, size_t errlen);

/* Pending registrations. */
int store_pending_add(struct store *s, const struct store_pending *p, char *err, size_t errlen);
/* Drop those created before `before` (seconds since the epoch). */
int store_pending_expire(struct store *s, int64_t before, char *err, size_t errlen);
/* Live pending rows: for uuid, from peer, and in all; -1 on error. */
int store_pending_counts(struct store *s, const char *uuid, const char *peer, int *per_uuid,
			 int *per_peer, int *total, char *err, size_t errlen);
/* Each pending registration of uuid, newest first; fn returning non-zero stops (and is returned). */
int store_pending_each(struct store *s, const char *uuid,
		       int (*fn)(void *ctx, const struct store_pending *p), void *ctx, char *err,
		       size_t errlen);
int store_pending_clear(struct store *s, const char *uuid, char *err, size_t errlen);

/* The tenant's uuid -> EK pins: 1 found (ek_hash filled), 0 none, -1 error. */
int store_pin_get(struct store *s, const char *uuid, char ek_hash[STORE_HASH_HEX + 1], char *err,
		  size_t errlen);
int store_pin_set(struct store *s, const char *uuid, const char *ek_hash, char *err, size_t errlen);
int store_pin_delete(struct store *s, const char *uuid, char *err, size_t errlen);

/*
 * Keylime uuids are free text; airlock keeps them to what is safe in a path
 * and a log: 1-STORE_UUID_MAX of [A-Za-z0-9._-], not starting with '.' or '-'.
 */
int store_uuid_ok(const char *s, size_t n);

/*
 * Several `serve` instances on one PostgreSQL database share the nodes by
 * leases. Each call (every lease_ms / 4 or so): says instance me is alive,
 * renews the leases it holds, gives back what is above its fair share (total
 * polled nodes / instances alive, rounded up) and takes free or expired leases
 * up to it, skipping rows another instance has locked; then fn(ctx, uuid,
 * state) for each node it holds, ordered by uuid. *took_over counts nodes
 * taken from another instance whose lease had run out. A node given back
 * stays untaken for lease_ms, so no two instances ask it within an interval.
 * On SQLite (one instance): every polled node, no lease.
 */
int store_lease(struct store *s, const char *me, int64_t lease_ms,
		int (*fn)(void *ctx, const char *uuid, const char *state), void *ctx,
		int64_t *took_over, char *err, size_t errlen);
/*
 * This handle rounds for instance me (store_put_round then writes only a node
 * me holds, or one nobody holds): a round that outlived its lease does not
 * write over the new holder's verdict.
 */
void store_set_instance(struct store *s, const char *me);
/* Another process says it is instance me and was alive within lease_ms: 1, 0, -1 error. */
int store_instance_alive(struct store *s, const char *me, int64_t lease_ms, char *err,
			 size_t errlen);
/* Instance me stops: its leases go back at once (a clean stop hands over without a wait). */
int store_lease_release(struct store *s, const char *me, char *err, size_t errlen);
/*
 * Claims the sending of a node's pending V for ttl_ms (the round's longest
 * time): 1 claimed, 0 another round holds a live claim or the node changed,
 * -1 error. store_v_unclaim gives it back after a send that failed.
 */
int store_v_claim(struct store *s, const char *uuid, int64_t gen, int64_t ttl_ms, char *err,
		  size_t errlen);
int store_v_unclaim(struct store *s, const char *uuid, int64_t gen, char *err, size_t errlen);

/* fn(ctx, state, how many nodes) for each state in use, by name; fn's non-zero stops. */
int store_count_states(struct store *s, int (*fn)(void *ctx, const char *state, int64_t n),
		       void *ctx, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verifier's state in SQLite: registered nodes (EK, AK, contact, how
 * the EK was trusted), enrolment (policy, the pending V key, the keys/verify
 * challenge), the last quote's counters, verdicts and their history, and
 * rejected registrations. One file, mode 0600, WAL journal so the daemon's
 * threads and the CLI work on it at once; secure_delete so a delivered V is
 * overwritten on disk, not only unlinked from the b-tree.
 *
 * Every write is one transaction. Each thread opens its own handle.
 */
#ifndef AIRLOCK_VERIFIER_STORE_H
#define AIRLOCK_VERIFIER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_FILE "verifier.db"
#define STORE_UUID_MAX 64
#define STORE_BLOB_MAX 4096
#define STORE_TEXT_MAX 8192

/*
 * Node life cycle:
 *   registered  POSTed to the registrar, credential not yet activated
 *   active      auth_tag checked: the AK is bound to the trusted EK
 *   enrolled    the tenant sent U and the payload; waiting for the first
 *               passing integrity quote to release V
 *   attesting   V delivered and keys/verify matched; polled every interval
 *   failed      a check failed; not polled again until enrolled anew
 */
struct store_node {
	char uuid[STORE_UUID_MAX + 1];
	uint8_t ek_tpm[STORE_BLOB_MAX];
	size_t ek_tpm_len;
	uint8_t aik_tpm[STORE_BLOB_MAX];
	size_t aik_tpm_len;
	char ip[64];
	int port;
	int mtls; /* the agent registered a TLS certificate */
	char mtls_cert[STORE_BLOB_MAX]; /* its PEM: the pin for mutual TLS */
	char ek_trust[256]; /* how the EK was accepted */
	char state[16];
	char api_version[8]; /* agent API version the tenant negotiated, "2.5" */
	char secret_b64[64]; /* registrar: until activation */
	char policy[STORE_TEXT_MAX];
	char nk_pem[2048];
	uint8_t v_key[32]; /* pending V; wiped from the row once delivered */
	int has_v;
	char challenge[32];
	char challenge_hmac[97];
	int have_counters;
	int64_t reset_count, restart_count, clock;
	int64_t last_time;
	char verdict[16];
	char reason[512];
	int64_t passes, failures;
};

struct store {
	sqlite3 *db;
};

/* Opens (creating with mode 0600 and the schema if needed) DIR/verifier.db. */
int store_open(struct store *s, const char *dir, char *err, size_t errlen);
void store_close(struct store *s);

/* 1 found, 0 not found, -1 error. */
int store_get(struct store *s, const char *uuid, struct store_node *n, char *err, size_t errlen);
/* Inserts or replaces the whole row. */
int store_put(struct store *s, const struct store_node *n, char *err, size_t errlen);
int store_delete(struct store *s, const char *uuid, char *err, size_t errlen);
/* Calls fn for every node, ordered by uuid; fn returning non-zero stops. */
int store_each(struct store *s, int (*fn)(void *ctx, const struct store_node *n), void *ctx,
	       char *err, size_t errlen);
/* Appends to the node's attestation history. */
int store_history(struct store *s, const char *uuid, const char *verdict, const char *reason,
		  char *err, size_t errlen);
/* Records a refused registration with its reason. */
int store_reject(struct store *s, const char *uuid, const char *reason, char *err, size_t errlen);
/* The newest refused registration of uuid: 1 found, 0 none, -1 error. */
int store_last_rejection(struct store *s, const char *uuid, int64_t *t, char *reason, size_t cap,
			 char *err, size_t errlen);
/* Last n history rows of a node (newest first) through fn. */
int store_history_each(struct store *s, const char *uuid, int n,
		       int (*fn)(void *ctx, int64_t t, const char *verdict, const char *reason),
		       void *ctx, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state database's schema, as numbered steps. store_open runs the steps a
 * database lacks in one transaction (taken with BEGIN IMMEDIATE, so two
 * processes starting at once upgrade it once), and refuses a database that a
 * newer airlock-verifier wrote. A database of the first release has
 * user_version 0 and the version 1 tables.
 */
#include "store_migrate.h"

#include <stdio.h>
#include <string.h>

#include "ek_trust.h"
#include "keylime_crypto.h"
#include "tpm_public.h"
#include "vkey_file.h"

/* Version 1: the first release's tables. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS nodes("
	" uuid TEXT PRIMARY KEY, ek_tpm BLOB NOT NULL, aik_tpm BLOB NOT NULL,"
	" ip TEXT NOT NULL, port INTEGER NOT NULL, mtls INTEGER NOT NULL,"
	" ek_trust TEXT NOT NULL, state TEXT NOT NULL, secret_b64 TEXT,"
	" policy TEXT, nk_pem TEXT, v_key BLOB, challenge TEXT, challenge_hmac TEXT,"
	" have_counters INTEGER NOT NULL, reset_count INTEGER, restart_count INTEGER,"
	" clock INTEGER, last_time INTEGER, verdict TEXT, reason TEXT,"
	" passes INTEGER NOT NULL, failures INTEGER NOT NULL, api_version TEXT, mtls_cert TEXT);"
	"CREATE TABLE IF NOT EXISTS history("
	" id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, time INTEGER NOT NULL,"
	" verdict TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS history_uuid ON history(uuid, id);"
	"CREATE TABLE IF NOT EXISTS rejected("
	" id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, time INTEGER NOT NULL, reason TEXT NOT NULL);";

/*
 * Version 2: registrations wait in `pending` until activated (the nodes
 * table holds only activated identities); the EK's hash and how the uuid is
 * bound to it; the tenant's pins; V leaves the database for its own file;
 * one refusal row per uuid; indexes for the scheduler's and registrar's
 * lookups.
 */
static const char schema_v2[] =
	"ALTER TABLE nodes ADD COLUMN ek_hash TEXT;"
	"ALTER TABLE nodes ADD COLUMN uuid_bound TEXT;"
	"ALTER TABLE nodes ADD COLUMN fw_version INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE nodes ADD COLUMN v_state INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE nodes ADD COLUMN release_reset INTEGER;"
	"ALTER TABLE nodes ADD COLUMN agent_mode TEXT;"
	"ALTER TABLE nodes ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX nodes_state ON nodes(state);"
	"CREATE INDEX nodes_ek ON nodes(ek_hash);"
	"CREATE TABLE pending("
	" id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, ek_tpm BLOB NOT NULL, aik_tpm BLOB NOT NULL,"
	" ek_hash TEXT NOT NULL, ip TEXT NOT NULL, port INTEGER NOT NULL, mtls_cert TEXT,"
	" ek_trust TEXT NOT NULL, uuid_bound TEXT, secret_b64 TEXT NOT NULL, peer TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX pending_uuid ON pending(uuid);"
	"CREATE INDEX pending_peer ON pending(peer);"
	"CREATE INDEX pending_created ON pending(created);"
	"CREATE TABLE pins(uuid TEXT PRIMARY KEY, ek_hash TEXT NOT NULL, time INTEGER NOT NULL);"
	"CREATE TABLE rejected2(uuid TEXT PRIMARY KEY, time INTEGER NOT NULL, reason TEXT NOT NULL,"
	" count INTEGER NOT NULL, peer TEXT);"
	"INSERT INTO rejected2(uuid, time, reason, count, peer)"
	" SELECT uuid, max(time), reason, count(*), NULL FROM rejected GROUP BY uuid;"
	"DROP TABLE rejected;"
	"ALTER TABLE rejected2 RENAME TO rejected;"
	"CREATE INDEX rejected_time ON rejected(time);"
	/* Never activated: its agent registers again (and gets a pending row). */
	"DELETE FROM nodes WHERE state = 'registered';"
	"UPDATE nodes SET secret_b64 = NULL;";

static int fail(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "state database: upgrading it: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* Version 2's data: each node's EK hash, and each pending V out into its file. */
static int v2_rows(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL, *u = NULL;
	int ret = -1, rc;

	if (sqlite3_prepare_v2(s->db, "SELECT uuid, ek_tpm, v_key FROM nodes", -1, &q, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE nodes SET ek_hash = ?, v_state = ?, v_key = NULL "
			       "WHERE uuid = ?", -1, &u, NULL) != SQLITE_OK) {
		fail(s, "reading nodes", err, errlen);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *uuid = (const char *)sqlite3_column_text(q, 0);
		const void *ek = sqlite3_column_blob(q, 1), *v = sqlite3_column_blob(q, 2);
		int ek_len = sqlite3_column_bytes(q, 1), v_len = sqlite3_column_bytes(q, 2);
		struct tpm_public pub;
		uint8_t h[32];
		char hex[65] = "", why[300];
		size_t n;

		if (!uuid)
			continue;
		if (ek && ek_len > 0 && tpm_public_parse(ek, (size_t)ek_len, &pub, why, sizeof(why)) ==
		    0 && ek_pubkey_hash(&pub, h, why, sizeof(why)) == 0)
			hex_encode(h, sizeof(h), hex, sizeof(hex), &n);
		if (v && v_len == VKEY_LEN && vkey_put(s->dir, uuid, v, err, errlen) != 0)
			goto out;
		if (sqlite3_bind_text(u, 1, hex, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int(u, 2, v && v_len == VKEY_LEN ? 1 : 0) != SQLITE_OK ||
		    sqlite3_bind_text(u, 3, uuid, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_step(u) != SQLITE_DONE) {
			fail(s, "updating a node", err, errlen);
			goto out;
		}
		sqlite3_reset(u);
	}
	if (rc != SQLITE_DONE) {
		fail(s, "reading nodes", err, errlen);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	return ret;
}

static int user_version(struct store *s, int *v, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		fail(s, "reading its version", err, errlen);
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int store_migrate(struct store *s, char *err, size_t errlen)
{
	char sql[64];
	int v, ret = -1;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, "locking it", err, errlen);
	if (user_version(s, &v, err, errlen) != 0)
		goto out;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "state database %s/%s has schema version %d, this "
			 "airlock-verifier knows up to %d: run the newer airlock-verifier that wrote it",
			 s->dir, STORE_FILE, v, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (v < 1 && sqlite3_exec(s->db, schema_v1, NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "version 1", err, errlen);
		goto out;
	}
	if (v < 2) {
		if (sqlite3_exec(s->db, schema_v2, NULL, NULL, NULL) != SQLITE_OK) {
			fail(s, "version 2", err, errlen);
			goto out;
		}
		if (v2_rows(s, err, errlen) != 0)
			goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (v != STORE_SCHEMA_VERSION && sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "recording its version", err, errlen);
		goto out;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "committing", err, errlen);
		goto out;
	}
	/* Pages that held V before version 2 leave the write-ahead log now. */
	if (v < 2)
		sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	ret = 0;
out:
	if (ret != 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

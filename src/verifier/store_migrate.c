/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state database's schema, as numbered steps, for SQLite and PostgreSQL.
 * store_open runs the steps a database lacks in one transaction (holding a
 * lock, so two processes starting at once upgrade it once), and refuses a
 * database that a newer airlock-verifier wrote. A SQLite database of the
 * first release has user_version 0 and the version 1 tables; PostgreSQL
 * databases start at version 2 (table airlock_schema).
 */
#include "store_migrate.h"

#include <stdint.h>
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

/*
 * Version 3, both engines: several `serve` instances share a PostgreSQL
 * database: a node's lease (who holds it; until when a lease given back
 * waits, in the database's clock in ms), V's send claimed before it goes out
 * (so one instance sends it), the instances that are alive, and pending V
 * sealed for every instance to reach. SQLite has the columns too (one schema), and
 * one instance.
 */
static const char schema_v3[] =
	"ALTER TABLE nodes ADD COLUMN holder TEXT;"
	"ALTER TABLE nodes ADD COLUMN lease_until BIGINT;"
	"ALTER TABLE nodes ADD COLUMN v_claim BIGINT;"
	"CREATE INDEX nodes_holder ON nodes(holder);"
	"CREATE TABLE instances(id TEXT PRIMARY KEY, seen BIGINT NOT NULL);"
	/* PostgreSQL's pending V, sealed (pending_v.h), and its key's fingerprint; SQLite keeps
	   V in files. */
	"CREATE TABLE pending_v(uuid TEXT PRIMARY KEY, gen BIGINT NOT NULL, sealed BYTEA NOT NULL);"
	"CREATE TABLE airlock_keys(name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);";

/*
 * PostgreSQL: a database made by this program starts at version 2, with the
 * tables SQLite's version 2 has (less the columns version 2 emptied). Later
 * versions add a step to both lists.
 */
static const char pg_schema_v2[] =
	"CREATE TABLE nodes("
	" uuid TEXT PRIMARY KEY, ek_tpm BYTEA NOT NULL, aik_tpm BYTEA NOT NULL,"
	" ip TEXT NOT NULL, port BIGINT NOT NULL, mtls BIGINT NOT NULL,"
	" ek_trust TEXT NOT NULL, state TEXT NOT NULL, policy TEXT, nk_pem TEXT,"
	" challenge TEXT, challenge_hmac TEXT, have_counters BIGINT NOT NULL,"
	" reset_count BIGINT, restart_count BIGINT, clock BIGINT, last_time BIGINT,"
	" verdict TEXT, reason TEXT, passes BIGINT NOT NULL, failures BIGINT NOT NULL,"
	" api_version TEXT, mtls_cert TEXT, ek_hash TEXT, uuid_bound TEXT,"
	" fw_version BIGINT NOT NULL DEFAULT 0, v_state BIGINT NOT NULL DEFAULT 0,"
	" release_reset BIGINT, agent_mode TEXT, gen BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX nodes_state ON nodes(state);"
	"CREATE INDEX nodes_ek ON nodes(ek_hash);"
	"CREATE TABLE history("
	" id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL, time BIGINT NOT NULL,"
	" verdict TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX history_uuid ON history(uuid, id);"
	"CREATE TABLE pending("
	" id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL, ek_tpm BYTEA NOT NULL,"
	" aik_tpm BYTEA NOT NULL, ek_hash TEXT NOT NULL, ip TEXT NOT NULL, port BIGINT NOT NULL,"
	" mtls_cert TEXT, ek_trust TEXT NOT NULL, uuid_bound TEXT, secret_b64 TEXT NOT NULL,"
	" peer TEXT NOT NULL, created BIGINT NOT NULL);"
	"CREATE INDEX pending_uuid ON pending(uuid);"
	"CREATE INDEX pending_peer ON pending(peer);"
	"CREATE INDEX pending_created ON pending(created);"
	"CREATE TABLE pins(uuid TEXT PRIMARY KEY, ek_hash TEXT NOT NULL, time BIGINT NOT NULL);"
	"CREATE TABLE rejected(id BIGSERIAL NOT NULL, uuid TEXT PRIMARY KEY, time BIGINT NOT NULL,"
	" reason TEXT NOT NULL, count BIGINT NOT NULL, peer TEXT);"
	"CREATE INDEX rejected_time ON rejected(time);"
	"CREATE INDEX rejected_id ON rejected(id);";

static int fail(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "state database: upgrading it: %s: %s", what, db_errmsg(&s->db));
	return -1;
}

/* Version 2's data: each node's EK hash, and each pending V out into its file. */
static int v2_rows(struct store *s, char *err, size_t errlen)
{
	static const char update[] = "UPDATE nodes SET ek_hash = ?, v_state = ?, v_key = NULL "
				     "WHERE uuid = ?";
	struct db_q q, u;
	int ret = -1, rc;

	memset(&u, 0, sizeof(u));
	db_q_start(&q, &s->db, "SELECT uuid, ek_tpm, v_key FROM nodes", 0);
	while ((rc = db_q_row(&q)) == 1) {
		const char *uuid = db_col_text(&q, 0);
		size_t ek_len, v_len;
		const void *ek = db_col_blob(&q, 1, &ek_len), *v = db_col_blob(&q, 2, &v_len);
		struct tpm_public pub;
		uint8_t h[32];
		char hex[65] = "", why[300];
		size_t n;

		if (!uuid)
			continue;
		if (ek && ek_len > 0 && tpm_public_parse(ek, ek_len, &pub, why, sizeof(why)) == 0 &&
		    ek_pubkey_hash(&pub, h, why, sizeof(why)) == 0)
			hex_encode(h, sizeof(h), hex, sizeof(hex), &n);
		/* Version 1 had no generations: the column version 2 adds starts at 0. */
		if (v && v_len == VKEY_LEN && vkey_put(s->dir, uuid, 0, v, err, errlen) != 0)
			goto out;
		db_q_start(&u, &s->db, update, 1);
		db_bind_text(&u, hex);
		db_bind_int64(&u, v && v_len == VKEY_LEN ? 1 : 0);
		db_bind_text(&u, uuid);
		if (db_q_exec(&u) != 0) {
			fail(s, "updating a node", err, errlen);
			goto out;
		}
		db_q_end(&u);
	}
	if (rc < 0) {
		fail(s, "reading nodes", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&u);
	db_q_end(&q);
	return ret;
}

/* The version the database records: SQLite's user_version, PostgreSQL's airlock_schema. */
static int recorded_version(struct store *s, int *v, char *err, size_t errlen)
{
	struct db_q q;
	int ret = -1;

	db_q_start(&q, &s->db, s->db.kind == DB_PG ?
		   "SELECT coalesce(max(version), 0) FROM airlock_schema" : "PRAGMA user_version", 0);
	if (db_q_row(&q) != 1) {
		fail(s, "reading its version", err, errlen);
		goto out;
	}
	*v = (int)db_col_int64(&q, 0);
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

static int record_version(struct store *s, char *err, size_t errlen)
{
	char sql[128];

	if (s->db.kind == DB_PG)
		snprintf(sql, sizeof(sql), "DELETE FROM airlock_schema; "
			 "INSERT INTO airlock_schema(version) VALUES(%d)", STORE_SCHEMA_VERSION);
	else
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	return db_script(&s->db, sql) == 0 ? 0 : fail(s, "recording its version", err, errlen);
}

/* SQLite's steps from version v. */
static int sqlite_steps(struct store *s, int v, char *err, size_t errlen)
{
	if (v < 1 && db_script(&s->db, schema_v1) != 0)
		return fail(s, "version 1", err, errlen);
	if (v < 2) {
		if (db_script(&s->db, schema_v2) != 0)
			return fail(s, "version 2", err, errlen);
		if (v2_rows(s, err, errlen) != 0)
			return -1;
	}
	if (v < 3 && db_script(&s->db, schema_v3) != 0)
		return fail(s, "version 3", err, errlen);
	return 0;
}

/* PostgreSQL's steps from version v (0: an empty database). */
static int pg_steps(struct store *s, int v, char *err, size_t errlen)
{
	if (v < 2 && db_script(&s->db, pg_schema_v2) != 0)
		return fail(s, "version 2", err, errlen);
	if (v < 3 && db_script(&s->db, schema_v3) != 0)
		return fail(s, "version 3", err, errlen);
	return 0;
}

int store_migrate(struct store *s, char *err, size_t errlen)
{
	int pg = s->db.kind == DB_PG, v, ret = -1;

	if (db_begin(&s->db) != 0)
		return fail(s, "locking it", err, errlen);
	/*
	 * PostgreSQL: instances starting at once upgrade it once (a lock held to
	 * COMMIT; SQLite's BEGIN IMMEDIATE already is one).
	 */
	if (pg && db_script(&s->db, "SELECT pg_advisory_xact_lock(7306086417650131);"
			    "CREATE TABLE IF NOT EXISTS airlock_schema(version BIGINT NOT NULL)") != 0) {
		fail(s, "locking it", err, errlen);
		goto out;
	}
	if (recorded_version(s, &v, err, errlen) != 0)
		goto out;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "state database %s has schema version %d, this "
			 "airlock-verifier knows up to %d: run the newer airlock-verifier that wrote it",
			 store_where(s), v, STORE_SCHEMA_VERSION);
		goto out;
	}
	if ((pg ? pg_steps : sqlite_steps)(s, v, err, errlen) != 0)
		goto out;
	if (v != STORE_SCHEMA_VERSION && record_version(s, err, errlen) != 0)
		goto out;
	if (db_commit(&s->db) != 0) {
		fail(s, "committing", err, errlen);
		goto out;
	}
	/* Pages that held V before version 2 leave the write-ahead log now. */
	if (!pg && v < 2)
		db_script(&s->db, "PRAGMA wal_checkpoint(TRUNCATE)");
	ret = 0;
out:
	if (ret != 0)
		db_rollback(&s->db);
	return ret;
}

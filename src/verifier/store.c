/* SPDX-License-Identifier: GPL-2.0-only */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "encoding.h"
#include "store_migrate.h"

static int db_fail(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "state database: %s: %s", what, db_errmsg(&s->db));
	return -1;
}

int store_db_choice(const char *given, const char **db, char *err, size_t errlen)
{
	const char *e = getenv("AIRLOCK_VERIFIER_DB");

	*db = given ? given : e && *e ? e : NULL;
	if (!*db || db_is_pg_url(*db))
		return 0;
	snprintf(err, errlen, "%s wants a postgresql:// URL (the SQLite database is the state "
		 "directory's %s, chosen by --state)", given ? "--db" : "AIRLOCK_VERIFIER_DB",
		 STORE_FILE);
	return -1;
}

const char *store_where(const struct store *s)
{
	return s->db.where;
}

/* DIR/verifier.db, made 0600 before SQLite opens it. */
static int open_sqlite(struct store *s, const char *path, char *err, size_t errlen)
{
	int fd;

	/*
	 * Create it 0600 ourselves (SQLite would use the umask; its -wal and -shm
	 * files copy the database's mode). Only when it does not exist yet:
	 * closing any descriptor of the file would drop the POSIX locks another
	 * connection of this process holds on it, and SQLite's locking with them.
	 */
	if (access(path, F_OK) != 0) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		if (fd >= 0)
			close(fd);
	} else if (chmod(path, 0600) != 0) {
		snprintf(err, errlen, "cannot make %s private (chmod 0600): %s", path, strerror(errno));
		return -1;
	}
	if (db_open_sqlite(&s->db, path, err, errlen) != 0)
		return -1;
	/* WAL + NORMAL: a crash of the daemon loses nothing committed; only a power
	 * loss may drop the last verdicts, which the next round recomputes. */
	if (db_script(&s->db, "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON; "
		      "PRAGMA synchronous=NORMAL;") != 0)
		return db_fail(s, "setting it up", err, errlen);
	return 0;
}

int store_open(struct store *s, const char *dir, const char *db, char *err, size_t errlen)
{
	char path[4096];
	int ret = -1;

	memset(&s->db, 0, sizeof(s->db));
	if (strlen(dir) >= sizeof(s->dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "state directory path too long: %s", dir);
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (db && !db_is_pg_url(db)) {
		snprintf(err, errlen, "not a postgresql:// URL: the database must be PostgreSQL's "
			 "URL or nothing (SQLite in the state directory)");
		return -1;
	}
	if (db ? db_open_pg(&s->db, db, err, errlen) : open_sqlite(s, path, err, errlen))
		goto out;
	if (store_migrate(s, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		store_close(s);
	return ret;
}

void store_close(struct store *s)
{
	db_close(&s->db);
}

int store_rounds_connection(struct store *s, char *err, size_t errlen)
{
	return db_session(&s->db, "SET synchronous_commit = off") == 0 ? 0 :
	       db_fail(s, "relaxing commits for rounds", err, errlen);
}

int store_begin(struct store *s, char *err, size_t errlen)
{
	return db_begin(&s->db) == 0 ? 0 : db_fail(s, "starting a transaction", err, errlen);
}

int store_commit(struct store *s, char *err, size_t errlen)
{
	if (db_commit(&s->db) == 0)
		return 0;
	db_fail(s, "committing", err, errlen);
	store_rollback(s);
	return -1;
}

void store_rollback(struct store *s)
{
	db_rollback(&s->db);
}

static void copy_text(struct db_q *q, int col, char *out, size_t cap)
{
	const char *t = db_col_text(q, col);

	snprintf(out, cap, "%s", t ? t : "");
}

static int copy_blob(struct db_q *q, int col, uint8_t *out, size_t cap, size_t *len)
{
	size_t n;
	const void *b = db_col_blob(q, col, &n);

	if (n > cap)
		return -1;
	if (n)
		memcpy(out, b, n);
	*len = n;
	return 0;
}

#define COLUMNS "uuid, ek_tpm, aik_tpm, ip, port, mtls, ek_trust, state, policy, nk_pem," \
	" challenge, challenge_hmac, have_counters, reset_count, restart_count, clock," \
	" last_time, verdict, reason, passes, failures, api_version, mtls_cert, ek_hash," \
	" uuid_bound, fw_version, v_state, release_reset, agent_mode, gen"
/* Every column of COLUMNS but uuid, from the row an upsert offered. */
#define EXCLUDED "ek_tpm = excluded.ek_tpm, aik_tpm = excluded.aik_tpm, ip = excluded.ip," \
	" port = excluded.port, mtls = excluded.mtls, ek_trust = excluded.ek_trust," \
	" state = excluded.state, policy = excluded.policy, nk_pem = excluded.nk_pem," \
	" challenge = excluded.challenge, challenge_hmac = excluded.challenge_hmac," \
	" have_counters = excluded.have_counters, reset_count = excluded.reset_count," \
	" restart_count = excluded.restart_count, clock = excluded.clock," \
	" last_time = excluded.last_time, verdict = excluded.verdict, reason = excluded.reason," \
	" passes = excluded.passes, failures = excluded.failures," \
	" api_version = excluded.api_version, mtls_cert = excluded.mtls_cert," \
	" ek_hash = excluded.ek_hash, uuid_bound = excluded.uuid_bound," \
	" fw_version = excluded.fw_version, v_state = excluded.v_state," \
	" release_reset = excluded.release_reset, agent_mode = excluded.agent_mode," \
	" gen = excluded.gen"

static int row_to_node(struct db_q *q, struct store_node *n)
{
	int c = 0;

	memset(n, 0, sizeof(*n));
	copy_text(q, c++, n->uuid, sizeof(n->uuid));
	if (copy_blob(q, c++, n->ek_tpm, sizeof(n->ek_tpm), &n->ek_tpm_len) != 0 ||
	    copy_blob(q, c++, n->aik_tpm, sizeof(n->aik_tpm), &n->aik_tpm_len) != 0)
		return -1;
	copy_text(q, c++, n->ip, sizeof(n->ip));
	n->port = (int)db_col_int64(q, c++);
	n->mtls = (int)db_col_int64(q, c++);
	copy_text(q, c++, n->ek_trust, sizeof(n->ek_trust));
	copy_text(q, c++, n->state, sizeof(n->state));
	copy_text(q, c++, n->policy, sizeof(n->policy));
	copy_text(q, c++, n->nk_pem, sizeof(n->nk_pem));
	copy_text(q, c++, n->challenge, sizeof(n->challenge));
	copy_text(q, c++, n->challenge_hmac, sizeof(n->challenge_hmac));
	n->have_counters = (int)db_col_int64(q, c++);
	n->reset_count = db_col_int64(q, c++);
	n->restart_count = db_col_int64(q, c++);
	n->clock = db_col_int64(q, c++);
	n->last_time = db_col_int64(q, c++);
	copy_text(q, c++, n->verdict, sizeof(n->verdict));
	copy_text(q, c++, n->reason, sizeof(n->reason));
	n->passes = db_col_int64(q, c++);
	n->failures = db_col_int64(q, c++);
	copy_text(q, c++, n->api_version, sizeof(n->api_version));
	copy_text(q, c++, n->mtls_cert, sizeof(n->mtls_cert));
	copy_text(q, c++, n->ek_hash, sizeof(n->ek_hash));
	copy_text(q, c++, n->uuid_bound, sizeof(n->uuid_bound));
	n->fw_version = db_col_int64(q, c++);
	n->v_state = (int)db_col_int64(q, c++);
	n->release_reset = db_col_null(q, c) ? -1 : db_col_int64(q, c);
	c++;
	copy_text(q, c++, n->agent_mode, sizeof(n->agent_mode));
	n->gen = db_col_int64(q, c++);
	return 0;
}

/*
 * The first row sql (one "?" bound to uuid) selects: 1 with q on it, 0 for
 * none, -1 on error (err says what, while doing what). The caller ends q.
 */
static int row_of(struct store *s, const char *sql, const char *uuid, const char *what,
		  struct db_q *q, char *err, size_t errlen)
{
	int rc;

	db_q_start(q, &s->db, sql, 1);
	db_bind_text(q, uuid);
	rc = db_q_row(q);
	if (rc < 0)
		db_fail(s, what, err, errlen);
	return rc;
}

int store_get(struct store *s, const char *uuid, struct store_node *n, char *err, size_t errlen)
{
	struct db_q q;
	int ret = row_of(s, "SELECT " COLUMNS " FROM nodes WHERE uuid = ?", uuid, "reading a node",
			 &q, err, errlen);

	if (ret != 1)
		goto out;
	ret = -1;
	if (row_to_node(&q, n) != 0) {
		snprintf(err, errlen, "state database: node %s has an oversized key", uuid);
		goto out;
	}
	ret = 1;
out:
	db_q_end(&q);
	return ret;
}

static void bind_release_reset(struct db_q *q, int64_t r)
{
	if (r < 0)
		db_bind_null(q);
	else
		db_bind_int64(q, r);
}

int store_put(struct store *s, const struct store_node *n, char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO nodes(" COLUMNS ") VALUES("
		"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		" ON CONFLICT(uuid) DO UPDATE SET " EXCLUDED;
	struct db_q q;
	int ret = -1;

	db_q_start(&q, &s->db, sql, 1);
	db_bind_text(&q, n->uuid);
	db_bind_blob(&q, n->ek_tpm, n->ek_tpm_len);
	db_bind_blob(&q, n->aik_tpm, n->aik_tpm_len);
	db_bind_text(&q, n->ip);
	db_bind_int64(&q, n->port);
	db_bind_int64(&q, n->mtls);
	db_bind_text(&q, n->ek_trust);
	db_bind_text(&q, n->state);
	db_bind_text_or_null(&q, n->policy);
	db_bind_text_or_null(&q, n->nk_pem);
	db_bind_text_or_null(&q, n->challenge);
	db_bind_text_or_null(&q, n->challenge_hmac);
	db_bind_int64(&q, n->have_counters);
	db_bind_int64(&q, n->reset_count);
	db_bind_int64(&q, n->restart_count);
	db_bind_int64(&q, n->clock);
	db_bind_int64(&q, n->last_time);
	db_bind_text_or_null(&q, n->verdict);
	db_bind_text_or_null(&q, n->reason);
	db_bind_int64(&q, n->passes);
	db_bind_int64(&q, n->failures);
	db_bind_text_or_null(&q, n->api_version);
	db_bind_text_or_null(&q, n->mtls_cert);
	db_bind_text_or_null(&q, n->ek_hash);
	db_bind_text_or_null(&q, n->uuid_bound);
	db_bind_int64(&q, n->fw_version);
	db_bind_int64(&q, n->v_state);
	bind_release_reset(&q, n->release_reset);
	db_bind_text_or_null(&q, n->agent_mode);
	db_bind_int64(&q, n->gen);
	if (db_q_exec(&q) != 0) {
		db_fail(s, "writing a node", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

int store_put_if_gen(struct store *s, const struct store_node *n, int64_t expect_gen, char *err,
		     size_t errlen)
{
	/* PostgreSQL: the row stays locked until COMMIT, so no other instance writes between. */
	static const char sql_sqlite[] = "SELECT gen FROM nodes WHERE uuid = ?";
	static const char sql_pg[] = "SELECT gen FROM nodes WHERE uuid = ? FOR UPDATE";
	struct db_q q;
	int rc, same;

	if (store_begin(s, err, errlen) != 0)
		return -1;
	if (store_lock_node(s, n->uuid, err, errlen) != 0)
		goto fail;
	rc = row_of(s, s->db.kind == DB_PG ? sql_pg : sql_sqlite, n->uuid, "reading a node", &q,
		    err, errlen);
	same = rc == 1 && db_col_int64(&q, 0) == expect_gen;
	db_q_end(&q);
	if (rc < 0)
		goto fail;
	if (!same) {
		store_rollback(s);
		return 1;
	}
	if (store_put(s, n, err, errlen) != 0 || store_commit(s, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int store_put_round(struct store *s, const struct store_node *n, int64_t expect_gen, char *err,
		    size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET state = ?, have_counters = ?, reset_count = ?,"
		" restart_count = ?, clock = ?, fw_version = ?, last_time = ?, verdict = ?, reason = ?,"
		" passes = ?, failures = ?, v_state = ?, release_reset = ? WHERE uuid = ? AND gen = ?"
		" AND (holder IS NULL OR holder = ?)";
	struct db_q q;
	int ret = -1;

	db_q_start(&q, &s->db, sql, 1);
	db_bind_text(&q, n->state);
	db_bind_int64(&q, n->have_counters);
	db_bind_int64(&q, n->reset_count);
	db_bind_int64(&q, n->restart_count);
	db_bind_int64(&q, n->clock);
	db_bind_int64(&q, n->fw_version);
	db_bind_int64(&q, n->last_time);
	db_bind_text_or_null(&q, n->verdict);
	db_bind_text_or_null(&q, n->reason);
	db_bind_int64(&q, n->passes);
	db_bind_int64(&q, n->failures);
	db_bind_int64(&q, n->v_state);
	bind_release_reset(&q, n->release_reset);
	db_bind_text(&q, n->uuid);
	db_bind_int64(&q, expect_gen);
	db_bind_text(&q, s->me);
	if (db_q_exec(&q) != 0) {
		db_fail(s, "recording a round", err, errlen);
		goto out;
	}
	ret = db_q_changes(&q) == 1 ? 0 : 1;
out:
	db_q_end(&q);
	return ret;
}

/* In a transaction: its COMMIT waits for the disk (PostgreSQL), whatever the session says. */
static int db_session_local_sync(struct store *s, char *err, size_t errlen)
{
	if (s->db.kind == DB_SQLITE)
		return 0;
	return db_script(&s->db, "SET LOCAL synchronous_commit = on") == 0 ? 0 :
	       db_fail(s, "waiting for the disk", err, errlen);
}

int store_put_round_durable(struct store *s, const struct store_node *n, int64_t expect_gen,
			    char *err, size_t errlen)
{
	int rc;

	if (s->db.kind == DB_SQLITE)
		return store_put_round(s, n, expect_gen, err, errlen);
	if (store_begin(s, err, errlen) != 0)
		return -1;
	if (db_session_local_sync(s, err, errlen) != 0) {
		store_rollback(s);
		return -1;
	}
	rc = store_put_round(s, n, expect_gen, err, errlen);
	if (rc < 0 || store_commit(s, err, errlen) != 0) {
		store_rollback(s);
		return -1;
	}
	return rc;
}

int store_lock_node(struct store *s, const char *uuid, char *err, size_t errlen)
{
	struct db_q q;
	int ret = 0;

	if (s->db.kind == DB_SQLITE)
		return 0;
	db_q_start(&q, &s->db, "SELECT pg_advisory_xact_lock(hashtextextended(?, 7306086417650132))", 1);
	db_bind_text(&q, uuid);
	if (db_q_row(&q) != 1)
		ret = db_fail(s, "locking a node", err, errlen);
	db_q_end(&q);
	return ret;
}

void store_set_instance(struct store *s, const char *me)
{
	snprintf(s->me, sizeof(s->me), "%s", me ? me : "");
}

/* One statement (a constant) with text parameters, run to completion. */
static int exec_text(struct store *s, const char *sql, const char *const *args, int nargs,
		     const char *what, char *err, size_t errlen)
{
	struct db_q q;
	int ret = 0;

	db_q_start(&q, &s->db, sql, 1);
	for (int i = 0; i < nargs; i++)
		db_bind_text(&q, args[i]);
	if (db_q_exec(&q) != 0)
		ret = db_fail(s, what, err, errlen);
	db_q_end(&q);
	return ret;
}

/* One statement with text parameters and one integer result; -1 on error. */
static int64_t query_int(struct store *s, const char *sql, const char *const *args, int nargs,
			 const char *what, char *err, size_t errlen)
{
	struct db_q q;
	int64_t ret = -1;

	db_q_start(&q, &s->db, sql, 1);
	for (int i = 0; i < nargs; i++)
		db_bind_text(&q, args[i]);
	if (db_q_row(&q) != 1) {
		db_fail(s, what, err, errlen);
		goto out;
	}
	ret = db_col_int64(&q, 0);
out:
	db_q_end(&q);
	return ret;
}

static void now_text(char *t, size_t cap)
{
	snprintf(t, cap, "%lld", (long long)time(NULL));
}

int store_delete(struct store *s, const char *uuid, char *err, size_t errlen)
{
	const char *a[1] = { uuid };

	return exec_text(s, "DELETE FROM nodes WHERE uuid = ?", a, 1, "deleting a node", err,
			 errlen);
}

int store_count_ek(struct store *s, const char *ek_hash, const char *except_uuid, char *err,
		   size_t errlen)
{
	const char *a[2] = { ek_hash, except_uuid };

	return (int)query_int(s, "SELECT count(*) FROM nodes WHERE ek_hash = ? AND uuid != ?", a, 2,
			      "counting a node's uuids", err, errlen);
}

int store_history(struct store *s, const char *uuid, const char *verdict, const char *reason,
		  char *err, size_t errlen)
{
	char t[32];
	const char *a[4] = { uuid, t, verdict, reason };

	now_text(t, sizeof(t));
	return exec_text(s, "INSERT INTO history(uuid, time, verdict, reason) VALUES(?, ?, ?, ?)",
			 a, 4, "writing history", err, errlen);
}

static _Atomic unsigned long rejections;

int store_reject(struct store *s, const char *uuid, const char *reason, const char *peer,
		 char *err, size_t errlen)
{
	/* One row per uuid: a flood of refusals updates a row instead of adding one. */
#define UPSERT_REJECTED "INSERT INTO rejected(uuid, time, reason, count, peer) VALUES(?, ?, ?, 1, ?)" \
	" ON CONFLICT(uuid) DO UPDATE SET time = excluded.time, reason = excluded.reason," \
	" count = rejected.count + 1, peer = excluded.peer RETURNING "
	static const char up_sqlite[] = UPSERT_REJECTED "rowid";
	static const char up_pg[] = UPSERT_REJECTED "id";
#undef UPSERT_REJECTED
	/* And new uuids push the oldest out (row ids grow with insertion). */
	static const char trim_sqlite[] = "DELETE FROM rejected WHERE rowid < (SELECT rowid FROM"
		" rejected ORDER BY rowid DESC LIMIT 1 OFFSET ?)";
	static const char trim_pg[] = "DELETE FROM rejected WHERE id < (SELECT id FROM"
		" rejected ORDER BY id DESC LIMIT 1 OFFSET ?)";
	int pg = s->db.kind == DB_PG;
	char t[32], keep[32];
	const char *b[1] = { keep };
	struct db_q q;
	int64_t id = -1;

	now_text(t, sizeof(t));
	db_q_start(&q, &s->db, pg ? up_pg : up_sqlite, 1);
	db_bind_text(&q, uuid);
	db_bind_text(&q, t);
	db_bind_text(&q, reason);
	db_bind_text(&q, peer);
	if (db_q_row(&q) == 1)
		id = db_col_int64(&q, 0);
	db_q_end(&q);
	if (id < 0)
		return db_fail(s, "recording a rejection", err, errlen);
	/*
	 * Every 64th refusal this process records, whatever the row ids (on
	 * PostgreSQL an attacker who alternates new and known uuids chooses which
	 * ids come back).
	 */
	if (atomic_fetch_add(&rejections, 1) % 64 != 63)
		return 0;
	snprintf(keep, sizeof(keep), "%d", STORE_REJECTED_MAX - 1);
	return exec_text(s, pg ? trim_pg : trim_sqlite, b, 1, "trimming rejections", err, errlen);
}

int store_last_rejection(struct store *s, const char *uuid, int64_t *t, char *reason, size_t cap,
			 int64_t *count, char *err, size_t errlen)
{
	struct db_q q;
	int ret = row_of(s, "SELECT time, reason, count FROM rejected WHERE uuid = ?", uuid,
			 "reading rejections", &q, err, errlen);

	if (ret != 1)
		goto out;
	*t = db_col_int64(&q, 0);
	copy_text(&q, 1, reason, cap);
	if (count)
		*count = db_col_int64(&q, 2);
out:
	db_q_end(&q);
	return ret;
}

int store_each(struct store *s, int (*fn)(void *ctx, const struct store_node *n), void *ctx,
	       char *err, size_t errlen)
{
	static __thread struct store_node n;
	struct db_q q;
	int ret = -1, rc;

	db_q_start(&q, &s->db, "SELECT " COLUMNS " FROM nodes ORDER BY uuid", 1);
	while ((rc = db_q_row(&q)) == 1) {
		if (row_to_node(&q, &n) != 0)
			continue;
		if (fn(ctx, &n) != 0)
			break;
	}
	if (rc < 0) {
		db_fail(s, "listing nodes", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

/*
 * SELECT columns FROM nodes WHERE state IN (states...) ORDER BY uuid into sql
 * (which must outlive q), started and bound.
 */
static void in_states(struct store *s, const char *columns, const char *const *states,
		      char *sql, size_t cap, struct db_q *q)
{
	size_t off;
	int k = 0;

	off = (size_t)snprintf(sql, cap, "SELECT %s FROM nodes WHERE state IN (", columns);
	for (; states[k] && k < 8; k++)
		off += (size_t)snprintf(sql + off, cap - off, "%s?", k ? "," : "");
	snprintf(sql + off, cap - off, ") ORDER BY uuid");
	/* Not a constant: prepared for this one use. */
	db_q_start(q, &s->db, sql, 0);
	for (int i = 0; i < k; i++)
		db_bind_text(q, states[i]);
}

int store_each_contact(struct store *s, const char *const *states,
		       int (*fn)(void *ctx, const struct store_contact *c), void *ctx, char *err,
		       size_t errlen)
{
	char sql[320];
	struct db_q q;
	struct store_contact c;
	int ret = -1, rc;

	in_states(s, "uuid, state, ip, port, mtls, api_version", states, sql, sizeof(sql), &q);
	while ((rc = db_q_row(&q)) == 1) {
		c.uuid = db_col_text(&q, 0);
		c.state = db_col_text(&q, 1);
		c.ip = db_col_text(&q, 2);
		c.port = (int)db_col_int64(&q, 3);
		c.mtls = (int)db_col_int64(&q, 4);
		c.api_version = db_col_text(&q, 5);
		if (!c.api_version)
			c.api_version = "";
		if (c.uuid && c.state && c.ip && fn(ctx, &c) != 0)
			break;
	}
	if (rc < 0) {
		db_fail(s, "listing nodes by state", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

int store_each_in_state(struct store *s, const char *const *states,
			int (*fn)(void *ctx, const char *uuid, const char *state), void *ctx,
			char *err, size_t errlen)
{
	char sql[320];
	struct db_q q;
	int ret = -1, rc;

	in_states(s, "uuid, state", states, sql, sizeof(sql), &q);
	while ((rc = db_q_row(&q)) == 1)
		if (fn(ctx, db_col_text(&q, 0), db_col_text(&q, 1)) != 0)
			break;
	if (rc < 0) {
		db_fail(s, "listing nodes by state", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

int store_history_each(struct store *s, const char *uuid, int limit,
		       int (*fn)(void *ctx, int64_t t, const char *verdict, const char *reason),
		       void *ctx, char *err, size_t errlen)
{
	struct db_q q;
	int ret = -1, rc;

	db_q_start(&q, &s->db, "SELECT time, verdict, reason FROM history WHERE uuid = ?"
		   " ORDER BY id DESC LIMIT ?", 1);
	db_bind_text(&q, uuid);
	db_bind_int64(&q, limit);
	while ((rc = db_q_row(&q)) == 1)
		if (fn(ctx, db_col_int64(&q, 0), db_col_text(&q, 1), db_col_text(&q, 2)) != 0)
			break;
	if (rc < 0) {
		db_fail(s, "reading history", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

/* ---- pending registrations -------------------------------------------- */

#define PCOLUMNS "uuid, ek_tpm, aik_tpm, ek_hash, ip, port, mtls_cert, ek_trust, uuid_bound," \
	" secret_b64, peer, created"

int store_pending_add(struct store *s, const struct store_pending *p, char *err, size_t errlen)
{
	struct db_q q;
	int ret = 0;

	db_q_start(&q, &s->db, "INSERT INTO pending(" PCOLUMNS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", 1);
	db_bind_text(&q, p->uuid);
	db_bind_blob(&q, p->ek_tpm, p->ek_tpm_len);
	db_bind_blob(&q, p->aik_tpm, p->aik_tpm_len);
	db_bind_text(&q, p->ek_hash);
	db_bind_text(&q, p->ip);
	db_bind_int64(&q, p->port);
	db_bind_text_or_null(&q, p->mtls_cert);
	db_bind_text(&q, p->ek_trust);
	db_bind_text_or_null(&q, p->uuid_bound);
	db_bind_text(&q, p->secret_b64);
	db_bind_text(&q, p->peer);
	db_bind_int64(&q, p->created);
	if (db_q_exec(&q) != 0)
		ret = db_fail(s, "recording a registration", err, errlen);
	db_q_end(&q);
	return ret;
}

int store_pending_expire(struct store *s, int64_t before, char *err, size_t errlen)
{
	char t[32];
	const char *a[1] = { t };

	snprintf(t, sizeof(t), "%lld", (long long)before);
	return exec_text(s, "DELETE FROM pending WHERE created < ?", a, 1,
			 "expiring registrations", err, errlen);
}

int store_pending_counts(struct store *s, const char *uuid, const char *peer, int *per_uuid,
			 int *per_peer, int *total, char *err, size_t errlen)
{
	const char *a[1] = { uuid }, *b[1] = { peer };
	int64_t u, p, t;

	if ((u = query_int(s, "SELECT count(*) FROM pending WHERE uuid = ?", a, 1,
			   "counting registrations", err, errlen)) < 0 ||
	    (p = query_int(s, "SELECT count(*) FROM pending WHERE peer = ?", b, 1,
			   "counting registrations", err, errlen)) < 0 ||
	    (t = query_int(s, "SELECT count(*) FROM pending", NULL, 0, "counting registrations",
			   err, errlen)) < 0)
		return -1;
	*per_uuid = (int)u;
	*per_peer = (int)p;
	*total = (int)t;
	return 0;
}

int store_pending_each(struct store *s, const char *uuid,
		       int (*fn)(void *ctx, const struct store_pending *p), void *ctx, char *err,
		       size_t errlen)
{
	static __thread struct store_pending p;
	struct db_q q;
	int ret = -1, rc, c;

	db_q_start(&q, &s->db, "SELECT " PCOLUMNS " FROM pending WHERE uuid = ? ORDER BY id DESC", 1);
	db_bind_text(&q, uuid);
	while ((rc = db_q_row(&q)) == 1) {
		memset(&p, 0, sizeof(p));
		c = 0;
		copy_text(&q, c++, p.uuid, sizeof(p.uuid));
		if (copy_blob(&q, c++, p.ek_tpm, sizeof(p.ek_tpm), &p.ek_tpm_len) != 0 ||
		    copy_blob(&q, c++, p.aik_tpm, sizeof(p.aik_tpm), &p.aik_tpm_len) != 0)
			continue;
		copy_text(&q, c++, p.ek_hash, sizeof(p.ek_hash));
		copy_text(&q, c++, p.ip, sizeof(p.ip));
		p.port = (int)db_col_int64(&q, c++);
		copy_text(&q, c++, p.mtls_cert, sizeof(p.mtls_cert));
		copy_text(&q, c++, p.ek_trust, sizeof(p.ek_trust));
		copy_text(&q, c++, p.uuid_bound, sizeof(p.uuid_bound));
		copy_text(&q, c++, p.secret_b64, sizeof(p.secret_b64));
		copy_text(&q, c++, p.peer, sizeof(p.peer));
		p.created = db_col_int64(&q, c++);
		if ((ret = fn(ctx, &p)) != 0)
			goto out;
	}
	if (rc < 0) {
		db_fail(s, "reading registrations", err, errlen);
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(p.secret_b64, sizeof(p.secret_b64));
	db_q_end(&q);
	return ret;
}

int store_pending_clear(struct store *s, const char *uuid, char *err, size_t errlen)
{
	const char *a[1] = { uuid };

	return exec_text(s, "DELETE FROM pending WHERE uuid = ?", a, 1, "clearing registrations",
			 err, errlen);
}

/* ---- pins -------------------------------------------------------------- */

int store_pin_get(struct store *s, const char *uuid, char ek_hash[STORE_HASH_HEX + 1], char *err,
		  size_t errlen)
{
	struct db_q q;
	int ret = row_of(s, "SELECT ek_hash FROM pins WHERE uuid = ?", uuid, "reading a pin", &q,
			 err, errlen);

	if (ret == 1)
		copy_text(&q, 0, ek_hash, STORE_HASH_HEX + 1);
	db_q_end(&q);
	return ret;
}

int store_pin_set(struct store *s, const char *uuid, const char *ek_hash, char *err, size_t errlen)
{
	char t[32];
	const char *a[3] = { uuid, ek_hash, t };

	now_text(t, sizeof(t));
	return exec_text(s, "INSERT INTO pins(uuid, ek_hash, time) VALUES(?, ?, ?) ON CONFLICT(uuid)"
			 " DO UPDATE SET ek_hash = excluded.ek_hash, time = excluded.time", a, 3,
			 "writing a pin", err, errlen);
}

int store_pin_delete(struct store *s, const char *uuid, char *err, size_t errlen)
{
	const char *a[1] = { uuid };

	return exec_text(s, "DELETE FROM pins WHERE uuid = ?", a, 1, "removing a pin", err, errlen);
}

int store_uuid_ok(const char *s, size_t n)
{
	if (n == 0 || n > STORE_UUID_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!enc_is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

int store_count_states(struct store *s, int (*fn)(void *ctx, const char *state, int64_t n),
		       void *ctx, char *err, size_t errlen)
{
	struct db_q q;
	int ret = -1, rc;

	db_q_start(&q, &s->db, "SELECT state, count(*) FROM nodes GROUP BY state ORDER BY state", 1);
	while ((rc = db_q_row(&q)) == 1)
		if (fn(ctx, db_col_text(&q, 0), db_col_int64(&q, 1)) != 0)
			break;
	if (rc < 0) {
		db_fail(s, "counting nodes by state", err, errlen);
		goto out;
	}
	ret = 0;
out:
	db_q_end(&q);
	return ret;
}

/* ---- several instances: leases and V's claim ----------------------------- */

static int now_ms(struct store *s, int64_t *now, char *err, size_t errlen);

int store_instance_alive(struct store *s, const char *me, int64_t lease_ms, char *err,
			 size_t errlen)
{
	struct db_q q;
	int64_t now, n;
	int rc;

	if (s->db.kind == DB_SQLITE)
		return 0;
	if (now_ms(s, &now, err, errlen) != 0)
		return -1;
	db_q_start(&q, &s->db, "SELECT count(*) FROM instances WHERE id = ? AND seen > ?", 1);
	db_bind_text(&q, me);
	db_bind_int64(&q, now - lease_ms);
	rc = db_q_row(&q);
	n = rc == 1 ? db_col_int64(&q, 0) : -1;
	db_q_end(&q);
	if (rc != 1)
		return db_fail(s, "reading instances", err, errlen);
	return n > 0;
}

/* The states `serve` polls, as in serve.c's refresh. */
#define POLLED "state IN ('enrolled', 'attesting', 'unreachable')"

/* Now in ms: the database's clock on PostgreSQL (the one clock every instance shares). */
static int now_ms(struct store *s, int64_t *now, char *err, size_t errlen)
{
	struct timespec ts;

	if (s->db.kind == DB_PG) {
		*now = query_int(s, "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint",
				 NULL, 0, "reading the database's clock", err, errlen);
		return *now < 0 ? -1 : 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

/* One statement with integer and text parameters (i: int64, t: text, by fmt), its changes. */
static int64_t exec_mixed(struct store *s, const char *sql, const char *fmt, const int64_t *ints,
			  const char *const *texts, const char *what, char *err, size_t errlen)
{
	struct db_q q;
	int64_t ret = -1;

	db_q_start(&q, &s->db, sql, 1);
	for (const char *f = fmt; *f; f++) {
		if (*f == 'i')
			db_bind_int64(&q, *ints++);
		else
			db_bind_text(&q, *texts++);
	}
	if (db_q_exec(&q) != 0)
		db_fail(s, what, err, errlen);
	else
		ret = db_q_changes(&q);
	db_q_end(&q);
	return ret;
}

static int lease_take(struct store *s, const char *me, int64_t now, int64_t lease_ms, int64_t k,
		      int64_t *took_over, char *err, size_t errlen)
{
	/*
	 * Free: never held, or given back longer than a lease ago, or held by an
	 * instance that has not said it is alive for a lease. Rows another
	 * instance has locked (taking them now) are skipped.
	 */
	static const char sql[] = "WITH c AS (SELECT uuid, holder AS old FROM nodes WHERE " POLLED
		" AND ((holder IS NULL AND (lease_until IS NULL OR lease_until < ?))"
		" OR (holder <> ? AND holder NOT IN (SELECT id FROM instances WHERE seen > ?)))"
		" ORDER BY uuid LIMIT ? FOR UPDATE SKIP LOCKED)"
		" UPDATE nodes SET holder = ?, lease_until = NULL FROM c WHERE nodes.uuid = c.uuid"
		" RETURNING c.old";
	struct db_q q;
	int rc;

	db_q_start(&q, &s->db, sql, 1);
	db_bind_int64(&q, now);
	db_bind_text(&q, me);
	db_bind_int64(&q, now - lease_ms);
	db_bind_int64(&q, k);
	db_bind_text(&q, me);
	while ((rc = db_q_row(&q)) == 1)
		*took_over += !db_col_null(&q, 0);
	db_q_end(&q);
	return rc < 0 ? db_fail(s, "taking leases", err, errlen) : 0;
}

/*
 * A lease is the holder's: it lasts while the holder's row in instances was
 * renewed less than lease_ms ago, so renewing costs one row per call whatever
 * the number of nodes (not one row version per node and second).
 */
int store_lease(struct store *s, const char *me, int64_t lease_ms,
		int (*fn)(void *ctx, const char *uuid, const char *state), void *ctx,
		int64_t *took_over, char *err, size_t errlen)
{
	static const char *const polled[] = { "enrolled", "attesting", "unreachable", NULL };
	const char *t1[1] = { me };
	int64_t now, alive, total, held, share, ints[1];
	struct db_q q;
	int rc, ret = -1;

	*took_over = 0;
	if (s->db.kind == DB_SQLITE)
		return store_each_in_state(s, polled, fn, ctx, err, errlen);
	if (store_begin(s, err, errlen) != 0 || now_ms(s, &now, err, errlen) != 0)
		goto out;
	ints[0] = now;
	if (exec_mixed(s, "INSERT INTO instances(id, seen) VALUES(?, ?) ON CONFLICT(id) DO UPDATE"
		       " SET seen = excluded.seen", "ti", ints, t1, "recording this instance", err,
		       errlen) < 0)
		goto out;
	/* Instances gone for a day are forgotten. */
	ints[0] = now - 86400000;
	if (exec_mixed(s, "DELETE FROM instances WHERE seen < ?", "i", ints, NULL,
		       "forgetting old instances", err, errlen) < 0)
		goto out;
	db_q_start(&q, &s->db, "SELECT (SELECT count(*) FROM instances WHERE seen > ?),"
		   " (SELECT count(*) FROM nodes WHERE " POLLED "),"
		   " (SELECT count(*) FROM nodes WHERE holder = ? AND " POLLED ")", 1);
	db_bind_int64(&q, now - lease_ms);
	db_bind_text(&q, me);
	rc = db_q_row(&q);
	alive = rc == 1 ? db_col_int64(&q, 0) : 0;
	total = rc == 1 ? db_col_int64(&q, 1) : 0;
	held = rc == 1 ? db_col_int64(&q, 2) : 0;
	db_q_end(&q);
	if (rc != 1) {
		db_fail(s, "counting instances and nodes", err, errlen);
		goto out;
	}
	alive = alive < 1 ? 1 : alive;
	share = (total + alive - 1) / alive;
	if (held > share) {
		/* Given back, but not takeable for one lease: no node is asked twice in an interval. */
		if (exec_mixed(s, "UPDATE nodes SET holder = NULL, lease_until = ? WHERE uuid IN"
			       " (SELECT uuid FROM nodes WHERE holder = ? AND " POLLED " ORDER BY uuid"
			       " DESC LIMIT ? FOR UPDATE SKIP LOCKED)", "iti",
			       (int64_t[]){ now + lease_ms, held - share }, t1, "giving back leases",
			       err, errlen) < 0)
			goto out;
	} else if (held < share &&
		   lease_take(s, me, now, lease_ms, share - held, took_over, err, errlen) != 0) {
		goto out;
	}
	db_q_start(&q, &s->db, "SELECT uuid, state FROM nodes WHERE holder = ? AND " POLLED
		   " ORDER BY uuid", 1);
	db_bind_text(&q, me);
	while ((rc = db_q_row(&q)) == 1)
		if (fn(ctx, db_col_text(&q, 0), db_col_text(&q, 1)) != 0)
			break;
	db_q_end(&q);
	if (rc < 0) {
		db_fail(s, "listing leased nodes", err, errlen);
		goto out;
	}
	ret = store_commit(s, err, errlen);
out:
	if (ret != 0)
		store_rollback(s);
	return ret;
}

int store_lease_release(struct store *s, const char *me, char *err, size_t errlen)
{
	const char *t[1] = { me };

	if (s->db.kind == DB_SQLITE)
		return 0;
	if (exec_mixed(s, "UPDATE nodes SET holder = NULL, lease_until = NULL WHERE holder = ?", "t",
		       NULL, t, "giving back leases", err, errlen) < 0 ||
	    exec_mixed(s, "DELETE FROM instances WHERE id = ?", "t", NULL, t,
		       "recording this instance's stop", err, errlen) < 0)
		return -1;
	return 0;
}

int store_v_claim(struct store *s, const char *uuid, int64_t gen, int64_t ttl_ms, char *err,
		  size_t errlen)
{
	const char *t[1] = { uuid };
	int64_t now, ints[3], n;

	/*
	 * The claim holds its expiry, so whoever reads it applies the claimer's
	 * time-out, not its own; it waits for the disk (a claim lost in a crash
	 * would let V go twice).
	 */
	if (store_begin(s, err, errlen) != 0)
		return -1;
	if (db_session_local_sync(s, err, errlen) != 0 || now_ms(s, &now, err, errlen) != 0)
		goto fail;
	ints[0] = now + ttl_ms;
	ints[1] = gen;
	ints[2] = now;
	n = exec_mixed(s, "UPDATE nodes SET v_claim = ? WHERE uuid = ? AND gen = ? AND v_state = 1"
		       " AND (v_claim IS NULL OR v_claim < ?)", "itii", ints, t, "claiming V's send",
		       err, errlen);
	if (n < 0 || store_commit(s, err, errlen) != 0)
		goto fail;
	return n == 1;
fail:
	store_rollback(s);
	return -1;
}

int store_v_unclaim(struct store *s, const char *uuid, int64_t gen, char *err, size_t errlen)
{
	const char *t[1] = { uuid };
	int64_t ints[1] = { gen };

	return exec_mixed(s, "UPDATE nodes SET v_claim = NULL WHERE uuid = ? AND gen = ?", "ti", ints,
			  t, "giving back V's claim", err, errlen) < 0 ? -1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "encoding.h"
#include "store_migrate.h"

static int db_fail(struct store *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "state database: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

int store_open(struct store *s, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	int fd, ret = -1;

	s->db = NULL;
	s->ncache = 0;
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
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		db_fail(s, path, err, errlen);
		goto out;
	}
	sqlite3_busy_timeout(s->db, 10000);
	/* WAL + NORMAL: a crash of the daemon loses nothing committed; only a power
	 * loss may drop the last verdicts, which the next round recomputes. */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON; "
			 "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(s, "setting it up", err, errlen);
		goto out;
	}
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
	for (unsigned i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].st);
	s->ncache = 0;
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
}

/*
 * A statement for sql, a string constant: the one prepared the last time if
 * it is free (parsing SQL is much of a short statement's cost), else a new
 * one, kept when there is room. unprep() hands it back.
 */
static int prep(struct store *s, const char *sql, sqlite3_stmt **st)
{
	for (unsigned i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql && !sqlite3_stmt_busy(s->cache[i].st)) {
			*st = s->cache[i].st;
			return SQLITE_OK;
		}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	if (s->ncache < STORE_STMT_CACHE) {
		s->cache[s->ncache].sql = sql;
		s->cache[s->ncache++].st = *st;
	}
	return SQLITE_OK;
}

static void unprep(struct store *s, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < s->ncache; i++)
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

/* A statement without parameters or rows, from the cache. */
static int run(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = prep(s, sql, &st);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	unprep(s, st);
	return rc;
}

int store_begin(struct store *s, char *err, size_t errlen)
{
	return run(s, "BEGIN IMMEDIATE") == SQLITE_OK ? 0 :
	       db_fail(s, "starting a transaction", err, errlen);
}

int store_commit(struct store *s, char *err, size_t errlen)
{
	if (run(s, "COMMIT") == SQLITE_OK)
		return 0;
	db_fail(s, "committing", err, errlen);
	store_rollback(s);
	return -1;
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		run(s, "ROLLBACK");
}

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static int copy_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t cap, size_t *len)
{
	const void *b = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (n < 0 || (size_t)n > cap)
		return -1;
	if (n)
		memcpy(out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

#define COLUMNS "uuid, ek_tpm, aik_tpm, ip, port, mtls, ek_trust, state, policy, nk_pem," \
	" challenge, challenge_hmac, have_counters, reset_count, restart_count, clock," \
	" last_time, verdict, reason, passes, failures, api_version, mtls_cert, ek_hash," \
	" uuid_bound, fw_version, v_state, release_reset, agent_mode, gen"

static int row_to_node(sqlite3_stmt *st, struct store_node *n)
{
	int c = 0;

	memset(n, 0, sizeof(*n));
	copy_text(st, c++, n->uuid, sizeof(n->uuid));
	if (copy_blob(st, c++, n->ek_tpm, sizeof(n->ek_tpm), &n->ek_tpm_len) != 0 ||
	    copy_blob(st, c++, n->aik_tpm, sizeof(n->aik_tpm), &n->aik_tpm_len) != 0)
		return -1;
	copy_text(st, c++, n->ip, sizeof(n->ip));
	n->port = sqlite3_column_int(st, c++);
	n->mtls = sqlite3_column_int(st, c++);
	copy_text(st, c++, n->ek_trust, sizeof(n->ek_trust));
	copy_text(st, c++, n->state, sizeof(n->state));
	copy_text(st, c++, n->policy, sizeof(n->policy));
	copy_text(st, c++, n->nk_pem, sizeof(n->nk_pem));
	copy_text(st, c++, n->challenge, sizeof(n->challenge));
	copy_text(st, c++, n->challenge_hmac, sizeof(n->challenge_hmac));
	n->have_counters = sqlite3_column_int(st, c++);
	n->reset_count = sqlite3_column_int64(st, c++);
	n->restart_count = sqlite3_column_int64(st, c++);
	n->clock = sqlite3_column_int64(st, c++);
	n->last_time = sqlite3_column_int64(st, c++);
	copy_text(st, c++, n->verdict, sizeof(n->verdict));
	copy_text(st, c++, n->reason, sizeof(n->reason));
	n->passes = sqlite3_column_int64(st, c++);
	n->failures = sqlite3_column_int64(st, c++);
	copy_text(st, c++, n->api_version, sizeof(n->api_version));
	copy_text(st, c++, n->mtls_cert, sizeof(n->mtls_cert));
	copy_text(st, c++, n->ek_hash, sizeof(n->ek_hash));
	copy_text(st, c++, n->uuid_bound, sizeof(n->uuid_bound));
	n->fw_version = sqlite3_column_int64(st, c++);
	n->v_state = sqlite3_column_int(st, c++);
	n->release_reset = sqlite3_column_type(st, c) == SQLITE_NULL ? -1 :
			   sqlite3_column_int64(st, c);
	c++;
	copy_text(st, c++, n->agent_mode, sizeof(n->agent_mode));
	n->gen = sqlite3_column_int64(st, c++);
	return 0;
}

/*
 * The first row sql (one "?" bound to uuid) selects: 1 with *st on it, 0 for
 * none, -1 on error (err says what, while doing what). The caller hands *st back (unprep).
 */
static int row_of(struct store *s, const char *sql, const char *uuid, const char *what,
		  sqlite3_stmt **st, char *err, size_t errlen)
{
	int rc;

	*st = NULL;
	if (prep(s, sql, st) != SQLITE_OK ||
	    sqlite3_bind_text(*st, 1, uuid, -1, SQLITE_STATIC) != SQLITE_OK) {
		db_fail(s, what, err, errlen);
		return -1;
	}
	rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_fail(s, what, err, errlen);
	return -1;
}

int store_get(struct store *s, const char *uuid, struct store_node *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = row_of(s, "SELECT " COLUMNS " FROM nodes WHERE uuid = ?", uuid, "reading a node",
			 &st, err, errlen);

	if (ret != 1)
		goto out;
	ret = -1;
	if (row_to_node(st, n) != 0) {
		snprintf(err, errlen, "state database: node %s has an oversized key", uuid);
		goto out;
	}
	ret = 1;
out:
	unprep(s, st);
	return ret;
}

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *t)
{
	return t[0] ? sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int store_put(struct store *s, const struct store_node *n, char *err, size_t errlen)
{
	static const char sql[] = "INSERT OR REPLACE INTO nodes(" COLUMNS ") VALUES("
		"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *st = NULL;
	int ret = -1, i = 1, ok;

	if (prep(s, sql, &st) != SQLITE_OK) {
		db_fail(s, "writing a node", err, errlen);
		goto out;
	}
	ok = sqlite3_bind_text(st, i++, n->uuid, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_blob(st, i++, n->ek_tpm, (int)n->ek_tpm_len, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_blob(st, i++, n->aik_tpm, (int)n->aik_tpm_len, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, n->ip, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, n->port) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, n->mtls) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, n->ek_trust, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, n->state, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->policy) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->nk_pem) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->challenge) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->challenge_hmac) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, n->have_counters) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->reset_count) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->restart_count) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->clock) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->last_time) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->verdict) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->reason) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->passes) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->failures) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->api_version) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->mtls_cert) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->ek_hash) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->uuid_bound) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->fw_version) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, n->v_state) == SQLITE_OK &&
	     (n->release_reset < 0 ? sqlite3_bind_null(st, i++) :
				     sqlite3_bind_int64(st, i++, n->release_reset)) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->agent_mode) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->gen) == SQLITE_OK;
	if (!ok || sqlite3_step(st) != SQLITE_DONE) {
		db_fail(s, "writing a node", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

int store_put_if_gen(struct store *s, const struct store_node *n, int64_t expect_gen, char *err,
		     size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, same;

	if (store_begin(s, err, errlen) != 0)
		return -1;
	rc = row_of(s, "SELECT gen FROM nodes WHERE uuid = ?", n->uuid, "reading a node", &st, err,
		    errlen);
	same = rc == 1 && sqlite3_column_int64(st, 0) == expect_gen;
	unprep(s, st);
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
		" passes = ?, failures = ?, v_state = ?, release_reset = ? WHERE uuid = ? AND gen = ?";
	sqlite3_stmt *st = NULL;
	int ret = -1, i = 1, ok;

	if (prep(s, sql, &st) != SQLITE_OK) {
		db_fail(s, "recording a round", err, errlen);
		goto out;
	}
	ok = sqlite3_bind_text(st, i++, n->state, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, n->have_counters) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->reset_count) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->restart_count) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->clock) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->fw_version) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->last_time) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->verdict) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->reason) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->passes) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, n->failures) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, n->v_state) == SQLITE_OK &&
	     (n->release_reset < 0 ? sqlite3_bind_null(st, i++) :
				     sqlite3_bind_int64(st, i++, n->release_reset)) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, n->uuid, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, expect_gen) == SQLITE_OK;
	if (!ok || sqlite3_step(st) != SQLITE_DONE) {
		db_fail(s, "recording a round", err, errlen);
		goto out;
	}
	ret = sqlite3_changes(s->db) == 1 ? 0 : 1;
out:
	unprep(s, st);
	return ret;
}

/* sql (a constant) prepared with its text parameters bound: 0, or -1 with err. */
static int bound(struct store *s, const char *sql, const char *const *args, int nargs,
		 const char *what, sqlite3_stmt **st, char *err, size_t errlen)
{
	*st = NULL;
	if (prep(s, sql, st) != SQLITE_OK)
		return db_fail(s, what, err, errlen);
	for (int i = 0; i < nargs; i++)
		if (sqlite3_bind_text(*st, i + 1, args[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
			return db_fail(s, what, err, errlen);
	return 0;
}

/* One statement with text parameters, run to completion. */
static int exec_text(struct store *s, const char *sql, const char *const *args, int nargs,
		     const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int ret = -1;

	if (bound(s, sql, args, nargs, what, &st, err, errlen) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(s, what, err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

/* One statement with text parameters and one integer result; -1 on error. */
static int64_t query_int(struct store *s, const char *sql, const char *const *args, int nargs,
			 const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t ret = -1;

	if (bound(s, sql, args, nargs, what, &st, err, errlen) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_fail(s, what, err, errlen);
		goto out;
	}
	ret = sqlite3_column_int64(st, 0);
out:
	unprep(s, st);
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

int store_reject(struct store *s, const char *uuid, const char *reason, const char *peer,
		 char *err, size_t errlen)
{
	char t[32], cap[32];
	const char *a[4] = { uuid, t, reason, peer };
	const char *b[1] = { cap };

	now_text(t, sizeof(t));
	snprintf(cap, sizeof(cap), "%d", STORE_REJECTED_MAX);
	/* One row per uuid: a flood of refusals updates a row instead of adding one. */
	if (exec_text(s, "INSERT INTO rejected(uuid, time, reason, count, peer) VALUES(?, ?, ?, 1, ?)"
		      " ON CONFLICT(uuid) DO UPDATE SET time = excluded.time, reason = excluded.reason,"
		      " count = count + 1, peer = excluded.peer", a, 4, "recording a rejection", err,
		      errlen) != 0)
		return -1;
	/* And new uuids push the oldest out (rowid order is insertion order). */
	if (sqlite3_changes(s->db) && sqlite3_last_insert_rowid(s->db) % 64 == 0)
		return exec_text(s, "DELETE FROM rejected WHERE rowid <= (SELECT max(rowid) FROM "
				 "rejected) - ?", b, 1, "trimming rejections", err, errlen);
	return 0;
}

int store_last_rejection(struct store *s, const char *uuid, int64_t *t, char *reason, size_t cap,
			 int64_t *count, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = row_of(s, "SELECT time, reason, count FROM rejected WHERE uuid = ?", uuid,
			 "reading rejections", &st, err, errlen);

	if (ret != 1)
		goto out;
	*t = sqlite3_column_int64(st, 0);
	copy_text(st, 1, reason, cap);
	if (count)
		*count = sqlite3_column_int64(st, 2);
out:
	unprep(s, st);
	return ret;
}

int store_each(struct store *s, int (*fn)(void *ctx, const struct store_node *n), void *ctx,
	       char *err, size_t errlen)
{
	static __thread struct store_node n;
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (prep(s, "SELECT " COLUMNS " FROM nodes ORDER BY uuid", &st) != SQLITE_OK) {
		db_fail(s, "listing nodes", err, errlen);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_to_node(st, &n) != 0)
			continue;
		if (fn(ctx, &n) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, "listing nodes", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

/* SELECT columns FROM nodes WHERE state IN (states...) ORDER BY uuid, prepared and bound. */
static int in_states(struct store *s, const char *columns, const char *const *states,
		     sqlite3_stmt **st, char *err, size_t errlen)
{
	char sql[320];
	size_t off;
	int k = 0;

	off = (size_t)snprintf(sql, sizeof(sql), "SELECT %s FROM nodes WHERE state IN (", columns);
	for (; states[k] && k < 8; k++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s?", k ? "," : "");
	snprintf(sql + off, sizeof(sql) - off, ") ORDER BY uuid");
	/* Not a constant: never cached (unprep finalizes it). */
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_fail(s, "listing nodes by state", err, errlen);
	for (int i = 0; i < k; i++)
		if (sqlite3_bind_text(*st, i + 1, states[i], -1, SQLITE_STATIC) != SQLITE_OK)
			return db_fail(s, "listing nodes by state", err, errlen);
	return 0;
}

int store_each_contact(struct store *s, const char *const *states,
		       int (*fn)(void *ctx, const struct store_contact *c), void *ctx, char *err,
		       size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct store_contact c;
	int ret = -1, rc;

	if (in_states(s, "uuid, state, ip, port, mtls, api_version", states, &st, err, errlen) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.uuid = (const char *)sqlite3_column_text(st, 0);
		c.state = (const char *)sqlite3_column_text(st, 1);
		c.ip = (const char *)sqlite3_column_text(st, 2);
		c.port = sqlite3_column_int(st, 3);
		c.mtls = sqlite3_column_int(st, 4);
		c.api_version = (const char *)sqlite3_column_text(st, 5);
		if (!c.api_version)
			c.api_version = "";
		if (c.uuid && c.state && c.ip && fn(ctx, &c) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, "listing nodes by state", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

int store_each_in_state(struct store *s, const char *const *states,
			int (*fn)(void *ctx, const char *uuid, const char *state), void *ctx,
			char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (in_states(s, "uuid, state", states, &st, err, errlen) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, "listing nodes by state", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

int store_history_each(struct store *s, const char *uuid, int limit,
		       int (*fn)(void *ctx, int64_t t, const char *verdict, const char *reason),
		       void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (prep(s, "SELECT time, verdict, reason FROM history WHERE uuid = ?"
		 " ORDER BY id DESC LIMIT ?", &st) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, limit) != SQLITE_OK) {
		db_fail(s, "reading history", err, errlen);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, "reading history", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

/* ---- pending registrations -------------------------------------------- */

#define PCOLUMNS "uuid, ek_tpm, aik_tpm, ek_hash, ip, port, mtls_cert, ek_trust, uuid_bound," \
	" secret_b64, peer, created"

int store_pending_add(struct store *s, const struct store_pending *p, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, i = 1, ok;

	if (prep(s, "INSERT INTO pending(" PCOLUMNS ") VALUES(?,?,?,?,?,?,?,?,?,"
			       "?,?,?)", &st) != SQLITE_OK) {
		db_fail(s, "recording a registration", err, errlen);
		goto out;
	}
	ok = sqlite3_bind_text(st, i++, p->uuid, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_blob(st, i++, p->ek_tpm, (int)p->ek_tpm_len, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_blob(st, i++, p->aik_tpm, (int)p->aik_tpm_len, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, p->ek_hash, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, p->ip, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_int(st, i++, p->port) == SQLITE_OK &&
	     bind_text_or_null(st, i++, p->mtls_cert) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, p->ek_trust, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     bind_text_or_null(st, i++, p->uuid_bound) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, p->secret_b64, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_text(st, i++, p->peer, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
	     sqlite3_bind_int64(st, i++, p->created) == SQLITE_OK;
	if (!ok || sqlite3_step(st) != SQLITE_DONE) {
		db_fail(s, "recording a registration", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
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
	sqlite3_stmt *st = NULL;
	int ret = -1, rc, c;

	if (prep(s, "SELECT " PCOLUMNS " FROM pending WHERE uuid = ? ORDER BY "
			       "id DESC", &st) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC) != SQLITE_OK) {
		db_fail(s, "reading registrations", err, errlen);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		c = 0;
		copy_text(st, c++, p.uuid, sizeof(p.uuid));
		if (copy_blob(st, c++, p.ek_tpm, sizeof(p.ek_tpm), &p.ek_tpm_len) != 0 ||
		    copy_blob(st, c++, p.aik_tpm, sizeof(p.aik_tpm), &p.aik_tpm_len) != 0)
			continue;
		copy_text(st, c++, p.ek_hash, sizeof(p.ek_hash));
		copy_text(st, c++, p.ip, sizeof(p.ip));
		p.port = sqlite3_column_int(st, c++);
		copy_text(st, c++, p.mtls_cert, sizeof(p.mtls_cert));
		copy_text(st, c++, p.ek_trust, sizeof(p.ek_trust));
		copy_text(st, c++, p.uuid_bound, sizeof(p.uuid_bound));
		copy_text(st, c++, p.secret_b64, sizeof(p.secret_b64));
		copy_text(st, c++, p.peer, sizeof(p.peer));
		p.created = sqlite3_column_int64(st, c++);
		if ((ret = fn(ctx, &p)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		db_fail(s, "reading registrations", err, errlen);
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(p.secret_b64, sizeof(p.secret_b64));
	unprep(s, st);
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
	sqlite3_stmt *st = NULL;
	int ret = row_of(s, "SELECT ek_hash FROM pins WHERE uuid = ?", uuid, "reading a pin", &st,
			 err, errlen);

	if (ret == 1)
		copy_text(st, 0, ek_hash, STORE_HASH_HEX + 1);
	unprep(s, st);
	return ret;
}

int store_pin_set(struct store *s, const char *uuid, const char *ek_hash, char *err, size_t errlen)
{
	char t[32];
	const char *a[3] = { uuid, ek_hash, t };

	now_text(t, sizeof(t));
	return exec_text(s, "INSERT OR REPLACE INTO pins(uuid, ek_hash, time) VALUES(?, ?, ?)", a, 3,
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
	static const char sql[] = "SELECT state, count(*) FROM nodes GROUP BY state ORDER BY state";
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (prep(s, sql, &st) != SQLITE_OK) {
		db_fail(s, "counting nodes by state", err, errlen);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, "counting nodes by state", err, errlen);
		goto out;
	}
	ret = 0;
out:
	unprep(s, st);
	return ret;
}

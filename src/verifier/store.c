/* SPDX-License-Identifier: GPL-2.0-only */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
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
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "state directory path too long: %s", dir);
		return -1;
	}
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
	if (sqlite3_exec(s->db, "PRAGMA secure_delete=ON; PRAGMA synchronous=NORMAL;", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(s, "creating the schema", err, errlen);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		store_close(s);
	return ret;
}

void store_close(struct store *s)
{
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
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

#define COLUMNS "uuid, ek_tpm, aik_tpm, ip, port, mtls, ek_trust, state, secret_b64, policy," \
	" nk_pem, v_key, challenge, challenge_hmac, have_counters, reset_count, restart_count," \
	" clock, last_time, verdict, reason, passes, failures, api_version, mtls_cert"

static int row_to_node(sqlite3_stmt *st, struct store_node *n)
{
	size_t vlen = 0;

	memset(n, 0, sizeof(*n));
	copy_text(st, 0, n->uuid, sizeof(n->uuid));
	if (copy_blob(st, 1, n->ek_tpm, sizeof(n->ek_tpm), &n->ek_tpm_len) != 0 ||
	    copy_blob(st, 2, n->aik_tpm, sizeof(n->aik_tpm), &n->aik_tpm_len) != 0 ||
	    copy_blob(st, 11, n->v_key, sizeof(n->v_key), &vlen) != 0)
		return -1;
	copy_text(st, 3, n->ip, sizeof(n->ip));
	n->port = sqlite3_column_int(st, 4);
	n->mtls = sqlite3_column_int(st, 5);
	copy_text(st, 6, n->ek_trust, sizeof(n->ek_trust));
	copy_text(st, 7, n->state, sizeof(n->state));
	copy_text(st, 8, n->secret_b64, sizeof(n->secret_b64));
	copy_text(st, 9, n->policy, sizeof(n->policy));
	copy_text(st, 10, n->nk_pem, sizeof(n->nk_pem));
	n->has_v = vlen == sizeof(n->v_key);
	copy_text(st, 12, n->challenge, sizeof(n->challenge));
	copy_text(st, 13, n->challenge_hmac, sizeof(n->challenge_hmac));
	n->have_counters = sqlite3_column_int(st, 14);
	n->reset_count = sqlite3_column_int64(st, 15);
	n->restart_count = sqlite3_column_int64(st, 16);
	n->clock = sqlite3_column_int64(st, 17);
	n->last_time = sqlite3_column_int64(st, 18);
	copy_text(st, 19, n->verdict, sizeof(n->verdict));
	copy_text(st, 20, n->reason, sizeof(n->reason));
	n->passes = sqlite3_column_int64(st, 21);
	n->failures = sqlite3_column_int64(st, 22);
	copy_text(st, 23, n->api_version, sizeof(n->api_version));
	copy_text(st, 24, n->mtls_cert, sizeof(n->mtls_cert));
	return 0;
}

/*
 * The first row sql (one "?" bound to uuid) selects: 1 with *st on it, 0 for
 * none, -1 on error (err says what, while doing what). The caller finalizes *st.
 */
static int row_of(struct store *s, const char *sql, const char *uuid, const char *what,
		  sqlite3_stmt **st, char *err, size_t errlen)
{
	int rc;

	*st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK ||
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
	sqlite3_finalize(st);
	return ret;
}

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *t)
{
	return t[0] ? sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int store_put(struct store *s, const struct store_node *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, i = 1, ok;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO nodes(" COLUMNS ") VALUES("
			       "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st,
			       NULL) != SQLITE_OK) {
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
	     bind_text_or_null(st, i++, n->secret_b64) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->policy) == SQLITE_OK &&
	     bind_text_or_null(st, i++, n->nk_pem) == SQLITE_OK &&
	     (n->has_v ? sqlite3_bind_blob(st, i++, n->v_key, sizeof(n->v_key), SQLITE_TRANSIENT) :
			 sqlite3_bind_null(st, i++)) == SQLITE_OK &&
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
	     bind_text_or_null(st, i++, n->mtls_cert) == SQLITE_OK;
	if (!ok || sqlite3_step(st) != SQLITE_DONE) {
		db_fail(s, "writing a node", err, errlen);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* One statement with text parameters, run to completion. */
static int exec_text(struct store *s, const char *sql, const char *const *args, int nargs,
		     const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(s, what, err, errlen);
		goto out;
	}
	for (int i = 0; i < nargs; i++)
		if (sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT) != SQLITE_OK) {
			db_fail(s, what, err, errlen);
			goto out;
		}
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(s, what, err, errlen);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int store_delete(struct store *s, const char *uuid, char *err, size_t errlen)
{
	const char *a[1] = { uuid };

	return exec_text(s, "DELETE FROM nodes WHERE uuid = ?", a, 1, "deleting a node", err,
			 errlen);
}

int store_history(struct store *s, const char *uuid, const char *verdict, const char *reason,
		  char *err, size_t errlen)
{
	char t[32];
	const char *a[4] = { uuid, t, verdict, reason };

	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	return exec_text(s, "INSERT INTO history(uuid, time, verdict, reason) VALUES(?, ?, ?, ?)",
			 a, 4, "writing history", err, errlen);
}

int store_reject(struct store *s, const char *uuid, const char *reason, char *err, size_t errlen)
{
	char t[32];
	const char *a[3] = { uuid, t, reason };

	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	return exec_text(s, "INSERT INTO rejected(uuid, time, reason) VALUES(?, ?, ?)", a, 3,
			 "recording a rejection", err, errlen);
}

int store_last_rejection(struct store *s, const char *uuid, int64_t *t, char *reason, size_t cap,
			 char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = row_of(s, "SELECT time, reason FROM rejected WHERE uuid = ? ORDER BY rowid DESC "
			 "LIMIT 1", uuid, "reading rejections", &st, err, errlen);

	if (ret != 1)
		goto out;
	*t = sqlite3_column_int64(st, 0);
	snprintf(reason, cap, "%s", sqlite3_column_text(st, 1) ?
		 (const char *)sqlite3_column_text(st, 1) : "");
	ret = 1;
out:
	sqlite3_finalize(st);
	return ret;
}

int store_each(struct store *s, int (*fn)(void *ctx, const struct store_node *n), void *ctx,
	       char *err, size_t errlen)
{
	static __thread struct store_node n;
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " COLUMNS " FROM nodes ORDER BY uuid", -1, &st,
			       NULL) != SQLITE_OK) {
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
	explicit_bzero(n.v_key, sizeof(n.v_key));
	sqlite3_finalize(st);
	return ret;
}

int store_history_each(struct store *s, const char *uuid, int limit,
		       int (*fn)(void *ctx, int64_t t, const char *verdict, const char *reason),
		       void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (sqlite3_prepare_v2(s->db, "SELECT time, verdict, reason FROM history WHERE uuid = ?"
			       " ORDER BY id DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK ||
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
	sqlite3_finalize(st);
	return ret;
}

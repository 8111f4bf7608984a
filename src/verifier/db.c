/* SPDX-License-Identifier: GPL-2.0-only */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "bytes.h"

static const char sql_begin_sqlite[] = "BEGIN IMMEDIATE";
static const char sql_begin_pg[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

int db_is_pg_url(const char *s)
{
	return s && (!strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11));
}

const char *db_errmsg(const struct db *d)
{
	return d->msg;
}

/* d->msg = what: text, with libpq's trailing newline dropped. */
static int set_msg(struct db *d, const char *what, const char *text)
{
	size_t n;

	snprintf(d->msg, sizeof(d->msg), "%s%s%s", what ? what : "", what && text ? ": " : "",
		 text ? text : "");
	n = strlen(d->msg);
	while (n && (d->msg[n - 1] == '\n' || d->msg[n - 1] == ' '))
		d->msg[--n] = 0;
	return -1;
}

static int sqlite_msg(struct db *d)
{
	return set_msg(d, NULL, sqlite3_errmsg(d->h));
}

int db_open_sqlite(struct db *d, const char *path, char *err, size_t errlen)
{
	sqlite3 *h = NULL;

	memset(d, 0, sizeof(*d));
	d->kind = DB_SQLITE;
	snprintf(d->where, sizeof(d->where), "%s", path);
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "state database %s: %s", path,
			 h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return -1;
	}
	d->h = h;
	sqlite3_busy_timeout(h, 10000);
	return 0;
}

static void no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int db_open_pg(struct db *d, const char *url, char *err, size_t errlen)
{
	/*
	 * Later entries override earlier ones: the URL's own settings win. A
	 * server that stops answering (a partition, not a refusal) is given up on
	 * in about 30 s instead of TCP's quarter of an hour.
	 */
	static const char *const keys[] = { "connect_timeout", "client_encoding",
					    "application_name", "keepalives", "keepalives_idle",
					    "keepalives_interval", "keepalives_count",
					    "tcp_user_timeout", "dbname", NULL };
	const char *vals[] = { "10", "UTF8", "airlock-verifier", "1", "10", "5", "3", "30000", url,
			       NULL };
	PGconn *c;

	memset(d, 0, sizeof(*d));
	d->kind = DB_PG;
	c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		snprintf(err, errlen, "PostgreSQL: out of memory");
		return -1;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		set_msg(d, NULL, PQerrorMessage(c));
		/* libpq's message names host, port and user, never the password. */
		snprintf(err, errlen, "cannot connect to the PostgreSQL database: %s "
			 "(check the URL given by --db or AIRLOCK_VERIFIER_DB, that the server runs, "
			 "and the password: in the URL, PGPASSWORD or ~/.pgpass)", d->msg);
		PQfinish(c);
		return -1;
	}
	d->h = c;
	/* The server's notices ("already exists, skipping") are not the user's business. */
	PQsetNoticeProcessor(c, no_notices, NULL);
	snprintf(d->where, sizeof(d->where), "PostgreSQL database %s on %s", PQdb(c),
		 PQhost(c) && *PQhost(c) ? PQhost(c) : "the local socket");
	return 0;
}

void db_close(struct db *d)
{
	if (d->kind == DB_SQLITE) {
		for (unsigned i = 0; i < d->ncache; i++)
			sqlite3_finalize(d->cache[i].st);
		if (d->h)
			sqlite3_close(d->h);
	} else if (d->h) {
		PQfinish(d->h);
	}
	d->ncache = 0;
	d->h = NULL;
}

/*
 * PostgreSQL: a connection that was lost is made again before the next
 * statement, unless a transaction was open on it: then its statements are
 * gone, and the caller must see that (a COMMIT on a new connection would
 * "succeed" with nothing in it) until it rolls back.
 */
static int pg_ready(struct db *d, int in_tx)
{
	struct timespec now;
	int64_t now_ms;

	if (PQstatus(d->h) == CONNECTION_OK)
		return 0;
	if (in_tx)
		return set_msg(d, "the connection to the database was lost during a transaction",
			       NULL);
	/* One attempt a second per connection: each may wait for connect_timeout. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (now_ms < d->next_reset_ms)
		return set_msg(d, "the database cannot be reached (tried less than a second ago)",
			       NULL);
	PQreset(d->h);
	clock_gettime(CLOCK_MONOTONIC, &now);
	d->next_reset_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + 1000;
	if (PQstatus(d->h) != CONNECTION_OK)
		return set_msg(d, "the database cannot be reached", PQerrorMessage(d->h));
	/* Prepared statements and settings belong to the old session. */
	d->ncache = 0;
	if (d->session) {
		PGresult *r = PQexec(d->h, d->session);
		int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			set_msg(d, "setting up the new connection", r ? PQresultErrorMessage(r) :
				PQerrorMessage(d->h));
		PQclear(r);
		if (!ok)
			return -1;
	}
	return 0;
}

/* sql with its "?" numbered as $1, $2, ... (none are inside quotes in our SQL); malloc'd. */
static char *pg_numbered(const char *sql, int *nparams)
{
	size_t n = strlen(sql), k = 0, extra = 0;
	int count = 0, quoted = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		extra += sql[i] == '?' ? 3 : 0;
	out = malloc(n + extra + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (sql[i] == '\'')
			quoted = !quoted;
		if (sql[i] == '?' && !quoted)
			k += (size_t)sprintf(out + k, "$%d", ++count);
		else
			out[k++] = sql[i];
	}
	out[k] = 0;
	*nparams = count;
	return out;
}

int db_q_start(struct db_q *q, struct db *d, const char *sql, int cache)
{
	memset(q, 0, sizeof(*q));
	q->d = d;
	q->sql = sql;
	q->slot = -1;
	if (d->kind == DB_PG) {
		q->slot = cache ? -2 : -1; /* found or prepared when it runs */
		return 0;
	}
	if (cache)
		for (unsigned i = 0; i < d->ncache; i++)
			if (d->cache[i].sql == sql && !sqlite3_stmt_busy(d->cache[i].st)) {
				q->st = d->cache[i].st;
				q->slot = (int)i;
				return 0;
			}
	if (sqlite3_prepare_v3(d->h, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0,
			       (sqlite3_stmt **)&q->st, NULL) != SQLITE_OK) {
		q->st = NULL;
		q->bad = 1;
		return sqlite_msg(d);
	}
	if (cache && d->ncache < DB_CACHE_MAX) {
		d->cache[d->ncache].sql = sql;
		d->cache[d->ncache].st = q->st;
		q->slot = (int)d->ncache++;
	}
	return 0;
}

/* The next parameter's index (SQLite's, from 1), or 0 when there is no room or no statement. */
static int next_param(struct db_q *q)
{
	if (q->bad || q->n >= DB_PARAMS_MAX) {
		if (!q->bad)
			set_msg(q->d, "too many parameters", NULL);
		q->bad = 1;
		return 0;
	}
	return ++q->n;
}

static void sqlite_bound(struct db_q *q, int rc)
{
	if (rc != SQLITE_OK) {
		sqlite_msg(q->d);
		q->bad = 1;
	}
}

void db_bind_text(struct db_q *q, const char *t)
{
	int i = next_param(q);

	if (!i)
		return;
	if (q->d->kind == DB_SQLITE)
		sqlite_bound(q, t ? sqlite3_bind_text(q->st, i, t, -1, SQLITE_TRANSIENT) :
				sqlite3_bind_null(q->st, i));
	else
		q->val[i - 1] = t; /* read when the query runs, within the caller's call */
}

void db_bind_text_or_null(struct db_q *q, const char *t)
{
	db_bind_text(q, t && t[0] ? t : NULL);
}

void db_bind_null(struct db_q *q)
{
	db_bind_text(q, NULL);
}

void db_bind_blob(struct db_q *q, const void *b, size_t n)
{
	int i = next_param(q);

	if (!i)
		return;
	if (n > 0x7fffffff) {
		set_msg(q->d, "a value too large to store", NULL);
		q->bad = 1;
		return;
	}
	if (q->d->kind == DB_SQLITE) {
		sqlite_bound(q, sqlite3_bind_blob(q->st, i, n ? b : "", (int)n, SQLITE_TRANSIENT));
		return;
	}
	q->val[i - 1] = n ? b : "";
	q->len[i - 1] = (int)n;
	q->fmt[i - 1] = 1;
}

void db_bind_int64(struct db_q *q, int64_t v)
{
	int i = next_param(q);

	if (!i)
		return;
	if (q->d->kind == DB_SQLITE) {
		sqlite_bound(q, sqlite3_bind_int64(q->st, i, v));
		return;
	}
	snprintf(q->num[i - 1], sizeof(q->num[i - 1]), "%lld", (long long)v);
	q->val[i - 1] = q->num[i - 1];
}

/* Runs a PostgreSQL query once; its rows (binary) stay in q->res. */
static int pg_run(struct db_q *q)
{
	struct db *d = q->d;
	char name[32];
	char *numbered = NULL;
	PGresult *r;
	int nparams, ret = -1, slot = -1;
	ExecStatusType status;

	q->ran = 1;
	if (pg_ready(d, d->tx) != 0)
		return -1;
	if (q->slot == -2)
		for (unsigned i = 0; i < d->ncache; i++)
			if (d->cache[i].sql == q->sql)
				slot = (int)i;
	if (slot < 0) {
		numbered = pg_numbered(q->sql, &nparams);
		if (!numbered)
			return set_msg(d, "out of memory", NULL);
		if (nparams != q->n) {
			set_msg(d, "a statement's parameters do not match its placeholders", q->sql);
			goto out;
		}
	}
	if (slot < 0 && q->slot == -2 && d->ncache < DB_CACHE_MAX) {
		snprintf(name, sizeof(name), "airlock%u", d->ncache);
		r = PQprepare(d->h, name, numbered, 0, NULL);
		status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (status != PGRES_COMMAND_OK) {
			set_msg(d, NULL, r ? PQresultErrorMessage(r) : PQerrorMessage(d->h));
			PQclear(r);
			goto out;
		}
		PQclear(r);
		d->cache[d->ncache].sql = q->sql;
		d->cache[d->ncache].st = NULL;
		slot = (int)d->ncache++;
	}
	if (slot >= 0) {
		snprintf(name, sizeof(name), "airlock%d", slot);
		r = PQexecPrepared(d->h, name, q->n, q->val, q->len, q->fmt, 1);
	} else {
		r = PQexecParams(d->h, numbered, q->n, NULL, q->val, q->len, q->fmt, 1);
	}
	status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		set_msg(d, PQstatus(d->h) == CONNECTION_OK ? NULL :
			"the connection to the database was lost",
			r ? PQresultErrorMessage(r) : PQerrorMessage(d->h));
		PQclear(r);
		goto out;
	}
	q->res = r;
	q->nrows = PQntuples(r);
	q->row = -1;
	ret = 0;
out:
	free(numbered);
	return ret;
}

int db_q_exec(struct db_q *q)
{
	int rc;

	if (q->bad)
		return -1;
	if (q->d->kind == DB_PG)
		return pg_run(q);
	while ((rc = sqlite3_step(q->st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : sqlite_msg(q->d);
}

int db_q_row(struct db_q *q)
{
	int rc;

	if (q->bad)
		return -1;
	if (q->d->kind == DB_PG) {
		if (!q->ran && pg_run(q) != 0)
			return -1;
		if (!q->res)
			return -1;
		return ++q->row < q->nrows ? 1 : 0;
	}
	rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sqlite_msg(q->d);
}

int64_t db_q_changes(struct db_q *q)
{
	if (q->d->kind == DB_SQLITE)
		return sqlite3_changes(q->d->h);
	return q->res ? strtoll(PQcmdTuples(q->res), NULL, 10) : 0;
}

int db_col_null(struct db_q *q, int c)
{
	if (q->d->kind == DB_SQLITE)
		return sqlite3_column_type(q->st, c) == SQLITE_NULL;
	return c >= PQnfields(q->res) || PQgetisnull(q->res, q->row, c);
}

const char *db_col_text(struct db_q *q, int c)
{
	if (q->d->kind == DB_SQLITE)
		return (const char *)sqlite3_column_text(q->st, c);
	/* Binary text is the string's bytes, and libpq ends every value with a NUL. */
	return db_col_null(q, c) ? NULL : PQgetvalue(q->res, q->row, c);
}

const void *db_col_blob(struct db_q *q, int c, size_t *n)
{
	int len;

	if (q->d->kind == DB_SQLITE) {
		const void *b = sqlite3_column_blob(q->st, c);

		len = sqlite3_column_bytes(q->st, c);
		*n = len > 0 ? (size_t)len : 0;
		return b;
	}
	if (db_col_null(q, c)) {
		*n = 0;
		return NULL;
	}
	*n = (size_t)PQgetlength(q->res, q->row, c);
	return PQgetvalue(q->res, q->row, c);
}

int64_t db_col_int64(struct db_q *q, int c)
{
	const uint8_t *v;

	if (q->d->kind == DB_SQLITE)
		return sqlite3_column_int64(q->st, c);
	if (db_col_null(q, c))
		return 0;
	v = (const uint8_t *)PQgetvalue(q->res, q->row, c);
	/* Binary integers are big-endian, as wide as their type. */
	switch (PQgetlength(q->res, q->row, c)) {
	case 8:
		return (int64_t)load_be64(v);
	case 4:
		return (int32_t)load_be32(v);
	case 2:
		return (int16_t)load_be16(v);
	default:
		return 0;
	}
}

void db_q_end(struct db_q *q)
{
	if (q->d && q->d->kind == DB_SQLITE && q->st) {
		if (q->slot >= 0) {
			sqlite3_reset(q->st);
			sqlite3_clear_bindings(q->st);
		} else {
			sqlite3_finalize(q->st);
		}
	}
	if (q->res)
		PQclear(q->res);
	q->res = NULL;
	q->st = NULL;
}

int db_script(struct db *d, const char *sql)
{
	PGresult *r;
	int ret;

	if (d->kind == DB_SQLITE)
		return sqlite3_exec(d->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sqlite_msg(d);
	if (pg_ready(d, d->tx) != 0)
		return -1;
	r = PQexec(d->h, sql);
	ret = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) ? 0 :
	      set_msg(d, NULL, r ? PQresultErrorMessage(r) : PQerrorMessage(d->h));
	PQclear(r);
	return ret;
}

int db_session(struct db *d, const char *sql)
{
	if (d->kind != DB_PG)
		return 0;
	d->session = sql;
	return db_script(d, sql);
}

static int run_plain(struct db *d, const char *sql)
{
	struct db_q q;
	int ret = -1;

	if (db_q_start(&q, d, sql, 1) == 0)
		ret = db_q_exec(&q);
	db_q_end(&q);
	return ret;
}

int db_in_transaction(const struct db *d)
{
	if (!d->h)
		return 0;
	if (d->kind == DB_SQLITE)
		return !sqlite3_get_autocommit(d->h);
	return d->tx;
}

int db_begin(struct db *d)
{
	if (run_plain(d, d->kind == DB_SQLITE ? sql_begin_sqlite : sql_begin_pg) != 0)
		return -1;
	d->tx = 1;
	return 0;
}

int db_commit(struct db *d)
{
	struct db_q q;
	int ret = -1;

	/*
	 * PostgreSQL answers COMMIT in a transaction a statement failed with
	 * "ROLLBACK": that is no commit.
	 */
	if (db_q_start(&q, d, sql_commit, 1) == 0 && db_q_exec(&q) == 0)
		ret = d->kind == DB_SQLITE || !strcmp(PQcmdStatus(q.res), "COMMIT") ? 0 :
		      set_msg(d, "the transaction was rolled back, not committed", NULL);
	db_q_end(&q);

	/* PostgreSQL ends the transaction whether COMMIT worked or not. */
	d->tx = 0;
	return ret;
}

void db_rollback(struct db *d)
{
	char keep[sizeof(d->msg)];

	if (!db_in_transaction(d))
		return;
	/* The reason the caller rolls back stays the message. */
	memcpy(keep, d->msg, sizeof(keep));
	/* A lost PostgreSQL connection took the transaction with it; pg_ready makes a new one. */
	if (d->kind == DB_SQLITE || PQstatus(d->h) == CONNECTION_OK)
		run_plain(d, sql_rollback);
	d->tx = 0;
	memcpy(d->msg, keep, sizeof(keep));
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One statement interface over the verifier's two databases: SQLite (a file
 * in the state directory, the default) and PostgreSQL (libpq, when a
 * postgresql:// URL names one). store.c writes its SQL once, with "?"
 * placeholders; db_pg.c numbers them ($1, $2, ...) for PostgreSQL.
 *
 * A query: db_q_start, db_bind_* in placeholder order, then db_q_exec (no
 * rows wanted) or db_q_row until it returns 0, reading columns with db_col_*,
 * and db_q_end, always. A failed bind is reported by exec/row, so callers
 * check once. Statements given as string constants are prepared once per
 * connection and kept (they are recognised by their address).
 *
 * One connection per thread; a connection is not shared.
 */
#ifndef AIRLOCK_VERIFIER_DB_H
#define AIRLOCK_VERIFIER_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_kind { DB_SQLITE, DB_PG };

#define DB_PARAMS_MAX 32
#define DB_CACHE_MAX 32

struct db {
	enum db_kind kind;
	void *h; /* sqlite3 *, or PGconn * */
	char where[300]; /* what to name in messages: a path, or "PostgreSQL database D on H" */
	char msg[512];   /* the last error's text */
	struct {
		const char *sql;
		void *st; /* sqlite3_stmt *; NULL for PostgreSQL (the name is the slot) */
	} cache[DB_CACHE_MAX];
	unsigned ncache;
	int tx;          /* PostgreSQL: a transaction is open (BEGIN ran, no COMMIT/ROLLBACK yet) */
	const char *session; /* PostgreSQL: settings run again on every new connection */
	int64_t next_reset_ms; /* no attempt to reconnect before (monotonic) */
};

struct db_q {
	struct db *d;
	const char *sql;
	int bad;    /* a bind failed */
	int slot;   /* index in d->cache, or -1 */
	void *st;   /* sqlite3_stmt * */
	/* PostgreSQL: parameters until the query runs, then its whole result. */
	int n;
	const char *val[DB_PARAMS_MAX];
	int len[DB_PARAMS_MAX], fmt[DB_PARAMS_MAX];
	char num[DB_PARAMS_MAX][24];
	void *res; /* PGresult * */
	int row, nrows, ran;
};

/* 1 when s names a PostgreSQL database (postgresql:// or postgres://). */
int db_is_pg_url(const char *s);

/* A SQLite file (created beforehand by the caller) or a PostgreSQL URL. 0, or -1 with err. */
int db_open_sqlite(struct db *d, const char *path, char *err, size_t errlen);
int db_open_pg(struct db *d, const char *url, char *err, size_t errlen);
void db_close(struct db *d);

/* The text of the last failure on d. */
const char *db_errmsg(const struct db *d);

/*
 * Statements without parameters, separated by ';' (schema scripts); 0 or -1.
 */
int db_script(struct db *d, const char *sql);
/*
 * PostgreSQL: sql (a constant, settings such as SET ...) now and again after
 * every reconnection, for this connection's life. 0 or -1.
 */
int db_session(struct db *d, const char *sql);
/* BEGIN (IMMEDIATE on SQLite: the write lock now), COMMIT, ROLLBACK; 0 or -1. */
int db_begin(struct db *d);
int db_commit(struct db *d);
void db_rollback(struct db *d);
int db_in_transaction(const struct db *d);

/* sql kept prepared when cache (its address names it), else prepared for this use only. */
int db_q_start(struct db_q *q, struct db *d, const char *sql, int cache);
void db_bind_text(struct db_q *q, const char *t);         /* NULL binds NULL */
void db_bind_text_or_null(struct db_q *q, const char *t); /* "" binds NULL */
void db_bind_blob(struct db_q *q, const void *b, size_t n);
void db_bind_int64(struct db_q *q, int64_t v);
void db_bind_null(struct db_q *q);
/* Runs it to the end: 0, or -1 (db_errmsg says why). */
int db_q_exec(struct db_q *q);
/* The next row: 1, 0 after the last, -1 on error. */
int db_q_row(struct db_q *q);
/* Rows the statement changed (UPDATE, DELETE, INSERT). */
int64_t db_q_changes(struct db_q *q);
int db_col_null(struct db_q *q, int c);
/* NULL for a NULL column. */
const char *db_col_text(struct db_q *q, int c);
const void *db_col_blob(struct db_q *q, int c, size_t *n);
int64_t db_col_int64(struct db_q *q, int c);
void db_q_end(struct db_q *q);

#endif

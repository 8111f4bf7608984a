/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for the verifier's state database (src/verifier/store.c,
 * store_migrate.c): a round's write touches only what a round owns and never
 * lands on a node that changed meanwhile; a database of the first release
 * (schema version 1, made here with that release's own table text) is
 * upgraded with every node's state kept and its pending V moved to its file;
 * a database of the second release (version 2) is upgraded with every node,
 * pin and pending V kept and its nodes polled again; V's send is claimed once
 * per enrolment; a database a newer airlock-verifier wrote is refused,
 * unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ek_trust.h"
#include "encoding.h"
#include "store.h"
#include "tpm_public.h"
#include "vkey_file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/store-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void node(struct store_node *n, const char *uuid)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->uuid, sizeof(n->uuid), "%s", uuid);
	memcpy(n->ek_tpm, "ek", 2);
	n->ek_tpm_len = 2;
	memcpy(n->aik_tpm, "ak", 2);
	n->aik_tpm_len = 2;
	snprintf(n->ip, sizeof(n->ip), "192.0.2.1");
	n->port = 9002;
	snprintf(n->ek_trust, sizeof(n->ek_trust), "test");
	snprintf(n->state, sizeof(n->state), "attesting");
	snprintf(n->policy, sizeof(n->policy), "{\"airlock_policy\":1}");
	snprintf(n->api_version, sizeof(n->api_version), "2.5");
	n->release_reset = -1;
	n->gen = 3;
}

static void round_writes_only_its_columns(void **state)
{
	static struct store_node n, got, later;
	struct store s;
	char err[300];

	(void)state;
	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	node(&n, "n1");
	assert_int_equal(store_put(&s, &n, err, sizeof(err)), 0);
	/* Meanwhile the tenant changes the policy and the node moves (same generation). */
	later = n;
	snprintf(later.policy, sizeof(later.policy), "{\"airlock_policy\":1,\"pcrs\":{}}");
	snprintf(later.ip, sizeof(later.ip), "192.0.2.2");
	assert_int_equal(store_put(&s, &later, err, sizeof(err)), 0);
	/* The round, read before, ends. */
	snprintf(n.state, sizeof(n.state), "failed");
	snprintf(n.verdict, sizeof(n.verdict), "fail");
	snprintf(n.reason, sizeof(n.reason), "PCR 8 mismatch");
	n.have_counters = 1;
	n.reset_count = 7;
	n.restart_count = 8;
	n.clock = 123456789012;
	n.fw_version = 42;
	n.last_time = 1800000000;
	n.failures = 1;
	n.passes = 5;
	n.v_state = STORE_V_SENT;
	n.release_reset = 7;
	assert_int_equal(store_put_round(&s, &n, n.gen, err, sizeof(err)), 0);
	assert_int_equal(store_get(&s, "n1", &got, err, sizeof(err)), 1);
	assert_string_equal(got.state, "failed");
	assert_string_equal(got.verdict, "fail");
	assert_string_equal(got.reason, "PCR 8 mismatch");
	assert_int_equal(got.have_counters, 1);
	assert_int_equal(got.reset_count, 7);
	assert_int_equal(got.restart_count, 8);
	assert_true(got.clock == 123456789012);
	assert_int_equal(got.fw_version, 42);
	assert_true(got.last_time == 1800000000);
	assert_int_equal(got.failures, 1);
	assert_int_equal(got.passes, 5);
	assert_int_equal(got.v_state, STORE_V_SENT);
	assert_int_equal(got.release_reset, 7);
	/* What the round only read stays as it was changed meanwhile. */
	assert_string_equal(got.policy, later.policy);
	assert_string_equal(got.ip, "192.0.2.2");
	assert_int_equal(got.gen, 3);
	store_close(&s);
}

static void round_refused_after_a_new_generation(void **state)
{
	static struct store_node n, got, again;
	struct store s;
	char err[300];

	(void)state;
	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	node(&n, "n2");
	assert_int_equal(store_put(&s, &n, err, sizeof(err)), 0);
	/* It registers again (generation 4) while a round of generation 3 is out. */
	again = n;
	again.gen = 4;
	snprintf(again.state, sizeof(again.state), "enrolled");
	assert_int_equal(store_put(&s, &again, err, sizeof(err)), 0);
	snprintf(n.state, sizeof(n.state), "failed");
	snprintf(n.verdict, sizeof(n.verdict), "fail");
	assert_int_equal(store_put_round(&s, &n, 3, err, sizeof(err)), 1);
	assert_int_equal(store_get(&s, "n2", &got, err, sizeof(err)), 1);
	assert_string_equal(got.state, "enrolled");
	assert_string_equal(got.verdict, "");
	/* A node deleted meanwhile is not brought back. */
	node(&n, "gone");
	assert_int_equal(store_put_round(&s, &n, n.gen, err, sizeof(err)), 1);
	assert_int_equal(store_get(&s, "gone", &got, err, sizeof(err)), 0);
	store_close(&s);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *e = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", sql, e ? e : "?");
}

/* The first release's tables, as it created them (schema version 1, user_version 0). */
static const char release1[] =
	"CREATE TABLE nodes("
	" uuid TEXT PRIMARY KEY, ek_tpm BLOB NOT NULL, aik_tpm BLOB NOT NULL,"
	" ip TEXT NOT NULL, port INTEGER NOT NULL, mtls INTEGER NOT NULL,"
	" ek_trust TEXT NOT NULL, state TEXT NOT NULL, secret_b64 TEXT,"
	" policy TEXT, nk_pem TEXT, v_key BLOB, challenge TEXT, challenge_hmac TEXT,"
	" have_counters INTEGER NOT NULL, reset_count INTEGER, restart_count INTEGER,"
	" clock INTEGER, last_time INTEGER, verdict TEXT, reason TEXT,"
	" passes INTEGER NOT NULL, failures INTEGER NOT NULL, api_version TEXT, mtls_cert TEXT);"
	"CREATE TABLE history("
	" id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, time INTEGER NOT NULL,"
	" verdict TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX history_uuid ON history(uuid, id);"
	"CREATE TABLE rejected("
	" id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, time INTEGER NOT NULL, reason TEXT NOT NULL);";

static size_t load_ek(uint8_t *buf, size_t cap)
{
	static const char self[] = "tests/unit/test_store.c";
	size_t n = strlen(__FILE__) - (sizeof(self) - 1), got;
	char path[4096];
	FILE *f;

	assert_true(strlen(__FILE__) >= sizeof(self) - 1 && strcmp(__FILE__ + n, self) == 0);
	snprintf(path, sizeof(path), "%.*stests/vectors/quote/ek-rsa.pub", (int)n, __FILE__);
	f = fopen(path, "rb");
	assert_non_null(f);
	got = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(got > 0 && got < cap);
	return got;
}

static int count_history(void *ctx, int64_t t, const char *verdict, const char *reason)
{
	(void)t;
	(void)verdict;
	(void)reason;
	(*(int *)ctx)++;
	return 0;
}

static void first_release_is_upgraded(void **state)
{
	static struct store_node got;
	uint8_t ek[1024], v[VKEY_LEN], vback[VKEY_LEN], h[32];
	char path[128], err[300], hex[65], reason[300];
	struct tpm_public pub;
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t ek_len = load_ek(ek, sizeof(ek)), hl;
	int64_t t, count;
	int nhist = 0;
	struct store s;

	(void)state;
	memset(v, 0xa5, sizeof(v));
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, release1);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO nodes(uuid, ek_tpm, aik_tpm, ip, port,"
					    " mtls, ek_trust, state, secret_b64, policy, v_key,"
					    " have_counters, reset_count, clock, verdict, reason, passes,"
					    " failures, api_version) VALUES(?, ?, x'00', '192.0.2.9', 9002,"
					    " 0, 'ca', ?, 'c2VjcmV0', '{}', ?, 1, 3, 99, 'pass', 'good',"
					    " 17, 2, '2.1')", -1, &st, NULL), SQLITE_OK);
	/* One attesting, one enrolled with V not yet released, one never activated. */
	sqlite3_bind_text(st, 1, "att", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, ek, (int)ek_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "attesting", -1, SQLITE_STATIC);
	sqlite3_bind_null(st, 4);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "enr", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "enrolled", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, v, sizeof(v), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "reg", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "registered", -1, SQLITE_STATIC);
	sqlite3_bind_null(st, 4);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	exec_ok(db, "INSERT INTO history(uuid, time, verdict, reason) VALUES"
		    " ('att', 1, 'pass', 'a'), ('att', 2, 'fail', 'b');"
		    "INSERT INTO rejected(uuid, time, reason) VALUES"
		    " ('x', 10, 'old'), ('x', 20, 'newer'), ('y', 5, 'once');");
	sqlite3_close(db);

	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_get(&s, "att", &got, err, sizeof(err)), 1);
	assert_string_equal(got.state, "attesting");
	assert_string_equal(got.verdict, "pass");
	assert_int_equal(got.passes, 17);
	assert_int_equal(got.failures, 2);
	assert_int_equal(got.reset_count, 3);
	assert_true(got.clock == 99);
	assert_int_equal(got.v_state, STORE_V_NONE);
	/* The EK's hash, which pins and squatting checks need, is filled in. */
	assert_int_equal(tpm_public_parse(ek, ek_len, &pub, err, sizeof(err)), 0);
	assert_int_equal(ek_pubkey_hash(&pub, h, err, sizeof(err)), 0);
	hex_encode(h, sizeof(h), hex, sizeof(hex), &hl);
	assert_string_equal(got.ek_hash, hex);
	assert_int_equal(store_history_each(&s, "att", 10, count_history, &nhist, err,
					    sizeof(err)), 0);
	assert_int_equal(nhist, 2);
	/* V left the database for its own file; the node still waits for it. */
	assert_int_equal(store_get(&s, "enr", &got, err, sizeof(err)), 1);
	assert_string_equal(got.state, "enrolled");
	assert_int_equal(got.v_state, STORE_V_PENDING);
	assert_int_equal(vkey_get(dir, "enr", got.gen, vback, err, sizeof(err)), 1);
	assert_memory_equal(vback, v, sizeof(v));
	/* Never activated: it registers again. */
	assert_int_equal(store_get(&s, "reg", &got, err, sizeof(err)), 0);
	/* One refusal row per uuid: the newest reason and the count. */
	assert_int_equal(store_last_rejection(&s, "x", &t, reason, sizeof(reason), &count, err,
					      sizeof(err)), 1);
	assert_true(t == 20 && count == 2);
	store_close(&s);
	/* No V is left in the database's pages. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM nodes WHERE v_key IS NOT NULL",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Opening it again changes nothing. */
	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_get(&s, "enr", &got, err, sizeof(err)), 1);
	assert_int_equal(got.v_state, STORE_V_PENDING);
	store_close(&s);
}

/* What the second release added to the first's tables (schema version 2), as it ran it. */
static const char release2[] =
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
	"DROP TABLE rejected;"
	"CREATE TABLE rejected(uuid TEXT PRIMARY KEY, time INTEGER NOT NULL, reason TEXT NOT NULL,"
	" count INTEGER NOT NULL, peer TEXT);"
	"CREATE INDEX rejected_time ON rejected(time);"
	"PRAGMA user_version = 2;";

static int count_polled(void *ctx, const char *uuid, const char *state)
{
	(void)uuid;
	(void)state;
	(*(int *)ctx)++;
	return 0;
}

/* A state directory of the second release (version 2): every node as it was, and pollable. */
static void second_release_is_upgraded(void **state)
{
	static struct store_node got;
	uint8_t v[VKEY_LEN], vback[VKEY_LEN];
	char path[128], err[300], hash[STORE_HASH_HEX + 1];
	struct store s;
	sqlite3 *db;
	int64_t took = -1;
	int polled = 0;

	(void)state;
	memset(v, 0x3c, sizeof(v));
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, release1);
	exec_ok(db, release2);
	exec_ok(db, "INSERT INTO nodes(uuid, ek_tpm, aik_tpm, ip, port, mtls, ek_trust, state, policy,"
		    " have_counters, reset_count, clock, verdict, reason, passes, failures, api_version,"
		    " ek_hash, fw_version, v_state, gen) VALUES"
		    " ('att', x'01', x'02', '192.0.2.1', 9002, 0, 'ca', 'attesting', '{}', 1, 4, 77,"
		    "  'pass', 'good', 41, 1, '2.5', 'aa', 5, 0, 1733600000),"
		    " ('enr', x'01', x'02', '192.0.2.2', 9002, 1, 'ca', 'enrolled', '{}', 0, 0, 0,"
		    "  NULL, NULL, 0, 0, '2.5', 'bb', 0, 1, 1733600001);"
		    "INSERT INTO pins(uuid, ek_hash, time) VALUES ('enr', 'bb', 7);");
	sqlite3_close(db);
	/* That release's V file: V alone, no generation. */
	{
		char vp[128];
		FILE *f;

		snprintf(vp, sizeof(vp), "%s/%s", dir, VKEY_DIR);
		assert_int_equal(mkdir(vp, 0700), 0);
		snprintf(vp, sizeof(vp), "%s/%s/enr", dir, VKEY_DIR);
		f = fopen(vp, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(v, 1, sizeof(v), f), sizeof(v));
		assert_int_equal(fclose(f), 0);
	}

	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_get(&s, "att", &got, err, sizeof(err)), 1);
	assert_string_equal(got.state, "attesting");
	assert_true(got.passes == 41 && got.failures == 1 && got.reset_count == 4 && got.clock == 77);
	assert_true(got.gen == 1733600000 && got.fw_version == 5);
	assert_int_equal(store_get(&s, "enr", &got, err, sizeof(err)), 1);
	assert_string_equal(got.state, "enrolled");
	assert_int_equal(got.v_state, STORE_V_PENDING);
	assert_int_equal(got.mtls, 1);
	assert_int_equal(vkey_get(dir, "enr", got.gen, vback, err, sizeof(err)), 1);
	assert_memory_equal(vback, v, sizeof(v));
	/* A V written now belongs to its enrolment: another generation does not get it. */
	assert_int_equal(vkey_put(dir, "enr", got.gen + 1, v, err, sizeof(err)), 0);
	assert_int_equal(vkey_get(dir, "enr", got.gen, vback, err, sizeof(err)), 0);
	assert_int_equal(vkey_wipe(dir, "enr", got.gen, err, sizeof(err)), 0);
	assert_int_equal(vkey_get(dir, "enr", got.gen + 1, vback, err, sizeof(err)), 1);
	assert_memory_equal(vback, v, sizeof(v));
	assert_int_equal(vkey_wipe(dir, "enr", -1, err, sizeof(err)), 0);
	assert_int_equal(vkey_get(dir, "enr", got.gen + 1, vback, err, sizeof(err)), 0);
	assert_int_equal(store_pin_get(&s, "enr", hash, err, sizeof(err)), 1);
	assert_string_equal(hash, "bb");
	/* Both are polled again (SQLite: one instance, no lease). */
	assert_int_equal(store_lease(&s, "one", 3000, count_polled, &polled, &took, err,
				     sizeof(err)), 0);
	assert_true(polled == 2 && took == 0);
	/* And V's send can be claimed once, not twice. */
	assert_int_equal(store_v_claim(&s, "enr", 1733600001, 60000, err, sizeof(err)), 1);
	assert_int_equal(store_v_claim(&s, "enr", 1733600001, 60000, err, sizeof(err)), 0);
	assert_int_equal(store_v_unclaim(&s, "enr", 1733600001, err, sizeof(err)), 0);
	assert_int_equal(store_v_claim(&s, "enr", 1733600001, 60000, err, sizeof(err)), 1);
	/* Not for another enrolment (generation) of the node. */
	assert_int_equal(store_v_claim(&s, "enr", 1733600002, 60000, err, sizeof(err)), 0);
	store_close(&s);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *st;

		/* Version 3's tables are there, empty. */
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM instances) +"
						    " (SELECT count(*) FROM pending_v)", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 0);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void newer_database_refused(void **state)
{
	static struct store_node got;
	char path[128], err[300], want[64];
	struct store s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	node(&got, "kept");
	assert_int_equal(store_put(&s, &got, err, sizeof(err)), 0);
	store_close(&s);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(want, sizeof(want), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
	exec_ok(db, want);
	sqlite3_close(db);
	err[0] = '\0';
	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "has schema version %d", STORE_SCHEMA_VERSION + 1);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "newer airlock-verifier"));
	/* Nothing was dropped: the newer program still finds its node. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(want, sizeof(want), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	exec_ok(db, want);
	sqlite3_close(db);
	assert_int_equal(store_open(&s, dir, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_get(&s, "kept", &got, err, sizeof(err)), 1);
	store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_writes_only_its_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(round_refused_after_a_new_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(first_release_is_upgraded, setup, teardown),
		cmocka_unit_test_setup_teardown(second_release_is_upgraded, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_database_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

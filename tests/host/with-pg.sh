#!/bin/sh
# Runs a command with a throwaway PostgreSQL cluster of its own (pg-lib.sh:
# initdb in a temporary directory, unix socket only), named to it by
# AIRLOCK_VERIFIER_DB (and AIRLOCK_BENCH_PG_PID, the postmaster, whose
# processes bench_verifier counts as the database's cost; AIRLOCK_TEST_PG_DIR,
# the cluster's directory, for tests that stop and start it); the cluster is
# stopped and removed after. The -pg suites and `make bench` use it.
#   with-pg.sh COMMAND [ARGS...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pg-lib.sh"
pgwork=$(mktemp -d)
cleanup() { pg_stop; rm -rf "$pgwork"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
pg_start "$pgwork/pg" || { echo "0 passed, 1 failed"; exit 1; }
# bench_verifier's simulated nodes need a descriptor each.
ulimit -n 20000 2>/dev/null || ulimit -n 4096 2>/dev/null || true
AIRLOCK_VERIFIER_DB=$pg_url AIRLOCK_BENCH_PG_PID=$pg_pid AIRLOCK_TEST_PG_DIR=$pg_dir "$@"

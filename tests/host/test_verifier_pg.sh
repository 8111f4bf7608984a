#!/bin/sh
# Runs a verifier host suite against PostgreSQL instead of SQLite: a throwaway
# cluster (tests/host/pg-lib.sh) in the run's own directory, and in place of
# airlock-verifier a wrapper that gives each --state directory its own
# database (--db URL), as SQLite gives each its own file. The suite's own
# checks run unchanged; its database queries go to PostgreSQL (verifier-lib.sh
# dbq, through AIRLOCK_TEST_PG).
#   test_verifier_pg.sh SUITE AIRLOCK-VERIFIER [SUITE ARGS...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
suite=$(abs "$1") real=$(abs "$2")
shift 2
# The cluster: with-pg.sh's, this script run again under it.
[ -n "${AIRLOCK_TEST_PG_DIR:-}" ] || exec "$here/with-pg.sh" "$0" "$suite" "$real" "$@"
. "$here/pg-lib.sh"
pg_url=$AIRLOCK_VERIFIER_DB pg_dir=$AIRLOCK_TEST_PG_DIR
unset AIRLOCK_VERIFIER_DB
pgwork=$(mktemp -d)
trap 'rm -rf "$pgwork"' EXIT
trap 'exit 1' INT TERM

# The wrapper: --state DIR first (every suite call has it), then the command.
cat >"$pgwork/airlock-verifier" <<EOW
#!/bin/sh
. "$here/pg-lib.sh"
pg_url='$pg_url'
if [ "\$1" = --state ] && [ \$# -ge 3 ]; then
	d=\$2; shift 2
	url=\$(pg_database "\$d") || { echo "test wrapper: no database for \$d" >&2; exit 1; }
	exec "$real" --state "\$d" --db "\$url" "\$@"
fi
exec "$real" "\$@"
EOW
chmod +x "$pgwork/airlock-verifier"
AIRLOCK_TEST_PG=$pg_url "$suite" "$pgwork/airlock-verifier" "$@"
rc=$?
exit $rc

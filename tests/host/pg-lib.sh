# A throwaway PostgreSQL cluster for one test run (sourced): initdb into a
# directory of the run, listening only on a unix socket there (no TCP port),
# password authentication, stopped by pg_stop. PostgreSQL refuses to run as
# root, so as root the server runs as "nobody" (DIR's parent, the run's own
# directory, is made passable for it). Nothing is written outside DIR.
#
# Tests run the server with fsync=off (speed; a killed server still loses
# nothing, the kernel has the pages); PG_FSYNC=on gives PostgreSQL's default,
# for benchmarks of what a database costs.
#
#   pg_start DIR   sets $pg_url (the verifier's --db / AIRLOCK_VERIFIER_DB),
#                  $pg_dir, $pg_bad_url (the same with a wrong password)
#   pg_stop        fast shutdown, waited for (bounded)
#   pg_kill        SIGKILL of the postmaster, as a crash or a lost host
#   pg_sql SQL     one statement through psql, unaligned, '|' between fields

pg_bin() {
	_b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$_b/initdb" ] || {
		echo "PostgreSQL's server is missing: apt-get install postgresql" >&2
		return 1
	}
	echo "$_b"
}

pg_as() { # COMMAND...: as the cluster's owner
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	pg_dir=$1
	PG_BIN=$(pg_bin) || return 1
	mkdir -p "$pg_dir" || return 1
	if [ "$(id -u)" = 0 ]; then
		# The server must reach its directory: "nobody" may pass through the
		# run's own directory (search only) and owns the cluster's. Nothing
		# above the run's directory is changed: if it cannot be passed, say so.
		chmod o+x "$(dirname "$pg_dir")" && chown nobody:nogroup "$pg_dir" || return 1
		pg_as test -w "$pg_dir" || {
			echo "PostgreSQL runs as nobody and cannot reach $pg_dir: use a TMPDIR every" \
				"user may pass through (as /tmp)" >&2
			return 1
		}
	fi
	printf 'airlock-test-%s\n' "$$" >"$pg_dir/.pw.tmp"
	pg_pw=$(cat "$pg_dir/.pw.tmp")
	[ "$(id -u)" = 0 ] && chown nobody:nogroup "$pg_dir/.pw.tmp"
	pg_as "$PG_BIN/initdb" -D "$pg_dir/data" -U airlock --pwfile="$pg_dir/.pw.tmp" \
		--auth=scram-sha-256 -E UTF8 --locale=C >"$pg_dir/initdb.log" 2>&1 ||
		{ echo "initdb failed:" >&2; tail -5 "$pg_dir/initdb.log" >&2; return 1; }
	rm -f "$pg_dir/.pw.tmp"
	pg_as "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -c port=5432 \
-c max_connections=200 -c fsync=${PG_FSYNC:-off}" start >/dev/null 2>&1 ||
		{ echo "PostgreSQL did not start:" >&2; tail -5 "$pg_dir/server.log" >&2; return 1; }
	pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
	pg_url="postgresql://airlock:$pg_pw@/postgres?host=$pg_dir&port=5432"
	pg_bad_url="postgresql://airlock:wrong-$pg_pw@/postgres?host=$pg_dir&port=5432"
}

pg_stop() {
	[ -n "${pg_dir:-}" ] && [ -f "$pg_dir/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		pg_kill
}

pg_kill() {
	[ -n "${pg_pid:-}" ] && kill -9 "$pg_pid" 2>/dev/null
	for _w in $(seq 1 50); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
	# Its backends go with it (they watch the postmaster); the pid file stays.
	rm -f "$pg_dir/data/postmaster.pid"
}

# Start it again on the same data (after pg_kill or pg_stop).
pg_restart() {
	pg_as "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -c port=5432 \
-c max_connections=200 -c fsync=${PG_FSYNC:-off}" start >/dev/null 2>&1 || return 1
	pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
}

pg_sql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$pg_url" -c "$1"
}

# The URL of the cluster's database NAME (made by pg_database when missing).
pg_url_of() {
	echo "$pg_url" | sed "s|@/postgres?|@/$1?|"
}

# A database for state directory DIR, named after the directory's path, so a
# suite that starts verifiers on several state directories gets one fresh
# database for each, as SQLite gives it one file for each. Made when missing;
# with the server down, the URL all the same (the verifier says what is wrong).
pg_database() {
	_name=s_$(printf '%s' "$1" | sha256sum | cut -c1-24)
	if [ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$_name'" 2>/dev/null)" != 1 ]; then
		pg_sql "CREATE DATABASE $_name" >/dev/null 2>&1 || true
	fi
	pg_url_of "$_name"
}

# Shell helpers for the host tests that run airlock-verifier against the real
# agent on swtpm (test_verifier_swtpm.sh, test_attacks_swtpm.sh). Sourced after
# swtpm-lib.sh; the caller sets $work, $verifier, $agent, $measure and $helper,
# counts with ok/ko, and stops what it started (stop_pid, swtpm_stop).

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND... (on failure, the command's last lines)
	_d=$1; shift
	if "$@" >"$work/check.out" 2>&1; then ok "$_d"; else ko "$_d"; tail -3 "$work/check.out"; fi
}
wait_file() { # FILE: up to 10 s for it to be non-empty
	for _w in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}
wait_grep() { # SECONDS PATTERN FILE
	_n=$(($1 * 10))
	for _w in $(seq 1 "$_n"); do grep -q "$2" "$3" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# start_verifier NAME [serve options]: sets $ver_pid, $regport, $state. The
# state directory is $work/vstate unless $STATE names another.
start_verifier() {
	_n=$1; shift
	state=${STATE:-$work/vstate}
	rm -f "$work/$_n.regport"
	"$verifier" --state "$state" serve --listen 127.0.0.1:0 --port-file "$work/$_n.regport" \
		--interval 0.5 --timeout 10 --workers 2 "$@" 2>>"$work/$_n.verifier.log" &
	ver_pid=$!
	wait_file "$work/$_n.regport" || { ko "$_n: verifier did not start"; return 1; }
	regport=$(cat "$work/$_n.regport")
}

# start_agent NAME UUID [agent options]: a TPM, /init's first event, the agent
# (dry run: it measures its handoff and stops before kexec). Sets $run, $tpm,
# $agent_port, $agent_pid, and $ek_hash: the EK's hash as the provider
# publishes it (from the EK certificate in NV, read before the agent starts:
# swtpm serves one client at a time).
#   REBOOT=DIR   power-cycle the TPM of an earlier run in DIR instead of a new one
#   SAME_BOOT=DIR  use that run's TPM as it is, no reset, and its runtime log
#                (the previous tenant's OS after kexec, which has both)
#   UUID ""      no airlock.uuid: the agent derives it from the EK
start_agent() {
	run=$work/$1 uuid=$2; shift 2
	mkdir -p "$run/state"
	if [ -n "${SAME_BOOT:-}" ]; then
		cp "$SAME_BOOT/state/eventlog" "$run/state/eventlog"
	elif [ -n "${REBOOT:-}" ]; then
		swtpm_restart "$REBOOT/tpm" || { ko "$run: swtpm restart"; return 1; }
	else
		swtpm_stop
		swtpm_start "$run/tpm" sha1,sha256 || { ko "$run: swtpm"; return 1; }
	fi
	tpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
	if [ -z "${SAME_BOOT:-}" ]; then
		"$measure" "$tpm" "$run/state/eventlog" "airlock runtime: state=ready" >/dev/null ||
			{ ko "$run: initial measurement"; return 1; }
	fi
	ek_hash=
	if tpm2_nvread -T "$tpm" 0x01c00002 -o "$run/ek.crt" >/dev/null 2>&1; then
		ek_hash=$("$verifier" ek-hash "$run/ek.crt")
	fi
	agent_port=$(free_port)
	printf 'airlock.registrar=127.0.0.1:%s airlock.port=%s airlock.contact=127.0.0.1 airlock.mtls=%s%s\n' \
		"$regport" "$agent_port" "${AGENT_MTLS:-insecure-off}" "${uuid:+ airlock.uuid=$uuid}" \
		>"$run/config"
	"$agent" --config "$run/config" --tpm "$tpm" --state-dir "$run/state" --dry-run \
		--listen 127.0.0.1 --fw-eventlog /nonexistent --ima-log /nonexistent \
		--exit-after 90 --verify-grace 5 "$@" >"$run/agent.out" 2>"$run/agent.err" &
	agent_pid=$!
}
wait_agent() { # sets $agent_rc
	agent_rc=timeout
	for _w in $(seq 1 900); do
		if ! kill -0 "$agent_pid" 2>/dev/null; then
			wait "$agent_pid"; agent_rc=$?; agent_pid=; return 0
		fi
		sleep 0.1
	done
	stop_pid "$agent_pid"; agent_pid=
}
vshow() { # UUID KEY: the node's KEY from node show --json
	"$verifier" --state "$state" node show "$1" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2" 2>/dev/null
}
vstate() { vshow "$1" state; }
# V released and keys/verify matched: the state is attesting, or already
# handed_off when the runtime agent kexec'd before a poll of ours saw attesting.
wait_released() { # UUID SECONDS
	for _w in $(seq 1 $(($2 * 10))); do
		_s=$(vstate "$1")
		case $_s in
		attesting|handed_off)
			"$verifier" --state "$state" node show "$1" 2>/dev/null | grep -q 'V released' &&
				return 0 ;;
		esac
		sleep 0.1
	done
	echo "node $1 is ${_s:-unknown}, V not released"
	return 1
}
wait_state() { # UUID STATE SECONDS
	for _w in $(seq 1 $(($3 * 10))); do
		_s=$(vstate "$1")
		[ "$_s" = "$2" ] && return 0
		sleep 0.1
	done
	echo "node $1 is ${_s:-unknown}, not $2"
	return 1
}
pcr8() { tpm2_pcrread -T "$tpm" sha256:8 | sed -n 's/.*8 *: 0x//p' | tr 'A-F' 'a-f'; }
policy_for() { # FILE PCR8-HEX [MORE JSON MEMBERS]
	printf '{"airlock_policy": 1, "hash_alg": "sha256", "pcrs": {"8": ["%s"]}%s}\n' "$2" \
		"${3:+, $3}" >"$1"
}
# The agent's uuid once it is running (the derived one when none was given).
agent_uuid() {
	for _w in $(seq 1 100); do
		_u=$(sed -n 's/.*serving the Keylime agent API .* as \([^,]*\), contact.*/\1/p' "$run/agent.err")
		[ -n "$_u" ] && { echo "$_u"; return 0; }
		sleep 0.1
	done
	return 1
}

# dbq SQL: one query on the database of the state directory $state, SQLite's
# file or, under test_verifier_pg.sh, its PostgreSQL database; fields
# separated by '|' either way.
dbq() {
	if [ -n "${AIRLOCK_TEST_PG:-}" ]; then
		(. "$here/pg-lib.sh"
		 pg_url=$AIRLOCK_TEST_PG
		 psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(pg_database "$state")" -c "$1")
	else
		sqlite3 "$state/verifier.db" "$1"
	fi
}

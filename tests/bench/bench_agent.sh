#!/bin/sh
# Attestation latency of the agent against swtpm on loopback (`make bench`).
# Baseline, in the same run: the TPM's own time for each quote, which the agent
# measures around TPM2_Quote and its PCR reads. Reported: round trips seen by a
# client, and per quote the TPM's share and the agent's own work (parsing,
# crypto, encoding, HTTP), with their ratio. Goal (issue 4): agent-side work
# under 50 ms per quote. Figures, not pass/fail.
#   bench_agent.sh AIRLOCK-AGENT KL-PEER TPM-MEASURE [N]
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
agent=$(abs "$1") peer=$(abs "$2") measure=$(abs "$3") n=${4:-50}
here=$(cd "$(dirname "$0")/../host" && pwd)
. "$here/swtpm-lib.sh"
work=$(mktemp -d)
agent_pid= reg_pid=
trap 'stop_pid "$agent_pid"; stop_pid "$reg_pid"; swtpm_stop; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

swtpm_start "$work/tpm" sha1,sha256 || exit 1
tpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
mkdir -p "$work/state" "$work/reg"
"$measure" "$tpm" "$work/state/eventlog" "airlock runtime: state=ready" >/dev/null || exit 1
(cd "$work" && exec "$peer" registrar regport reg) 2>"$work/registrar.log" &
reg_pid=$!
for _w in $(seq 1 50); do [ -s "$work/regport" ] && break; sleep 0.1; done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'airlock.registrar=127.0.0.1:%s airlock.port=%s airlock.contact=127.0.0.1 airlock.mtls=insecure-off airlock.loglevel=debug\n' \
	"$(cat "$work/regport")" "$port" >"$work/config"
"$agent" --config "$work/config" --tpm "$tpm" --state-dir "$work/state" --dry-run \
	--listen 127.0.0.1 --fw-eventlog /nonexistent --ima-log /nonexistent --exit-after 600 \
	>/dev/null 2>"$work/agent.err" &
agent_pid=$!
for _w in $(seq 1 300); do grep -q "serving the Keylime agent API" "$work/agent.err" 2>/dev/null && break; sleep 0.1; done
grep -o "NK (RSA 2048) generated in .*" "$work/agent.err" | sed 's/^/bench agent: /'
grep -o "registered and activated .*" "$work/agent.err" | sed 's/.*(\(.*\))/bench agent: registration to activated: \1/'
"$peer" bench 127.0.0.1 "$port" "$n" || exit 1
grep "quote timing" "$work/agent.err" | sed 's/.*mask 0x\([0-9a-f]*\) tpm \([0-9.]*\) ms agent \([0-9.]*\) ms/\1 \2 \3/' |
	awk -v n="$n" '
	{ kind = ($1 == "010000") ? "identity" : "integrity"; c[kind]++; tpm[kind, c[kind]] = $2; ag[kind, c[kind]] = $3 }
	function median(arr, kind, cnt,   i, j, t, v) {
		for (i = 1; i <= cnt; i++) v[i] = arr[kind, i]
		for (i = 2; i <= cnt; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		return v[int((cnt + 1) / 2)]
	}
	END {
		for (kind in c) {
			mt = median(tpm, kind, c[kind]); ma = median(ag, kind, c[kind])
			printf "bench agent: %s quote (median of %d): TPM %.2f ms (baseline), agent work %.2f ms, ratio agent/TPM %.3f\n", kind, c[kind], mt, ma, (mt > 0 ? ma / mt : 0)
		}
	}'

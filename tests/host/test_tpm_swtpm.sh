#!/bin/sh
# Host integration of /init's measurement path (measure.c + tpm_pcr.c) with
# swtpm: for several PCR bank sets, measure events, then check with
# independent tools that the TPM's PCR 8 equals the replay of the event log
# we wrote: tpm2_pcrread for the TPM, tpm2_eventlog and tests/boot's Python
# replay for the log.
#   test_tpm_swtpm.sh PATH/TO/tpm-measure
set -u
tool=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/swtpm-lib.sh"
work=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$work"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

for banks in sha256 sha1,sha256 sha1,sha256,sha384; do
	d=$work/$(echo "$banks" | tr , -)
	swtpm_start "$d" "$banks" || { ko "swtpm start ($banks)"; continue; }
	spec="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
	if out=$("$tool" "$spec" "$d/log" "airlock test: one" "airlock test: two" "" 2>&1); then
		ok "measure events ($banks): $out"
	else
		ko "measure events ($banks): $out"; swtpm_stop; continue
	fi
	[ "$out" = "banks: $(echo "$banks" | tr ',' ' ')" ] && ok "active banks reported ($banks)" ||
		ko "active banks: got '$out', want $banks"
	for alg in $(echo "$banks" | tr ',' ' '); do
		tpm=$(tpm2_pcrread -T "$spec" "$alg:8" | sed -n 's/.*8 *: 0x\([0-9A-Fa-f]*\).*/\1/p' | tr 'A-F' 'a-f')
		py=$(python3 -c "
import sys; sys.path.insert(0, '$here/../boot')
import eventlog_replay as r
v, _ = r.replay(open('$d/log', 'rb').read()); print(v['$alg'][8])")
		t2=$(tpm2_eventlog "$d/log" 2>/dev/null | sed -n "/^  $alg:/,/^  [a-z]/p" |
			sed -n 's/^ *8 *: 0x\([0-9A-Fa-f]*\).*/\1/p' | tr 'A-F' 'a-f')
		[ -n "$tpm" ] && [ "$tpm" = "$py" ] && ok "$alg PCR 8: TPM == replay ($tpm)" ||
			ko "$alg PCR 8: TPM $tpm, replay $py"
		if [ -n "$t2" ]; then
			[ "$t2" = "$tpm" ] && ok "$alg PCR 8: tpm2_eventlog agrees" ||
				ko "$alg PCR 8: tpm2_eventlog says $t2, TPM $tpm"
		fi
	done
	swtpm_stop
done

# A tampered log must not replay to the TPM's values: the check can fail.
d=$work/tamper
if swtpm_start "$d" sha256; then
	spec="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
	"$tool" "$spec" "$d/log" "airlock test: original" >/dev/null 2>&1
	sed -i 's/original/0riginal/' "$d/log"
	tpm=$(tpm2_pcrread -T "$spec" sha256:8 | sed -n 's/.*8 *: 0x\([0-9A-Fa-f]*\).*/\1/p' | tr 'A-F' 'a-f')
	py=$(python3 -c "
import sys, hashlib; sys.path.insert(0, '$here/../boot')
import eventlog_replay as r
_, ev = r.replay(open('$d/log', 'rb').read())
print(all(e[2][11] == hashlib.sha256(e[3]).digest() for e in ev))")
	[ "$py" = False ] && ok "tampered event data detected (digest != H(data))" ||
		ko "tampered event data not detected"
	swtpm_stop
fi

# An unreachable TPM is a clear error, not a hang.
if out=$(timeout 20 "$tool" "swtpm:host=127.0.0.1,port=1" "$work/x" "e" 2>&1); then
	ko "unreachable TPM accepted"
else
	case $out in *"cannot open TPM"*|*"TPM"*failed*) ok "unreachable TPM: $out" ;; *) ko "unreachable TPM message: $out" ;; esac
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

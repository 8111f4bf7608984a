#!/bin/sh
# src/lib/eventlog.c on real firmware logs (tests/vectors/README.md): each
# log's replay must equal the PCR values the TPM reported when it was made.
#   test_eventlog_vectors.sh PATH/TO/test_eventlog
set -u
bin=$1
vec=$(cd "$(dirname "$0")/../vectors" && pwd)
pass=0 fail=0
for log in "$vec"/*.bin; do
	want=${log%.bin}.pcrs
	[ -f "$want" ] || continue
	got=$("$bin" --replay "$log" 2>&1) || { echo "FAIL $(basename "$log"): $got"; fail=$((fail + 1)); continue; }
	while read -r bank pcr value; do
		if echo "$got" | grep -qx "$bank $pcr $value"; then
			pass=$((pass + 1))
		else
			echo "FAIL $(basename "$log") $bank PCR $pcr: want $value, replay gave $(echo "$got" | grep "^$bank $pcr ")"
			fail=$((fail + 1))
		fi
	done <"$want"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]

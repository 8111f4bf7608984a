#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Independent oracle for src/lib/eventlog.c: for each scenario, the test
# helper (tests/unit/test_eventlog.c, --write-log) writes a log file, then
# tpm2_eventlog (tpm2-tools) parses it and its "pcrs:" section is compared
# with our replay (--replay). tpm2-tools hashes with OpenSSL and parses with
# its own code, so agreement means the bytes are a crypto-agile log that
# others read the way we do.
#
# Usage: test_eventlog_tpm2tools.sh [path/to/test_eventlog]
#   Without an argument (or $TEST_EVENTLOG) the helper is built here with
#   $CC (gcc), mbedtls from $MBEDTLS_PREFIX (/tmp/airlock-dev/host), cmocka
#   and libcrypto.
# Last line: "N passed, N failed". Exit status 1 if anything failed.
#
# tpm2-tools before 5.6 extends EV_NO_ACTION events into their PCR and
# ignores StartupLocality (tpm2-tools issues #3224 and #3146, fixed in 5.6);
# with such a version PCR 0 of the StartupLocality scenario is not compared
# (the unit test checks it against OpenSSL instead) and a SKIPPED line says so.

set -u

if ! command -v tpm2_eventlog >/dev/null 2>&1; then
	echo "SKIPPED: tpm2_eventlog not found (install tpm2-tools to run this comparison)"
	echo "0 passed, 0 failed"
	exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

bin=${1:-${TEST_EVENTLOG:-}}
if [ -z "$bin" ]; then
	prefix=${MBEDTLS_PREFIX:-/tmp/airlock-dev/host}
	bin=$tmp/test_eventlog
	if ! ${CC:-gcc} -std=gnu11 -O1 -g -Wall -Wextra -Werror \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-I"$root/src/lib" -I"$prefix/include" \
		"$root/tests/unit/test_eventlog.c" "$root/src/lib/eventlog.c" \
		"$root/src/lib/digest.c" -L"$prefix/lib" -lmbedcrypto -lcmocka \
		-lcrypto -o "$bin" >"$tmp/build.log" 2>&1; then
		cat "$tmp/build.log"
		ko "build test helper (CC=${CC:-gcc}, MBEDTLS_PREFIX=$prefix)"
		echo "$pass passed, $fail failed"
		exit 1
	fi
fi

# "version="5.4"" -> 5 and 4; unknown versions count as new.
ver=$(tpm2_eventlog --version 2>/dev/null | sed -n 's/.*version="\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')
set -- $ver
major=${1:-99}
minor=${2:-0}
old_tools=0
if [ "$major" -lt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -lt 6 ]; }; then
	old_tools=1
fi

# tpm2_eventlog YAML "pcrs:" section -> "alg index hex" lines.
their_pcrs() {
	awk '
		/^pcrs:/ { p = 1; next }
		p && /^[^ ]/ { p = 0 }
		p && /^  [A-Za-z0-9_]+:[ \t]*$/ { bank = $1; sub(":", "", bank); next }
		p && /^    [0-9]+[ \t]*:[ \t]*0x/ {
			v = $3; sub("^0x", "", v); print bank, $1, tolower(v)
		}
	' "$1"
}

scenarios=$("$bin" --scenarios) || { ko "list scenarios"; echo "$pass passed, $fail failed"; exit 1; }

for sc in $scenarios; do
	log=$tmp/$sc.bin
	if ! "$bin" --write-log "$sc" "$log"; then
		ko "$sc: write log"
		continue
	fi
	if ! tpm2_eventlog "$log" >"$tmp/$sc.yaml" 2>"$tmp/$sc.err"; then
		cat "$tmp/$sc.err"
		ko "$sc: tpm2_eventlog rejected our log"
		continue
	fi
	if ! "$bin" --replay "$log" | sort >"$tmp/$sc.ours"; then
		ko "$sc: our replay failed"
		continue
	fi
	their_pcrs "$tmp/$sc.yaml" | sort >"$tmp/$sc.theirs"
	if [ "$sc" = firmware-locality3 ] && [ "$old_tools" -eq 1 ]; then
		echo "SKIPPED: $sc PCR 0: tpm2-tools $major.$minor < 5.6 extends EV_NO_ACTION and ignores StartupLocality (tpm2-tools#3224, #3146)"
		grep -v '^[a-z0-9_]* 0 ' "$tmp/$sc.ours" >"$tmp/$sc.o2"
		grep -v '^[a-z0-9_]* 0 ' "$tmp/$sc.theirs" >"$tmp/$sc.t2"
		mv "$tmp/$sc.o2" "$tmp/$sc.ours"
		mv "$tmp/$sc.t2" "$tmp/$sc.theirs"
	fi
	n=$(wc -l <"$tmp/$sc.ours")
	if [ "$n" -eq 0 ]; then
		ko "$sc: no PCRs to compare"
	elif cmp -s "$tmp/$sc.ours" "$tmp/$sc.theirs"; then
		ok "$sc: $n PCR values equal tpm2_eventlog's"
	else
		diff "$tmp/$sc.ours" "$tmp/$sc.theirs" | sed 's/^/    /'
		ko "$sc: PCR values differ from tpm2_eventlog's (< ours, > theirs)"
	fi

	# Both parsers must refuse the log cut one byte short.
	size=$(wc -c <"$log")
	head -c $((size - 1)) "$log" >"$tmp/$sc.cut"
	if "$bin" --replay "$tmp/$sc.cut" >/dev/null 2>&1; then
		ko "$sc: our replay accepted a log one byte short"
	elif tpm2_eventlog "$tmp/$sc.cut" >/dev/null 2>&1; then
		ko "$sc: tpm2_eventlog accepted a log one byte short (oracle broken?)"
	else
		ok "$sc: log one byte short rejected by both"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# `airlock-verifier predict` against independent tools, on the board's real
# build output: the PE Authenticode digest it predicts for PCR 4 equals the
# one osslsigncode calculates (for the image as built, and for a signed copy,
# whose certificate table must not change it); malformed images and command
# lines /init would refuse are refused with a reason, never crash (ASan build).
#   test_predict.sh AIRLOCK-VERIFIER BUILD_DIR
set -u
v=$1 build=$2
work=$(mktemp -d)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
trap 'rm -rf "$work"' EXIT
append="airlock.registrar=192.0.2.1:8890 airlock.uuid=123e4567-e89b-12d3-a456-426614174000"
fwdigest() { # BUILD_DIR: the predicted PCR 4 digest
	"$v" predict "$1" --firmware uefi --append "$append" 2>"$work/err" | python3 -c '
import json, sys
print(json.load(sys.stdin)["firmware_events"]["4"][0]["digest"])' 2>/dev/null
}
oracle() { # IMAGE: osslsigncode's Authenticode digest (signing a copy computes it)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/k.pem" -out "$work/c.pem" \
		-subj /CN=airlock-test -days 2 >/dev/null 2>&1
	osslsigncode sign -certs "$work/c.pem" -key "$work/k.pem" -h sha256 -in "$1" \
		-out "$work/signed.efi" >/dev/null 2>&1 || return 1
	osslsigncode verify -in "$work/signed.efi" 2>/dev/null |
		sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' | tr 'A-F' 'a-f'
}

want=$(oracle "$build/bzImage")
got=$(fwdigest "$build")
if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "Authenticode digest of bzImage = osslsigncode's ($got)"
else ko "Authenticode digest of bzImage: predict '$got', osslsigncode '$want' ($(cat "$work/err"))"; fi

mkdir -p "$work/signed"
cp "$build/board.config" "$build/buildinfo" "$work/signed/"
cp "$work/signed.efi" "$work/signed/bzImage"
got2=$(fwdigest "$work/signed")
if [ "$got2" = "$got" ]; then ok "a signed copy has the same digest (certificate table skipped)"
else ko "signed copy: '$got2' != '$got'"; fi

# Malformed images: refused with a reason, exit 1, no sanitizer report.
bad() { # NAME: predict on $work/bad/bzImage must fail cleanly
	"$v" predict "$work/bad" --firmware uefi --append "$append" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc = 1 ] && grep -q "bzImage: " "$work/err" && ! grep -qi sanitizer "$work/err"; then
		ok "malformed image refused: $1 ($(cut -c1-80 "$work/err"))"
	else
		ko "malformed image $1: exit $rc: $(head -c 300 "$work/err")"
	fi
}
mkdir -p "$work/bad"
cp "$build/board.config" "$build/buildinfo" "$work/bad/"
head -c 1000 "$build/bzImage" >"$work/bad/bzImage"; bad "truncated to 1000 bytes"
head -c 100 "$build/bzImage" >"$work/bad/bzImage"; bad "truncated to 100 bytes"
printf 'not a PE file at all' >"$work/bad/bzImage"; bad "not a PE file"
cp "$build/bzImage" "$work/bad/bzImage"
printf '\377\377\377\177' | dd of="$work/bad/bzImage" bs=1 seek=60 conv=notrunc 2>/dev/null
bad "e_lfanew far outside the file"

"$v" predict "$build" --firmware uefi --append "airlock.uuid=nonsense" >/dev/null 2>"$work/err"
if [ $? = 1 ] && grep -q "/init would refuse" "$work/err"; then ok "a command line /init refuses is refused"
else ko "bad command line: $(cat "$work/err")"; fi
"$v" predict "$work/nonexistent" --firmware bios --append "$append" >/dev/null 2>"$work/err"
if [ $? = 1 ] && grep -q "board's build output" "$work/err"; then ok "a missing build directory is named"
else ko "missing build dir: $(cat "$work/err")"; fi
"$v" predict "$build" --append "$append" --firmware "" >/dev/null 2>"$work/err"
if [ $? = 1 ] && grep -q "which firmware" "$work/err"; then ok "an unknown firmware is refused"
else ko "unknown firmware: $(cat "$work/err")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

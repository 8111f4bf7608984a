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

# boot-config: one node list gives each node's iPXE script and its policy, and
# the policy is exactly what predict says for the line that script boots with.
mkdir -p "$work/uefi"
cp "$build/board.config" "$build/bzImage" "$work/uefi/"
sed 's/^firmware: .*/firmware: uefi/' "$build/buildinfo" >"$work/uefi/buildinfo"
cat >"$work/nodes" <<EOF
# uuid  mac  words
123e4567-e89b-12d3-a456-426614174000  52:54:00:12:34:56  airlock.registrar=192.0.2.1:8890 airlock.uuid=123e4567-e89b-12d3-a456-426614174000 console=ttyS1,115200
11111111-2222-3333-4444-555555555555  52-54-00-AB-CD-EF  airlock.registrar=192.0.2.1:8890   panic=5
EOF
if "$v" boot-config "$work/nodes" "$work/uefi" --url http://192.0.2.9/img/runtime.efi \
		--out "$work/boot" >"$work/out" 2>"$work/err"; then
	ok "boot-config: two nodes written"
	grep -qx 'chain http://192.0.2.9/img/runtime.efi airlock.registrar=192.0.2.1:8890 airlock.uuid=123e4567-e89b-12d3-a456-426614174000 console=ttyS1,115200' \
		"$work/boot/52-54-00-12-34-56.ipxe" &&
		grep -qx 'chain http://192.0.2.9/img/runtime.efi airlock.registrar=192.0.2.1:8890 panic=5 airlock.uuid=11111111-2222-3333-4444-555555555555' \
		"$work/boot/52-54-00-ab-cd-ef.ipxe" &&
		ok "boot-config: each MAC's script chains the image with that node's words (single spaces; airlock.uuid added where missing)" ||
		ko "boot-config scripts: $(cat "$work/boot/"*.ipxe)"
	grep -qx 'chain ${netX/mac:hexhyp}.ipxe' "$work/boot/boot.ipxe" &&
		ok "boot-config: boot.ipxe chains the script of the NIC iPXE booted from (netX)" || ko "boot.ipxe: $(cat "$work/boot/boot.ipxe")"
	"$v" predict "$work/uefi" --append "runtime.efi airlock.registrar=192.0.2.1:8890 airlock.uuid=123e4567-e89b-12d3-a456-426614174000 console=ttyS1,115200" \
		--out "$work/a.policy" 2>"$work/err" &&
		cmp -s "$work/a.policy" "$work/boot/123e4567-e89b-12d3-a456-426614174000.policy" &&
		ok "boot-config: the first node's policy is predict's for the image name and the script's words" ||
		ko "boot-config policy differs from predict's ($(cat "$work/err"))"
	# A second run replaces the directory whole: a node no longer listed keeps no script.
	head -n 2 "$work/nodes" >"$work/nodes1"
	"$v" boot-config "$work/nodes1" "$work/uefi" --url http://192.0.2.9/img/runtime.efi \
		--out "$work/boot" >/dev/null 2>"$work/err" && [ ! -e "$work/boot/52-54-00-ab-cd-ef.ipxe" ] &&
		[ -e "$work/boot.previous/52-54-00-ab-cd-ef.ipxe" ] && ! ls "$work"/boot.new.* >/dev/null 2>&1 &&
		ok "boot-config: a rerun replaces the directory whole (the last one kept as .previous)" ||
		ko "boot-config rerun: $(ls "$work" "$work/boot") $(cat "$work/err")"
else
	ko "boot-config: $(cat "$work/err")"
fi
bc_refused() { # DESCRIPTION EXPECTED-TEXT NODE-LINES [URL]
	rm -rf "$work/boot2"
	printf '%s\n' "$3" >"$work/nodes2"
	if "$v" boot-config "$work/nodes2" "$work/uefi" --url "${4:-http://192.0.2.9/runtime.efi}" \
			--out "$work/boot2" >/dev/null 2>"$work/err"; then
		ko "boot-config $1: accepted"
	elif ! grep -q -- "$2" "$work/err"; then
		ko "boot-config $1: '$(cat "$work/err")' lacks '$2'"
	elif [ -e "$work/boot2" ]; then
		ko "boot-config $1: something was written"
	else
		ok "boot-config refuses $1, writing nothing: $(cut -c1-100 "$work/err")"
	fi
}
bc_refused "a line /init would refuse" "line 1 (123e4567-e89b-12d3-a456-426614174001): /init would refuse this command line: airlock.registrar=" \
	"123e4567-e89b-12d3-a456-426614174001 52:54:00:00:00:01 console=ttyS1"
bc_refused "words naming another airlock.uuid" "the words say airlock.uuid=123e4567-e89b-12d3-a456-426614174000, the node is n1" \
	"n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1 airlock.uuid=123e4567-e89b-12d3-a456-426614174000"
bc_refused "a MAC that is not one" "is not a MAC address" "n1 52:54:00:00:00 airlock.registrar=192.0.2.1"
bc_refused "an iPXE setting in the words" "iPXE would expand it" 'n1 52:54:00:00:00:01 airlock.registrar=${ip}'
bc_refused "a second command in the words" "iPXE script syntax" "n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1 || shell"
bc_refused "the same MAC twice" "MAC 52-54-00-00-00-01 again (line 1 has it)" "n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1
n2 52-54-00-00-00-01 airlock.registrar=192.0.2.1"
bc_refused "the same uuid twice" "uuid n1 again" "n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1
n1 52:54:00:00:00:02 airlock.registrar=192.0.2.1"
bc_refused "a uuid that is no path-safe name" "is not 1-" "../x 52:54:00:00:00:01 airlock.registrar=192.0.2.1"
bc_refused "an image named airlock.*" "must not start with" "n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1" \
	http://192.0.2.9/airlock.efi
bc_refused "a URL with a query (iPXE names the image without it)" "no '?', '#' or '%'" \
	"n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1" "http://192.0.2.9/runtime.efi?x=1"
printf 'n1 52:54:00:00:00:01 airlock.registrar=192.0.2.1\n\000n2 52:54:00:00:00:02 airlock.registrar=192.0.2.1\n' >"$work/nodes3"
"$v" boot-config "$work/nodes3" "$work/uefi" --url http://192.0.2.9/runtime.efi --out "$work/boot3" 2>"$work/err" &&
	ko "boot-config: a node list with a NUL accepted" ||
	{ grep -q "holds a NUL byte" "$work/err" && [ ! -e "$work/boot3" ] &&
		ok "boot-config refuses a node list with a NUL byte (lines after it would vanish)" ||
		ko "boot-config NUL: $(cat "$work/err")"; }
"$v" boot-config "$work/nodes" "$build" --url http://192.0.2.9/runtime.efi --out "$work/boot4" 2>"$work/err" &&
	ko "boot-config: a non-UEFI build accepted" ||
	{ grep -q "for UEFI builds" "$work/err" && ok "boot-config refuses a build that is not UEFI" ||
		ko "boot-config non-UEFI: $(cat "$work/err")"; }

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/sh
# Host integration of the software MakeCredential (src/lib/credential.c,
# src/lib/tpm_public.c) with a real TPM 2.0 (swtpm) and tpm2-tools:
#   - EK and AK made by tpm2_createek / tpm2_createak (RSA and ECC EKs of
#     the standard templates, RSA and ECC AKs), and primaries of our own for
#     what the high-range templates use (SHA-384/512 nameAlg, AES-256,
#     RSA-3072, P-384, P-521);
#   - our Name of each public area == the Name tpm2-tools reports;
#   - our credential blob, activated by tpm2_activatecredential, gives back
#     the 32-character secret exactly;
#   - a blob tampered in the HMAC, the encrypted identity or the encrypted
#     seed, and a blob made for another AK's Name, are refused by the TPM;
#   - our blob parser splits a blob tpm2_makecredential wrote.
#   test_credential_swtpm.sh [BUILD_DIR]   (default: the repository's build/)
# BUILD_DIR/deps/host holds the pinned mbedtls, BUILD_DIR/obj/asan/libairlock.a
# the library (ASan build); makecred is built from them in a
# temporary directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
hostroot=$build/deps/host
. "$here/swtpm-lib.sh"
work=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; [ $fail -eq 0 ]; exit; }

# Every TPM command is bounded; a hung swtpm fails the check, not the suite.
t() { timeout 60 "$@"; }
# Transient objects and sessions stay loaded in swtpm (3 slots): flush them.
fl() { t tpm2_flushcontext -t >/dev/null 2>&1; t tpm2_flushcontext -s >/dev/null 2>&1; return 0; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
flip() { # flip FILE OFFSET OUT: copy FILE with the low bit of one byte inverted
	python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 1
open(sys.argv[3], "wb").write(b)' "$1" "$2" "$3"
}
u16() { # u16 FILE OFFSET: big-endian 16-bit value
	od -An -j "$2" -N 2 -tu1 "$1" | awk '{ print $1 * 256 + $2 }'
}

tool=$work/makecred
if ${HOSTCC:-gcc} -std=gnu11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=all -I"$top/src/lib" -I"$hostroot/include" -o "$tool" \
	"$here/makecred.c" "$build/obj/asan/libairlock.a" -L"$hostroot/lib" -lmbedcrypto \
	>"$work/cc.log" 2>&1; then
	ok "build makecred against $hostroot"
else
	ko "build makecred: $(cat "$work/cc.log")"
	finish
fi

secret=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
[ ${#secret} -eq 32 ] || { ko "make a 32-character secret"; finish; }

# activate DIR BLOB OUT POLICY: run TPM2_ActivateCredential for DIR's AK and
# EK. POLICY=1: the EK needs PolicySecret(endorsement) (standard templates).
activate() {
	_d=$1
	rm -f "$3"
	if [ "$4" = 1 ]; then
		t tpm2_startauthsession --policy-session -S "$_d/session.ctx" >/dev/null 2>&1 &&
			t tpm2_policysecret -S "$_d/session.ctx" -c e >/dev/null 2>&1 &&
			t tpm2_activatecredential -c "$_d/ak.ctx" -C "$_d/ek.ctx" -i "$2" -o "$3" \
				-P "session:$_d/session.ctx" >"$_d/activate.log" 2>&1
		_rc=$?
		t tpm2_flushcontext "$_d/session.ctx" >/dev/null 2>&1
	else
		t tpm2_activatecredential -c "$_d/ak.ctx" -C "$_d/ek.ctx" -i "$2" -o "$3" \
			>"$_d/activate.log" 2>&1
		_rc=$?
	fi
	fl
	return $_rc
}

# check_pair DIR LABEL POLICY SECRET: every check for one EK (ek.pub,
# ek.ctx) and one AK (ak.pub, ak.ctx, ak.name; other.name is the Name of
# another AK).
check_pair() {
	local d=$1 what=$2 pol=$3 secret=$4 ours out idn macn spot
	ours=$("$tool" name "$d/ak.pub" 2>&1)
	[ "$ours" = "$(hex "$d/ak.name")" ] && ok "$what: AK Name == tpm2-tools' ($ours)" ||
		ko "$what: AK Name: ours '$ours', tpm2-tools $(hex "$d/ak.name")"
	ours=$("$tool" name "$d/ek.pub" 2>&1)
	t tpm2_readpublic -c "$d/ek.ctx" -n "$d/ek.name" >/dev/null 2>&1
	[ "$ours" = "$(hex "$d/ek.name")" ] && ok "$what: EK Name == tpm2_readpublic's" ||
		ko "$what: EK Name: ours '$ours', tpm2_readpublic $(hex "$d/ek.name")"

	if ! out=$("$tool" make "$d/ek.pub" "$d/ak.name" "$secret" "$d/blob" 2>&1); then
		ko "$what: make_credential: $out"
		return
	fi
	if activate "$d" "$d/blob" "$d/out" "$pol" && [ "$(cat "$d/out")" = "$secret" ]; then
		ok "$what: TPM2_ActivateCredential recovers the secret"
	else
		ko "$what: activation: $(tail -3 "$d/activate.log" | tr '\n' ' ') out='$(cat "$d/out" 2>/dev/null)'"
	fi
	# A second blob for the same inputs differs (fresh seed or ephemeral key).
	"$tool" make "$d/ek.pub" "$d/ak.name" "$secret" "$d/blob2" >/dev/null 2>&1
	cmp -s "$d/blob" "$d/blob2" && ko "$what: two blobs are identical" ||
		ok "$what: two blobs differ"

	# Layout: 8-byte header, TPM2B_ID_OBJECT { TPM2B hmac, encIdentity }, TPM2B secret.
	idn=$(u16 "$d/blob" 8) macn=$(u16 "$d/blob" 10)
	for spot in "integrity HMAC:$((12 + macn / 2))" "encIdentity:$((12 + macn + 1))" \
		"encrypted seed:$((12 + idn + 5))"; do
		flip "$d/blob" "${spot#*:}" "$d/bad"
		if activate "$d" "$d/bad" "$d/out" "$pol"; then
			ko "$what: blob with a flipped bit in the ${spot%:*} was activated"
		else
			ok "$what: flipped bit in the ${spot%:*} refused: $(grep -o 'TPM_RC_[A-Z_]*\|0x[0-9a-fA-F]*' "$d/activate.log" | head -1)"
		fi
	done
	"$tool" make "$d/ek.pub" "$d/other.name" "$secret" "$d/bad" >/dev/null 2>&1
	activate "$d" "$d/bad" "$d/out" "$pol" &&
		ko "$what: blob for another AK's Name was activated" ||
		ok "$what: blob for another AK's Name refused"

	printf '%s' "$secret" >"$d/secret"
	if t tpm2_makecredential --tcti none -e "$d/ek.pub" -s "$d/secret" \
		-n "$(hex "$d/ak.name")" -o "$d/tools.blob" >/dev/null 2>&1; then
		if out=$("$tool" split "$d/tools.blob" "$d/id" "$d/es" 2>&1) &&
			[ "$(wc -c <"$d/id")" -eq $((2 + $(u16 "$d/tools.blob" 8))) ]; then
			ok "$what: credblob_parse splits tpm2_makecredential's blob"
		else
			ko "$what: credblob_parse on tpm2_makecredential's blob: $out"
		fi
		# And the reference blob activates too (the setup itself is right).
		activate "$d" "$d/tools.blob" "$d/out" "$pol" && [ "$(cat "$d/out")" = "$secret" ] &&
			ok "$what: tpm2_makecredential's blob activates (reference)" ||
			ko "$what: tpm2_makecredential's blob does not activate"
	fi
}

# Standard EK templates (TCG EK Credential Profile L-1, L-2) and tpm2_createak.
for ek in rsa ecc; do
	d=$work/$ek
	swtpm_start "$d" sha256 || { ko "swtpm start ($ek EK)"; continue; }
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
	if ! t tpm2_createek -G "$ek" -c "$d/ek.ctx" -u "$d/ek.pub" >"$d/tpm.log" 2>&1; then
		ko "$ek EK: tpm2_createek: $(tail -2 "$d/tpm.log")"; swtpm_stop; continue
	fi
	fl
	for ak in "ecc -s ecdsa" "rsa -s rsassa"; do
		alg=${ak%% *} a=$d/ak-$alg
		mkdir -p "$a"
		cp "$d/ek.ctx" "$d/ek.pub" "$a/"
		t tpm2_createak -C "$a/ek.ctx" -G $ak -g sha256 -c "$a/ak.ctx" -u "$a/ak.pub" \
			-n "$a/ak.name" >"$a/tpm.log" 2>&1 ||
			{ ko "$ek EK, $alg AK: tpm2_createak: $(tail -2 "$a/tpm.log")"; continue; }
		fl
	done
	# Each AK's blob is also tried against the other AK ("another AK's Name").
	cp "$d/ak-rsa/ak.name" "$d/ak-ecc/other.name" 2>/dev/null
	cp "$d/ak-ecc/ak.name" "$d/ak-rsa/other.name" 2>/dev/null
	for alg in ecc rsa; do
		[ -f "$d/ak-$alg/ak.ctx" ] && check_pair "$d/ak-$alg" "$ek EK, $alg AK" 1 "$secret"
	done
	swtpm_stop
done

# Storage primaries in the endorsement hierarchy shaped like the high-range
# EK templates (restricted decrypt, AES-CFB), without their PolicyB so that
# plain auth activates them; AKs are restricted signing children.
for spec in "ecc384:null:aes256cfb sha384" "rsa3072:null:aes256cfb sha384" \
	"ecc521:null:aes256cfb sha512" "rsa2048:null:aes128cfb sha1"; do
	g=${spec% *} h=${spec#* } what="${spec%%:*}/$h/$(echo "$g" | cut -d: -f3) EK"
	d=$work/$(echo "$g-$h" | tr : -)
	swtpm_start "$d" sha256 || { ko "swtpm start ($what)"; continue; }
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
	if t tpm2_createprimary -C e -g "$h" -G "$g" -c "$d/ek.ctx" \
		-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|decrypt' \
		>"$d/tpm.log" 2>&1 &&
		t tpm2_readpublic -c "$d/ek.ctx" -o "$d/ek.pub" >>"$d/tpm.log" 2>&1 &&
		fl &&
		t tpm2_create -C "$d/ek.ctx" -G ecc256:ecdsa-sha256:null -g sha256 -u "$d/ak.pub" \
			-r "$d/ak.priv" \
			-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' \
			>>"$d/tpm.log" 2>&1 &&
		t tpm2_create -C "$d/ek.ctx" -G ecc256:ecdsa-sha256:null -g sha256 -u "$d/ak2.pub" \
			-r "$d/ak2.priv" \
			-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' \
			>>"$d/tpm.log" 2>&1 &&
		fl &&
		t tpm2_load -C "$d/ek.ctx" -u "$d/ak2.pub" -r "$d/ak2.priv" -c "$d/ak2.ctx" \
			-n "$d/other.name" >>"$d/tpm.log" 2>&1 &&
		fl &&
		t tpm2_load -C "$d/ek.ctx" -u "$d/ak.pub" -r "$d/ak.priv" -c "$d/ak.ctx" \
			-n "$d/ak.name" >>"$d/tpm.log" 2>&1 &&
		fl; then
		# The credential is at most one nameAlg digest: 20 bytes for SHA-1.
		if [ "$h" = sha1 ]; then
			"$tool" make "$d/ek.pub" "$d/ak.name" "$secret" "$d/blob" >/dev/null 2>&1 &&
				ko "$what: 32-byte secret accepted for a SHA-1 EK" ||
				ok "$what: 32-byte secret refused for a SHA-1 EK"
			check_pair "$d" "$what" 0 "$(echo "$secret" | cut -c1-20)"
		else
			check_pair "$d" "$what" 0 "$secret"
		fi
	else
		ko "$what: setup: $(tail -2 "$d/tpm.log")"
	fi
	swtpm_stop
done

finish

#!/bin/sh
# How tests/vectors/quote/* were made (run by hand; the outputs are committed
# so tests do not depend on this script): swtpm with sha1 + sha256 banks,
# tpm2-tools creating the EK and an AK of each kind, and `tpm2_quote` writing
# the three parts a Keylime agent sends (TPMS_ATTEST, TPMT_SIGNATURE, pcrblob).
#   make.sh OUTDIR
set -eu
out=$1
mkdir -p "$out"
d=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
# EK certificate from a CA of this run's own, never the machine's (tests/hermetic).
. "$(dirname "$0")/../../host/swtpm-lib.sh"
mkdir -p "$d/ca-dir"
swtpm_local_ca "$d/ca-dir"
# shellcheck disable=SC2086
swtpm_setup --tpm2 --tpmstate "$d" --pcr-banks sha1,sha256 $SWTPM_SETUP_CERTS >/dev/null
port=$((20000 + $$ % 20000))
swtpm socket --tpm2 --tpmstate dir="$d" --server type=tcp,port=$port \
	--ctrl type=tcp,port=$((port + 1)) --flags not-need-init,startup-clear &
pid=$!
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
for i in 1 2 3 4 5 6 7 8 9 10; do tpm2_pcrread sha256:0 >/dev/null 2>&1 && break; sleep 0.2; done
# PCR 8 and 9 carry something, as on a node after /init.
echo airlock-cmdline | tpm2_pcrevent 8 >/dev/null
echo airlock-kernel | tpm2_pcrevent 9 >/dev/null
echo nk-binding | tpm2_pcrevent 16 >/dev/null
# No resource manager between tpm2-tools and swtpm: flush transients after each step.
flush() { tpm2_flushcontext -t; tpm2_flushcontext -s; }
tpm2_createek -c "$d/ek.ctx" -G rsa -u "$out/ek-rsa.pub" >/dev/null
flush
for kind in ecc rsa; do
	if [ $kind = ecc ]; then G=ecc; s=ecdsa; else G=rsa; s=rsassa; fi
	tpm2_createak -C "$d/ek.ctx" -c "$d/ak-$kind.ctx" -G $G -g sha256 -s $s \
		-u "$out/ak-$kind.pub" -n "$out/ak-$kind.name" >/dev/null
	flush
	printf 'abcdefghij0123456789' >"$out/nonce"
	tpm2_quote -c "$d/ak-$kind.ctx" -l sha256:8,9,16 -q "$(xxd -p "$out/nonce")" -g sha256 \
		-m "$out/quote-$kind.attest" -s "$out/quote-$kind.sig" -o "$out/quote-$kind.pcrs" \
		>/dev/null
	flush
done
# Two banks in one quote (sha1 and sha256), 10 PCRs: two TPML_DIGEST groups.
tpm2_quote -c "$d/ak-rsa.ctx" -l sha1:0,1,2,3,8+sha256:0,1,2,8,9,16 \
	-q "$(xxd -p "$out/nonce")" -g sha256 \
	-m "$out/quote-2banks.attest" -s "$out/quote-2banks.sig" -o "$out/quote-2banks.pcrs" >/dev/null
tpm2_pcrread sha256:8,9,16 >"$out/pcrs.txt"

#!/bin/sh
# coreboot ROMs without a real coreboot build: base images made with Debian's
# fmaptool and cbfstool (an FMAP, a COREBOOT CBFS with stand-ins for the
# stages and a payload). reproducible/coreboot-rom replaces the payload with
# the runtime kernel, byte-identically on every run, and refuses bad bases
# with a reason, writing nothing. `airlock-verifier predict` (ASan build)
# computes PCR 2 as coreboot measures it, checked against a replay made here
# from `cbfstool read -r FMAP` and `cbfstool extract -U`.
# With --check, the command line the node will see goes through cmdline-check
# (/init's parser) first; `make` passes it so.
#   test_coreboot_rom.sh AIRLOCK-VERIFIER BUILD_DIR CMDLINE-CHECK
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
v=$(abs "$1") build=$(abs "$2") cmdline_check=$(abs "$3")
here=$(cd "$(dirname "$0")/../.." && pwd)
rom_tool=$here/reproducible/coreboot-rom
work=$(mktemp -d)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@" >"$work/check.out" 2>&1; then ok "$_d"; else ko "$_d"; tail -3 "$work/check.out"; fi
}
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
for t in cbfstool fmaptool; do
	command -v $t >/dev/null || { echo "FAIL $t missing (Debian package coreboot-utils)"; echo "0 passed, 1 failed"; exit 1; }
done
cd "$work"
kernel=$build/bzImage
cmdline="airlock.registrar=192.0.2.1:8890"
append=$cmdline

# A base ROM of SIZE bytes: an FMAP and a COREBOOT CBFS with stand-ins for the
# stages and (unless no-payload) a payload. With anchor=1 in the environment the
# bootblock carries CBFS verification's metadata hash anchor, as a coreboot
# build with CONFIG_CBFS_VERIFICATION has it.
mkbase() { # OUT SIZE [COREBOOT [no-payload]]
	_area=COREBOOT
	printf 'FLASH@0x%x 0x%x {\n\tBIOS@0 0x%x {\n\t\tFMAP@0 0x200\n\t\t%s(CBFS)@0x200 0x%x\n\t}\n}\n' \
		$((0x100000000 - $2)) "$2" "$2" "$_area" $(($2 - 0x200)) >"$1.fmd"
	fmaptool "$1.fmd" "$1.fmap" >/dev/null &&
	cbfstool "$1" create -M "$1.fmap" -r "$_area" >/dev/null || return 1
	for f in bootblock:bootblock:2048 fallback/romstage:stage:30000 \
		fallback/postcar:stage:10000 fallback/ramstage:stage:60000; do
		n=${f%%:*} rest=${f#*:}
		head -c "${rest#*:}" /dev/urandom >"$work/part"
		[ "$n" = bootblock ] && [ "${anchor:-}" = 1 ] &&
			{ printf '\255MdtHsh\025'; head -c 100 /dev/zero; } >>"$work/part"
		cbfstool "$1" add -r "$_area" -f "$work/part" -n "$n" -t "${rest%%:*}" >/dev/null || return 1
	done
	[ "${4:-}" = no-payload ] && return 0
	head -c 4096 /dev/urandom >"$work/part"
	cbfstool "$1" add -r "$_area" -f "$work/part" -n fallback/payload -t "simple elf" >/dev/null
}
replay() { # ROM [verification]: PCR 2 as coreboot would extend it
	cbfstool "$1" read -r FMAP -f "$work/fmap.bin" >/dev/null 2>&1 || return 1
	files="bootblock fallback/romstage fallback/postcar fallback/ramstage fallback/payload"
	[ "${2:-}" = verification ] && files="fallback/postcar fallback/ramstage fallback/payload"
	for n in $files; do
		cbfstool "$1" extract -n "$n" -f "$work/$(echo "$n" | tr / _).raw" -U >/dev/null 2>&1 || return 1
	done
	python3 - "$work" $files <<'EOP'
import hashlib, os, sys
d = sys.argv[1]
ds = [open(os.path.join(d, "fmap.bin"), "rb").read()]
ds += [open(os.path.join(d, n.replace("/", "_") + ".raw"), "rb").read() for n in sys.argv[2:]]
v = bytes(32)
for x in ds:
    v = hashlib.sha256(v + hashlib.sha256(x).digest()).digest()
print(v.hex())
EOP
}
predicted() { # ROM [predict options]: predict's PCR 2 value
	_rom=$1; shift
	"$v" predict "$build" --firmware coreboot --rom "$_rom" --append "$append" "$@" \
		2>"$work/predict.err" | python3 -c '
import json, sys
print(json.load(sys.stdin)["pcrs"]["2"][0])' 2>/dev/null
}

check "base ROM (8 MiB, FMAP + COREBOOT CBFS)" mkbase base.rom 0x800000
check "coreboot-rom replaces fallback/payload" "$rom_tool" base.rom "$kernel" "$cmdline" a.rom
check "a second run gives the same bytes" sh -c "'$rom_tool' base.rom '$kernel' '$cmdline' b.rom && cmp a.rom b.rom"
check "the base ROM is left unchanged" sh -c "cbfstool base.rom print | grep -q 'fallback/payload .* 4096 '"
check "the payload is the runtime kernel with the command line" python3 - a.rom "$kernel" "$cmdline" <<'EOP'
import subprocess, sys
subprocess.run(["cbfstool", sys.argv[1], "extract", "-n", "fallback/payload", "-f", "payload.raw",
                "-U"], check=True, capture_output=True)
raw, k = open("payload.raw", "rb").read(), open(sys.argv[2], "rb").read()
assert k[len(k) // 2:len(k) // 2 + 4096] in raw, "the kernel's bytes are not in the payload"
assert sys.argv[3].encode() in raw, "no command line in the payload"
EOP
check "the stages are untouched" sh -c "for n in bootblock fallback/romstage fallback/ramstage; do
	cbfstool base.rom extract -n \$n -f x1 -U >/dev/null && cbfstool a.rom extract -n \$n -f x2 -U >/dev/null &&
	cmp -s x1 x2 || exit 1; done"
want=$(replay a.rom)
got=$(predicted a.rom)
if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "predict's PCR 2 = the replay of FMAP + five CBFS files ($got)"
else ko "predict's PCR 2 '$got' != replay '$want' ($(cat "$work/predict.err"))"; fi
"$v" predict "$build" --firmware coreboot --rom a.rom --append "$append" >policy.json 2>/dev/null
check "predict lists the six PCR 2 events, FMAP first" python3 -c '
import hashlib, json, sys
p = json.load(open("policy.json"))
ev = [r["digest"] for r in p["firmware_events"]["2"]]
assert len(ev) == 6, ev
assert ev[0] == hashlib.sha256(open("fmap.bin", "rb").read()).hexdigest(), ev[0]
assert ev[5] == hashlib.sha256(open("fallback_payload.raw", "rb").read()).hexdigest(), ev[5]'
# coreboot's TPM log as the agent finds it in CBMEM (a TCG log in a fixed table,
# unused entries zero), for this ROM; policy test trims and replays it.
python3 - policy.json <<'EOP'
import hashlib, json, struct, sys
p = json.load(open(sys.argv[1]))
pol = {k: p[k] for k in ("airlock_policy", "hash_alg", "firmware_events", "pcrs")}
json.dump(pol, open("pcr2.policy", "w"))
def log(events, max_entries, banks=((11, 32),)):
    spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(banks))
    spec += b"".join(struct.pack("<HH", a, n) for a, n in banks) + b"\0"
    out = struct.pack("<II20sI", 0, 3, bytes(20), len(spec)) + spec
    for pcr, name, digests in events:
        out += struct.pack("<III", pcr, 5, len(digests))
        out += b"".join(struct.pack("<H", a) + d for a, d in digests)
        data = name.encode().ljust(50, b"\0")
        out += struct.pack("<I", len(data)) + data
    return out + bytes((max_entries - len(events)) * (12 + 2 + 32 + 4 + 50))
names = ["FMAP: FMAP", "CBFS: bootblock", "CBFS: fallback/romstage", "CBFS: fallback/postcar",
         "CBFS: fallback/ramstage", "CBFS: fallback/payload"]
ev = [(2, n, [(11, bytes.fromhex(r["digest"]))]) for n, r in zip(names, p["firmware_events"]["2"])]
open("cbmem-tpm2.log", "wb").write(log(ev, 50))
bad = list(ev)
bad[5] = (2, names[5], [(11, hashlib.sha256(b"another payload").digest())])
open("cbmem-other.log", "wb").write(log(bad, 50))
sha = hashlib.sha256(b"x").digest()
open("runtime.log", "wb").write(log([(8, "x", [(11, sha)])], 1)[:-100])
EOP
check "policy test: coreboot's padded TPM log meets the predicted PCR 2" \
	"$v" policy test pcr2.policy --runtime-log runtime.log --firmware-log cbmem-tpm2.log
"$v" policy test pcr2.policy --runtime-log runtime.log --firmware-log cbmem-other.log >pt.out 2>&1
pt_rc=$?
check "policy test: another payload in the log fails on PCR 2 (exit 3)" sh -c \
	"test $pt_rc = 3 && grep -q 'PCR 2' pt.out"
# CBFS verification is read from the ROM (the bootblock's metadata hash anchor),
# never taken on faith from an option.
anchor=1 mkbase vbase.rom 0x800000 >/dev/null 2>&1
"$rom_tool" vbase.rom "$kernel" "$cmdline" v.rom >/dev/null 2>&1
want=$(replay v.rom verification)
got=$(predicted v.rom)
if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "CBFS verification detected in the ROM: bootblock and romstage are not measured"
else ko "CBFS verification: predict '$got' != replay '$want' ($(cat "$work/predict.err"))"; fi
got=$(predicted v.rom --cbfs-verification on)
[ -n "$want" ] && [ "$want" = "$got" ] && ok "--cbfs-verification on agrees with such a ROM" ||
	ko "--cbfs-verification on: '$got' != '$want'"
predicted v.rom --cbfs-verification off >/dev/null
check "--cbfs-verification off is refused for a ROM with the anchor" \
	grep -q "cbfs-verification off, but the ROM carries coreboot's metadata hash anchor" predict.err
predicted a.rom --cbfs-verification on >/dev/null
check "--cbfs-verification on is refused for a ROM without it" \
	grep -q "cbfs-verification on, but the ROM does not carry coreboot's metadata hash anchor" predict.err
check "another command line changes PCR 2 (it is in the payload)" sh -c \
	"'$rom_tool' base.rom '$kernel' '$cmdline airlock.shell=1' c.rom && test \"\$(cat <<X
$(predicted a.rom)
X
)\" != \"\$('$v' predict '$build' --firmware coreboot --rom c.rom --append '$append airlock.shell=1' |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pcrs\"][\"2\"][0])')\""
mkdir -p board
cp "$build/board.config" board/
sed 's/^firmware: .*/firmware: coreboot/' "$build/buildinfo" >board/buildinfo
cp a.rom board/airlock.rom
check "predict BUILD_DIR finds BUILD_DIR/airlock.rom on a coreboot board" sh -c \
	"'$v' predict board --append '$append' | grep -q '\"2\"'"
rm board/airlock.rom
"$v" predict board --append "$append" >/dev/null 2>predict.err
check "no ROM: predict says how to make one" grep -q "no ROM at board/airlock.rom.*COREBOOT_ROM" predict.err
echo "coreboot-measured: bootblock fallback/ramstage" >>board/buildinfo
cp a.rom board/airlock.rom
check "buildinfo's coreboot-measured list is what predict measures" sh -c \
	"test \$('$v' predict board --append '$append' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"firmware_events\"][\"2\"]))') = 3"

# --- bad input: a reason, and nothing written ---
refused() { # DESCRIPTION EXPECTED-TEXT BASE [KERNEL]
	rm -f out.rom out.rom.*
	if "$rom_tool" "$3" "${4:-$kernel}" "$cmdline" out.rom 2>err.txt; then
		ko "$1: accepted"
	elif ! grep -q "$2" err.txt; then
		ko "$1: message '$(cat err.txt)' lacks '$2'"
	elif [ -e out.rom ] || ls out.rom.* >/dev/null 2>&1; then
		ko "$1: something was written"
	else
		ok "$1: $(cut -c1-110 err.txt)"
	fi
}
head -c 1048576 /dev/urandom >random.rom
refused "random bytes" "has no FMAP" random.rom
cbfstool legacy.rom create -m x86 -s 1048576 >/dev/null 2>&1
refused "legacy CBFS without an FMAP" "has no FMAP" legacy.rom
# fmaptool insists on a COREBOOT area: rename it in the image's FMAP afterwards.
mkbase other.rom 0x800000 >/dev/null 2>&1 && python3 -c '
import sys
b = bytearray(open("other.rom", "rb").read())
i = b.index(b"COREBOOT\0", 0, 0x200)
b[i:i + 10] = b"FW_MAIN_A\0"
open("other.rom", "wb").write(b)'
refused "FMAP without a COREBOOT area" "no COREBOOT CBFS area" other.rom
mkbase nopayload.rom 0x800000 COREBOOT no-payload >/dev/null 2>&1
refused "no fallback/payload to replace" "no fallback/payload" nopayload.rom
mkbase small.rom 0x400000 >/dev/null 2>&1
refused "kernel larger than the CBFS (both sizes named)" "($(stat -c %s "$kernel") bytes) does not fit.*largest free space in the COREBOOT CBFS is [0-9]* bytes" small.rom
refused "missing base ROM" "no such file" nonexistent.rom
refused "missing kernel" "no such file" base.rom nonexistent-bzImage
"$v" predict "$build" --firmware coreboot --rom random.rom --append "$append" >/dev/null 2>predict.err
check "predict: random bytes are not a ROM" grep -q "no FMAP in the [0-9]*-byte image" predict.err
# A truncated ROM: its FMAP's areas now run past the end, and a stage carries
# the string "__FMAP__" (real ones do) with another version after it. The
# reason given is the real flash map's, not the last string's.
mkbase trunc-src.rom 0x800000 >/dev/null 2>&1
{ printf '__FMAP__\000\106'; head -c 4000 /dev/zero; } >fake-fmap.bin
cbfstool trunc-src.rom add -r COREBOOT -f fake-fmap.bin -n fake -t raw >/dev/null 2>&1
head -c $((0x600000)) trunc-src.rom >trunc6m.rom
"$v" predict "$build" --firmware coreboot --rom trunc6m.rom --append "$append" >/dev/null 2>predict.err
check "predict: a truncated ROM is named by its real FMAP, not a stage's \"__FMAP__\"" \
	grep -q 'of 2 "__FMAP__" signatures, the most complete one (at offset 0x0) fails: area "[A-Z]*" .* lies outside the 6291456-byte image' predict.err
check "predict: the truncated ROM's reason is not the stage string's version" \
	sh -c '! grep -q "only 1.x is known" predict.err'
cbfstool nopayload.rom print >/dev/null
"$v" predict "$build" --firmware coreboot --rom nopayload.rom --append "$append" >/dev/null 2>predict.err
check "predict: a measured file missing from the CBFS is named" grep -q 'no file "fallback/payload"' predict.err
# The node's command line is /init's to judge, before any ROM is written; an
# earlier OUT never survives a refused run.
node_line="console=ttyS0,115200 panic=10 memtest=1"
cp a.rom stale.rom
if "$rom_tool" --check "$cmdline_check" "$node_line" base.rom "$kernel" "" stale.rom 2>err.txt; then
	ko "a ROM without airlock.registrar: accepted"
else
	check "a ROM without airlock.registrar is refused, /init's reason named" \
		grep -q "not writing stale.rom: .*/init would refuse this command line: airlock.registrar=: required key missing.*COREBOOT_CMDLINE" err.txt
	check "the refused run removed the earlier ROM and left no temporary file" \
		sh -c '! ls stale.rom stale.rom.* 2>/dev/null'
fi
"$rom_tool" --check "$cmdline_check" "$node_line airlock.registrar=192.0.2.1:8890 airlock.oops=1" \
	base.rom "$kernel" "airlock.registrar=192.0.2.1:8890 airlock.oops=1" bad.rom 2>err.txt
check "an unknown airlock key is refused by name" grep -q "airlock.oops=1: unknown airlock key" err.txt
check "a good line with --check gives the same bytes as without" sh -c \
	"'$rom_tool' --check '$cmdline_check' '$node_line $cmdline' base.rom '$kernel' '$cmdline' c.rom && cmp a.rom c.rom"
# make passes the board's built-in line and COREBOOT_CMDLINE, joined as the
# kernel joins them, and removes the old ROM and its hashes first (-n: the
# recipe only; -o: whether the kernel is built does not matter here).
o=$(dirname "$build")
make -n -C "$here" O="$o" -o "$o/qemu-coreboot/bzImage" -o "$o/host/cmdline-check" BOARD=qemu-coreboot COREBOOT_ROM="$work/base.rom" COREBOOT_CMDLINE= \
	"$o/qemu-coreboot/airlock.rom" >make-n.txt 2>&1
check "make: the ROM's recipe checks the node's line first" \
	grep -q -- "coreboot-rom --check .*cmdline-check 'console=ttyS0,115200 panic=10 memtest=1' " make-n.txt
check "make: the ROM's recipe removes the old ROM and rom-hashes.txt first" \
	grep -q "rm -f .*qemu-coreboot/airlock.rom .*qemu-coreboot/rom-hashes.txt" make-n.txt
make -n -C "$here" O="$o" -o "$o/qemu-coreboot/bzImage" -o "$o/host/cmdline-check" BOARD=qemu-coreboot COREBOOT_ROM="$work/base.rom" \
	COREBOOT_CMDLINE="airlock.registrar=192.0.2.1:8890" "$o/qemu-coreboot/airlock.rom" >make-n.txt 2>&1
check "make: COREBOOT_CMDLINE follows the built-in line" \
	grep -q -- "cmdline-check 'console=ttyS0,115200 panic=10 memtest=1 airlock.registrar=192.0.2.1:8890' " make-n.txt
# Real flash layouts. stages ROM REGION: stand-in stages and a payload in REGION.
stages() {
	for f in bootblock:bootblock:2048 fallback/romstage:stage:30000 \
		fallback/postcar:stage:10000 fallback/ramstage:stage:60000 fallback/payload:"simple elf":4096; do
		n=${f%%:*} rest=${f#*:}
		head -c "${rest##*:}" /dev/urandom >"$work/part"
		cbfstool "$1" add -r "$2" -f "$work/part" -n "$n" -t "${rest%:*}" >/dev/null || return 1
	done
}
# An Intel-descriptor image of SIZE (32 or 64 MiB): descriptor (IFD v2, as
# Lewisburg servers have), an ME region of a fixed pattern, and the BIOS region
# (the upper half) with the FMAP and the COREBOOT CBFS; the FMAP names the
# descriptor's regions, so `ifdtool -t` can compare the two.
mkifd() { # OUT SIZE
	_half=$(($2 / 2))
	printf 'FLASH@0x%x 0x%x {\n\tSI_ALL@0 0x%x {\n\t\tSI_DESC@0 0x1000\n\t\tSI_ME@0x1000 0x%x\n\t}\n\tSI_BIOS@0x%x 0x%x {\n\t\tFMAP@0 0x200\n\t\tCOREBOOT(CBFS)@0x200 0x%x\n\t}\n}\n' \
		$((0x100000000 - $2)) "$2" "$_half" $((_half - 0x1000)) "$_half" "$_half" $((_half - 0x200)) >"$1.fmd"
	fmaptool "$1.fmd" "$1.fmap" >/dev/null && cbfstool "$1" create -M "$1.fmap" -r COREBOOT >/dev/null &&
	python3 - "$1" "$2" <<'EOP' && stages "$1" COREBOOT
import struct, sys
path, size = sys.argv[1], int(sys.argv[2])
half = size // 2
ifd = bytearray(b"\xff" * 0x1000)
struct.pack_into("<IIII", ifd, 0x10, 0x0FF0A55A, 3 | 4 << 16 | 4 << 24, 6 | 1 << 8 | 0x10 << 16 | 1 << 24,
                 0x20 | 1 << 8)
struct.pack_into("<I", ifd, 0x30, (7 if size > 32 << 20 else 6) | 6 << 17)
for i, (base, limit) in enumerate([(0, 0), (half >> 12, (size - 1) >> 12), (1, (half - 1) >> 12),
                                   (0x7fff, 0), (0x7fff, 0)]):
    struct.pack_into("<I", ifd, 0x40 + 4 * i, limit << 16 | base)
me = bytes(range(256)) * ((half - 0x1000) // 256)
with open(path, "r+b") as f:
    f.write(ifd)
    f.write(me)
EOP
}
for mib in 32 64; do
	size=$((mib << 20))
	if ! mkifd ifd$mib.rom $size >ifd.log 2>&1; then ko "descriptor image ($mib MiB): $(tail -2 ifd.log)"; continue; fi
	check "descriptor image ($mib MiB): ifdtool reads the regions the FMAP names" sh -c \
		"ifdtool -p lbg -t ifd$mib.rom 2>&1 | grep -qv mismatch && ! ifdtool -p lbg -t ifd$mib.rom 2>&1 | grep -q mismatch"
	check "descriptor image ($mib MiB): the payload in the BIOS region's COREBOOT is replaced" \
		"$rom_tool" ifd$mib.rom "$kernel" "$cmdline" ifd$mib-out.rom
	check "descriptor image ($mib MiB): descriptor and ME region unchanged" sh -c \
		"cmp -n $((size / 2)) ifd$mib.rom ifd$mib-out.rom"
	want=$(replay ifd$mib-out.rom)
	got=$(predicted ifd$mib-out.rom)
	[ -n "$want" ] && [ "$want" = "$got" ] && ok "descriptor image ($mib MiB): predict's PCR 2 equals the replay" ||
		ko "descriptor image ($mib MiB): predict '$got' != replay '$want' ($(cat predict.err))"
done
"$rom_tool" --describe ifd32-out.rom >describe.txt 2>&1
check "describe: one payload region, no CBFS verification, no vboot" sh -c \
	"grep -qx 'payload-regions: COREBOOT' describe.txt && grep -qx 'cbfs-verification: off' describe.txt &&
	 grep -qx 'vboot-rw-slots: none' describe.txt"

# A vboot layout (32 MiB): RW slots A and B, each a VBLOCK and a FW_MAIN CBFS with its own
# payload, beside the read-only COREBOOT. Every payload is replaced, or a verified
# boot would run the old one from its slot.
mkvboot() { # OUT
	printf 'FLASH@0xfe000000 0x2000000 {\n\tSI_BIOS@0 0x2000000 {\n\t\tRW_SECTION_A@0 0x800000 {\n\t\t\tVBLOCK_A@0 0x10000\n\t\t\tFW_MAIN_A(CBFS)@0x10000 0x7f0000\n\t\t}\n\t\tRW_SECTION_B@0x800000 0x800000 {\n\t\t\tVBLOCK_B@0 0x10000\n\t\t\tFW_MAIN_B(CBFS)@0x10000 0x7f0000\n\t\t}\n\t\tWP_RO@0x1000000 0x1000000 {\n\t\t\tFMAP@0 0x800\n\t\t\tCOREBOOT(CBFS)@0x800 0xfff800\n\t\t}\n\t}\n}\n' >"$1.fmd"
	fmaptool "$1.fmd" "$1.fmap" >/dev/null && cbfstool "$1" create -M "$1.fmap" -r COREBOOT,FW_MAIN_A,FW_MAIN_B >/dev/null &&
	stages "$1" COREBOOT && stages "$1" FW_MAIN_A && stages "$1" FW_MAIN_B
}
payload_is_kernel() { # ROM REGION
	cbfstool "$1" extract -r "$2" -n fallback/payload -f "$work/pl.raw" -U >/dev/null 2>&1 &&
	python3 -c 'import sys; k = open(sys.argv[2], "rb").read(); sys.exit(k[len(k) // 2:len(k) // 2 + 4096] not in open(sys.argv[1], "rb").read())' "$work/pl.raw" "$kernel"
}
if mkvboot vb.rom >vb.log 2>&1; then
	check "vboot layout, RW slots unsigned: the ROM is written" "$rom_tool" vb.rom "$kernel" "$cmdline" vb-out.rom
	for r in COREBOOT FW_MAIN_A FW_MAIN_B; do
		payload_is_kernel vb-out.rom $r && ok "vboot: $r's payload is the runtime kernel" || ko "vboot: $r still has another payload"
	done
	"$rom_tool" --describe vb-out.rom >describe.txt 2>&1
	check "describe: all three payload regions, both RW slots unsigned" sh -c \
		"grep -qx 'payload-regions: FW_MAIN_A FW_MAIN_B COREBOOT' describe.txt &&
		 grep -qx 'vboot-rw-slots: FW_MAIN_A:unsigned FW_MAIN_B:unsigned' describe.txt"
	# Signed slot A: refused, nothing written; with --vboot resign, written and flagged.
	printf 'CHROMEOS' >keyblock.bin && cp vb.rom vbs.rom &&
		cbfstool vbs.rom write -r VBLOCK_A -f keyblock.bin -u >/dev/null 2>&1
	if "$rom_tool" vbs.rom "$kernel" "$cmdline" vbs-out.rom 2>err.txt; then
		ko "vboot: a signed RW slot was replaced without being told"
	else
		check "vboot: a signed RW slot is refused, slot and re-signing named" \
			grep -q "RW slot FW_MAIN_A is signed (VBLOCK_A holds a vboot keyblock).*COREBOOT_VBOOT=resign" err.txt
		check "vboot: nothing written when refused" sh -c '! ls vbs-out.rom* 2>/dev/null'
	fi
	check "vboot --vboot resign: written" sh -c \
		"'$rom_tool' --vboot resign vbs.rom '$kernel' '$cmdline' vbs-out.rom 2>err.txt"
	check "vboot --vboot resign: the stale signature is said loudly" grep -q "RE-SIGN BEFORE FLASHING: the RW slot(s) FW_MAIN_A" err.txt
	"$rom_tool" --describe vbs-out.rom >describe.txt 2>&1
	check "describe: the signed slot is recorded as needing re-signing" \
		grep -qx 'vboot-rw-slots: FW_MAIN_A:signed-by-base-rom(re-sign) FW_MAIN_B:unsigned' describe.txt
else
	ko "vboot layout: $(tail -2 vb.log)"
fi
# reproducible/flash-rom against flashrom's emulated chip: it writes the BIOS
# region of a descriptor image (the ME's own region stays as the chip has it),
# reads it back and compares with rom-hashes.txt; a changed byte on the chip is
# found and placed, and a ROM that is not the one rom-hashes.txt names is refused.
flash_tool=$here/reproducible/flash-rom
mkbuild() { # DIR ROM: a build directory as make leaves it
	mkdir -p "$1" && cp "$2" "$1/airlock.rom" &&
	{ (cd "$1" && sha256sum airlock.rom); echo "0000  base ROM (COREBOOT_ROM)"; echo "command line: $cmdline"
	  "$rom_tool" --describe "$1/airlock.rom"; } >"$1/rom-hashes.txt"
}
dummy() { echo "dummy:emulate=VARIABLE_SIZE,size=$(stat -c %s "$1"),image=$work/$1"; }
if command -v flashrom >/dev/null && [ -f ifd32-out.rom ]; then
	mkbuild bd32 ifd32-out.rom
	check "rom-hashes.txt records the descriptor image's BIOS region" grep -q "^bios-region: 16777216 16777216 [0-9a-f]*$" bd32/rom-hashes.txt
	cp ifd32.rom chip32.bin
	printf 'ME data' | dd of=chip32.bin bs=1 seek=8192 conv=notrunc 2>/dev/null
	check "flash-rom --write: the chip holds the ROM's BIOS region" sh -c \
		"'$flash_tool' -p '$(dummy chip32.bin)' --write bd32 >flash.out 2>&1 && grep -q 'MATCH: the chip holds airlock.rom.s its SI_BIOS region' flash.out"
	check "flash-rom --write: the old BIOS region was saved first" sh -c "cmp -i 16777216 bd32/backup-*.rom ifd32.rom"
	check "flash-rom: the descriptor and the ME's region on the chip are untouched" sh -c \
		"cmp -n 8192 chip32.bin ifd32.rom && dd if=chip32.bin bs=1 skip=8192 count=7 2>/dev/null | grep -q 'ME data'"
	check "flash-rom: the chip's BIOS region is the ROM's" sh -c \
		"cmp -i 16777216 chip32.bin ifd32-out.rom"
	# Flip every bit of one byte: whatever the byte was, the chip now differs there.
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2]))
f.write(bytes([b[0] ^ 0xff]))' chip32.bin $((16777216 + 4096))
	"$flash_tool" -p "$(dummy chip32.bin)" bd32 >flash.out 2>&1
	rc=$?
	check "flash-rom: a changed byte on the chip is a MISMATCH at its offset (exit 1)" sh -c \
		"test $rc = 1 && grep -q 'MISMATCH: .*first differing byte at offset 16781312 of the chip' flash.out || { echo exit $rc; cat flash.out; false; }"
	mkbuild bd8 a.rom && cp base.rom chip8.bin
	check "flash-rom --write: a ROM without a descriptor is written and compared whole" sh -c \
		"'$flash_tool' -p '$(dummy chip8.bin)' --write bd8 >flash.out 2>&1 && grep -q 'MATCH: .*the whole chip' flash.out && cmp chip8.bin a.rom"
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(4096); b = f.read(1); f.seek(4096); f.write(bytes([b[0] ^ 0xff]))' \
		bd8/airlock.rom
	check "flash-rom: a ROM that is not the one rom-hashes.txt names is refused before the chip is touched" \
		sh -c "! '$flash_tool' -p '$(dummy chip8.bin)' --write bd8 >flash.out 2>&1 && grep -q 'is not the ROM .*rom-hashes.txt describes' flash.out && cmp chip8.bin a.rom"
else
	ko "flashrom missing (Debian package flashrom) or no descriptor image: flash-rom not tested"
fi
"$rom_tool" --describe v.rom >describe.txt 2>&1
check "describe: CBFS verification read from the bootblock's anchor" grep -q '^cbfs-verification: on' describe.txt
head -c 300000 a.rom >trunc.rom
"$v" predict "$build" --firmware coreboot --rom trunc.rom --append "$append" >/dev/null 2>predict.err
check "predict: a truncated ROM is refused with a reason" grep -q "FMAP\|cbfs\|CBFS" predict.err
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

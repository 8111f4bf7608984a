#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test_mkcpio.sh [MKCPIO]: checks src/tools/mkcpio against independent oracles:
#   - GNU cpio (listing with -itvn, extraction with -i),
#   - coreutils/diffutils for contents, modes, order (LC_ALL=C sort) and byte identity (cmp),
#   - a newc layout checker below that applies the kernel's unpacker rules (init/initramfs.c):
#     110-byte header, 13 fields of 8 hex digits, namesize counting the NUL, header+name and
#     data each padded to 4, TRAILER!!!, zeros only after it; plus gen_init_cpio's 512-byte
#     archive padding.  The checker is itself tested on a GNU cpio archive and on a corrupted one.
# Without MKCPIO it compiles src/tools/mkcpio.c into a temporary directory.
# Last line: "N passed, N failed"; exit status non-zero if anything failed.

set -u
export LC_ALL=C TZ=UTC
unset SOURCE_DATE_EPOCH

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/test_mkcpio.XXXXXX") || exit 1
# Staging trees contain 0555 and very long paths; make them removable first.
SHM=
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T" ${SHM:+"$SHM"}' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; shift; [ $# -gt 0 ] && printf '     %s\n' "$@"; }
finish() {
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
	exit $?
}
# check NAME CMD...: the command's exit status decides.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
# same NAME FILE_EXPECTED FILE_ACTUAL: diff decides, and is shown on failure.
same() {
	if diff -u "$2" "$3" >"$T/diff.out" 2>&1; then pass "$1"
	else fail "$1" "$(head -n 40 "$T/diff.out")"; fi
}

if [ $# -ge 1 ]; then
	MK=$1
	case $MK in /*) ;; *) MK=$PWD/$MK ;; esac
else
	MK=$T/mkcpio
	if ! ${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -fstack-protector-strong \
		-D_FORTIFY_SOURCE=2 "$top/src/tools/mkcpio.c" -o "$MK" 2>"$T/cc.err"; then
		fail "compile mkcpio" "$(cat "$T/cc.err")"
		finish
	fi
fi
if [ ! -x "$MK" ]; then fail "mkcpio binary at $MK"; finish; fi
command -v cpio >/dev/null || { fail "GNU cpio is required"; finish; }

# ---------------------------------------------------------------- newc layout checker
# newc_dump FILE: one line per entry,
#   ino mode(octal) uid gid nlink mtime filesize devmaj devmin rmaj rmin namesize check name
#   target(symlinks) offset
# tab separated; "BAD ..." lines for any layout violation; last line
# "END size trailer_end headers_with_lowercase_hex".
newc_dump() {
	od -An -v -tx1 "$1" | awk '
	function hexval(s,   i, c, v) {
		v = 0
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", tolower(substr(s, i, 1)))
			if (c == 0) return -1
			v = v * 16 + c - 1
		}
		return v
	}
	function bad(msg) { printf "BAD at offset %d: %s\n", p, msg; errs++ }
	BEGIN { for (i = 1; i < 256; i++) chr[sprintf("%02x", i)] = sprintf("%c", i); n = 0 }
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END {
		p = 0; errs = 0; trailer = 0
		while (!trailer && !errs) {
			if (p % 4) { bad("header not 4-aligned"); break }
			if (p + 110 > n) { bad("truncated header or missing TRAILER!!!"); break }
			h = ""
			for (i = 0; i < 110; i++) {
				if (b[p + i] == "00") { bad("NUL byte inside header"); break }
				h = h chr[b[p + i]]
			}
			if (errs) break
			if (substr(h, 1, 6) != "070701") { bad("magic " substr(h, 1, 6)); break }
			for (f = 0; f < 13; f++) {
				s = substr(h, 7 + 8 * f, 8)
				if (length(s) != 8 || s !~ /^[0-9A-Fa-f]+$/) { bad("field " f " is not 8 hex digits: " s); break }
				if (s ~ /[a-f]/) lower++
				v[f] = hexval(s)
			}
			if (errs) break
			ns = v[11]; fs = v[6]
			if (ns < 1) { bad("namesize 0"); break }
			if (p + 110 + ns > n) { bad("name runs past end"); break }
			name = ""
			for (i = 0; i < ns - 1; i++) {
				if (b[p + 110 + i] == "00") { bad("NUL inside name (namesize must be strlen+1)"); break }
				name = name chr[b[p + 110 + i]]
			}
			if (errs) break
			if (b[p + 110 + ns - 1] != "00") { bad("name " name " not NUL-terminated at namesize"); break }
			q = p + 110 + ns
			while (q % 4) { if (b[q] != "00") bad("non-zero name padding"); q++ }
			if (q + fs > n) { bad("data runs past end"); break }
			tgt = ""
			if (int(v[1] / 4096) == 10) {
				for (i = 0; i < fs; i++) {
					if (b[q + i] == "00") { bad("NUL inside symlink target"); break }
					tgt = tgt chr[b[q + i]]
				}
			}
			q += fs
			while (q % 4) { if (b[q] != "00") bad("non-zero data padding"); q++ }
			printf "%.0f\t%o\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%d\n", \
				v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], name, tgt, p
			if (name == "TRAILER!!!") trailer = 1
			p = q
		}
		if (trailer) {
			for (i = q; i < n; i++) if (b[i] != "00") { bad("non-zero byte after trailer"); break }
			if (n % 512) bad("archive size " n " is not a multiple of 512")
			if (n - q >= 512) bad("more than 511 bytes of final padding")
		}
		printf "END\t%d\t%d\t%d\n", n, q, lower
	}'
}

# The checker must be able to fail: a GNU cpio newc archive passes, a corrupted one does not.
mkdir -p "$T/gnu/d" && printf 'abc' >"$T/gnu/d/f" && ln -s f "$T/gnu/d/l"
(cd "$T/gnu" && find d | cpio -o -H newc --quiet >"$T/gnu.cpio")
newc_dump "$T/gnu.cpio" >"$T/gnu.dump"
check "checker accepts a GNU cpio newc archive" \
	awk -F'\t' '/^BAD/ { exit 1 } $14 == "d/l" && $15 == "f" { ok = 1 } END { exit !ok }' "$T/gnu.dump"
cp "$T/gnu.cpio" "$T/gnu-bad.cpio"
# "d/f" has namesize 4, so header+name end 2 bytes short of alignment: corrupt the first pad.
padoff=$(awk -F'\t' '$14 == "d/f" { print $16 + 110 + $12 }' "$T/gnu.dump")
printf 'X' | dd of="$T/gnu-bad.cpio" bs=1 seek="${padoff:-0}" conv=notrunc 2>/dev/null
check "checker rejects non-zero name padding" grep -q '^BAD.*name padding' <(newc_dump "$T/gnu-bad.cpio")
printf 'g' | dd of="$T/gnu-bad.cpio" bs=1 seek=10 conv=notrunc 2>/dev/null
check "checker rejects a non-hex header field" grep -q '^BAD.*8 hex digits' <(newc_dump "$T/gnu-bad.cpio")

# ---------------------------------------------------------------- (1) content vs GNU cpio
EPOCH=1000000000 # 2001-09-09 01:46:40 UTC: old enough that cpio -tv prints the year
S=$T/stage1
mkdir -p "$S"
(
	set -e
	cd "$S"
	umask 022
	head -c 5003 /dev/urandom >"$T/rand5003"
	head -c 200001 /dev/urandom >"$T/rand200001"
	mkdir a bin data etc usr usr/lib deep deep/1 deep/1/2 deep/1/2/3
	printf 'slash\n' >a/b
	printf 'dash\n' >a-b
	printf 'dot\n' >a.b
	: >aa
	cp "$T/rand5003" bin/busybox
	ln -s busybox bin/sh
	cp "$T/rand200001" data/big # more than one 64 KiB read chunk, size not 4-aligned
	printf 'x' >data/p1
	printf 'xx' >data/p2
	printf 'xxx' >data/p3
	printf 'xxxx' >data/p4
	printf 'xxxxx' >data/p5
	printf 'sp\n' >'data/with space'
	printf '127.0.0.1 localhost\n' >etc/hosts
	ln etc/hosts etc/hosts.hard
	ln -s /proc/mounts etc/mtab # dangling on the build host, must still be archived
	printf 'root:x:0:0:root:/root:/bin/sh\n' >etc/passwd
	printf '#!/bin/sh\nexit 0\n' >etc/suid
	printf 'g\n' >etc/sgid
	ln -s lib usr/lib64
	printf 'deep\n' >deep/1/2/3/file
	chmod 0700 a bin/busybox
	chmod 0640 a/b
	chmod 0750 bin
	chmod 1777 data
	chmod 0666 data/p1
	chmod 2755 etc
	chmod 0600 etc/passwd
	chmod 4755 etc/suid
	chmod 2644 etc/sgid
	touch -d '2015-06-07 08:09:10' bin/busybox etc/passwd
	# Owners must not leak either; as root we can make them non-zero (others already are).
	if [ "$(id -u)" = 0 ]; then chown -hR 12345:23456 bin etc/passwd etc/mtab; fi
) || { fail "build staging tree 1"; finish; }

SPEC1=$T/spec1
printf '%s\n' \
	'# nodes an unprivileged build cannot create' \
	'' \
	'dir /dev 0755 0 0' \
	'nod /dev/console 0600 0 0 c 5 1' \
	'nod	/dev/null	0666	0	0	c	1	3' \
	'nod /dev/sda 0660 0 6 b 8 0' \
	'   # indented comment with more words than any entry has fields: a b c d' \
	'dir /proc 0555 0 0' \
	'dir /root 0700 0 0' \
	'slink /sbin /bin 0777 0 0' \
	'slink /init /bin/busybox 0777 0 0' >"$SPEC1"

OUT1=$T/out1.cpio
if "$MK" -o "$OUT1" -t "$EPOCH" -s "$SPEC1" "$S" 2>"$T/mk1.err"; then
	pass "mkcpio builds tree 1 with spec"
else
	fail "mkcpio builds tree 1 with spec" "$(cat "$T/mk1.err")"
	finish
fi
check "no temp file left after success" test ! -e "$OUT1.tmp"

# Expected listing, written from the rules (not from mkcpio): name perms nlink uid gid size date [target]
D='Sep 9 2001'
exp() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$D" "${7:-}"; }
{
	exp a drwxr-xr-x 2 0 0 0
	exp a-b -rw-r--r-- 1 0 0 5
	exp a.b -rw-r--r-- 1 0 0 4
	exp a/b -rw-r--r-- 1 0 0 6
	exp aa -rw-r--r-- 1 0 0 0
	exp bin drwxr-xr-x 2 0 0 0
	exp bin/busybox -rwxr-xr-x 1 0 0 5003
	exp bin/sh lrwxrwxrwx 1 0 0 7 busybox
	exp data drwxr-xr-x 2 0 0 0
	exp data/big -rw-r--r-- 1 0 0 200001
	exp data/p1 -rw-r--r-- 1 0 0 1
	exp data/p2 -rw-r--r-- 1 0 0 2
	exp data/p3 -rw-r--r-- 1 0 0 3
	exp data/p4 -rw-r--r-- 1 0 0 4
	exp data/p5 -rw-r--r-- 1 0 0 5
	exp 'data/with space' -rw-r--r-- 1 0 0 3
	exp deep drwxr-xr-x 2 0 0 0
	exp deep/1 drwxr-xr-x 2 0 0 0
	exp deep/1/2 drwxr-xr-x 2 0 0 0
	exp deep/1/2/3 drwxr-xr-x 2 0 0 0
	exp deep/1/2/3/file -rw-r--r-- 1 0 0 5
	exp dev drwxr-xr-x 2 0 0 0
	exp dev/console crw------- 1 0 0 5,1
	exp dev/null crw-rw-rw- 1 0 0 1,3
	exp dev/sda brw-rw---- 1 0 6 8,0
	exp etc drwxr-xr-x 2 0 0 0
	exp etc/hosts -rw-r--r-- 1 0 0 20
	exp etc/hosts.hard -rw-r--r-- 1 0 0 20
	exp etc/mtab lrwxrwxrwx 1 0 0 12 /proc/mounts
	exp etc/passwd -rw-r--r-- 1 0 0 30
	exp etc/sgid -rw-r--r-- 1 0 0 2
	exp etc/suid -rwxr-xr-x 1 0 0 17
	exp init lrwxrwxrwx 1 0 0 12 /bin/busybox
	exp proc dr-xr-xr-x 2 0 0 0
	exp root drwx------ 2 0 0 0
	exp sbin lrwxrwxrwx 1 0 0 4 /bin
	exp usr drwxr-xr-x 2 0 0 0
	exp usr/lib drwxr-xr-x 2 0 0 0
	exp usr/lib64 lrwxrwxrwx 1 0 0 3 lib
} | sort >"$T/list.exp" # bytewise sort of "name<TAB>...": the order the archive must have

cpio_list() { # normalise `cpio -itvn` to the layout of exp()
	cpio -itvn --quiet <"$1" | awk '{
		if ($5 ~ /,$/) { sz = $5 $6; k = 7 } else { sz = $5; k = 6 }
		date = $k " " $(k + 1) " " $(k + 2); k += 3
		rest = $k; for (i = k + 1; i <= NF; i++) rest = rest " " $i
		tgt = ""; j = index(rest, " -> ")
		if (j) { tgt = substr(rest, j + 4); rest = substr(rest, 1, j - 1) }
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rest, $1, $2, $3, $4, sz, date, tgt }'
}
cpio_list "$OUT1" >"$T/list.got"
same "cpio -itvn: names, order, types, modes, owners, sizes, devices, mtime, targets" \
	"$T/list.exp" "$T/list.got"

X=$T/extract1
mkdir -p "$X"
(cd "$X" && umask 022 && cpio -idm --quiet --no-absolute-filenames \
	--nonmatching 'dev/console' 'dev/null' 'dev/sda' <"$OUT1") 2>"$T/x1.err"
check "cpio -i extracts the archive" test ! -s "$T/x1.err"
if diff -r --no-dereference -x dev -x proc -x root -x sbin -x init "$S" "$X" >"$T/x1.diff" 2>&1; then
	pass "extracted contents and symlink targets equal the staging tree"
else
	fail "extracted contents and symlink targets equal the staging tree" "$(head -n 20 "$T/x1.diff")"
fi
(cd "$X" && find . -mindepth 1 -printf '%P\t%m\t%y\n' | sort) >"$T/modes.got"
awk -F'\t' '$1 !~ /^dev\// {
	p = $2; t = substr(p, 1, 1); m = 0
	for (i = 2; i <= 10; i++) { m = m * 2 + (substr(p, i, 1) != "-") }
	printf "%s\t%o\t%s\n", $1, m, (t == "-" ? "f" : t) }' "$T/list.exp" | sort >"$T/modes.exp"
same "extracted modes normalised (no setuid/setgid/sticky, 0755/0644/0777)" "$T/modes.exp" "$T/modes.got"
check "extracted file mtimes are EPOCH" \
	test "$(cd "$X" && find . -type f -printf '%Ts\n' | sort -u)" = "$EPOCH"
check "hard links become two separate files" \
	test "$(stat -c '%h' "$X/etc/hosts" "$X/etc/hosts.hard" | sort -u)" = 1 -a \
	"$(stat -c '%i' "$X/etc/hosts")" != "$(stat -c '%i' "$X/etc/hosts.hard")"

newc_dump "$OUT1" >"$T/dump1"
if grep '^BAD' "$T/dump1" >"$T/bad1"; then fail "newc layout (kernel rules)" "$(head "$T/bad1")"
else pass "newc layout (kernel rules)"; fi
grep -v '^END' "$T/dump1" >"$T/entries1"
check "inode numbers are 1..N in archive order, trailer last with ino 0" \
	awk -F'\t' '$14 != "TRAILER!!!" { if ($1 != NR) exit 1; next } { if ($1 != 0 || $5 != 1 || $6 != 0) exit 1; t = 1 } END { exit !t }' "$T/entries1"
check "check field 0 and devmajor/devminor 0 everywhere" \
	awk -F'\t' '$13 != 0 || $8 != 0 || $9 != 0 { exit 1 }' "$T/entries1"
check "all entries carry mtime EPOCH" \
	awk -F'\t' -v e="$EPOCH" '$14 != "TRAILER!!!" && $6 != e { exit 1 }' "$T/entries1"
# Column 2 is the mode in octal digits, so the file type is int($2 / 10000): 4 dir, 10 reg,
# 12 symlink, 2 char, 6 block.
check "nlink is 2 for directories and 1 otherwise" \
	awk -F'\t' '$14 != "TRAILER!!!" && $5 != (int($2 / 10000) == 4 ? 2 : 1) { exit 1 }' "$T/entries1"
check "file types as expected: 13 dirs, 18 files, 5 symlinks, 2 char and 1 block device" \
	test "$(awk -F'\t' '$14 != "TRAILER!!!" { print int($2 / 10000) }' "$T/entries1" | sort -n | uniq -c |
		awk '{ printf "%s:%s ", $2, $1 }')" = "2:2 4:13 6:1 10:18 12:5 "
check "namesize is strlen(name)+1" awk -F'\t' '$12 != length($14) + 1 { exit 1 }' "$T/entries1"
check "symlink filesize is the target length (no NUL)" \
	awk -F'\t' 'int($2 / 10000) == 12 { n++; if ($7 != length($15) || $7 == 0) exit 1 } END { exit n != 5 }' \
	"$T/entries1"
awk -F'\t' '$10 != 0 || $11 != 0 || $14 ~ /^dev\// { print $14, $10, $11 }' "$T/entries1" >"$T/rdev.got"
printf '%s\n' 'dev/console 5 1' 'dev/null 1 3' 'dev/sda 8 0' >"$T/rdev.exp"
same "rdev as given for spec nodes, 0 elsewhere" "$T/rdev.exp" "$T/rdev.got"
awk -F'\t' '$14 != "TRAILER!!!" { print $14 }' "$T/entries1" >"$T/names1"
sort "$T/names1" >"$T/names1.sorted"
same "names in bytewise (LC_ALL=C sort) order" "$T/names1.sorted" "$T/names1"
check "no name has a leading / or ./" bash -c '! grep -qE "^(/|\./)" "$1"' _ "$T/names1"
sz=$(stat -c %s "$OUT1")
check "archive size is a multiple of 512" test $((sz % 512)) -eq 0
check "header hex is upper case like gen_init_cpio" \
	awk -F'\t' '$1 == "END" { ok = ($4 == 0) } END { exit !ok }' "$T/dump1"

# ---------------------------------------------------------------- (2) determinism
head -c 70001 /dev/urandom >"$T/rand70001"
# mk_tree DIR VARIANT: the same logical tree; variant B differs in umask, mtimes, creation
# order, permission bits that normalisation must erase, and hard link versus copy.
mk_tree() (
	set -e
	mkdir -p "$1"
	cd "$1"
	if [ "$2" = A ]; then
		umask 022
		mkdir bin etc lib lib/modules many
		cp "$T/rand70001" bin/busybox
		chmod 0755 bin/busybox
		ln -s busybox bin/sh
		printf 'root:x:0:0::/root:/bin/sh\n' >etc/passwd
		printf 'root:x:0:\n' >etc/group
		printf '127.0.0.1 localhost\n' >etc/hosts
		ln etc/hosts etc/hosts.copy
		head -c 1001 "$T/rand70001" >lib/modules/a.ko
		ln -s lib lib64
		for i in $(seq -w 1 40); do printf '%s\n' "$i" >"many/f$i"; done
		find . -exec touch -h -d '2001-02-03 04:05:06' {} +
	else
		umask 077
		for i in $(seq -w 40 -1 1); do mkdir -p many; printf '%s\n' "$i" >"many/f$i"; done
		ln -s lib lib64
		mkdir -p lib/modules
		head -c 1001 "$T/rand70001" >lib/modules/a.ko
		mkdir etc
		printf '127.0.0.1 localhost\n' >etc/hosts.copy
		printf '127.0.0.1 localhost\n' >etc/hosts
		printf 'root:x:0:\n' >etc/group
		printf 'root:x:0:0::/root:/bin/sh\n' >etc/passwd
		chmod 0604 etc/group
		mkdir bin
		ln -s busybox bin/sh
		cp "$T/rand70001" bin/busybox
		chmod 4710 bin/busybox
		chmod 1700 many
		if [ "$(id -u)" = 0 ]; then chown -hR 4242:4343 .; fi
		find . -exec touch -h -d '2019-12-31 23:59:59' {} +
	fi
)
A=$T/a/root
# On tmpfs readdir returns newest first, unlike ext4's hash order: B's order really differs.
SHM=$(mktemp -d /dev/shm/test_mkcpio.XXXXXX 2>/dev/null) || SHM=
B=${SHM:-$T/b}/somewhere/much/deeper/than/a/root
if ! mk_tree "$A" A || ! mk_tree "$B" B; then fail "build determinism trees"; finish; fi
if [ "$(ls -U "$A/many")" = "$(ls -U "$B/many")" ]; then
	printf 'note: readdir order of the two trees happens to match on this filesystem\n'
fi
SPEC2=$T/spec2
printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n' >"$SPEC2"
"$MK" -o "$T/a.cpio" -t 1234567890 -s "$SPEC2" "$A" 2>"$T/a.err"
rc_a=$?
"$MK" -o "$T/b.cpio" -t 1234567890 -s "$SPEC2" "$B" 2>"$T/b.err"
rc_b=$?
check "both determinism trees archive" test "$rc_a" -eq 0 -a "$rc_b" -eq 0
check "different umask, mtimes, creation order, staging path and link-vs-copy: same bytes" \
	cmp -s "$T/a.cpio" "$T/b.cpio"
(cd "$A" && "$MK" -o "$T/a-dot.cpio" -t 1234567890 -s "$SPEC2" .) 2>/dev/null
check "DIR given as '.' gives the same bytes" cmp -s "$T/a.cpio" "$T/a-dot.cpio"
"$MK" -o "$T/a-slash.cpio" -t 1234567890 -s "$SPEC2" "$A/" 2>/dev/null
check "DIR with a trailing slash gives the same bytes" cmp -s "$T/a.cpio" "$T/a-slash.cpio"
SOURCE_DATE_EPOCH=1234567890 "$MK" -o "$T/a-env.cpio" -s "$SPEC2" "$A" 2>/dev/null
check "SOURCE_DATE_EPOCH is used when -t is absent" cmp -s "$T/a.cpio" "$T/a-env.cpio"
SOURCE_DATE_EPOCH=5 "$MK" -o "$T/a-both.cpio" -t 1234567890 -s "$SPEC2" "$A" 2>/dev/null
check "-t overrides SOURCE_DATE_EPOCH" cmp -s "$T/a.cpio" "$T/a-both.cpio"
"$MK" -o "$T/a-again.cpio" -t 1234567890 -s "$SPEC2" "$A" 2>/dev/null
check "a second run gives the same bytes" cmp -s "$T/a.cpio" "$T/a-again.cpio"

# ---------------------------------------------------------------- (3) EPOCH matters
"$MK" -o "$T/a-later.cpio" -t 1234567891 -s "$SPEC2" "$A" 2>/dev/null
check "a different EPOCH changes the bytes" bash -c '! cmp -s "$1" "$2"' _ "$T/a.cpio" "$T/a-later.cpio"
check "the new EPOCH is in every entry" \
	awk -F'\t' '$1 == "END" { next } $14 != "TRAILER!!!" && $6 != 1234567891 { exit 1 }' \
	<(newc_dump "$T/a-later.cpio")
"$MK" -o "$T/a-zero.cpio" "$A" 2>/dev/null
check "no -t and no SOURCE_DATE_EPOCH: mtime 0" \
	awk -F'\t' '$1 == "END" { next } $6 != 0 { exit 1 }' <(newc_dump "$T/a-zero.cpio")

# ---------------------------------------------------------------- other positive cases
"$MK" -o "$T/empty.cpio" 2>/dev/null
check "no DIR and no spec: trailer only, one 512-byte block" \
	bash -c '[ "$(stat -c %s "$1")" = 512 ] && [ "$(cpio -it --quiet <"$1" | wc -l)" = 0 ]' _ "$T/empty.cpio"
"$MK" -o "$T/speconly.cpio" -s "$SPEC2" 2>/dev/null
check "spec only" test "$(cpio -it --quiet <"$T/speconly.cpio" | tr '\n' ' ')" = "dev dev/console "
printf 'stale' >"$T/stale.cpio.tmp"
"$MK" -o "$T/stale.cpio" "$A" 2>/dev/null
check "a stale OUT.tmp from a killed run is replaced" \
	bash -c '[ ! -e "$1.tmp" ] && cmp -s "$1" "$2"' _ "$T/stale.cpio" "$T/a-zero.cpio"
printf 'dir /dev 0755 0 0' >"$T/spec-noeol" # last line without newline
check "last spec line without newline is used" \
	bash -c '"$1" -o "$2" -s "$3" && [ "$(cpio -it --quiet <"$2")" = dev ]' _ "$MK" "$T/noeol.cpio" "$T/spec-noeol"

# ---------------------------------------------------------------- (4) negative cases
NEG=$T/neg
mkdir -p "$NEG"
NOUT=$NEG/out.cpio
# neg NAME REGEX CMD...: CMD must exit 1, print a matching message, and leave no OUT/OUT.tmp.
neg() {
	local name=$1 re=$2 rc
	shift 2
	rm -f "$NOUT" "$NOUT.tmp"
	"$@" >"$NEG/stdout" 2>"$NEG/stderr"
	rc=$?
	if [ "$rc" -ne 1 ]; then fail "$name" "exit status $rc, want 1" "$(cat "$NEG/stderr")"
	elif [ -e "$NOUT" ] || [ -e "$NOUT.tmp" ]; then fail "$name" "output or temp file left behind"
	elif ! grep -Eq -- "$re" "$NEG/stderr"; then fail "$name" "stderr does not match /$re/:" "$(cat "$NEG/stderr")"
	else pass "$name"; fi
}
# spec_neg NAME REGEX LINE...: the lines follow a comment and a blank line, so the first of
# them is line 3 and the message must say so.
n_spec=0
spec_neg() {
	local name=$1 re=$2 f
	shift 2
	n_spec=$((n_spec + 1))
	f=$NEG/spec$n_spec
	{ printf '# case %s\n\n' "$name"; printf '%s\n' "$@"; } >"$f"
	neg "spec: $name" "^mkcpio: $f:$re" "$MK" -o "$NOUT" -t 1 -s "$f"
}
spec_neg "missing field" "3: missing field" 'dir /dev 0755 0'
spec_neg "missing nod fields" "3: missing field" 'nod /console 0600 0 0 c 5'
spec_neg "too many fields" "3: too many fields" 'dir /dev 0755 0 0 0'
spec_neg "far too many fields" "3: too many fields" 'slink /a b 0777 0 0 x y z w v u'
spec_neg "non-octal mode" "3: mode '0789'" 'dir /dev 0789 0 0'
spec_neg "mode above 07777" "3: mode '17777'" 'dir /dev 17777 0 0'
spec_neg "symbolic mode" "3: mode 'rwx'" 'dir /dev rwx 0 0'
spec_neg "unknown type" "3: unknown entry type 'fifo'" 'fifo /x 0644 0 0'
spec_neg "file type not accepted" "3: type 'file'" 'file /x /etc/passwd 0644 0 0'
spec_neg "relative path" "3: path 'dev' must be absolute" 'dir dev 0755 0 0'
spec_neg "root path" "3: path '/' is the archive root" 'dir / 0755 0 0'
spec_neg "dot-dot component" "3: path '/a/\.\./b'" 'dir /a/../b 0755 0 0'
spec_neg "dot component" "4: path '/a/\./b'" 'dir /a 0755 0 0' 'dir /a/./b 0755 0 0'
spec_neg "trailing slash" "3: path '/dev/' has an empty" 'dir /dev/ 0755 0 0'
spec_neg "double slash" "3: path '//dev'" 'dir //dev 0755 0 0'
spec_neg "negative uid" "3: uid '-1'" 'dir /dev 0755 -1 0'
spec_neg "uid overflow" "3: uid '4294967295'" 'dir /dev 0755 4294967295 0'
spec_neg "hex gid" "3: gid '0x1'" 'dir /dev 0755 0 0x1'
spec_neg "bad device type" "4: device type 'x'" 'dir /dev 0755 0 0' 'nod /dev/x 0600 0 0 x 1 1'
spec_neg "major too large" "4: major '4096'" 'dir /dev 0755 0 0' 'nod /dev/x 0600 0 0 c 4096 1'
spec_neg "minor not a number" "4: minor '1a'" 'dir /dev 0755 0 0' 'nod /dev/x 0600 0 0 c 1 1a'
spec_neg "carriage return" "3: carriage return" $'dir /dev 0755 0 0\r'
spec_neg "missing parent directory" "3: parent of /dev/console" 'nod /dev/console 0600 0 0 c 5 1'
spec_neg "parent is a symlink" "4: parent of /dev/console" 'slink /dev /x 0777 0 0' \
	'nod /dev/console 0600 0 0 c 5 1'
spec_neg "duplicate spec path" "5: /dev already defined on line 3" 'dir /dev 0755 0 0' \
	'dir /proc 0555 0 0' 'dir /dev 0700 0 0'
head -c $((2 * 4096 + 100)) /dev/zero | tr '\0' 'a' >"$NEG/longline"
neg "spec: over-long line" "^mkcpio: $NEG/longline:1: line longer than" "$MK" -o "$NOUT" -s "$NEG/longline"
printf 'dir /dev 0755 0 0\n\0\n' >"$NEG/nul"
neg "spec: NUL byte" "^mkcpio: $NEG/nul:2: NUL byte" "$MK" -o "$NOUT" -s "$NEG/nul"
neg "spec file missing" "^mkcpio: $NEG/nope: .*No such file or directory" \
	"$MK" -o "$NOUT" -s "$NEG/nope"

printf 'dir /etc 0755 0 0\n' >"$NEG/both"
neg "path both in DIR and spec" "^mkcpio: $NEG/both:1: /etc is also in $A" \
	"$MK" -o "$NOUT" -s "$NEG/both" "$A"

F=$T/fifo-tree
mkdir -p "$F/bin" && printf 'x' >"$F/bin/ok" && mkfifo "$F/bin/pipe"
neg "fifo in DIR" "^mkcpio: $F/bin/pipe: not a regular file" "$MK" -o "$NOUT" "$F"
neg "DIR missing" "^mkcpio: $T/nodir: .*No such file or directory" "$MK" -o "$NOUT" "$T/nodir"
neg "DIR is a file" "^mkcpio: $T/spec1: .*Not a directory" "$MK" -o "$NOUT" "$T/spec1"
neg "OUT directory missing" "^mkcpio: $NEG/no/out.cpio.tmp: .*No such file or directory" \
	"$MK" -o "$NEG/no/out.cpio" "$A"

for bad in abc 12x -5 '' ' 5' +5 0x10 4294967296 1e9; do
	neg "-t '$bad' rejected" "^mkcpio: -t: '$(printf '%s' "$bad" | sed 's/[+.]/\\&/g')' is not a decimal" \
		"$MK" -o "$NOUT" -t "$bad" "$A"
done
neg "SOURCE_DATE_EPOCH=abc rejected" "^mkcpio: SOURCE_DATE_EPOCH: 'abc'" \
	env SOURCE_DATE_EPOCH=abc "$MK" -o "$NOUT" "$A"
neg "empty SOURCE_DATE_EPOCH rejected" "^mkcpio: SOURCE_DATE_EPOCH: ''" \
	env SOURCE_DATE_EPOCH= "$MK" -o "$NOUT" "$A"
check "-t 4294967295 (largest newc mtime) accepted" "$MK" -o "$T/maxt.cpio" -t 4294967295 "$A"
neg "missing -o" "usage" "$MK" "$A"
neg "two DIR arguments" "usage" "$MK" -o "$NOUT" "$A" "$B"

# A failed run must not touch an existing OUT.
cp "$T/a.cpio" "$NEG/keep.cpio"
"$MK" -o "$NEG/keep.cpio" -t bad "$A" 2>/dev/null
rc=$?
check "failed run leaves an existing OUT untouched and no temp file" \
	bash -c '[ "$1" -eq 1 ] && cmp -s "$2" "$3" && [ ! -e "$2.tmp" ]' _ "$rc" "$NEG/keep.cpio" "$T/a.cpio"

# An error while writing (here EFBIG from a file size limit) must remove the temp file.
neg "write error removes the temp file" "^mkcpio: $NOUT.tmp: write failed: File too large" \
	bash -c 'trap "" XFSZ; ulimit -f 16 && exec "$@"' _ "$MK" -o "$NOUT" "$A"

# Too big for newc's 32-bit size field (sparse, so this costs nothing).
G=$T/big-tree
mkdir -p "$G" && truncate -s 4294967296 "$G/huge"
neg "file of 4 GiB rejected" "^mkcpio: $G/huge: 4294967296 bytes does not fit" "$MK" -o "$NOUT" "$G"

if [ "$(id -u)" != 0 ]; then
	U=$T/unreadable
	mkdir -p "$U" && printf 'x' >"$U/secret" && chmod 000 "$U/secret"
	neg "unreadable file" "^mkcpio: $U/secret: cannot open: Permission denied" "$MK" -o "$NOUT" "$U"
else
	printf 'SKIP unreadable file (running as root)\n'
fi

# ---------------------------------------------------------------- bounds
# Paths: 15 directories of 255 bytes ("d...d/" = 256 each) are 3840 bytes; a 255-byte file
# name gives a 4095-byte path (namesize 4096 = PATH_MAX, accepted); "x/" plus 254 gives 4096.
L=$T/long
mkdir -p "$L/ok" "$L/bad"
seg=$(printf '%0255d' 0 | tr 0 d)
f255=$(printf '%0255d' 0 | tr 0 f)
f254=${f255:1}
mk_long() (
	set -e
	cd "$1"
	for _ in $(seq 15); do mkdir "$seg"; cd "$seg"; done
	if [ "$2" = ok ]; then : >"$f255"; else mkdir x; : >"x/$f254"; fi
)
if mk_long "$L/ok" ok 2>/dev/null && mk_long "$L/bad" bad 2>/dev/null; then
	if "$MK" -o "$T/long.cpio" "$L/ok" 2>"$T/long.err"; then
		len=$(cpio -it --quiet <"$T/long.cpio" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
		check "4095-byte path archived (cpio -it reads it back)" test "$len" = 4095
	else
		fail "4095-byte path archived" "$(cat "$T/long.err")"
	fi
	neg "4096-byte path rejected" "path longer than 4095 bytes" "$MK" -o "$NOUT" "$L/bad"
else
	fail "could not build the long-path trees"
fi

# Entries: 65536 allowed, 65537 not.
E=$T/many
mkdir -p "$E"
(cd "$E" && seq -w 1 65536 | xargs touch)
if "$MK" -o "$T/many.cpio" "$E" 2>"$T/many.err"; then
	check "65536 entries allowed" test "$(cpio -it --quiet <"$T/many.cpio" | wc -l)" = 65536
else
	fail "65536 entries allowed" "$(cat "$T/many.err")"
fi
: >"$E/extra"
neg "65537 entries rejected" "more than 65536 entries" "$MK" -o "$NOUT" "$E"
printf 'dir /dev 0755 0 0\n' >"$NEG/one"
rm -f "$E/extra"
neg "65536 from DIR plus one from spec rejected" "more than 65536 entries" \
	"$MK" -o "$NOUT" -s "$NEG/one" "$E"

finish

#!/bin/sh
# tenant/initramfs-tools/scripts/local-top/airlock on the host, each case in a
# scratch handoff directory with initramfs-tools' panic and log functions and
# cryptsetup replaced by recorders: a good handoff opens the volume with the
# delivered key, wipes the key files, keeps IPsec material and logs; every
# malformed or missing piece stops with panic and an "airlock:" reason, keys
# wiped all the same. (The boot test runs it for real in Debian's initramfs.)
#   test_tenant_hook.sh
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
script=$here/tenant/initramfs-tools/scripts/local-top/airlock
work=$(mktemp -d)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
trap 'rm -rf "$work"' EXIT
# A block device the "volume" can name: any loop device node will do.
blk=$(for d in /dev/loop0 /dev/loop1 /dev/sda /dev/vda; do [ -b "$d" ] && echo "$d" && break; done)
[ -n "$blk" ] || { echo "FAIL no block device node to stand for a volume"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$work/bin"
cat >"$work/functions" <<'EOF2'
panic() { echo "PANIC: $*"; exit 1; }
log_begin_msg() { echo "Begin: $*"; }
log_end_msg() { echo "done."; }
EOF2
cat >"$work/bin/cryptsetup" <<'EOF2'
#!/bin/sh
# Records its arguments and the key it was given; "bad" keys do not open.
echo "$*" >>"$CRYPT_LOG"
key=$3
cat "$key" >>"$CRYPT_LOG"; echo >>"$CRYPT_LOG"
! grep -q bad "$key"
EOF2
chmod +x "$work/bin/cryptsetup"

# run CASE [ROOT]: a fresh handoff in $h (filled by the caller), the script's output in $out.
setup() {
	c=$work/$1
	h=$c/airlock
	mkdir -p "$h/luks" "$h/ipsec"
	echo 1 >"$h/VERSION"
	printf 'data %s\n' "$blk" >"$h/luks/volumes"
	printf 'secret-key-1' >"$h/luks/data.key"
	echo 'connections { }' >"$h/ipsec/swanctl.conf"
	echo log >"$h/eventlog"
	echo "console=ttyS0 root=/dev/mapper/data" >"$c/cmdline"
}
run() {
	out=$(cd "$c" && PATH="$work/bin:$PATH" CRYPT_LOG="$c/crypt.log" ROOT=${2-/dev/mapper/data} \
		ROOTDELAY=1 AIRLOCK_TEST_FUNCTIONS="$work/functions" AIRLOCK_TEST_HANDOFF="$h" \
		AIRLOCK_TEST_LIB="$here/tenant/common/airlock-open.sh" \
		AIRLOCK_TEST_RUN="$c/run" AIRLOCK_TEST_CMDLINE="$c/cmdline" sh "$script" 2>&1)
	rc=$?
}
refused() { # DESCRIPTION EXPECTED-REASON
	if [ "$rc" -ne 0 ] && echo "$out" | grep -q "^PANIC: airlock: .*$2" &&
		! ls "$h"/luks/*.key >/dev/null 2>&1; then
		ok "$1: $(echo "$out" | grep PANIC | cut -c1-100)"
	else
		ko "$1: rc $rc, output: $out"
	fi
}

setup good && run good
if [ "$rc" -eq 0 ] && grep -qx "open --key-file $h/luks/data.key $blk data" "$c/crypt.log" &&
	grep -qx secret-key-1 "$c/crypt.log"; then ok "good handoff: cryptsetup open with the delivered key file"
else ko "good handoff: rc $rc, $out, $(cat "$c/crypt.log" 2>/dev/null)"; fi
if [ ! -e "$h" ]; then ok "good handoff: /airlock removed, keys with it"; else ko "good handoff: $h still there"; fi
if [ -f "$c/run/ipsec/swanctl.conf" ] && [ -f "$c/run/eventlog" ] && [ "$(stat -c %a "$c/run")" = 700 ]
then ok "good handoff: IPsec material and event log kept in /run/airlock (0700)"
else ko "good handoff: /run/airlock content"; fi

setup off && echo "root=/dev/mapper/data airlock=off" >"$c/cmdline" && rm -rf "$h" && run off
if [ "$rc" -eq 0 ] && [ ! -e "$c/run" ]; then ok "airlock=off: nothing done"; else ko "airlock=off: rc $rc $out"; fi
setup nohandoff && rm -rf "$h" && run nohandoff
refused "no handoff" "no airlock handoff in the initramfs"
setup version && echo 2 >"$h/VERSION" && run version
refused "another layout version" "version '2'"
setup name && printf 'd@ta %s\n' "$blk" >"$h/luks/volumes" && run name
refused "a volume name with other characters" "is not \[A-Za-z0-9._-\]"
setup extra && printf 'data %s more\n' "$blk" >"$h/luks/volumes" && run extra
refused "a line with a third field" "malformed line"
setup nokey && rm "$h/luks/data.key" && printf 'other-key' >"$h/luks/other.key" && run nokey
refused "a volume without its key file (other keys wiped too)" "no key file"
setup nodev && printf 'data /dev/airlock-test-nonexistent\n' >"$h/luks/volumes" && run nodev
refused "a volume that never appears (rootdelay)" "did not appear"
setup badkey && printf 'bad-key' >"$h/luks/data.key" && run badkey
refused "a key that does not open the volume" "does not open with the delivered key"
setup otherroot && run otherroot /dev/mapper/root
refused "a root on LUKS that airlock did not deliver" "root /dev/mapper/root is not among"
setup plainroot && run plainroot /dev/vda1
if [ "$rc" -eq 0 ]; then ok "a root that is not on a mapper device is not our business"; else ko "plain root: $out"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

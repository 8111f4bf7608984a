#!/bin/sh
# reproducible/fetch without a network: a stub apt-get on PATH plays the
# archive. Checks: a good tarball is verified and cached; a cached one is used
# offline; a tarball whose sha256 differs is refused naming the file and both
# hashes, and nothing is left in the cache; a corrupted cached copy is
# replaced; an interrupted download leaves no partial file; fetches started
# together (make -j) take turns instead of failing on apt's lock.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

mkdir -p "$work/bin" "$work/archive"
printf 'good tarball\n' >"$work/archive/pkg_1.0.orig.tar.gz"
good=$(sha256sum "$work/archive/pkg_1.0.orig.tar.gz" | cut -d' ' -f1)
# The stub: "update" succeeds; "source --download-only pkg=ver" copies from
# $ARCHIVE into the current directory (what apt-get does), or fails if
# $STUB_FAIL is set, after writing a partial file.
# With $STUB_LOCK set it also behaves like apt-get's lists lock: a second
# apt-get running at the same time fails instead of waiting.
cat >"$work/bin/apt-get" <<'STUB'
#!/bin/sh
if [ -n "${STUB_LOCK:-}" ]; then
	mkdir "$STUB_LOCK" 2>/dev/null || { echo "E: Could not get lock (stub)" >&2; exit 100; }
	trap 'rmdir "$STUB_LOCK"' EXIT
	sleep 0.5
fi
for a in "$@"; do case $a in update) exit 0 ;; esac; done
[ -n "${STUB_FAIL:-}" ] && { echo partial >pkg_1.0.orig.tar.gz; exit 100; }
cp "$ARCHIVE"/* . && echo "$*" >>"$STUB_LOG"
STUB
chmod +x "$work/bin/apt-get"
export PATH="$work/bin:$PATH" ARCHIVE="$work/archive" STUB_LOG="$work/calls" AIRLOCK_CACHE="$work/cache"

if "$top/reproducible/fetch" pkg 1.0-1 pkg_1.0.orig.tar.gz "$good" 2>"$work/err" &&
	cmp -s "$work/archive/pkg_1.0.orig.tar.gz" "$work/cache/sources/pkg_1.0.orig.tar.gz"; then
	ok "good tarball fetched and cached"
else ko "good tarball: $(cat "$work/err")"; fi
grep -q 'source --download-only pkg=1.0-1' "$work/calls" && ok "asked apt-get source for pkg=1.0-1" ||
	ko "apt-get was not asked for the pinned version: $(cat "$work/calls")"
grep -q 'Dir::Etc::SourceParts=/nonexistent' "$work/calls" && ok "system apt sources not used" ||
	ko "private apt configuration not used"

: >"$work/calls"
"$top/reproducible/fetch" pkg 1.0-1 pkg_1.0.orig.tar.gz "$good" 2>"$work/err" && [ ! -s "$work/calls" ] &&
	ok "cached tarball used offline (apt-get not called)" || ko "cache not used"

rm -rf "$work/cache/sources"
bad=0000000000000000000000000000000000000000000000000000000000000000
if "$top/reproducible/fetch" pkg 1.0-1 pkg_1.0.orig.tar.gz "$bad" 2>"$work/err"; then
	ko "sha256 mismatch accepted"
else
	grep -q "sha256 mismatch for pkg_1.0.orig.tar.gz: expected $bad, got $good" "$work/err" &&
		ok "mismatch names file, expected and actual hash" || ko "mismatch message: $(cat "$work/err")"
	[ ! -e "$work/cache/sources/pkg_1.0.orig.tar.gz" ] && ok "mismatching tarball not cached" ||
		ko "mismatching tarball left in cache"
fi

# Two fetches at once on a fresh cache, as make -j2 starts them.
rm -rf "$work/cache"
printf 'second tarball\n' >"$work/archive/two_2.0.orig.tar.gz"
two=$(sha256sum "$work/archive/two_2.0.orig.tar.gz" | cut -d' ' -f1)
STUB_LOCK="$work/stub-lock" "$top/reproducible/fetch" pkg 1.0-1 pkg_1.0.orig.tar.gz "$good" \
	2>"$work/err1" & p1=$!
STUB_LOCK="$work/stub-lock" "$top/reproducible/fetch" two 2.0-1 two_2.0.orig.tar.gz "$two" \
	2>"$work/err2" & p2=$!
r1=0 r2=0
wait $p1 || r1=$?
wait $p2 || r2=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ -f "$work/cache/sources/pkg_1.0.orig.tar.gz" ] &&
	[ -f "$work/cache/sources/two_2.0.orig.tar.gz" ] && ok "concurrent fetches take turns" ||
	ko "concurrent fetches: $r1 $r2: $(cat "$work/err1" "$work/err2")"
rm -f "$work/archive/two_2.0.orig.tar.gz"

mkdir -p "$work/cache/sources"
echo corrupted >"$work/cache/sources/pkg_1.0.orig.tar.gz"
"$top/reproducible/fetch" pkg 1.0-1 pkg_1.0.orig.tar.gz "$good" 2>"$work/err" &&
	cmp -s "$work/archive/pkg_1.0.orig.tar.gz" "$work/cache/sources/pkg_1.0.orig.tar.gz" &&
	ok "corrupted cached copy replaced" || ko "corrupted cache: $(cat "$work/err")"

rm -rf "$work/cache/sources"
if STUB_FAIL=1 "$top/reproducible/fetch" pkg 1.0-1 pkg_1.0.orig.tar.gz "$good" 2>"$work/err"; then
	ko "failed download reported success"
else
	[ ! -e "$work/cache/sources/pkg_1.0.orig.tar.gz" ] && [ -z "$(ls "$work/cache" | grep fetch.)" ] &&
		ok "interrupted download leaves nothing behind" || ko "partial download left: $(ls -R "$work/cache")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

#!/bin/sh
# One entry point for a fresh Debian 12/13 machine: install the Debian
# packages the build and tests need (reproducible/debian-packages), then run
# make with the given arguments.
#   ./make.sh              build the image (BOARD=qemu-q35)
#   ./make.sh demo         build and boot it end to end in QEMU with swtpm
#   ./make.sh test         everything CI runs
set -eu
cd "$(dirname "$0")"

want=$(sed -n 's/^\(build\|test\): //p' reproducible/debian-packages | tr '\n' ' ')
missing=
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

# Fuzzing needs clang's libFuzzer runtime, packaged per LLVM version.
fuzz_probe() {
	command -v clang >/dev/null || return 1
	d=$(mktemp -d)
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' >"$d/f.c"
	clang -fsanitize=fuzzer "$d/f.c" -o "$d/f" >/dev/null 2>&1; r=$?
	rm -rf "$d"
	return $r
}

install() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "make.sh: missing Debian packages; run as root:" >&2
		echo "  apt-get update && apt-get install -y --no-install-recommends$*" >&2
		exit 1
	fi
	echo "make.sh: installing$*" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null ||
		{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

# shellcheck disable=SC2086
[ -z "$missing" ] || install $missing
if ! fuzz_probe; then
	v=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
	install "libclang-rt-$v-dev"
fi

exec make "$@"

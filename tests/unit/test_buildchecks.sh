#!/bin/sh
# The build's guards fail when they must: a dynamically linked program in the
# initramfs, a kernel option Kconfig dropped, an image over its size limit, a
# program that includes another program's folder.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

mkdir -p "$work/root/bin"
printf 'int main(void){return 0;}\n' >"$work/t.c"
gcc -static -o "$work/root/bin/static" "$work/t.c" 2>/dev/null
"$top/reproducible/check-static" "$work/root" && ok "static binary accepted" || ko "static binary rejected"
gcc -o "$work/root/bin/dynamic" "$work/t.c"
if out=$("$top/reproducible/check-static" "$work/root" 2>&1); then ko "dynamic binary accepted"
else case $out in *"bin/dynamic is dynamically linked"*) ok "dynamic binary rejected: $out" ;;
	*) ko "message: $out" ;; esac; fi

printf 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x"\n' >"$work/frag"
printf 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x"\n' >"$work/good"
"$top/reproducible/check-kconfig" "$work/good" "$work/frag" 2>/dev/null && ok "kconfig: all options kept" ||
	ko "kconfig: good config rejected"
printf '# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_C="x"\n' >"$work/bad"
out=$("$top/reproducible/check-kconfig" "$work/bad" "$work/frag" 2>&1) && ko "kconfig: dropped option accepted" || {
	echo "$out" | grep -q "asks for 'CONFIG_A=y' but the kernel config has '# CONFIG_A is not set'" &&
	echo "$out" | grep -q "turns CONFIG_B off" && ok "kconfig: dropped and forced options named" ||
	ko "kconfig message: $out"; }

mkdir -p "$work/out"
head -c 1000 /dev/zero >"$work/out/bzImage"; head -c 100 /dev/zero >"$work/out/initramfs.cpio.xz"
head -c 300 /dev/zero >"$work/out/initramfs.cpio"
"$top/reproducible/sizes" "$work/out" 1000 100 >/dev/null && ok "sizes at the limit accepted" || ko "sizes at limit rejected"
out=$("$top/reproducible/sizes" "$work/out" 999 100 2>&1) && ko "oversize bzImage accepted" ||
	{ echo "$out" | grep -q "bzImage is 1000 bytes, over the 999-byte limit" && ok "oversize bzImage rejected" || ko "sizes message: $out"; }
# Hermetic tests: nothing names the machine's swtpm CA directory (a fresh machine has
# it empty; another run may change it), and tests/hermetic keeps a swtpm_setup that
# forgets its own --config away from it.
sysca=/var/lib/swtpm-$(echo localca)
hits=$(grep -rlF "$sysca" "$top/tests" "$top/Makefile" "$top/make.sh" "$top/reproducible" \
	"$top/.ci" "$top/src" 2>/dev/null)
[ -z "$hits" ] && ok "no test, build or CI file names the system swtpm CA directory" ||
	ko "these name the system swtpm CA directory: $hits"
before=$(ls -A "$sysca" 2>/dev/null | sort | tr '\n' ' ')
if command -v swtpm_setup >/dev/null; then
	mkdir -p "$work/tpm"
	out=$("$top/tests/hermetic" sh -c 'swtpm_setup --tpm2 --tpmstate "$1" --create-ek-cert \
		--pcr-banks sha256 >/dev/null 2>&1 && test -s "$XDG_CONFIG_HOME/ca/issuercert.pem" && echo made' \
		sh "$work/tpm" 2>&1)
	[ "$out" = made ] && ok "tests/hermetic: swtpm_setup without --config signs with the run's own CA" ||
		ko "tests/hermetic: $out"
	after=$(ls -A "$sysca" 2>/dev/null | sort | tr '\n' ' ')
	[ "$before" = "$after" ] && ok "tests/hermetic: the system swtpm CA directory is untouched" ||
		ko "tests/hermetic: $sysca changed from '$before' to '$after'"
fi
# Source boundaries (docs/architecture.md): the tree keeps them, and the
# checker names each way of breaking them.
out=$("$top/reproducible/check-includes" 2>&1) && ok "src: programs include only their folder and src/lib; no include cycle" ||
	ko "src boundaries: $out"
mkdir -p "$work/src/lib" "$work/src/agent" "$work/src/verifier"
printf '#include "b.h"\n' >"$work/src/lib/a.h"
printf '#include "a.h"\n' >"$work/src/lib/b.h"
printf '#include "store.h"\n#include "a.h"\n' >"$work/src/agent/x.c"
printf '/* */\n' >"$work/src/verifier/store.h"
printf 'double agent_now(void)\n{\n\treturn 0;\n}\n\nstatic int helper(void)\n{\n\treturn 0;\n}\n\nint main(void)\n{\n\treturn helper();\n}\n' >"$work/src/agent/main.c"
out=$("$top/reproducible/check-includes" "$work/src" 2>&1) && ko "check-includes accepted a broken tree" || {
	echo "$out" | grep -q 'src/agent/x.c includes "store.h" from src/verifier/, another program' &&
		ok "check-includes: another program's header named" || ko "check-includes (folder): $out"
	echo "$out" | grep -q 'include cycle: lib/a.h -> lib/b.h -> lib/a.h' &&
		ok "check-includes: header cycle named" || ko "check-includes (cycle): $out"
	echo "$out" | grep -q 'src/agent/main.c defines agent_now()' && ! echo "$out" | grep -q 'helper()' &&
		ok "check-includes: a function main.c exports named, its statics not" ||
		ko "check-includes (main.c): $out"; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

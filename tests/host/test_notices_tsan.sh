#!/bin/sh
# suite-notices-tsan: suite-notices' scenario (attestation workers, the
# notice fan-out, senders and the webhook thread all busy at once) run by a
# ThreadSanitizer build of the verifier. Any data race it reports fails the
# suite, with the report.
#   test_notices_tsan.sh BENCH_VERIFIER VERIFIER_TSAN LOG
set -u
bench=$1 verifier=$2 log=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$(dirname "$log")"
passed=0 failed=0 skipped=0

# A kernel whose address space layout this TSan runtime cannot handle stops
# every TSan program before main: say so, and skip rather than report races.
if "$verifier" --help 2>&1 | grep -q "FATAL: ThreadSanitizer"; then
	echo "skip ThreadSanitizer cannot run here: $("$verifier" --help 2>&1 | grep -m1 FATAL)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
TSAN_OPTIONS="suppressions=$here/tsan.supp history_size=4 second_deadlock_stack=1"
export TSAN_OPTIONS
out=$("$bench" --test "$verifier" 300 1 8 "$log" 2>&1)
echo "$out" | sed '$d'
last=$(echo "$out" | tail -n 1)
case $last in
*" passed, "*" failed"*)
	passed=${last%% passed*}
	failed=$(echo "$last" | sed 's/.* passed, \([0-9]*\) failed.*/\1/') ;;
*)
	echo "FAIL the scenario did not finish: $last"
	failed=1 ;;
esac
races=$(grep -c "WARNING: ThreadSanitizer" "$log" 2>/dev/null)
if [ "${races:-0}" -eq 0 ] && [ -s "$log" ]; then
	echo "ok   ThreadSanitizer reports no data race in the verifier"
	passed=$((passed + 1))
else
	echo "FAIL ThreadSanitizer reports ${races:-?} data race(s) in the verifier ($log):"
	grep -A 24 "WARNING: ThreadSanitizer" "$log" | head -n 120
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"

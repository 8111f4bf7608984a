# Shell helpers for host tests that need a TPM: start swtpm on a free
# loopback port pair and stop it by pid. Sourced, not run.

# swtpm_start DIR BANKS: sets SWTPM_PID, SWTPM_PORT. BANKS like "sha1,sha256".
swtpm_start() {
	_d=$1 _banks=$2
	mkdir -p "$_d/state"
	swtpm_setup --tpm2 --tpmstate "$_d/state" --pcr-banks "$_banks" \
		--config /dev/null >"$_d/setup.log" 2>&1 || { cat "$_d/setup.log"; return 1; }
	for _try in 1 2 3 4 5 6 7 8; do
		SWTPM_PORT=$(( 20000 + ($$ * 7 + _try * 131) % 20000 ))
		swtpm socket --tpm2 --tpmstate dir="$_d/state" \
			--server type=tcp,port=$SWTPM_PORT,bindaddr=127.0.0.1 \
			--ctrl type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1 \
			--flags not-need-init,startup-clear --log file="$_d/swtpm.log" &
		SWTPM_PID=$!
		for _w in $(seq 1 50); do
			if ! kill -0 $SWTPM_PID 2>/dev/null; then break; fi
			if tpm2_getcap -T "swtpm:host=127.0.0.1,port=$SWTPM_PORT" properties-fixed >/dev/null 2>&1; then
				return 0
			fi
			sleep 0.1
		done
		swtpm_stop
	done
	echo "swtpm did not start (see $_d/swtpm.log)" >&2
	return 1
}

swtpm_stop() {
	[ -n "${SWTPM_PID:-}" ] || return 0
	kill "$SWTPM_PID" 2>/dev/null
	for _w in $(seq 1 30); do kill -0 "$SWTPM_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SWTPM_PID" 2>/dev/null
	wait "$SWTPM_PID" 2>/dev/null
	SWTPM_PID=
}

# Shell helpers for host tests that need a TPM: start swtpm on a free
# loopback port pair and stop it by pid. Sourced, not run.

# swtpm_local_ca DIR: from now on swtpm_start gives each TPM EK and platform
# certificates signed by a local CA of the test's own in DIR (not the
# machine's system-wide swtpm CA directory); the first TPM creates the CA, whose root
# and issuer are then DIR/ca/swtpm-localca-rootca-cert.pem and
# DIR/ca/issuercert.pem.
swtpm_local_ca() {
	mkdir -p "$1/ca"
	cat >"$1/localca.conf" <<EOC
statedir = $1/ca
signingkey = $1/ca/signkey.pem
issuercert = $1/ca/issuercert.pem
certserial = $1/ca/certserial
EOC
	cat >"$1/setup.conf" <<EOC
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $1/localca.conf
create_certs_tool_options = /etc/swtpm-localca.options
EOC
	SWTPM_SETUP_CERTS="--create-ek-cert --create-platform-cert --lock-nvram --config $1/setup.conf"
}

# swtpm_start DIR BANKS: sets SWTPM_PID, SWTPM_PORT. BANKS like "sha1,sha256".
swtpm_start() {
	_d=$1 _banks=$2
	mkdir -p "$_d/state"
	# The last --config given wins. SWTPM_SETUP_CERTS holds no spaces in paths
	# of its own making (mktemp -d), so word splitting is intended.
	# shellcheck disable=SC2086
	swtpm_setup --tpm2 --tpmstate "$_d/state" --pcr-banks "$_banks" \
		--config /dev/null ${SWTPM_SETUP_CERTS:-} >"$_d/setup.log" 2>&1 ||
		{ cat "$_d/setup.log"; return 1; }
	swtpm_launch "$_d"
}

# swtpm_restart DIR: reboot with the TPM of swtpm_start DIR (the same state, a
# TPM Reset: resetCount goes up, PCRs are back to zero), on a new port. The OS
# shuts the TPM down first, as Linux does when it reboots, so its clock stays
# "safe"; a machine that loses power without it quotes with safe=0.
swtpm_restart() {
	[ -n "${SWTPM_PID:-}" ] && tpm2_shutdown -T "swtpm:host=127.0.0.1,port=$SWTPM_PORT" -c \
		>/dev/null 2>&1
	swtpm_stop
	swtpm_launch "$1"
}

swtpm_launch() {
	# A new port range per start: a test may keep one TPM running while it starts another,
	# and tpm2_getcap must not find the first one on a port the second failed to bind.
	SWTPM_STARTS=$((${SWTPM_STARTS:-0} + 1))
	for _try in 1 2 3 4 5 6 7 8; do
		SWTPM_PORT=$(( 20000 + ($$ * 7 + (_try + SWTPM_STARTS * 8) * 131) % 20000 ))
		swtpm socket --tpm2 --tpmstate dir="$1/state" \
			--server type=tcp,port=$SWTPM_PORT,bindaddr=127.0.0.1 \
			--ctrl type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1 \
			--flags not-need-init,startup-clear --log file="$1/swtpm.log" &
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
	echo "swtpm did not start (see $1/swtpm.log)" >&2
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

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; reaps it. Empty PID is fine.
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _w in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# A free loopback TCP port (bind to 0 and ask).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A free loopback port P with P+1 free too (swtpm's server and control ports).
free_port_pair() {
	python3 -c 'import socket
for _ in range(100):
    a, b = socket.socket(), socket.socket()
    a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p)
    break'
}

# test_mkcert DIR NAME ISSUER: DIR/NAME.pem and DIR/NAME.key, an EC P-256
# certificate for CN=NAME signed by DIR/ISSUER (a CA; self-signed when NAME
# equals ISSUER). For mutual-TLS tests.
test_mkcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$1/$2.key" -out "$1/$2.csr" 2>/dev/null
	if [ "$2" = "$3" ]; then
		openssl x509 -req -in "$1/$2.csr" -signkey "$1/$2.key" -days 2 \
			-extfile /dev/stdin -out "$1/$2.pem" 2>/dev/null <<EOX
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign
EOX
	else
		openssl x509 -req -in "$1/$2.csr" -CA "$1/$3.pem" -CAkey "$1/$3.key" \
			-CAcreateserial -days 2 -out "$1/$2.pem" 2>/dev/null
	fi
}

#!/bin/sh
# The node agent end to end on the host, against swtpm, with tests/host/kl_peer.c
# playing Keylime's registrar, tenant and verifier on loopback: registration and
# activation, identity and integrity quotes (checked with tpm2_checkquote, which
# shares no code with the agent), PCR 16 bound to the NK, U + V + payload, the
# dry-run handoff (measurements replayed against the TPM, the appended handoff
# archive unpacked with GNU cpio), and the attacks the agent must refuse.
#   test_agent_swtpm.sh AIRLOCK-AGENT KL-PEER TPM-MEASURE
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
agent=$(abs "$1") peer=$(abs "$2") measure=$(abs "$3")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/swtpm-lib.sh"
work=$(mktemp -d)
agent_pid= reg_pid=
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$_d"; else ko "$_d"; fi
}
cleanup() {
	stop_pid "$agent_pid"; stop_pid "$reg_pid"; stop_pid "$web_pid"; swtpm_stop
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# EK certificates from a local CA of the test's own.
swtpm_local_ca "$work"

# The tenant's payload: a kernel and initrd (random bytes are enough for a dry
# run), a command line, a LUKS key and a swanctl tree.
pl=$work/pl
mkdir -p "$pl/luks" "$pl/ipsec/x509"
head -c 300000 /dev/urandom >"$pl/kernel"
head -c 70001 /dev/urandom >"$pl/initrd"
printf 'luks-key-%s' "$$" >"$pl/luks/data.key"
printf 'connections { }\n' >"$pl/ipsec/swanctl.conf"
printf 'cert\n' >"$pl/ipsec/x509/node.pem"
cat >"$pl/airlock.json" <<'EOJ'
{"version": 1, "kernel": {"file": "kernel"}, "initrd": {"file": "initrd"},
 "cmdline": "console=ttyS0 root=/dev/mapper/data",
 "luks": [{"name": "data", "key": "luks/data.key", "volume": "/dev/vdb"}],
 "ipsec": {"dir": "ipsec"}}
EOJ
mkzip() { # OUT FILE... (relative to $pl), deflated
	_out=$1; shift
	(cd "$pl" && python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
for f in sys.argv[2:]: z.write(f)
z.close()' "$_out" "$@")
}
mkzip "$work/good.zip" airlock.json kernel initrd luks/data.key ipsec/swanctl.conf ipsec/x509/node.pem
python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
z.writestr("airlock.json", "{}")
z.writestr("../escape", "x")
z.close()' "$work/traversal.zip"

uuid=d432fbb3-d2f1-4a97-9ef7-75bd81c00000

# One agent run: a fresh TPM (PCRs start at zero), the /init part of the runtime
# event log, a registrar, the agent in dry-run mode. Sets $run, $agent_port.
start_run() { # NAME EXIT-AFTER [AGENT OPTIONS...]
	run=$work/$1 _name=$1 _exit=$2; shift 2
	mkdir -p "$run/state" "$run/reg" "$run/out"
	swtpm_stop
	swtpm_start "$run/tpm" sha1,sha256 || { ko "$run: swtpm"; return 1; }
	tpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
	"$measure" "$tpm" "$run/state/eventlog" "airlock runtime: state=ready" >/dev/null ||
		{ ko "$run: initial measurement"; return 1; }
	# swtpm serves one connection at a time: whatever else the TPM needs comes first.
	if [ -n "${BEFORE_AGENT:-}" ]; then "$BEFORE_AGENT" "$tpm" || { ko "$run: $BEFORE_AGENT"; return 1; }; fi
	(cd "$run" && exec "$peer" registrar regport reg) 2>"$run/registrar.log" &
	reg_pid=$!
	for _w in $(seq 1 50); do [ -s "$run/regport" ] && break; sleep 0.1; done
	agent_port=$(free_port)
	printf 'airlock.registrar=127.0.0.1:%s airlock.port=%s airlock.contact=127.0.0.1 airlock.mtls=insecure-off airlock.uuid=%s\n' \
		"$(cat "$run/regport")" "$agent_port" "$uuid" >"$run/config"
	"$agent" --config "$run/config" --tpm "$tpm" --state-dir "$run/state" --dry-run \
		--listen 127.0.0.1 --fw-eventlog /nonexistent --ima-log /nonexistent \
		--exit-after "$_exit" --verify-grace 5 "$@" >"$run/agent.out" 2>"$run/agent.err" &
	agent_pid=$!
	for _w in $(seq 1 300); do
		grep -q "serving the Keylime agent API" "$run/agent.err" 2>/dev/null && return 0
		kill -0 $agent_pid 2>/dev/null || break
		sleep 0.1
	done
	ko "$_name: agent did not start serving (see $run/agent.err)"
	stop_pid "$agent_pid"; agent_pid=; stop_pid "$reg_pid"; reg_pid=
	return 1
}
wait_agent() { # sets $agent_rc
	agent_rc=timeout
	for _w in $(seq 1 600); do
		if ! kill -0 "$agent_pid" 2>/dev/null; then
			wait "$agent_pid"; agent_rc=$?; agent_pid=; break
		fi
		sleep 0.1
	done
	stop_pid "$reg_pid"; reg_pid=
}
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
checkquote() { # PREFIX (tpm2_checkquote is noisy when it refuses)
	tpm2_checkquote -u "$run/reg/$uuid.ak" -m "$run/out/$1.attest" -s "$run/out/$1.sig" \
		-f "$run/out/$1.pcrs" -g sha256 -q "$(hexof "$run/out/$1.nonce")" >/dev/null 2>&1
}

# --- the good path, with each AK type ---
for ak in ecc rsa; do
	start_run "good-$ak" 120 --ak "$ak" || continue
	check "$ak AK: registered and activated at the registrar" test -f "$run/reg/$uuid.activated"
	check "$ak AK: registration carries the contact address" grep -q "^127.0.0.1 $agent_port disabled" "$run/reg/$uuid.contact"
	if "$peer" tenant 127.0.0.1 "$agent_port" "$uuid" "$work/good.zip" "$run/out" >"$run/peer.out" 2>&1; then
		ok "$ak AK: tenant flow: quotes, U, V, keys/verify"
	else
		ko "$ak AK: tenant flow ($(tail -1 "$run/peer.out"))"
	fi
	wait_agent
	check "$ak AK: agent finishes the dry-run handoff (exit 0)" test "$agent_rc" = 0
	check "$ak AK: identity quote passes tpm2_checkquote" checkquote identity
	check "$ak AK: integrity quote passes tpm2_checkquote" checkquote integrity
	printf 'wrongnonce' >"$run/out/identity.nonce"
	if checkquote identity; then ko "$ak AK: quote accepted with another nonce"; else ok "$ak AK: quote refused with another nonce"; fi
	sign=$(cut -d' ' -f3 "$run/out/identity.algs")
	check "$ak AK: sign_alg matches the AK ($sign)" test "$sign" = "$( [ $ak = ecc ] && echo ecdsa || echo rsassa)"
	# PCR 16 = H(0^32 || H(NK PEM as served)).
	want16=$( (head -c 32 /dev/zero; sha256sum "$run/out/nk.pem" | cut -d' ' -f1 | xxd -r -p) | sha256sum | cut -d' ' -f1)
	got16=$(tpm2_pcrread -T "$tpm" sha256:16 | sed -n 's/.*16 *: 0x//p' | tr 'A-F' 'a-f')
	check "$ak AK: PCR 16 = H(0 || H(pubkey))" test "$want16" = "$got16"
	# Dry-run report names what would be loaded.
	ks=$(sha256sum "$pl/kernel" | cut -d' ' -f1)
	check "$ak AK: dry run reports the kernel digest" grep -q "kernel=.* sha256=$ks size=300000" "$run/agent.out"
	# The appended handoff archive.
	combined=$run/state/handoff/tenant-initrd
	mkdir -p "$run/unpacked"
	check "$ak AK: tenant initrd starts with the tenant's initrd" cmp -n 70001 "$pl/initrd" "$combined"
	tail -c +70005 "$combined" | (cd "$run/unpacked" && cpio -i --quiet -d --no-absolute-filenames) 2>/dev/null
	check "$ak AK: handoff: LUKS key" cmp "$pl/luks/data.key" "$run/unpacked/airlock/luks/data.key"
	check "$ak AK: handoff: volumes" grep -qx "data /dev/vdb" "$run/unpacked/airlock/luks/volumes"
	check "$ak AK: handoff: swanctl tree" cmp "$pl/ipsec/x509/node.pem" "$run/unpacked/airlock/ipsec/x509/node.pem"
	check "$ak AK: handoff: VERSION 1" grep -qx 1 "$run/unpacked/airlock/VERSION"
	check "$ak AK: handoff: key file mode 0400" test "$(stat -c %a "$run/unpacked/airlock/luks/data.key")" = 400
	# The runtime log in the archive replays to the TPM's PCRs 8 and 9, and
	# holds the kernel, initrd and command line events.
	tpm2_pcrread -T "$tpm" sha1:8,9+sha256:8,9 >"$run/pcrs.txt" 2>/dev/null
	if python3 - "$run/unpacked/airlock/eventlog" "$run/pcrs.txt" "$ks" "$here/../boot" <<'EOP'
import sys
sys.path.insert(0, sys.argv[4])
import eventlog_replay
values, events = eventlog_replay.replay(open(sys.argv[1], "rb").read())
tpm, bank = {}, None
for line in open(sys.argv[2]):
    line = line.strip()
    if line.endswith(":"):
        bank = line[:-1]
    elif ":" in line and bank:
        n, v = line.split(":", 1)
        tpm.setdefault(bank, {})[int(n)] = v.strip()[2:].lower()
for b in ("sha1", "sha256"):
    for p in (8, 9):
        assert values[b][p] == tpm[b][p], (b, p, values[b][p], tpm[b][p])
data = [e[3] for e in events]
assert b"airlock kernel: sha256=%s size=300000" % sys.argv[3].encode() in data, data
assert b"console=ttyS0 root=/dev/mapper/data" in data, data
assert b"airlock attest: result=pass" in data, data
EOP
	then ok "$ak AK: handoff events replay to the TPM's PCRs 8 and 9"; else ko "$ak AK: handoff events replay to the TPM's PCRs 8 and 9"; fi
done

# --- a tenant that enrols the node again before the handoff (rust-keylime takes it) ---
# The same V twice answers 200 (a verifier retrying a delivery it did not hear
# answered); a new U replaces the derived key and its payload; the handoff is
# the second payload's.
mkdir -p "$work/pl2"
cp -r "$pl/." "$work/pl2/"
head -c 200000 /dev/urandom >"$work/pl2/kernel"
(cd "$work/pl2" && python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
for f in sys.argv[2:]: z.write(f)
z.close()' "$work/rekey.zip" airlock.json kernel initrd luks/data.key ipsec/swanctl.conf ipsec/x509/node.pem)
start_run rekey 120 && {
	if "$peer" tenant 127.0.0.1 "$agent_port" "$uuid" "$work/good.zip" "$run/out" \
		--rekey "$work/rekey.zip" >"$run/peer.out" 2>&1; then
		ok "re-key: V again (200), a second U and V, keys/verify matches the second K"
	else
		ko "re-key: tenant flow ($(tail -1 "$run/peer.out"))"
	fi
	wait_agent
	check "re-key: the agent hands off (exit 0)" test "$agent_rc" = 0
	check "re-key: the agent said it dropped the first key and payload" \
		grep -q "received a new U with a payload; the derived key and its payload are dropped" "$run/agent.err"
	k1=$(sha256sum "$pl/kernel" | cut -d' ' -f1) k2=$(sha256sum "$work/pl2/kernel" | cut -d' ' -f1)
	check "re-key: the dry run loads the second payload's kernel" grep -q "sha256=$k2 size=200000" "$run/agent.out"
	check "re-key: not the first payload's" sh -c "! grep -q 'sha256=$k1' '$run/agent.out'"
}

# --- attacks and malformed input ---
start_run attacks 60 && {
	base=http://127.0.0.1:$agent_port
	rawhttp() { # REQUEST-BYTES (printf format): prints the status code
		python3 - "$agent_port" "$1" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    try:
        c = s.recv(65536)
    except socket.timeout:
        break
    if not c:
        break
    data += c
print(data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none")
EOP
	}
	get() { rawhttp "GET $1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"; }
	check "non-alphanumeric nonce: 400" test "$(get '/v2.5/quotes/identity?nonce=abc%2Fdef')" = 400
	check "overlong nonce (65): 400" test "$(get "/v2.5/quotes/identity?nonce=$(printf 'a%.0s' $(seq 1 65))")" = 400
	check "missing nonce: 400" test "$(get '/v2.5/quotes/identity')" = 400
	check "PCR mask out of range: 400" test "$(get '/v2.5/quotes/integrity?nonce=abc&mask=0x1000000')" = 400
	check "PCR mask not hex: 400" test "$(get '/v2.5/quotes/integrity?nonce=abc&mask=0xZZ')" = 400
	check "unsupported API version: 400" test "$(get '/v1.0/quotes/identity?nonce=abc')" = 400
	# Keylime's verifier negotiates a lower version only on these words.
	getjson() { # PATH KEY: the answer's top-level KEY, or results.KEY
		python3 - "$agent_port" "$1" "$2" <<'EOP'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=15)
c.request("GET", sys.argv[2])
j = json.loads(c.getresponse().read())
print(j.get(sys.argv[3], j.get("results", {}).get(sys.argv[3])))
EOP
	}
	check "unsupported API version: the status says \"API version not supported\"" sh -c \
		"echo '$(getjson '/v3.7/quotes/identity?nonce=abc' status)' | grep -q '^API version not supported: v3.7'"
	check "API 2.6 is served" test "$(get '/v2.6/quotes/identity?nonce=abc')" = 200
	check "/version names 2.6" test "$(getjson /version supported_version)" = 2.6
	check "unknown endpoint: 404" test "$(get '/v2.5/nothing')" = 404
	check "keys/verify before the key: 400" test "$(get '/v2.5/keys/verify?challenge=abc')" = 400
	check "truncated request body: no answer, agent goes on" test "$(rawhttp 'POST /v2.5/keys/ukey HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a"')" != 200
	check "oversized request body: 413" test "$(rawhttp 'POST /v2.5/keys/ukey HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n')" = 413
	check "ukey that is not JSON: 400" test "$(rawhttp 'POST /v2.5/keys/ukey HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc')" = 400
	check "ukey with a bad encrypted_key: 400" test "$(rawhttp 'POST /v2.5/keys/ukey HTTP/1.1\r\nHost: x\r\nContent-Length: 52\r\nConnection: close\r\n\r\n{"encrypted_key":"AAAA","auth_tag":"00","payload":""}')" = 400
	# A client that connects and sends nothing must not block the others.
	python3 -c 'import socket,time,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); time.sleep(8)' "$agent_port" &
	silent=$!
	sleep 0.3
	check "a silent client does not block the version query" test "$(get /version)" = 200
	stop_pid "$silent"
	check "agent still serves after malformed requests" test "$(get /version)" = 200
	# U and V from different splits never combine: keys/verify stays 400.
	"$peer" tenant 127.0.0.1 "$agent_port" "$uuid" "$work/good.zip" "$run/out" --wrong-v >"$run/peer.out" 2>&1
	check "V that does not combine with U: keys/verify refuses" grep -q "keys/verify answered 400" "$run/peer.out"
	"$peer" tenant 127.0.0.1 "$agent_port" "$uuid" "$work/good.zip" "$run/out" --bad-tag >"$run/peer2.out" 2>&1
	check "wrong auth_tag: keys/verify refuses" grep -q "keys/verify answered 400" "$run/peer2.out"
	stop_pid "$agent_pid"; agent_pid=; stop_pid "$reg_pid"; reg_pid=
}
# A refused payload is measured into PCR 8 and the agent keeps answering quotes
# (so a verifier learns why): --exit-after ends these runs.
start_run tampered 20 && {
	"$peer" tenant 127.0.0.1 "$agent_port" "$uuid" "$work/good.zip" "$run/out" --tamper >"$run/peer.out" 2>&1
	for _w in $(seq 1 100); do grep -q "payload refused" "$run/agent.err" && break; sleep 0.1; done
	check "tampered payload: the agent still answers after the refusal" test "$(get /version)" = 200
	wait_agent
	check "tampered payload (GCM tag): handoff refused" test "$agent_rc" = 1
	check "tampered payload: reason on the console" grep -q "GCM tag mismatch" "$run/agent.err"
	check "tampered payload: the refusal is in the runtime log" \
		grep -aq "airlock failure: stage=payload reason=decrypt" "$run/state/eventlog"
	tpm2_pcrread -T "$tpm" sha256:8 >"$run/pcr8.txt" 2>/dev/null
	check "tampered payload: the runtime log still replays to PCR 8" python3 - "$run/state/eventlog" \
		"$(sed -n 's/.*8 *: 0x//p' "$run/pcr8.txt" | tr 'A-F' 'a-f')" "$here/../boot" <<'EOP'
import sys
sys.path.insert(0, sys.argv[3])
import eventlog_replay
values, _ = eventlog_replay.replay(open(sys.argv[1], "rb").read())
assert values["sha256"][8] == sys.argv[2], (values["sha256"][8], sys.argv[2])
EOP
	check "tampered payload: nothing measured into PCR 9" test "$(tpm2_pcrread -T "$tpm" sha256:9 | sed -n 's/.*9 *: 0x//p' | tr -d 0)" = ""
}
start_run traversal 20 && {
	"$peer" tenant 127.0.0.1 "$agent_port" "$uuid" "$work/traversal.zip" "$run/out" >"$run/peer.out" 2>&1
	wait_agent
	check "zip path traversal: payload refused" test "$agent_rc" = 1
	check "zip path traversal: the entry is named" grep -q "payload refused: .*\.\./escape" "$run/agent.err"
	check "zip path traversal: nothing written outside" test ! -e "$run/state/escape"
}

# --- the firmware log: coreboot keeps it in a fixed table whose unused entries are zero ---
python3 - "$work/cbmem.log" "$work/cbmem.trimmed" <<'EOP'
import hashlib, struct, sys
spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 1) + struct.pack("<HH", 11, 32)
spec += b"\x0d" + bytes(13)  # coreboot's 13 bytes of vendor info
out = struct.pack("<II20sI", 0, 3, bytes(20), len(spec)) + spec
for name in ("FMAP: FMAP", "CBFS: fallback/payload"):
    out += struct.pack("<IIIH", 2, 5, 1, 11) + hashlib.sha256(name.encode()).digest()
    out += struct.pack("<I", 50) + name.encode().ljust(50, b"\0")
open(sys.argv[2], "wb").write(out)
open(sys.argv[1], "wb").write(out + bytes(48 * 100))
EOP
start_run fwlog 20 --fw-eventlog "$work/cbmem.log" && {
	check "firmware log: the agent says where it is from and its size" grep -q \
		"firmware event log: $work/cbmem.log (2 events, $(stat -c %s "$work/cbmem.trimmed") bytes)" "$run/agent.err"
	check "firmware log: sent without the zeroed tail (mb_measurement_list)" python3 - "$agent_port" \
		"$work/cbmem.trimmed" <<'EOP'
import base64, http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("GET", "/v2.1/quotes/integrity?nonce=abcdefghij0123456789&mask=0x10101&partial=1")
r = json.loads(c.getresponse().read())
assert base64.b64decode(r["results"]["mb_measurement_list"]) == open(sys.argv[2], "rb").read()
EOP
	stop_pid "$agent_pid"; agent_pid=; stop_pid "$reg_pid"; reg_pid=
}

# --- host mode's IMA log: entries from ima_ml_entry on, PCR 10 in the same quote ---
python3 - "$work/ima.log" "$work/ima.hashes" <<'EOP'
import hashlib, sys
lines, hashes = [], []
for i, path in enumerate(("/usr/bin/bash", "/usr/lib/libc.so.6", "/etc/ld.so.cache")):
    fh = hashlib.sha256(path.encode() * 3).hexdigest()
    th = hashlib.sha256(("ima-ng" + fh + path).encode()).hexdigest()
    lines.append("10 %s ima-ng sha256:%s %s\n" % (th, fh, path))
    hashes.append(th)
open(sys.argv[1], "w").write("".join(lines))
open(sys.argv[2], "w").write("\n".join(hashes) + "\n")
EOP
extend_ima() { # TPM: extend PCR 10 as the kernel did for the log's entries
	while read -r h; do tpm2_pcrextend -T "$1" "10:sha256=$h" || return 1; done <"$work/ima.hashes"
}
BEFORE_AGENT=extend_ima start_run ima 20 --ima-log "$work/ima.log" && {
	check "IMA: entries from ima_ml_entry on, PCR 10 quoted and equal to the log's replay" \
		python3 - "$agent_port" "$work/ima.log" "$work/ima.hashes" "$run" "$run/reg/$uuid.ak" <<'EOP'
import base64, hashlib, http.client, json, os, subprocess, sys
port, log, hashes, run, ak = sys.argv[1:]
nonce = "imanonce0123456789"
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
c.request("GET", "/v2.1/quotes/integrity?nonce=%s&mask=0x10400&partial=1&ima_ml_entry=1" % nonce)
r = json.loads(c.getresponse().read())["results"]
lines = open(log).read().splitlines(True)
assert r["ima_measurement_list"] == "".join(lines[1:]), r["ima_measurement_list"]
assert r["ima_measurement_list_entry"] == 1, r["ima_measurement_list_entry"]
parts = r["quote"][1:].split(":")
files = [os.path.join(run, "ima." + n) for n in ("attest", "sig", "pcrs")]
for f, p in zip(files, parts):
    open(f, "wb").write(base64.b64decode(p))
out = subprocess.run(["tpm2_checkquote", "-u", ak, "-m", files[0], "-s", files[1], "-f", files[2],
                      "-g", "sha256", "-q", nonce.encode().hex()], capture_output=True, text=True)
assert out.returncode == 0, out.stderr
v = bytes(32)
for h in open(hashes).read().split():
    v = hashlib.sha256(v + bytes.fromhex(h)).digest()
assert ("10: 0x" + v.hex().upper()) in out.stdout, (v.hex(), out.stdout)
EOP
	stop_pid "$agent_pid"; agent_pid=; stop_pid "$reg_pid"; reg_pid=
}

# --- mutual TLS: the registered certificate serves, only the client CA's clients get in ---
ca=$work/ca-tls
mkdir -p "$ca"
mkcert() { test_mkcert "$ca" "$@"; }
mkcert client-ca client-ca && mkcert verifier client-ca && mkcert other-ca other-ca && mkcert intruder other-ca
tls_get() { # CERT-NAME|none: prints the HTTP status, or "refused"
	python3 - "$agent_port" "$run/reg/$uuid.mtls.pem" "$ca" "$1" <<'EOP'
import socket, ssl, sys
port, pinned, ca, who = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False          # Keylime trusts the registered certificate itself
ctx.load_verify_locations(pinned)
if who != "none":
    ctx.load_cert_chain("%s/%s.pem" % (ca, who), "%s/%s.key" % (ca, who))
try:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
    print(data.split(b" ", 2)[1].decode())
except (ssl.SSLError, OSError):
    print("refused")
EOP
}
start_run mtls 60 --client-ca "$ca/client-ca.pem" && {
	sed -i 's/airlock.mtls=insecure-off/airlock.mtls=on/' "$run/config"
	stop_pid "$agent_pid"
	"$agent" --config "$run/config" --tpm "$tpm" --state-dir "$run/state" --dry-run \
		--listen 127.0.0.1 --fw-eventlog /nonexistent --ima-log /nonexistent \
		--exit-after 60 --client-ca "$ca/client-ca.pem" >"$run/agent.out" 2>"$run/agent2.err" &
	agent_pid=$!
	for _w in $(seq 1 300); do grep -q "serving the Keylime agent API" "$run/agent2.err" 2>/dev/null && break; sleep 0.1; done
	check "mTLS: agent serves with mutual TLS" grep -q "(mutual TLS)" "$run/agent2.err"
	check "mTLS: the registration carries the certificate" grep -q "BEGIN CERTIFICATE" "$run/reg/$uuid.mtls.pem"
	check "mTLS: a client of the client CA is served (against the registered cert)" test "$(tls_get verifier)" = 200
	check "mTLS: a client without a certificate is refused" test "$(tls_get none)" = refused
	check "mTLS: a client of another CA is refused" test "$(tls_get intruder)" = refused
	check "mTLS: still serving after refusals" test "$(tls_get verifier)" = 200
	stop_pid "$agent_pid"; agent_pid=
	"$agent" --config "$run/config" --tpm "$tpm" --state-dir "$run/state" --dry-run \
		--listen 127.0.0.1 --client-ca "$work/none.pem" >/dev/null 2>"$run/agent3.err"
	check "mTLS without the client CA file: refuses to start, says why" grep -q "client CA .*none.pem" "$run/agent3.err"
	stop_pid "$reg_pid"; reg_pid=
}

# --- the client CA named on the command line (airlock.client_ca), pinned by sha256 ---
web_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$ca" "$web_port" >"$work/web.log" 2>&1 &
web_pid=$!
for _w in $(seq 1 50); do
	python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
		"$web_port" 2>/dev/null && break
	sleep 0.1
done
ca_sha=$(sha256sum "$ca/client-ca.pem" | cut -d' ' -f1)
other_sha=$(sha256sum "$ca/other-ca.pem" | cut -d' ' -f1)
restart_with_ca() { # URL-PATH SHA256 LOG: runs the agent with mTLS and the client CA by URL
	sed -i -e 's/airlock.mtls=insecure-off/airlock.mtls=on/' -e 's/ airlock.client_ca.*$//' "$run/config"
	sed -i "s|\$| airlock.client_ca=http://127.0.0.1:$web_port/$1 airlock.client_ca_sha256=$2|" "$run/config"
	stop_pid "$agent_pid"
	rm -f "$run/state/client-ca.pem"
	# --client-ca names a file that does not exist: only the fetched CA can serve.
	"$agent" --config "$run/config" --tpm "$tpm" --state-dir "$run/state" --dry-run \
		--listen 127.0.0.1 --fw-eventlog /nonexistent --ima-log /nonexistent \
		--exit-after 60 --client-ca "$work/none.pem" >"$run/agent.out" 2>"$run/$3" &
	agent_pid=$!
}
start_run client-ca 60 && {
	restart_with_ca client-ca.pem "$ca_sha" agent-ca.err
	for _w in $(seq 1 300); do grep -q "serving the Keylime agent API" "$run/agent-ca.err" 2>/dev/null && break; sleep 0.1; done
	check "client CA by URL: fetched and verified" grep -q "client CA verified (sha256 $ca_sha" "$run/agent-ca.err"
	check "client CA by URL: agent serves with mutual TLS" grep -q "(mutual TLS)" "$run/agent-ca.err"
	check "client CA by URL: a client of that CA is served" test "$(tls_get verifier)" = 200
	check "client CA by URL: a client of another CA is refused" test "$(tls_get intruder)" = refused
	restart_with_ca other-ca.pem "$ca_sha" agent-ca2.err
	wait_agent
	check "client CA by URL: bytes that do not match the pinned sha256 are fatal (exit 3)" test "$agent_rc" = 3
	check "client CA by URL: the mismatch is named" \
		grep -q "has sha256 $other_sha, airlock.client_ca_sha256 says $ca_sha: refused" "$run/agent-ca2.err"
	check "client CA by URL: a refused CA is not kept" test ! -e "$run/state/client-ca.pem"
}
start_run client-ca-missing 60 && {
	restart_with_ca missing.pem "$ca_sha" agent-ca3.err
	wait_agent
	check "client CA by URL: HTTP 404 exits 1 (to be retried)" test "$agent_rc" = 1
	check "client CA by URL: the HTTP error is named" grep -q "client CA from .*missing.pem: HTTP 404" "$run/agent-ca3.err"
}
stop_pid "$web_pid"; web_pid=

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/sh
# The tenant verifier (src/verifier) end to end on the host with the real node
# agent on swtpm, all on loopback: EK trust by certificate and by node list,
# registration and activation, enrolment (identity quote, U and the payload),
# integrity quotes with the runtime event log and a PCR policy, V released on
# the first pass, keys/verify, the agent's dry-run handoff, hooks and webhook,
# a daemon restart in the middle, signed revocation notices to every node and
# the payload's revocation actions (forged notices refused), and the attacks: unknown EK, AK never
# activated, wrong activation tag, PCR mismatch (with the report), a replayed
# quote, a quote over the right nonce signed by another TPM's AK.
#   test_verifier_swtpm.sh AIRLOCK-VERIFIER AIRLOCK-AGENT TPM-MEASURE
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
verifier=$(abs "$1") agent=$(abs "$2") measure=$(abs "$3")
here=$(cd "$(dirname "$0")" && pwd)
helper=$here/verifier_helper.py
vectors=$here/../vectors/quote
. "$here/swtpm-lib.sh"
. "$here/verifier-lib.sh"
work=$(mktemp -d)
agent_pid= ver_pid= proxy_pid= hook_pid= att_pid= host_pid= host_tpm_pid=
cleanup() {
	stop_pid "$agent_pid"; stop_pid "$ver_pid"; stop_pid "$proxy_pid"; stop_pid "$hook_pid"
	stop_pid "$att_pid"; stop_pid "$host_pid"; stop_pid "$host_tpm_pid"
	swtpm_stop
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# EK certificates from a local CA of the test's own; the verifier trusts its
# root and issuer.
swtpm_local_ca "$work"
mkdir -p "$work/trust"

# The payload: a kernel, an initrd, a command line, a LUKS key (docs/payload.md).
pl=$work/pl
mkdir -p "$pl/luks"
head -c 100000 /dev/urandom >"$pl/kernel"
head -c 5001 /dev/urandom >"$pl/initrd"
printf 'luks-key-%s' "$$" >"$pl/luks/data.key"
cat >"$pl/airlock.json" <<'EOJ'
{"version": 1, "kernel": {"file": "kernel"}, "initrd": {"file": "initrd"},
 "cmdline": "console=ttyS0", "luks": [{"name": "data", "key": "luks/data.key", "volume": "/dev/vdb"}]}
EOJ
(cd "$pl" && python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
for f in sys.argv[2:]: z.write(f)
z.close()' "$work/payload.zip" airlock.json kernel initrd luks/data.key)

# Hooks record their argv; the webhook records its bodies.
cat >"$work/hook" <<EOH
#!/bin/sh
printf '%s %s %s\n' "\$1" "\$2" "\$3" >>"$work/hooks.log"
EOH
chmod +x "$work/hook"
python3 "$helper" webhook "$work/webhook.port" "$work/webhook.log" 2>"$work/webhook.err" &
hook_pid=$!
wait_file "$work/webhook.port" || ko "webhook receiver did not start"

# Every verifier of this test runs the hooks and the webhook.
HOOKS="--on-pass $work/hook --on-fail $work/hook --webhook http://127.0.0.1:$(cat "$work/webhook.port")/airlock"

# --- tools ---
want=$(tpm2_print -t TPM2B_PUBLIC -f pem "$vectors/ek-rsa.pub" 2>/dev/null |
	openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
check "ek-hash agrees with openssl's SHA-256 of the SubjectPublicKeyInfo" \
	test "$("$verifier" ek-hash "$vectors/ek-rsa.pub")" = "$want"
"$verifier" --state "$work/none" node show nosuch >/dev/null 2>&1
check "node show of an unknown node exits 4" test $? = 4
"$verifier" --state "$work/none" frobnicate >/dev/null 2>&1
check "an unknown command exits 2" test $? = 2
"$verifier" --db "$work/some.db" --state "$work/none" node list >"$work/dbarg.out" 2>&1
check "--db that is not a postgresql:// URL exits 2 and says what it wants" sh -c \
	"test $? = 2 && grep -q 'wants a postgresql:// URL' '$work/dbarg.out'"

if [ -n "${AIRLOCK_TEST_PG:-}" ]; then
	# --- PostgreSQL: how a database that cannot be used is reported ---
	real_db_url=$(. "$here/pg-lib.sh"; pg_url=$AIRLOCK_TEST_PG; state=$work/pgenv; pg_database "$state")
	t0=$(date +%s)
	"$verifier" --db "postgresql://airlock@/postgres?host=$work/no-server&port=5432" \
		--state "$work/pgx" serve --listen 127.0.0.1:0 >"$work/unreach.out" 2>&1
	rc=$?
	check "db: an unreachable database at start: serve exits 1 at once, naming it ($(($(date +%s) - t0)) s)" \
		sh -c "test $rc = 1 && grep -q 'cannot connect to the PostgreSQL database.*no-server' '$work/unreach.out'"
	bad=$(printf '%s' "$real_db_url" | sed 's|//airlock:[^@]*@|//airlock:Wr0ngPassw0rd@|')
	"$verifier" --db "$bad" --state "$work/pgx" node list >"$work/badpw.out" 2>&1
	rc=$?
	check "db: a wrong password: exit 1, PostgreSQL's reason, the password not echoed" sh -c \
		"test $rc = 1 && grep -q 'password authentication failed' '$work/badpw.out' && ! grep -q Wr0ngPassw0rd '$work/badpw.out'"
	check "db: AIRLOCK_VERIFIER_DB chooses the database too" env AIRLOCK_VERIFIER_DB="$real_db_url" \
		"$verifier" --state "$work/pgenv" node list
	check "db: ... and no SQLite file is made beside it" test ! -e "$work/pgenv/verifier.db"
	check "db: the schema is recorded as version 3" test \
		"$(psql -X -q -A -t -d "$real_db_url" -c 'select version from airlock_schema')" = 3
	psql -X -q -d "$real_db_url" -c 'update airlock_schema set version = 99'
	env AIRLOCK_VERIFIER_DB="$real_db_url" "$verifier" --state "$work/pgenv" node list >"$work/newer.out" 2>&1
	rc=$?
	check "db: a newer schema is refused (exit 1), its version named, the data left alone" sh -c \
		"test $rc = 1 && grep -q 'schema version 99, this airlock-verifier knows up to 3' '$work/newer.out' &&
		 test \"\$(psql -X -q -A -t -d '$real_db_url' -c 'select count(*) from nodes')\" = 0"
fi

# --- the good path: EK certificate trusted, policy met, V released, restart mid-flow ---
u1=5a8c1e2f-0000-4000-8000-000000000001
# The first swtpm_setup creates the local CA; trust its root and issuer.
swtpm_start "$work/catmp" sha256 >/dev/null 2>&1; swtpm_stop
cp "$work/ca/issuercert.pem" "$work/ca/swtpm-localca-rootca-cert.pem" "$work/trust/" 2>/dev/null
check "test CA: root and issuer certificates exist" test -s "$work/trust/issuercert.pem"
start_verifier good --ek-ca "$work/trust" $HOOKS && start_agent good "$u1" --ak ecc && {
	check "good: agent registers and activates" wait_state "$u1" active 30
	check "good: EK trusted by its certificate" sh -c \
		"'$verifier' --state '$state' node show $u1 | grep -q 'EK        certificate issued by'"
	if [ -n "${AIRLOCK_TEST_PG:-}" ]; then
		check "good: PostgreSQL, no database file in the state directory" test ! -e "$state/verifier.db"
	else
		check "good: file mode of the state database is 0600" test "$(stat -c %a "$state/verifier.db")" = 600
	fi
	policy_for "$work/good.policy" "$(pcr8)"
	check "policy check accepts the policy" "$verifier" policy check "$work/good.policy"
	# Restart mid-flow: the daemon is down while the tenant enrols the node.
	stop_pid "$ver_pid"; ver_pid=
	# The payload built by the verifier from its parts (docs/verifier.md).
	if "$verifier" --state "$state" node add "$u1" --ek-hash "$ek_hash" --kernel "$pl/kernel" --initrd "$pl/initrd" \
		--cmdline "console=ttyS0 root=/dev/mapper/data" --luks "data=$pl/luks/data.key:/dev/vdb" \
		--policy "$work/good.policy" >"$work/good.add" 2>&1; then
		ok "good: node add (identity quote, U, built payload) with the daemon stopped"
	else
		ko "good: node add: $(cat "$work/good.add")"
	fi
	check "good: node is enrolled" test "$(vstate "$u1")" = enrolled
	start_verifier good2 --ek-ca "$work/trust" $HOOKS
	check "good: restarted daemon releases V (state attesting)" wait_released "$u1" 30
	wait_agent
	check "good: the agent derived K, verified, and finished the handoff (exit 0)" test "$agent_rc" = 0
	ks=$(sha256sum "$pl/kernel" | cut -d' ' -f1)
	check "good: dry run names the tenant's kernel" grep -q "sha256=$ks size=100000" "$run/agent.out"
	check "good: the handoff carries the LUKS key of the built payload" \
		grep -q "data /dev/vdb" "$run/state/handoff/tenant-initrd"
	check "good: pass hook ran with the node id" grep -q "^$u1 pass " "$work/hooks.log"
	check "good: webhook got the pass" grep -q "\"uuid\":\"$u1\",\"result\":\"pass\"" "$work/webhook.log"
	# The runtime agent is gone after V (kexec in real life): handed off, not failed,
	# and not "unreachable" either: that is what a runtime does.
	check "good: a runtime agent gone after V is handed_off" wait_state "$u1" handed_off 30
	check "good: no failure or unreachable hook for a handoff" sh -c \
		"! grep -q '^$u1 \(fail\|unreachable\)' '$work/hooks.log'"
	"$verifier" --state "$state" node list >"$work/list.txt" 2>&1
	check "node list shows the node" grep -q "^$u1 *handed_off" "$work/list.txt"
	"$verifier" --state "$state" node show "$u1" >"$work/show.txt" 2>&1
	check "node show has the history (enrolled, V delivered, pass, handed off)" sh -c \
		"grep -q 'enrolled' '$work/show.txt' && grep -q 'V delivered' '$work/show.txt' && grep -q 'V released' '$work/show.txt' && grep -q 'handed_off' '$work/show.txt'"
	check "good: node show names the EK hash and how the uuid is bound" sh -c \
		"grep -q 'EK hash   $ek_hash' '$work/show.txt' && grep -q 'pinned by the tenant to EK $ek_hash$' '$work/show.txt'"
	stop_pid "$ver_pid"; ver_pid=
}

# --- PCR mismatch: the report names the PCR; V is never released ---
u2=5a8c1e2f-0000-4000-8000-000000000002
start_verifier mismatch --ek-ca "$work/trust" $HOOKS && start_agent mismatch "$u2" --ak rsa && {
	check "mismatch: agent registers (RSA AK)" wait_state "$u2" active 30
	policy_for "$work/bad.policy" 0000000000000000000000000000000000000000000000000000000000000000
	check "mismatch: node add" "$verifier" --state "$state" node add "$u2" --ek-hash "$ek_hash" \
		--payload "$work/payload.zip" --policy "$work/bad.policy"
	check "mismatch: node fails" wait_state "$u2" failed 30
	"$verifier" --state "$state" node show "$u2" >"$work/show2.txt" 2>&1
	check "mismatch: report names PCR 8, expected and actual" \
		grep -q "PCR 8 mismatch: expected 0000000000000000000000000000000000000000000000000000000000000000, got $(pcr8)" "$work/show2.txt"
	check "mismatch: fail hook ran" wait_grep 5 "^$u2 fail PCR 8 mismatch" "$work/hooks.log"
	check "mismatch: the agent got the revocation notice (and, without V, no certificate for it)" \
		wait_grep 10 "no certificate to check it with (no payload yet)" "$run/agent.err"
	stop_pid "$agent_pid"; agent_pid=
	check "mismatch: no handoff without V" sh -c "! grep -q 'sha256=.* size=100000' '$run/agent.out'"
	stop_pid "$ver_pid"; ver_pid=
}

# --- revocation: a node fails; every attested node gets a signed notice ---
# Node H is a Keylime-style host agent whose payload (autorun.sh) carries the
# verifier's RevocationNotifier certificate and a revocation action; node F
# then fails its policy. H checks the notice's signature and runs the action
# with the notice; forged notices are refused and run nothing.
uh=5a8c1e2f-0000-4000-8000-000000000007 uf=5a8c1e2f-0000-4000-8000-000000000008
rv=$work/rev
mkdir -p "$rv/pl"
start_verifier revocation --ek-ca "$work/trust" $HOOKS && start_agent revhost "$uh" --host && {
	host_pid=$agent_pid agent_pid= host_port=$agent_port host_run=$run host_ek=$ek_hash
	host_tpm_pid=$SWTPM_PID SWTPM_PID=
	check "revocation: host agent registers" wait_state "$uh" active 30
	"$verifier" --state "$state" revocation-cert >"$rv/pl/RevocationNotifier-cert.crt"
	check "revocation-cert prints the notifier certificate" sh -c \
		"openssl x509 -in '$rv/pl/RevocationNotifier-cert.crt' -noout -subject | grep -q RevocationNotifier"
	check "revocation: the key file is private (0600)" \
		test "$(stat -c %a "$state/revocation-notifier.pem")" = 600
	mkdir -m 700 "$rv/open-state"; chmod 777 "$rv/open-state"
	"$verifier" --state "$rv/open-state" revocation-cert >"$rv/open.out" 2>&1
	check "revocation-cert refuses a state directory others can write (exit 1), makes no key" sh -c \
		"test $? = 1 && grep -q 'group and others cannot write' '$rv/open.out' && ! ls '$rv/open-state' | grep -q pem"
	printf '#!/bin/sh\necho autorun ran\n' >"$rv/pl/autorun.sh"
	printf 'local_action_record.sh\n' >"$rv/pl/action_list"
	cat >"$rv/pl/local_action_record.sh" <<EOA
#!/bin/sh
# A revocation action: keep the notice it was given, and what the agent's runner
# process (its parent, a fork of the agent) holds open.
t=\$(date +%s%N)
for f in /proc/\$PPID/fd/*; do readlink "\$f"; done >"$rv/fds.\$t.txt"
cp "\$1" "$rv/notice.\$t.json"
EOA
	(cd "$rv/pl" && python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
for f in sys.argv[2:]: z.write(f)
z.close()' "$rv/host.zip" autorun.sh action_list local_action_record.sh RevocationNotifier-cert.crt)
	policy_for "$rv/host.policy" "$(pcr8)"
	check "revocation: node add of the host agent (Keylime-style payload)" \
		"$verifier" --state "$state" node add "$uh" --ek-hash "$host_ek" --payload "$rv/host.zip" --policy "$rv/host.policy"
	check "revocation: host agent attested" wait_state "$uh" attesting 30
	check "revocation: the host agent checks notices with the payload's certificate" \
		wait_grep 10 "checked against the payload's RevocationNotifier-cert.crt" "$host_run/agent.err"
	start_agent revfail "$uf" && {
		check "revocation: failing node registers" wait_state "$uf" active 30
		policy_for "$rv/fail.policy" 0000000000000000000000000000000000000000000000000000000000000000
		check "revocation: failing node added (built payload)" "$verifier" --state "$state" \
			node add "$uf" --ek-hash "$ek_hash" --kernel "$pl/kernel" --policy "$rv/fail.policy"
		check "revocation: the node fails" wait_state "$uf" failed 30
		check "revocation: the action ran with the notice" sh -c \
			"for i in \$(seq 1 100); do ls '$rv'/notice.*.json >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
		n=$(ls "$rv"/notice.*.json 2>/dev/null | head -1)
		check "revocation: the notice names the failed node, its address and the reason" \
			python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
assert m["type"] == "revocation" and m["agent_id"] == sys.argv[2], m
assert m["ip"] == "127.0.0.1" and "PCR 8 mismatch" in m["reason"] and m["event_time"], m' \
			"$n" "$uf"
		check "revocation: the action runner holds none of the agent's sockets" sh -c \
			"cat '$rv'/fds.*.txt | grep -q . && ! cat '$rv'/fds.*.txt | grep -q socket"
		check "revocation: the host agent says it checked the signature" \
			grep -q "signed revocation notice: revocation for agent $uf" "$host_run/agent.err"
		check "revocation: all actions done" wait_grep 10 "all actions done" "$host_run/agent.err"
		check "revocation: the verifier sent it to both nodes; the host agent took it" \
			wait_grep 10 "$uf: signed revocation notice taken by 1 of 2 node(s)" "$work/revocation.verifier.log"
		check "revocation: the failed node (no payload) refuses it: nothing to check it with" \
			wait_grep 10 "no certificate to check it with (no payload yet)" "$run/agent.err"
		stop_pid "$agent_pid"; agent_pid=
		# Forgeries: H must refuse each (400) and run nothing.
		rm -f "$rv"/notice.*.json
		printf '{"type":"revocation","agent_id":"%s","ip":"127.0.0.1","reason":"forged"}' "$uh" >"$rv/msg"
		openssl pkey -in "$state/revocation-notifier.pem" -out "$rv/verifier.key" 2>/dev/null
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$rv/other.key" 2>/dev/null
		pss() { # KEY FILE: Keylime's rsa_sign (PSS, MGF1-SHA-256, maximal salt), base64
			openssl dgst -sha256 -sign "$1" -sigopt rsa_padding_mode:pss \
				-sigopt rsa_pss_saltlen:max -sigopt rsa_mgf1_md:sha256 "$2" | base64 -w0
		}
		other_sig=$(pss "$rv/other.key" "$rv/msg")
		check "revocation: a notice signed by another key is refused (400)" \
			test "$(python3 "$helper" notice "$host_port" "$rv/msg" "$other_sig")" = 400
		check "revocation: an unsigned notice is refused (400)" \
			test "$(python3 "$helper" notice "$host_port" "$rv/msg" "")" = 400
		good_sig=$(pss "$rv/verifier.key" "$rv/msg")
		printf '{"type":"revocation","agent_id":"%s","ip":"127.0.0.2","reason":"forged"}' "$uh" >"$rv/msg2"
		check "revocation: a genuine signature over another message is refused (400)" \
			test "$(python3 "$helper" notice "$host_port" "$rv/msg2" "$good_sig")" = 400
		check "revocation: refusals name the signature" grep -q "notice refused: the signature does not verify" \
			"$host_run/agent.err"
		sleep 1
		check "revocation: no action ran for a forged notice" sh -c "! ls '$rv'/notice.*.json 2>/dev/null"
		# Keylime's own signer (OpenSSL here, as Python's cryptography does it) is accepted.
		check "revocation: a notice signed OpenSSL's way with the verifier's key is accepted (200)" \
			test "$(python3 "$helper" notice "$host_port" "$rv/msg" "$good_sig")" = 200
		check "revocation: and its action ran" sh -c \
			"for i in \$(seq 1 100); do ls '$rv'/notice.*.json >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
	}
	if [ -n "${AIRLOCK_TEST_PG_DIR:-}" ]; then
		# PostgreSQL: the database server dies mid-run (SIGKILL, as a crash or a lost
		# host), stays away for several intervals, comes back on the same data.
		. "$here/pg-lib.sh"
		pg_dir=$AIRLOCK_TEST_PG_DIR PG_BIN=$(pg_bin) pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
		check "db lost: host agent attesting before" test "$(vstate "$uh")" = attesting
		before=$(vshow "$uh" passes)
		pg_kill
		sleep 3
		check "db lost: the verifier keeps running" kill -0 "$ver_pid"
		check "db lost: its log says rounds wait for the database" \
			wait_grep 10 "database trouble, rounds are retried until it answers" "$work/revocation.verifier.log"
		"$verifier" --state "$state" node list >"$work/dblost.out" 2>&1
		check "db lost: node list fails with exit 1 and names the database" sh -c \
			"test $? = 1 && grep -q 'cannot connect to the PostgreSQL database' '$work/dblost.out'"
		check "db lost: the server comes back" pg_restart
		check "db lost: the verifier says the database answers again" \
			wait_grep 20 "database answers again" "$work/revocation.verifier.log"
		check "db lost: nothing committed was lost, rounds go on (passes $before, then more)" sh -c \
			"for i in \$(seq 1 100); do p=\$('$verifier' --state '$state' node show $uh --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"passes\"])'); [ \"\$p\" -gt $before ] && exit 0; sleep 0.2; done; exit 1"
		check "db lost: the node is still attesting (a database failure is not the node's)" \
			test "$(vstate "$uh")" = attesting
		check "db lost: no failure hook for it" sh -c "! grep -q '^$uh \(fail\|unreachable\)' '$work/hooks.log'"
	fi
	check "revocation: the host agent kept serving" kill -0 "$host_pid"
	stop_pid "$host_pid"; host_pid=
	stop_pid "$host_tpm_pid"; host_tpm_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# --- replayed quote (a proxy answers with the first integrity quote again) ---
u3=5a8c1e2f-0000-4000-8000-000000000003
start_verifier replay --ek-ca "$work/trust" $HOOKS && start_agent replay "$u3" --verify-grace 30 && {
	check "replay: agent registers" wait_state "$u3" active 30
	rm -f "$work/proxy.port"
	python3 "$helper" proxy "$work/proxy.port" "$agent_port" replay 2>"$work/proxy.err" &
	proxy_pid=$!
	wait_file "$work/proxy.port"
	policy_for "$work/replay.policy" "$(pcr8)"
	check "replay: node add through the proxy" "$verifier" --state "$state" node add "$u3" --ek-hash "$ek_hash" \
		--payload "$work/payload.zip" --policy "$work/replay.policy" \
		--agent "127.0.0.1:$(cat "$work/proxy.port")"
	check "replay: replayed quote fails the node" wait_state "$u3" failed 60
	check "replay: reason is the nonce" sh -c \
		"'$verifier' --state '$state' node show $u3 | grep -q 'not over our nonce'"
	check "replay: the proxy did replay" grep -q "replayed" "$work/proxy.err"
	stop_pid "$proxy_pid"; proxy_pid=
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# --- a quote signed by another AK: an attacker's TPM answers over the verifier's nonce ---
u6=5a8c1e2f-0000-4000-8000-000000000006
start_verifier foreignak --ek-ca "$work/trust" $HOOKS && start_agent foreignak "$u6" --verify-grace 30 && {
	check "foreign AK: agent registers" wait_state "$u6" active 30
	att=$work/attacker
	mkdir -p "$att/state"
	swtpm_setup --tpm2 --tpmstate "$att/state" --pcr-banks sha256 --config /dev/null \
		>"$att/setup.log" 2>&1
	att_port=$(free_port_pair)
	swtpm socket --tpm2 --tpmstate dir="$att/state" \
		--server type=tcp,port=$att_port,bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((att_port + 1)),bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear --log file="$att/swtpm.log" &
	att_pid=$!
	atcti=swtpm:host=127.0.0.1,port=$att_port
	for _w in $(seq 1 50); do tpm2_getcap -T "$atcti" properties-fixed >/dev/null 2>&1 && break; sleep 0.1; done
	tpm2_createek -T "$atcti" -c "$att/ek.ctx" -G rsa >/dev/null 2>&1 &&
		tpm2_flushcontext -T "$atcti" -t >/dev/null 2>&1 &&
		tpm2_createak -T "$atcti" -C "$att/ek.ctx" -c "$att/ak.ctx" -G rsa -g sha256 -s rsassa \
			>/dev/null 2>&1 &&
		tpm2_flushcontext -T "$atcti" -t >/dev/null 2>&1 &&
		tpm2_flushcontext -T "$atcti" -s >/dev/null 2>&1
	check "foreign AK: the attacker's TPM has an AK" test -s "$att/ak.ctx"
	rm -f "$work/proxy.port"
	python3 "$helper" proxy "$work/proxy.port" "$agent_port" foreign-ak "$atcti" "$att/ak.ctx" \
		"$att" 2>"$work/proxy-ak.err" &
	proxy_pid=$!
	wait_file "$work/proxy.port"
	policy_for "$work/foreignak.policy" "$(pcr8)"
	check "foreign AK: node add through the proxy (identity quote untouched)" \
		"$verifier" --state "$state" node add "$u6" --ek-hash "$ek_hash" --payload "$work/payload.zip" \
		--policy "$work/foreignak.policy" --agent "127.0.0.1:$(cat "$work/proxy.port")"
	check "foreign AK: a quote by another AK fails the node" wait_state "$u6" failed 60
	check "foreign AK: reason is the signature" sh -c \
		"'$verifier' --state '$state' node show $u6 | grep -q 'signature does not verify with the registered AK'"
	check "foreign AK: the proxy did substitute" grep -q "foreign AK quote" "$work/proxy-ak.err"
	check "foreign AK: no V, no handoff" sh -c "! grep -q 'received V' '$run/agent.err'"
	stop_pid "$proxy_pid"; proxy_pid=
	stop_pid "$att_pid"; att_pid=
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# --- unknown EK, AK never activated, wrong activation tag ---
u4=5a8c1e2f-0000-4000-8000-000000000004
"$verifier" ek-hash "$vectors/ek-rsa.pub" | sed 's/$/ vector-node/' >"$work/eklist"
start_verifier untrusted --ek-list "$work/eklist" $HOOKS && {
	start_agent untrusted "$u4" && {
		wait_agent
		check "unknown EK: the agent is refused (exit 3)" test "$agent_rc" = 3
		check "unknown EK: reason in the log" grep -q "refused $u4 from 127.0.0.1 (403): EK not in the node list" \
			"$work/untrusted.verifier.log"
		check "unknown EK: rejection recorded in the state" sh -c 'printf "%s\n" "$1" | grep -q "node list"' \
			_ "$(dbq "select reason from rejected where uuid='$u4'")"
		"$verifier" --state "$state" node show "$u4" >"$work/u4.show" 2>&1
		show_rc=$?
		check "unknown EK: node show says refused (exit 3) and why" sh -c \
			"test $show_rc = 3 && grep -q 'rejected (not registered)' '$work/u4.show' && grep -q 'EK not in the node list' '$work/u4.show'"
		check "unknown EK: no node of that uuid" sh -c "! '$verifier' --state '$state' node list | grep -q $u4"
	}
	st=$(python3 "$helper" register "$regport" noak "$vectors/ek-rsa.pub" "$vectors/ak-rsa.pub")
	check "listed EK registers without a TPM behind it (200)" test "$st" = 200
	"$verifier" --state "$state" node add noak --payload "$work/payload.zip" >"$work/noak.out" 2>&1
	check "AK never activated: node add refuses (exit 3)" test $? = 3
	check "AK never activated: says so" grep -q "never activated" "$work/noak.out"
	st=$(python3 "$helper" activate "$regport" noak 00112233)
	check "wrong auth_tag is refused (403)" test "$st" = 403
	"$verifier" --state "$state" node show noak >"$work/noak.show" 2>&1
	show_rc=$?
	check "a wrong auth_tag deletes nothing: the registration still waits; node show says so" sh -c \
		"test $show_rc = 0 && grep -q 'waiting for activation' '$work/noak.show' && grep -qi 'auth_tag' '$work/noak.show'"
	st=$(python3 "$helper" register "$regport" "bad/uuid" "$vectors/ek-rsa.pub" "$vectors/ak-rsa.pub")
	check "a uuid with a slash is refused" test "$st" != 200
	st=$(python3 "$helper" register "$regport" signer "$vectors/ek-rsa.pub" "$vectors/ek-rsa.pub")
	check "an EK offered as AK (not a signing key) is refused (403)" test "$st" = 403
	stop_pid "$ver_pid"; ver_pid=
}
# --- mutual TLS (the agent's default): pinned agent certificate, our client certificate ---
u5=5a8c1e2f-0000-4000-8000-000000000005
ca=$work/tls
mkdir -p "$ca"
test_mkcert "$ca" client-ca client-ca && test_mkcert "$ca" verifier client-ca &&
	test_mkcert "$ca" other-ca other-ca && test_mkcert "$ca" intruder other-ca
check "test client certificates made" test -s "$ca/intruder.pem"
start_verifier mtls --ek-ca "$work/trust" $HOOKS --client-cert "$ca/verifier.pem" --client-key "$ca/verifier.key" &&
	AGENT_MTLS=on start_agent mtls "$u5" --client-ca "$ca/client-ca.pem" && {
	check "mTLS: agent registers with its certificate" wait_state "$u5" active 30
	check "mTLS: the registration's certificate is kept" sh -c \
		"'$verifier' --state '$state' node show $u5 | grep -q '(mTLS)'"
	policy_for "$work/mtls.policy" "$(pcr8)"
	"$verifier" --state "$state" node add "$u5" --ek-hash "$ek_hash" --payload "$work/payload.zip" >"$work/mtls1.out" 2>&1
	rc=$?
	check "mTLS: node add without a client certificate says what to give (exit 1)" sh -c \
		"test $rc = 1 && grep -q 'give --client-cert' '$work/mtls1.out'"
	"$verifier" --state "$state" node add "$u5" --ek-hash "$ek_hash" --payload "$work/payload.zip" \
		--client-cert "$ca/intruder.pem" --client-key "$ca/intruder.key" >"$work/mtls2.out" 2>&1
	rc=$?
	check "mTLS: a client certificate from another CA is refused by the agent (exit 1)" sh -c \
		"test $rc = 1 && grep -q 'TLS' '$work/mtls2.out'"
	check "mTLS: node add with the verifier's certificate" "$verifier" --state "$state" node add "$u5" --ek-hash "$ek_hash" \
		--payload "$work/payload.zip" --policy "$work/mtls.policy" \
		--client-cert "$ca/verifier.pem" --client-key "$ca/verifier.key"
	check "mTLS: the daemon releases V over mutual TLS" wait_released "$u5" 30
	wait_agent
	check "mTLS: the agent finished the handoff (exit 0)" test "$agent_rc" = 0
	stop_pid "$ver_pid"; ver_pid=
}
check "the daemon logs no crash" sh -c "! grep -qi 'sanitizer\|segfault' '$work'/*.verifier.log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

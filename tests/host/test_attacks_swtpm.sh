#!/bin/sh
# The attacks of docs/threat-model.md against airlock-verifier and the real
# agent on swtpm, all on loopback (the attacker's connections come from
# 127.0.0.2, the nodes' and the verifier's from 127.0.0.1). The attackers:
#   (a) another machine whose TPM's EK chains to the same vendor CA,
#   (b) any host that can reach the registrar or an agent port,
#   (c) the previous tenant's OS on a node after kexec: it has the TPM (the
#       same AK can be made again) and the runtime's event log.
# Each section says what the attacker does and what must hold.
#   test_attacks_swtpm.sh AIRLOCK-VERIFIER AIRLOCK-AGENT TPM-MEASURE
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
verifier=$(abs "$1") agent=$(abs "$2") measure=$(abs "$3")
here=$(cd "$(dirname "$0")" && pwd)
helper=$here/verifier_helper.py
vectors=$here/../vectors/quote
. "$here/swtpm-lib.sh"
. "$here/verifier-lib.sh"
work=$(mktemp -d)
agent_pid= ver_pid= proxy_pid= hold_pid= spam_pid= other_pid= other_tpm_pid= scratch_pid=
cleanup() {
	stop_pid "$agent_pid"; stop_pid "$ver_pid"; stop_pid "$proxy_pid"; stop_pid "$hold_pid"
	stop_pid "$spam_pid"; stop_pid "$other_pid"; stop_pid "$other_tpm_pid"; stop_pid "$scratch_pid"
	swtpm_stop
	if [ "$fail" = 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
A=127.0.0.2 # the attacker's address

swtpm_local_ca "$work"
mkdir -p "$work/trust"
swtpm_start "$work/catmp" sha256 >/dev/null 2>&1; swtpm_stop
cp "$work/ca/issuercert.pem" "$work/ca/swtpm-localca-rootca-cert.pem" "$work/trust/" 2>/dev/null
check "test CA: root and issuer certificates exist" test -s "$work/trust/issuercert.pem"
head -c 50000 /dev/urandom >"$work/kernel"

# The node's EK as the provider publishes it: its TPM2B_PUBLIC, read before the agent
# runs (swtpm serves one client at a time). Sets $ek_pub.
ek_public() {
	ek_pub=$run/ek.pub
	tpm2_createek -T "$tpm" -G rsa -c "$run/ek.ctx" -u "$ek_pub" >/dev/null 2>&1 &&
		tpm2_flushcontext -T "$tpm" -t >/dev/null 2>&1
}
# A second TPM of the same vendor CA, kept running beside the node's: sets $other_tpm.
other_tpm() {
	_keep=$SWTPM_PID _keep_port=${SWTPM_PORT:-}; SWTPM_PID=
	swtpm_start "$work/$1" sha1,sha256 || { ko "$1: swtpm"; return 1; }
	other_tpm_pid=$SWTPM_PID other_tpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
	SWTPM_PID=$_keep SWTPM_PORT=$_keep_port
}
stop_other() { stop_pid "$other_pid"; other_pid=; stop_pid "$other_tpm_pid"; other_tpm_pid=; }
# run_agent_on TCTI NAME UUID [agent options]: the agent alone on a TPM that runs already.
run_agent_on() {
	_tcti=$1 _r=$work/$2; shift 2
	mkdir -p "$_r/state"
	"$measure" "$_tcti" "$_r/state/eventlog" "airlock runtime: state=ready" >/dev/null
	printf 'airlock.registrar=127.0.0.1:%s airlock.port=%s airlock.contact=127.0.0.2 airlock.mtls=insecure-off airlock.uuid=%s\n' \
		"$regport" "$(free_port)" "$1" >"$_r/config"
	shift
	"$agent" --config "$_r/config" --tpm "$_tcti" --state-dir "$_r/state" --dry-run --host \
		--listen 127.0.0.1 --fw-eventlog /nonexistent --ima-log /nonexistent --exit-after 60 \
		"$@" >"$_r/agent.out" 2>"$_r/agent.err" &
	other_pid=$!
}
wait_exit() { # PID SECONDS: sets $exit_rc (not in a subshell: wait needs our own child)
	exit_rc=timeout
	for _w in $(seq 1 $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; exit_rc=$?; return 0; }
		sleep 0.1
	done
}
states_never() { # UUID STATE SECONDS: the node is never in STATE during SECONDS
	for _w in $(seq 1 $(($3 * 5))); do
		[ "$(vstate "$1")" = "$2" ] && { echo "node $1 became $2"; return 1; }
		sleep 0.2
	done
	return 0
}

# ---------------------------------------------------------------------------
# (a) uuid squatting: another TPM of the same CA takes the node's uuid first.
# ---------------------------------------------------------------------------
STATE=$work/squat start_verifier squat --ek-ca "$work/trust" && {
	# An EK-derived uuid belongs to its EK: nobody else can register it.
	swtpm_stop; swtpm_start "$work/victim/tpm" sha1,sha256; run=$work/victim; tpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
	mkdir -p "$run"
	ek_public
	vuuid=$("$verifier" ek-hash --uuid "$ek_pub")
	check "squat: the provider's EK gives the node its uuid (ek-hash --uuid)" sh -c "echo '$vuuid' | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'"
	other_tpm squatter && run_agent_on "$other_tpm" squatter "$vuuid"
	wait_exit "$other_pid" 30
	check "squat: another TPM cannot register the node's EK-derived uuid (agent refused, exit 3)" \
		test "$exit_rc" = 3
	other_pid=
	check "squat: the registrar names why" grep -q "has the form of an EK-derived uuid but this EK's is" "$work/squat.verifier.log"
	stop_other
	# Now the node boots (derived uuid: none configured) and takes it.
	REBOOT=$work/victim start_agent victim ""
	check "squat: the node registers its own derived uuid" wait_state "$vuuid" active 30
	check "squat: its agent took that uuid" test "$(agent_uuid)" = "$vuuid"
	check "squat: node show says the uuid is derived from the EK" sh -c \
		"test '$(vshow "$vuuid" uuid_bound)' = 'derived from the EK'"
	check "squat: node add of a derived uuid needs no --ek-hash" "$verifier" --state "$state" \
		node add "$vuuid" --kernel "$work/kernel"
	stop_pid "$agent_pid"; agent_pid=

	# A uuid chosen by the provider (not derived): the squatter registers it first.
	u=11111111-2222-4333-8444-555555555555
	swtpm_stop
	other_tpm squatter2 && run_agent_on "$other_tpm" squatter2 "$u" --verify-grace 60 --exit-after 120
	check "squat: the squatter (same CA) registers the uuid first" wait_state "$u" active 30
	start_agent victim2 "$u"
	victim_hash=$ek_hash
	wait_agent
	check "squat: the real node is refused (exit 3): the uuid has another EK" test "$agent_rc" = 3
	check "squat: node show prints the EK hash, which is not the node's" sh -c \
		"h=\$('$verifier' --state '$state' node show $u --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"ek_hash\"])'); test -n \"\$h\" && test \"\$h\" != '$victim_hash'"
	"$verifier" --state "$state" node add "$u" --kernel "$work/kernel" >"$work/squat.add0" 2>&1
	rc=$?
	check "squat: node add without naming the EK refuses (exit 3): the uuid is not bound" sh -c \
		"test $rc = 3 && grep -q 'not bound to an EK you chose' '$work/squat.add0'"
	"$verifier" --state "$state" node add "$u" --ek-hash "$victim_hash" --kernel "$work/kernel" \
		>"$work/squat.add" 2>&1
	rc=$?
	check "squat: node add --ek-hash of the real node refuses the squatter (exit 3), naming both EKs" sh -c \
		"test $rc = 3 && grep -q 'another machine holds this uuid' '$work/squat.add' && grep -q '$victim_hash' '$work/squat.add'"
	check "squat: the squatter got no U and no payload" sh -c "! grep -q 'received U' '$work/squatter2/agent.err'"
	stop_other
	check "squat: node delete frees the uuid (the pin stays)" sh -c \
		"'$verifier' --state '$state' node delete $u | grep -q 'pin stays'"
	other_tpm squatter3 && run_agent_on "$other_tpm" squatter3 "$u"
	wait_exit "$other_pid" 30
	check "squat: the squatter cannot take the pinned uuid again (exit 3)" test "$exit_rc" = 3
	other_pid=
	check "squat: the registrar says it is pinned" grep -q "the tenant pinned uuid $u to EK" "$work/squat.verifier.log"
	stop_other
	REBOOT=$work/victim2 start_agent victim2b "$u"
	check "squat: the real node registers the pinned uuid" wait_state "$u" active 30
	check "squat: and is enrolled with --ek-hash" "$verifier" --state "$state" node add "$u" \
		--ek-hash "$victim_hash" --kernel "$work/kernel"
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# The provider's EK list may name a node by its uuid: that uuid is that EK's.
STATE=$work/listed
swtpm_stop
swtpm_start "$work/listed-node/tpm" sha1,sha256 && {
	run=$work/listed-node tpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
	ek_public
	ul=22222222-3333-4444-8555-666666666666
	echo "$("$verifier" ek-hash "$ek_pub") $ul" >"$work/listed.eklist"
	start_verifier listed --ek-ca "$work/trust" --ek-list "$work/listed.eklist" && {
		other_tpm squatter4 && run_agent_on "$other_tpm" squatter4 "$ul"
		wait_exit "$other_pid" 30
		check "list: a CA-trusted squatter cannot take a uuid the list gives another EK (exit 3)" \
			test "$exit_rc" = 3
		other_pid=
		check "list: the registrar names the list" grep -q "the provider's EK list gives uuid $ul" \
			"$work/listed.verifier.log"
		stop_other
		REBOOT=$work/listed-node start_agent listed-node2 "$ul"
		check "list: the listed node registers" wait_state "$ul" active 30
		check "list: node show says the list binds the uuid" \
			test "$(vshow "$ul" uuid_bound)" = "named by the provider's EK list"
		stop_pid "$agent_pid"; agent_pid=
		stop_pid "$ver_pid"; ver_pid=
	}
}
STATE=

# ---------------------------------------------------------------------------
# (b) Any host: replayed registrations, forged AKs, wrong tags against a node
# that attests, and wrong tags while a node boots.
# ---------------------------------------------------------------------------
ub=33333333-4444-4555-8666-777777777777
start_verifier reset --ek-ca "$work/trust" && start_agent reset "$ub" --host && {
	check "reset: the node registers" wait_state "$ub" active 30
	policy_for "$work/reset.policy" "$(pcr8)"
	check "reset: node add" "$verifier" --state "$state" node add "$ub" --ek-hash "$ek_hash" \
		--kernel "$work/kernel" --policy "$work/reset.policy"
	check "reset: the node attests" wait_state "$ub" attesting 30
	# What anyone reads from the registrar and the wire: the EK, its certificate, the AK.
	python3 - "$regport" "$ub" "$work" <<'EOP'
import base64, http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/v2.1/agents/" + sys.argv[2])
r = json.loads(c.getresponse().read())["results"]
open(sys.argv[3] + "/victim.ek", "wb").write(base64.b64decode(r["ek_tpm"]))
open(sys.argv[3] + "/victim.ak", "wb").write(base64.b64decode(r["aik_tpm"]))
EOP
	before=$(vshow "$ub" passes)
	st=$(python3 "$helper" register "$regport" "$ub" "$work/victim.ek" "$vectors/ak-rsa.pub" \
		"$run/ek.crt" 127.0.0.2 9999 $A)
	check "reset: the node's EK and certificate with a software AK are refused (403)" test "$st" = 403
	check "reset: ... naming the different identity" grep -q "re-registration with different TPM identity" \
		"$work/reset.verifier.log"
	st=$(python3 "$helper" register "$regport" "$ub" "$work/victim.ek" "$work/victim.ak" \
		"$run/ek.crt" 127.0.0.2 9999 $A)
	check "reset: a replay of the node's own registration gets a credential it cannot use (200)" test "$st" = 200
	for i in $(seq 1 30); do python3 "$helper" activate "$regport" "$ub" "$(printf %096d "$i")" >/dev/null; done
	st=$(python3 "$helper" activate "$regport" "$ub" "$(printf %096d 0)")
	check "reset: wrong auth_tags are refused (403)" test "$st" = 403
	sleep 2
	check "reset: the node still attests" test "$(vstate "$ub")" = attesting
	check "reset: its contact is unchanged" test "$(vshow "$ub" port)" = "$agent_port"
	check "reset: and its rounds go on" test "$(vshow "$ub" passes)" -gt "$before"
	check "reset: the refusals are recorded, one row, counted" sh -c 'printf "%s\n" "$1" | grep -Eq "^1\|3[0-9]$"' \
		_ "$(dbq "select count(*), sum(count) from rejected where uuid='$ub'")"
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}
# Wrong tags sent all the while a node boots: its own activation still goes through.
us=44444444-5555-4666-8777-888888888888
start_verifier spam --ek-ca "$work/trust" && {
	python3 "$helper" spam-activate "$regport" "$us" 12 $A >"$work/spam.count" &
	spam_pid=$!
	sleep 0.5
	start_agent spam "$us" && {
		check "spam: the node activates while wrong tags pour in" wait_state "$us" active 30
		wait_exit "$spam_pid" 20; spam_pid=
		check "spam: hundreds of wrong tags were sent meanwhile ($(cat "$work/spam.count"))" \
			test "$(cat "$work/spam.count")" -gt 100
		check "spam: the agent serves (not refused)" grep -q "registered and activated" "$run/agent.err"
	}
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# ---------------------------------------------------------------------------
# Quotes that leave something out: PCR 9 events the TPM never saw; PCR 8 left out.
# ---------------------------------------------------------------------------
u9=55555555-6666-4777-8888-999999999999
start_verifier pcr9 --ek-ca "$work/trust" && start_agent pcr9 "$u9" --verify-grace 30 && {
	check "pcr9: the node registers" wait_state "$u9" active 30
	# The log gains a PCR 9 event measured into another TPM: the node's PCR 9 stays zero.
	other_tpm scratch && {
		"$measure" --resume --pcr 9 "$other_tpm" "$run/state/eventlog" \
			"airlock kernel: sha256=$(printf %064d 0) size=1" >/dev/null
		stop_other
	}
	cat >"$work/pcr9.policy" <<EOJ
{"airlock_policy": 1, "hash_alg": "sha256",
 "runtime_events": {"8": [{"text": "airlock runtime: state=ready"}],
                    "9": [{"text": "airlock kernel: sha256=$(printf %064d 0) size=1"}]}}
EOJ
	check "pcr9: node add with rules for PCRs 8 and 9" "$verifier" --state "$state" node add "$u9" \
		--ek-hash "$ek_hash" --kernel "$work/kernel" --policy "$work/pcr9.policy"
	check "pcr9: the node fails" wait_state "$u9" failed 30
	check "pcr9: the report says PCR 9 does not replay" sh -c \
		"'$verifier' --state '$state' node show $u9 | grep -q 'PCR 9: the event logs do not replay'"
	check "pcr9: no V" sh -c "! grep -q 'received V' '$run/agent.err'"
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}
u8=66666666-7777-4888-8999-aaaaaaaaaaaa
start_verifier pcr8 --ek-ca "$work/trust" && start_agent pcr8 "$u8" --verify-grace 30 && {
	check "pcr8: the node registers" wait_state "$u8" active 30
	rm -f "$work/proxy.port"
	python3 "$helper" proxy "$work/proxy.port" "$agent_port" drop-pcr8 2>"$work/proxy8.err" &
	proxy_pid=$!
	wait_file "$work/proxy.port"
	check "pcr8: node add without a policy, through a proxy that drops PCR 8 from the quote" \
		"$verifier" --state "$state" node add "$u8" --ek-hash "$ek_hash" --kernel "$work/kernel" \
		--agent "127.0.0.1:$(cat "$work/proxy.port")"
	check "pcr8: the node fails" wait_state "$u8" failed 30
	check "pcr8: the report says PCR 8 is not in the quote" sh -c \
		"'$verifier' --state '$state' node show $u8 | grep -q 'PCR 8 was asked for but is not in the quote'"
	check "pcr8: no V" sh -c "! grep -q 'received V' '$run/agent.err'"
	stop_pid "$proxy_pid"; proxy_pid=
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# ---------------------------------------------------------------------------
# (c) The previous tenant's OS after kexec: the same TPM (not reset), the same AK
# made again, the runtime's log: it registers anew and asks for a new payload.
# ---------------------------------------------------------------------------
uf=77777777-8888-4999-8aaa-bbbbbbbbbbbb
start_verifier fresh --ek-ca "$work/trust" && start_agent boot1 "$uf" && {
	boot1=$run boot1_ek=$ek_hash
	check "fresh: the node registers" wait_state "$uf" active 30
	cp "$(dirname "$run")/boot1/ek.crt" "$work/boot1.ekcrt" 2>/dev/null
	python3 - "$regport" "$uf" "$work/boot1.ak" <<'EOP'
import base64, http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/v2.1/agents/" + sys.argv[2])
open(sys.argv[3], "wb").write(base64.b64decode(json.loads(c.getresponse().read())["results"]["aik_tpm"]))
EOP
	check "fresh: node add" "$verifier" --state "$state" node add "$uf" --ek-hash "$ek_hash" \
		--kernel "$work/kernel"
	check "fresh: V released on the fresh runtime" wait_state "$uf" handed_off 40
	wait_agent
	check "fresh: the runtime handed off (dry run; the tail is measured)" test "$agent_rc" = 0
	check "fresh: its log holds the handoff event" grep -aq "airlock attest: result=pass" "$boot1/state/eventlog"
	# The tenant OS: same TPM, no reset, the runtime's log, an agent of its own.
	gen_before=$(vshow "$uf" generation)
	SAME_BOOT=$boot1 start_agent tenantos "$uf" --host
	check "fresh: the tenant OS registers the uuid again (same EK, same AK: allowed)" wait_state "$uf" active 30
	# A round of the enrolment it ended must not land on the new registration.
	gen_after=$(vshow "$uf" generation)
	check "fresh: registering again starts a new generation ($gen_before, then $gen_after)" \
		python3 -c 'import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))' \
		"${gen_before:-x}" "${gen_after:-x}"
	check "fresh: ... and the AK is the runtime's" sh -c "python3 - '$regport' '$uf' '$work/os.ak' <<'EOP'
import base64, http.client, json, sys
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=10)
c.request('GET', '/v2.1/agents/' + sys.argv[2])
open(sys.argv[3], 'wb').write(base64.b64decode(json.loads(c.getresponse().read())['results']['aik_tpm']))
EOP
cmp '$work/os.ak' '$work/boot1.ak'"
	check "fresh: the tenant adds the node with a new payload" "$verifier" --state "$state" \
		node add "$uf" --ek-hash "$boot1_ek" --kernel "$work/kernel"
	check "fresh: V is refused: not a fresh boot" wait_state "$uf" failed 30
	check "fresh: the report names the handoff event" sh -c \
		"'$verifier' --state '$state' node show $uf | grep -q 'not a fresh boot: PCR 8 shows this TPM.s runtime already handed off'"
	check "fresh: the tenant OS got no V" sh -c "! grep -q 'received V' '$run/agent.err'"
	stop_pid "$agent_pid"; agent_pid=
	# The same, but the policy says it attests the tenant's own OS (fresh_boot false).
	SAME_BOOT=$boot1 start_agent tenantos2 "$uf" --host
	check "fresh: the tenant OS registers again" wait_state "$uf" active 30
	policy_for "$work/os.policy" "$(pcr8)" '"fresh_boot": false'
	# The quote happens after start_agent measured nothing more: PCR 8 is as the runtime left it.
	check "fresh: node add with \"fresh_boot\": false" "$verifier" --state "$state" node add "$uf" \
		--ek-hash "$boot1_ek" --kernel "$work/kernel" --policy "$work/os.policy"
	check "fresh: a policy that says so attests the tenant OS and releases V" wait_state "$uf" attesting 30
	stop_pid "$agent_pid"; agent_pid=
	# A real reboot (TPM reset): a fresh runtime, the same AK, V again.
	REBOOT=$boot1 start_agent boot2 "$uf"
	check "fresh: after a reboot the node registers again" wait_state "$uf" active 30
	python3 - "$regport" "$uf" "$work/boot2.ak" <<'EOP'
import base64, http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/v2.1/agents/" + sys.argv[2])
open(sys.argv[3], "wb").write(base64.b64decode(json.loads(c.getresponse().read())["results"]["aik_tpm"]))
EOP
	check "fresh: the AK is byte-identical across the boots" cmp "$work/boot1.ak" "$work/boot2.ak"
	# With the daemon stopped, node add leaves V where it rests until released.
	stop_pid "$ver_pid"; ver_pid=
	mkdir -p "$work/vcheck"
	check "fresh: node add after the reboot" "$verifier" --state "$state" node add "$uf" \
		--ek-hash "$boot1_ek" --kernel "$work/kernel"
	if [ -n "${AIRLOCK_TEST_PG:-}" ]; then
		# PostgreSQL: V waits sealed in the database (nonce, V, tag), under a key that is not.
		check "fresh: V waits sealed in the database (60 bytes), no V file" sh -c \
			'test "$1" = 60 && test ! -e "$2"' _ \
			"$(dbq "select length(sealed) from pending_v where uuid='$uf'")" "$state/pending-v/$uf"
		check "fresh: the sealing key is the state directory's, 0600, not the database's" \
			test "$(stat -c %a "$state/v-seal.key")" = 600
	else
		cp "$state/pending-v/$uf" "$work/vcheck/v" 2>/dev/null
		# V, then the enrolment (generation) it belongs to.
		check "fresh: V waits in its own file until released" test "$(stat -c %s "$work/vcheck/v" 2>/dev/null)" = 40
	fi
	start_verifier fresh2 --ek-ca "$work/trust"
	check "fresh: the fresh runtime gets V" wait_state "$uf" handed_off 40
	if [ -n "${AIRLOCK_TEST_PG:-}" ]; then
		check "fresh: the sealed V is gone from the database once released" \
			test "$(dbq "select count(*) from pending_v where uuid='$uf'")" = 0
	else
		check "fresh: V is in no file of the state directory once released" python3 - "$work/vcheck/v" "$state" <<'EOP'
import os, sys
v = open(sys.argv[1], "rb").read()[:32]
assert len(v) == 32
for d, _, files in os.walk(sys.argv[2]):
    for f in files:
        p = os.path.join(d, f)
        assert v not in open(p, "rb").read(), "V found in " + p
EOP
	fi
	wait_agent
	# Another AK under the known uuid (the TPM was not cleared): refused, reason named.
	REBOOT=$boot1 start_agent boot3 "$uf" --ak ecc
	wait_agent
	check "fresh: another AK under a registered uuid is refused (agent exit 3)" test "$agent_rc" = 3
	check "fresh: the agent says why" grep -q "re-registration with different TPM identity" "$run/agent.err"
	stop_pid "$ver_pid"; ver_pid=
}

# ---------------------------------------------------------------------------
# (b) Transient trouble never fails a node: connections held to its agent, a lost
# V answer, a lost keys/verify, an agent answering 400 with a forged log line.
# ---------------------------------------------------------------------------
ut=88888888-9999-4aaa-8bbb-cccccccccccc
start_verifier transient --ek-ca "$work/trust" && start_agent transient "$ut" --host && {
	check "transient: the node registers" wait_state "$ut" active 30
	policy_for "$work/t.policy" "$(pcr8)"
	check "transient: node add" "$verifier" --state "$state" node add "$ut" --ek-hash "$ek_hash" \
		--kernel "$work/kernel" --policy "$work/t.policy"
	check "transient: attesting" wait_state "$ut" attesting 30
	# 40 idle connections from another host: the verifier still gets in.
	python3 "$helper" hold "$agent_port" $A 40 8 "$work/hold.ready" &
	hold_pid=$!
	wait_file "$work/hold.ready"
	p0=$(vshow "$ut" passes)
	check "transient: 40 held connections from elsewhere: never failed" states_never "$ut" failed 6
	check "transient: ... and the rounds go on ($(cat "$work/hold.ready") held)" test "$(vshow "$ut" passes)" -gt "$p0"
	wait_exit "$hold_pid" 20; hold_pid=
	# 40 from the verifier's own address: the agent is full (503); still not failed.
	python3 "$helper" hold "$agent_port" 127.0.0.1 40 8 "$work/hold2.ready" &
	hold_pid=$!
	wait_file "$work/hold2.ready"
	check "transient: the agent full for everyone: never failed" states_never "$ut" failed 7
	wait_exit "$hold_pid" 20; hold_pid=
	check "transient: the agent said it was full" grep -q "refused, 8 connections open from that address" "$run/agent.err"
	check "transient: attesting again once the connections go" wait_state "$ut" attesting 60
	check "transient: no revocation notice went out" sh -c "! grep -q 'revocation notice' '$work/transient.verifier.log'"
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}
for mode in lose-vkey-answer lose-verify; do
	uv=99999999-aaaa-4bbb-8ccc-00000000000$([ $mode = lose-verify ] && echo 2 || echo 1)
	start_verifier "$mode" --ek-ca "$work/trust" && start_agent "$mode" "$uv" --verify-grace 60 && {
		check "$mode: the node registers" wait_state "$uv" active 30
		rm -f "$work/proxy.port"
		python3 "$helper" proxy "$work/proxy.port" "$agent_port" "$mode" 2>"$work/$mode.proxy.err" &
		proxy_pid=$!
		wait_file "$work/proxy.port"
		check "$mode: node add through the proxy" "$verifier" --state "$state" node add "$uv" \
			--ek-hash "$ek_hash" --kernel "$work/kernel" --agent "127.0.0.1:$(cat "$work/proxy.port")"
		check "$mode: V released and keys/verify matched all the same" wait_state "$uv" handed_off 60
		check "$mode: the proxy did lose an answer" grep -q "proxy: \(the agent took V\|lost the keys/verify\)" \
			"$work/$mode.proxy.err"
		n=$(grep -c "proxy: POST /v2.[0-9]/keys/vkey" "$work/$mode.proxy.err")
		if [ $mode = lose-vkey-answer ]; then
			check "$mode: V sent again once (the agent takes the same V: $n POSTs)" test "$n" = 2
		else
			check "$mode: V sent once; keys/verify asked again ($n POSTs)" test "$n" = 1
		fi
		check "$mode: never failed" sh -c "! '$verifier' --state '$state' node show $uv | grep -q ' fail '"
		stop_pid "$proxy_pid"; proxy_pid=
		wait_agent
		stop_pid "$ver_pid"; ver_pid=
	}
done
ue=99999999-aaaa-4bbb-8ccc-000000000003
start_verifier evil --ek-ca "$work/trust" && start_agent evil "$ue" --verify-grace 30 && {
	check "evil: the node registers" wait_state "$ue" active 30
	rm -f "$work/proxy.port"
	python3 "$helper" proxy "$work/proxy.port" "$agent_port" evil-400 2>"$work/evil.proxy.err" &
	proxy_pid=$!
	wait_file "$work/proxy.port"
	check "evil: node add" "$verifier" --state "$state" node add "$ue" --ek-hash "$ek_hash" \
		--kernel "$work/kernel" --agent "127.0.0.1:$(cat "$work/proxy.port")"
	check "evil: a 400 answer fails the node" wait_state "$ue" failed 30
	check "evil: the agent's text reaches the log only printable, on one line" sh -c \
		"! grep -q '^FAKE LOG LINE' '$work/evil.verifier.log' && ! grep -q \"\$(printf '\\033')\" '$work/evil.verifier.log'"
	check "evil: node show's reason is printable" sh -c \
		"'$verifier' --state '$state' node show $ue --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[\"reason\"]; assert r.isprintable() and \"FAKE LOG LINE\" in r, r'"
	stop_pid "$proxy_pid"; proxy_pid=
	stop_pid "$agent_pid"; agent_pid=
	stop_pid "$ver_pid"; ver_pid=
}

# ---------------------------------------------------------------------------
# (b) Unbounded state and held connections at the registrar.
# ---------------------------------------------------------------------------
"$verifier" ek-hash "$vectors/ek-rsa.pub" | sed 's/$/ vector-node/' >"$work/flood.eklist"
STATE=$work/flood-state start_verifier flood --ek-ca "$work/trust" --ek-list "$work/flood.eklist" && {
	# A listed EK with no TPM behind it: registrations wait, but only so many.
	out=$(python3 "$helper" flood "$regport" "$vectors/ek-rsa.pub" "$vectors/ak-rsa.pub" 200 $A)
	check "flood: one peer gets 64 registrations waiting, then 429 ($(echo $out))" sh -c \
		"echo '$out' | grep -qx '200 64' && echo '$out' | grep -qx '429 136'"
	check "flood: at most 64 rows wait for that peer" test \
		"$(dbq "select count(*) from pending where peer='$A'")" = 64
	# A real node from its own address still registers.
	start_agent flood-node aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee && {
		check "flood: a node from another address still registers" \
			wait_state aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee active 30
		stop_pid "$agent_pid"; agent_pid=
	}
	# An untrusted EK (a key of no listed or certified EK) again and again: one row, counted.
	out=$(python3 "$helper" flood "$regport" "$vectors/ak-ecc.pub" "$vectors/ak-rsa.pub" 1000 $A same-uuid)
	check "flood: 1000 refusals of one uuid ($(echo $out))" sh -c "echo '$out' | grep -qx '403 1000'"
	rows=$(dbq "select count(*) from rejected")
	cnt=$(dbq "select count from rejected where uuid='same-uuid'")
	check "flood: ... stored as one row counting them ($rows rows, count $cnt)" test "${cnt:-0}" -ge 1000
	check "flood: the log says how many it did not log one by one" grep -q "more refusals in the last second" \
		"$work/flood.verifier.log"
	# 300 connections held from one host: another host's request still gets an answer.
	python3 "$helper" hold "$regport" $A 300 6 "$work/rhold.ready" &
	hold_pid=$!
	wait_file "$work/rhold.ready"
	st=$(python3 "$helper" register "$regport" held-check "$vectors/ek-rsa.pub" "$vectors/ak-rsa.pub")
	check "flood: 300 connections held from one host ($(cat "$work/rhold.ready") open); another host is answered ($st)" \
		test "$st" = 200
	check "flood: the registrar refused the hog beyond its share" grep -q "connections open from that address" \
		"$work/flood.verifier.log"
	wait_exit "$hold_pid" 20; hold_pid=
	stop_pid "$ver_pid"; ver_pid=
}
# One EK holds at most 8 uuids.
start_verifier many --ek-ca "$work/trust" && {
	swtpm_stop
	swtpm_start "$work/many/tpm" sha1,sha256 && {
		mtpm=swtpm:host=127.0.0.1,port=$SWTPM_PORT
		refused=0 taken=0
		for i in 1 2 3 4 5 6 7 8 9; do
			run_agent_on "$mtpm" "many$i" "bbbbbbbb-0000-4000-8000-00000000000$i"
			for _w in $(seq 1 100); do
				grep -q "registered and activated\|registration failed" "$work/many$i/agent.err" 2>/dev/null && break
				sleep 0.1
			done
			grep -q "registered and activated" "$work/many$i/agent.err" && taken=$((taken + 1))
			grep -q "already holds 8 uuids" "$work/many$i/agent.err" && refused=$((refused + 1))
			stop_pid "$other_pid"; other_pid=
		done
		check "many: one EK registers 8 uuids, the 9th is refused ($taken taken, $refused refused)" \
			sh -c "test $taken = 8 && test $refused = 1"
	}
	stop_pid "$ver_pid"; ver_pid=
}
check "the verifiers logged no crash" sh -c "! grep -qi 'sanitizer\|segfault' '$work'/*.verifier.log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

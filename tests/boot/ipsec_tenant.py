# SPDX-License-Identifier: GPL-2.0-only
"""Issue 7's IPsec part: two attested nodes bring up a strongSwan IKEv2 tunnel over a
private link, and when the verifier fails one of them the other tears it down.

Each node boots the airlock runtime, is attested, and gets its own payload: the test
tenant kernel, an initrd with strongSwan (charon and swanctl from the host, with the
libraries ldd names), airlock-agent and tpm-measure, and an IPsec tree of its own: an
EC P-256 certificate and key from a test CA the tenant side made, the CA, and one
connection to the other node. The nodes share a QEMU socket network (the private link,
192.168.77.0/24); their inner addresses (10.77.0.1 and .2) are reachable only through
an ESP tunnel: charon routes the peer's inner address (table 220) while the CHILD_SA is
up, and nothing else does.

In the tenant OS each node runs airlock-agent in host mode (a Keylime agent on its own
uuid), which the verifier attests with the node's runtime policy (the PCRs stay as the
runtime left them, and the tenant has the runtime event log). Its Keylime-style payload
carries the verifier's RevocationNotifier certificate and a revocation action that tears
down the tunnel to the failed node and unloads its connection. Node A then extends
PCR 8 behind its log's back; the verifier fails it and signs a revocation notice to every
node; node B's agent checks it and runs the action. Measured: from the extend on A to
the tunnel gone on B, both seen on the consoles."""
import io
import json
import os
import re
import subprocess
import time
import zipfile

from qemu import Failure, Qemu
from tenant import free_port, newc, _with_parents

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
PLUGINS = ("pem", "openssl", "kdf", "nonce", "kernel-netlink", "socket-default", "vici")
STRONGSWAN_CONF = """# airlock test tenant: only these plugins, no strongswan.d, log to a file
charon {
    load_modular = no
    load = %s
    install_routes = yes
    routing_table = 220
    routing_table_prio = 220
    install_virtual_ip = no
    filelog {
        charon {
            path = /var/log/charon.log
            default = 1
            ike = 2
            knl = 2
            flush_line = yes
        }
    }
    plugins {
        vici {
            socket = unix:///var/run/charon.vici
        }
    }
}
swanctl {
    load = pem openssl
}
""" % " ".join(PLUGINS)

INIT = b"""#!/bin/busybox sh
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sysfs /sys
$b mount -t devtmpfs devtmpfs /dev 2>/dev/null
$b mount -t tmpfs tmpfs /run
$b --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /var/run /var/log /etc/swanctl /run/agent
echo "tenant: up"
. /airlock/ipsec/node.env
# The provider's network and the private link, told apart by the link's MAC.
for d in /sys/class/net/*; do
    n=${d##*/}
    [ "$n" = lo ] && continue
    if [ "$(cat $d/address)" = "$LINK_MAC" ]; then link=$n; else up=$n; fi
done
ip link set lo up
ip addr add $INNER/32 dev lo
ip link set $up up
# No default route: the peer's inner address must have no way but the tunnel.
ip addr add 10.0.2.15/24 dev $up
ip link set $link up
ip addr add $OUTER/24 dev $link
echo "tenant: links up ($up provider, $link private)"
# Where the booted system's strongSwan loads its configuration from.
cp -r /airlock/ipsec/. /etc/swanctl/
charon >/dev/null 2>&1 &
for i in $(seq 1 100); do [ -S /var/run/charon.vici ] && break; sleep 0.1; done
if swanctl --load-all --noprompt >/run/swanctl-load.log 2>&1; then
    echo "tenant: ipsec loaded: $(grep -c 'loaded connection' /run/swanctl-load.log) connection(s)"
else
    echo "tenant: ipsec not loaded"; cat /run/swanctl-load.log
fi
printf 'airlock.registrar=%s airlock.uuid=%s airlock.port=%s airlock.contact=127.0.0.1 airlock.mtls=insecure-off\\n' \\
    "$REGISTRAR" "$OS_UUID" "$OS_PORT" >/run/agent.conf
airlock-agent --host --config /run/agent.conf --state-dir /run/agent --eventlog /airlock/eventlog \\
    --ima-log /nonexistent >/run/agent.log 2>&1 &
echo "tenant: agent started"
# The receiver: hash whatever arrives on the inner address and answer with the hash.
( while :; do nc -l -p 5001 -e /bin/busybox sha256sum || sleep 1; done ) >/dev/null 2>&1 &
echo "tenant: ready"
exec sh </dev/console >/dev/console 2>&1
"""

# A Keylime revocation action (docs/agent.md): $1 is the notice. It finds the failed
# node among this node's peers, drops that connection from the configuration charon
# loads, reloads (which unloads it: the peer cannot come back), and ends the IKE_SA.
ACTION = b"""#!/bin/sh
id=$(sed -n 's/.*"agent_id":"\\([^"]*\\)".*/\\1/p' "$1")
while read -r uuid conn; do
    [ "$uuid" = "$id" ] || continue
    rm -f /etc/swanctl/conf.d/$conn.conf
    swanctl --load-conns >/dev/null &&
        swanctl --terminate --ike $conn --force --timeout 3 >/dev/null
    printf '\nairlock-ipsec: tunnel %s to %s torn down: %s\n' $conn $uuid $? >/dev/console
done <peers
"""

NODES = ({"name": "nodeA", "outer": "192.168.77.1", "inner": "10.77.0.1",
          "mac": "52:54:00:77:00:01"},
         {"name": "nodeB", "outer": "192.168.77.2", "inner": "10.77.0.2",
          "mac": "52:54:00:77:00:02"})


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    if r.returncode != 0:
        raise Failure("%s failed: %s" % (" ".join(cmd[:3]), r.stderr.strip()))
    return r.stdout


def strongswan_files():
    """charon, swanctl, the plugins and every library ldd names for them."""
    missing = [p for p in (CHARON, SWANCTL) if not os.path.exists(p)]
    if missing:
        raise Failure("strongSwan is not installed (%s; Debian packages strongswan-charon "
                      "strongswan-swanctl libstrongswan)" % ", ".join(missing))
    bins = {"usr/lib/ipsec/charon": CHARON, "usr/sbin/swanctl": SWANCTL,
            "bin/busybox": "/bin/busybox"}
    for p in PLUGINS:
        bins["usr/lib/ipsec/plugins/libstrongswan-%s.so" % p] = \
            "/usr/lib/ipsec/plugins/libstrongswan-%s.so" % p
    files = {}
    for name, path in bins.items():
        files[name] = (0o755, open(path, "rb").read())
        for lib in re.findall(r"(/\S+) \(0x", _run(["ldd", path])):
            files.setdefault(lib.lstrip("/"), (0o755, open(os.path.realpath(lib), "rb").read()))
    # glibc loads libgcc_s at run time (pthread_cancel), so ldd does not name it.
    m = re.search(r"libgcc_s\.so\.1 \(libc6,x86-64\) => (\S+)", _run(["ldconfig", "-p"]))
    if not m:
        raise Failure("libgcc_s.so.1 not found by ldconfig -p (Debian package libgcc-s1)")
    files[m.group(1).lstrip("/")] = (0o755, open(os.path.realpath(m.group(1)), "rb").read())
    files["bin/charon"] = files["usr/lib/ipsec/charon"]
    files["etc/strongswan.conf"] = (0o644, STRONGSWAN_CONF.encode())
    return files


class IpsecTenant:
    """The tenant side for verifier_flow(nodes=2): kernel, initrd, per-node IPsec trees,
    the private link, and after() for the tunnel and revocation steps."""
    up_re = r"^tenant: up$"
    done_re = r"^tenant: ready$"
    volume = None
    deliver_key = False
    cmdline = "console=ttyS0,115200 loglevel=1 rdinit=/tenant-init panic=10"

    def __init__(self, a, work):
        self.a = a
        self.work = work
        self.kernel = a.tenant_kernel
        self.measure = os.path.join(os.path.dirname(a.peer), "tpm-measure")
        root = os.path.join(a.image, "initramfs-root")
        files = strongswan_files()
        files.update({
            "tenant-init": (0o755, INIT),
            "bin/airlock-agent": (0o755, open(os.path.join(root, "bin/airlock-agent"),
                                              "rb").read()),
            "bin/tpm-measure": (0o755, open(self.measure, "rb").read()),
            "dev/console": (0o600, None, (5, 1)),
        })
        for d in ("proc", "sys", "dev", "run", "tmp", "var", "etc/swanctl/conf.d"):
            files[d] = (0o755, None)
        self.initrd = os.path.join(work, "ipsec-initrd")
        with open(self.initrd, "wb") as f:
            f.write(newc(_with_parents(files)))
        self.link_port = free_port()
        self.os_ports = {}  # the runtime agent's forwarded port -> the tenant agent's
        self.ca = os.path.join(work, "ca")
        os.makedirs(self.ca)
        _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-nodes", "-subj", "/CN=airlock-test-ipsec-ca", "-days", "2",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign",
              "-keyout", os.path.join(self.ca, "ca.key"), "-out", os.path.join(self.ca, "ca.pem")])

    def make_disk(self, n):
        return None

    def launch(self, a, work, cmdline, agent_port, tpm, files, srv, extra=()):
        """direct_boot with a second forwarded port: the tenant's agent (guest 9003) must
        not answer on the runtime agent's port, where the verifier still polls the
        runtime's uuid (with the runtime's AK) until it gives up on it."""
        os_port = self.os_ports[agent_port] = free_port()
        vm = Qemu(work, "node", ["-kernel", os.path.join(a.image, "bzImage"), "-append", cmdline,
                                 "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9002,"
                                 "hostfwd=tcp:127.0.0.1:%d-:9003" % (agent_port, os_port),
                                 "-device", "virtio-net-pci,netdev=n0"] + list(extra), tpm=tpm)
        return vm, cmdline

    def prepare(self, n, index, ver):
        """Node index's IPsec tree: its certificate and key, the CA, one connection to the
        other node in conf.d (so a revocation action can drop it), and node.env."""
        me, peer = NODES[index], NODES[1 - index]
        n.ipsec_node = me
        n.os_uuid = n.uuid[:-4] + "ee%02d" % index
        tree = n.ipsec = os.path.join(n.work, "ipsec-tree")
        for d in ("x509", "x509ca", "ecdsa", "conf.d"):
            os.makedirs(os.path.join(tree, d))
        key = os.path.join(self.ca, me["name"] + ".key")
        csr = os.path.join(self.ca, me["name"] + ".csr")
        crt = os.path.join(self.ca, me["name"] + ".pem")
        ext = os.path.join(self.ca, me["name"] + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "subjectAltName=DNS:%s\n" % me["name"])
        _run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-nodes", "-subj", "/CN=" + me["name"], "-keyout", key, "-out", csr])
        _run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(self.ca, "ca.pem"),
              "-CAkey", os.path.join(self.ca, "ca.key"), "-CAcreateserial", "-days", "2",
              "-sha256", "-extfile", ext, "-out", crt])
        _run(["openssl", "x509", "-in", crt, "-outform", "DER", "-out",
              os.path.join(tree, "x509", me["name"] + ".der")])
        _run(["openssl", "x509", "-in", os.path.join(self.ca, "ca.pem"), "-outform", "DER",
              "-out", os.path.join(tree, "x509ca", "ca.der")])
        _run(["openssl", "ec", "-in", key, "-outform", "DER", "-out",
              os.path.join(tree, "ecdsa", me["name"] + ".der")])
        with open(os.path.join(tree, "swanctl.conf"), "w") as f:
            f.write("include conf.d/*.conf\n")
        with open(os.path.join(tree, "conf.d", peer["name"] + ".conf"), "w") as f:
            f.write("""connections {
    %(peer)s {
        version = 2
        local_addrs = %(outer)s
        remote_addrs = %(peer_outer)s
        proposals = aes256gcm16-prfsha256-ecp256
        encap = no
        mobike = no
        local {
            auth = pubkey
            certs = %(name)s.der
            id = %(name)s
        }
        remote {
            auth = pubkey
            id = %(peer)s
            cacerts = ca.der
        }
        children {
            inner {
                mode = tunnel
                local_ts = %(inner)s/32
                remote_ts = %(peer_inner)s/32
                esp_proposals = aes256gcm16
                start_action = none
                close_action = none
            }
        }
    }
}
""" % {"peer": peer["name"], "name": me["name"], "outer": me["outer"],
                "peer_outer": peer["outer"], "inner": me["inner"], "peer_inner": peer["inner"]})
        with open(os.path.join(tree, "node.env"), "w") as f:
            f.write("NAME=%s\nOUTER=%s\nINNER=%s\nLINK_MAC=%s\nOS_UUID=%s\nOS_PORT=9003\n"
                    "REGISTRAR=10.0.2.2:%d\n" % (me["name"], me["outer"], me["inner"],
                                                 me["mac"], n.os_uuid, ver.port))

    def qemu_args(self, n, index):
        """The private link: QEMU's socket network over loopback, node A listening."""
        side = "listen" if index == 0 else "connect"
        args = ["-netdev", "socket,id=p0,%s=127.0.0.1:%d" % (side, self.link_port),
                "-device", "virtio-net-pci,netdev=p0,mac=%s" % NODES[index]["mac"]]
        if index == 0:
            args += ["-object", "filter-dump,id=linkdump,netdev=p0,file=%s"
                     % os.path.join(n.work, "link.pcap")]
        return args

    def check(self, check, lbl, n, out, console):
        check(lbl + "the tenant loaded its delivered IPsec configuration",
              "tenant: ipsec loaded: 1 connection(s)" in out, "console %s" % console)

    def os_payload(self, ver, flow, n):
        """The tenant agent's Keylime payload: autorun.sh, the notifier certificate, the
        action and which peer uuid is which connection."""
        r = ver.cli("revocation-cert", timeout=30)
        if r.returncode != 0:
            raise Failure("revocation-cert: %s" % r.stderr)
        peers = "".join("%s %s\n" % (o.os_uuid, o.ipsec_node["name"]) for o in flow if o is not n)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("autorun.sh", "#!/bin/sh\necho tenant payload for %s\n" % n.os_uuid)
            z.writestr("RevocationNotifier-cert.crt", r.stdout)
            z.writestr("action_list", "local_action_ipsec.sh\n")
            z.writestr("local_action_ipsec.sh", ACTION)
            z.writestr("peers", peers)
        path = os.path.join(n.work, "os-payload.zip")
        with open(path, "wb") as f:
            f.write(out.getvalue())
        return path

    def after(self, check, label, flow, ver):
        """The tunnel, the transfer with and without it, and the revocation teardown."""
        a, b = flow
        for n in flow:
            lbl = label + n.name + ": "
            check(lbl + "the tenant's agent registered (host mode, its own uuid)",
                  ver.wait_state(n.os_uuid, "active", 180), repr(ver.node(n.os_uuid)))
            # The node's runtime policy as it is: its PCR 8 holds the handoff, so this is
            # what the previous tenant's OS would look like asking for a new payload.
            r = ver.cli("node", "add", n.os_uuid, "--ek-hash", n.ek_hash,
                        "--payload", self.os_payload(ver, flow, n),
                        "--policy", n.policy, "--agent",
                        "127.0.0.1:%d" % self.os_ports[n.agent_port])
            check(lbl + "the tenant OS under the runtime's policy is refused V: not a fresh boot",
                  r.returncode == 0 and ver.wait_state(n.os_uuid, "failed", 120) and
                  "not a fresh boot" in ver.node(n.os_uuid).get("reason", ""),
                  (r.stdout + r.stderr).strip() + repr(ver.node(n.os_uuid)))
        for n in flow:
            lbl = label + n.name + ": "
            # The same policy, saying it attests the OS the runtime handed off to.
            pol = json.load(open(n.policy))
            pol["fresh_boot"] = False
            os_policy = os.path.join(n.work, "os.policy")
            with open(os_policy, "w") as f:
                json.dump(pol, f)
            r = ver.cli("node", "add", n.os_uuid, "--ek-hash", n.ek_hash,
                        "--payload", self.os_payload(ver, flow, n),
                        "--policy", os_policy, "--agent",
                        "127.0.0.1:%d" % self.os_ports[n.agent_port])
            check(lbl + "node add of the tenant's agent with the runtime policy and "
                  "\"fresh_boot\": false", r.returncode == 0, (r.stdout + r.stderr).strip())
        for n in flow:
            lbl = label + n.name + ": "
            check(lbl + "the tenant OS is attested (PCRs as the runtime left them)",
                  ver.wait_state(n.os_uuid, "attesting", 180), repr(ver.node(n.os_uuid)))
            out, _ = n.vm.shell("for i in $(seq 1 100); do grep -q 'revocation notices are "
                                "checked' /run/agent.log && break; sleep 0.2; done; "
                                "grep -c 'revocation notices are checked' /run/agent.log", 60)
            check(lbl + "its agent checks notices with the payload's certificate",
                  out.strip().endswith("1"), out)
        send = "head -c 262144 /dev/urandom >/tmp/f; want=$(sha256sum </tmp/f); " \
               "got=$(nc -w 5 10.77.0.2 5001 </tmp/f 2>&1); echo \"want ${want%% *}\"; " \
               "echo \"got ${got%% *} $got\""
        out, _ = a.vm.shell(send, 60)
        check(label + "without the tunnel the inner address is unreachable",
              "unreachable" in out and not re.search(r"^got ([0-9a-f]{64})", out, re.M), out)
        out, rc = a.vm.shell("swanctl --initiate --child inner --timeout 20", 120)
        check(label + "node A brings up the IKEv2 tunnel (certificates from the payload)",
              rc == 0 and "initiate completed successfully" in out, out)
        for n in flow:
            out, _ = n.vm.shell("swanctl --list-sas", 60)
            check(label + n.name + ": swanctl --list-sas: ESTABLISHED, CHILD_SA INSTALLED "
                  "(ESP AES-GCM, tunnel)", "ESTABLISHED" in out and "INSTALLED, TUNNEL" in out
                  and "AES_GCM_16-256" in out, out)
        out, _ = a.vm.shell(send, 120)
        want = re.search(r"^want ([0-9a-f]{64})", out, re.M)
        got = re.search(r"^got ([0-9a-f]{64})", out, re.M)
        check(label + "256 KiB over the tunnel arrive intact (hash answered by node B)",
              want and got and want.group(1) == got.group(1), out)
        out, _ = a.vm.shell("swanctl --list-sas | grep -o 'out [0-9a-f]*, *[0-9]* bytes'", 60)
        m = re.search(r"out [0-9a-f]+, *(\d+) bytes", out)
        check(label + "the transfer went through the CHILD_SA (%s bytes out)"
              % (m.group(1) if m else "?"), m and int(m.group(1)) > 262144, out)
        # Revocation: A's tenant extends PCR 8 with an event its log does not have.
        mark_b = len(b.vm.output())
        out, rc = a.vm.shell("tpm-measure /dev/tpmrm0 /run/attack.log "
                             "'tenant ran something unapproved'", 60)
        t_extend = time.monotonic()  # the END marker follows the extend (polled every 0.1 s)
        check(label + "node A's tenant extends PCR 8 behind its log's back", rc == 0, out)
        check(label + "the verifier fails node A's tenant",
              ver.wait_state(a.os_uuid, "failed", 120), repr(ver.node(a.os_uuid)))
        reason = ver.node(a.os_uuid).get("reason", "")
        check(label + "the report says PCR 8 no longer replays", "PCR 8" in reason, reason)
        td = b.vm.expect(r"airlock-ipsec: tunnel nodeA to %s torn down: 0$" % a.os_uuid,
                         120, mark_b)
        t_down = b.vm.t0 + b.vm.time_at(td.start())
        check(label + "node B tore down its tunnel to A on the signed notice (%.1f s after "
              "the extend; verifier interval 1 s)" % (t_down - t_extend), t_down > t_extend)
        print("timing (%s): PCR 8 extended on A -> tunnel torn down on B: %.1f s"
              % (label.rstrip(": "), t_down - t_extend))
        out, _ = b.vm.shell("grep 'signed revocation notice' /run/agent.log; "
                            "swanctl --list-sas; swanctl --list-conns", 60)
        check(label + "node B's agent checked the notice's signature",
              "signed revocation notice: revocation for agent %s" % a.os_uuid in out, out)
        check(label + "node B has no SA and no connection to A left",
              "ESTABLISHED" not in out and "nodeA:" not in out, out)
        # B sent its DELETE; A drops its SA and route when that arrives.
        out, _ = a.vm.shell("for i in $(seq 1 50); do [ -z \"$(swanctl --list-sas)\" ] && "
                            "echo A-HAS-NO-SA && break; sleep 0.2; done", 60)
        check(label + "node A has no SA left either (B's DELETE)", "A-HAS-NO-SA" in out, out)
        out, _ = a.vm.shell(send, 60)
        check(label + "after the teardown the transfer fails again",
              "unreachable" in out and not re.search(r"^got ([0-9a-f]{64})", out, re.M), out)
        out, rc = a.vm.shell("swanctl --initiate --child inner --timeout 10", 60)
        check(label + "node A cannot bring the tunnel back (B answers NO_PROPOSAL_CHOSEN)",
              rc != 0 and "NO_PROPOSAL_CHOSEN" in out, out)
        a.vm.close()  # QEMU flushes the link capture when it exits
        pcap = open(os.path.join(a.work, "link.pcap"), "rb").read()
        # IPv4 after the Ethernet type; the protocol byte 9 into the IP header.
        esp = re.search(rb"\x08\x00\x45.{8}\x32", pcap, re.S) is not None
        check(label + "the private link carried ESP (IP protocol 50)", esp)
        inner = bytes([10, 77, 0, 1, 10, 77, 0, 2])
        check(label + "no packet between the inner addresses crossed it in the clear",
              inner not in pcap and inner[4:] + inner[:4] not in pcap)

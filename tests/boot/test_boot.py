#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Boot tests (board qemu-q35), QEMU (TCG) + swtpm.

1. The whole flow: the runtime boots, scrubs, brings up the network; the agent
   registers at a Keylime registrar on the host (tests/host/kl_peer.c), serves
   quotes (checked with tpm2_checkquote), receives U, V and the payload (kernel
   by URL from a provisioning server on the host, a tenant initrd, LUKS key,
   swanctl tree), measures and kexecs. The tenant reports on the console what
   it received, its runtime event log and its PCRs 8 and 9, which the test
   replays.
2. Static address with a registrar that refuses the node: the agent stops for
   good, the failure is measured, the debug shell (airlock.shell=1, measured)
   shows the network settings and the PCRs; the power button powers off.
3. Mutual TLS without a client CA: a measured failure; SIGTERM to PID 1 reboots.
   With the client CA named on the command line (airlock.client_ca, pinned by
   sha256) the runtime's agent serves mutual TLS: the CA's clients only.
4. No NIC: a clear, measured failure; SIGUSR1 halts.
5. With airlock-verifier (verifier_flow): one node, a tampered one, a kernel that does
   not match, an untrusted EK, four nodes at once, Debian's kernel as the tenant
   (debian_tenant.py), and two nodes whose tenants run a strongSwan tunnel that the
   other node tears down when the verifier fails one (ipsec_tenant.py)."""
import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import base64

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eventlog_replay  # noqa: E402
from qemu import Failure, Qemu, Results, Swtpm, SwtpmCA, need  # noqa: E402
from tenant import (TENANT_INIT, FileServer, Registrar, free_port, luks_disk,  # noqa: E402
                    newc, payload_zip, run_tenant, tenant_initrd)

results = Results()
check = results.check
UUID = "d432fbb3-d2f1-4a97-9ef7-75bd81c00000"
# loglevel=1: kernel messages must not cut into what the tenant prints.
TENANT_CMDLINE = "console=ttyS0,115200 loglevel=1 rdinit=/tenant-init panic=10"
ALG_INDEX = {"sha1": 4, "sha256": 11}


def boot(a, work, name, cmdline, net, ek=False):
    tpm = Swtpm(os.path.join(work, "tpm-" + name), banks=a.banks, ek=ek)
    tpm.start()
    vm = Qemu(work, name, ["-kernel", os.path.join(a.image, "bzImage"), "-append", cmdline] + net,
              tpm=tpm)
    return vm, tpm


def check_log(what, log, tpm_pcrs, banks, pcrs, fw_log=None):
    """The log (after the firmware's, if any) replays to the TPM's values and every
    event's digest is H(data)."""
    values, events = eventlog_replay.replay(log, fw_log)
    check("%s: log covers every bank" % what, sorted(values) == sorted(banks),
          "%s vs %s" % (sorted(values), banks))
    for bank in banks:
        for p in pcrs:
            check("%s: replay == TPM, %s PCR %d" % (what, bank, p),
                  values.get(bank, {}).get(p) == tpm_pcrs.get(bank, {}).get(p),
                  "replay %s, tpm %s" % (values.get(bank, {}).get(p),
                                         tpm_pcrs.get(bank, {}).get(p)))
        bad = [e[3][:40] for e in events
               if e[1] != 3 and e[2][ALG_INDEX[bank]] != hashlib.new(bank, e[3]).digest()]
        check("%s: event digest == H(data) %s" % (what, bank), not bad, repr(bad))
    return events


def parse_pcrs(text):
    vals = {}
    for line in text.split():
        bank, sep, rest = line.partition(":")
        pcr_no, eq, val = rest.partition("=")
        if sep and eq:
            vals.setdefault(bank, {})[int(pcr_no)] = val
    return vals


def checkquote(reg, outdir, prefix):
    nonce = open(os.path.join(outdir, prefix + ".nonce"), "rb").read().hex()
    r = subprocess.run(["tpm2_checkquote", "-u", reg.path(UUID + ".ak"),
                        "-m", os.path.join(outdir, prefix + ".attest"),
                        "-s", os.path.join(outdir, prefix + ".sig"),
                        "-f", os.path.join(outdir, prefix + ".pcrs"), "-g", "sha256", "-q", nonce],
                       capture_output=True, text=True, timeout=60)
    return r.returncode == 0, r.stderr[-300:]


def full_flow(a, work):
    """Power-on to the tenant's own code, through attestation and kexec."""
    reg = Registrar(a.peer, work)
    files = os.path.join(work, "provisioning")
    os.makedirs(files, exist_ok=True)
    kernel = os.path.join(files, "vmlinuz")
    shutil.copyfile(os.path.join(a.image, "bzImage"), kernel)
    srv = FileServer(files)
    agent_port = free_port()
    vm = tpm = None
    try:
        cmdline = ("airlock.registrar=10.0.2.2:%d airlock.mtls=insecure-off airlock.uuid=%s "
                   "airlock.net_timeout=20" % (reg.port, UUID))
        vm, tpm = boot(a, work, "node", cmdline, [
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9002" % agent_port,
            "-device", "virtio-net-pci,netdev=n0"], ek=True)
        up = vm.expect(r"airlock: runtime starting", 120)
        t_up = vm.elapsed()
        m = vm.expect(r"airlock: scrub ([0-9.]+) s, ([0-9.]+) GiB of ([0-9.]+) GiB \(([0-9.]+)%\), "
                      r"([0-9.]+) GiB/s", 300, up.start())
        t_scrub = vm.elapsed()
        check("scrub figures on the console", float(m.group(4)) >= 90.0, m.group(0))
        vm.expect(r"airlock: network [0-9.]+ s, \S+ up", 120, m.end())
        t_net = vm.elapsed()
        vm.expect(r"agent: registered and activated", 300, m.end())
        t_reg = vm.elapsed()
        check("registered and activated at the registrar",
              os.path.exists(reg.path(UUID + ".activated")))
        vm.expect(r"agent: serving the Keylime agent API", 60, m.end())

        # The tenant's payload: kernel by URL (the runtime kernel serves as a test
        # kernel), an initrd whose /tenant-init reports, a LUKS key, a swanctl tree.
        kdata = open(kernel, "rb").read()
        initrd = newc({"tenant-init": (0o755, TENANT_INIT)})
        manifest = json.dumps({
            "version": 1,
            "kernel": {"url": "http://10.0.2.2:%d/vmlinuz" % srv.port,
                       "sha256": hashlib.sha256(kdata).hexdigest(), "size": len(kdata)},
            "initrd": {"file": "initrd"},
            "cmdline": TENANT_CMDLINE,
            "luks": [{"name": "data", "key": "luks/data.key", "volume": "/dev/vdb"}],
            "ipsec": {"dir": "ipsec"}})
        zpath = os.path.join(work, "payload.zip")
        with open(zpath, "wb") as f:
            f.write(payload_zip(manifest, {"initrd": initrd, "luks/data.key": b"luks-key-42",
                                           "ipsec/swanctl.conf": b"connections { }\n"}))
        outdir = os.path.join(work, "tenant-out")
        run_tenant(a.peer, agent_port, UUID, zpath, outdir)
        t_payload = vm.elapsed()
        check("tenant flow: quotes, U + payload, V, keys/verify", True)
        for q in ("identity", "integrity"):
            ok, err = checkquote(reg, outdir, q)
            check("%s quote passes tpm2_checkquote" % q, ok, err)
        kx = vm.expect(r"agent: tenant loaded with (kexec_file_load|kexec_load \(kexec-tools\))",
                       300)
        check("kexec path reported (%s)" % kx.group(1), True)
        t_kexec = vm.elapsed()
        tu = vm.expect(r"^tenant: up$", 300, kx.end())
        t_tenant = vm.elapsed()
        vm.expect(r"^tenant: done$", 120, tu.end())
        out = vm.output()[tu.start():]
        print("timing: power-on -> runtime up %.1f s -> scrub done %.1f s -> network %.1f s -> "
              "registered %.1f s -> payload sent %.1f s -> kexec %.1f s -> tenant up %.1f s"
              % (t_up, t_scrub, t_net, t_reg, t_payload, t_kexec, t_tenant))
        check("tenant got its command line", "rdinit=/tenant-init" in out)
        check("tenant: handoff layout version 1", "tenant: handoff version 1" in out)
        check("tenant: LUKS volume mapping", "tenant: volumes data /dev/vdb" in out)
        check("tenant: LUKS key", "tenant: key data sha256 %s"
              % hashlib.sha256(b"luks-key-42").hexdigest() in out)
        check("tenant: IPsec material", "tenant: ipsec connections { }" in out)
        log, _, tpm_pcrs = tenant_log(vm, out)
        with open(os.path.join(work, "tenant-eventlog.bin"), "wb") as f:
            f.write(log)
        banks = a.banks.split(",")
        events = check_log("tenant", log, tpm_pcrs, banks, (8, 9))
        data = [e[3] for e in events]
        check("command line is the first measured event",
              events and events[0][0] == 8 and events[0][3].endswith(cmdline.encode()))
        check("scrub result is measured",
              any(d.startswith(b"airlock scrub: ") and b"result=pass" in d for d in data))
        check("the early memtest pass the board asks for ran and is measured",
              any(d.startswith(b"airlock scrub: ") and b" memtest=ran memtest_bad=0 " in d
                  for d in data))
        check("attestation is measured", b"airlock attest: result=pass" in data)
        check("tenant kernel measured into PCR 9",
              (9, b"airlock kernel: sha256=%s size=%d"
               % (hashlib.sha256(kdata).hexdigest().encode(), len(kdata)))
              in [(e[0], e[3]) for e in events])
        check("tenant initrd measured into PCR 9",
              (9, b"airlock initrd: sha256=%s size=%d"
               % (hashlib.sha256(initrd).hexdigest().encode(), len(initrd)))
              in [(e[0], e[3]) for e in events])
        check("tenant command line measured into PCR 9",
              (9, TENANT_CMDLINE.encode()) in [(e[0], e[3]) for e in events])
        check("separators close PCRs 8 and 9",
              [(e[0], e[1]) for e in events[-2:]] == [(8, 4), (9, 4)])
        if a.verifier:
            predicted_policy(a, work, cmdline, "bios", log)
            # A node booted with another command line than the tenant predicted.
            predicted_policy(a, work, cmdline + " airlock.shell=1", "bios", log,
                             expect="first differing event: #0")
    except Failure as e:
        check("full flow", False, str(e))
        print("logs kept in %s" % work)
    finally:
        if vm:
            vm.close()
        if tpm:
            tpm.stop()
        srv.stop()
        reg.stop()


def predicted_policy(a, work, cmdline, firmware, runtime_log, firmware_log=None, expect=None):
    """The tenant's side: `airlock-verifier predict` from the build output and the
    boot loader's arguments, then `policy test` on the logs this boot wrote.
    expect: None for a pass, or text the failure report must contain."""
    pol = os.path.join(work, "predicted.policy")
    r = subprocess.run([a.verifier, "predict", a.image, "--append", cmdline,
                        "--firmware", firmware, "--out", pol],
                       capture_output=True, text=True, timeout=60)
    check("predict writes a policy from %s" % a.image, r.returncode == 0, r.stderr.strip())
    if r.returncode != 0:
        return
    logs = ["--runtime-log", os.path.join(work, "predict-runtime.log")]
    with open(logs[1], "wb") as f:
        f.write(runtime_log)
    if firmware_log is not None:
        logs += ["--firmware-log", os.path.join(work, "predict-firmware.log")]
        with open(logs[3], "wb") as f:
            f.write(firmware_log)
    r = subprocess.run([a.verifier, "policy", "test", pol] + logs,
                       capture_output=True, text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    if expect is None:
        check("the predicted policy holds for this boot's event logs", r.returncode == 0, out)
    else:
        check("the predicted policy matches this boot up to: %s" % expect,
              r.returncode == 3 and expect in out, out)
    return pol


def refused(a, work):
    """Static address; the registrar refuses the node: measured failure, then power key."""
    reg = Registrar(a.peer, work, refuse=True)
    vm = tpm = None
    try:
        vm, tpm = boot(a, work, "static", "airlock.registrar=10.0.2.2:%d airlock.shell=1 "
                       "airlock.mtls=insecure-off airlock.ip=10.0.2.15/24,10.0.2.2,10.0.2.3 "
                       "airlock.net_timeout=20" % reg.port,
                       ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"])
        vm.expect(r"debug shell allowed", 300)
        check("static address: no DHCP client ran", "udhcpc" not in vm.output())
        check("refused registration is reported", "registrar refused the registration"
              in vm.output())
        vm.send("\n")
        out, _ = vm.shell("ip -4 addr show dev eth0; ip -4 route; cat /etc/resolv.conf")
        check("static address applied", "inet 10.0.2.15/24" in out, out)
        check("static default route", "default via 10.0.2.2" in out, out)
        check("static DNS", "nameserver 10.0.2.3" in out, out)
        tpm_pcrs = vm.pcrs(8, 9)
        banks = a.banks.split(",")
        check("/init pcrs reads every bank", sorted(tpm_pcrs) == sorted(banks), repr(tpm_pcrs))
        log = vm.read_file("/run/airlock/eventlog")
        events = check_log("refused", log, tpm_pcrs, banks, (8,))
        check("agent failure is measured",
              any(e[3] == b"airlock failure: stage=agent reason=fatal" for e in events))
        mark = len(vm.output())
        vm.qmp("system_powerdown")
        vm.expect(r"airlock: shutdown requested \(power key", 60, mark)
        vm.expect(r"airlock: powering off", 30, mark)
        vm.proc.wait(timeout=60)
        check("power button powers off", vm.proc.returncode == 0)
    except Failure as e:
        check("refused-registration boot", False, str(e))
    finally:
        if vm:
            vm.close()
        if tpm:
            tpm.stop()
        reg.stop()


def no_client_ca(a, work):
    """airlock.mtls=on (the default) without a client CA: measured failure; SIGTERM reboots."""
    vm, tpm = boot(a, work, "nomtls", "airlock.registrar=10.0.2.2:9 airlock.shell=1 "
                   "airlock.net_timeout=20",
                   ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"])
    try:
        vm.expect(r"debug shell allowed", 300)
        check("missing client CA is reported", "client CA /etc/airlock/client-ca.pem"
              in vm.output())
        mark = len(vm.output())
        vm.send("\nkill -TERM 1\n")
        vm.expect(r"airlock: rebooting", 60, mark)
        vm.proc.wait(timeout=60)
        check("SIGTERM to PID 1 reboots (QEMU -no-reboot exits)", vm.proc.returncode == 0)
    except Failure as e:
        check("no-client-CA boot", False, str(e))
    finally:
        vm.close()
        tpm.stop()


def make_ca(d):
    """A client CA with one client (verifier) and another CA with one (intruder)."""
    os.makedirs(d, exist_ok=True)

    def cert(name, issuer):
        key, csr, pem = ("%s/%s.%s" % (d, name, x) for x in ("key", "csr", "pem"))
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                        "-keyout", key, "-out", csr], check=True, capture_output=True)
        if name == issuer:
            ext = os.path.join(d, "ca.ext")
            with open(ext, "w") as f:
                f.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n")
            args = ["-signkey", key, "-extfile", ext]
        else:
            args = ["-CA", "%s/%s.pem" % (d, issuer), "-CAkey", "%s/%s.key" % (d, issuer),
                    "-CAcreateserial"]
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-days", "2", "-out", pem] + args,
                       check=True, capture_output=True)
    for name, issuer in (("client-ca", "client-ca"), ("verifier", "client-ca"),
                         ("other-ca", "other-ca"), ("intruder", "other-ca")):
        cert(name, issuer)


def tls_status(port, pinned, ca_dir, who):
    """GET /version over mutual TLS as `who`: the HTTP status, or "refused"."""
    import socket
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # Keylime trusts the registered certificate itself
    ctx.load_verify_locations(pinned)
    ctx.load_cert_chain("%s/%s.pem" % (ca_dir, who), "%s/%s.key" % (ca_dir, who))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with ctx.wrap_socket(raw) as tls:
                tls.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        return data.split(b" ", 2)[1].decode()
    except (ssl.SSLError, OSError, IndexError):
        return "refused"


def client_ca_by_url(a, work):
    """airlock.mtls=on with the client CA named on the command line and pinned by sha256."""
    ca_dir = os.path.join(work, "client-ca")
    make_ca(ca_dir)
    srv = FileServer(ca_dir)
    reg = Registrar(a.peer, os.path.join(work, "reg-ca"))
    agent_port = free_port()
    ca_sha = hashlib.sha256(open(os.path.join(ca_dir, "client-ca.pem"), "rb").read()).hexdigest()
    vm = tpm = None
    try:
        vm, tpm = boot(a, work, "client-ca", (
            "airlock.registrar=10.0.2.2:%d airlock.uuid=%s airlock.net_timeout=20 "
            "airlock.client_ca=http://10.0.2.2:%d/client-ca.pem airlock.client_ca_sha256=%s"
            % (reg.port, UUID, srv.port, ca_sha)), [
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9002" % agent_port,
            "-device", "virtio-net-pci,netdev=n0"], ek=True)
        vm.expect(r"agent: client CA verified \(sha256 %s" % ca_sha, 300)
        vm.expect(r"agent: serving the Keylime agent API .*\(mutual TLS\)", 300)
        pinned = reg.path(UUID + ".mtls.pem")
        check("runtime, client CA by URL: a client of that CA is served",
              tls_status(agent_port, pinned, ca_dir, "verifier") == "200")
        check("runtime, client CA by URL: a client of another CA is refused",
              tls_status(agent_port, pinned, ca_dir, "intruder") == "refused")
    except Failure as e:
        check("client-CA boot", False, str(e))
    finally:
        if vm:
            vm.close()
        if tpm:
            tpm.stop()
        reg.stop()
        srv.stop()


class Verifier:
    """airlock-verifier serve on 127.0.0.1, trusting the EK CA swtpm_setup signs with."""

    def __init__(self, binary, workdir, ek_ca, extra):
        self.binary = binary
        self.state = os.path.join(workdir, "verifier-state")
        self.log = os.path.join(workdir, "verifier.log")
        portfile = os.path.join(workdir, "verifier.port")
        self.proc = subprocess.Popen(
            [binary, "--state", self.state, "serve", "--listen", "127.0.0.1:0", "--port-file",
             portfile, "--ek-ca", ek_ca, "--interval", "1"] + extra,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        deadline = time.monotonic() + 10
        while not (os.path.exists(portfile) and open(portfile).read().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Failure("airlock-verifier did not start (log %s)" % self.log)
            time.sleep(0.05)
        self.port = int(open(portfile).read())

    def cli(self, *args, timeout=300):
        return subprocess.run([self.binary, "--state", self.state] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def node(self, uuid):
        r = self.cli("node", "show", uuid, "--json", timeout=30)
        return json.loads(r.stdout) if r.returncode in (0, 3) else {}  # 3: rejected

    def wait_state(self, uuid, state, timeout):
        """state: one state or a tuple of them (a runtime that got V goes on from
        attesting to handed_off within a round)."""
        states = state if isinstance(state, tuple) else (state,)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.node(uuid).get("state") in states:
                return True
            time.sleep(0.5)
        return False

    def ek_hash(self, cert):
        """The ek-hash the tenant pins (node add --ek-hash), from the EK certificate the
        provider publishes for the node."""
        r = self.cli("ek-hash", cert, timeout=30)
        if r.returncode != 0:
            raise Failure("ek-hash %s: %s" % (cert, r.stderr))
        return r.stdout.strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def direct_boot(a, work, cmdline, agent_port, tpm, files, srv, extra=()):
    """SeaBIOS-style direct boot (QEMU -kernel): the kernel sees exactly cmdline."""
    vm = Qemu(work, "node", ["-kernel", os.path.join(a.image, "bzImage"), "-append", cmdline,
                             "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9002" % agent_port,
                             "-device", "virtio-net-pci,netdev=n0"] + list(extra), tpm=tpm)
    return vm, cmdline


def printed_file(out, tag):
    """A file the tenant printed as TAG-BEGIN <sha256> / base64 / TAG-END: it crosses the
    serial console three times; the first copy whose sha256 matches, or None."""
    for lm in re.finditer(r"^%s-BEGIN ([0-9a-f]{64}) \S+\n(.*?)^%s-END$" % (tag, tag),
                          out, re.M | re.S):
        try:
            data = base64.b64decode("".join(lm.group(2).split()), validate=True)
        except ValueError:
            continue
        if hashlib.sha256(data).hexdigest() == lm.group(1):
            return data
    return None


def tenant_log(vm, out):
    """The runtime event log, the firmware's (None without one) and the PCRs the tenant
    printed."""
    pm = re.search(r"^TENANT-PCRS-BEGIN\n(.*?)^TENANT-PCRS-END$", out, re.M | re.S)
    log = printed_file(out, "TENANT-LOG")
    fw = printed_file(out, "TENANT-FWLOG")
    if log is None or not pm or ("TENANT-FWLOG-BEGIN" in out and fw is None):
        raise Failure("tenant did not print its event logs and PCRs intact; console %s"
                      % vm.console_log)
    return log, fw, parse_pcrs(pm.group(1))


class FlowNode:
    """One node of a verifier flow: swtpm, VM, uuid, forwarded agent port, its own LUKS
    disk and key, its own IPsec secret, and the times of its stages."""

    def __init__(self, work, index, many):
        self.uuid = UUID[:-2] + "%02d" % index
        self.name = "node%d" % index if many else "node"
        self.work = os.path.join(work, self.name) if many else work
        os.makedirs(self.work, exist_ok=True)
        self.label_suffix = " %s" % self.name if many else ""
        self.agent_port = free_port()
        self.key = os.urandom(32)
        self.psk = base64.b64encode(os.urandom(24)).decode()
        self.secret_text = "hello from %s's encrypted disk" % self.name
        self.tpm = self.vm = None
        self.cmdline = None
        self.t = {}
        self.result = None  # what the tenant printed, once it has

    def files(self, a, tenant_kernel):
        """The node's key file, IPsec tree and (with the test tenant kernel) LUKS disk."""
        self.keyfile = os.path.join(self.work, "data.key")
        with open(self.keyfile, "wb") as f:
            f.write(self.key)
        self.ipsec = os.path.join(self.work, "ipsec")
        os.makedirs(self.ipsec)
        with open(os.path.join(self.ipsec, "swanctl.conf"), "w") as f:
            f.write("connections { }\nsecrets { ike-peer { secret = 0s%s } }\n" % self.psk)
        self.disk = None
        if tenant_kernel:
            self.disk = os.path.join(self.work, "data.img")
            luks_disk(self.disk, self.key, self.secret_text)

    def stage(self, name, m):
        self.t[name] = self.vm.time_at(m.start())

    def stop(self):
        if self.vm:
            self.vm.close()
            self.vm = None
        if self.tpm:
            self.tpm.stop()
            self.tpm = None


def tcp_streams(pcap):
    """The payload bytes of each TCP direction in a pcap file (Ethernet, IPv4), put in
    sequence order, so a needle split across segments is still found."""
    data = open(pcap, "rb").read()
    if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        raise Failure("%s is not a pcap file" % pcap)
    end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    flows, pos = {}, 24
    while pos + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[pos + 8:pos + 12])[0]
        pkt, pos = data[pos + 16:pos + 16 + caplen], pos + 16 + caplen
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        ihl = (pkt[14] & 15) * 4
        tcp = pkt[14 + ihl:]
        total = struct.unpack(">H", pkt[16:18])[0]
        if len(tcp) < 20:
            continue
        body = tcp[(tcp[12] >> 4) * 4:total - ihl]
        if body:
            key = (pkt[26:30], pkt[30:34], tcp[0:4])
            seq = struct.unpack(">I", tcp[4:8])[0]
            flows.setdefault(key, {}).setdefault(seq, body)
    return [b"".join(seg[k] for k in sorted(seg)) for seg in flows.values()]


def capture_check(label, pcap, nodes, kernel):
    """Scenario 5: the user network's traffic holds no LUKS key or IPsec secret in any
    plain encoding, in packets or in the reassembled TCP streams, while the kernel
    fetched over plain HTTP is there whole (the capture saw the traffic, so this can
    fail)."""
    raw = open(pcap, "rb").read()
    streams = tcp_streams(pcap)
    check(label + "traffic capture holds the whole kernel fetched over plain HTTP (%d bytes "
          "captured)" % len(raw), any(kernel in st for st in streams))
    for n in nodes:
        leaks = [form for form, needle in (
            ("raw", n.key), ("hex", n.key.hex().encode()),
            ("base64", base64.b64encode(n.key)), ("IPsec PSK", n.psk.encode()))
            if needle in raw or any(needle in st for st in streams)]
        check(label + "no LUKS key or IPsec secret of %s in the clear" % n.name, not leaks,
              "found: %s in %s" % (", ".join(leaks), pcap))


def registered_ak(ver, uuid):
    """The AK the registrar holds for uuid (what anyone can read there)."""
    c = http.client.HTTPConnection("127.0.0.1", ver.port, timeout=10)
    c.request("GET", "/v2.1/agents/" + uuid)
    r = json.loads(c.getresponse().read())
    return base64.b64decode(r.get("results", {}).get("aik_tpm", ""))


def reboot_check(a, label, n, ver, launch, files, srv, add_args):
    """Issue 16: the tenant reboots the node (its test initrd does, with tenant.reboot); the
    runtime boots again on the same TPM, registers again with the same AK, gets a new
    payload and hands off again."""
    ak1 = registered_ak(ver, n.uuid)
    deadline = time.monotonic() + 120
    while n.vm.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    check(label + "the tenant rebooted the node (QEMU exits: -no-reboot)",
          n.vm.proc.poll() is not None and "tenant: rebooting" in n.vm.output())
    n.vm.close()
    n.tpm.start()  # the same TPM state: a power cycle of the same machine
    n.vm, _ = launch(a, n.work, n.cmdline, n.agent_port, n.tpm, files, srv, [])
    m = n.vm.expect(r"agent: registered and activated", 300)
    check(label + "second boot: registered again", ver.wait_state(n.uuid, "active", 60),
          repr(ver.node(n.uuid)))
    ak2 = registered_ak(ver, n.uuid)
    check(label + "second boot: the AK is byte-identical to the first boot's (%d bytes)"
          % len(ak2), ak1 and ak1 == ak2)
    n.vm.expect(r"agent: serving the Keylime agent API .*\(mutual TLS\)", 300, m.end())
    r = ver.cli("node", "add", n.uuid, "--ek-hash", n.ek_hash, *add_args)
    check(label + "second boot: node add (the next tenant's payload)", r.returncode == 0,
          (r.stdout + r.stderr).strip())
    check(label + "second boot: V released to the fresh runtime",
          ver.wait_state(n.uuid, ("attesting", "handed_off"), 300), repr(ver.node(n.uuid)))
    n.vm.expect(r"^tenant: up$", 300)
    check(label + "second boot: the tenant is up again", True)


def verifier_flow(a, work, tampered=False, launch=direct_boot, name="verifier-flow",
                  expect_fail=None, nodes=1, capture=False, volume="/dev/vda",
                  kernel_mismatch=False, foreign_ek_ca=False, tenant=None, reboot=False):
    """The product end to end: airlock-verifier as registrar, tenant and verifier for QEMU
    nodes booted at once, mutual TLS on (the agent's default, client CA by URL), a policy
    predicted from the build, a payload built from its parts (the test tenant kernel and
    initrd by URL, a LUKS key for the node's own encrypted disk, an IPsec secret), V
    released on the first good quote, kexec; the tenant opens its disk with the key.
    tampered: the node boots with another command line than the tenant predicted from; the
    verifier must fail it, name the event, and never release V. launch boots a node and
    returns (vm, the command line its kernel gets); expect_fail: text the failure report
    must contain when launch itself tampers (another image). capture: record the user
    network's traffic and look for keys in it. kernel_mismatch: the provisioning server
    serves other kernel bytes than the payload's sha256 names. foreign_ek_ca: the verifier
    trusts a CA that did not sign the node's EK certificate. reboot: the tenant reboots the
    node, which registers again (same AK) and gets the next payload. tenant: another tenant OS
    (debian_tenant.DebianTenant: kernel, initrd, cmdline, volume, make_disk(node),
    up_re/done_re and check(check, label, node, output, console)) instead of the test
    tenant."""
    variant = ("-tampered" if tampered else "-kernel-mismatch" if kernel_mismatch else
               "-foreign-ek" if foreign_ek_ca else "")
    work = os.path.join(work, name + variant)
    label = "%s%s: " % (name, variant.replace("-", ", ", 1).replace("-", " "))
    files = os.path.join(work, "provisioning")
    ca_dir = os.path.join(work, "client-ca")
    os.makedirs(files)
    make_ca(ca_dir)
    shutil.copy(os.path.join(ca_dir, "client-ca.pem"), files)
    tenant_kernel = getattr(a, "tenant_kernel", None)
    kernel = os.path.join(work, "vmlinuz")
    shutil.copyfile(tenant.kernel if tenant else tenant_kernel or
                    os.path.join(a.image, "bzImage"), kernel)
    kdata = open(kernel, "rb").read()
    if kernel_mismatch:  # same size, one byte different: only the digest can tell
        kdata = kdata[:len(kdata) // 2] + bytes([kdata[len(kdata) // 2] ^ 1]) + \
            kdata[len(kdata) // 2 + 1:]
    with open(os.path.join(files, "vmlinuz"), "wb") as f:
        f.write(kdata)
    initrd = os.path.join(files, "initrd")
    with open(initrd, "wb") as f:
        f.write(open(tenant.initrd, "rb").read() if tenant else tenant_initrd(a.image)
                if tenant_kernel else newc({"tenant-init": (0o755, TENANT_INIT)}))
    if tenant:
        volume = tenant.volume
    hooks = os.path.join(work, "hooks.log")
    hook = os.path.join(work, "hook")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\necho \"$1 $2\" >>%s\n" % hooks)
    os.chmod(hook, 0o755)
    srv = FileServer(files)
    ca_sha = hashlib.sha256(open(os.path.join(ca_dir, "client-ca.pem"), "rb").read()).hexdigest()
    flow = [FlowNode(work, i, nodes > 1) for i in range(nodes)]
    ver = None
    try:
        # The nodes' EK certificates come from a CA of this run's own: the verifier trusts
        # exactly that (or, foreign_ek_ca, a CA of its own that signed no EK).
        swtpm_ca = SwtpmCA(work)
        for n in flow:
            n.tpm = Swtpm(os.path.join(n.work, "tpm"), banks=a.banks, ek=True, ca=swtpm_ca)
        ek_ca = os.path.join(work, "ek-ca")
        os.makedirs(ek_ca)
        if foreign_ek_ca:
            shutil.copy(os.path.join(ca_dir, "other-ca.pem"), ek_ca)
        else:
            swtpm_ca.trust(ek_ca)
        ver = Verifier(a.verifier, work, ek_ca, [
            "--client-cert", os.path.join(ca_dir, "verifier.pem"),
            "--client-key", os.path.join(ca_dir, "verifier.key"),
            "--on-pass", hook, "--on-fail", hook])
        # tampered: the node boots with one more word than the tenant predicts from.
        extra = " airlock.loglevel=debug" if tampered else ""
        for i, n in enumerate(flow):
            n.files(a, tenant_kernel and not tenant)
            if tenant:
                n.disk = tenant.make_disk(n)
                if hasattr(tenant, "prepare"):  # its own IPsec tree (ipsec_tenant.py)
                    tenant.prepare(n, i, ver)
            n.tpm.start()
            qemu_extra = list(tenant.qemu_args(n, i)) if hasattr(tenant, "qemu_args") else []
            if n.disk:
                qemu_extra += ["-drive", "file=%s,if=none,id=data,format=raw" % n.disk,
                               "-device", "virtio-blk-pci,drive=data"]
            if capture:
                qemu_extra += ["-object", "filter-dump,id=capture,netdev=n0,file=%s"
                               % os.path.join(n.work, "traffic.pcap")]
            cmdline = ("airlock.registrar=10.0.2.2:%d airlock.uuid=%s airlock.net_timeout=20 "
                       "airlock.client_ca=http://10.0.2.2:%d/client-ca.pem "
                       "airlock.client_ca_sha256=%s" % (ver.port, n.uuid, srv.port, ca_sha))
            n.vm, booted = launch(a, n.work, cmdline + extra, n.agent_port, n.tpm, files, srv,
                                  qemu_extra)
            n.cmdline = booted[:len(booted) - len(extra)]
        if foreign_ek_ca:
            for n in flow:
                n.vm.expect(r"agent: .*registrar.*(403|refused)", 300)
                node = ver.node(n.uuid)
                check(label + "the node is refused, node show says why",
                      node.get("state") == "rejected" and
                      "EK certificate" in node.get("reason", ""), repr(node))
                time.sleep(2)
                check(label + "nothing served, no kexec", "serving the Keylime agent API"
                      not in n.vm.output() and "tenant loaded" not in n.vm.output())
            return
        # Each node's stages are read from its console in order; time_at is when each
        # line appeared, so nodes running at once get their own timings.
        for n in flow:
            m = n.vm.expect(r"airlock: runtime starting", 300)
            n.stage("runtime up", m)
            m = n.vm.expect(r"airlock: scrub [0-9.]+ s", 300, m.end())
            n.stage("scrub done", m)
            m = n.vm.expect(r"airlock: network [0-9.]+ s", 120, m.end())
            n.stage("network", m)
            m = n.vm.expect(r"agent: registered and activated", 300, m.end())
            n.stage("registered", m)
            n.vm.expect(r"agent: serving the Keylime agent API .*\(mutual TLS\)", 300, m.end())
        for n in flow:
            lbl = label.rstrip(": ") + n.label_suffix + ": "
            node = ver.node(n.uuid)
            check(lbl + "the node registered, EK trusted by its certificate",
                  node.get("state") == "active" and "certificate" in node.get("ek_trust", ""),
                  repr(node))
            policy = n.policy = os.path.join(n.work, "node.policy")
            # A launcher that built the node a flash image of its own (coreboot) left it here.
            rom = os.path.join(n.work, "airlock.rom")
            # A launcher that wrote the node's boot script with boot-config left the policy
            # boot-config predicted from the same node list line here.
            generated = os.path.join(n.work, "boot-config.policy")
            if os.path.exists(generated):
                shutil.copy(generated, policy)
                check(lbl + "the node's policy comes from boot-config, with its iPXE script", True)
            else:
                r = ver.cli("predict", a.image, "--append", n.cmdline, "--out", policy,
                            *(["--rom", rom] if os.path.exists(rom) else []), timeout=60)
                check(lbl + "predict the node's policy from the build", r.returncode == 0,
                      r.stderr)
            n.ek_hash = ver.ek_hash(n.tpm.ek_cert)
            n.add_args = ["--agent", "127.0.0.1:%d" % n.agent_port,
                          "--kernel-url", "http://10.0.2.2:%d/vmlinuz" % srv.port,
                          "--kernel", kernel,
                          "--initrd-url", "http://10.0.2.2:%d/initrd" % srv.port,
                          "--initrd", initrd,
                          "--cmdline", tenant.cmdline if tenant else
                          TENANT_CMDLINE + (" tenant.reboot=1" if reboot else ""),
                          *([] if tenant and not tenant.deliver_key else
                            ["--luks", "data=%s:%s" % (n.keyfile, volume)]),
                          "--ipsec", n.ipsec,
                          "--policy", policy,
                          "--client-cert", os.path.join(ca_dir, "verifier.pem"),
                          "--client-key", os.path.join(ca_dir, "verifier.key")]
            r = ver.cli("node", "add", n.uuid, "--ek-hash", n.ek_hash, *n.add_args)
            check(lbl + "node add (identity quote, U, built payload) over mutual TLS",
                  r.returncode == 0, (r.stdout + r.stderr).strip())
            n.t["payload sent"] = n.vm.elapsed()
        if tampered or expect_fail or kernel_mismatch:  # failed, V never released or no kexec
            n = flow[0]
            check(label + "failed", ver.wait_state(n.uuid, "failed", 180), repr(ver.node(n.uuid)))
            reason = ver.node(n.uuid).get("reason", "")
            if expect_fail:
                check(label + "the report says: %s" % expect_fail, expect_fail in reason, reason)
            elif kernel_mismatch:
                check(label + "the node's console names the digest mismatch",
                      re.search(r"agent: the kernel from \S+ has sha256 [0-9a-f]{64}, the "
                                r"manifest says [0-9a-f]{64}: refused", n.vm.output()))
                check(label + "the report names the measured refusal",
                      "airlock failure: stage=payload reason=kernel" in reason, reason)
            else:
                check(label + "the report names the command line event",
                      "PCR 8: first differing event: #0" in reason and "loglevel=debug" in reason,
                      reason)
            n.vm.expect(r"revocation notice", 60)
            check(label + "the agent got the revocation notice", True)
            time.sleep(3)
            check(label + "no kexec", "tenant loaded" not in n.vm.output())
            check(label + "fail hook ran", os.path.exists(hooks) and
                  ("%s fail" % n.uuid) in open(hooks).read())
            return
        for n in flow:
            lbl = label.rstrip(": ") + n.label_suffix + ": "
            check(lbl + "the daemon releases V after a quote meeting the predicted policy",
                  ver.wait_state(n.uuid, ("attesting", "handed_off"), 300),
                  repr(ver.node(n.uuid)))
            m = n.vm.expect(r"agent: payload decrypted and unpacked", 300)
            n.stage("first good quote, V", m)
            kx = n.vm.expect(r"agent: tenant loaded with (kexec_file_load|kexec_load "
                             r"\(kexec-tools\))", 300)
            n.stage("kexec", kx)
            tu = n.vm.expect(tenant.up_re if tenant else r"^tenant: up$", 300, kx.end())
            n.stage("tenant up", tu)
        for n in flow:
            lbl = label.rstrip(": ") + n.label_suffix + ": "
            tu = n.vm.expect(tenant.up_re if tenant else r"^tenant: up$", 10)
            n.vm.expect(tenant.done_re if tenant else r"^tenant: done$", 120, tu.end())
            print("timing (%s%s): power-on -> %s" % (name, n.label_suffix, " -> ".join(
                "%s %.1f s" % (k, v) for k, v in n.t.items())))
            out = n.vm.output()[tu.start():]
            if tenant:
                tenant.check(check, lbl, n, out, n.vm.output())
                continue
            check(lbl + "tenant got its command line", "rdinit=/tenant-init" in out)
            check(lbl + "LUKS key and volume", ("tenant: key data sha256 %s"
                  % hashlib.sha256(n.key).hexdigest()) in out and
                  "tenant: volumes data %s" % volume in out)
            if tenant_kernel:
                check(lbl + "the tenant opened its LUKS2 volume with the key and read the file",
                      "tenant: luks data opened: %s" % n.secret_text in out,
                      "console %s" % n.vm.console_log)
            check(lbl + "IPsec material", "tenant: ipsec connections { }" in out and
                  n.psk in out)
            log, fw_log, pcrs = tenant_log(n.vm, out)
            n.result = {"log": log, "fw_log": fw_log, "pcrs": pcrs, "policy": n.policy}
            events = check_log(lbl + "tenant", log, pcrs, a.banks.split(","), (8, 9), fw_log)
            check(lbl + "tenant kernel measured into PCR 9",
                  (9, b"airlock kernel: sha256=%s size=%d"
                   % (hashlib.sha256(kdata).hexdigest().encode(), len(kdata)))
                  in [(e[0], e[3]) for e in events])
            check(lbl + "pass hook ran", os.path.exists(hooks) and
                  ("%s pass" % n.uuid) in open(hooks).read())
        if len(flow) > 1:
            # Not serialised (the prototype let one node through the airlock at a time):
            # every node was between registration and its tenant at one moment.
            start = max(n.vm.t0 + n.t["registered"] for n in flow)
            end = min(n.vm.t0 + n.t["tenant up"] for n in flow)
            check(label + "the nodes attested at the same time (windows overlap by %.1f s)"
                  % (end - start), end > start)
        if tenant and hasattr(tenant, "after"):
            tenant.after(check, label, flow, ver)
        if reboot:
            for n in flow:
                reboot_check(a, label, n, ver, launch, files, srv, n.add_args)
        if capture:
            for n in flow:
                n.vm.close()  # QEMU flushes the capture when it exits
                capture_check(label, os.path.join(n.work, "traffic.pcap"), [n], kdata)
    except Failure as e:
        check(label + "boot", False, str(e))
        print("logs kept in %s" % work)
    finally:
        for n in flow:
            n.stop()
        if ver:
            ver.stop()
        srv.stop()
    return flow


def debian_flows(a, work):
    """Issue 7: the tenant is Debian's packaged kernel with an initrd that carries airlock's
    hook (docs/tenant.md), built by initramfs-tools and by dracut; its root is on the node's
    LUKS2 disk. Each also without a delivered key: the boot must stop in the initramfs."""
    from debian_tenant import DebianTenant
    for deliver_key, builder, name in (
            (True, "initramfs-tools", "debian-tenant"),
            (False, "initramfs-tools", "debian-tenant-no-key"),
            (True, "dracut", "debian-tenant-dracut"),
            (False, "dracut", "debian-tenant-dracut-no-key")):
        d = os.path.join(work, name + "-build")
        os.makedirs(d)
        try:
            tenant = DebianTenant(a, d, deliver_key, builder)
        except Failure as e:
            check("%s: build the Debian tenant" % name, False, str(e))
            return
        verifier_flow(a, work, name=name, tenant=tenant)


def ipsec_flow(a, work):
    """Issue 7's IPsec part (ipsec_tenant.py): two attested nodes, a strongSwan tunnel
    between their tenants over a private link, torn down when the verifier fails one."""
    from ipsec_tenant import IpsecTenant
    d = os.path.join(work, "ipsec-build")
    os.makedirs(d)
    try:
        tenant = IpsecTenant(a, d)
    except Failure as e:
        check("ipsec: build the IPsec tenant", False, str(e))
        return
    verifier_flow(a, work, name="ipsec", nodes=2, tenant=tenant, launch=tenant.launch)


def no_nic(a, work):
    """No network interface: a clear, measured failure, not a hang."""
    vm, tpm = boot(a, work, "nonic", "airlock.registrar=10.0.2.2:8890 airlock.shell=1 "
                   "airlock.net_timeout=3", ["-nic", "none"])
    try:
        vm.expect(r"debug shell allowed", 300)
        check("no NIC is reported", "boot failed (network): network: no Ethernet interface found"
              in vm.output())
        vm.send("\n")
        log = vm.read_file("/run/airlock/eventlog")
        check("no NIC failure is measured",
              b"airlock failure: stage=network reason=no-network" in log)
        mark = len(vm.output())
        vm.send("kill -USR1 1\n")  # busybox halt
        vm.expect(r"airlock: halting", 60, mark)
        check("SIGUSR1 to PID 1 halts", True)
    except Failure as e:
        check("no-NIC boot", False, str(e))
    finally:
        vm.close()
        tpm.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True, help="build/<board> directory")
    ap.add_argument("--peer", required=True, help="tests/host/kl_peer.c built (kl-peer)")
    ap.add_argument("--logs", required=True)
    ap.add_argument("--banks", default="sha1,sha256")
    ap.add_argument("--verifier", help="airlock-verifier: check its predicted policy on the flow")
    ap.add_argument("--tenant-kernel", help="the test tenant's kernel (tests/tenant/kernel.config):"
                    " the verifier flows' tenant opens a LUKS2 disk with it")
    ap.add_argument("--only", choices=["flow", "verifier-flow", "four-nodes", "debian-tenant",
                                       "ipsec"],
                    help="only one flow (make demo runs verifier-flow)")
    a = ap.parse_args()
    a.peer = os.path.abspath(a.peer)
    need("qemu-system-x86_64", "swtpm", "swtpm_setup", "tpm2_checkquote")
    os.makedirs(a.logs, exist_ok=True)
    work = tempfile.mkdtemp(prefix="boot.", dir=a.logs)
    try:
        if a.only == "four-nodes":
            verifier_flow(a, work, nodes=4, name="four-nodes")
        elif a.only == "debian-tenant":
            debian_flows(a, work)
        elif a.only == "ipsec":
            ipsec_flow(a, work)
        elif a.only != "verifier-flow":
            full_flow(a, work)
        if a.verifier and a.only in (None, "verifier-flow"):
            verifier_flow(a, work, capture=True)
            if not a.only:
                verifier_flow(a, work, tampered=True)
                verifier_flow(a, work, kernel_mismatch=True)
                verifier_flow(a, work, foreign_ek_ca=True)
                verifier_flow(a, work, nodes=4, name="four-nodes")
                verifier_flow(a, work, name="reboot", reboot=True)
                debian_flows(a, work)
                ipsec_flow(a, work)
        if not a.only:
            refused(a, work)
            no_client_ca(a, work)
            client_ca_by_url(a, work)
            no_nic(a, work)
    except Failure as e:
        check("boot", False, str(e))
    if results.failed:
        print("logs kept in %s" % work)
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0-only
"""QEMU + swtpm harness for boot tests.

Every process is started here, tracked by pid, and stopped in close() (also on
failure or Ctrl-C, via the context manager). Every wait is bounded. Console
output is kept in a log file whose path the test prints on failure.
"""
import base64
import binascii
import bisect
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time


class Failure(Exception):
    pass


class Results:
    """ok/FAIL lines and the closing "N passed, N failed" that tests/run reads."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail))

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def accel():
    """TCG unless a KVM probe would work; KVM is unusable on the CI machine."""
    return os.environ.get("AIRLOCK_QEMU_ACCEL", "tcg")


class SwtpmCA:
    """A local CA of the test's own that signs its swtpms' EK certificates: never the
    machine's (/etc/swtpm_setup.conf points swtpm_setup at a system directory that a
    fresh machine has empty and another run may change). The first TPM made with it
    creates the CA; then trust(dir) copies its root and issuer for a verifier."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "swtpm-ca")
        state = os.path.join(self.dir, "state")
        os.makedirs(state, exist_ok=True)
        conf = os.path.join(self.dir, "localca.conf")
        with open(conf, "w") as f:
            f.write("statedir = %s\nsigningkey = %s/signkey.pem\nissuercert = %s/issuercert.pem\n"
                    "certserial = %s/certserial\n" % (state, state, state, state))
        self.setup_conf = os.path.join(self.dir, "setup.conf")
        with open(self.setup_conf, "w") as f:
            f.write("create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = %s\n"
                    "create_certs_tool_options = /etc/swtpm-localca.options\n" % conf)
        self.state = state

    def trust(self, dest):
        os.makedirs(dest, exist_ok=True)
        for f in ("swtpm-localca-rootca-cert.pem", "issuercert.pem"):
            src = os.path.join(self.state, f)
            if not os.path.exists(src):
                raise Failure("the test's swtpm CA has no %s yet (make a TPM with it first)" % f)
            shutil.copy(src, dest)


class Swtpm:
    def __init__(self, workdir, banks="sha1,sha256", ek=True, ca=None):
        self.dir = os.path.join(workdir, "swtpm")
        os.makedirs(self.dir, exist_ok=True)
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.state, exist_ok=True)
        self.sock = os.path.join(self.dir, "ctrl.sock")
        self.log = os.path.join(self.dir, "swtpm.log")
        args = ["swtpm_setup", "--tpm2", "--tpmstate", self.state, "--pcr-banks", banks]
        # The EK certificate as the provider publishes it (ek-hash of it: the tenant's pin).
        self.ek_cert = None
        if ek:
            self.ca = ca or SwtpmCA(self.dir)
            certs = os.path.join(self.dir, "ek-certs")
            os.makedirs(certs, exist_ok=True)
            args += ["--create-ek-cert", "--create-platform-cert", "--lock-nvram",
                     "--config", self.ca.setup_conf, "--write-ek-cert-files", certs]
            self.ek_cert = os.path.join(certs, "ek-rsa2048.crt")
        else:
            args += ["--config", "/dev/null"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Failure("swtpm_setup failed: %s%s" % (r.stdout, r.stderr))
        self.proc = None

    def start(self):
        """swtpm exits when QEMU disconnects: one start per boot."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + self.state,
             "--ctrl", "type=unixio,path=" + self.sock, "--log", "file=" + self.log],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Failure("swtpm did not create %s (log %s)" % (self.sock, self.log))
            time.sleep(0.05)

    def stop(self):
        stop_proc(self.proc)
        self.proc = None


def stop_proc(proc, grace=5):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


class Qemu:
    """One VM with its serial console on stdin/stdout and an HMP monitor socket."""

    def __init__(self, workdir, name, args, tpm=None, machine="q35", mem="1G", smp=2,
                 tpm_dev=None):
        self.workdir = workdir
        self.name = name
        self.console_log = os.path.join(workdir, name + ".console.log")
        self.monitor = os.path.join(workdir, name + ".monitor.sock")
        self.qmp_sock = os.path.join(workdir, name + ".qmp.sock")
        self.buf = ""
        self.marks = []  # (console length after a read, seconds since power-on)
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        cmd = ["qemu-system-x86_64", "-accel", accel(), "-smp", str(smp), "-m", mem,
               "-display", "none", "-serial", "stdio", "-no-reboot",
               "-monitor", "unix:%s,server=on,wait=off" % self.monitor,
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_sock]
        if not any(a.startswith("q35") for a in args):
            cmd += ["-machine", machine]
        if tpm is not None:
            dev = tpm_dev or ("tpm-crb" if machine.startswith("q35") else "tpm-tis")
            cmd += ["-chardev", "socket,id=chrtpm,path=" + tpm.sock,
                    "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", dev + ",tpmdev=tpm0"]
        cmd += args
        self.cmd = cmd
        self.logf = open(self.console_log, "w", errors="replace")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            data = self.proc.stdout.read1(4096) if hasattr(self.proc.stdout, "read1") else self.proc.stdout.read(1)
            if not data:
                break
            text = data.decode("utf-8", "replace").replace("\r", "")
            with self.lock:
                self.buf += text
                self.marks.append((len(self.buf), time.monotonic() - self.t0))
                self.logf.write(text)
                self.logf.flush()

    def output(self):
        with self.lock:
            return self.buf

    def expect(self, pattern, timeout, start=0, flags=0):
        """Wait for a regex in the console output after offset start; return the match."""
        rx = re.compile(pattern, re.M | flags)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.output(), start)
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)
                m = rx.search(self.output(), start)
                if m:
                    return m
                raise Failure("%s: QEMU exited (status %s) before /%s/ appeared; console: %s"
                              % (self.name, self.proc.returncode, pattern, self.console_log))
            if time.monotonic() > deadline:
                raise Failure("%s: /%s/ did not appear within %d s; console: %s"
                              % (self.name, pattern, timeout, self.console_log))
            time.sleep(0.1)

    def elapsed(self):
        return time.monotonic() - self.t0

    def time_at(self, offset):
        """Seconds since power-on when console offset was read: a stage's time even
        when the test looks at this VM's console late (several nodes at once)."""
        with self.lock:
            i = bisect.bisect_right([m[0] for m in self.marks], offset)
            return self.marks[i][1] if i < len(self.marks) else time.monotonic() - self.t0

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def shell(self, command, timeout=60):
        """Run a command in the guest's shell; return its output (between markers)."""
        tag = "M%d" % int(time.monotonic() * 1000)
        start = len(self.output())
        # The end marker goes on a line of its own even if the output lacks a newline.
        self.send("echo %s''BEGIN; %s; r=$?; echo; echo %s''END $r\n" % (tag, command, tag))
        m = self.expect(r"^%sBEGIN\n(.*?)^%sEND (\d+)$" % (tag, tag), timeout, start, re.S)
        return m.group(1), int(m.group(2))

    def read_file(self, path, timeout=120, attempts=3):
        """A guest file's bytes, carried over the serial console as base64.

        Kernel messages can land in the middle of the transfer on a shared serial
        console, so the guest's sha256 is checked and the read retried."""
        why = ""
        for _ in range(attempts):
            out, rc = self.shell("base64 %s && sha256sum %s" % (path, path), timeout)
            if rc != 0:
                raise Failure("%s: cannot read %s in the guest: %s"
                              % (self.name, path, out.strip()))
            lines = out.split("\n")
            want = None
            chunks = []
            for line in lines:
                line = line.strip()
                if line.endswith(" " + path) or line.endswith("  " + path):
                    want = line.split()[0]
                elif re.fullmatch(r"[A-Za-z0-9+/=]+", line):
                    chunks.append(line)
            try:
                data = base64.b64decode("".join(chunks), validate=True)
            except (ValueError, binascii.Error) as e:
                why = "base64: %s" % e
                continue
            if want and hashlib.sha256(data).hexdigest() == want:
                return data
            why = "sha256 mismatch (guest %s)" % want
        raise Failure("%s: reading %s over the console failed %d times: %s; console: %s"
                      % (self.name, path, attempts, why, self.console_log))

    def pcrs(self, *pcr):
        """{bank: {pcr: hex}} as the guest's TPM reports them (`/init pcrs`)."""
        out, rc = self.shell("/init pcrs %s" % " ".join(str(p) for p in pcr))
        if rc != 0:
            raise Failure("%s: /init pcrs failed: %s" % (self.name, out.strip()))
        vals = {}
        for line in out.split():
            bank, sep, rest = line.partition(":")
            pcr_no, eq, val = rest.partition("=")
            if sep and eq:
                vals.setdefault(bank, {})[int(pcr_no)] = val
        return vals

    def qmp(self, command, arguments=None, timeout=300):
        """One QMP command; returns its "return" value once QEMU has completed it."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        deadline = time.monotonic() + 10
        while True:
            try:
                s.connect(self.qmp_sock)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise Failure("%s: QMP socket %s not reachable" % (self.name, self.qmp_sock))
                time.sleep(0.1)
        f = s.makefile("rw")
        try:
            json.loads(f.readline())  # greeting
            for cmd, args in (("qmp_capabilities", None), (command, arguments)):
                msg = {"execute": cmd}
                if args:
                    msg["arguments"] = args
                f.write(json.dumps(msg) + "\n")
                f.flush()
                while True:
                    line = f.readline()
                    if not line:
                        raise Failure("%s: QMP connection closed during %s" % (self.name, cmd))
                    reply = json.loads(line)
                    if "error" in reply:
                        raise Failure("%s: QMP %s failed: %s" % (self.name, cmd, reply["error"]))
                    if "return" in reply:
                        break
            return reply["return"]
        finally:
            f.close()
            s.close()

    def close(self):
        stop_proc(self.proc)
        self.reader.join(timeout=5)
        self.logf.close()


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise Failure("missing tools: %s (run ./make.sh test, which installs them)" % " ".join(missing))

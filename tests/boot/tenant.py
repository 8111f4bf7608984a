# SPDX-License-Identifier: GPL-2.0-only
"""The Keylime side and the tenant's files for boot tests.

Registrar: tests/host/kl_peer.c on the host's loopback, which the guest reaches
through QEMU user networking at 10.0.2.2. Kernel by URL: a small HTTP server on
loopback. Tenant initrd: a newc archive whose /tenant-init reports on the
console what the tenant received. Every process is stopped by its pid.
"""
import functools
import http.server
import io
import os
import socket
import subprocess
import threading
import time
import zipfile

from qemu import Failure, stop_proc

# What the tenant prints; the test reads these markers from the console.
TENANT_INIT = b"""#!/bin/busybox sh
b=/bin/busybox
$b mount -t proc proc /proc
$b mount -t sysfs sysfs /sys
$b mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "tenant: up"
echo "tenant: cmdline $($b cat /proc/cmdline)"
echo "tenant: handoff version $($b cat /airlock/VERSION)"
echo "tenant: volumes $($b cat /airlock/luks/volumes)"
echo "tenant: key $($b cat /airlock/luks/data.key)"
echo "tenant: ipsec $($b cat /airlock/ipsec/swanctl.conf)"
for i in 1 2 3; do
    echo TENANT-LOG-BEGIN $($b sha256sum /airlock/eventlog)
    $b base64 /airlock/eventlog
    echo TENANT-LOG-END
done
echo TENANT-PCRS-BEGIN
/init pcrs 8 9
echo TENANT-PCRS-END
echo "tenant: done"
exec $b sleep 600
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def newc(files):
    """A newc cpio archive of {name: (mode, bytes)} (directories: bytes None)."""
    out = io.BytesIO()
    ino = 0

    def entry(name, mode, data):
        nonlocal ino
        ino += 1
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino if name != "TRAILER!!!" else 0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0,
            len(nb), 0))
        out.write(hdr.encode() + nb)
        out.write(b"\0" * (-(110 + len(nb)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))

    for name, (mode, data) in sorted(files.items()):
        entry(name, mode | (0o040000 if data is None else 0o100000), data or b"")
    entry("TRAILER!!!", 0, b"")
    return out.getvalue()


def payload_zip(manifest, files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("airlock.json", manifest)
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


class Registrar:
    """kl-peer registrar on 127.0.0.1 (refuse=True: answers 403 like an untrusting one)."""

    def __init__(self, peer, workdir, refuse=False):
        self.dir = os.path.join(workdir, "registrar" + ("-refusing" if refuse else ""))
        os.makedirs(os.path.join(self.dir, "agents"), exist_ok=True)
        self.log = os.path.join(self.dir, "registrar.log")
        args = [peer, "registrar", "port", "agents"] + (["--refuse"] if refuse else [])
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        deadline = time.monotonic() + 10
        portfile = os.path.join(self.dir, "port")
        while not (os.path.exists(portfile) and open(portfile).read().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Failure("kl-peer registrar did not start (log %s)" % self.log)
            time.sleep(0.05)
        self.port = int(open(portfile).read())

    def path(self, name):
        return os.path.join(self.dir, "agents", name)

    def stop(self):
        stop_proc(self.proc)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class FileServer:
    """Plain HTTP on 127.0.0.1 serving one directory (the provisioning server)."""

    def __init__(self, directory):
        handler = functools.partial(_Quiet, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def run_tenant(peer, port, uuid, zip_path, outdir, timeout=300):
    """kl-peer tenant against the agent forwarded to 127.0.0.1:port; returns its output."""
    os.makedirs(outdir, exist_ok=True)
    r = subprocess.run([peer, "tenant", "127.0.0.1", str(port), uuid, zip_path, outdir],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise Failure("tenant flow failed (status %d): %s%s"
                      % (r.returncode, r.stdout[-600:], r.stderr[-600:]))
    return r.stdout

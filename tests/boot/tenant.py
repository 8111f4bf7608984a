# SPDX-License-Identifier: GPL-2.0-only
"""The Keylime side and the tenant's files for boot tests.

Registrar: tests/host/kl_peer.c on the host's loopback, which the guest reaches
through QEMU user networking at 10.0.2.2. Kernel by URL: a small HTTP server on
loopback. Tenant initrd: a newc archive whose /tenant-init reports on the
console what the tenant received; for the test tenant kernel
(tests/tenant/kernel.config) it also carries busybox, /init (for `pcrs`) and
the host's cryptsetup with its libraries, and opens each delivered LUKS volume.
Every process is stopped by its pid.
"""
import functools
import http.server
import io
import os
import re
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
while read -r name dev; do
    echo "tenant: key $name sha256 $($b sha256sum /airlock/luks/$name.key | $b cut -d' ' -f1)"
    [ -x /sbin/cryptsetup ] || continue
    # What a tenant's initramfs hook does: open the volume with the delivered
    # key, then drop the key file (this root is memory-backed).
    $b mkdir -p /run/cryptsetup /mnt/$name
    if /sbin/cryptsetup open --key-file /airlock/luks/$name.key $dev $name &&
       $b mount -t ext4 -o ro /dev/mapper/$name /mnt/$name; then
        echo "tenant: luks $name opened: $($b cat /mnt/$name/hello.txt)"
    else
        echo "tenant: luks $name: cannot open $dev"
    fi
    $b rm -f /airlock/luks/$name.key
done </airlock/luks/volumes
echo "tenant: ipsec $($b cat /airlock/ipsec/swanctl.conf)"
for i in 1 2 3; do
    echo TENANT-LOG-BEGIN $($b sha256sum /airlock/eventlog)
    $b base64 /airlock/eventlog
    echo TENANT-LOG-END
    # UEFI: the EFI stub measured its LoadOptions into PCR 9 before the runtime ran.
    [ -f /airlock/firmware-eventlog ] || continue
    echo TENANT-FWLOG-BEGIN $($b sha256sum /airlock/firmware-eventlog)
    $b base64 /airlock/firmware-eventlog
    echo TENANT-FWLOG-END
done
echo TENANT-PCRS-BEGIN
/init pcrs 2 8 9
echo TENANT-PCRS-END
echo "tenant: done"
# The next tenant's turn: a reboot into the airlock (Linux shuts the TPM down first).
if $b grep -q tenant.reboot /proc/cmdline; then
    echo "tenant: rebooting"
    $b sync
    exec $b reboot -f
fi
exec $b sleep 600
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def newc(files):
    """A newc cpio archive of {name: (mode, bytes)} (directories: bytes None;
    character devices: (mode, None, (major, minor)))."""
    out = io.BytesIO()
    ino = 0

    def entry(name, mode, data, rdev=(0, 0)):
        nonlocal ino
        ino += 1
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino if name != "TRAILER!!!" else 0, mode, 0, 0, 1, 0, len(data), 0, 0,
            rdev[0], rdev[1], len(nb), 0))
        out.write(hdr.encode() + nb)
        out.write(b"\0" * (-(110 + len(nb)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))

    for name, spec in sorted(files.items()):
        mode, data = spec[0], spec[1]
        if len(spec) == 3:
            entry(name, mode | 0o020000, b"", spec[2])
        else:
            entry(name, mode | (0o040000 if data is None else 0o100000), data or b"")
    entry("TRAILER!!!", 0, b"")
    return out.getvalue()


def _with_parents(files):
    """Add a directory entry for every parent: the kernel does not create them."""
    out = dict(files)
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.setdefault("/".join(parts[:i]), (0o755, None))
    return out


def tenant_initrd(image):
    """The test tenant's initrd for its own kernel (no embedded initramfs): tenant-init,
    busybox and /init from the runtime image (build/<board>/initramfs-root), the host's
    cryptsetup with the libraries ldd names, /dev/console and the mount points."""
    root = os.path.join(image, "initramfs-root")
    files = {
        "tenant-init": (0o755, TENANT_INIT),
        "bin/busybox": (0o755, open(os.path.join(root, "bin/busybox"), "rb").read()),
        "init": (0o755, open(os.path.join(root, "init"), "rb").read()),
        "dev/console": (0o600, None, (5, 1)),
    }
    for d in ("proc", "sys", "dev", "run", "mnt", "tmp"):
        files[d] = (0o755, None)
    cryptsetup = next((p for p in ("/usr/sbin/cryptsetup", "/sbin/cryptsetup")
                       if os.path.exists(p)), None)
    if cryptsetup is None:
        raise Failure("cryptsetup is not installed (Debian package cryptsetup-bin)")
    files["sbin/cryptsetup"] = (0o755, open(cryptsetup, "rb").read())
    ldd = subprocess.run(["ldd", cryptsetup], capture_output=True, text=True, timeout=30)
    if ldd.returncode != 0:
        raise Failure("ldd %s failed: %s" % (cryptsetup, ldd.stderr.strip()))
    for lib in re.findall(r"(/\S+) \(0x", ldd.stdout):
        files[lib.lstrip("/")] = (0o755, open(os.path.realpath(lib), "rb").read())
    return newc(_with_parents(files))


def luks_disk(path, key, text, tree=None):
    """A LUKS2 disk image holding an ext4 file system with hello.txt = text (plus the
    files of tree, {name: (mode, bytes or None for a directory)}), made without
    device-mapper (offline encryption in place), opened only by key."""
    work = path + ".d"
    os.makedirs(work)
    for name, (mode, data) in sorted((tree or {}).items()):
        p = os.path.join(work, name)
        if data is None:
            os.makedirs(p, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        os.chmod(p, mode)
    with open(os.path.join(work, "hello.txt"), "w") as f:
        f.write(text + "\n")
    keyfile = path + ".key"
    with open(keyfile, "wb") as f:
        f.write(key)
    with open(path, "wb") as f:
        f.truncate(24 << 20)
    for cmd in (["mkfs.ext4", "-q", "-d", work, "-L", "tenant", path, "16M"],
                # pbkdf2 with few iterations: a test key, and TCG is slow.
                ["cryptsetup", "reencrypt", "--encrypt", "--type", "luks2",
                 "--reduce-device-size", "8M", "--pbkdf", "pbkdf2",
                 "--pbkdf-force-iterations", "1000", "--key-file", keyfile, "--batch-mode",
                 path]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise Failure("%s failed: %s" % (" ".join(cmd[:2]), r.stderr.strip()))
    os.unlink(keyfile)
    if text.encode() in open(path, "rb").read():
        raise Failure("%s still holds %r in the clear after encryption" % (path, text))


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

# SPDX-License-Identifier: GPL-2.0-only
"""Issue 7's tenant: Debian's packaged kernel with an initrd that mkinitramfs
(initramfs-tools) builds with airlock's hook (tenant/initramfs-tools, installed
by tenant/install into a copy of the host's /etc/initramfs-tools), or that
dracut builds with airlock's module (tenant/dracut, installed into a copy of
the host's /usr/lib/dracut). Its root file
system is on the node's LUKS2 disk, which only the delivered key opens; that root
holds busybox and an /sbin/init that reports what it sees and powers off.

Needs the host packages linux-image-amd64, initramfs-tools, busybox, dracut-core,
cryptsetup-bin (reproducible/debian-packages)."""
import glob
import os
import shutil
import subprocess

from qemu import Failure
from tenant import luks_disk

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROOT_INIT = b"""#!/bin/busybox sh
b=/bin/busybox
$b mount -t proc proc /proc 2>/dev/null
echo "debian-tenant: up"
echo "debian-tenant: kernel $($b uname -r)"
echo "debian-tenant: root $($b grep ' / ' /proc/mounts | $b cut -d' ' -f1)"
echo "debian-tenant: file $($b cat /hello.txt)"
echo "debian-tenant: run/airlock $($b ls /run/airlock | $b tr '\\n' ' ')"
echo "debian-tenant: ipsec $($b head -n 1 /run/airlock/ipsec/swanctl.conf)"
echo "debian-tenant: done"
$b sync
# The image's busybox has no poweroff applet; the kernel's sysrq does it.
echo o >/proc/sysrq-trigger
exec $b sleep 60
"""


def debian_kernel():
    """(version, vmlinuz) of the newest Debian kernel installed with its modules."""
    found = []
    for vmlinuz in glob.glob("/boot/vmlinuz-*"):
        version = vmlinuz[len("/boot/vmlinuz-"):]
        if os.path.isdir("/lib/modules/" + version):
            found.append((version, vmlinuz))
    if not found:
        raise Failure("no Debian kernel with modules in /boot and /lib/modules "
                      "(apt-get install linux-image-amd64)")
    return sorted(found)[-1]


class DebianTenant:
    """A tenant for test_boot.verifier_flow (see its `tenant` parameter)."""
    up_re = r"^debian-tenant: up$"
    done_re = r"^debian-tenant: done$"
    volume = "/dev/vda"

    def __init__(self, a, work, deliver_key=True, builder="initramfs-tools"):
        """deliver_key False: the payload carries no LUKS key although the root is on
        LUKS; the hook must stop the boot and say why. builder: initramfs-tools or
        dracut."""
        self.image = a.image
        self.deliver_key = deliver_key
        self.builder = builder
        self.version, self.kernel = debian_kernel()
        self.initrd = os.path.join(work, "initrd.img-" + self.version)
        self.cmdline = "console=ttyS0,115200 root=/dev/mapper/data ro"
        if builder == "dracut":
            self.build_dracut(work)
            if not deliver_key:  # dracut's die: FATAL on the console, then a halt
                self.up_re = r"FATAL: airlock: root /dev/mapper/data is not among"
                self.done_re = r"Refusing to continue"
            return
        root = os.path.join(work, "initramfs-conf")
        shutil.copytree("/etc/initramfs-tools", os.path.join(root, "etc", "initramfs-tools"),
                        symlinks=True)
        conf = os.path.join(root, "etc", "initramfs-tools")
        r = subprocess.run([os.path.join(TOP, "tenant", "install"), "initramfs-tools",
                            "--root", root], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Failure("tenant/install failed: %s" % r.stderr.strip())
        # The VM needs only what the hook adds; MODULES=most would triple the initrd.
        with open(os.path.join(conf, "initramfs.conf"), "a") as f:
            f.write("MODULES=list\nBUSYBOX=y\n")
        r = subprocess.run(["mkinitramfs", "-d", conf, "-o", self.initrd, self.version],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise Failure("mkinitramfs failed: %s" % (r.stderr or r.stdout).strip()[-600:])
        if not deliver_key:  # the boot stops in the initramfs, at its emergency shell
            self.up_re = r"airlock: root /dev/mapper/data is not among the LUKS volumes"
            self.done_re = r"\(initramfs\)"

    def build_dracut(self, work):
        """dracut with airlock's module, from a copy of the host's dracut tree (so the
        module is installed the way tenant/install installs it, without touching /usr)."""
        root = os.path.join(work, "dracut-root")
        base = os.path.join(root, "usr", "lib", "dracut")
        shutil.copytree("/usr/lib/dracut", base, symlinks=True)
        r = subprocess.run([os.path.join(TOP, "tenant", "install"), "dracut", "--root", root],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Failure("tenant/install dracut failed: %s" % r.stderr.strip())
        env = dict(os.environ, dracutbasedir=base)
        r = subprocess.run(["dracut", "--conf", "/dev/null", "--confdir",
                            os.path.join(root, "etc", "dracut.conf.d"), "--no-hostonly",
                            "--modules", "base udev-rules rootfs-block airlock",
                            "--force", "--kver", self.version, self.initrd],
                           capture_output=True, text=True, timeout=600, env=env)
        if r.returncode != 0 or not os.path.exists(self.initrd):
            raise Failure("dracut failed: %s" % (r.stderr or r.stdout).strip()[-800:])

    def make_disk(self, n):
        """The node's root: ext4 on LUKS2, opened by the node's key only."""
        busybox = open(os.path.join(self.image, "initramfs-root", "bin", "busybox"), "rb").read()
        tree = {d: (0o755, None) for d in ("bin", "sbin", "dev", "proc", "sys", "run", "tmp")}
        tree["bin/busybox"] = (0o755, busybox)
        tree["sbin/init"] = (0o755, ROOT_INIT)
        path = os.path.join(n.work, "root.img")
        luks_disk(path, n.key, n.secret_text, tree)
        return path

    def check(self, check, lbl, n, out, console):
        if not self.deliver_key:
            check(lbl + "no key delivered: the boot stops (%s's emergency path), says why"
                  % self.builder, "airlock delivered ()" in out and
                  ("(initramfs)" in out if self.builder == "initramfs-tools" else
                   "Refusing to continue" in out), out[:300])
            check(lbl + "no key delivered: the root was not mounted",
                  "debian-tenant: up" not in console)
            return
        check(lbl + "Debian's kernel %s booted" % self.version,
              "debian-tenant: kernel %s" % self.version in out)
        check(lbl + "the %s hook opened the LUKS2 root with the delivered key" % self.builder,
              "airlock: opening LUKS volume data" in console and
              "debian-tenant: root /dev/mapper/data" in out)
        check(lbl + "the tenant read its file from the encrypted root",
              "debian-tenant: file %s" % n.secret_text in out)
        check(lbl + "IPsec material and event logs kept in /run/airlock",
              "debian-tenant: ipsec connections { }" in out and
              "eventlog" in out.split("debian-tenant: run/airlock", 1)[-1].split("\n")[0])

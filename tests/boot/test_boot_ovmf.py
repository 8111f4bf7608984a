#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Boot test for board qemu-ovmf: OVMF (UEFI) with a TPM 2.0 loads the EFI-stub
image, measures it into PCR 4, and hands Linux the firmware event log. Checks:
the runtime comes up under UEFI; the firmware log from securityfs replays to
the TPM's PCRs 0-7; the runtime log replays to PCR 8 (both with an independent
Python replay). The iPXE chainload path is exercised by the end-to-end suite."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eventlog_replay  # noqa: E402
from qemu import Failure, Qemu, Results, Swtpm, need  # noqa: E402

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
IPXE_EFI = "/usr/lib/ipxe/ipxe.efi"
CMDLINE = "airlock.registrar=10.0.2.2:8890 airlock.shell=1 airlock.net_timeout=20"
results = Results()
check = results.check


def policy_test(a, pol, rt_path, fw_path):
    r = subprocess.run([a.verifier, "policy", "test", pol, "--runtime-log", rt_path,
                        "--firmware-log", fw_path], capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def predict(a, work, cmdline, name):
    pol = os.path.join(work, name + ".policy")
    r = subprocess.run([a.verifier, "predict", a.image, "--append", cmdline, "--firmware", "uefi",
                        "--out", pol], capture_output=True, text=True, timeout=60)
    check("predict writes a policy from %s (%s)" % (a.image, name), r.returncode == 0,
          r.stderr.strip())
    return pol if r.returncode == 0 else None


def save(work, name, data):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def predicted_kernel_boot(a, work, rt, fw):
    """`-kernel` boot: PCR 8 holds the predicted command line, configuration,
    scrub and ready events; then (no registrar here) the agent's failure, where
    the prediction rightly stops matching. (PCR 4 is checked by the ESP boot:
    with -kernel QEMU patches the image's setup header before OVMF loads it.)"""
    pol = predict(a, work, CMDLINE, "kernel-boot")
    if not pol:
        return
    rc, out = policy_test(a, pol, save(work, "runtime.log", rt), save(work, "firmware.log", fw))
    check("PCR 8 matches the prediction up to the agent's failure (event #4)",
          rc == 3 and "first differing event: #4" in out and "airlock failure: stage=" in out,
          out)


def esp_boot(a, work):
    """OVMF loads our exact bzImage from a FAT disk (the UEFI shell runs
    startup.nsh, as a boot loader would): the Authenticode digest `predict`
    computes must be the one UEFI measured into PCR 4. No NIC: the runtime
    stops at the network, with its debug shell."""
    work = os.path.join(work, "esp-boot")
    esp = os.path.join(work, "esp")
    os.makedirs(esp)
    shutil.copy(os.path.join(a.image, "bzImage"), os.path.join(esp, "airlock.efi"))
    # The shell passes its whole command line, argv[0] included, as LoadOptions.
    cmdline = "fs0:\\airlock.efi " + CMDLINE
    with open(os.path.join(esp, "startup.nsh"), "w") as f:
        f.write(cmdline + "\r\n")
    vars_copy = os.path.join(work, "OVMF_VARS.esp.fd")
    shutil.copy(OVMF_VARS, vars_copy)
    tpm = Swtpm(work, banks="sha1,sha256")
    tpm.start()
    vm = None
    try:
        vm = Qemu(work, "esp", [
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
            "-drive", "file=fat:rw:%s,format=raw,if=none,id=esp" % esp,
            "-device", "virtio-blk-pci,drive=esp", "-nic", "none"], tpm=tpm)
        vm.expect(r"airlock: runtime starting", 300)
        vm.expect(r"debug shell allowed", 300)
        vm.send("\n")
        fw = vm.read_file("/sys/kernel/security/tpm0/binary_bios_measurements")
        rt = vm.read_file("/run/airlock/eventlog")
    except Failure as e:
        check("OVMF boot from a FAT disk", False, str(e))
        return
    finally:
        if vm:
            vm.close()
        tpm.stop()
    pol = predict(a, work, cmdline, "esp-boot")
    if not pol:
        return
    rt_path, fw_path = save(work, "esp-runtime.log", rt), save(work, "esp-firmware.log", fw)
    p = json.load(open(pol))
    fw_only = os.path.join(work, "esp-firmware.policy")
    json.dump({k: v for k, v in p.items() if not k.startswith("runtime")}, open(fw_only, "w"))
    rc, out = policy_test(a, fw_only, rt_path, fw_path)
    check("UEFI measured the predicted Authenticode digest of bzImage into PCR 4", rc == 0, out)
    rc, out = policy_test(a, pol, rt_path, fw_path)
    check("PCR 8 matches the prediction up to the missing network (event #3)",
          rc == 3 and "first differing event: #3" in out and "stage=network" in out, out)


def ipxe_boot(suffix=b""):
    """A launcher for test_boot.verifier_flow: OVMF boots Debian's ipxe.efi from a FAT disk;
    iPXE gets boot.ipxe by TFTP from QEMU's user network, which chains the node's own script
    by its MAC, and that chainloads the runtime by HTTP from the host (the provider's path on
    UEFI servers); `airlock-verifier boot-config` wrote both scripts and the node's policy
    from one node list line. suffix: bytes appended to the served
    image (a node that gets another image than the tenant built)."""
    def launch(a, work, cmdline, agent_port, tpm, files, srv, extra=()):
        esp = os.path.join(work, "esp")
        os.makedirs(os.path.join(esp, "EFI", "BOOT"))
        shutil.copy(IPXE_EFI, os.path.join(esp, "EFI", "BOOT", "BOOTX64.EFI"))
        # Not named airlock.*: iPXE passes the image name as the kernel's first word.
        with open(os.path.join(files, "runtime.efi"), "wb") as f:
            f.write(open(os.path.join(a.image, "bzImage"), "rb").read() + suffix)
        # The provider's node list: boot-config writes this node's iPXE script (boot.ipxe
        # chains it by MAC) and its policy from the same line, which the flow then uses.
        uuid = re.search(r"airlock\.uuid=(\S+)", cmdline)
        uuid = uuid.group(1) if uuid else "node-%d" % agent_port
        mac = "52:54:00:00:%02x:%02x" % (agent_port >> 8 & 255, agent_port & 255)
        nodes = os.path.join(work, "nodes")
        with open(nodes, "w") as f:
            f.write("# uuid mac words\n%s %s %s\n" % (uuid, mac, cmdline))
        tftp = os.path.join(work, "tftp")
        r = subprocess.run([a.verifier, "boot-config", nodes, a.image, "--url",
                            "http://10.0.2.2:%d/runtime.efi" % srv.port, "--out", tftp],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise Failure("boot-config: %s" % r.stderr.strip())
        shutil.copy(os.path.join(tftp, uuid + ".policy"), os.path.join(work, "boot-config.policy"))
        vars_copy = os.path.join(work, "OVMF_VARS.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        vm = Qemu(work, "node", [
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
            "-drive", "file=fat:rw:%s,format=raw,if=none,id=esp" % esp,
            "-device", "virtio-blk-pci,drive=esp",
            "-netdev", "user,id=n0,tftp=%s,bootfile=boot.ipxe,hostfwd=tcp:127.0.0.1:%d-:9002"
            % (tftp, agent_port),
            "-device", "virtio-net-pci,netdev=n0,romfile=,mac=" + mac] + list(extra), tpm=tpm)
        return vm, "runtime.efi " + cmdline
    return launch


def ipxe_flows(a, work):
    """Issue 6's UEFI chainload with airlock-verifier on the tenant side: the node reaches the
    tenant; then one served a different image (one byte appended) is failed on PCR 4."""
    import test_boot
    test_boot.check = check  # its checks count in this suite's results
    a.banks = "sha1,sha256"
    # The ESP is the first virtio disk, so the tenant's LUKS volume is the second.
    test_boot.verifier_flow(a, work, launch=ipxe_boot(), name="ipxe", volume="/dev/vdb")
    test_boot.verifier_flow(a, work, launch=ipxe_boot(b"\0"), name="ipxe-other-image",
                            expect_fail="PCR 4: no firmware event with digest")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True, help="build/qemu-ovmf directory")
    ap.add_argument("--logs", required=True)
    ap.add_argument("--verifier", help="airlock-verifier: check its predicted policy")
    ap.add_argument("--tenant-kernel", help="the test tenant's kernel (tests/tenant/kernel.config)")
    a = ap.parse_args()
    need("qemu-system-x86_64", "swtpm")
    if not os.path.exists(OVMF_CODE):
        raise SystemExit("%s missing (package ovmf)" % OVMF_CODE)
    os.makedirs(a.logs, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ovmf.", dir=a.logs)
    vars_copy = os.path.join(work, "OVMF_VARS.fd")
    shutil.copy(OVMF_VARS, vars_copy)
    tpm = Swtpm(work, banks="sha1,sha256")
    tpm.start()
    vm = None
    try:
        vm = Qemu(work, "uefi", [
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
            "-kernel", os.path.join(a.image, "bzImage"),
            "-append", CMDLINE,
            "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"], tpm=tpm)
        vm.expect(r"airlock: runtime starting", 300)
        t_up = vm.elapsed()
        vm.expect(r"debug shell allowed", 300)
        print("timing: power-on -> runtime up %.1f s (OVMF, TCG)" % t_up)
        check("EFI stub boot under OVMF", "EFI stub" in vm.output() or "efi:" in vm.output())
        vm.send("\n")
        tpm_pcrs = vm.pcrs(*range(9))
        fw = vm.read_file("/sys/kernel/security/tpm0/binary_bios_measurements")
        check("firmware event log in securityfs", len(fw) > 100, "%d bytes" % len(fw))
        with open(os.path.join(work, "firmware.log"), "wb") as f:
            f.write(fw)
        fw_values, fw_events = eventlog_replay.replay(fw)
        for bank in ("sha1", "sha256"):
            for pcr in range(8):
                want = fw_values.get(bank, {}).get(pcr)
                got = tpm_pcrs.get(bank, {}).get(pcr)
                if want is None:  # locality / untouched PCRs are not in our simple replay
                    continue
                check("firmware log replays %s PCR %d" % (bank, pcr), want == got,
                      "replay %s tpm %s" % (want, got))
        check("UEFI measured a boot application into PCR 4",
              any(e[0] == 4 and e[1] == 0x80000003 for e in fw_events))
        rt = vm.read_file("/run/airlock/eventlog")
        values, _ = eventlog_replay.replay(rt)
        for bank in ("sha1", "sha256"):
            check("runtime log replays %s PCR 8" % bank,
                  values[bank][8] == tpm_pcrs[bank][8])
        if a.verifier:
            predicted_kernel_boot(a, work, rt, fw)
    except Failure as e:
        check("OVMF boot", False, str(e))
        print("logs kept in %s" % work)
    finally:
        if vm:
            vm.close()
        tpm.stop()
    if a.verifier:
        esp_boot(a, work)
        ipxe_flows(a, work)
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())

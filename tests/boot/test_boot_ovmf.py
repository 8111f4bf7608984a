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
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eventlog_replay  # noqa: E402
from qemu import Failure, Qemu, Results, Swtpm, need  # noqa: E402

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
CMDLINE = "airlock.registrar=10.0.2.2:8890 airlock.shell=1 airlock.net_timeout=20"
results = Results()
check = results.check


def policy_test(a, pol, rt_path, fw_path):
    r = subprocess.run([a.verifier, "policy", "test", pol, "--runtime-log", rt_path,
                        "--firmware-log", fw_path], capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def predicted(a, work, rt, fw):
    """The tenant's prediction from the build: UEFI measured exactly our bzImage
    (its Authenticode digest) into PCR 4, and PCR 8 holds the predicted command
    line, configuration, scrub and ready events; then (no registrar here) the
    agent's failure, where the prediction rightly stops matching."""
    pol = os.path.join(work, "predicted.policy")
    r = subprocess.run([a.verifier, "predict", a.image, "--append", CMDLINE, "--firmware", "uefi",
                        "--out", pol], capture_output=True, text=True, timeout=60)
    check("predict writes a policy from %s" % a.image, r.returncode == 0, r.stderr.strip())
    if r.returncode != 0:
        return
    rt_path, fw_path = os.path.join(work, "runtime.log"), os.path.join(work, "firmware.log")
    with open(rt_path, "wb") as f:
        f.write(rt)
    p = json.load(open(pol))
    fw_only = os.path.join(work, "predicted-firmware.policy")
    json.dump({k: v for k, v in p.items() if not k.startswith("runtime")}, open(fw_only, "w"))
    rc, out = policy_test(a, fw_only, rt_path, fw_path)
    check("UEFI measured the predicted Authenticode digest of bzImage into PCR 4", rc == 0, out)
    rc, out = policy_test(a, pol, rt_path, fw_path)
    check("PCR 8 matches the prediction up to the agent's failure (event #4)",
          rc == 3 and "first differing event: #4" in out and "airlock failure: stage=" in out,
          out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True, help="build/qemu-ovmf directory")
    ap.add_argument("--logs", required=True)
    ap.add_argument("--verifier", help="airlock-verifier: check its predicted policy")
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
            predicted(a, work, rt, fw)
    except Failure as e:
        check("OVMF boot", False, str(e))
        print("logs kept in %s" % work)
    finally:
        if vm:
            vm.close()
        tpm.stop()
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())

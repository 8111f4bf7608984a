#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Boot test for board qemu-coreboot, with a coreboot base ROM for QEMU q35 given
as --rom (or COREBOOT_ROM); without one it reports SKIPPED, as coreboot is not in
Debian and the project cannot build it (docs/coreboot.md).

For each node the test makes its flash image with reproducible/coreboot-rom (the
runtime kernel as fallback/payload, the node's command line), boots it in QEMU q35
(TCG) with swtpm on TPM TIS, and runs the verifier flow of test_boot.py: the agent
sends coreboot's TPM log from CBMEM, the verifier replays it against the quote and
checks it against the policy `predict --rom` computed (PCR 2 events and value),
the tenant is kexec'd. Then: the quoted PCR 2 the tenant read equals predict's value
and the replay of coreboot's log."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eventlog_replay  # noqa: E402
import test_boot  # noqa: E402
from qemu import Failure, Qemu, Results, need  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = Results()
check = results.check


def coreboot_boot(base_rom):
    """A launcher for test_boot.verifier_flow: the node's own airlock.rom from base_rom
    with its command line (coreboot passes it to the payload), booted as the q35
    machine's flash."""
    def launch(a, work, cmdline, agent_port, tpm, files, srv, extra=()):
        rom = os.path.join(work, "airlock.rom")
        r = subprocess.run([os.path.join(TOP, "reproducible", "coreboot-rom"), base_rom,
                            os.path.join(a.image, "bzImage"), cmdline, rom],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise Failure("coreboot-rom: %s" % r.stderr.strip())
        vm = Qemu(work, "node", [
            "-bios", rom,
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:9002" % agent_port,
            "-device", "virtio-net-pci,netdev=n0"] + list(extra), tpm=tpm, tpm_dev="tpm-tis")
        return vm, cmdline
    return launch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True, help="build/qemu-coreboot directory")
    ap.add_argument("--rom", default=os.environ.get("COREBOOT_ROM", ""),
                    help="coreboot base ROM for QEMU q35 (default $COREBOOT_ROM)")
    ap.add_argument("--verifier", required=True)
    ap.add_argument("--tenant-kernel")
    ap.add_argument("--logs", required=True)
    a = ap.parse_args()
    if not a.rom:
        print("SKIPPED: no COREBOOT_ROM: give a coreboot ROM for QEMU q35 built with TPM 2.0 "
              "measured boot and a Linux payload (docs/coreboot.md) to boot this board")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    if not os.path.isfile(a.rom):
        check("COREBOOT_ROM %s exists" % a.rom, False)
        return results.finish()
    need("qemu-system-x86_64", "swtpm", "cbfstool")
    a.rom = os.path.abspath(a.rom)
    a.banks = "sha1,sha256"
    os.makedirs(a.logs, exist_ok=True)
    work = tempfile.mkdtemp(prefix="coreboot.", dir=a.logs)
    test_boot.check = check  # its checks count in this suite's results
    flow = test_boot.verifier_flow(a, work, launch=coreboot_boot(a.rom), name="coreboot")
    n = flow[0] if flow else None
    if n is None or n.result is None:
        check("coreboot: the flow reached the tenant", False, "logs in %s" % work)
        return results.finish()
    pol = json.load(open(n.result["policy"]))
    want = pol.get("pcrs", {}).get("2", [None])[0]
    quoted = n.result["pcrs"].get("sha256", {}).get(2)
    check("PCR 2 the tenant read equals predict's value", want and quoted == want,
          "predict %s, TPM %s" % (want, quoted))
    fw = n.result["fw_log"]
    check("the agent handed coreboot's TPM log to the tenant", fw is not None)
    if fw is not None:
        values, events = eventlog_replay.replay(fw)
        check("coreboot's log replays to the TPM's PCR 2", values.get("sha256", {}).get(2) == quoted,
              "replay %s" % values.get("sha256", {}).get(2))
        check("coreboot's log names the FMAP and the payload",
              any(e[0] == 2 and e[3].startswith(b"FMAP: FMAP") for e in events) and
              any(e[0] == 2 and e[3].startswith(b"CBFS: fallback/payload") for e in events))
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())

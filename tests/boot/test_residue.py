#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Warm-reset residue test.

A first boot (the "previous tenant", tests/boot/fill.c) fills all the RAM it
can get with a known 64-bit pattern and powers off. The runtime then boots on
the *same RAM*: both boots use one file-backed memory object
(memory-backend-file, share=on), so the RAM survives from one boot to the next
exactly as across a warm reset without power-off (QEMU keeps RAM across
system_reset too; a second QEMU process on the same memory file lets the two
boots use different kernels and initramfs without firmware tricks). After the
runtime has scrubbed, guest physical memory is dumped with the monitor's
pmemsave and searched for the pattern.

Three runtime configurations, each on freshly filled RAM:
- production (scrub on, the kernel's init_on_free on): zero occurrences
  outside the excluded ranges (EXCLUDED, each justified);
- userspace scrubber alone (init_on_free=0 on the command line): at most the
  scrubber's floor survives (docs/scrub.md: the floor is the memory it leaves
  to the kernel on purpose);
- no scrubbing at all (airlock.scrub=off init_on_free=0): the pattern must be
  found, proving the test can fail. Note that Linux with init_on_free zeroes
  every page it releases to the page allocator at boot, so airlock.scrub=off
  alone is not "no scrubbing".
"""
import argparse
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import Failure, Qemu, Results, Swtpm, need  # noqa: E402

PATTERN = struct.pack("<Q", 0x41a5c0de5eed1e55)
MEM = 1024 << 20
# (start, end, why): ranges the runtime cannot reach. Firmware-reserved ranges
# are added per boot from the e820 map the runtime kernel printed.
EXCLUDED = [
    (0x0, 0x100000, "first 1 MiB: real-mode/BIOS area (SeaBIOS data, EBDA, option ROMs); "
     "Linux reserves all of it on x86 and never hands it to the page allocator"),
]
E820_WHY = ("firmware-reserved (e820 type other than usable): the firmware keeps it for itself "
            "(SeaBIOS tables and data at the top of RAM, ACPI); no kernel, ours or the "
            "tenant's, gets it as RAM")


def e820_reserved(console):
    out = []
    for m in re.finditer(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (.*)", console):
        if m.group(3).strip() != "usable":
            out.append((int(m.group(1), 16), int(m.group(2), 16) + 1, E820_WHY))
    return out

results = Results()
check = results.check


def find_pattern(dump):
    """Offsets (8-byte aligned) where the pattern occurs, grouped into MiB buckets."""
    hits = []
    pos = dump.find(PATTERN)
    while pos != -1:
        if pos % 8 == 0:
            hits.append(pos)
        pos = dump.find(PATTERN, pos + 1)
    return hits


# name -> (extra command line, what is checked)
# memtest=0 overrides the boards' built-in memtest=1 (the appended command line
# comes later and wins), so the first two runs see no early zeroing pass.
RUNS = [
    ("none", "airlock.scrub=off init_on_free=0 memtest=0"),
    ("userspace", "airlock.scrub=on init_on_free=0 memtest=0"),
    ("production", "airlock.scrub=on"),
]


def boot_pair(a, work, scrub, extra):
    mem = os.path.join(work, "ram-%s" % scrub)
    with open(mem, "wb") as f:
        f.truncate(MEM)
    backend = ["-object", "memory-backend-file,id=ram,size=%d,mem-path=%s,share=on" % (MEM, mem),
               "-machine", "q35,memory-backend=ram"]
    kernel = os.path.join(a.image, "bzImage")
    filler = Qemu(work, "fill-" + scrub, backend + [
        "-kernel", kernel, "-initrd", a.fill, "-append", "rdinit=/fill quiet loglevel=0"])
    try:
        m = filler.expect(r"airlock-test fill: (\d+) MiB filled", 300)
        filled = int(m.group(1))
        filler.proc.wait(timeout=60)
    finally:
        filler.close()
    tpm = Swtpm(os.path.join(work, "tpm-" + scrub), ek=False)
    tpm.start()
    vm = Qemu(work, "runtime-" + scrub, backend + [
        "-kernel", kernel, "-append",
        "airlock.registrar=10.0.2.2:8890 airlock.shell=1 airlock.net_timeout=5 " + extra,
        "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"], tpm=tpm)
    try:
        vm.expect(r"boot failed|debug shell allowed", 600)
        vm.expect(r"debug shell allowed", 60)
        console = vm.output()
        dump = os.path.join(work, "dump-%s" % scrub)
        vm.qmp("stop")
        vm.qmp("pmemsave", {"val": 0, "size": MEM, "filename": dump})
        with open(dump, "rb") as f:
            data = f.read()
    finally:
        vm.close()
        tpm.stop()
    os.unlink(mem)
    os.unlink(dump)
    return filled, data, console


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--fill", required=True, help="initramfs with /fill")
    ap.add_argument("--logs", required=True)
    a = ap.parse_args()
    need("qemu-system-x86_64", "swtpm")
    os.makedirs(a.logs, exist_ok=True)
    work = tempfile.mkdtemp(prefix="residue.", dir=a.logs)
    try:
        for name, extra in RUNS:
            filled, data, console = boot_pair(a, work, name, extra)
            excluded = EXCLUDED + e820_reserved(console)
            left = re.search(r"scrub [\d.]+ s, ([\d.]+) GiB of ([\d.]+) GiB .*\b(\d+) MiB left "
                             r"to the kernel", console)
            check("filler filled most of RAM (%s)" % name, filled * 2 > MEM >> 20,
                  "%d MiB" % filled)
            hits = find_pattern(data)
            outside = [h for h in hits if not any(s <= h < e for s, e, _ in excluded)]
            mib = sorted({h >> 20 for h in outside})
            print("%s (%s): pattern found %d times, %d outside excluded ranges (%.1f MiB; in MiB %s)"
                  % (name, extra, len(hits), len(outside), len(outside) * 8 / 2**20, mib[:12]))
            if name == "none":
                check("without any scrub the pattern survives (the test can fail)",
                      len(outside) * 8 > (filled << 20) // 2, "%d hits" % len(outside))
            elif name == "userspace":
                # It cannot clear what it leaves to the kernel (its floor and the
                # kernel's watermarks), and it says how much that is.
                limit = int(left.group(3)) << 20 if left else 0
                # Memory one worker let go while another still claimed would be
                # counted twice and make the limit below meaningless.
                check("the scrub reports no more bytes than MemTotal",
                      left is not None and float(left.group(1)) <= float(left.group(2)),
                      left.group(0) if left else "no scrub line")
                check("userspace scrubber alone leaves at most what it reports unclaimed "
                      "(%d MiB)" % (limit >> 20), left is not None and len(outside) * 8 <= limit,
                      "%d bytes" % (len(outside) * 8))
            else:
                check("production: the kernel ran its early zeroing pass (memtest=1)",
                      "early_memtest: # of tests: 1" in console)
                check("production: no pattern outside excluded ranges", len(outside) == 0,
                      "%d hits, first at 0x%x" % (len(outside), outside[0]) if outside else "")
            for s, e, why in excluded:
                print("  excluded 0x%x-0x%x: %s" % (s, e, why))
    except Failure as e:
        check("residue test", False, str(e))
        print("logs kept in %s" % work)
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())

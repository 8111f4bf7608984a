# SPDX-License-Identifier: GPL-2.0-only
"""An independent replay of TCG crypto-agile event logs for tests: written
from the TCG PC Client spec, shares no code with src/lib/eventlog.c."""
import hashlib
import struct

ALGS = {0x0004: ("sha1", 20), 0x000B: ("sha256", 32), 0x000C: ("sha384", 48),
        0x000D: ("sha512", 64)}


def parse(data):
    """Return (banks, events); events are (pcr, type, {alg: digest}, data)."""
    pcr, etype = struct.unpack_from("<II", data, 0)
    esize, = struct.unpack_from("<I", data, 28)
    spec = data[32:32 + esize]
    if etype != 3 or not spec.startswith(b"Spec ID Event03\0"):
        raise ValueError("not a crypto-agile log")
    n, = struct.unpack_from("<I", spec, 24)
    banks = []
    for i in range(n):
        alg, size = struct.unpack_from("<HH", spec, 28 + 4 * i)
        if alg not in ALGS or ALGS[alg][1] != size:
            raise ValueError("unknown algorithm 0x%04x" % alg)
        banks.append(alg)
    pos = 32 + esize
    events = []
    while pos < len(data):
        pcr, etype, count = struct.unpack_from("<III", data, pos)
        pos += 12
        digests = {}
        for _ in range(count):
            alg, = struct.unpack_from("<H", data, pos)
            size = ALGS[alg][1]
            digests[alg] = data[pos + 2:pos + 2 + size]
            pos += 2 + size
        size, = struct.unpack_from("<I", data, pos)
        pos += 4
        body = data[pos:pos + size]
        if len(body) != size:
            raise ValueError("truncated event")
        pos += size
        events.append((pcr, etype, digests, body))
    return banks, events


def replay(data, before=None):
    """PCR values {alg_name: {pcr: hex}} for every PCR the log touches. before: a log
    replayed first (the firmware's, which the runtime's continues: PCR 9 on UEFI)."""
    banks, events = parse(data)
    pcrs = {}
    if before is not None:
        prior, _ = replay(before)
        pcrs = {b: {p: bytes.fromhex(v) for p, v in d.items()} for b, d in prior.items()}
    for pcr, etype, digests, body in events:
        if etype == 3:
            continue
        for alg in banks:
            name, size = ALGS[alg]
            old = pcrs.setdefault(name, {}).get(pcr, bytes(size))
            pcrs[name][pcr] = hashlib.new(name, old + digests[alg]).digest()
    return {b: {p: v.hex() for p, v in d.items()} for b, d in pcrs.items()}, events

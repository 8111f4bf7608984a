#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Unauthenticated registrations against `airlock-verifier serve` (`make bench`).

Two floods from 127.0.0.2, one after the other, each for SECONDS with CLIENTS
connections (keep-alive): registrations of new uuids with an EK nobody trusts
(refused), and registrations of new uuids with an EK the provider's list
trusts but no TPM behind it (they wait for an activation that never comes).
Meanwhile a probe from 127.0.0.1 registers every 0.2 s and times the answer.
Baseline in the same run: the probe's latency before any flood. Reported per
flood: requests/s, the state database's and the log's growth, the rows kept,
the probe's p50/p99 and their ratio to the baseline. Figures, not pass/fail.

  bench_registrar.py AIRLOCK-VERIFIER VECTORS-DIR [SECONDS] [CLIENTS]
"""
import base64
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

verifier, vectors = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 4


def b64(path):
    return base64.b64encode(open(path, "rb").read()).decode()


EK, AK, OTHER = (os.path.join(vectors, f) for f in ("ek-rsa.pub", "ak-rsa.pub", "ak-ecc.pub"))


def body(ek):
    return json.dumps({"ek_tpm": b64(ek), "aik_tpm": b64(AK), "ip": "127.0.0.1", "port": 9,
                       "mtls_cert": "disabled"})


def size(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
               if f.startswith("verifier.db"))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


def probe(port, stop, out):
    """One registration (of the listed EK, from 127.0.0.1) every 0.2 s, timed."""
    i = 0
    doc = body(EK)
    while not stop.is_set():
        t = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                           source_address=("127.0.0.1", 0))
            c.request("POST", "/v2.1/agents/probe-%d" % i, body=doc,
                      headers={"Content-Type": "application/json"})
            c.getresponse().read()
            c.close()
            out.append(time.monotonic() - t)
        except OSError:
            out.append(float("inf"))
        i += 1
        stop.wait(0.2)


def flood(port, ek, tag, until, counts, lock):
    doc = body(ek)
    c, n = None, 0
    while time.monotonic() < until:
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                               source_address=("127.0.0.2", 0))
            c.request("POST", "/v2.1/agents/%s-%d-%d" % (tag, threading.get_ident(), n),
                      body=doc, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            st = r.status
            n += 1
            with lock:
                counts[st] = counts.get(st, 0) + 1
        except (OSError, http.client.HTTPException):
            if c:
                c.close()
            c = None
            with lock:
                counts["error"] = counts.get("error", 0) + 1


def main():
    work = tempfile.mkdtemp(prefix="bench_registrar.")
    state = os.path.join(work, "state")
    log = os.path.join(work, "verifier.log")
    h = subprocess.run([verifier, "ek-hash", EK], capture_output=True, text=True, check=True)
    with open(os.path.join(work, "eklist"), "w") as f:
        f.write(h.stdout.strip() + " listed-node\n")
    portfile = os.path.join(work, "port")
    proc = subprocess.Popen([verifier, "--state", state, "serve", "--listen", "127.0.0.1:0",
                             "--port-file", portfile, "--ek-list", os.path.join(work, "eklist")],
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    try:
        for _ in range(100):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.1)
        port = int(open(portfile).read())
        stop, base = threading.Event(), []
        t = threading.Thread(target=probe, args=(port, stop, base))
        t.start()
        time.sleep(3)
        stop.set()
        t.join()
        b50 = pct(base, 0.5)
        print("bench registrar: probe registration before any flood: p50 %.1f ms, p99 %.1f ms "
              "(baseline)" % (b50 * 1000, pct(base, 0.99) * 1000))
        for name, ek, tag in (("untrusted EK, new uuids (refused)", OTHER, "refused"),
                              ("listed EK, no TPM, new uuids (waiting)", EK, "pending")):
            db0, log0 = size(state), os.path.getsize(log)
            counts, lock, lat = {}, threading.Lock(), []
            stop = threading.Event()
            pt = threading.Thread(target=probe, args=(port, stop, lat))
            pt.start()
            t0 = time.monotonic()
            ths = [threading.Thread(target=flood, args=(port, ek, tag, t0 + seconds, counts,
                                                        lock)) for _ in range(clients)]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
            took = time.monotonic() - t0
            stop.set()
            pt.join()
            db = sqlite3.connect(os.path.join(state, "verifier.db"))
            have = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            rows = {tb: db.execute("SELECT count(*) FROM %s" % tb).fetchone()[0]
                    if tb in have else 0 for tb in ("rejected", "pending", "nodes")}
            db.close()
            total = sum(v for k, v in counts.items() if k != "error")
            print("bench registrar: %s: %.0f requests/s from one address for %.0f s (%s); "
                  "database +%.1f MB, log +%.2f MB; rows: rejected %d, pending %d, nodes %d; "
                  "probe p50 %.1f ms, p99 %.1f ms (ratio %.1f, %.1f to baseline)" % (
                      name, total / took, took,
                      ", ".join("%s: %d" % kv for kv in sorted(counts.items(), key=str)),
                      (size(state) - db0) / 1e6, (os.path.getsize(log) - log0) / 1e6,
                      rows["rejected"], rows["pending"], rows["nodes"], pct(lat, 0.5) * 1000,
                      pct(lat, 0.99) * 1000, pct(lat, 0.5) / b50, pct(lat, 0.99) / b50))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for tests/host/test_verifier_swtpm.sh, loopback only.

  proxy LISTEN_PORTFILE AGENT_PORT replay   forward to the agent; after the first
                                            integrity quote, answer every later one
                                            with that first answer (a replay attack)
  proxy LISTEN_PORTFILE AGENT_PORT foreign-ak TCTI AK_CTX DIR
                                            forward to the agent, but replace each
                                            integrity quote with one over the same nonce
                                            and PCRs by another TPM's AK (tpm2_quote)
  proxy LISTEN_PORTFILE AGENT_PORT drop-pcr8
                                            forward, but ask the agent for the integrity
                                            quote without PCR 8 (a quote that leaves out
                                            what the verifier asked for)
  proxy LISTEN_PORTFILE AGENT_PORT lose-vkey-answer
                                            forward; the first keys/vkey reaches the agent
                                            but its answer is lost (the connection closes)
  proxy LISTEN_PORTFILE AGENT_PORT lose-verify
                                            forward; the first keys/verify is never answered
  proxy LISTEN_PORTFILE AGENT_PORT evil-400 answer integrity quotes with HTTP 400 and a
                                            body of control characters and a fake log line
  (every proxy logs "proxy: METHOD PATH" to stderr for each request)
  webhook PORTFILE OUT                      append each POSTed body to OUT
  register PORT UUID EK AK [EKCERT [IP [PORT [SRC]]]]
                                            POST a registration by hand (no TPM behind it,
                                            or another TPM's EK); prints the HTTP status
  flood PORT EK AK COUNT SRC [SAME]         COUNT registrations of new uuids (or of uuid SAME)
                                            from source address SRC; prints "STATUS COUNT"
                                            for each status seen
  activate PORT UUID TAG                    PUT an auth_tag; prints the HTTP status
  spam-activate PORT UUID SECONDS SRC       PUT wrong auth_tags for SECONDS; prints how many
  hold PORT SRC COUNT SECONDS READYFILE     open COUNT idle connections from SRC and hold
                                            them; READYFILE says how many are open
  notice PORT MSGFILE SIG                   POST a revocation notice to an agent; prints the status
"""
import socket
import time
import base64
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse


def serve(portfile, handler):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def foreign_quote(path, answer, tcti, ak_ctx, workdir):
    """The agent's integrity answer with its quote replaced by one the other TPM's AK
    signs over the same nonce and PCR selection (Keylime's r<attest>:<sig>:<pcrs>)."""
    q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    nonce, mask = q["nonce"][0], int(q["mask"][0], 16)
    pcrs = ",".join(str(i) for i in range(24) if mask >> i & 1)
    parts = [os.path.join(workdir, p) for p in ("attest", "sig", "pcrs")]
    subprocess.run(["tpm2_quote", "-T", tcti, "-c", ak_ctx, "-l", "sha256:" + pcrs,
                    "-q", nonce.encode().hex(), "-g", "sha256", "-m", parts[0], "-s", parts[1],
                    "-o", parts[2]], check=True, capture_output=True, timeout=60)
    # No resource manager in front of swtpm: drop the loaded AK again.
    subprocess.run(["tpm2_flushcontext", "-T", tcti, "-t"], check=True, capture_output=True,
                   timeout=60)
    doc = json.loads(answer)
    doc["results"]["quote"] = "r" + ":".join(
        base64.b64encode(open(p, "rb").read()).decode() for p in parts)
    return json.dumps(doc).encode()


def proxy(portfile, agent_port, mode, extra=()):
    saved = {}
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def relay(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            sys.stderr.write("proxy: %s %s\n" % (method, self.path.split("?")[0]))
            sys.stderr.flush()
            path = self.path
            with lock:
                replay = "/quotes/integrity" in self.path and "integrity" in saved
                first = {}
                for what in ("/keys/vkey", "/keys/verify"):
                    if what in self.path:
                        first[what] = what not in saved
                        saved[what] = True
            if mode == "drop-pcr8" and "/quotes/integrity" in path:
                q = urllib.parse.urlparse(path)
                args = urllib.parse.parse_qs(q.query)
                args["mask"] = ["0x%x" % (int(args["mask"][0], 16) & ~(1 << 8))]
                path = q.path + "?" + urllib.parse.urlencode({k: v[0] for k, v in args.items()})
            if mode == "lose-verify" and first.get("/keys/verify"):
                sys.stderr.write("proxy: lost the keys/verify\n")
                self.close_connection = True
                return
            if mode == "evil-400" and "/quotes/integrity" in path:
                data = b"\x1b[31m\r\nFAKE LOG LINE airlock-verifier: all good\x07\x00"
                self.send_response(400)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if mode == "replay" and replay:
                status, data = saved["integrity"]
                sys.stderr.write("proxy: replayed an integrity answer for %s\n" % self.path)
            else:
                c = http.client.HTTPConnection("127.0.0.1", agent_port, timeout=60)
                c.request(method, path, body=body,
                          headers={"Content-Type": "application/json"} if body else {})
                r = c.getresponse()
                status, data = r.status, r.read()
                c.close()
                if "/quotes/integrity" in self.path and status == 200:
                    with lock:
                        saved.setdefault("integrity", (status, data))
                        if mode == "foreign-ak":
                            data = foreign_quote(self.path, data, *extra)
                            sys.stderr.write("proxy: foreign AK quote for %s\n" % self.path)
                if mode == "lose-vkey-answer" and first.get("/keys/vkey"):
                    sys.stderr.write("proxy: the agent took V (%d); its answer is lost\n" % status)
                    self.close_connection = True
                    return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.relay("GET")

        def do_POST(self):
            self.relay("POST")

    serve(portfile, H)


def webhook(portfile, out):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            with open(out, "ab") as f:
                f.write(self.rfile.read(n) + b"\n")
            self.send_response(204)
            self.end_headers()

    serve(portfile, H)


def call(port, method, path, obj, src=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                   source_address=(src, 0) if src else None)
    c.request(method, path, body=json.dumps(obj), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    print(r.status)


def b64file(p):
    return base64.b64encode(open(p, "rb").read()).decode()


def flood(port, ek, ak, count, src, same=None):
    """Registrations as fast as one connection takes them; the statuses counted."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(src, 0))
    seen = {}
    doc = {"ek_tpm": b64file(ek), "aik_tpm": b64file(ak), "ip": "127.0.0.1", "port": 9,
           "mtls_cert": "disabled"}
    body = json.dumps(doc)
    for i in range(count):
        uuid = same or "flood-%d-%08d" % (os.getpid(), i)
        for attempt in range(2):
            try:
                c.request("POST", "/v2.1/agents/" + uuid, body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                break
            except (http.client.HTTPException, OSError):
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                               source_address=(src, 0))
        seen[r.status] = seen.get(r.status, 0) + 1
    for st, n in sorted(seen.items()):
        print(st, n)


def spam_activate(port, uuid, seconds, src):
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(src, 0))
            c.request("PUT", "/v2.1/agents/" + uuid, body=json.dumps({"auth_tag": "0" * 96}),
                      headers={"Content-Type": "application/json"})
            c.getresponse().read()
            c.close()
            n += 1
        except OSError:
            time.sleep(0.01)
    print(n)


def hold(port, src, count, seconds, ready):
    socks = []
    for _ in range(count):
        try:
            s = socket.socket()
            s.bind((src, 0))
            s.settimeout(2)
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            break
    with open(ready, "w") as f:
        f.write("%d\n" % len(socks))
    time.sleep(seconds)
    for s in socks:
        s.close()


def main():
    cmd = sys.argv[1]
    if cmd == "proxy":
        proxy(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
    elif cmd == "webhook":
        webhook(sys.argv[2], sys.argv[3])
    elif cmd == "register":
        port, uuid, ek, ak = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        a = sys.argv[6:] + [""] * 4
        doc = {"ek_tpm": b64file(ek), "aik_tpm": b64file(ak), "ip": a[1] or "127.0.0.1",
               "port": int(a[2] or 9), "mtls_cert": "disabled"}
        if a[0]:
            doc["ekcert"] = b64file(a[0])
        call(port, "POST", "/v2.1/agents/" + uuid, doc, a[3] or None)
    elif cmd == "flood":
        flood(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6],
              sys.argv[7] if len(sys.argv) > 7 else None)
    elif cmd == "spam-activate":
        spam_activate(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5])
    elif cmd == "hold":
        hold(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    elif cmd == "notice":
        # notice PORT MSGFILE SIGTEXT: a revocation notice as Keylime's verifier posts it
        msg = open(sys.argv[3], "rb").read().decode()
        call(int(sys.argv[2]), "POST", "/v2.1/notifications/revocation",
             {"msg": msg, "signature": sys.argv[4]})
    elif cmd == "activate":
        call(int(sys.argv[2]), "PUT", "/v2.1/agents/" + sys.argv[3], {"auth_tag": sys.argv[4]})
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

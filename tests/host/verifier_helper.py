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
  webhook PORTFILE OUT                      append each POSTed body to OUT
  register PORT UUID EK AK                  POST a registration by hand (no TPM
                                            behind it); prints the HTTP status
  activate PORT UUID TAG                    PUT an auth_tag; prints the HTTP status
  notice PORT MSGFILE SIG                   POST a revocation notice to an agent; prints the status
"""
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
            with lock:
                replay = "/quotes/integrity" in self.path and "integrity" in saved
            if mode == "replay" and replay:
                status, data = saved["integrity"]
                sys.stderr.write("proxy: replayed an integrity answer for %s\n" % self.path)
            else:
                c = http.client.HTTPConnection("127.0.0.1", agent_port, timeout=60)
                c.request(method, self.path, body=body,
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


def call(port, method, path, obj):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(obj), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    print(r.status)


def main():
    cmd = sys.argv[1]
    if cmd == "proxy":
        proxy(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
    elif cmd == "webhook":
        webhook(sys.argv[2], sys.argv[3])
    elif cmd == "register":
        port, uuid, ek, ak = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        b64 = lambda p: base64.b64encode(open(p, "rb").read()).decode()
        call(port, "POST", "/v2.1/agents/" + uuid,
             {"ek_tpm": b64(ek), "aik_tpm": b64(ak), "ip": "127.0.0.1", "port": 9,
              "mtls_cert": "disabled"})
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

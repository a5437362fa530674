#!/usr/bin/python3
"""Stand-in image only: what `docker compose up` starts there. Serves the
health and inference endpoints of every service of the services.json given
as the argument on 127.0.0.1, like the real services. Tests select failure
modes in /etc/unison-smoke-standin.conf, comma-separated: ok (default),
down=<service> (not started), exposed=<service> (listens on every address),
bad-inference."""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONF = "/etc/unison-smoke-standin.conf"
modes = open(CONF).read().strip().split(",") if os.path.exists(CONF) else ["ok"]
services = json.load(open(sys.argv[1]))["services"]

def handler_for(svc):
    class H(BaseHTTPRequestHandler):
        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            if self.path == svc["health"]:
                self.reply(200, {"status": "ok", "service": svc["name"]})
            else:
                self.reply(404, {"error": "not found"})
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == svc.get("inference"):
                if "bad-inference" in modes:
                    self.reply(200, {"unexpected": True})
                else:
                    self.reply(200, {"response": "hello from " + svc["name"]})
            else:
                self.reply(404, {"error": "not found"})
        def log_message(self, *a):
            pass
    return H

servers = []
for svc in services:
    if "down=" + svc["name"] in modes:
        continue
    addr = "0.0.0.0" if "exposed=" + svc["name"] in modes else "127.0.0.1"
    srv = ThreadingHTTPServer((addr, svc["port"]), handler_for(svc))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers.append(srv)
print("compose-standin: serving", len(servers), "services, modes", modes, flush=True)
threading.Event().wait()

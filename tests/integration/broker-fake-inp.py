#!/usr/bin/python3
"""A minimal InP agent peer for tests/integration/broker-api.sh.

It speaks the broker -> inpd half of the contract (docs/broker.md):
POST /v1/prepare, /v1/commit, /v1/abort, /v1/renew, /v1/release, /v1/program and
GET /v1/leases, /v1/capacity, with a bearer token, keeping holds and
leases in memory and checking CPU against its offer.  It configures no
switch: the test uses it only where the real lamina-inpd is not built.

    broker-fake-inp.py PORT TOKEN OFFER.json [REFUSE-FILE]

While REFUSE-FILE exists, every prepare is refused (409).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, token, offer_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
refuse_file = sys.argv[4] if len(sys.argv) > 4 else None
offer = json.load(open(offer_file))
total = {n["name"]: n["cpu"] for n in offer["nodes"]}
max_lease = offer.get("max_lease_s", 86400)
lock = threading.Lock()
leases = {}     # lease -> {"txn", "state": held|committed, "start", "end", "part", "hold_until"}
calls = []      # (path, lease) in order, for the test


def used(start, end, exclude=None):
    now = time.time()
    out = {}
    for lid, l in leases.items():
        if lid == exclude or (l["state"] == "held" and l["hold_until"] < now):
            continue
        if l["start"] < end and start < l["end"]:
            for v in l["part"]["vnodes"]:
                out[v["switch"]] = out.get(v["switch"], 0) + v["cpu"]
    return out


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def err(self, status, msg, **kw):
        self.reply(status, {"error": dict(code="refused", message=msg, **kw)})

    def authed(self):
        if self.headers.get("Authorization") != "Bearer " + token:
            self.err(401, "bad token")
            return False
        return True

    def do_GET(self):
        if not self.authed():
            return
        with lock:
            if self.path == "/v1/leases":
                self.reply(200, {"leases": [
                    {"lease": k, "slice": v["part"]["slice"], "state": v["state"],
                     "start": v["start"], "end": v["end"]} for k, v in leases.items()]})
            elif self.path == "/v1/capacity":
                u = used(time.time(), time.time() + 1)
                self.reply(200, {"total": total,
                                 "free": {k: total[k] - u.get(k, 0) for k in total},
                                 "holds": [k for k, v in leases.items() if v["state"] == "held"],
                                 "calls": calls})
            else:
                self.err(404, "no such path")

    def do_POST(self):
        if not self.authed():
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        op = self.path[len("/v1/"):]
        lid = body.get("lease")
        with lock:
            calls.append([op, lid])
            l = leases.get(lid)
            if op == "prepare":
                if l and l["txn"] == body["txn"]:
                    return self.reply(200, {"held": True, "hold_until": l["hold_until"]})
                if refuse_file and os.path.exists(refuse_file):
                    return self.err(409, "refused by the test", resource="cpu", short_by=1)
                if body["end"] - body["start"] > max_lease:
                    return self.err(409, "longer than max_lease_s", resource="time")
                u = used(body["start"], body["end"])
                for v in body["part"]["vnodes"]:
                    if v["switch"] not in total:
                        return self.err(409, "no switch " + v["switch"], resource=v["switch"])
                    u[v["switch"]] = u.get(v["switch"], 0) + v["cpu"]
                    if u[v["switch"]] > total[v["switch"]]:
                        return self.err(409, "cpu short", resource=v["switch"],
                                        short_by=u[v["switch"]] - total[v["switch"]])
                hu = time.time() + body.get("hold_s", 120)
                leases[lid] = {"txn": body["txn"], "state": "held", "start": body["start"],
                               "end": body["end"], "part": body["part"], "hold_until": hu}
                return self.reply(200, {"held": True, "hold_until": hu})
            if op == "commit":
                if not l or l["txn"] != body["txn"]:
                    return self.err(409, "no hold for this lease")
                l["state"] = "committed"
                return self.reply(200, {"state": "committed", "end": l["end"]})
            if op == "abort":
                if l and l["state"] == "held":
                    del leases[lid]
                return self.reply(200, {"state": "aborted"})
            if op == "renew":
                if not l or l["state"] != "committed":
                    return self.err(409, "no committed lease " + str(lid))
                l["end"] = min(body["end"], l["start"] + max_lease)
                return self.reply(200, {"end": l["end"]})
            if op == "release":
                leases.pop(lid, None)
                return self.reply(200, {"state": "released"})
            if op == "program":
                vn = [v for v in (l or {}).get("part", {}).get("vnodes", [])
                      if v["name"] == body.get("vnode")]
                if not l or l["state"] != "committed" or not vn:
                    return self.err(404, "no such vnode in a committed lease")
                return self.reply(200, {"lease": lid, "vnode": vn[0]["name"],
                                        "switch": vn[0]["switch"], "bytes": len(body["program"])})
            self.err(404, "no such path")


ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()

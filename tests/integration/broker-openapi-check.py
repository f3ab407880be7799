#!/usr/bin/python3
"""Checks that a running lamina-brokerd answers as docs/broker-api.yaml says.

    broker-openapi-check.py API.yaml CONFIG.json

CONFIG: {"url", "admin", "sp", "sp2", "inp", "inp_name", "reg_file",
"request_file"}: tokens of an admin, two SPs and an InP (registered with
the body in reg_file), and a request (JSON) that fits.  Every documented
operation is called at least once with a success and with refusals; each
answer's status must be documented for that operation and its body must
have the required fields of the documented schema (through $ref, allOf,
oneOf, properties and array items).  Exits 1 with the list of mismatches.
"""
import json
import sys
import urllib.error
import urllib.request

import yaml

spec = yaml.safe_load(open(sys.argv[1]))
cfg = json.load(open(sys.argv[2]))
URL = cfg["url"]
problems = []
exercised = set()


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/")
        node = spec
        for k in ref[2:].split("/"):
            node = node[k]
    return node


def check_schema(schema, value, where):
    """Returns a list of what 'value' lacks of 'schema'."""
    schema = resolve(schema)
    out = []
    if "allOf" in schema:
        for s in schema["allOf"]:
            out += check_schema(s, value, where)
    if "oneOf" in schema:
        if all(check_schema(s, value, where) for s in schema["oneOf"]):
            out.append("%s: matches none of the oneOf schemas" % where)
    if schema.get("type") == "object" or "required" in schema or "properties" in schema:
        if not isinstance(value, dict):
            return out + ["%s: not an object" % where]
        for r in schema.get("required", []):
            if r not in value:
                out.append("%s: required field %s missing" % (where, r))
        for k, s in schema.get("properties", {}).items():
            if k in value and value[k] is not None:
                out += check_schema(s, value[k], where + "." + k)
        enum = None
    if schema.get("type") == "array":
        if not isinstance(value, list):
            return out + ["%s: not an array" % where]
        for i, v in enumerate(value):
            out += check_schema(schema.get("items", {}), v, "%s[%d]" % (where, i))
    if "enum" in schema and value not in schema["enum"]:
        out.append("%s: %r not in %r" % (where, value, schema["enum"]))
    return out


def template_of(path):
    """The documented path template matching 'path' (query stripped)."""
    p = path.split("?")[0].split("/")
    for t in spec["paths"]:
        tp = t.split("/")
        if len(tp) == len(p) and all(a == b or a.startswith("{") for a, b in zip(tp, p)):
            return t
    return None


def raw_call(method, path, token, data, ctype):
    """Sends the request and reads the answer even if the server stops
    reading the body early."""
    import socket
    host, port = URL.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=30)
    head = ("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (method, path, host, token, ctype, len(data))).encode()
    try:
        s.sendall(head + data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    text = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        text += chunk
    s.close()
    status = int(text.split(b" ", 2)[1])
    body = text.split(b"\r\n\r\n", 1)[1]
    return status, body


def call(method, path, token, body=None, ctype="application/json", expect=None):
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    except urllib.error.URLError as e:
        if not isinstance(e.reason, BrokenPipeError):
            raise
        # The server answered (413) before the body was all sent and
        # closed: read its answer on a plain socket.
        status, text = raw_call(method, path, token, data, ctype)
    try:
        answer = json.loads(text) if text else None
    except ValueError:
        answer = None
        problems.append("%s %s: answer is not JSON: %r" % (method, path, text[:100]))
    where = "%s %s -> %d" % (method, path, status)
    if expect is not None and status != expect:
        problems.append("%s: expected %d (%s)" % (where, expect, answer))
    t = template_of(path)
    op = spec["paths"].get(t, {}).get(method.lower()) if t else None
    if not op:
        problems.append("%s: not documented" % where)
        return status, answer
    exercised.add((t, method.lower(), status // 100 == 2))
    resp = op["responses"].get(str(status))
    if not resp:
        problems.append("%s: status not documented (documented: %s)"
                        % (where, ", ".join(op["responses"])))
        return status, answer
    schema = resolve(resp).get("content", {}).get("application/json", {}).get("schema")
    if schema:
        problems.extend(check_schema(schema, answer, where))
    return status, answer


A, S, S2, I = cfg["admin"], cfg["sp"], cfg["sp2"], cfg["inp"]
inp = cfg["inp_name"]
reg = json.load(open(cfg["reg_file"]))
req = json.load(open(cfg["request_file"]))

call("GET", "/v1/status", A, expect=200)
call("GET", "/v1/status", None, expect=401)
call("GET", "/v1/status", "not-a-token", expect=401)

name = "chk%d" % (id(spec) % 100000)
call("POST", "/v1/principals", A, {"name": name, "role": "sp"}, expect=201)
call("POST", "/v1/principals", A, {"name": name, "role": "sp"}, expect=409)
call("POST", "/v1/principals", A, {"name": "x", "role": "king"}, expect=400)
call("POST", "/v1/principals", S, {"name": "y", "role": "sp"}, expect=403)

call("GET", "/v1/inps", S, expect=200)
call("POST", "/v1/inps", I, reg, expect=200)
call("POST", "/v1/inps", S, reg, expect=403)
bad = json.loads(json.dumps(reg))
bad["offer"]["nodes"][0]["cpu"] = -1
call("POST", "/v1/inps", I, bad, expect=422)
call("POST", "/v1/inps", I, "{", expect=400)
call("GET", "/v1/inps/" + inp, S, expect=200)
call("GET", "/v1/inps/nosuchinp", S, expect=404)
call("POST", "/v1/inps/%s/heartbeat" % inp, I, expect=200)
call("POST", "/v1/inps/%s/heartbeat" % inp, I, {"links_down": []}, expect=200)
call("POST", "/v1/inps/someoneelse/heartbeat", I, expect=403)

dry = dict(req, idempotency_key="chk-dry")
call("POST", "/v1/requests?dry_run=1", S, dry, expect=200)
call("POST", "/v1/requests", A, dry, expect=403)
call("POST", "/v1/requests", S, "{", expect=400)
call("POST", "/v1/requests", S, dict(req, bogus=1), expect=422)
call("POST", "/v1/requests", S, " " * (1024 * 1024 + 10), expect=413)
status, lease = call("POST", "/v1/requests", S, dict(req, idempotency_key="chk-1"), expect=201)
lid = lease["id"] if status == 201 else "none"
call("POST", "/v1/requests", S, dict(req, idempotency_key="chk-1"), expect=200)

call("GET", "/v1/leases", S, expect=200)
call("GET", "/v1/leases?state=bogus", S, expect=400)
call("GET", "/v1/leases/" + lid, S, expect=200)
call("GET", "/v1/leases/" + lid, I, expect=200)
call("GET", "/v1/leases/" + lid, S2, expect=404)
call("POST", "/v1/leases/%s/renew" % lid, S, {"duration": "1m"}, expect=200)
call("POST", "/v1/leases/%s/renew" % lid, S, {"x": 1}, expect=400)
call("POST", "/v1/leases/%s/renew" % lid, S, {"duration": "3000d"}, expect=400)
call("POST", "/v1/leases/%s/renew" % lid, S2, {"duration": "1m"}, expect=404)
call("POST", "/v1/leases/%s/renew" % lid, I, {"duration": "1m"}, expect=403)
call("GET", "/v1/leases/%s/events?after=0" % lid, S, expect=200)
call("GET", "/v1/leases/%s/events?wait=99" % lid, S, expect=400)
vn = req["nodes"][0]["name"]
call("POST", "/v1/leases/%s/vnodes/%s/program" % (lid, vn), S, {"program": "AAAA"}, expect=200)
call("POST", "/v1/leases/%s/vnodes/%s/program" % (lid, vn), S, {"x": 1}, expect=400)
call("POST", "/v1/leases/%s/vnodes/%s/program" % (lid, vn), S2, {"program": "AAAA"}, expect=404)
call("POST", "/v1/leases/%s/vnodes/%s/program" % (lid, vn), I, {"program": "AAAA"}, expect=403)
call("POST", "/v1/leases/%s/release" % lid, S2, expect=404)
call("POST", "/v1/leases/%s/release" % lid, I, expect=403)
call("POST", "/v1/leases/%s/release" % lid, S, expect=200)
call("POST", "/v1/leases/%s/release" % lid, S, expect=409)
# Recursion: a lease on one InP offered as a sub-InP.
one = {"idempotency_key": "chk-sub-1", "nodes": [{"name": "x", "cpu": 1, "inp": inp}],
       "time": {"start": "now", "duration": "10m"}}
status, sub = call("POST", "/v1/requests", S, one, expect=201)
sid = sub["id"] if status == 201 else "none"
call("POST", "/v1/leases/%s/offer" % sid, S, {"x": 1}, expect=400)
call("POST", "/v1/leases/%s/offer" % sid, S2, {"name": "chk-sub"}, expect=404)
call("POST", "/v1/leases/%s/offer" % sid, I, {"name": "chk-sub"}, expect=403)
call("POST", "/v1/leases/%s/offer" % lid, S, {"name": "chk-sub"}, expect=409)
call("POST", "/v1/leases/%s/offer" % sid, S, {"name": "chk-sub"}, expect=201)
call("POST", "/v1/leases/%s/offer" % sid, S, {"name": inp}, expect=409)
call("POST", "/v1/leases/%s/release" % sid, S, expect=200)
call("GET", "/v1/leases/nosuchlease", S, expect=404)
call("GET", "/v1/bills", S, expect=200)
call("GET", "/v1/bills", I, expect=200)
call("GET", "/v1/bills", A, expect=200)

for t, ops in spec["paths"].items():
    for m in ops:
        if m in ("get", "post", "put", "delete", "patch") and (t, m, True) not in exercised:
            problems.append("%s %s: documented but never answered with a success" % (m.upper(), t))

for p in problems:
    print("MISMATCH:", p)
print("%d calls checked against %s, %d mismatches" % (len(exercised), sys.argv[1], len(problems)))
sys.exit(1 if problems else 0)

#!/usr/bin/python3
# of-auth-client.py: a small OpenFlow 1.3 controller for the authentication
# tests (openflow-auth.sh, slicer-impostor.sh).  It connects to a passive
# switch (a vnode's ptcp: listener), sends HELLO, a FLOW_MOD, a flow-stats
# request and a BARRIER, presenting the credential (an ECHO_REQUEST with
# "lamina-secret:S", lib/openflow/ofauth.h) at the step --secret-at names,
# and prints one JSON line: what came back.
#
#   of-auth-client.py connect PORT --priority P [--secret S]
#       [--secret-at first|last] [--wait SECONDS]
#   of-auth-client.py switch PORT --dpid D [--secret S] [--wait SECONDS]
#       (as a switch: HELLO, the credential, then FEATURES_REPLY to the
#        FEATURES_REQUEST; prints whether the peer closed or refused it)
import json
import socket
import struct
import sys
import time

HELLO, ERROR, ECHO_REQ, ECHO_REP = 0, 1, 2, 3
FEATURES_REQ, FEATURES_REP = 5, 6
FLOW_MOD, MP_REQ, MP_REP, BARRIER_REQ, BARRIER_REP = 14, 18, 19, 20, 21
MATCH_ANY = struct.pack("!HHI", 1, 4, 0)        # OXM match, no fields, padded


def msg(type_, xid, body=b""):
    return struct.pack("!BBHI", 4, type_, 8 + len(body), xid) + body


def credential(secret, xid=99):
    return msg(ECHO_REQ, xid, b"lamina-secret:" + secret.encode())


def flow_mod(priority):
    body = struct.pack("!QQBBHHHIIIHH", 0, 0, 0, 0, 0, 0, priority,
                       0xffffffff, 0xffffffff, 0xffffffff, 0, 0)
    return msg(FLOW_MOD, 2, body + MATCH_ANY)


def flow_stats_request():
    body = struct.pack("!HH4x", 1, 0)
    body += struct.pack("!B3xII4xQQ", 0xff, 0xffffffff, 0xffffffff, 0, 0)
    return msg(MP_REQ, 3, body + MATCH_ANY)


def read_msgs(sock, wait):
    """Messages received within 'wait' seconds, and whether the peer closed."""
    buf, out, closed = b"", [], False
    deadline = time.time() + wait
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            closed = True
            break
        if not data:
            closed = True
            break
        buf += data
        while len(buf) >= 8:
            length = struct.unpack("!H", buf[2:4])[0]
            if length < 8 or len(buf) < length:
                break
            out.append(buf[:length])
            buf = buf[length:]
    return out, closed


def summarize(msgs):
    res = {"types": [m[1] for m in msgs], "errors": [], "flow_priorities": [],
           "echo_replies": 0}
    for m in msgs:
        if m[1] == ERROR:
            res["errors"].append(list(struct.unpack("!HH", m[8:12])))
        elif m[1] == ECHO_REP:
            res["echo_replies"] += 1
        elif m[1] == MP_REP and struct.unpack("!H", m[8:10])[0] == 1:
            ofs = 16
            while ofs + 14 <= len(m):
                length, = struct.unpack("!H", m[ofs:ofs + 2])
                res["flow_priorities"].append(struct.unpack("!H", m[ofs + 12:ofs + 14])[0])
                ofs += max(length, 56)
    return res


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    secret = arg("--secret")
    wait = float(arg("--wait", "2"))
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if mode == "connect":
        priority = int(arg("--priority", "100"))
        at = arg("--secret-at", "first")
        out = msg(HELLO, 1)
        if secret is not None and at == "first":
            out += credential(secret)
        out += flow_mod(priority) + flow_stats_request() + msg(BARRIER_REQ, 4)
        if secret is not None and at == "last":
            out += credential(secret)
        sock.sendall(out)
        msgs, closed = read_msgs(sock, wait)
        res = summarize(msgs)
    else:
        dpid = int(arg("--dpid"), 0)
        out = msg(HELLO, 1)
        if secret is not None:
            out += credential(secret)
        sock.sendall(out)
        msgs, closed = [], False
        deadline = time.time() + wait
        while time.time() < deadline and not closed:
            got, closed = read_msgs(sock, min(0.5, deadline - time.time()))
            msgs += got
            for m in got:
                xid = struct.unpack("!I", m[4:8])[0]
                if m[1] == FEATURES_REQ:
                    sock.sendall(msg(FEATURES_REP, xid,
                                     struct.pack("!QIBB2xII", dpid, 0, 8, 0, 0, 0)))
                elif m[1] == ECHO_REQ:
                    sock.sendall(msg(ECHO_REP, xid, m[8:]))
        res = summarize(msgs)
    res["closed"] = closed
    print(json.dumps(res), flush=True)


main()

#!/usr/bin/env python3
"""Holds many idle connections to a JSON-RPC management socket.

usage: mgmt-flood.py SOCKET N REPORT

Opens one control connection, then N more that send nothing.  After a
second it writes REPORT (JSON): how many connected, how many were told
the server is busy, and the answer to "rpc.stats" on the control
connection with the time it took.  Then it holds every connection until
it is killed, so the server's idle timeout is what closes them.
"""
import json
import os
import select
import socket
import sys
import time


def call(sock, method, timeout=2.0):
    req = {"jsonrpc": "2.0", "method": method, "id": 1}
    sock.sendall(json.dumps(req).encode() + b"\n")
    buf = b""
    deadline = time.time() + timeout
    while b"\n" not in buf:
        left = deadline - time.time()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        data = sock.recv(65536)
        if not data:
            return None
        buf += data
    return json.loads(buf.split(b"\n")[0])


def main():
    path, n, report = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect(path)
    socks, refused = [], 0
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        deadline = time.time() + 0.5
        while True:
            try:
                s.connect(path)
                socks.append(s)
                break
            except BlockingIOError:
                if time.time() < deadline:  # the backlog is full: wait
                    time.sleep(0.01)
                    continue
            except ConnectionRefusedError:
                pass
            refused += 1
            s.close()
            break
    time.sleep(1.0)
    busy = 0
    for s in socks:
        try:
            if b"server busy" in s.recv(4096, socket.MSG_PEEK):
                busy += 1
        except (BlockingIOError, ConnectionResetError):
            pass
    start = time.time()
    stats = call(control, "rpc.stats")
    took = time.time() - start
    tmp = report + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"connected": len(socks), "backlog_full": refused,
                   "busy": busy, "stats": (stats or {}).get("result"),
                   "stats_seconds": took}, f)
    os.rename(tmp, report)
    while True:
        time.sleep(3600)


main()

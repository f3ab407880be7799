#!/usr/bin/python3
"""The independent checker of the leasing stack (python3, standard library).

It reads the broker's API (admin token), each InP agent's GET /v1/leases
and /v1/capacity, and, when the config names them, each InP's switchd
directly through its JSON-RPC socket (slice.list, vnode.list, vlink.list,
queue.list as JSON lines over the Unix socket), and confirms what the
leasing stack promises (docs/broker.md, "Outside check").

    lease-check.py check CONFIG.json
        Every lease the broker has is committed on all its InPs (active,
        scheduled) or on none (any other state; nothing transitional is
        left), with the same end everywhere; no hold is left on any InP;
        every resource an InP reports (CPU per switch, bandwidth per
        substrate link and border) has free = total - the demands of the
        broker's active leases there, and those demands stay within the
        total; on each switchd, every slice L<id> belongs to an active
        lease with a part on that InP, every active lease's slice is there
        with a vnode on each switch of its part and its vlinks on the
        paths of its part, and the slice's queues guarantee no more than
        its virtual links' bandwidth.

    broker-check.py storm CONFIG.json CLIENTS ROUNDS
        CLIENTS concurrent SP clients (threads) each run ROUNDS random
        actions (request, renew, release, dry run) against the broker; every
        answer must be a documented one, and no InP may ever refuse a
        prepare: the broker admits only what fits, so an InP's refusal
        would mean the broker over-committed.  Then 'check'.

    lease-check.py chaos CONFIG.json CLIENTS STOPFILE SEED
        CLIENTS concurrent SP clients request, renew and release at random
        (seeded) until STOPFILE exists, taking any answer (faults are being
        injected); prints what they did.  Then 'check' is left to the caller.

    lease-check.py rate CONFIG.json CLIENTS SECONDS
        CLIENTS concurrent SP clients each request a lease (the config's
        request, fresh key) and release it, over and over for SECONDS;
        prints leases made per second (request to active) and the median
        and 95th percentile time of a request (for scripts/bench-leasing.sh).

CONFIG: {"url", "admin", "sps": [tokens], "inps": {name: {"url", "token",
"switchd"?: socket path}}, "request": a request JSON object that fits a
few times over}.
"""
import json
import os
import random
import socket
import sys
import time
import threading
import urllib.error
import urllib.request

cfg = json.load(open(sys.argv[2]))


def http(method, url, token, body=None):
    """Returns (status, answer), or (0, the transport error)."""
    try:
        return http_once(method, url, token, body)
    except OSError as e:
        return 0, {"transport": str(e)}


def http_once(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def rpc(path, method, params=None):
    """One JSON-RPC 2.0 call on a switchd socket: the result (raises on error)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    req = {"jsonrpc": "2.0", "method": method, "id": 1}
    if params:
        req["params"] = params
    s.sendall((json.dumps(req) + "\n").encode())
    buf = b""
    while True:
        try:
            ans = json.loads(buf)
            break
        except ValueError:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("%s: connection closed before the answer" % path)
            buf += chunk
    s.close()
    if "error" in ans:
        raise OSError("%s %s: %s" % (path, method, ans["error"]))
    return ans["result"]


def link_name(a, b):
    """The agent's resource name of the substrate link a - b."""
    return "bw:%s-%s" % tuple(sorted((a, b)))


def demands(part):
    """{resource: amount} of one lease part, as the agent counts it."""
    d = {}

    def add(k, v):
        d[k] = d.get(k, 0) + v
    for v in part.get("vnodes", []):
        add("cpu:" + v["switch"], v["cpu"])
    for sec, vls in part.items():
        if sec in ("vnodes", "access") or not isinstance(vls, list):
            continue
        for vl in vls:
            if not isinstance(vl, dict) or "path" not in vl:
                continue
            bps = vl.get("bandwidth_bps", 0)
            for a, b in zip(vl["path"], vl["path"][1:]):
                add(link_name(a, b), bps)
            for k in ("border", "border_in", "border_out"):
                if isinstance(vl.get(k), str):
                    add("bw:border:" + vl[k], bps)
    return d


def check_switchd(name, sock, leases, problems):
    """The switchd of InP 'name' against the broker's active leases."""
    try:
        slices = {x["name"] for x in rpc(sock, "slice.list")}
        vnodes = rpc(sock, "vnode.list")
        vlinks = rpc(sock, "vlink.list")
        queues = rpc(sock, "queue.list")
    except OSError as e:
        problems.append("%s: switchd: %s" % (name, e))
        return
    active = {"L" + l["id"]: l for l in leases
              if l["state"] == "active" and name in l["parts"]}
    for sl in sorted(slices):
        if sl.startswith("L") and sl not in active:
            problems.append("%s: slice %s on switchd, no active lease owns it" % (name, sl))
    for sl, l in active.items():
        if sl not in slices:
            problems.append("%s: active lease %s has no slice on switchd" % (name, l["id"]))
            continue
        want = sorted(v["switch"] for v in l["parts"][name]["vnodes"])
        got = sorted(v["switch"] for v in vnodes if v["slice"] == sl)
        if want != got:
            problems.append("%s: slice %s has vnodes on %s, its lease on %s" % (name, sl, got, want))
        # Each vlink runs where the broker booked it (its path moves with
        # a re-embedding after a substrate failure).
        paths = {v["name"]: [p.split("/")[0] for p in v.get("path", [])]
                 for v in vlinks if v["slice"] == sl}
        for vl in l["parts"][name].get("vlinks", []):
            got = paths.get(vl["name"])
            if len(vl["path"]) > 1 and got is not None and got not in (vl["path"], vl["path"][::-1]):
                problems.append("%s: vlink %s of slice %s runs on %s, its lease on %s"
                                % (name, vl["name"], sl, got, vl["path"]))
        bw = sum(vl.get("bandwidth_bps", 0) for sec, vls in l["parts"][name].items()
                 if sec not in ("vnodes", "access") and isinstance(vls, list)
                 for vl in vls if isinstance(vl, dict))
        per_port = {}
        for q in queues:
            if q["slice"] == sl:
                k = (q["switch"], q["port"])
                per_port[k] = per_port.get(k, 0) + q.get("guarantee_bps", 0)
        for k, g in per_port.items():
            if g > bw:
                problems.append("%s: slice %s guarantees %d bit/s on %s:%s, its lease %d"
                                % (name, sl, g, k[0], k[1], bw))
    for vl in vlinks:
        if vl["slice"].startswith("L") and vl["slice"] not in active:
            problems.append("%s: vlink %s of slice %s, no active lease owns it"
                            % (name, vl["name"], vl["slice"]))


def check():
    problems = []
    st, leases = http("GET", cfg["url"] + "/v1/leases", cfg["admin"])
    assert st == 200, leases
    leases = leases["leases"]
    held = {}
    for name, inp in cfg["inps"].items():
        st, l = http("GET", inp["url"] + "/v1/leases", inp["token"])
        if st != 200:
            problems.append("%s: GET /v1/leases: %d %s" % (name, st, l))
            held[name] = {}
            continue
        held[name] = {x["lease"]: x for x in l["leases"]}
        st, cap = http("GET", inp["url"] + "/v1/capacity", inp["token"])
        if st != 200:
            problems.append("%s: GET /v1/capacity: %d %s" % (name, st, cap))
            continue
        if cap.get("holds"):
            problems.append("%s: holds left: %s" % (name, cap["holds"]))
        used = {}
        for lease in leases:
            # A child lease (recursion) takes its share of its parent's,
            # not of the InP: its part names its "parent" slice.
            if (lease["state"] == "active" and name in lease["parts"]
                    and "parent" not in lease["parts"][name]):
                for k, v in demands(lease["parts"][name]).items():
                    used[k] = used.get(k, 0) + v
        # lamina-inpd: {"total": {"cpu:s1": .., "bw:s1-s2": ..}, "free_now": ..};
        # the test peer: {"total": {"s1": ..}, "free": ..}.
        free_of = cap.get("free_now", cap.get("free", {}))
        for key, total in cap["total"].items():
            k = key if ":" in key else "cpu:" + key
            free = free_of[key]
            if free != total - used.get(k, 0):
                problems.append("%s %s: free %d, expected %d - %d" % (name, key, free, total, used.get(k, 0)))
            if used.get(k, 0) > total:
                problems.append("%s %s: over-committed: %d > %d" % (name, key, used[k], total))
        for k in used:
            if k not in cap["total"] and k[4:] not in cap["total"]:
                problems.append("%s: active leases use %s, which it does not offer" % (name, k))
        if inp.get("switchd"):
            check_switchd(name, inp["switchd"], leases, problems)
    for lease in leases:
        on = [n for n in cfg["inps"] if lease["id"] in held[n]]
        if lease["state"] in ("active", "scheduled"):
            want = sorted(lease["inps"])
            if sorted(on) != want:
                problems.append("lease %s %s: on %s, expected %s" % (lease["id"], lease["state"], on, want))
            for n in on:
                if held[n][lease["id"]]["state"] not in ("committed", "active", "scheduled"):
                    problems.append("lease %s: %s on %s" % (lease["id"], held[n][lease["id"]]["state"], n))
                if held[n][lease["id"]]["end"] != lease["end_ts"]:
                    problems.append("lease %s: ends at %s on %s, %s at the broker"
                                    % (lease["id"], held[n][lease["id"]]["end"], n, lease["end_ts"]))
        elif lease["state"] in ("ended", "failed"):
            if on:
                problems.append("lease %s %s: still on %s" % (lease["id"], lease["state"], on))
        else:
            problems.append("lease %s left in transitional state %s" % (lease["id"], lease["state"]))
    # Recursion: a child lease is active only inside an active parent on
    # the same InP.
    slices = {"L" + l["id"]: l for l in leases}
    for lease in leases:
        for n, part in lease["parts"].items():
            par = slices.get(part.get("parent", ""))
            if part.get("parent") and lease["state"] == "active" and (
                    not par or par["state"] != "active" or n not in par["parts"]):
                problems.append("lease %s on %s: its parent %s is not active there"
                                % (lease["id"], n, part["parent"]))
    known = {l["id"] for l in leases}
    for n in cfg["inps"]:
        for lid in held[n]:
            if lid not in known:
                problems.append("%s holds lease %s the broker does not know" % (n, lid))
    return problems, leases


def storm(clients, rounds):
    problems = []
    lock = threading.Lock()
    counts = {}

    def client(i):
        tok = cfg["sps"][i % len(cfg["sps"])]
        rnd = random.Random(i)
        mine = []
        for r in range(rounds):
            act = rnd.choice(["request", "request", "renew", "release", "dry"])
            if act in ("renew", "release") and not mine:
                act = "request"
            if act in ("request", "dry"):
                body = dict(cfg["request"], idempotency_key="storm-%d-%d" % (i, r))
                body["nodes"] = [dict(n, cpu=rnd.randint(5, 30)) for n in body["nodes"]]
                path = "/v1/requests" + ("?dry_run=1" if act == "dry" else "")
                st, ans = http("POST", cfg["url"] + path, tok, body)
                ok = {201, 409, 403} if act == "request" else {200}
                if st == 201:
                    mine.append(ans["id"])
            elif act == "renew":
                st, ans = http("POST", cfg["url"] + "/v1/leases/%s/renew" % rnd.choice(mine), tok,
                               {"duration": "%dm" % rnd.randint(1, 10)})
                ok = {200, 409}
            else:
                lid = mine.pop(rnd.randrange(len(mine)))
                st, ans = http("POST", cfg["url"] + "/v1/leases/%s/release" % lid, tok)
                ok = {200}
            code = (ans or {}).get("error", {}).get("code") if isinstance(ans, dict) else None
            with lock:
                counts[(act, st)] = counts.get((act, st), 0) + 1
                if st not in ok:
                    problems.append("%s -> %d %s" % (act, st, ans))
                if code == "refused":
                    problems.append("an InP refused what the broker admitted: %s" % ans)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("storm:", ", ".join("%s %d: %d" % (a, s, n) for (a, s), n in sorted(counts.items())))
    return problems


def chaos(clients, stopfile, seed):
    """Random requests, renews and releases until 'stopfile' exists."""
    lock = threading.Lock()
    counts = {}

    def client(i):
        tok = cfg["sps"][i % len(cfg["sps"])]
        rnd = random.Random("%s-%d" % (seed, i))
        n = 0
        while not os.path.exists(stopfile):
            n += 1
            act = rnd.choice(["request", "request", "renew", "release"])
            if act != "request":
                # Any live lease of this SP (an answer lost to a fault
                # leaves leases the client never heard of).
                st, ans = http("GET", cfg["url"] + "/v1/leases?state=active", tok)
                mine = sorted(x["id"] for x in ans["leases"]) if st == 200 else []
                if not mine:
                    act = "request"
            if act == "request":
                # Short leases: those nobody releases end by themselves.
                body = dict(cfg["request"], idempotency_key="chaos-%s-%d-%d" % (seed, i, n))
                body["nodes"] = [dict(x, cpu=rnd.randint(1, 20)) for x in body["nodes"]]
                body["time"] = {"start": "now", "duration": "%ds" % rnd.randint(5, 40)}
                st, ans = http("POST", cfg["url"] + "/v1/requests", tok, body)
            elif act == "renew":
                st, ans = http("POST", cfg["url"] + "/v1/leases/%s/renew" % rnd.choice(mine), tok,
                               {"duration": "%ds" % rnd.randint(5, 40)})
            else:
                st, ans = http("POST", cfg["url"] + "/v1/leases/%s/release" % rnd.choice(mine), tok)
            with lock:
                counts[(act, st)] = counts.get((act, st), 0) + 1
            if st == 0:
                time.sleep(0.05)   # the broker is down: the test restarts it

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("chaos:", ", ".join("%s %d: %d" % (a, s, n) for (a, s), n in sorted(counts.items())))


def rate(clients, seconds):
    """Leases per second, request to active, with 'clients' SPs."""
    lock = threading.Lock()
    times, errors = [], []
    end = time.monotonic() + seconds

    def client(i):
        tok = cfg["sps"][i % len(cfg["sps"])]
        n = 0
        while time.monotonic() < end:
            n += 1
            body = dict(cfg["request"], idempotency_key="rate-%d-%d-%d" % (os.getpid(), i, n))
            t = time.monotonic()
            st, ans = http("POST", cfg["url"] + "/v1/requests", tok, body)
            dt = time.monotonic() - t
            if st != 201 or ans.get("state") != "active":
                with lock:
                    errors.append("%d %s" % (st, ans))
                time.sleep(0.01)
                continue
            with lock:
                times.append(dt)
            http("POST", cfg["url"] + "/v1/leases/%s/release" % ans["id"], tok)

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    times.sort()
    pct = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000 if times else 0
    print(json.dumps({"clients": clients, "leases": len(times), "seconds": round(wall, 2),
                      "leases_per_s": round(len(times) / wall, 1),
                      "p50_ms": round(pct(0.5), 1), "p95_ms": round(pct(0.95), 1),
                      "errors": len(errors), "first_error": errors[0] if errors else None}))


if sys.argv[1] == "rate":
    rate(int(sys.argv[3]), float(sys.argv[4]))
    sys.exit(0)
if sys.argv[1] == "chaos":
    chaos(int(sys.argv[3]), sys.argv[4], sys.argv[5])
    sys.exit(0)
if sys.argv[1] == "storm":
    problems = storm(int(sys.argv[3]), int(sys.argv[4]))
else:
    problems = []
more, leases = check()
problems += more
for p in problems:
    print("PROBLEM:", p)
print("%d leases checked, %d problems" % (len(leases), len(problems)))
sys.exit(1 if problems else 0)

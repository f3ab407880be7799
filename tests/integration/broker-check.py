#!/usr/bin/python3
"""Outside checks of lamina-brokerd against its InP peers.

    broker-check.py check CONFIG.json
        Every lease the broker has is committed on all its InPs (active,
        scheduled) or on none (any other state; nothing transitional is
        left), no hold is left on any InP, and each InP's used CPU per
        switch equals the broker's active leases' CPU there and stays within
        the InP's total.

    broker-check.py storm CONFIG.json CLIENTS ROUNDS
        CLIENTS concurrent SP clients (threads) each run ROUNDS random
        actions (request, renew, release, dry run) against the broker; every
        answer must be a documented one, and no InP may ever refuse a
        prepare: the broker admits only what fits, so an InP's refusal
        would mean the broker over-committed.  Then 'check'.

CONFIG: {"url", "admin", "sps": [tokens], "inps": {name: {"url", "token"}},
"request": a request JSON object that fits a few times over}.
"""
import json
import random
import sys
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


def check():
    problems = []
    st, leases = http("GET", cfg["url"] + "/v1/leases", cfg["admin"])
    assert st == 200, leases
    leases = leases["leases"]
    held = {}
    for name, inp in cfg["inps"].items():
        st, l = http("GET", inp["url"] + "/v1/leases", inp["token"])
        held[name] = {x["lease"]: x for x in l["leases"]}
        st, cap = http("GET", inp["url"] + "/v1/capacity", inp["token"])
        if cap.get("holds"):
            problems.append("%s: holds left: %s" % (name, cap["holds"]))
        used = {}
        for lease in leases:
            if lease["state"] == "active" and name in lease["parts"]:
                for v in lease["parts"][name]["vnodes"]:
                    used[v["switch"]] = used.get(v["switch"], 0) + v["cpu"]
        # lamina-inpd: {"total": {"cpu:s1": ..}, "free_now": ..}; the test
        # peer: {"total": {"s1": ..}, "free": ..}.
        free_of = cap.get("free_now", cap.get("free", {}))
        for key, total in cap["total"].items():
            if ":" in key and not key.startswith("cpu:"):
                continue
            sw = key[4:] if key.startswith("cpu:") else key
            free = free_of[key]
            if free != total - used.get(sw, 0):
                problems.append("%s %s: free %d, expected %d - %d" % (name, sw, free, total, used.get(sw, 0)))
            if used.get(sw, 0) > total:
                problems.append("%s %s: over-committed: %d > %d" % (name, sw, used[sw], total))
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

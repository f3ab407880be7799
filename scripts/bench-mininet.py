#!/usr/bin/python3
# bench-mininet.py: the Mininet side of scripts/bench-mininet.sh (run it
# through that script, which starts the private ovsdb-server and
# ovs-vswitchd and sets OVS_RUNDIR for ovs-vsctl/ovs-ofctl).
#
#   bench-mininet.py TOPO TAG A B [PIDFILE]
#
# Brings the topology file TOPO (Lamina's format, as written by `lamina topo
# import` or `lamina topo gen`) up in Mininet with Mininet's Python API:
# one OVSSwitch per switch (datapath='user': Open vSwitch's userspace
# datapath, failMode='secure' and no controller: only static flows
# forward), one host per host line (same IP and MAC as in Lamina), links as
# in the file.  Forwarding is static and loop-free: for every destination
# MAC the shortest path by the file's link delays (the path Lamina's
# default slice takes), broadcast (ARP) along one shortest-path tree.
# Then it measures, between hosts A and B: median of 20 pings (us), iperf3
# one stream 5 s (Mbit/s), and the times to up, to load the flows and to
# stop; prints one JSON object.
#
# Names: every switch, bridge and root-side interface starts with TAG
# (unique per run), so runs of others on the machine are not touched.
# Hosts live in Mininet's own unnamed namespaces.  Mininet.init() (which
# raises global sysctls such as net.core.rmem_max and tcp_rmem for the
# whole machine) is skipped; Mininet's hosts get the TCP buffer maxima
# that Lamina's `topo up` gives its host namespaces (64 MiB, per
# namespace), so both sides run the same host stacks.  Cleanup is
# net.stop(), also on SIGTERM and on errors; `mn -c` is never run (it
# cleans by name, globally).
import heapq
import json
import os
import shlex
import signal
import subprocess
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import OVSSwitch
from mininet.link import Link


def parse_topo(path):
    switches, links, hosts = [], [], []
    with open(path) as f:
        for line in f:
            w = shlex.split(line, comments=True)
            if not w:
                continue
            kv = dict(x.split("=", 1) for x in w if "=" in x)
            pos = [x for x in w if "=" not in x]
            if pos[0] == "switch":
                switches.append(pos[1])
            elif pos[0] == "link":
                d = kv.get("delay", "0")
                us = float(d.rstrip("us")) if d.endswith("us") or d.isdigit() else None
                if us is None:
                    us = float(d[:-2]) * 1000 if d.endswith("ms") else float(d[:-1]) * 1e6
                links.append((pos[1], pos[2], us))
            elif pos[0] == "host":
                hosts.append((pos[1], pos[2], kv["ip"], kv["mac"]))
    return switches, links, hosts


def dijkstra(adj, src):
    dist, prev = {src: 0.0}, {src: None}
    q = [(0.0, src)]
    while q:
        d, u = heapq.heappop(q)
        if d > dist[u]:
            continue
        for v, w, _ in adj[u]:
            nd = d + w
            if v not in dist or nd < dist[v]:
                dist[v], prev[v] = nd, u
                heapq.heappush(q, (nd, v))
    return dist, prev


def main():
    topo, tag, ha, hb = sys.argv[1:5]
    pidfile = sys.argv[5] if len(sys.argv) > 5 else None
    setLogLevel("warning")
    Mininet.inited = True           # no fixLimits(): no global sysctl changes
    switches, links, hosts = parse_topo(topo)
    sname = {s: "%ss%x" % (tag, i) for i, s in enumerate(switches)}
    res = {"switches": len(switches), "links": len(links), "hosts": len(hosts)}
    net = None

    def on_term(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_term)

    try:
        t0 = time.time()
        net = Mininet(topo=None, build=False, controller=None,
                      switch=OVSSwitch, autoSetMacs=False)
        for s in switches:
            # dpid from the index (Mininet would derive it from the digits
            # of the name, which carry the tag)
            net.addSwitch(sname[s], cls=OVSSwitch, datapath="user",
                          failMode="secure", dpid="%016x" % (switches.index(s) + 1))
        nif = [0]

        def ifname():
            nif[0] += 1
            return "%s%x" % (tag, nif[0])
        adj = {s: [] for s in switches}     # switch -> [(peer, delay, intf)]
        hostsw = {}
        for s1, s2, us in links:
            i1, i2 = ifname(), ifname()
            net.addLink(net[sname[s1]], net[sname[s2]], intfName1=i1, intfName2=i2,
                        cls=Link)
            adj[s1].append((s2, us, i1))
            adj[s2].append((s1, us, i2))
        for h, s, ip, mac in hosts:
            hn = tag + h
            net.addHost(hn, ip=ip, mac=mac)
            sw_if = ifname()
            net.addLink(net[hn], net[sname[s]], intfName1="eth0", intfName2=sw_if, cls=Link)
            hostsw[h] = (s, sw_if, mac)
        if pidfile:
            with open(pidfile, "w") as f:
                for n in net.hosts + net.switches:
                    f.write("%d\n" % n.pid)
        net.build()
        net.start()
        for h in net.hosts:
            h.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
            h.cmd("ethtool -K eth0 tx off >/dev/null 2>&1")
            # the same TCP buffer maxima as Lamina's host namespaces
            # (topologies/topo_netns.h), per namespace
            h.cmd("sysctl -qw net.ipv4.tcp_rmem='4096 131072 67108864' "
                  "net.ipv4.tcp_wmem='4096 16384 67108864'")
        res["build_start_s"] = round(time.time() - t0, 2)

        # Static flows: per destination host, the next hop on the shortest
        # path by delay (ties: Dijkstra's first); broadcast on a tree.
        t1 = time.time()
        flows = {s: [] for s in switches}
        for h, (hs, hif, mac) in hostsw.items():
            dist, prev = dijkstra(adj, hs)
            port = {}
            for s in switches:
                if s == hs:
                    port[s] = hif
                elif s in prev and prev[s] is not None:
                    nxt = prev[s]
                    port[s] = min((x for x in adj[s] if x[0] == nxt), key=lambda x: x[1])[2]
            for s, intf in port.items():
                ofp = net[sname[s]].ports[net[sname[s]].intf(intf)]
                flows[s].append("priority=100,dl_dst=%s,actions=output:%d" % (mac, ofp))
        # broadcast tree: the shortest-path tree from the first switch
        root = switches[0]
        _, prev = dijkstra(adj, root)
        tree = {s: set() for s in switches}
        for s, p in prev.items():
            if p is None:
                continue
            x = min((x for x in adj[s] if x[0] == p), key=lambda x: x[1])
            tree[s].add(x[2])
            y = min((y for y in adj[p] if y[0] == s), key=lambda y: y[1])
            tree[p].add(y[2])
        for h, (hs, hif, mac) in hostsw.items():
            tree[hs].add(hif)
        for s in switches:
            outs = ",".join("output:%d" % net[sname[s]].ports[net[sname[s]].intf(i)]
                            for i in sorted(tree[s]))
            if outs:
                flows[s].append("priority=50,dl_dst=ff:ff:ff:ff:ff:ff,actions=%s" % outs)
        for s in switches:
            p = subprocess.run(["ovs-ofctl", "add-flows", sname[s], "-"],
                               input="\n".join(flows[s]) + "\n", text=True,
                               capture_output=True)
            if p.returncode:
                raise RuntimeError("ovs-ofctl add-flows %s: %s" % (sname[s], p.stderr))
        res["flows"] = sum(len(v) for v in flows.values())
        res["flows_s"] = round(time.time() - t1, 2)

        # The path A -> B (switches crossed), for the record.
        a, b = net[tag + ha], net[tag + hb]
        dist, prev = dijkstra(adj, hostsw[hb][0])
        n, s = 0, hostsw[ha][0]
        while s is not None:
            n, s = n + 1, prev[s]
        res["path_switches"] = n
        res["path_emulated_rtt_us"] = round(2 * dist[hostsw[ha][0]])
        ipb = b.IP()
        # Ready when a ping gets through (ARP, datapath caches)
        ready = False
        for _ in range(30):
            if " 0% packet loss" in a.cmd("ping -c 1 -W 1 %s" % ipb):
                ready = True
                break
        res["up_s"] = round(time.time() - t0, 2)
        if not ready:
            res["error"] = "no ping %s -> %s" % (ha, hb)
        else:
            a.cmd("ping -c 3 -i 0.2 -W 2 %s" % ipb)
            out = a.cmd("ping -c 20 -i 0.1 -W 2 %s" % ipb)
            v = sorted(float(x.split("=")[1]) for x in out.split() if x.startswith("time="))
            res["rtt_us"] = round(v[(len(v) + 1) // 2 - 1] * 1000) if v else None
            spid = b.cmd("iperf3 -s -1 -p 5201 >/dev/null 2>&1 & echo $!").split()[-1]
            time.sleep(0.5)
            out = a.cmd("timeout 20 iperf3 -c %s -p 5201 -t 5 -J" % ipb)
            try:
                res["tcp_mbps"] = round(json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e6)
            except Exception:
                res["tcp_mbps"] = None
            b.cmd("kill %s 2>/dev/null; wait %s 2>/dev/null" % (spid, spid))
    except BaseException as e:      # noqa: also KeyboardInterrupt (SIGTERM)
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if net is not None:
            t2 = time.time()
            try:
                net.stop()
            except Exception as e:
                res["stop_error"] = str(e)
            res["down_s"] = round(time.time() - t2, 2)
    print(json.dumps(res))
    return 0 if "error" not in res else 1


if __name__ == "__main__":
    sys.exit(main())

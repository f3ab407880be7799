#!/usr/bin/python3
"""OpenFlow 1.3 switch conformance cases, generated from tables, run against
one device under test (a Lamina `openflow` vnode or an Open vSwitch bridge)
by a tester that is both its controller and the hosts on its ports.

    of_conformance.py --listen PORT --netns NS --ifaces A,B,C,D
                      --name NAME [--quick] [--out FILE.json] [--only RE]

The controller side is os-ken's OpenFlow 1.3 codec (messages are built and
parsed by os_ken.ofproto.ofproto_v1_3_parser, as an os-ken app does),
driven synchronously: the tester listens on 127.0.0.1:PORT, the device
connects to it.  The hosts are raw AF_PACKET sockets on the interfaces
A..D (OpenFlow ports 1..4 of the device) in network namespace NS; VLAN
tags the kernel hands over beside the frame (PACKET_AUXDATA) are put back.

Each case clears the device (flows, groups, meters), installs what the case
needs, sends frames and checks, byte for byte, what comes out of which port
(every frame carries a mark, and anything marked that the case did not
expect fails it), or what the controller receives (replies, errors with the
specification's type and code, packet-ins, counters).  Unless a case says
otherwise a priority-0 flow sends whatever nothing else matched to port 4,
so "did not match" is seen as a frame on port 4, not as silence.

Prints one line per group (passed/total) and writes every case's result to
--out as {"name": NAME, "cases": {case: "pass" | "fail: why"}}.
--quick runs the subset tagged quick (the integration test); exit status 0
when every case run passed, 1 otherwise.
"""
import argparse
import ctypes
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlan_frames import crc32c, csum16  # noqa: E402

from os_ken.ofproto import ofproto_parser  # noqa: E402
from os_ken.ofproto import ofproto_v1_3 as ofp  # noqa: E402
from os_ken.ofproto import ofproto_v1_3_parser as P  # noqa: E402

MARK = b"LTCONF"


# ------------------------------------------------------------------ frames

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)


BASE = {
    "eth_dst": "02:00:00:00:00:02", "eth_src": "02:00:00:00:00:01",
    "vlans": [], "mpls": [], "l3": "ipv4", "l4": "udp",
    "ip_dscp": 0, "ip_ecn": 0, "ip_ttl": 64,
    "ipv4_src": "10.0.0.1", "ipv4_dst": "10.0.0.2",
    "ipv6_src": "2001:db8::1", "ipv6_dst": "2001:db8::2", "ipv6_flabel": 0,
    "sport": 1000, "dport": 2000, "tcp_flags": 0x10,
    "icmp_type": 8, "icmp_code": 0,
    "ipv6_nd_target": "2001:db8::7", "ipv6_nd_sll": "02:00:00:00:00:0a",
    "ipv6_nd_tll": "02:00:00:00:00:0b",
    "arp_op": 1, "arp_spa": "10.0.0.1", "arp_tpa": "10.0.0.2",
    "arp_sha": "02:00:00:00:00:01", "arp_tha": "00:00:00:00:00:00",
    "eth_type": 0x88b5,
}


def pk(**kw):
    d = dict(BASE)
    d.update(kw)
    return d


def l4_bytes(d, proto, pseudo, payload):
    """The transport header and payload, checksum computed over 'pseudo'."""
    if proto in (6, 17):
        if proto == 6:
            h = struct.pack("!HHIIBBHHH", d["sport"], d["dport"], 1, 0, 0x50,
                            d["tcp_flags"], 8192, 0, 0) + payload
            off = 16
        else:
            h = struct.pack("!HHHH", d["sport"], d["dport"], 8 + len(payload), 0) + payload
            off = 6
        c = csum16(pseudo(len(h)) + h)
        if proto == 17 and c == 0:
            c = 0xffff
        return h[:off] + struct.pack("!H", c) + h[off + 2:]
    if proto == 132:
        chunk = struct.pack("!BBH", 0, 3, 16 + len(payload)) + struct.pack("!IHHI", 1, 0, 0, 0) + payload
        chunk += bytes(-len(chunk) % 4)
        h = struct.pack("!HHII", d["sport"], d["dport"], 0x01020304, 0) + chunk
        return h[:8] + struct.pack("<I", crc32c(h)) + h[12:]
    if proto == 1:
        h = struct.pack("!BBHI", d["icmp_type"], d["icmp_code"], 0, 0x12340001) + payload
        return h[:2] + struct.pack("!H", csum16(h)) + h[4:]
    if proto == 58:
        t = d["icmp_type"]
        if d["l4"] == "ns":
            t = 135
            body = struct.pack("!I", 0) + ip6(d["ipv6_nd_target"]) + \
                bytes([1, 1]) + mac(d["ipv6_nd_sll"])
        elif d["l4"] == "na":
            t = 136
            body = struct.pack("!I", 0x60000000) + ip6(d["ipv6_nd_target"]) + \
                bytes([2, 1]) + mac(d["ipv6_nd_tll"])
        else:
            body = struct.pack("!I", 0x12340001)
        h = struct.pack("!BBH", t, d["icmp_code"], 0) + body + payload
        c = csum16(pseudo(len(h)) + h)
        return h[:2] + struct.pack("!H", c) + h[4:]
    return payload


PROTO = {"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmp6": 58, "ns": 58, "na": 58, None: 253}


def frame(d, tag=b""):
    """The bytes of the frame 'd' describes; 'tag' (the case's mark) goes
    into the payload."""
    payload = MARK + tag + bytes(range(32))
    eth = mac(d["eth_dst"]) + mac(d["eth_src"])
    for tpid, vid, pcp in d["vlans"]:
        eth += struct.pack("!HH", tpid, pcp << 13 | vid)
    proto = PROTO[d["l4"]]
    if d["l3"] == "ipv4":
        tos = d["ip_dscp"] << 2 | d["ip_ecn"]
        src, dst = ip4(d["ipv4_src"]), ip4(d["ipv4_dst"])
        l4 = l4_bytes(d, proto, lambda n: src + dst + struct.pack("!BBH", 0, proto, n), payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(l4), 0, 0x4000, d["ip_ttl"],
                         proto, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
        etype, l3 = 0x0800, ip + l4
    elif d["l3"] == "ipv6":
        src, dst = ip6(d["ipv6_src"]), ip6(d["ipv6_dst"])
        l4 = l4_bytes(d, proto, lambda n: src + dst + struct.pack("!IxxxB", n, proto), payload)
        tc = d["ip_dscp"] << 2 | d["ip_ecn"]
        hlim = 255 if d["l4"] in ("ns", "na") else d["ip_ttl"]
        etype = 0x86dd
        l3 = struct.pack("!IHBB", 6 << 28 | tc << 20 | d["ipv6_flabel"], len(l4), proto,
                         hlim) + src + dst + l4
    elif d["l3"] == "arp":
        etype = 0x0806
        l3 = struct.pack("!HHBBH", 1, 0x0800, 6, 4, d["arp_op"]) + mac(d["arp_sha"]) + \
            ip4(d["arp_spa"]) + mac(d["arp_tha"]) + ip4(d["arp_tpa"]) + payload
    else:
        etype, l3 = d["eth_type"], payload
    if d["mpls"]:
        eth += struct.pack("!H", 0x8847)
        for i, (label, tc, ttl) in enumerate(d["mpls"]):
            bos = 1 if i == len(d["mpls"]) - 1 else 0
            eth += struct.pack("!I", label << 12 | tc << 9 | bos << 8 | ttl)
        return eth + l3
    return eth + struct.pack("!H", etype) + l3


def pset(d, field, value):
    """'d' with the OpenFlow field 'field' set to 'value' (os-ken's form)."""
    d = dict(d, vlans=list(d["vlans"]), mpls=list(d["mpls"]))
    if field == "vlan_vid":
        tpid, _, pcp = d["vlans"][0]
        d["vlans"][0] = (tpid, value & 0xfff, pcp)
    elif field == "vlan_pcp":
        tpid, vid, _ = d["vlans"][0]
        d["vlans"][0] = (tpid, vid, value)
    elif field == "mpls_label":
        d["mpls"][0] = (value,) + d["mpls"][0][1:]
    elif field == "mpls_tc":
        d["mpls"][0] = (d["mpls"][0][0], value, d["mpls"][0][2])
    elif field in ("tcp_src", "udp_src", "sctp_src"):
        d["sport"] = value
    elif field in ("tcp_dst", "udp_dst", "sctp_dst"):
        d["dport"] = value
    elif field == "ip_proto":
        d["l4"] = {6: "tcp", 17: "udp", 132: "sctp", 1: "icmp", 58: "icmp6"}[value]
    elif field in ("icmpv4_type", "icmpv6_type"):
        d["icmp_type"] = value
    elif field in ("icmpv4_code", "icmpv6_code"):
        d["icmp_code"] = value
    else:
        d[field] = value
    return d


# ---------------------------------------------------------------- channel

class Datapath:
    """What os-ken's message classes need of a datapath."""
    ofproto = ofp
    ofproto_parser = P
    id = 0


class Channel:
    """One OpenFlow 1.3 connection from the device, handled synchronously."""

    def __init__(self, sock):
        self.sock = sock
        self.dp = Datapath()
        self.buf = b""
        self.xid = 100
        self.async_msgs = []

    def send(self, msg):
        self.xid += 1
        msg.xid = None          # a message may be sent again (cases share some)
        msg.set_xid(self.xid)
        msg.serialize()
        self.sock.sendall(bytes(msg.buf))
        return self.xid

    def send_raw(self, data):
        self.xid += 1
        data = bytearray(data)
        struct.pack_into("!I", data, 4, self.xid)
        self.sock.sendall(bytes(data))
        return self.xid

    def recv(self, timeout):
        """The next message (os-ken object, or a tuple (type, xid, raw)
        for what os-ken cannot parse), None after 'timeout' seconds.
        Echo requests are answered here."""
        end = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 8:
                ver, typ, ln, xid = struct.unpack("!BBHI", self.buf[:8])
                if len(self.buf) >= ln:
                    raw, self.buf = self.buf[:ln], self.buf[ln:]
                    if typ == ofp.OFPT_ECHO_REQUEST:
                        self.sock.sendall(struct.pack("!BBHI", 4, ofp.OFPT_ECHO_REPLY, ln, xid) + raw[8:])
                        continue
                    try:
                        return ofproto_parser.msg(self.dp, ver, typ, ln, xid, bytearray(raw))
                    except Exception:
                        return (typ, xid, raw)
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("the device closed the OpenFlow connection")
                self.buf += data

    def until(self, xid, timeout=5.0, multipart=False):
        """Messages answering 'xid' up to and including the last reply
        (for a multipart request: the one without the MORE flag); async
        messages are kept aside."""
        out = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.recv(end - time.monotonic())
            if m is None:
                break
            mx = m[1] if isinstance(m, tuple) else m.xid
            if mx != xid:
                if isinstance(m, (P.OFPPacketIn, P.OFPFlowRemoved, P.OFPPortStatus)):
                    self.async_msgs.append(m)
                continue
            out.append(m)
            if isinstance(m, P.OFPErrorMsg):
                break
            if multipart and not isinstance(m, tuple) and hasattr(m, "flags") and \
                    m.flags & ofp.OFPMPF_REPLY_MORE:
                continue
            break
        return out

    def barrier(self, timeout=5.0):
        """Waits for a barrier; returns the error messages received before
        it (for any xid)."""
        xid = self.send(P.OFPBarrierRequest(self.dp))
        errs = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.recv(end - time.monotonic())
            if m is None:
                raise TimeoutError("no barrier reply")
            if isinstance(m, P.OFPErrorMsg):
                errs.append(m)
            elif isinstance(m, P.OFPBarrierReply) and m.xid == xid:
                return errs
            elif isinstance(m, (P.OFPPacketIn, P.OFPFlowRemoved, P.OFPPortStatus)):
                self.async_msgs.append(m)
        raise TimeoutError("no barrier reply")

    def request(self, msg, timeout=5.0):
        return self.until(self.send(msg), timeout, multipart=True)


# ------------------------------------------------------------------- hosts

SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
CLONE_NEWNET = 0x40000000


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns %s" % path)
    finally:
        os.close(fd)


class Hosts:
    """Raw sockets on the device's ports 1..N."""

    def __init__(self, ifaces):
        self.socks = []
        for ifn in ifaces:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            s.bind((ifn, 0))
            s.setblocking(False)
            self.socks.append(s)

    def send(self, port, data):
        self.socks[port - 1].send(data)

    def _read(self, s):
        out = []
        while True:
            try:
                data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(32))
            except BlockingIOError:
                return out
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            for lvl, typ, cd in anc:
                if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(cd) >= 20:
                    status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", cd[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        if not status & TP_STATUS_VLAN_TPID_VALID:
                            tpid = 0x8100
                        data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            if MARK in data:
                out.append(data)

    def drain(self):
        for s in self.socks:
            self._read(s)

    def collect(self, want, timeout=2.0, grace=0.05):
        """Marked frames per port until each port has at least as many as
        'want' ({port: n}) holds, then 'grace' more seconds."""
        got = {p: [] for p in range(1, len(self.socks) + 1)}
        end = time.monotonic() + timeout
        done_at = None
        while True:
            now = time.monotonic()
            if done_at is None and all(len(got[p]) >= n for p, n in want.items()):
                done_at = now + grace
            if now >= (done_at if done_at is not None else end):
                return got
            r, _, _ = select.select(self.socks, [], [], min(0.01, max(0, end - now)))
            for s in r:
                got[self.socks.index(s) + 1] += self._read(s)


# ------------------------------------------------------------------- cases

class Fail(Exception):
    pass


def flow(match=None, actions=None, priority=100, table=0, inst=None, **kw):
    if inst is None:
        inst = [P.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions or [])]
    return P.OFPFlowMod(Datapath(), table_id=table, priority=priority,
                        match=match or P.OFPMatch(), instructions=inst, **kw)


def out(p):
    return P.OFPActionOutput(p, ofp.OFPCML_NO_BUFFER)


def sf(**kw):
    return P.OFPActionSetField(**kw)


CATCH = 4       # the port of the priority-0 flow


class Case:
    """One case: messages to install, frames to send on port 1 (or another),
    frames expected per port; or a 'check' function of its own."""

    def __init__(self, group, name, msgs=(), sends=(), expect=None, check=None,
                 catch=True, quick=False, errors=None):
        self.group, self.name = group, name
        self.msgs, self.sends, self.expect = list(msgs), list(sends), expect or {}
        self.check, self.catch, self.quick, self.errors = check, catch, quick, errors


class Runner:
    def __init__(self, ch, hosts, settle=None):
        self.ch, self.hosts, self.settle = ch, hosts, settle

    def settled(self):
        """Runs the device's settle command, if any (Open vSwitch: flush
        the datapath's flow cache, which revalidation updates only up to
        500 ms after a barrier)."""
        if self.settle:
            subprocess.run(self.settle, shell=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)

    def clear(self):
        dp = Datapath()
        self.ch.send(P.OFPFlowMod(dp, table_id=ofp.OFPTT_ALL, command=ofp.OFPFC_DELETE,
                                  out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY,
                                  match=P.OFPMatch()))
        self.ch.send(P.OFPGroupMod(dp, command=ofp.OFPGC_DELETE, group_id=ofp.OFPG_ALL))
        self.ch.send(P.OFPMeterMod(dp, command=ofp.OFPMC_DELETE, meter_id=ofp.OFPM_ALL))
        self.ch.barrier()
        self.ch.async_msgs = []
        self.hosts.drain()

    def install(self, msgs):
        for m in msgs:
            self.ch.send(m)
        errs = self.ch.barrier()
        if errs:
            e = errs[0]
            raise Fail("refused: error type %d code %d" % (e.type, e.code))
        self.settled()

    def run(self, c, idx):
        self.clear()
        tag = struct.pack("!H", idx)
        msgs = list(c.msgs)
        if c.catch:
            msgs.append(flow(actions=[out(CATCH)], priority=0))
        if c.errors is not None:
            for m in msgs:
                self.ch.send(m)
            errs = self.ch.barrier()
            want = c.errors
            if not errs:
                raise Fail("accepted; want error type %d code %d" % want)
            got = (errs[0].type, errs[0].code)
            if got != want:
                raise Fail("error type %d code %d; want %d code %d" % (got + want))
            if c.check:
                c.check(self, tag)
            return
        self.install(msgs)
        if c.check:
            c.check(self, tag)
            return
        self.traffic(c.sends, c.expect, tag)

    def traffic(self, sends, expect, tag, timeout=2.0):
        want = {p: [frame(d, tag) for d in ds] for p, ds in expect.items()}
        for s in sends:
            port, d = s if isinstance(s, tuple) else (1, s)
            self.hosts.send(port, frame(d, tag))
        got = self.hosts.collect({p: len(v) for p, v in want.items()}, timeout,
                                 0.05 if want else 0.2)
        for p in got:
            mine = sorted(f for f in got[p] if MARK + tag in f)
            w = sorted(want.get(p, []))
            if mine != w:
                raise Fail("port %d: got %s; want %s" % (p, [f.hex() for f in mine], [f.hex() for f in w]))


# The field table: (OXM field, prerequisites in the match, base frame,
# value, a frame value that matches under the mask, a value that does not,
# mask or None, value to set or None if not settable).
IP4 = pk()
IP6 = pk(l3="ipv6")
TAG = [(0x8100, 10, 3)]

FIELDS = [
    ("eth_dst", {}, IP4, "02:00:00:00:00:02", "02:00:00:00:00:82", "02:00:00:00:01:02",
     "ff:ff:ff:ff:ff:0f", "02:00:00:00:00:33"),
    ("eth_src", {}, IP4, "02:00:00:00:00:01", "02:00:00:00:00:81", "02:00:00:00:01:01",
     "ff:ff:ff:ff:ff:0f", "02:00:00:00:00:34"),
    ("eth_type", {}, pk(l3="raw"), 0x88b5, None, 0x88b6, None, None),
    ("vlan_vid", {}, pk(vlans=TAG), 0x1000 | 10, 0x1000 | 13, 0x1000 | 26, 0x1ff0, 0x1000 | 20),
    ("vlan_pcp", {"vlan_vid": (0x1000, 0x1000)}, pk(vlans=TAG), 3, None, 4, None, 6),
    ("ip_dscp", {"eth_type": 0x0800}, pk(ip_dscp=10), 10, None, 11, None, 46),
    ("ip_ecn", {"eth_type": 0x0800}, pk(ip_ecn=1), 1, None, 2, None, 3),
    ("ip_proto", {"eth_type": 0x0800}, IP4, 17, None, 6, None, None),
    ("ipv4_src", {"eth_type": 0x0800}, IP4, "10.0.0.1", "10.0.0.201", "10.0.1.1",
     "255.255.255.0", "10.9.9.9"),
    ("ipv4_dst", {"eth_type": 0x0800}, IP4, "10.0.0.2", "10.0.0.202", "10.0.1.2",
     "255.255.255.0", "10.8.8.8"),
    ("tcp_src", {"eth_type": 0x0800, "ip_proto": 6}, pk(l4="tcp"), 1000, None, 1002, None, 1100),
    ("tcp_dst", {"eth_type": 0x0800, "ip_proto": 6}, pk(l4="tcp"), 2000, None, 2002, None, 2100),
    ("udp_src", {"eth_type": 0x0800, "ip_proto": 17}, IP4, 1000, None, 1002, None, 1200),
    ("udp_dst", {"eth_type": 0x0800, "ip_proto": 17}, IP4, 2000, None, 2002, None, 2200),
    ("sctp_src", {"eth_type": 0x0800, "ip_proto": 132}, pk(l4="sctp"), 1000, None, 1002, None, 1300),
    ("sctp_dst", {"eth_type": 0x0800, "ip_proto": 132}, pk(l4="sctp"), 2000, None, 2002, None, 2300),
    ("icmpv4_type", {"eth_type": 0x0800, "ip_proto": 1}, pk(l4="icmp"), 8, None, 0, None, 13),
    ("icmpv4_code", {"eth_type": 0x0800, "ip_proto": 1}, pk(l4="icmp", icmp_code=1), 1, None, 2, None, 3),
    ("arp_op", {"eth_type": 0x0806}, pk(l3="arp"), 1, None, 2, None, 2),
    ("arp_spa", {"eth_type": 0x0806}, pk(l3="arp"), "10.0.0.1", "10.0.0.201", "10.0.1.1",
     "255.255.255.0", "10.7.7.7"),
    ("arp_tpa", {"eth_type": 0x0806}, pk(l3="arp"), "10.0.0.2", "10.0.0.202", "10.0.1.2",
     "255.255.255.0", "10.6.6.6"),
    ("arp_sha", {"eth_type": 0x0806}, pk(l3="arp"), "02:00:00:00:00:01", "02:00:00:00:00:81",
     "02:00:00:00:01:01", "ff:ff:ff:ff:ff:0f", "02:00:00:00:00:35"),
    ("arp_tha", {"eth_type": 0x0806}, pk(l3="arp", arp_tha="02:00:00:00:00:02"), "02:00:00:00:00:02",
     "02:00:00:00:00:82", "02:00:00:00:01:02", "ff:ff:ff:ff:ff:0f", "02:00:00:00:00:36"),
    ("ipv6_src", {"eth_type": 0x86dd}, IP6, "2001:db8::1", "2001:db8::1:1", "2001:db9::1",
     "ffff:ffff::", "2001:db8::99"),
    ("ipv6_dst", {"eth_type": 0x86dd}, IP6, "2001:db8::2", "2001:db8::1:2", "2001:db9::2",
     "ffff:ffff::", "2001:db8::98"),
    ("ipv6_flabel", {"eth_type": 0x86dd}, pk(l3="ipv6", ipv6_flabel=0x12345), 0x12345, 0x12355,
     0x22345, 0xfff0f, 0x54321),
    ("icmpv6_type", {"eth_type": 0x86dd, "ip_proto": 58}, pk(l3="ipv6", l4="icmp6", icmp_type=128),
     128, None, 129, None, 129),
    ("icmpv6_code", {"eth_type": 0x86dd, "ip_proto": 58},
     pk(l3="ipv6", l4="icmp6", icmp_type=128, icmp_code=1), 1, None, 2, None, 4),
    ("ipv6_nd_target", {"eth_type": 0x86dd, "ip_proto": 58, "icmpv6_type": 135},
     pk(l3="ipv6", l4="ns"), "2001:db8::7", None, "2001:db8::8", None, "2001:db8::9"),
    ("ipv6_nd_sll", {"eth_type": 0x86dd, "ip_proto": 58, "icmpv6_type": 135},
     pk(l3="ipv6", l4="ns"), "02:00:00:00:00:0a", None, "02:00:00:00:00:0c", None, "02:00:00:00:00:0d"),
    ("ipv6_nd_tll", {"eth_type": 0x86dd, "ip_proto": 58, "icmpv6_type": 136},
     pk(l3="ipv6", l4="na"), "02:00:00:00:00:0b", None, "02:00:00:00:00:0c", None, "02:00:00:00:00:0e"),
    ("mpls_label", {"eth_type": 0x8847}, pk(mpls=[(100, 0, 64)]), 100, None, 101, None, 200),
    ("mpls_tc", {"eth_type": 0x8847}, pk(mpls=[(100, 2, 64)]), 2, None, 3, None, 5),
    ("mpls_bos", {"eth_type": 0x8847}, pk(mpls=[(100, 0, 64)]), 1, None, 0, None, None),
]


def field_cases():
    cases = []
    quick = {"eth_dst", "vlan_vid", "ipv4_src", "tcp_dst", "ipv6_dst", "ipv6_nd_target", "mpls_label",
             "arp_tpa", "sctp_dst"}
    for name, pre, base, v, vm, vn, mask, setv in FIELDS:
        variants = [("", base)]
        if not base["vlans"] and not base["mpls"] and base["l3"] != "raw":
            variants.append((" tagged", dict(base, vlans=list(TAG))))
        for suffix, b in variants:
            q = name in quick and not suffix
            if name == "mpls_bos":
                non = pk(mpls=[(100, 0, 64), (5, 0, 64)])
            elif name == "eth_type":
                non = pk(l3="raw", eth_type=vn)
            else:
                non = pset(b, name, vn)
            m = dict(pre, in_port=1, **{name: v})
            cases.append(Case("match", "%s exact%s" % (name, suffix),
                              [flow(P.OFPMatch(**m), [out(2)])], [b, non],
                              {2: [b], CATCH: [non]}, quick=q))
            if mask:
                mm = dict(pre, in_port=1, **{name: (v, mask)})
                other = pset(b, name, vm)
                cases.append(Case("match", "%s masked%s" % (name, suffix),
                                  [flow(P.OFPMatch(**mm), [out(2)])], [b, other, non],
                                  {2: [b, other], CATCH: [non]}, quick=q))
            if setv is not None:
                act = [sf(**{name: setv}), out(2)]
                spre = dict(pre, vlan_vid=(0x1000, 0x1000)) if name == "vlan_vid" else pre
                cases.append(Case("set-field", "%s%s" % (name, suffix),
                                  [flow(P.OFPMatch(**dict(spre, in_port=1)), act)], [b],
                                  {2: [pset(b, name, setv)]}, quick=q))
        # The prerequisites: without them the match is refused.
        if pre and name not in ("vlan_pcp",):
            bad = {name: v}
            cases.append(Case("errors", "%s without prerequisite" % name,
                              [flow(P.OFPMatch(in_port=1, **bad), [out(2)])],
                              errors=(ofp.OFPET_BAD_MATCH, ofp.OFPBMC_BAD_PREREQ),
                              quick=name == "tcp_dst"))
    # Masks of fields that have none in OpenFlow 1.3: refused.
    for name in ("tcp_src", "tcp_dst", "udp_src", "udp_dst", "sctp_src", "sctp_dst"):
        pre = {"eth_type": 0x0800, "ip_proto": {"t": 6, "u": 17, "s": 132}[name[0]]}
        cases.append(Case("errors", "%s with a mask" % name,
                          [flow(P.OFPMatch(in_port=1, **dict(pre, **{name: (1000, 0xfff0)})), [out(2)])],
                          errors=(ofp.OFPET_BAD_MATCH, ofp.OFPBMC_BAD_MASK), quick=name == "tcp_dst"))
    cases.append(Case("errors", "ip_proto with a mask", [flow(P.OFPMatch(in_port=1, eth_type=0x0800,
                                                                         ip_proto=(6, 0xf)), [out(2)])],
                      errors=(ofp.OFPET_BAD_MATCH, ofp.OFPBMC_BAD_MASK)))
    cases.append(Case("match", "in_port", [flow(P.OFPMatch(in_port=1), [out(2)]),
                                           flow(P.OFPMatch(in_port=3), [out(1)])],
                      [(1, IP4), (3, IP4)], {2: [IP4], 1: [IP4]}, quick=True))
    cases.append(Case("match", "vlan_vid none (untagged only)",
                      [flow(P.OFPMatch(in_port=1, vlan_vid=0), [out(2)])],
                      [IP4, pk(vlans=TAG)], {2: [IP4], CATCH: [pk(vlans=TAG)]}, quick=True))
    cases.append(Case("match", "vlan_vid present (any tag)",
                      [flow(P.OFPMatch(in_port=1, vlan_vid=(0x1000, 0x1000)), [out(2)])],
                      [IP4, pk(vlans=TAG)], {2: [pk(vlans=TAG)], CATCH: [IP4]}))
    cases.append(Case("match", "metadata (write_metadata, goto_table)",
                      [flow(P.OFPMatch(in_port=1), inst=[P.OFPInstructionWriteMetadata(0x55, 0xff),
                                                          P.OFPInstructionGotoTable(1)]),
                       flow(P.OFPMatch(metadata=0x55), [out(2)], table=1),
                       flow(P.OFPMatch(metadata=(0x50, 0xf0)), [out(3)], table=1, priority=50)],
                      [IP4], {2: [IP4]}))
    cases.append(Case("match", "priority order",
                      [flow(P.OFPMatch(in_port=1), [out(3)], priority=10),
                       flow(P.OFPMatch(in_port=1, eth_type=0x0800), [out(2)], priority=20)],
                      [IP4, pk(l3="raw")], {2: [IP4], 3: [pk(l3="raw")]}, quick=True))
    return cases


def ttl_cases():
    C = []
    C.append(Case("actions", "dec_nw_ttl ipv4", [flow(P.OFPMatch(in_port=1, eth_type=0x0800),
                                                       [P.OFPActionDecNwTtl(), out(2)])],
                  [IP4], {2: [pk(ip_ttl=63)]}, quick=True))
    C.append(Case("actions", "dec_nw_ttl ipv6", [flow(P.OFPMatch(in_port=1, eth_type=0x86dd),
                                                       [P.OFPActionDecNwTtl(), out(2)])],
                  [IP6], {2: [pk(l3="ipv6", ip_ttl=63)]}))
    C.append(Case("actions", "set_nw_ttl ipv4", [flow(P.OFPMatch(in_port=1, eth_type=0x0800),
                                                       [P.OFPActionSetNwTtl(9), out(2)])],
                  [IP4], {2: [pk(ip_ttl=9)]}))
    C.append(Case("actions", "set_nw_ttl ipv6", [flow(P.OFPMatch(in_port=1, eth_type=0x86dd),
                                                       [P.OFPActionSetNwTtl(9), out(2)])],
                  [IP6], {2: [pk(l3="ipv6", ip_ttl=9)]}))
    C.append(Case("actions", "dec_nw_ttl tagged", [flow(P.OFPMatch(in_port=1, eth_type=0x0800),
                                                         [P.OFPActionDecNwTtl(), out(2)])],
                  [pk(vlans=TAG)], {2: [pk(vlans=TAG, ip_ttl=63)]}))
    C.append(Case("actions", "dec_nw_ttl at 1 drops (packet-in reason invalid_ttl not asked)",
                  [flow(P.OFPMatch(in_port=1, eth_type=0x0800), [P.OFPActionDecNwTtl(), out(2)])],
                  [pk(ip_ttl=1)], {}))
    M = pk(mpls=[(100, 0, 64)])
    C.append(Case("actions", "dec_mpls_ttl", [flow(P.OFPMatch(in_port=1, eth_type=0x8847),
                                                    [P.OFPActionDecMplsTtl(), out(2)])],
                  [M], {2: [pk(mpls=[(100, 0, 63)])]}, quick=True))
    C.append(Case("actions", "set_mpls_ttl", [flow(P.OFPMatch(in_port=1, eth_type=0x8847),
                                                    [P.OFPActionSetMplsTtl(7), out(2)])],
                  [M], {2: [pk(mpls=[(100, 0, 7)])]}))
    C.append(Case("actions", "copy_ttl_out", [flow(P.OFPMatch(in_port=1, eth_type=0x8847),
                                                    [P.OFPActionCopyTtlOut(), out(2)])],
                  [pk(mpls=[(100, 0, 5)], ip_ttl=30)], {2: [pk(mpls=[(100, 0, 30)], ip_ttl=30)]}))
    C.append(Case("actions", "copy_ttl_in", [flow(P.OFPMatch(in_port=1, eth_type=0x8847),
                                                   [P.OFPActionCopyTtlIn(), out(2)])],
                  [pk(mpls=[(100, 0, 5)], ip_ttl=30)], {2: [pk(mpls=[(100, 0, 5)], ip_ttl=5)]}))
    return C


def tag_cases():
    C = []
    U, T = IP4, pk(vlans=TAG)
    C.append(Case("actions", "push_vlan + set vid", [flow(P.OFPMatch(in_port=1), [
        P.OFPActionPushVlan(0x8100), sf(vlan_vid=0x1000 | 20), out(2)])],
        [U], {2: [pk(vlans=[(0x8100, 20, 0)])]}, quick=True))
    C.append(Case("actions", "push_vlan 0x88a8", [flow(P.OFPMatch(in_port=1), [
        P.OFPActionPushVlan(0x88a8), sf(vlan_vid=0x1000 | 20), out(2)])],
        [U], {2: [pk(vlans=[(0x88a8, 20, 0)])]}))
    C.append(Case("actions", "push_vlan on tagged copies vid/pcp", [flow(P.OFPMatch(in_port=1), [
        P.OFPActionPushVlan(0x8100), out(2)])],
        [T], {2: [pk(vlans=[(0x8100, 10, 3), (0x8100, 10, 3)])]}))
    C.append(Case("actions", "pop_vlan", [flow(P.OFPMatch(in_port=1, vlan_vid=0x1000 | 10), [
        P.OFPActionPopVlan(), out(2)])], [T], {2: [U]}, quick=True))
    C.append(Case("actions", "pop_vlan outer of two", [flow(P.OFPMatch(in_port=1), [
        P.OFPActionPopVlan(), out(2)])], [pk(vlans=[(0x8100, 30, 1)] + TAG)], {2: [T]}))
    C.append(Case("actions", "push_mpls + set label", [flow(P.OFPMatch(in_port=1, eth_type=0x0800), [
        P.OFPActionPushMpls(0x8847), sf(mpls_label=77), out(2)])],
        [U], {2: [pk(mpls=[(77, 0, 64)])]}, quick=True))
    C.append(Case("actions", "push_mpls on tagged", [flow(P.OFPMatch(in_port=1, eth_type=0x0800), [
        P.OFPActionPushMpls(0x8847), sf(mpls_label=77), out(2)])],
        [T], {2: [pk(vlans=TAG, mpls=[(77, 0, 64)])]}))
    C.append(Case("actions", "pop_mpls", [flow(P.OFPMatch(in_port=1, eth_type=0x8847), [
        P.OFPActionPopMpls(0x0800), out(2)])], [pk(mpls=[(100, 0, 64)])], {2: [U]}, quick=True))
    C.append(Case("actions", "push_mpls twice", [flow(P.OFPMatch(in_port=1, eth_type=0x8847), [
        P.OFPActionPushMpls(0x8847), sf(mpls_label=9), out(2)])], [pk(mpls=[(100, 0, 64)])],
        {2: [pk(mpls=[(9, 0, 64), (100, 0, 64)])]}))
    C.append(Case("actions", "push_vlan then push_mpls", [flow(P.OFPMatch(in_port=1, eth_type=0x0800), [
        P.OFPActionPushVlan(0x8100), sf(vlan_vid=0x1000 | 5), P.OFPActionPushMpls(0x8847),
        sf(mpls_label=8), out(2)])], [U], {2: [pk(vlans=[(0x8100, 5, 0)], mpls=[(8, 0, 64)])]}))
    # PBB (802.1ah): the I-TAG and a backbone header copied from the customer's.
    src = IP4
    C.append(Case("actions", "push_pbb", [flow(P.OFPMatch(in_port=1), [
        P.OFPActionPushPbb(0x88e7), out(2)])], [src], {2: [], CATCH: []},
        check=lambda r, tag: pbb_check(r, tag)))
    C.append(Case("match", "pbb_isid exact", [flow(P.OFPMatch(in_port=1, eth_type=0x88e7, pbb_isid=5),
                                                   [out(2)])], [], {}))
    C.append(Case("match", "ipv6_exthdr", [flow(P.OFPMatch(in_port=1, eth_type=0x86dd, ipv6_exthdr=1),
                                                [out(2)])], [], {}))
    C.append(Case("actions", "several outputs", [flow(P.OFPMatch(in_port=1), [out(2), out(3)])],
                  [U], {2: [U], 3: [U]}, quick=True))
    C.append(Case("actions", "set then output twice", [flow(P.OFPMatch(in_port=1, eth_type=0x0800), [
        out(2), sf(ipv4_dst="10.1.1.1"), out(3)])], [U], {2: [U], 3: [pk(ipv4_dst="10.1.1.1")]}))
    C.append(Case("actions", "output in_port", [flow(P.OFPMatch(in_port=1), [out(ofp.OFPP_IN_PORT)])],
                  [U], {1: [U]}))
    C.append(Case("actions", "output to in_port by number is dropped", [
        flow(P.OFPMatch(in_port=1), [out(1)])], [U], {}))
    C.append(Case("actions", "flood", [flow(P.OFPMatch(in_port=1), [out(ofp.OFPP_FLOOD)])],
                  [U], {2: [U], 3: [U], 4: [U]}))
    C.append(Case("actions", "all", [flow(P.OFPMatch(in_port=1), [out(ofp.OFPP_ALL)])],
                  [U], {2: [U], 3: [U], 4: [U]}))
    C.append(Case("actions", "empty action list drops", [flow(P.OFPMatch(in_port=1), [])], [U], {}))
    C.append(Case("actions", "set_queue", [flow(P.OFPMatch(in_port=1), [P.OFPActionSetQueue(0), out(2)])],
                  [U], {2: [U]}))
    C.append(Case("actions", "set-field ipv4 on tagged keeps tag and checksums", [
        flow(P.OFPMatch(in_port=1, eth_type=0x0800, ip_proto=6), [
            sf(ipv4_src="192.168.1.1"), sf(tcp_dst=80), out(2)])],
        [pk(vlans=TAG, l4="tcp")], {2: [pk(vlans=TAG, l4="tcp", ipv4_src="192.168.1.1", dport=80)]}))
    return C


def pbb_check(r, tag):
    """push_pbb: the frame gets a backbone header (B-DA/B-SA copied from the
    customer's), ethertype 0x88e7 and an I-TAG, the original frame after it."""
    f = frame(IP4, tag)
    r.hosts.send(1, f)
    got = r.hosts.collect({2: 1}, 2.0)
    mine = [x for x in got[2] if MARK + tag in x]
    if len(mine) != 1:
        raise Fail("port 2: %d frames" % len(mine))
    x = mine[0]
    if x[:12] != f[:12] or x[12:14] != b"\x88\xe7" or x[18:] != f:
        raise Fail("not a PBB encapsulation: %s" % x.hex())


def instruction_cases():
    C = []
    C.append(Case("instructions", "goto_table", [flow(P.OFPMatch(in_port=1), inst=[P.OFPInstructionGotoTable(1)]),
                                                 flow(P.OFPMatch(in_port=1), [out(2)], table=1)],
                  [IP4], {2: [IP4]}, quick=True))
    C.append(Case("instructions", "write_actions run at the end", [
        flow(P.OFPMatch(in_port=1), inst=[P.OFPInstructionActions(ofp.OFPIT_WRITE_ACTIONS, [out(2)]),
                                          P.OFPInstructionGotoTable(1)]),
        flow(P.OFPMatch(in_port=1), [sf(eth_dst="02:00:00:00:00:44")], table=1)],
        [IP4], {2: [pk(eth_dst="02:00:00:00:00:44")]}, quick=True))
    C.append(Case("instructions", "clear_actions", [
        flow(P.OFPMatch(in_port=1), inst=[P.OFPInstructionActions(ofp.OFPIT_WRITE_ACTIONS, [out(2)]),
                                          P.OFPInstructionGotoTable(1)]),
        flow(P.OFPMatch(in_port=1), table=1, inst=[
            P.OFPInstructionActions(ofp.OFPIT_CLEAR_ACTIONS, []),
            P.OFPInstructionActions(ofp.OFPIT_WRITE_ACTIONS, [out(3)])])],
        [IP4], {3: [IP4]}))
    C.append(Case("instructions", "write_actions set order (set before output)", [
        flow(P.OFPMatch(in_port=1, eth_type=0x0800), inst=[P.OFPInstructionActions(
            ofp.OFPIT_WRITE_ACTIONS, [out(2), sf(ipv4_dst="10.2.2.2")])])],
        [IP4], {2: [pk(ipv4_dst="10.2.2.2")]}))
    C.append(Case("instructions", "miss in table 1 drops", [
        flow(P.OFPMatch(in_port=1), inst=[P.OFPInstructionGotoTable(1)])], [IP4], {}))
    C.append(Case("errors", "goto_table backwards", [
        flow(P.OFPMatch(in_port=1), table=1, inst=[P.OFPInstructionGotoTable(0)])],
        errors=(ofp.OFPET_BAD_INSTRUCTION, ofp.OFPBIC_BAD_TABLE_ID), quick=True))
    C.append(Case("errors", "flow to table 255", [flow(P.OFPMatch(in_port=1), [out(2)], table=255)],
                  errors=(ofp.OFPET_FLOW_MOD_FAILED, ofp.OFPFMFC_BAD_TABLE_ID), quick=True))
    C.append(Case("errors", "unknown group", [flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(77)])],
                  errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_BAD_OUT_GROUP), quick=True))
    C.append(Case("errors", "unknown meter", [flow(P.OFPMatch(in_port=1), inst=[
        P.OFPInstructionMeter(9, ofp.OFPIT_METER), P.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, [out(2)])])],
        errors=(ofp.OFPET_METER_MOD_FAILED, ofp.OFPMMFC_UNKNOWN_METER)))
    C.append(Case("errors", "set-field eth_type", [flow(P.OFPMatch(in_port=1), [sf(eth_type=0x0806), out(2)])],
                  errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_BAD_SET_TYPE)))
    C.append(Case("errors", "set-field ipv4_src without eth_type", [
        flow(P.OFPMatch(in_port=1), [sf(ipv4_src="1.2.3.4"), out(2)])],
        errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_MATCH_INCONSISTENT)))
    C.append(Case("errors", "set-field vlan_vid on untagged", [
        flow(P.OFPMatch(in_port=1, vlan_vid=0), [sf(vlan_vid=0x1000 | 5), out(2)])],
        errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_MATCH_INCONSISTENT)))
    C.append(Case("errors", "set-field tcp_dst after push_mpls", [
        flow(P.OFPMatch(in_port=1, eth_type=0x0800, ip_proto=6), [
            P.OFPActionPushMpls(0x8847), sf(tcp_dst=5), out(2)])],
        errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_MATCH_INCONSISTENT)))
    C.append(Case("actions", "set-field vlan_vid after push_vlan on untagged", [
        flow(P.OFPMatch(in_port=1, vlan_vid=0), [P.OFPActionPushVlan(0x8100), sf(vlan_vid=0x1000 | 5),
                                                 out(2)])],
        [IP4], {2: [pk(vlans=[(0x8100, 5, 0)])]}))
    C.append(Case("errors", "output to port 0", [flow(P.OFPMatch(in_port=1), [out(0)])],
                  errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_BAD_OUT_PORT)))
    C.append(Case("errors", "pop_mpls without mpls match", [
        flow(P.OFPMatch(in_port=1), [P.OFPActionPopMpls(0x0800), out(2)])],
        errors=(ofp.OFPET_BAD_ACTION, ofp.OFPBAC_MATCH_INCONSISTENT)))
    C.append(Case("errors", "overlap check", [
        flow(P.OFPMatch(in_port=1), [out(2)], priority=5),
        flow(P.OFPMatch(in_port=1, eth_type=0x0800), [out(2)], priority=5, flags=ofp.OFPFF_CHECK_OVERLAP)],
        errors=(ofp.OFPET_FLOW_MOD_FAILED, ofp.OFPFMFC_OVERLAP)))
    C.append(Case("errors", "unknown message type",
                  check=lambda r, tag: raw_error(r, struct.pack("!BBHI", 4, 99, 8, 0),
                                                 (ofp.OFPET_BAD_REQUEST, ofp.OFPBRC_BAD_TYPE)), quick=True))
    C.append(Case("errors", "unknown multipart type",
                  check=lambda r, tag: raw_error(r, struct.pack("!BBHIHH4x", 4, 18, 16, 0, 0x7ff0, 0),
                                                 (ofp.OFPET_BAD_REQUEST, ofp.OFPBRC_BAD_MULTIPART))))
    C.append(Case("errors", "unknown action type",
                  check=lambda r, tag: raw_error(r, raw_flow_with_action(struct.pack("!HH4x", 0x7ff0, 8)),
                                                 (ofp.OFPET_BAD_ACTION, ofp.OFPBAC_BAD_TYPE))))
    C.append(Case("errors", "unknown instruction type",
                  check=lambda r, tag: raw_error(r, raw_flow_with_inst(struct.pack("!HH4x", 0x7ff0, 8)),
                                                 (ofp.OFPET_BAD_INSTRUCTION, ofp.OFPBIC_UNKNOWN_INST))))
    C.append(Case("errors", "unknown oxm field",
                  check=lambda r, tag: raw_error(r, raw_flow_with_oxm(struct.pack("!HBBI", 0x8000, 120 << 1, 4, 0)),
                                                 (ofp.OFPET_BAD_MATCH, ofp.OFPBMC_BAD_FIELD))))
    C.append(Case("errors", "vlan_vid value beyond 13 bits",
                  check=lambda r, tag: raw_error(r, raw_flow_with_oxm(struct.pack("!HBBH", 0x8000, 6 << 1, 2, 0x3001)),
                                                 (ofp.OFPET_BAD_MATCH, ofp.OFPBMC_BAD_VALUE))))
    return C


def raw_flow(match_oxm=b"", insts=b""):
    ln = 4 + len(match_oxm)
    match = struct.pack("!HH", 1, ln) + match_oxm + bytes(-ln % 8)
    body = struct.pack("!QQBBHHHIIIH2x", 0, 0, 0, ofp.OFPFC_ADD, 0, 0, 100, ofp.OFP_NO_BUFFER,
                       ofp.OFPP_ANY, ofp.OFPG_ANY, 0) + match + insts
    return struct.pack("!BBHI", 4, ofp.OFPT_FLOW_MOD, 8 + len(body), 0) + body


def raw_flow_with_action(action):
    return raw_flow(insts=struct.pack("!HH4x", ofp.OFPIT_APPLY_ACTIONS, 8 + len(action)) + action)


def raw_flow_with_inst(inst):
    return raw_flow(insts=inst)


def raw_flow_with_oxm(oxm):
    return raw_flow(match_oxm=oxm)


def raw_error(r, data, want):
    xid = r.ch.send_raw(data)
    errs = [m for m in r.ch.until(xid, 3.0) if isinstance(m, P.OFPErrorMsg)]
    r.ch.barrier()
    if not errs:
        raise Fail("no error; want type %d code %d" % want)
    got = (errs[0].type, errs[0].code)
    if got != want:
        raise Fail("error type %d code %d; want %d code %d" % (got + want))


def bucket(actions, weight=0, watch_port=ofp.OFPP_ANY):
    return P.OFPBucket(weight=weight, watch_port=watch_port, watch_group=ofp.OFPG_ANY, actions=actions)


def gmod(gid, typ, buckets, cmd=ofp.OFPGC_ADD):
    return P.OFPGroupMod(Datapath(), command=cmd, type_=typ, group_id=gid, buckets=buckets)


def group_cases():
    C = []
    U = IP4
    C.append(Case("groups", "all", [gmod(1, ofp.OFPGT_ALL, [bucket([out(2)]), bucket([out(3)])]),
                                    flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(1)])],
                  [U], {2: [U], 3: [U]}, quick=True))
    C.append(Case("groups", "all with per-bucket rewrites", [
        gmod(1, ofp.OFPGT_ALL, [bucket([sf(ipv4_dst="10.3.3.3"), out(2)]), bucket([out(3)])]),
        flow(P.OFPMatch(in_port=1, eth_type=0x0800), [P.OFPActionGroup(1)])],
        [U], {2: [pk(ipv4_dst="10.3.3.3")], 3: [U]}))
    C.append(Case("groups", "indirect", [gmod(2, ofp.OFPGT_INDIRECT, [bucket([sf(eth_dst="02:00:00:00:00:55"),
                                                                               out(2)])]),
                                         flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(2)])],
                  [U], {2: [pk(eth_dst="02:00:00:00:00:55")]}, quick=True))
    C.append(Case("groups", "select one bucket", [gmod(3, ofp.OFPGT_SELECT, [bucket([out(3)], weight=1)]),
                                                  flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(3)])],
                  [U], {3: [U]}))
    C.append(Case("groups", "fast failover first live", [
        gmod(4, ofp.OFPGT_FF, [bucket([out(2)], watch_port=2), bucket([out(3)], watch_port=3)]),
        flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(4)])], [U], {2: [U]}))
    C.append(Case("groups", "chained", [gmod(5, ofp.OFPGT_INDIRECT, [bucket([out(3)])]),
                                        gmod(6, ofp.OFPGT_ALL, [bucket([out(2)]), bucket([P.OFPActionGroup(5)])]),
                                        flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(6)])],
                  [U], {2: [U], 3: [U]}))
    C.append(Case("groups", "write_actions group", [
        gmod(7, ofp.OFPGT_INDIRECT, [bucket([out(2)])]),
        flow(P.OFPMatch(in_port=1), inst=[P.OFPInstructionActions(ofp.OFPIT_WRITE_ACTIONS,
                                                                  [P.OFPActionGroup(7)])])],
        [U], {2: [U]}))
    C.append(Case("groups", "modify", [gmod(1, ofp.OFPGT_INDIRECT, [bucket([out(2)])]),
                                       gmod(1, ofp.OFPGT_INDIRECT, [bucket([out(3)])], ofp.OFPGC_MODIFY),
                                       flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(1)])],
                  [U], {3: [U]}))
    C.append(Case("errors", "group exists", [gmod(1, ofp.OFPGT_ALL, [bucket([out(2)])]),
                                             gmod(1, ofp.OFPGT_ALL, [bucket([out(2)])])],
                  errors=(ofp.OFPET_GROUP_MOD_FAILED, ofp.OFPGMFC_GROUP_EXISTS), quick=True))
    C.append(Case("errors", "modify unknown group", [gmod(9, ofp.OFPGT_ALL, [bucket([out(2)])],
                                                          ofp.OFPGC_MODIFY)],
                  errors=(ofp.OFPET_GROUP_MOD_FAILED, ofp.OFPGMFC_UNKNOWN_GROUP)))
    C.append(Case("errors", "indirect with two buckets", [
        gmod(1, ofp.OFPGT_INDIRECT, [bucket([out(2)]), bucket([out(3)])])],
        errors=(ofp.OFPET_GROUP_MOD_FAILED, ofp.OFPGMFC_INVALID_GROUP)))
    C.append(Case("errors", "group loop", [gmod(1, ofp.OFPGT_INDIRECT, [bucket([out(2)])]),
                                           gmod(2, ofp.OFPGT_INDIRECT, [bucket([P.OFPActionGroup(1)])]),
                                           gmod(1, ofp.OFPGT_INDIRECT, [bucket([P.OFPActionGroup(2)])],
                                                ofp.OFPGC_MODIFY)],
                  errors=(ofp.OFPET_GROUP_MOD_FAILED, ofp.OFPGMFC_LOOP)))

    def desc(r, tag):
        r.install([gmod(1, ofp.OFPGT_ALL, [bucket([out(2)]), bucket([out(3)])])])
        rep = r.ch.request(P.OFPGroupDescStatsRequest(Datapath(), 0))
        bodies = [b for m in rep if isinstance(m, P.OFPGroupDescStatsReply) for b in m.body]
        if len(bodies) != 1 or bodies[0].group_id != 1 or len(bodies[0].buckets) != 2:
            raise Fail("group desc: %s" % rep)
    C.append(Case("groups", "group desc read back", check=desc, quick=True))

    def stats(r, tag):
        r.install([gmod(1, ofp.OFPGT_ALL, [bucket([out(2)]), bucket([out(3)])]),
                   flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(1)])])
        for _ in range(3):
            r.hosts.send(1, frame(IP4, tag))
        r.hosts.collect({2: 3, 3: 3}, 2.0)
        end = time.monotonic() + 2
        while True:
            rep = r.ch.request(P.OFPGroupStatsRequest(Datapath(), 0, 1))
            st = [b for m in rep if isinstance(m, P.OFPGroupStatsReply) for b in m.body]
            if st and st[0].packet_count == 3 and st[0].ref_count == 1 and \
                    [b.packet_count for b in st[0].bucket_stats] == [3, 3]:
                return
            if time.monotonic() > end:
                raise Fail("group stats: %s" % st)
            time.sleep(0.1)
    C.append(Case("groups", "group stats count", check=stats))

    def features(r, tag):
        rep = r.ch.request(P.OFPGroupFeaturesStatsRequest(Datapath(), 0))
        body = [m.body for m in rep if isinstance(m, P.OFPGroupFeaturesStatsReply)]
        if not body or not body[0].types & (1 << ofp.OFPGT_ALL):
            raise Fail("group features: %s" % rep)
    C.append(Case("groups", "group features", check=features))

    def delete_removes_flows(r, tag):
        r.install([gmod(1, ofp.OFPGT_ALL, [bucket([out(2)])]),
                   flow(P.OFPMatch(in_port=1), [P.OFPActionGroup(1)]),
                   P.OFPGroupMod(Datapath(), command=ofp.OFPGC_DELETE, group_id=1)])
        r.traffic([IP4], {CATCH: [IP4]}, tag)
    C.append(Case("groups", "delete group removes its flows", check=delete_removes_flows))
    return C


def mmod(mid, bands, flags=ofp.OFPMF_KBPS, cmd=ofp.OFPMC_ADD):
    return P.OFPMeterMod(Datapath(), command=cmd, flags=flags, meter_id=mid, bands=bands)


def meter_cases():
    C = []
    drop = P.OFPMeterBandDrop(rate=1000000, burst_size=0)

    def cfg(flags, bands, check_band):
        def f(r, tag):
            r.install([mmod(1, bands, flags)])
            rep = r.ch.request(P.OFPMeterConfigStatsRequest(Datapath(), 0, 1))
            body = [b for m in rep if isinstance(m, P.OFPMeterConfigStatsReply) for b in m.body]
            if len(body) != 1 or body[0].meter_id != 1 or not check_band(body[0]):
                raise Fail("meter config: %s" % rep)
        return f
    C.append(Case("meters", "config read back kbps drop", check=cfg(
        ofp.OFPMF_KBPS, [drop], lambda b: b.flags & ofp.OFPMF_KBPS and b.bands[0].rate == 1000000),
        quick=True))
    C.append(Case("meters", "config read back pps burst", check=cfg(
        ofp.OFPMF_PKTPS | ofp.OFPMF_BURST, [P.OFPMeterBandDrop(rate=500, burst_size=50)],
        lambda b: b.flags & ofp.OFPMF_PKTPS and b.bands[0].rate == 500 and b.bands[0].burst_size == 50)))
    C.append(Case("meters", "config read back dscp remark", check=cfg(
        ofp.OFPMF_KBPS, [P.OFPMeterBandDscpRemark(rate=1000, burst_size=0, prec_level=1)],
        lambda b: b.bands[0].type == ofp.OFPMBT_DSCP_REMARK and b.bands[0].prec_level == 1)))

    def feats(r, tag):
        rep = r.ch.request(P.OFPMeterFeaturesStatsRequest(Datapath(), 0))
        body = [b for m in rep if isinstance(m, P.OFPMeterFeaturesStatsReply) for b in m.body]
        if not body or body[0].max_meter == 0 or not body[0].band_types & (1 << ofp.OFPMBT_DROP):
            raise Fail("meter features: %s" % rep)
    C.append(Case("meters", "features", check=feats, quick=True))

    def stats(r, tag):
        r.install([mmod(1, [drop]), flow(P.OFPMatch(in_port=1), inst=[
            P.OFPInstructionMeter(1, ofp.OFPIT_METER), P.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                                                                [out(2)])])])
        r.traffic([IP4, IP4], {2: [IP4, IP4]}, tag)
        end = time.monotonic() + 2
        while True:
            rep = r.ch.request(P.OFPMeterStatsRequest(Datapath(), 0, 1))
            body = [b for m in rep if isinstance(m, P.OFPMeterStatsReply) for b in m.body]
            if body and body[0].flow_count == 1 and body[0].packet_in_count == 2:
                return
            if time.monotonic() > end:
                raise Fail("meter stats: %s" % rep)
            time.sleep(0.1)
    C.append(Case("meters", "meter passes traffic under its rate, stats count", check=stats, quick=True))
    C.append(Case("errors", "meter exists", [mmod(1, [drop]), mmod(1, [drop])],
                  errors=(ofp.OFPET_METER_MOD_FAILED, ofp.OFPMMFC_METER_EXISTS)))
    C.append(Case("errors", "modify unknown meter", [mmod(3, [drop], cmd=ofp.OFPMC_MODIFY)],
                  errors=(ofp.OFPET_METER_MOD_FAILED, ofp.OFPMMFC_UNKNOWN_METER)))
    C.append(Case("errors", "meter id 0", [mmod(0, [drop])],
                  errors=(ofp.OFPET_METER_MOD_FAILED, ofp.OFPMMFC_INVALID_METER)))
    return C


def packet_in_check(match, reason, msgs, sends):
    def f(r, tag):
        r.install(msgs)
        for d in sends:
            r.hosts.send(1, frame(d, tag))
        end = time.monotonic() + 2
        while time.monotonic() < end:
            for m in r.ch.async_msgs:
                if isinstance(m, P.OFPPacketIn) and MARK + tag in bytes(m.data):
                    if bytes(m.data) != frame(sends[0], tag):
                        raise Fail("packet-in data differs: %s" % bytes(m.data).hex())
                    if m.reason != reason or m.match["in_port"] != 1:
                        raise Fail("packet-in reason %d in_port %s" % (m.reason, m.match.get("in_port")))
                    return
            m = r.ch.recv(0.05)
            if isinstance(m, (P.OFPPacketIn,)):
                r.ch.async_msgs.append(m)
        raise Fail("no packet-in")
    return f


def misc_cases():
    C = []
    tm = [flow(P.OFPMatch(), [out(ofp.OFPP_CONTROLLER)], priority=0)]
    C.append(Case("table-miss", "no table-miss flow drops", [], [IP4], {}, catch=False, quick=True))
    C.append(Case("table-miss", "table-miss flow to controller", catch=False, quick=True,
                  check=packet_in_check(None, ofp.OFPR_NO_MATCH, tm, [IP4])))
    C.append(Case("table-miss", "table-miss to controller, tagged frame", catch=False,
                  check=packet_in_check(None, ofp.OFPR_NO_MATCH, tm, [pk(vlans=TAG)])))
    C.append(Case("table-miss", "table-miss in table 1 to controller", catch=False,
                  check=packet_in_check(None, ofp.OFPR_NO_MATCH, [
                      flow(P.OFPMatch(), inst=[P.OFPInstructionGotoTable(1)], priority=0),
                      flow(P.OFPMatch(), [out(ofp.OFPP_CONTROLLER)], priority=0, table=1)], [IP4])))
    C.append(Case("table-miss", "action output controller", catch=False,
                  check=packet_in_check(None, ofp.OFPR_ACTION, [
                      flow(P.OFPMatch(in_port=1), [out(ofp.OFPP_CONTROLLER)], priority=10)], [IP4])))
    C.append(Case("table-miss", "table-miss flow to a port", [flow(P.OFPMatch(), [out(3)], priority=0)],
                  [IP4, pk(vlans=TAG)], {3: [IP4, pk(vlans=TAG)]}, catch=False))

    def pout(actions, in_port, expect):
        def f(r, tag):
            d = IP4
            m = P.OFPPacketOut(Datapath(), buffer_id=ofp.OFP_NO_BUFFER, in_port=in_port,
                               actions=actions, data=frame(d, tag))
            r.ch.send(m)
            errs = r.ch.barrier()
            if errs:
                raise Fail("packet-out refused: %d/%d" % (errs[0].type, errs[0].code))
            want = {p: [frame(d, tag)] * n for p, n in expect.items()}
            got = r.hosts.collect({p: len(v) for p, v in want.items()}, 2.0)
            for p in got:
                mine = [x for x in got[p] if MARK + tag in x]
                if mine != want.get(p, []):
                    raise Fail("port %d: %d frames, want %d" % (p, len(mine), len(want.get(p, []))))
        return f
    C.append(Case("packet-out", "output port", check=pout([out(2)], ofp.OFPP_CONTROLLER, {2: 1}),
                  quick=True))
    C.append(Case("packet-out", "output two ports", check=pout([out(2), out(3)], ofp.OFPP_CONTROLLER,
                                                               {2: 1, 3: 1})))
    C.append(Case("packet-out", "in_port 1, flood", check=pout([out(ofp.OFPP_FLOOD)], 1,
                                                               {2: 1, 3: 1, 4: 1})))
    C.append(Case("packet-out", "output table", [flow(P.OFPMatch(in_port=1), [out(3)])],
                  check=pout([out(ofp.OFPP_TABLE)], 1, {3: 1})))

    def flow_stats(r, tag):
        r.install([flow(P.OFPMatch(in_port=1), [out(2)], cookie=0xabc)])
        r.traffic([IP4] * 3, {2: [IP4] * 3}, tag)
        n = len(frame(IP4, tag))
        end = time.monotonic() + 2
        while True:
            rep = r.ch.request(P.OFPFlowStatsRequest(Datapath(), 0, ofp.OFPTT_ALL, ofp.OFPP_ANY,
                                                     ofp.OFPG_ANY, 0xabc, 0xffffffffffffffff, P.OFPMatch()))
            st = [b for m in rep if isinstance(m, P.OFPFlowStatsReply) for b in m.body]
            if len(st) == 1 and st[0].packet_count == 3 and st[0].byte_count == 3 * n:
                return
            if time.monotonic() > end:
                raise Fail("flow stats: %s" % st)
            time.sleep(0.1)
    C.append(Case("counters", "flow packets and bytes", check=flow_stats, quick=True))

    def aggregate(r, tag):
        r.install([flow(P.OFPMatch(in_port=1, eth_type=0x0800), [out(2)]),
                   flow(P.OFPMatch(in_port=1, eth_type=0x86dd), [out(2)])])
        r.traffic([IP4, IP6], {2: [IP4, IP6]}, tag)
        end = time.monotonic() + 2
        while True:
            rep = r.ch.request(P.OFPAggregateStatsRequest(Datapath(), 0, ofp.OFPTT_ALL, ofp.OFPP_ANY,
                                                          ofp.OFPG_ANY, 0, 0, P.OFPMatch(in_port=1)))
            st = [m.body for m in rep if isinstance(m, P.OFPAggregateStatsReply)]
            if st and st[0].flow_count == 2 and st[0].packet_count == 2:
                return
            if time.monotonic() > end:
                raise Fail("aggregate: %s" % st)
            time.sleep(0.1)
    C.append(Case("counters", "aggregate", check=aggregate, catch=False))

    def port_stats(r, tag):
        def read():
            rep = r.ch.request(P.OFPPortStatsRequest(Datapath(), 0, ofp.OFPP_ANY))
            return {b.port_no: b for m in rep if isinstance(m, P.OFPPortStatsReply) for b in m.body}
        before = read()
        r.install([flow(P.OFPMatch(in_port=1), [out(2)])])
        r.traffic([IP4] * 4, {2: [IP4] * 4}, tag)
        end = time.monotonic() + 2
        while True:
            after = read()
            if 1 in after and 2 in after and \
                    after[1].rx_packets - before[1].rx_packets >= 4 and \
                    after[2].tx_packets - before[2].tx_packets >= 4:
                return
            if time.monotonic() > end:
                raise Fail("port stats: %s" % after)
            time.sleep(0.1)
    C.append(Case("counters", "port rx/tx", check=port_stats, quick=True))

    def table_stats(r, tag):
        def read():
            rep = r.ch.request(P.OFPTableStatsRequest(Datapath(), 0))
            return {b.table_id: b for m in rep if isinstance(m, P.OFPTableStatsReply) for b in m.body}
        before = read()
        r.install([flow(P.OFPMatch(in_port=1, eth_type=0x0800), [out(2)])])
        r.traffic([IP4, IP4, IP6], {2: [IP4, IP4], CATCH: [IP6]}, tag)
        end = time.monotonic() + 2
        while True:
            a = read()
            if 0 in a and a[0].active_count == 2 and a[0].lookup_count - before[0].lookup_count == 3 and \
                    a[0].matched_count - before[0].matched_count == 3:
                return
            if time.monotonic() > end:
                raise Fail("table stats: %s" % a.get(0))
            time.sleep(0.1)
    C.append(Case("counters", "table lookups and matches", check=table_stats))

    def idle_timeout(r, tag):
        r.install([flow(P.OFPMatch(in_port=1), [out(2)], idle_timeout=1, flags=ofp.OFPFF_SEND_FLOW_REM)])
        end = time.monotonic() + 4
        while time.monotonic() < end:
            if any(isinstance(m, P.OFPFlowRemoved) and m.reason == ofp.OFPRR_IDLE_TIMEOUT
                   for m in r.ch.async_msgs):
                r.traffic([IP4], {CATCH: [IP4]}, tag)
                return
            m = r.ch.recv(0.1)
            if isinstance(m, P.OFPFlowRemoved):
                r.ch.async_msgs.append(m)
        raise Fail("no flow-removed (idle timeout)")
    C.append(Case("counters", "idle timeout, flow removed", check=idle_timeout))

    def delete_strict(r, tag):
        r.install([flow(P.OFPMatch(in_port=1), [out(2)], priority=10),
                   flow(P.OFPMatch(in_port=1), [out(3)], priority=20),
                   P.OFPFlowMod(Datapath(), table_id=0, command=ofp.OFPFC_DELETE_STRICT, priority=20,
                                out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY, match=P.OFPMatch(in_port=1))])
        r.traffic([IP4], {2: [IP4]}, tag)
    C.append(Case("flow-mod", "delete strict", check=delete_strict))

    def modify(r, tag):
        r.install([flow(P.OFPMatch(in_port=1), [out(2)], cookie=5),
                   P.OFPFlowMod(Datapath(), table_id=0, command=ofp.OFPFC_MODIFY, match=P.OFPMatch(),
                                instructions=[P.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, [out(3)])],
                                cookie=5, cookie_mask=0xff)])
        r.traffic([IP4], {3: [IP4]}, tag)
    C.append(Case("flow-mod", "modify by cookie", check=modify, quick=True))

    def delete_out_port(r, tag):
        r.install([flow(P.OFPMatch(in_port=1, eth_type=0x0800), [out(2)]),
                   flow(P.OFPMatch(in_port=1, eth_type=0x86dd), [out(3)]),
                   P.OFPFlowMod(Datapath(), table_id=ofp.OFPTT_ALL, command=ofp.OFPFC_DELETE,
                                out_port=2, out_group=ofp.OFPG_ANY, match=P.OFPMatch())])
        r.traffic([IP4, IP6], {CATCH: [IP4], 3: [IP6]}, tag)
    C.append(Case("flow-mod", "delete by out_port", check=delete_out_port))

    def features(r, tag):
        xid = r.ch.send(P.OFPFeaturesRequest(Datapath()))
        rep = [m for m in r.ch.until(xid) if isinstance(m, P.OFPSwitchFeatures)]
        if not rep or rep[0].n_tables < 2:
            raise Fail("features: %s" % rep)
        rep = r.ch.request(P.OFPPortDescStatsRequest(Datapath(), 0))
        ports = {b.port_no for m in rep if isinstance(m, P.OFPPortDescStatsReply) for b in m.body}
        if not {1, 2, 3, 4} <= ports:
            raise Fail("port desc: %s" % sorted(ports))
        rep = r.ch.request(P.OFPDescStatsRequest(Datapath(), 0))
        if not [m for m in rep if isinstance(m, P.OFPDescStatsReply)]:
            raise Fail("no desc reply")
    C.append(Case("switch", "features, port desc, desc", check=features, quick=True))

    def echo(r, tag):
        xid = r.ch.send(P.OFPEchoRequest(Datapath(), data=b"conformance"))
        rep = [m for m in r.ch.until(xid) if isinstance(m, P.OFPEchoReply)]
        if not rep or bytes(rep[0].data) != b"conformance":
            raise Fail("echo: %s" % rep)
    C.append(Case("switch", "echo", check=echo))

    def get_config(r, tag):
        r.ch.send(P.OFPSetConfig(Datapath(), 0, 200))
        r.ch.barrier()
        xid = r.ch.send(P.OFPGetConfigRequest(Datapath()))
        rep = [m for m in r.ch.until(xid) if isinstance(m, P.OFPGetConfigReply)]
        r.ch.send(P.OFPSetConfig(Datapath(), 0, ofp.OFPCML_NO_BUFFER))
        r.ch.barrier()
        if not rep or rep[0].miss_send_len != 200:
            raise Fail("get config: %s" % rep)
    C.append(Case("switch", "set/get config", check=get_config))

    def role(r, tag):
        xid = r.ch.send(P.OFPRoleRequest(Datapath(), ofp.OFPCR_ROLE_NOCHANGE, 0))
        rep = [m for m in r.ch.until(xid) if isinstance(m, P.OFPRoleReply)]
        if not rep:
            raise Fail("no role reply")
    C.append(Case("switch", "role request", check=role))

    def table_features(r, tag):
        rep = r.ch.request(P.OFPTableFeaturesStatsRequest(Datapath(), 0), timeout=10)
        body = [b for m in rep if isinstance(m, P.OFPTableFeaturesStatsReply) for b in m.body]
        if not body:
            raise Fail("no table features")
    C.append(Case("switch", "table features", check=table_features))
    return C


def all_cases():
    return field_cases() + ttl_cases() + tag_cases() + instruction_cases() + \
        group_cases() + meter_cases() + misc_cases()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--netns")
    ap.add_argument("--ifaces", required=True)
    ap.add_argument("--name", default="dut")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--out")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--settle", help="shell command run after each install")
    a = ap.parse_args()
    cases = all_cases()
    if a.quick:
        cases = [c for c in cases if c.quick]
    if a.only:
        cases = [c for c in cases if re.search(a.only, c.group + ": " + c.name)]
    names = ["%s: %s" % (c.group, c.name) for c in cases]
    assert len(set(names)) == len(names), "case names repeat"
    if a.list:
        print("\n".join(names))
        return 0

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.listen))
    ls.listen(1)
    if a.netns:
        setns("/var/run/netns/" + a.netns)
    hosts = Hosts(a.ifaces.split(","))
    ls.settimeout(a.timeout)
    sock, _ = ls.accept()
    ch = Channel(sock)
    ch.send(P.OFPHello(Datapath()))
    xid = ch.send(P.OFPFeaturesRequest(Datapath()))
    if not [m for m in ch.until(xid, 10) if isinstance(m, P.OFPSwitchFeatures)]:
        print("%s: no features reply" % a.name, file=sys.stderr)
        return 1
    ch.send(P.OFPSetConfig(Datapath(), 0, ofp.OFPCML_NO_BUFFER))
    ch.barrier()
    # The device may connect before all its ports are there.
    want = set(range(1, len(hosts.socks) + 1))
    end = time.monotonic() + a.timeout
    while True:
        rep = ch.request(P.OFPPortDescStatsRequest(Datapath(), 0))
        have = {b.port_no for m in rep if isinstance(m, P.OFPPortDescStatsReply) for b in m.body
                if not b.state & ofp.OFPPS_LINK_DOWN}
        if want <= have:
            break
        if time.monotonic() > end:
            print("%s: ports %s never all up (have %s)" % (a.name, sorted(want), sorted(have)),
                  file=sys.stderr)
            return 1
        time.sleep(0.1)
    r = Runner(ch, hosts, a.settle)
    results, per = {}, {}
    for i, (c, n) in enumerate(zip(cases, names)):
        try:
            r.run(c, i)
            results[n] = "pass"
        except Fail as e:
            results[n] = "fail: %s" % e
        except ConnectionError as e:
            results[n] = "fail: %s" % e
            break
        except Exception as e:      # noqa: B902 -- a case's own bug fails that case only
            results[n] = "fail: %s: %s" % (type(e).__name__, e)
        g = per.setdefault(c.group, [0, 0])
        g[1] += 1
        g[0] += results[n] == "pass"
    for g, (p, t) in per.items():
        print("%s %-14s %3d/%d" % (a.name, g, p, t))
    ok = sum(v == "pass" for v in results.values())
    print("%s %-14s %3d/%d" % (a.name, "total", ok, len(cases)))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"name": a.name, "cases": results}, f, indent=1)
    for n, v in results.items():
        if v != "pass":
            print("%s FAIL %s: %s" % (a.name, n, v[6:200]), file=sys.stderr)
    return 0 if ok == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())

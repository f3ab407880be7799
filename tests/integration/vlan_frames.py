#!/usr/bin/python3
"""Tagged test frames for openflow-vlan.sh: sent from a namespace with a raw
AF_PACKET socket (the kernel here has no 802.1Q devices) and looked for,
byte for byte, in a tcpdump capture.

  vlan_frames.py send IFACE NAME...     send the named frames
  vlan_frames.py expect PCAP NAME...    the capture must hold exactly the
                                        frames NAME... (in any order: two
                                        hosts send at once) among those
                                        whose payload carries this test's
                                        mark

A frame is named SRC-DST-MARK-TAGS[-KIND], e.g. "1-2-7-10.3" (host 1 to
host 2, mark 7, one 802.1Q tag VID 10 PCP 3, IPv4/UDP), "1-2-8-"
(untagged) or "1-2-9-10.3,20.0" (two tags, the outer first); KIND
"nd=T.L" makes it an IPv6 Neighbor Solicitation for 2001:db8::T with
source link-layer address 02:00:00:00:00:L, "sctp=S.D" IPv4/SCTP from
port S to D, checksums (ICMPv6, SCTP CRC-32C) computed here.  MARK
(0..255) is in the payload and tells the frames apart; hosts are
02:00:00:00:00:SRC.
"""
import socket
import struct
import sys

MAGIC = b"LTVLAN"


def csum16(data, s=0):
    if len(data) % 2:
        data += b"\0"
    s += sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def crc32c(data):
    c = 0xffffffff
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82f63b78 if c & 1 else c >> 1
    return c ^ 0xffffffff


def nd_ns(src, dst, target, sll, payload):
    """IPv6 Neighbor Solicitation for 2001:db8::TARGET with a source
    link-layer address option 02:00:00:00:00:SLL, then 'payload'."""
    ip_src = bytes([0xfe, 0x80] + [0] * 13 + [src])
    ip_dst = bytes([0xff, 2] + [0] * 9 + [1, 0xff, 0, 0, dst])
    tgt = bytes([0x20, 1, 0x0d, 0xb8] + [0] * 11 + [target])
    body = struct.pack("!BBHI", 135, 0, 0, 0) + tgt + bytes([1, 1, 2, 0, 0, 0, 0, sll]) + payload
    pseudo = ip_src + ip_dst + struct.pack("!IxxxB", len(body), 58)
    c = csum16(pseudo + body)
    body = body[:2] + struct.pack("!H", c) + body[4:]
    ip = struct.pack("!IHBB", 0x60000000, len(body), 58, 255) + ip_src + ip_dst
    return struct.pack("!H", 0x86dd) + ip + body


def frame(name):
    src, dst, mark, tags = name.split("-", 3)
    kind = None
    if "-" in tags:
        tags, kind = tags.split("-", 1)
    eth = bytes([2, 0, 0, 0, 0, int(dst)]) + bytes([2, 0, 0, 0, 0, int(src)])
    for tag in filter(None, tags.split(",")):
        vid, pcp = (int(x) for x in tag.split("."))
        eth += struct.pack("!HH", 0x8100, pcp << 13 | vid)
    payload = MAGIC + bytes([int(mark)]) + bytes(range(64))
    if kind and kind.startswith("nd="):
        target, sll = (int(x) for x in kind[3:].split("."))
        return eth + nd_ns(int(src), int(dst), target, sll, payload)
    if kind and kind.startswith("sctp="):
        sport, dport = (int(x) for x in kind[5:].split("."))
        chunk = struct.pack("!BBH", 0xc0, 0, 4 + len(payload)) + payload
        chunk += bytes(-len(chunk) % 4)
        sctp = struct.pack("!HHII", sport, dport, 0x01020304, 0) + chunk
        sctp = sctp[:8] + struct.pack("<I", crc32c(sctp)) + sctp[12:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(sctp), 0, 0, 64, 132,
                         0, bytes([10, 9, 0, int(src)]), bytes([10, 9, 0, int(dst)]))
        ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
        return eth + struct.pack("!H", 0x0800) + ip + sctp
    udp = struct.pack("!HHHH", 4000, 5000, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, bytes([10, 9, 0, int(src)]), bytes([10, 9, 0, int(dst)]))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    return eth + struct.pack("!H", 0x0800) + ip + udp


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def main():
    cmd, where, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "send":
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((where, 0))
        for n in names:
            s.send(frame(n))
        return 0
    got = sorted(f for f in read_pcap(where) if MAGIC in f)
    names = sorted(names, key=frame)
    want = [frame(n) for n in names]
    if got != want:
        print("capture %s: %d marked frames, %d expected" % (where, len(got), len(want)))
        for i in range(max(len(got), len(want))):
            g = got[i].hex() if i < len(got) else "-"
            w = want[i].hex() if i < len(want) else "-"
            if g != w:
                print("  got  %s\n  want %s (%s)" % (g, w, names[i] if i < len(names) else "-"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""test_pcapgen: checks lamina-pcapgen's files with a pcap reader of its
own: frame counts, that each side sources every one of its N addresses and
sends only to addresses the other side sources, the sizes (64 B and the
7:4:1 IMIX), the VLAN tags, valid IPv4 checksums and K distinct flows.
Usage: test_pcapgen.py PATH-TO-lamina-pcapgen"""
import collections
import json
import os
import struct
import subprocess
import sys
import tempfile


def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack_from('<I', data, 0)
    assert magic == 0xa1b2c3d4, f'{path}: bad magic {magic:#x}'
    linktype, = struct.unpack_from('<I', data, 20)
    assert linktype == 1, f'{path}: link type {linktype}'
    off, frames = 24, []
    while off < len(data):
        _, _, caplen, length = struct.unpack_from('<IIII', data, off)
        assert caplen == length
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    assert off == len(data), f'{path}: trailing bytes'
    return frames


def csum(b):
    s = sum(struct.unpack(f'!{len(b) // 2}H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def gen(tool, d, *args):
    a, b = os.path.join(d, 'a.pcap'), os.path.join(d, 'b.pcap')
    out = subprocess.run([tool, '--out-a', a, '--out-b', b, *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out), read_pcap(a), read_pcap(b)


def parse(f):
    dst, src = f[0:6], f[6:12]
    off, vlan = 12, None
    etype, = struct.unpack_from('!H', f, off)
    if etype == 0x8100:
        vlan = struct.unpack_from('!H', f, off + 2)[0] & 0xfff
        off += 4
        etype, = struct.unpack_from('!H', f, off)
    assert etype == 0x0800, f'ethertype {etype:#x}'
    ip = f[off + 2:off + 22]
    assert csum(ip) == 0xffff, 'bad IPv4 checksum'
    assert struct.unpack_from('!H', ip, 2)[0] == len(f) - off - 2
    udp = f[off + 22:off + 30]
    return dst, src, vlan, (bytes(ip[12:20]), udp[0:4])


def check_sides(fa, fb, n, frames):
    assert len(fa) == len(fb) == frames, (len(fa), len(fb))
    pa = [parse(f) for f in fa]
    pb = [parse(f) for f in fb]
    src_a, src_b = {p[1] for p in pa}, {p[1] for p in pb}
    assert len(src_a) == n and len(src_b) == n, (len(src_a), len(src_b))
    assert not src_a & src_b
    assert {p[0] for p in pa} <= src_b, 'side A sends to an unknown MAC'
    assert {p[0] for p in pb} <= src_a, 'side B sends to an unknown MAC'
    assert len({p[0] for p in pa}) == n, 'destinations do not cover side B'
    return pa, pb


def main():
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        meta, fa, fb = gen(tool, d, '--macs', '1024')
        check_sides(fa, fb, 1024, 1024)
        assert all(len(f) == 60 for f in fa + fb)
        assert meta['frames'] == 1024 and meta['mean_wire_bytes'] == 64.0

        meta, fa, fb = gen(tool, d, '--macs', '1000', '--frames', '3000',
                           '--flows', '700', '--size', 'imix')
        pa, _ = check_sides(fa, fb, 1000, 3000)
        sizes = collections.Counter(len(f) + 4 for f in fa)
        assert sizes == {64: 1750, 594: 1000, 1518: 250}, sizes
        assert len({p[3] for p in pa}) == 700, 'flows'

        meta, fa, fb = gen(tool, d, '--macs', '64', '--vlans', '16')
        pa, pb = check_sides(fa, fb, 64, 64)
        assert {p[2] for p in pa} == set(range(1, 17))
        # Each station stays on one VLAN and frames go to stations of it.
        vlan_of = {p[1]: p[2] for p in pa + pb}
        assert all(vlan_of[p[0]] == p[2] for p in pa), 'cross-VLAN frame'
        assert len(vlan_of) == 128
        assert all(len(f) == 64 for f in fa)

        # Bad usage is refused with status 2 and writes nothing.
        r = subprocess.run([tool, '--out-a', os.path.join(d, 'x'), '--out-b',
                            os.path.join(d, 'y'), '--macs', '10', '--frames', '5'],
                           capture_output=True, text=True)
        assert r.returncode == 2 and 'fewer than' in r.stderr, r
        assert not os.path.exists(os.path.join(d, 'x'))
    print('ok')


main()

#!/usr/bin/env python3
"""test_l2learn_bench: l2learn-bench on lamina-pcapgen's files decides
every frame as the switch would (each goes to a station of the other side,
so all go out), prints cycles per packet that are positive and ordered
(best window <= tenth percentile; best round <= median), gives the same
checksum of verdicts for 64 B and IMIX files of the same addresses, and
refuses a file that is not a pcap with a message naming it.
Usage: test_l2learn_bench.py PATH-TO-lamina-pcapgen PATH-TO-l2learn-bench"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    gen, bench = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        sums = set()
        for size in ('64', 'imix'):
            a, b = os.path.join(d, f'a{size}.pcap'), os.path.join(d, f'b{size}.pcap')
            subprocess.run([gen, '--out-a', a, '--out-b', b, '--macs', '256',
                            '--size', size], check=True, stdout=subprocess.DEVNULL)
            # 20 rounds of 512 frames: one window of 8,192.
            out = subprocess.run([bench, '--rounds', '20', a, b], check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out)
            assert r['frames_a'] == r['frames_b'] == 256, r
            assert r['table'] == 1024, r
            assert r['out'] == 20 * 512, f'{size}: {r["out"]} of {20 * 512} frames out'
            c = r['cycles_per_packet']
            assert 0 < c['best_round'] <= c['median_round'], c
            assert 0 < c['best_window'] <= c['p10_window'], c
            sums.add(r['checksum'])
        assert len(sums) == 1, f'verdicts differ between 64 B and IMIX: {sums}'
        bad = os.path.join(d, 'bad.pcap')
        with open(bad, 'wb') as f:
            f.write(b'not a capture at all, just bytes')
        p = subprocess.run([bench, bad, bad], capture_output=True, text=True)
        assert p.returncode == 1 and 'bad.pcap' in p.stderr, (p.returncode, p.stderr)
    print('l2learn-bench: ok')


if __name__ == '__main__':
    main()

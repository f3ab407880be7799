#!/usr/bin/python3
"""Captures the OpenFlow 1.3 messages that `ovs-ofctl -O OpenFlow13` sends.

Plays a minimal passive switch on 127.0.0.1: answers HELLO (1.3 only),
FEATURES_REQUEST and BARRIER_REQUEST, and prints every message the client
sends as a C byte array.  Used to make the golden bytes in test_ofp.c:

    python3 capture-ofctl.py NAME add-flow 'priority=100,ip,actions=output:2'

prints the messages other than HELLO and BARRIER_REQUEST as
"static const uint8_t NAME_<i>[] = {...};".  make-golden.sh runs it for
every golden message and writes golden-ofctl.h.
"""
import socket, struct, subprocess, sys, threading

def serve(sock, out):
    sock.settimeout(10)
    try:
        conn, _ = sock.accept()
    except socket.timeout:
        return
    conn.settimeout(5)
    buf = b''
    conn.sendall(struct.pack('!BBHI', 4, 0, 16, 1) + struct.pack('!HHI', 1, 8, 1 << 4))
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 8:
                ver, typ, length, xid = struct.unpack('!BBHI', buf[:8])
                if len(buf) < length:
                    break
                msg, buf = buf[:length], buf[length:]
                out.append(msg)
                if typ == 5:    # FEATURES_REQUEST -> FEATURES_REPLY
                    conn.sendall(struct.pack('!BBHIQIBBxxII', 4, 6, 32, xid, 1, 0, 254, 0, 0, 0))
                elif typ == 20: # BARRIER_REQUEST -> BARRIER_REPLY
                    conn.sendall(struct.pack('!BBHI', 4, 21, 8, xid))
                elif typ == 18: # MULTIPART_REQUEST -> empty reply
                    mptype = struct.unpack('!H', msg[8:10])[0]
                    conn.sendall(struct.pack('!BBHIHH4x', 4, 19, 16, xid, mptype, 0))
                elif typ == 2:  # ECHO
                    conn.sendall(struct.pack('!BBHI', 4, 3, length, xid) + msg[8:])
    except socket.timeout:
        pass
    conn.close()

def main():
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)
    port = sock.getsockname()[1]
    out = []
    t = threading.Thread(target=serve, args=(sock, out))
    t.start()
    name = sys.argv[1]
    cmd = (['ovs-ofctl', '--no-names', '-O', 'OpenFlow13', sys.argv[2],
            'tcp:127.0.0.1:%d' % port] + sys.argv[3:])
    r = subprocess.run(cmd, timeout=10, check=False, stdout=subprocess.DEVNULL)
    if r.returncode:
        sock.close()
    t.join(10)
    out = [m for m in out if m[1] not in (0, 20)]
    print('/* ovs-ofctl -O OpenFlow13 %s */' % ' '.join(sys.argv[2:]))
    for n, msg in enumerate(out):
        print('static const uint8_t %s_%d[] = {' % (name, n))
        hexes = ['0x%02x' % b for b in msg]
        for i in range(0, len(hexes), 12):
            print('    ' + ', '.join(hexes[i:i + 12]) + ',')
        print('};')

main()

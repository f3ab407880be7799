#!/bin/bash
# openflow-slow-reader: a peer that sends requests and never reads the
# replies does not grow lamina-switchd without limit (issue 10, item 3).
# A client of a ptcp: vnode sends HELLO and then 60 kB ECHO_REQUESTs as
# fast as the switch takes them, reading nothing.  The connection layer
# (lib/openflow/ofchan.h) stops reading from it once 8 MiB of replies are
# queued: the client's writes stall, the daemon's memory grows by less than
# the documented bound (64 MiB, the hard limit), management answers within
# a second meanwhile, and another OpenFlow client is served.
. "$(dirname "$0")/lib.sh"
lt_init openflow-slow-reader 90

command -v ovs-ofctl >/dev/null || skip "ovs-ofctl is not installed (openvswitch-common)"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)

start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
lamina slice add red >/dev/null || fail "slice add"
lamina vnode add red s1 --fp openflow \
    --config "{\"listen\": \"ptcp:$PORT\", \"open\": true, \"datapath_id\": \"0xabc\"}" >/dev/null ||
    fail "vnode add (openflow)"
wait_for "timeout 5 ovs-ofctl -O OpenFlow13 show tcp:127.0.0.1:$PORT" 10 ||
    fail "the vnode does not listen on 127.0.0.1:$PORT (ptcp: without an address)"
ss -Hltn "sport = :$PORT" | grep -qv "127.0.0.1:$PORT" &&
    fail "ptcp: without an address listens beyond loopback: $(ss -Hltn "sport = :$PORT")"

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$LT_SWITCHD_PID/status"; }
before=$(rss_kib)

# The slow reader: writes for up to 8 s or until the switch stops taking
# its bytes for 2 s; prints how much it wrote.
/usr/bin/python3 - "$PORT" >"$LT_DIR/reader.out" 2>&1 <<'EOF' &
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(struct.pack("!BBHI", 4, 0, 8, 1))                 # HELLO
payload = b"x" * 60000
echo = struct.pack("!BBHI", 4, 2, 8 + len(payload), 2) + payload
s.settimeout(2)
sent, start = 0, time.time()
try:
    while time.time() - start < 8:
        s.sendall(echo)
        sent += len(echo)
except socket.timeout:
    print("stalled", sent, flush=True)
except OSError as e:
    print("dropped", sent, e, flush=True)
else:
    print("not stalled", sent, flush=True)
time.sleep(30)          # keep the connection open, still not reading
EOF
READER=$!
LT_PIDS+=("$READER")

wait_for "grep -q 'stalled\\|dropped' '$LT_DIR/reader.out'" 20 ||
    fail "the reader did not finish: $(cat "$LT_DIR/reader.out")"
result=$(cat "$LT_DIR/reader.out")
info "reader: $result (bytes written)"
case $result in
    "stalled "*) ;;
    *) fail "the switch kept reading from a peer that reads nothing: $result" ;;
esac
grep -q "not reading from it until it reads" "$LT_DIR/switchd.log" ||
    fail "no read pause logged"

# Management answers within a second; another client is served.
t0=$(date +%s%N)
lamina switch list >/dev/null || fail "management does not answer"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "management took $ms ms"
timeout 5 ovs-ofctl -O OpenFlow13 show "tcp:127.0.0.1:$PORT" >/dev/null ||
    fail "another client is not served while the slow reader waits"

after=$(rss_kib)
grown=$(( (after - before) / 1024 ))
info "switchd RSS $((before / 1024)) MiB → $((after / 1024)) MiB (+$grown MiB), management in $ms ms"
[ "$grown" -lt 64 ] || fail "switchd grew by $grown MiB (bound: 64 MiB)"
lt_stop_pid "$READER"
pass

#!/bin/bash
# slicer-ssl: lamina-slicer with TLS on both sides and host names as
# targets (lib/openflow/ofstream.h).  Certificates are made with `openssl`
# in $LT_DIR/pki.
#   - refused configs: pssl: without the TLS files stops the slicer with
#     a message; bad controller targets are refused with the reason;
#   - the slicer listens on pssl:PORT (no address: loopback only); Lamina's
#     openflow vnode (datapath 0xb, four vports) connects to it as
#     ssl:localhost:PORT with its own certificate;
#   - slice red's controller is ssl:localhost:PORT, an ovs-testcontroller
#     on pssl: with a certificate of the CA: h1 and h2 ping through
#     switch → slicer → controller, TLS on both hops;
#   - slice blue's controller presents a certificate of another CA: the
#     slicer refuses it (logged), blue's hosts get no flows;
#   - a rogue switch (certificate of another CA) and a plain TCP peer are
#     refused on the switch side;
#   - an impostor switch with a certificate of the same CA that claims the
#     vnode's datapath id is refused (the id is bound to the certificate
#     it first connected with), and red keeps its flows and its pings.
. "$(dirname "$0")/lib.sh"
lt_init slicer-ssl 150

command -v openssl >/dev/null || skip "openssl is not installed"
command -v ovs-testcontroller >/dev/null ||
    skip "ovs-testcontroller is not installed (openvswitch-testcontroller)"
[ -x "$LT_BUILD/slicer/lamina-slicer" ] || skip "lamina-slicer is not built"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SLICER_PORT=$(free_port)
RED_PORT=$(free_port)
BLUE_PORT=$(free_port)

PKI=$LT_DIR/pki
pki_ca ca
pki_ca rogueca
pki_cert slicer ca 1
pki_cert switch ca 2
pki_cert ctl ca 3
pki_cert rogue rogueca 4
pki_cert impostor ca 5
SLICER_TLS=(--private-key "$PKI/slicer-key.pem" --certificate "$PKI/slicer-cert.pem"
            --ca-cert "$PKI/ca-cert.pem")

# ---- refused configurations
SLICER_SOCK=$LT_DIR/slicer.sock
out=$(timeout 10 "$LT_BUILD/slicer/lamina-slicer" --socket "$SLICER_SOCK" \
      --listen "pssl:$SLICER_PORT" 2>&1) && fail "pssl: without TLS files started"
echo "$out" | grep -q "pssl: needs --private-key, --certificate and --ca-cert" ||
    fail "pssl: without TLS files: $out"
out=$(timeout 10 "$LT_BUILD/slicer/lamina-slicer" --socket "$SLICER_SOCK" \
      --listen "pssl:$SLICER_PORT" --private-key "$PKI/nosuch.pem" \
      --certificate "$PKI/slicer-cert.pem" --ca-cert "$PKI/ca-cert.pem" 2>&1) &&
    fail "an unreadable private key was taken"
echo "$out" | grep -qF "cannot use private_key $PKI/nosuch.pem" || fail "unreadable key: $out"
info "refused: $(echo "$out" | tail -n 1 | sed 's/.*slicer: //')"

# ---- the slicer: pssl: on loopback (no address given)
bg_start "$LT_BUILD/slicer/lamina-slicer" --socket "$SLICER_SOCK" \
    --state "$LT_DIR/slicer.state" --listen "pssl:$SLICER_PORT" "${SLICER_TLS[@]}" \
    >"$LT_DIR/slicer.log" 2>&1
SLICER_PID=$LT_LAST_PID
wait_for "[ -S '$SLICER_SOCK' ] || ! kill -0 $SLICER_PID" 20
kill -0 "$SLICER_PID" 2>/dev/null || { cat "$LT_DIR/slicer.log" >&2; fail "lamina-slicer did not start"; }
ss -Hltn "sport = :$SLICER_PORT" | grep -q "127.0.0.1:$SLICER_PORT" ||
    fail "the slicer does not listen on loopback: $(ss -Hltn "sport = :$SLICER_PORT")"
ss -Hltn "sport = :$SLICER_PORT" | grep -qv "127.0.0.1:$SLICER_PORT" &&
    fail "the slicer listens beyond loopback: $(ss -Hltn "sport = :$SLICER_PORT")"
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }

for bad in "ssl:[::1:$RED_PORT|without \"]\"" "ptcp:$RED_PORT|must be active" \
           "tcp:localhost:0|bad port" "udp:127.0.0.1:1|unknown method"; do
    target=${bad%%|*} why=${bad#*|}
    err=$(slicer slice add bad --controller "$target" --switch 0xb:1 2>&1) &&
        fail "controller $target was accepted"
    echo "$err" | grep -qF "$why" || fail "controller $target: \"$err\" does not say \"$why\""
done
info "bad controller refused: $err"

slicer slice add red --controller "ssl:localhost:$RED_PORT" --switch 0xb:1,2 \
    >/dev/null || fail "slicer: slice red"
slicer slice add blue --controller "ssl:127.0.0.1:$BLUE_PORT" --switch 0xb:3=1,4=2 \
    >/dev/null || fail "slicer: slice blue"
for s in red:10.1.0.0/24 blue:10.2.0.0/24; do
    n=${s%%:*} net=${s#*:}
    slicer flowspace add "$n-ip" "$n" "ipv4_src=$net,ipv4_dst=$net" >/dev/null &&
    slicer flowspace add "$n-arp" "$n" "arp_spa=$net,arp_tpa=$net" >/dev/null ||
        fail "slicer: flowspace $n"
done

# ---- the controllers: red's trusted, blue's rogue
# shellcheck disable=SC2046
bg_start ovs-testcontroller -O OpenFlow13 "pssl:$RED_PORT:127.0.0.1" $(pki_ovs_args ctl) \
    --log-file="$LT_DIR/red-controller.log" -vconsole:off --unixctl="$LT_DIR/red.ctl"
# shellcheck disable=SC2046
bg_start ovs-testcontroller -O OpenFlow13 "pssl:$BLUE_PORT:127.0.0.1" $(pki_ovs_args rogue) \
    --log-file="$LT_DIR/blue-controller.log" -vconsole:off --unixctl="$LT_DIR/blue.ctl"

# ---- the switch: an openflow vnode, ssl:localhost to the slicer
ns_add h1; ns_add h2; ns_add h3; ns_add h4
veth_add h1 eth0 p1 02:00:00:00:00:01 10.1.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.1.0.2/24
veth_add h3 eth0 p3 02:00:00:00:00:03 10.2.0.3/24
veth_add h4 eth0 p4 02:00:00:00:00:04 10.2.0.4/24
start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
for i in 1 2 3 4; do
    lamina port add s1 "p$i" "$(af_packet_devargs "p$i")" >/dev/null || fail "port p$i"
done
lamina slice add sub >/dev/null || fail "slice add"
lamina vnode add sub s1 --fp openflow --config "{\"controller\": \"ssl:localhost:$SLICER_PORT\",
    \"datapath_id\": \"0xb\", \"private_key\": \"$PKI/switch-key.pem\",
    \"certificate\": \"$PKI/switch-cert.pem\", \"ca_cert\": \"$PKI/ca-cert.pem\"}" \
    >/dev/null || fail "vnode add"
for i in 1 2 3 4; do
    lamina vport add sub s1 "v$i" "p$i" >/dev/null || fail "vport v$i"
done

diagnose() {
    tail -n 30 "$LT_DIR/slicer.log" >&2
    tail -n 10 "$LT_DIR/switchd.log" >&2
    slicer stats >&2
}

# ---- red: TLS on both hops
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.2" 40 ||
    { diagnose; fail "red (ovs-testcontroller over TLS): h1 cannot reach h2"; }
nsx h1 ping -c 5 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "red: pings lost"
grep -q "TLS with ssl:localhost:$SLICER_PORT established (TLSv1.[23]" "$LT_DIR/switchd.log" ||
    fail "the vnode logged no TLS session with the slicer"
grep -q "TLS with 127.0.0.1:[0-9]* established (TLSv1.[23].*lamina test switch" "$LT_DIR/slicer.log" ||
    fail "the slicer logged no TLS session with the switch"
grep -q "TLS with ssl:localhost:$RED_PORT established (TLSv1.[23].*lamina test ctl" "$LT_DIR/slicer.log" ||
    fail "the slicer logged no TLS session with red's controller"
info "red over TLS: $(grep "TLS with ssl:localhost:$RED_PORT" "$LT_DIR/slicer.log" | head -n 1 | sed 's/.*TLS with/TLS with/')"

# ---- blue: its controller's certificate is not of the CA
wait_for "grep -q 'slice blue: controller ssl:127.0.0.1:$BLUE_PORT: TLS handshake failed' '$LT_DIR/slicer.log'" 15 ||
    { diagnose; fail "no TLS failure logged for blue's rogue controller"; }
info "blue's rogue controller: $(grep "slice blue: controller .*TLS" "$LT_DIR/slicer.log" | head -n 1 | sed 's/.*: TLS/TLS/')"
nsx h3 ping -c 2 -i 0.3 -W 1 10.2.0.4 >/dev/null && fail "blue pinged through a rogue controller"
blue=$(slicer stats --json | /usr/bin/python3 -c '
import json, sys
b = [s for s in json.load(sys.stdin)["slices"] if s["name"] == "blue"][0]
print(b["flows_sent"], b["switches"][0]["connects"])')
[ "$blue" = "0 0" ] || fail "blue's rogue controller got a session (flows sent, connects: $blue)"

# ---- rogue switch-side peers: another CA's certificate, then plain TCP
timeout 10 openssl s_client -connect "127.0.0.1:$SLICER_PORT" -cert "$PKI/rogue-cert.pem" \
    -key "$PKI/rogue-key.pem" -CAfile "$PKI/ca-cert.pem" </dev/null >"$LT_DIR/rogue.log" 2>&1
wait_for "grep -q 'switch connection from 127.0.0.1:[0-9]* closed: TLS handshake failed: peer certificate' '$LT_DIR/slicer.log'" 10 ||
    { diagnose; fail "the rogue switch's certificate was not refused"; }
info "rogue switch: $(grep 'switch connection from .*peer certificate' "$LT_DIR/slicer.log" | head -n 1 | sed 's/.*closed: //')"
/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(bytes([4, 0, 0, 8, 0, 0, 0, 1]))      # an OpenFlow HELLO, in clear
s.settimeout(5)
print(len(s.recv(100)))' "$SLICER_PORT" >"$LT_DIR/plain.log" 2>&1
wait_for "[ \$(grep -c 'switch connection from 127.0.0.1:[0-9]* closed: TLS handshake failed' '$LT_DIR/slicer.log') -ge 2 ]" 10 ||
    { diagnose; fail "a plain TCP peer was not refused"; }
n=$(slicer stats --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d["switches"]), d["switch_listener"]["accepted"])')
[ "${n% *}" = 1 ] || fail "${n% *} switches up (expected only the vnode)"
[ "${n#* }" -ge 3 ] || fail "the listener accepted ${n#* } connections (expected 3 or more)"

# ---- an impostor: same CA, same datapath id, another certificate
flows_before=$(lamina --json vnode dump sub s1 | json_get flow_count)
lamina slice add impostor >/dev/null || fail "slice add impostor"
lamina vnode add impostor s1 --fp openflow --config "{\"controller\": \"ssl:127.0.0.1:$SLICER_PORT\",
    \"datapath_id\": \"0xb\", \"private_key\": \"$PKI/impostor-key.pem\",
    \"certificate\": \"$PKI/impostor-cert.pem\", \"ca_cert\": \"$PKI/ca-cert.pem\"}" \
    >/dev/null || fail "vnode add impostor"
wait_for "grep -q 'claims datapath 0xb with sha256:[0-9a-f]*, but it is bound to sha256:[0-9a-f]*: refused' '$LT_DIR/slicer.log'" 20 ||
    { diagnose; fail "the impostor switch was not refused"; }
info "impostor: $(grep 'claims datapath 0xb' "$LT_DIR/slicer.log" | head -n 1 | sed 's/.*: switch/switch/' | cut -c1-120)…"
grep -q "switch 0xb reconnected" "$LT_DIR/slicer.log" && fail "the impostor replaced the switch"
n=$(slicer stats --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d["switches"]), d["switches_refused_identity"])')
[ "${n% *}" = 1 ] || fail "${n% *} switches up after the impostor"
[ "${n#* }" -ge 1 ] || fail "no refusal counted: $n"
flows_after=$(lamina --json vnode dump sub s1 | json_get flow_count)
[ "$flows_after" -ge "$flows_before" ] ||
    fail "the real switch lost flows ($flows_before before the impostor, $flows_after after)"
nsx h1 ping -c 3 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "red: pings lost after the rogue peers"
pass

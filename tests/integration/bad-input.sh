#!/bin/bash
# bad-input: requests that must be refused, each with an error that names
# the problem, while the slice already configured keeps forwarding and
# nothing stored changes.
. "$(dirname "$0")/lib.sh"
lt_init bad-input 90

ns_add a
ns_add b
veth_add a eth0 pa 02:00:00:00:00:01 10.0.0.1/24
veth_add b eth0 pb 02:00:00:00:00:02 10.0.0.2/24

start_switchd
lamina switch add s1 || fail "switch add s1"
lamina switch add s2 || fail "switch add s2"
lamina link add l12 s1:to-s2 s2:to-s1 || fail "link add"
lamina port add s1 pa "$(af_packet_devargs pa)" || fail "port pa"
lamina port add s2 pb "$(af_packet_devargs pb)" || fail "port pb"
lamina slice add red || fail "slice add"
lamina vnode add red s1 || fail "vnode s1"
lamina vnode add red s2 || fail "vnode s2"
lamina vport add red s1 a pa || fail "vport a"
lamina vport add red s2 b pb || fail "vport b"
lamina vlink add red v12 --path s1,s2 --label 500 || fail "vlink"
wait_for "nsx a ping -c 1 -W 1 10.0.0.2" 20 || fail "no traffic before the bad input"
config=$(lamina --json switch config)

# expect_error WHAT PATTERN CMD...: CMD fails and its error matches PATTERN.
expect_error() {
    local what=$1 pattern=$2
    shift 2
    if "$@" >"$LT_DIR/out" 2>&1; then
        fail "$what was accepted"
    fi
    grep -qiE "$pattern" "$LT_DIR/out" || fail "$what: unclear error: $(cat "$LT_DIR/out")"
    info "$what: $(head -n 1 "$LT_DIR/out")"
}

# A super-frame pool out of range: refused before the daemon starts
# anything.  A slice's share over this daemon's pool (the default, 2,048):
# refused by the dataplane, which knows the pool's size.
expect_error "--gso-buffers 10" "gso-buffers: '10' is not a number of buffers in \[64, 16384\]" \
    "$LT_BUILD/vswitch/lamina-switchd" --gso-buffers 10 --socket "$LT_DIR/never.sock"
expect_error "a super-frame share over the pool" "super-frame quota 2049 is more than the 2048" \
    lamina slice set red --gso-quota 2049

# Malformed JSON straight on the socket: a JSON-RPC parse error (-32700).
reply=$(printf '{"jsonrpc":"2.0","method":"switch.list",,}\n' |
        timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
print(s.recv(65536).decode())' "$LT_SOCK")
echo "$reply" | grep -q -- '-32700' || fail "malformed JSON: no parse error in: $reply"
info "malformed JSON: $reply"

expect_error "unknown slice" "no slice named \"?nosuch" lamina vnode add nosuch s1
expect_error "duplicate vnode" "already has a vnode" lamina vnode add red s1
expect_error "bad devargs" "net_nosuchdriver0" lamina port add s1 bad net_nosuchdriver0,x=1
expect_error "label in use" "label 500 is already in use" \
    lamina vlink add red v12b --path s1,s2 --label 500
expect_error "unknown switch" "no switch named \"?s9" lamina vnode add red s9
expect_error "bad name" "not (a )?valid" lamina slice add 'bad name'
expect_error "guarantee above ceiling" "ceiling" lamina slice add x --guarantee 10M --ceiling 1M

[ "$(lamina --json switch config)" = "$config" ] || fail "a refused request changed the configuration"
nsx a ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "forwarding broke after the bad input"
kill -0 "$LT_SWITCHD_PID" || fail "lamina-switchd died"
pass

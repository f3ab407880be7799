#!/bin/bash
# broker-lib.sh: the two-InP setup the broker's integration tests with the
# real daemons share (sourced after lib.sh and lt_init).
#
# broker_two_inps builds inp-a (lamina-switchd with s1 - s2, host h1
# 10.9.0.1 on s1, border port to-b on s2) and inp-b (t1 - t2, host h2
# 10.9.0.2 on t1, border port to-a on t2), joined by a veth pair between
# the border ports; starts lamina-brokerd (start_broker) and a lamina-inpd
# per InP registered with it; and leaves: U (the broker's URL, also
# LAMINA_BROKER), LAMINA_TOKEN (the admin's), the tokens in
# $LT_DIR/{admin,inp-a,inp-b,sp1}.tok and the agents' in
# $LT_DIR/inp-{a,b}.agent, PA/PBB (the agents' ports), PID_A/PID_B,
# SOCK_A/SOCK_B, BRK_PID; helpers sw SOCK ..., has_slice SOCK SLICE,
# inp_up NAME.  broker_line_inps N builds N InPs in a line instead (below).
# LEASE_CHECK: tools/lease-check.py, the outside checker.  LAMINA_BROKERD:
# another lamina-brokerd binary (for before/after figures).
LEASE_CHECK=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/lease-check.py

# sw SOCK ARGS...: the CLI on one switchd.  has_slice SOCK SLICE.
sw() { local s=$1; shift; "$LT_BUILD/cli/lamina" --socket "$s" "$@"; }
has_slice() { sw "$1" --json slice list | python3 -c '
import json, sys
sys.exit(0 if any(s["name"] == sys.argv[1] for s in json.load(sys.stdin)) else 1)' "$2"; }

# switchd NAME: one more lamina-switchd on $LT_DIR/NAME.sock, its own
# state and DPDK prefix.
switchd() {
    LT_SOCK=$LT_DIR/$1.sock LT_STATE=$LT_DIR/$1.state
    LT_DPDK_PREFIXES+=("${LT_PREFIX}$1")
    # shellcheck disable=SC2046
    start_switchd -- -l 0-1 --no-pci --file-prefix "${LT_PREFIX}$1" $(lt_eal_memory)
}

# start_broker [ENV=VALUE...]: lamina-brokerd on $PB with its store and
# admin token in $LT_DIR (again after a crash; more options in the array
# BRK_ARGS); BRK_PID.  spawn_broker: the same without waiting for it to
# listen.
spawn_broker() {
    bg_start env "$@" "$BRK" --listen "127.0.0.1:$PB" --db "$LT_DIR/broker.db" \
        --admin-token-file "$LT_DIR/admin.tok" --warn 3 --heartbeat 1 --missed 3 \
        "${BRK_ARGS[@]}" 2>>"$LT_DIR/brokerd.log"
    BRK_PID=$LT_LAST_PID
}
start_broker() {
    spawn_broker "$@"
    wait_for "curl -s -o /dev/null $U/v1/status" 10 || fail "brokerd did not start"
}

# broker_one_inp_hosts MAC-BYTE NET: the start of a one-InP test: BRK,
# INPD (skips if not built), PB/PA (the broker's and the agent's ports),
# U, the working directory $LT_DIR, hosts h1 (NET.1, MAC ..:MAC-BYTE:01)
# and h2 (NET.2) and a lamina-switchd on SOCK=$LT_DIR/a.sock; the caller
# builds its substrate, then calls broker_one_inp.
broker_one_inp_hosts() {
    BRK=$LT_BUILD/broker/lamina-brokerd
    INPD=$LT_BUILD/inp-agent/lamina-inpd
    [ -x "$BRK" ] || skip "lamina-brokerd is not built"
    [ -x "$INPD" ] || skip "lamina-inpd is not built"
    BASE=$(lt_free_port_range 4)
    PB=$BASE PA=$((BASE + 1))
    U=http://127.0.0.1:$PB
    cd "$LT_DIR" || exit 1
    ns_add h1
    ns_add h2
    veth_add h1 eth0 h1 "02:00:00:00:$1:01" "$2.1/24"
    veth_add h2 eth0 h2 "02:00:00:00:$1:02" "$2.2/24"
    SOCK=$LT_DIR/a.sock
    switchd a
}

# broker_one_inp NODE1 NODE2 PRINCIPAL:ROLE...: starts the broker, adds
# inp-a and the given principals (tokens in $LT_DIR/NAME.tok), and
# lamina-inpd for inp-a on $SOCK offering ap1 (port h1 on NODE1) and ap2
# (port h2 on NODE2); leaves ADMIN, LAMINA_BROKER and LAMINA_TOKEN (the
# admin's) exported.
broker_one_inp() {
    local n1=$1 n2=$2 p
    shift 2
    start_broker
    ADMIN=$(cat admin.tok)
    export LAMINA_BROKER=$U LAMINA_TOKEN=$ADMIN
    for p in inp-a:inp "$@"; do
        "$LT_BUILD/cli/lamina" --json principal add "${p%%:*}" --role "${p##*:}" |
            json_get token >"${p%%:*}.tok" || fail "principal ${p%%:*}"
    done
    echo "agent-inp-a-$$-0123456789abcdef" >inp-a.agent
    cat >inp-a.json <<EOF
{"name": "inp-a", "switchd_socket": "$SOCK", "listen": "127.0.0.1:$PA",
 "broker": "$U", "token_file": "$LT_DIR/inp-a.tok", "heartbeat_s": 1,
 "agent_token_file": "$LT_DIR/inp-a.agent", "state": "$LT_DIR/inp-a.state.json",
 "node_cpu": 100,
 "offer": {"access": [{"name": "ap1", "node": "$n1", "port": "h1"},
                      {"name": "ap2", "node": "$n2", "port": "h2"}]}}
EOF
    bg_start "$INPD" --config "$LT_DIR/inp-a.json" >>inp-a.log 2>&1
    wait_for "inp_up inp-a" 20 || { tail -5 inp-a.log >&2; fail "inp-a did not register"; }
}

# inp_up NAME: the broker reports InP NAME up.
inp_up() {
    curl -s -H "Authorization: Bearer $LAMINA_TOKEN" "$U/v1/inps/$1" | json_get up | grep -qi true
}

broker_two_inps() {
    BRK=${LAMINA_BROKERD:-$LT_BUILD/broker/lamina-brokerd}
    INPD=$LT_BUILD/inp-agent/lamina-inpd
    [ -x "$BRK" ] || skip "lamina-brokerd is not built"
    [ -x "$INPD" ] || skip "lamina-inpd is not built"
    BASE=$(lt_free_port_range 10)
    PB=$BASE; PA=$((BASE + 1)); PBB=$((BASE + 2))
    U=http://127.0.0.1:$PB
    export LAMINA_BROKER=$U

    ns_add h1
    ns_add h2
    veth_add h1 eth0 h1 02:00:00:00:02:01 10.9.0.1/24
    veth_add h2 eth0 h2 02:00:00:00:02:02 10.9.0.2/24
    BA=$(rif ba)
    BB=$(rif bb)
    veth_pair ba bb

    # Two switchds: each its socket, state and DPDK prefix.
    SOCK_A=$LT_DIR/a.sock SOCK_B=$LT_DIR/b.sock
    switchd a
    sw "$SOCK_A" switch add s1 && sw "$SOCK_A" switch add s2 &&
        sw "$SOCK_A" link add l12 s1:to-s2 s2:to-s1 &&
        sw "$SOCK_A" port add s1 h1 "$(afpacket_devargs h1)" &&
        sw "$SOCK_A" port add s2 to-b "$(afpacket_devargs ba)" || fail "substrate of inp-a"
    switchd b
    sw "$SOCK_B" switch add t1 && sw "$SOCK_B" switch add t2 &&
        sw "$SOCK_B" link add l12 t1:to-t2 t2:to-t1 &&
        sw "$SOCK_B" port add t1 h2 "$(afpacket_devargs h2)" &&
        sw "$SOCK_B" port add t2 to-a "$(afpacket_devargs bb)" || fail "substrate of inp-b"

    # The broker and its principals.
    start_broker
    export LAMINA_TOKEN
    LAMINA_TOKEN=$(cat "$LT_DIR/admin.tok")
    for p in inp-a:inp inp-b:inp sp1:sp; do
        "$LT_BUILD/cli/lamina" --json principal add "${p%%:*}" --role "${p##*:}" | json_get token \
            >"$LT_DIR/${p%%:*}.tok" || fail "principal ${p%%:*}"
    done

    # The agents.
    agent() {  # NAME PORT SOCK ACCESS-NODE BORDER BORDER-NODE BORDER-PORT PEER-BORDER PEER LABELS
        echo "agent-$1-token-0123456789abcdef" >"$LT_DIR/$1.agent"
        cat >"$LT_DIR/$1.json" <<EOF
{"name": "$1", "switchd_socket": "$3", "listen": "127.0.0.1:$2",
 "broker": "$U", "token_file": "$LT_DIR/$1.tok", "heartbeat_s": 1,
 "agent_token_file": "$LT_DIR/$1.agent", "state": "$LT_DIR/$1.state.json",
 "max_lease_s": 3600, "node_cpu": 100,
 "offer": {"access": [{"name": "ap1", "node": "$4", "port": "$( [ "$4" = s1 ] && echo h1 || echo h2)"}],
           "borders": [{"name": "$5", "node": "$6", "port": "$7", "peer_inp": "$9",
                        "peer_border": "$8", "bandwidth": "1G", "labels": ${10}}]}}
EOF
        bg_start "$INPD" --config "$LT_DIR/$1.json" >>"$LT_DIR/$1.log" 2>&1
    }
    agent inp-a "$PA" "$SOCK_A" s1 ab s2 to-b ba inp-b "[1000, 1999]"
    PID_A=$LT_LAST_PID
    agent inp-b "$PBB" "$SOCK_B" t1 ba t2 to-a ab inp-a "[1500, 2999]"
    PID_B=$LT_LAST_PID
    wait_for "inp_up inp-a && inp_up inp-b" 20 || {
        tail -5 "$LT_DIR/inp-a.log" "$LT_DIR/inp-b.log" >&2; fail "the agents did not register"; }
    info "both agents registered and up"
}

# broker_line_inps N: N InPs in a line, inp-1 - inp-2 - ... - inp-N, each
# a lamina-switchd with two switches wI - eI (a link between them) and a
# lamina-inpd; a border eI (port to-next) on inp-I and wJ (port to-prev)
# on inp-J=I+1, joined by a veth pair, labels 1000*I..1000*I+999 (each
# link its own range, so a transit swaps one label for another).  Host h1
# (10.7.0.1) at inp-1/ap1 on w1, host h2 (10.7.0.2) at inp-N/ap1 on eN;
# the InPs between have no access point: they can only carry transit.
# Starts the broker; leaves U, LAMINA_BROKER, LAMINA_TOKEN (the admin's),
# $LT_DIR/{inp-I,sp1}.tok, the agents' tokens in $LT_DIR/inp-I.agent,
# their ports in PORT_I[I], the switchds' sockets $LT_DIR/inp-I.sock and
# the border veths $(rif bIe) (inp-I's side toward inp-I+1).
broker_line_inps() {
    local n=$1 i p s access borders
    BRK=${LAMINA_BROKERD:-$LT_BUILD/broker/lamina-brokerd}
    INPD=$LT_BUILD/inp-agent/lamina-inpd
    [ -x "$BRK" ] || skip "lamina-brokerd is not built"
    [ -x "$INPD" ] || skip "lamina-inpd is not built"
    BASE=$(lt_free_port_range 10)
    PB=$BASE
    U=http://127.0.0.1:$PB
    export LAMINA_BROKER=$U
    PORT_I=()

    ns_add h1
    ns_add h2
    veth_add h1 eth0 h1 02:00:00:00:07:01 10.7.0.1/24
    veth_add h2 eth0 h2 02:00:00:00:07:02 10.7.0.2/24
    for ((i = 1; i < n; i++)); do veth_pair "b${i}e" "b$((i + 1))w"; done
    for ((i = 1; i <= n; i++)); do
        s=$LT_DIR/inp-$i.sock
        switchd "inp-$i"
        sw "$s" switch add "w$i" && sw "$s" switch add "e$i" &&
            sw "$s" link add "l$i" "w$i:to-e$i" "e$i:to-w$i" --rate 1G ||
            fail "the substrate of inp-$i"
        if [ "$i" -gt 1 ]; then
            sw "$s" port add "w$i" to-prev "$(afpacket_devargs "b${i}w")" ||
                fail "border port of inp-$i"
        fi
        if [ "$i" -lt "$n" ]; then
            sw "$s" port add "e$i" to-next "$(afpacket_devargs "b${i}e")" ||
                fail "border port of inp-$i"
        fi
    done
    sw "$LT_DIR/inp-1.sock" port add w1 h1 "$(afpacket_devargs h1)" || fail "port h1"
    sw "$LT_DIR/inp-$n.sock" port add "e$n" h2 "$(afpacket_devargs h2)" || fail "port h2"

    start_broker
    export LAMINA_TOKEN
    LAMINA_TOKEN=$(cat "$LT_DIR/admin.tok")
    for p in sp1:sp $(for ((i = 1; i <= n; i++)); do echo "inp-$i:inp"; done); do
        "$LT_BUILD/cli/lamina" --json principal add "${p%%:*}" --role "${p##*:}" |
            json_get token >"$LT_DIR/${p%%:*}.tok" || fail "principal ${p%%:*}"
    done
    for ((i = 1; i <= n; i++)); do
        access="" borders=""
        PORT_I[i]=$((BASE + i))
        [ "$i" = 1 ] && access='{"name": "ap1", "node": "w1", "port": "h1"}'
        [ "$i" = "$n" ] && access="{\"name\": \"ap1\", \"node\": \"e$n\", \"port\": \"h2\"}"
        [ "$i" -gt 1 ] && borders="{\"name\": \"w$i\", \"node\": \"w$i\", \"port\": \"to-prev\",
            \"peer_inp\": \"inp-$((i - 1))\", \"peer_border\": \"e$((i - 1))\",
            \"bandwidth\": \"1G\", \"labels\": [$((1000 * (i - 1))), $((1000 * (i - 1) + 999))]}"
        [ "$i" -lt "$n" ] && borders="$borders${borders:+, }{\"name\": \"e$i\", \"node\": \"e$i\",
            \"port\": \"to-next\", \"peer_inp\": \"inp-$((i + 1))\", \"peer_border\": \"w$((i + 1))\",
            \"bandwidth\": \"1G\", \"labels\": [$((1000 * i)), $((1000 * i + 999))]}"
        echo "agent-inp-$i-$$-0123456789abcdef" >"$LT_DIR/inp-$i.agent"
        cat >"$LT_DIR/inp-$i.json" <<EOF
{"name": "inp-$i", "switchd_socket": "$LT_DIR/inp-$i.sock", "listen": "127.0.0.1:${PORT_I[i]}",
 "broker": "$U", "token_file": "$LT_DIR/inp-$i.tok", "heartbeat_s": 1,
 "agent_token_file": "$LT_DIR/inp-$i.agent", "state": "$LT_DIR/inp-$i.state.json",
 "node_cpu": 100, "offer": {"access": [$access], "borders": [$borders]}}
EOF
        bg_start "$INPD" --config "$LT_DIR/inp-$i.json" >>"$LT_DIR/inp-$i.log" 2>&1
    done
    for ((i = 1; i <= n; i++)); do
        wait_for "inp_up inp-$i" 20 || { tail -5 "$LT_DIR/inp-$i.log" >&2; fail "inp-$i did not register"; }
    done
    info "$n InPs in a line registered and up"
}

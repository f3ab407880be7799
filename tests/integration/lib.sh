# lib.sh: the harness for Lamina's integration tests (bash).
#
# An integration test is a bash script that sources this file, builds a
# small world of network namespaces and veths around a real
# lamina-switchd, sends traffic, checks counters and captures, and ends
# with `pass` (exit 0) or `fail MSG` (exit 1); `skip MSG` exits 77, which
# meson reports as SKIP.  Everything the test creates is registered and
# removed by a trap on EXIT/INT/TERM, whatever way the script ends:
# processes (only the PIDs it started, never by name), namespaces, veths,
# DPDK runtime directories and hugepage files, the test's temporary
# directory.  Names are unique per run (prefix lt<PID>), so tests of
# several engineers can run side by side on one machine.
#
#   #!/bin/bash
#   . "$(dirname "$0")/lib.sh"
#   lt_init selftest 60             # name, time bound in seconds
#   ns_add h1
#   veth_add h1 eth0 p1 02:00:00:00:00:01 10.0.0.1/24
#   start_switchd                   # --socket/--state/--file-prefix are set
#   lamina switch add s1
#   lamina port add s1 p1 "$(af_packet_devargs p1)"
#   capture_start h1 eth0 "$LT_DIR/h1.pcap"
#   nsx h1 ping -c 3 -W 1 10.0.0.2 || fail "ping h1 -> h2"
#   capture_stop
#   [ "$(capture_count "$LT_DIR/h1.pcap" icmp)" -ge 6 ] || fail "capture"
#   pass
#
# Names: tests use short logical names (h1, p1); the harness prefixes them.
#   ns NAME        full namespace name of NAME
#   rif NAME       full root-side interface name of NAME (≤ 15 characters)
#   nsx NAME CMD…  runs CMD inside namespace NAME
#
# World:
#   ns_add NAME                         namespace, loopback up, no IPv6
#   veth_add NS IF ROOTIF MAC IP/LEN    veth pair: IF (MAC, IP; "-" for no
#                                       IP) in NS, ROOTIF in the root
#                                       namespace (the switch port), both
#                                       up, TX checksum offload off, IPv6
#                                       off (no DAD, RS or MLD noise)
#   veth_link NS1 IF1 MAC1 IP1 NS2 IF2 MAC2 IP2
#                                       a plain veth between two namespaces
#   veth_pair A B                       a veth pair between root-side
#                                       interfaces A and B (MTU 1600 for
#                                       MPLS), both prepared as switch
#                                       ports: an inter-domain link
#   af_packet_devargs ROOTIF [OPTS]     "net_af_packetN,iface=…" with a new
#                                       N per call (vdev names are unique
#                                       per DPDK process)
# Daemon:
#   start_switchd [DAEMON-ARGS] [-- EAL-ARGS]
#                     starts build/vswitch/lamina-switchd with the run's
#                     --socket ($LT_SOCK), --state ($LT_STATE) and EAL
#                     defaults (-l ${LT_EAL_LCORES:-0-1} --no-pci --file-prefix, hugepages
#                     if free, else --no-huge -m 512), waits for the socket;
#                     $LT_SWITCHD_PID, log in $LT_DIR/switchd.log
#   stop_switchd [SIGNAL]   TERM (default) or KILL the daemon, wait for it
#   lamina ARGS…            the CLI on the run's socket
#   tmpfs_add DIR SIZE      a small tmpfs on DIR, unmounted at cleanup (a
#                           disk to fill or make read-only)
# Traffic and evidence:
#   capture_start NS IF FILE   tcpdump -U -w FILE (NS "-" = root namespace)
#   capture_stop [FILE]        stops one capture, or all; files are complete
#   capture_count FILE [FILTER…]  packets in FILE matching a pcap filter
#   gen ARGS…                  build/tools/lamina-gen (run it under nsx)
#   json_get PATH              reads JSON on stdin, prints .a.b.0.c
# Control:
#   wait_for 'CMD' SECONDS     polls CMD (eval) until it succeeds; 1 on timeout
#   bg_start CMD…              runs CMD in the background, registers its PID
#                              ($LT_LAST_PID)
#   lt_topo_init SUFFIX        for a `lamina topo` test (after lt_init): sets
#                              LAMINA_BIN, NAME (topology), NSP (namespace
#                              prefix), RUN (its run directory), defines
#                              topo() and takes the topology down on exit
#   info MSG / pass / fail MSG / skip MSG
#
# Environment: LAMINA_BUILD (the build directory; meson sets it, default
# ../../build from this file), LT_KEEP=1 keeps $LT_DIR for a post-mortem.
# A test also runs on its own: sudo tests/integration/harness-selftest.sh

LT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$LT_LIB_DIR/../../scripts/dpdk-files.sh"
LT_BUILD=${LAMINA_BUILD:-$LT_LIB_DIR/../../build}
LT_PREFIX=lt$$
LT_NAME=${0##*/}
LT_DIR=""
LT_SOCK=""
LT_STATE=""
LT_SWITCHD_PID=""
LT_LAST_PID=""
LT_PIDS=()              # processes we started, in start order
LT_NETNS=()             # full namespace names
LT_LINKS=()             # root-side interfaces
LT_DPDK_PREFIXES=()     # EAL --file-prefix values
LT_CAPTURES=()          # "pid file"
LT_MOUNTS=()            # file systems mounted by tmpfs_add
LT_WATCHDOG_PID=""
LT_DONE=""

info() { echo "[$LT_NAME] $*" >&2; }

# lt_topo_init SUFFIX: a test of `lamina topo` names its topology
# $LT_PREFIX$SUFFIX and its hosts' namespaces $LT_PREFIX-h*; whatever way
# it ends, the topology goes down before lt_cleanup checks what is left
# (the exit status is read first).
lt_topo_init() {
    LAMINA_BIN=$LT_BUILD/cli/lamina
    NAME=$LT_PREFIX$1
    NSP=$LT_PREFIX-
    RUN=/run/lamina/topo-$NAME
    [ -x "$LAMINA_BIN" ] || skip "$LAMINA_BIN is not built"
    trap 'rc=$?; topo down --name "$NAME" >/dev/null 2>&1; (exit $rc); lt_cleanup' EXIT
}
topo() { "$LAMINA_BIN" topo "$@"; }

ns() { echo "$LT_PREFIX-$1"; }
rif() { echo "$LT_PREFIX$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
gen() { "$LT_BUILD/tools/lamina-gen" "$@"; }

# lt_init NAME SECONDS: starts the run (temporary directory, traps, the time
# bound).  When the bound passes, the test is stopped with TERM and its
# cleanup runs; meson's own timeout is the last resort behind it.
lt_init() {
    LT_NAME=${1:-$LT_NAME}
    local bound=${2:-60}
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: $LT_NAME: needs root (network namespaces)"
        exit 77
    fi
    LT_DIR=$(mktemp -d "/tmp/lamina-$LT_NAME.$LT_PREFIX.XXXXXX") || exit 1
    LT_SOCK=$LT_DIR/switchd.sock
    LT_STATE=$LT_DIR/switchd.state
    echo 0 >"$LT_DIR/.vdev"
    trap lt_cleanup EXIT
    trap 'info "interrupted"; LT_DONE=${LT_DONE:-FAIL}; exit 1' INT TERM
    # The watchdog: TERM the test, then whatever foreground child it waits
    # on (bash runs the trap only when that child returns).
    # Its sleep holds no descriptor of ours: a test run inside $(…) must
    # not wait for it.
    (
        sleep "$bound" </dev/null >/dev/null 2>&1 &
        sp=$!
        trap 'kill $sp 2>/dev/null; wait $sp; exit 0' TERM
        wait $sp
        echo "[$LT_NAME] FAIL: time bound of $bound s reached" >&2
        kill -TERM $$ 2>/dev/null
        sleep 1
        for c in $(ps -o pid= --ppid $$ 2>/dev/null); do
            [ "$c" = "$BASHPID" ] || kill -TERM "$c" 2>/dev/null
        done
    ) &
    LT_WATCHDOG_PID=$!
    info "run $LT_PREFIX, files in $LT_DIR, bound ${bound} s"
}

# Stops one PID we started: SIGNAL (default TERM), 5 s grace, then KILL.
lt_stop_pid() {
    local pid=$1 sig=${2:-TERM} i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill "-$sig" "$pid" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        # A child of ours stays a zombie until waited for.
        if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then break; fi
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ] &&
        kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

lt_cleanup() {
    local rc=$? i p m left=""
    trap - EXIT INT TERM
    [ -n "$LT_WATCHDOG_PID" ] && kill -TERM "$LT_WATCHDOG_PID" 2>/dev/null
    for ((i = ${#LT_PIDS[@]} - 1; i >= 0; i--)); do
        lt_stop_pid "${LT_PIDS[i]}"
    done
    for ((i = ${#LT_MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${LT_MOUNTS[i]}" 2>/dev/null || umount -l "${LT_MOUNTS[i]}"
    done
    for p in "${LT_NETNS[@]}"; do
        ip netns del "$p" 2>/dev/null
    done
    for p in "${LT_LINKS[@]}"; do
        ip link show "$p" >/dev/null 2>&1 && ip link del "$p" 2>/dev/null
    done
    for p in "${LT_DPDK_PREFIXES[@]}"; do
        dpdk_files_remove "$p"
    done
    # Check that nothing of ours is left behind.
    for p in "${LT_NETNS[@]}"; do
        ip netns list | grep -qw "$p" && left="$left netns:$p"
    done
    for p in "${LT_LINKS[@]}"; do
        ip link show "$p" >/dev/null 2>&1 && left="$left link:$p"
    done
    for p in "${LT_PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && left="$left pid:$p"
    done
    for p in "${LT_MOUNTS[@]}"; do
        mountpoint -q "$p" && left="$left mount:$p"
    done
    if [ -n "$left" ]; then
        info "cleanup left:$left"
    fi
    if [ -n "$LT_DIR" ]; then
        if [ "${LT_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${LT_KEEP_ON_FAIL:-}" ]; }; then
            info "kept $LT_DIR"
        else
            rm -rf "$LT_DIR"
        fi
    fi
    if [ -z "$LT_DONE" ]; then
        # Ended without pass/fail/skip: a command failed under set -e, or
        # the script fell off its end.
        if [ "$rc" -eq 0 ]; then
            echo "PASS: $LT_NAME"
        else
            echo "FAIL: $LT_NAME (exit $rc)"
        fi
    fi
    exit "$rc"
}

pass() { LT_DONE=PASS; echo "PASS: $LT_NAME${1:+: $1}"; exit 0; }
fail() { LT_DONE=FAIL; echo "FAIL: $LT_NAME: $*"; exit 1; }
skip() { LT_DONE=SKIP; echo "SKIP: $LT_NAME: $*"; exit 77; }

# wait_for 'CMD' SECONDS: polls CMD every 50 ms until it succeeds.
wait_for() {
    local cmd=$1 deadline
    deadline=$(awk -v n="$EPOCHREALTIME" -v t="${2:-10}" 'BEGIN {printf "%.3f", n + t}')
    while :; do
        eval "$cmd" >/dev/null 2>&1 && return 0
        awk -v n="$EPOCHREALTIME" -v d="$deadline" 'BEGIN {exit !(n >= d)}' && return 1
        sleep 0.05
    done
}

# lt_free_port: a TCP port free on loopback now (another run may still take
# it before we bind: a test failing with "address in use" is rerun).
lt_free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# lt_free_port_range N: the first of N consecutive TCP ports free on
# loopback now, below the kernel's ephemeral range (so no outgoing
# connection takes one of them meanwhile); for tests that number their
# daemons' ports BASE, BASE+1, ...
lt_free_port_range() {
    /usr/bin/python3 -c '
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    held = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)' "$1" || fail "no $1 consecutive free ports on loopback"
}

bg_start() {
    "$@" &
    LT_LAST_PID=$!
    LT_PIDS+=("$LT_LAST_PID")
}

ns_add() {
    local n
    n=$(ns "$1")
    ip netns add "$n" || fail "ip netns add $n"
    LT_NETNS+=("$n")
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

# Brings an interface up with IPv6 off and TX checksum offload off
# (NSNAME empty = root namespace).
lt_if_prepare() {
    local n=$1 ifn=$2
    if [ -n "$n" ]; then
        ip netns exec "$n" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1" >/dev/null 2>&1
        ip netns exec "$n" ethtool -K "$ifn" tx off >/dev/null 2>&1 ||
            info "ethtool -K $ifn tx off failed in $n"
        ip -n "$n" link set "$ifn" up
    else
        sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1" >/dev/null 2>&1
        ethtool -K "$ifn" tx off >/dev/null 2>&1 || info "ethtool -K $ifn tx off failed"
        ip link set "$ifn" up
    fi
}

veth_add() {
    [ $# -eq 5 ] || fail "usage: veth_add NS IF ROOTIF MAC IP/LEN"
    local n root
    n=$(ns "$1")
    root=$(rif "$3")
    [ ${#root} -le 15 ] || fail "interface name $root is longer than 15 characters"
    ip link add "$root" type veth peer name "$2" netns "$n" ||
        fail "ip link add $root (peer $2 in $n)"
    LT_LINKS+=("$root")
    ip -n "$n" link set "$2" address "$4" || fail "MAC $4 on $2"
    [ "$5" = - ] || ip -n "$n" addr add "$5" dev "$2" || fail "address $5 on $2"
    lt_if_prepare "" "$root"
    lt_if_prepare "$n" "$2"
}

veth_link() {
    [ $# -eq 8 ] || fail "usage: veth_link NS1 IF1 MAC1 IP1 NS2 IF2 MAC2 IP2"
    local n1 n2
    n1=$(ns "$1"); n2=$(ns "$5")
    ip link add "$2" netns "$n1" type veth peer name "$6" netns "$n2" ||
        fail "ip link add $2 in $n1 (peer $6 in $n2)"
    ip -n "$n1" link set "$2" address "$3"
    ip -n "$n2" link set "$6" address "$7"
    [ "$4" = - ] || ip -n "$n1" addr add "$4" dev "$2"
    [ "$8" = - ] || ip -n "$n2" addr add "$8" dev "$6"
    lt_if_prepare "$n1" "$2"
    lt_if_prepare "$n2" "$6"
}

veth_pair() {
    [ $# -eq 2 ] || fail "usage: veth_pair A B"
    local a b i
    a=$(rif "$1"); b=$(rif "$2")
    ip link add "$a" type veth peer name "$b" || fail "veth pair $a - $b"
    LT_LINKS+=("$a")
    for i in "$a" "$b"; do
        ip link set "$i" mtu 1600
        lt_if_prepare "" "$i"
    done
}

# afpacket_devargs NAME: Lamina's own AF_PACKET port on interface
# $(rif NAME).  Tests that run two switchds at once use it: DPDK 22.11's
# net_af_packet derives its PACKET_FANOUT group id from pid ^ ifindex (no
# devarg sets it), so two processes can pick the same id and the second
# fails with EINVAL.
afpacket_devargs() { echo "afpacket:$(rif "$1")"; }

af_packet_devargs() {
    local n
    n=$(cat "$LT_DIR/.vdev")
    echo $((n + 1)) >"$LT_DIR/.vdev"
    echo "net_af_packet$n,iface=$(rif "$1")${2:+,$2}"
}

# tap_add SWITCH PORT NS MAC IP/LEN: a DPDK net_tap port PORT on SWITCH
# whose device is moved into namespace NS as eth0 (MAC, address or -, up).
tap_add() {
    [ $# -eq 5 ] || fail "usage: tap_add SWITCH PORT NS MAC IP/LEN"
    local n dev i
    n=$(ns "$3"); dev=$(rif "t$2")
    i=$(cat "$LT_DIR/.vdev")
    echo $((i + 1)) >"$LT_DIR/.vdev"
    lamina port add "$1" "$2" "net_tap$i,iface=$dev" >/dev/null || fail "tap port $2"
    ip link set "$dev" netns "$n" || fail "moving tap $dev into $n"
    ip -n "$n" link set "$dev" name eth0 address "$4" || fail "tap $dev as eth0 in $n"
    [ "$5" = - ] || ip -n "$n" addr add "$5" dev eth0 || fail "address $5 on tap eth0 in $n"
    lt_if_prepare "$n" eth0
}

# ---------------------------------------------------------------- daemon

lt_eal_memory() {
    local free
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    if [ "${free:-0}" -ge 256 ] && grep -qs ' hugetlbfs ' /proc/mounts; then
        echo "-m 256"
    else
        echo "--no-huge -m 512"
    fi
}

# lt_switchd_spawn NETNS SOCK STATE LOG [ARGS...] [-- EAL-ARGS...]: starts a
# lamina-switchd (in namespace NETNS of ours unless it is "-"), waits for
# its socket; its PID in LT_LAST_PID.
lt_switchd_spawn() {
    local netns=$1 sock=$2 state=$3 log=$4 daemon=$LT_BUILD/vswitch/lamina-switchd
    local args=() eal=() prefix run=() pid
    shift 4
    [ -x "$daemon" ] || skip "$daemon is not built"
    while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    prefix=${LT_PREFIX}sw${netns#-}
    LT_DPDK_PREFIXES+=("$prefix")
    if [ $# -gt 0 ]; then
        eal=("$@")
    else
        # shellcheck disable=SC2207
        eal=(-l "${LT_EAL_LCORES:-0-1}" --no-pci --file-prefix "$prefix" $(lt_eal_memory))
    fi
    [ "$netns" = - ] || run=(ip netns exec "$(ns "$netns")")
    rm -f "$sock"
    "${run[@]}" "$daemon" --socket "$sock" --state "$state" "${args[@]}" -- "${eal[@]}" \
        >>"$log" 2>&1 &
    pid=$!
    LT_PIDS+=("$pid")
    LT_LAST_PID=$pid
    if ! wait_for "[ -S '$sock' ] || ! kill -0 $pid" 30 || ! kill -0 "$pid" 2>/dev/null; then
        tail -n 20 "$log" >&2
        fail "lamina-switchd did not start${run:+ in namespace $netns}"
    fi
    info "lamina-switchd pid $pid on $sock"
}

start_switchd() {
    lt_switchd_spawn - "$LT_SOCK" "$LT_STATE" "$LT_DIR/switchd.log" "$@"
    LT_SWITCHD_PID=$LT_LAST_PID
}

stop_switchd() {
    [ -n "$LT_SWITCHD_PID" ] || return 0
    lt_stop_pid "$LT_SWITCHD_PID" "${1:-TERM}"
    LT_SWITCHD_PID=""
}

lamina() {
    "$LT_BUILD/cli/lamina" --socket "$LT_SOCK" "$@"
}

# tmpfs_add DIR SIZE: mounts a tmpfs of SIZE (e.g. 64k) on DIR (made under
# $LT_DIR if missing), unmounted at cleanup: a disk that can be filled or
# made read-only without touching the machine's own.
tmpfs_add() {
    mkdir -p "$1" || fail "mkdir $1"
    mount -t tmpfs -o "size=$2,mode=0750" "lt$$-tmpfs" "$1" || skip "cannot mount a tmpfs on $1"
    LT_MOUNTS+=("$1")
}

# ---------------------------------------------------------------- evidence

capture_start() {
    local where=$1 ifn=$2 file=$3 cmd=() pid
    if [ "$where" = - ]; then
        cmd=(tcpdump)
    else
        cmd=(ip netns exec "$(ns "$where")" tcpdump)
    fi
    # -Z root: Debian's tcpdump would otherwise write as user tcpdump.
    # --immediate-mode: hand each packet over at once, so that what was
    # received before capture_stop is in the file (TPACKET_V3 blocks
    # otherwise hold packets back until they fill or time out).
    "${cmd[@]}" -U --immediate-mode -n -Z root -i "$ifn" -w "$file" 2>"$file.log" &
    pid=$!
    LT_PIDS+=("$pid")
    LT_CAPTURES+=("$pid $file")
    wait_for "grep -q 'listening on' '$file.log'" 10 ||
        { cat "$file.log" >&2; fail "tcpdump on $ifn did not start"; }
}

capture_stop() {
    local c pid file keep=()
    for c in "${LT_CAPTURES[@]}"; do
        pid=${c%% *}; file=${c#* }
        if [ -z "${1:-}" ] || [ "$1" = "$file" ]; then
            lt_stop_pid "$pid" INT
        else
            keep+=("$c")
        fi
    done
    LT_CAPTURES=("${keep[@]}")
}

capture_count() {
    local file=$1; shift
    tcpdump -r "$file" -n "$@" 2>/dev/null | wc -l
}

# queue_sent_bits SLICE PORT: bits the slice's queue on PORT has sent so far.
queue_sent_bits() {
    lamina --json stats queue "$1" | /usr/bin/python3 -c '
import json, sys
print(sum(q["tx_bytes"] * 8 for q in json.load(sys.stdin)["queues"] if q["port"] == sys.argv[1]))' "$2"
}

# queue_rate SLICE PORT SECONDS: the slice's rate on PORT over a window, in bit/s.
queue_rate() {
    local b0 b1 t0 t1
    b0=$(queue_sent_bits "$1" "$2"); t0=$(date +%s.%N)
    sleep "$3"
    b1=$(queue_sent_bits "$1" "$2"); t1=$(date +%s.%N)
    /usr/bin/python3 -c "print(int(($b1 - $b0) / ($t1 - $t0)))"
}

json_get() {
    /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in filter(None, sys.argv[1].split(".")):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

# ---- TLS test certificates, all in $PKI ($LT_DIR/pki): nothing elsewhere.
# pki_ca NAME: a self-signed CA NAME-key.pem / NAME-cert.pem.
pki_ca() {
    PKI=${PKI:-$LT_DIR/pki}
    mkdir -p "$PKI"
    export RANDFILE=$PKI/.rnd
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lamina test $1" \
        -keyout "$PKI/$1-key.pem" -out "$PKI/$1-cert.pem" 2>"$PKI/$1.log" ||
        { cat "$PKI/$1.log" >&2; fail "openssl: CA $1"; }
}

# pki_cert NAME CA SERIAL: NAME-key.pem / NAME-cert.pem signed by CA.
pki_cert() {
    openssl req -newkey rsa:2048 -nodes -subj "/CN=lamina test $1" \
        -keyout "$PKI/$1-key.pem" -out "$PKI/$1.csr" 2>"$PKI/$1.log" &&
    openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2-cert.pem" -CAkey "$PKI/$2-key.pem" \
        -set_serial "$3" -days 2 -out "$PKI/$1-cert.pem" 2>>"$PKI/$1.log" ||
        { cat "$PKI/$1.log" >&2; fail "openssl: certificate $1"; }
}

# pki_ovs_args NAME: the Open vSwitch tools' options for NAME's identity
# (CA: ca).
pki_ovs_args() {
    echo "--private-key=$PKI/$1-key.pem --certificate=$PKI/$1-cert.pem --ca-cert=$PKI/ca-cert.pem"
}

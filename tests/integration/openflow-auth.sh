#!/bin/bash
# openflow-auth (issue 10, items 1-2): no one but root and the holder of a
# vnode's secret controls it.
#   - The management socket is root's: mode 0660, and a non-root user
#     (nobody) is refused with "Permission denied".
#   - A vnode's ptcp: listener needs a "secret" (or "open": true); beyond
#     loopback it needs "open"; creating one otherwise is refused.
#   - A peer that does not present the secret (a non-root user here) gets
#     nothing: its FLOW_MOD is not applied, its flow-stats request is not
#     answered; a wrong secret is answered HELLO_FAILED/EPERM and closed,
#     counted and logged once per source address.
#   - A peer that presents it (even after its first requests: they are
#     held, then handled) adds and dumps flows.
#   - `lamina switch config` shows the secret as "(set)".
. "$(dirname "$0")/lib.sh"
lt_init openflow-auth 90

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
SECRET="red-$$-s3cret"
# The test's directory is traversable, so the socket's own mode is what
# refuses a non-root user; the client is copied where nobody can read it.
chmod 711 "$LT_DIR"
install -m 0644 "$LT_LIB_DIR/of-auth-client.py" "$LT_DIR/of-auth-client.py"
client() { /usr/bin/python3 "$LT_DIR/of-auth-client.py" "$@"; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
lamina slice add red >/dev/null || fail "slice add"

# ---- The management socket ------------------------------------------------
mode=$(stat -c '%a %U' "$LT_SOCK")
[ "$mode" = "660 root" ] || fail "management socket: mode/owner $mode (want 660 root)"
out=$(as_nobody "$LT_BUILD/cli/lamina" --socket "$LT_SOCK" switch list 2>&1) &&
    fail "a non-root user was answered on the management socket: $out"
echo "$out" | grep -qi "permission denied" || fail "non-root user: not 'Permission denied': $out"
info "non-root user on the management socket: $out"

# ---- Listeners that are refused ---------------------------------------------
expect_refused() {
    local config=$1 want=$2 out
    out=$(lamina vnode add red s1 --fp openflow --config "$config" 2>&1) &&
        fail "vnode with $config was created"
    echo "$out" | grep -q "$want" || fail "vnode with $config: '$out' does not say '$want'"
}
expect_refused "{\"listen\": \"ptcp:$PORT:127.0.0.1\"}" '"secret"'
expect_refused "{\"listen\": \"ptcp:$PORT:0.0.0.0\", \"secret\": \"$SECRET\"}" "beyond loopback"
expect_refused "{\"listen\": \"ptcp:$PORT\", \"secret\": \"two words\"}" "printable"
expect_refused "{\"listen\": \"ptcp:$PORT\", \"open\": \"yes\"}" "true or false"
lamina vnode list 2>/dev/null | grep -q "s1" && fail "a refused vnode exists: $(lamina vnode list)"

# ---- The vnode with a secret ------------------------------------------------
lamina vnode add red s1 --fp openflow \
    --config "{\"listen\": \"ptcp:$PORT:127.0.0.1\", \"secret\": \"$SECRET\", \"datapath_id\": \"0xabc\"}" \
    >/dev/null || fail "vnode add (openflow, secret)"
wait_for "ss -Hltn 'sport = :$PORT' | grep -q 127.0.0.1" 10 || fail "the vnode does not listen on $PORT"
# The configuration answered does not show the secret; the state file keeps it.
lamina --json switch config | grep -q "$SECRET" && fail "switch config shows the vnode's secret"
lamina --json switch config | grep -q '"secret": "(set)"' || fail "switch config: no \"(set)\" secret"
grep -q "$SECRET" "$LT_STATE" || fail "the state file lost the vnode's secret"

# A non-root user without the secret: nothing answered, nothing applied.
r=$(as_nobody /usr/bin/python3 "$LT_DIR/of-auth-client.py" connect "$PORT" --priority 77 --wait 1.5) ||
    fail "client (nobody): $r"
info "no secret (nobody): $r"
echo "$r" | grep -q '"flow_priorities": \[\]' || fail "flows dumped without the secret: $r"
echo "$r" | grep -q '"types": \[0\]' || fail "something but HELLO answered without the secret: $r"
# A wrong secret: HELLO_FAILED (0) / EPERM (1), closed.
for i in 1 2 3; do
    r=$(client connect "$PORT" --priority 78 --secret "wrong-$i" --wait 3) || fail "client: $r"
    echo "$r" | grep -q '"errors": \[\[0, 1\]\]' || fail "wrong secret not answered HELLO_FAILED/EPERM: $r"
    echo "$r" | grep -q '"closed": true' || fail "wrong secret: connection not closed: $r"
    echo "$r" | grep -q '"flow_priorities": \[\]' || fail "flows dumped with a wrong secret: $r"
done
info "wrong secret: $r"
n=$(grep -c "refused: wrong secret" "$LT_DIR/switchd.log")
[ "$n" -eq 1 ] || fail "refusals from one source logged $n times (want once)"
grep -q "refused: wrong secret (3 refused so far" "$LT_DIR/switchd.log" ||
    grep -q "refused so far" "$LT_DIR/switchd.log" || fail "refusals not counted"

# The secret, presented after the requests (held, then handled): the flow
# is added and dumped; flows of the refused peers are not there.
r=$(client connect "$PORT" --priority 88 --secret "$SECRET" --secret-at last --wait 2) ||
    fail "client: $r"
info "secret presented last: $r"
echo "$r" | grep -q '"echo_replies": 1' || fail "credential not answered: $r"
echo "$r" | grep -q '"flow_priorities": \[88\]' || fail "flow dump with the secret: $r"
# And first, as a controller would: both flows, none of the refused ones.
r=$(client connect "$PORT" --priority 89 --secret "$SECRET" --wait 2) || fail "client: $r"
info "secret presented first: $r"
echo "$r" | grep -q '"errors": \[\]' || fail "errors with the secret: $r"
prios=$(echo "$r" | sed -n 's/.*"flow_priorities": \[\([0-9, ]*\)\].*/\1/p' | tr -d ' ')
case ",$prios," in
    *,77,*|*,78,*) fail "a refused peer's flow was applied: $prios" ;;
esac
[ "$(echo "$prios" | tr ',' '\n' | sort -n | tr '\n' ' ')" = "88 89 " ] ||
    fail "flows with the secret: $prios (want 88 and 89)"

# A peer that never presents it is closed after the timeout (10 s).
as_nobody /usr/bin/python3 "$LT_DIR/of-auth-client.py" connect "$PORT" --priority 79 --wait 13 \
    >"$LT_DIR/silent.out" 2>&1
grep -q '"closed": true' "$LT_DIR/silent.out" || fail "a silent peer is kept: $(cat "$LT_DIR/silent.out")"

# ---- An open vnode is said to be open --------------------------------------
lamina vnode del red s1 >/dev/null || fail "vnode del"
lamina vnode add red s1 --fp openflow \
    --config "{\"listen\": \"ptcp:$PORT:127.0.0.1\", \"open\": true}" >/dev/null ||
    fail "vnode add (open)"
wait_for "grep -q 'is open: whoever reaches it' '$LT_DIR/switchd.log'" 5 ||
    fail "an open listener is not logged as a warning"
pass

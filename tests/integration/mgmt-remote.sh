#!/bin/bash
# mgmt-remote: lamina-switchd's JSON-RPC service on TCP (--mgmt-listen),
# and lamina-slicer's (a slice added, a wrong token refused),
# only with mutual TLS and a token.  `lamina --connect HOST:PORT` with the
# CA, a client certificate and the token reads and changes the switch;
# refused: no token, a wrong token, plaintext, a server certificate from
# another CA, a client certificate from another CA; a raw TLS client that
# skips the token gets no answer but the refusal.  The daemon refuses to
# start a TCP listener without TLS or without a token, and a token file
# others may read.  The token never appears in the log.
. "$(dirname "$0")/lib.sh"
lt_init mgmt-remote 90

command -v openssl >/dev/null || skip "openssl is not installed"
pki_ca ca
pki_cert server ca 1
pki_cert client ca 2
pki_ca other
pki_cert rogue other 3
TOKEN=$(openssl rand -hex 20)
echo "$TOKEN" >"$LT_DIR/token"
chmod 600 "$LT_DIR/token"
echo "not-the-token-0123456789" >"$LT_DIR/wrong"
chmod 600 "$LT_DIR/wrong"
SWITCHD=$LT_BUILD/vswitch/lamina-switchd
MP=$(lt_free_port)
TLS=(--mgmt-cert "$PKI/server-cert.pem" --mgmt-key "$PKI/server-key.pem" --mgmt-ca "$PKI/ca-cert.pem")

# ---- Startup refused without TLS or without a token (before DPDK starts).
refused() {  # WANT-IN-MESSAGE ARGS...
    local want=$1 out
    shift
    out=$(timeout 20 "$SWITCHD" --socket "$LT_DIR/bad.sock" --state "$LT_DIR/bad.state" "$@" 2>&1) &&
        fail "lamina-switchd started with $*"
    echo "$out" | grep -qF "$want" || fail "refusal of $* does not say \"$want\": $out"
}
refused "without TLS and a token (missing: token file)" --mgmt-listen "127.0.0.1:$MP" "${TLS[@]}"
refused "(missing: certificate private key CA certificate )" --mgmt-listen "127.0.0.1:$MP" \
    --mgmt-token-file "$LT_DIR/token"
refused "without an address to listen on" --mgmt-token-file "$LT_DIR/token"
[ -e "$LT_DIR/bad.sock" ] && fail "a refused daemon made its socket"

# ---- The daemon with its management listener.
start_switchd --mgmt-listen "127.0.0.1:$MP" "${TLS[@]}" --mgmt-token-file "$LT_DIR/token"
wait_for "grep -q 'listening on 127.0.0.1:$MP' '$LT_DIR/switchd.log'" 10 ||
    fail "no management listener: $(tail -3 "$LT_DIR/switchd.log")"
lamina switch add s1 || fail "switch add s1 (local)"
CLIENT=(--connect "127.0.0.1:$MP" --ca-cert "$PKI/ca-cert.pem" --cert "$PKI/client-cert.pem"
        --key "$PKI/client-key.pem")
L=$LT_BUILD/cli/lamina

# TLS and the token: read and change.
out=$("$L" "${CLIENT[@]}" --token-file "$LT_DIR/token" --json switch list 2>&1) ||
    fail "remote switch list: $out"
echo "$out" | grep -q '"s1"' || fail "remote switch list: $out"
"$L" "${CLIENT[@]}" --token-file "$LT_DIR/token" switch add s2 || fail "remote switch add s2"
lamina --json switch list | grep -q '"s2"' || fail "the remote change is not there"
# The same from the environment.
out=$(LAMINA_CONNECT=127.0.0.1:$MP LAMINA_CA_CERT=$PKI/ca-cert.pem LAMINA_CERT=$PKI/client-cert.pem \
      LAMINA_KEY=$PKI/client-key.pem LAMINA_MGMT_TOKEN=$TOKEN "$L" --json switch list 2>&1) ||
    fail "remote switch list (env): $out"
echo "$out" | grep -q '"s2"' || fail "remote switch list (env): $out"

# Refusals.
bad() {  # WANT-IN-MESSAGE ARGS...
    local want=$1 out
    shift
    out=$("$L" "$@" switch add s9 2>&1) && fail "accepted: $*"
    echo "$out" | grep -qiF "$want" || fail "refusal of $* does not say \"$want\": $out"
}
bad "needs a token" "${CLIENT[@]}"
bad "wrong or missing token" "${CLIENT[@]}" --token-file "$LT_DIR/wrong"
bad "TLS handshake failed: peer certificate" --connect "127.0.0.1:$MP" --ca-cert "$PKI/other-cert.pem" \
    --cert "$PKI/client-cert.pem" --key "$PKI/client-key.pem" --token-file "$LT_DIR/token"
bad "cannot reach" --connect "127.0.0.1:$MP" --ca-cert "$PKI/ca-cert.pem" \
    --cert "$PKI/rogue-cert.pem" --key "$PKI/rogue-key.pem" --token-file "$LT_DIR/token"
grep -q "TLS handshake failed" "$LT_DIR/switchd.log" || fail "the rogue client's handshake is not refused"
lamina --json switch list | grep -q '"s9"' && fail "a refused client added s9"

# A TLS client that skips the token: its request is answered by the refusal.
REQ='{"jsonrpc": "2.0", "id": 1, "method": "switch.list"}'
out=$( (echo "$REQ"; sleep 2) | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$MP" \
    -CAfile "$PKI/ca-cert.pem" -cert "$PKI/client-cert.pem" -key "$PKI/client-key.pem" 2>/dev/null)
echo "$out" | grep -q "wrong or missing token" || fail "no refusal for a request without the token: $out"
echo "$out" | grep -q '"s1"' && fail "a request without the token was answered"
# Plaintext: no TLS handshake, nothing answered.
out=$(python3 - "$MP" "$REQ" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
try:
    while len(data) < 65536:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except (socket.timeout, ConnectionResetError):
    pass
print(data.decode("latin-1"))
PY
)
echo "$out" | grep -q '"result"' && fail "a plaintext request was answered: $out"
grep -qF "$TOKEN" "$LT_DIR/switchd.log" && fail "the token appears in the log"
grep -q "wrong token, refused" "$LT_DIR/switchd.log" || fail "the refusal is not logged"

# lamina-slicer's management socket is served the same way.
SLICER=$LT_BUILD/slicer/lamina-slicer
MP2=$(lt_free_port)
bg_start "$SLICER" --socket "$LT_DIR/slicer.sock" --state "$LT_DIR/slicer.state" \
    --listen "ptcp:$(lt_free_port):127.0.0.1" --switches-open --mgmt-listen "127.0.0.1:$MP2" \
    "${TLS[@]}" --mgmt-token-file "$LT_DIR/token" 2>>"$LT_DIR/slicer.log"
wait_for "grep -q 'listening on 127.0.0.1:$MP2' '$LT_DIR/slicer.log'" 10 ||
    fail "no slicer management listener: $(tail -3 "$LT_DIR/slicer.log")"
CLIENT2=(--connect "127.0.0.1:$MP2" "${CLIENT[@]:2}")
"$L" slicer "${CLIENT2[@]}" --token-file "$LT_DIR/token" slice add blue --switch 1:1 \
    --controller "tcp:127.0.0.1:$(lt_free_port)" --open >"$LT_DIR/sa.out" 2>&1 || fail "remote slicer slice add: $(cat "$LT_DIR/sa.out")"
"$L" slicer --socket "$LT_DIR/slicer.sock" --json slice list | grep -q '"blue"' ||
    fail "the remote slice is not in the slicer"
out=$("$L" slicer "${CLIENT2[@]}" --token-file "$LT_DIR/wrong" slice list 2>&1) &&
    fail "the slicer answered a wrong token"
echo "$out" | grep -q "wrong or missing token" || fail "slicer refusal: $out"
out=$(timeout 10 "$SLICER" --socket "$LT_DIR/s2.sock" --mgmt-listen "127.0.0.1:$MP2" \
      --mgmt-token-file "$LT_DIR/token" 2>&1) && fail "lamina-slicer started without TLS"
echo "$out" | grep -q "without TLS and a token" || fail "slicer startup refusal: $out"

# A token file others may read is refused at start.
stop_switchd
chmod 644 "$LT_DIR/token"
bg_start "$SWITCHD" --socket "$LT_DIR/b2.sock" --state "$LT_DIR/b2.state" --mgmt-listen "127.0.0.1:$MP" \
    "${TLS[@]}" --mgmt-token-file "$LT_DIR/token" -- -l 0-1 --no-pci --file-prefix "${LT_PREFIX}b2" \
    --no-huge -m 256 2>"$LT_DIR/b2.log"
LT_DPDK_PREFIXES+=("${LT_PREFIX}b2")
wait_for "! kill -0 $LT_LAST_PID 2>/dev/null" 30 || fail "lamina-switchd ran with a readable token file"
grep -q "readable by others" "$LT_DIR/b2.log" || fail "readable token file not named: $(tail -3 "$LT_DIR/b2.log")"
pass "remote management only with TLS and the token"

#!/bin/bash
# state-durable: no acknowledged change is lost, and no unsaved change is
# acknowledged.  The state files of lamina-switchd and lamina-slicer live on
# a small tmpfs of the test's own; when it is full or read-only, a change
# is refused with an error that names the file and the cause, the change
# is not applied (the object is not listed), and after a kill -9 and a
# restart exactly the acknowledged changes are there.
. "$(dirname "$0")/lib.sh"
lt_init state-durable 120

MNT=$LT_DIR/state
tmpfs_add "$MNT" 64k
LT_STATE=$MNT/switchd.state

fill_disk() { dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null; sync; }
free_disk() { rm -f "$MNT/filler"; }

# expect_unsaved WHAT CAUSE CMD…: CMD fails saying the state could not be
# saved, naming the state file and CAUSE.
expect_unsaved() {
    local what=$1 cause=$2 out
    shift 2
    if out=$("$@" 2>&1); then
        fail "$what was acknowledged although it could not be saved: $out"
    fi
    info "$what: $out"
    case $out in
        *"could not be saved"*) ;;
        *) fail "$what: the error does not say the state could not be saved: $out" ;;
    esac
    case $out in
        *"$MNT/"*"$cause"*) ;;
        *) fail "$what: the error does not name the file and '$cause': $out" ;;
    esac
}

# ---- lamina-switchd ----------------------------------------------------
start_switchd
lamina switch add s1 || fail "switch add s1"
lamina port add s1 p1 net_null0 --rate 100M || fail "port add p1"
lamina slice add red --guarantee 1M || fail "slice add red"
lamina vnode add red s1 || fail "vnode add red s1"
lamina vport add red s1 v1 p1 || fail "vport add"
acked=$(lamina --json switch config)

info "the disk is full"
fill_disk
expect_unsaved "slice add blue" "No space left on device" lamina slice add blue
lamina slice list | grep -qw blue && fail "slice blue is present although refused"
expect_unsaved "slice del red" "No space left on device" lamina slice del red
lamina slice list | grep -qw red || fail "slice red is gone although its deletion was refused"
lamina vport list | grep -qw v1 || fail "red's vport is gone after the undone deletion"
expect_unsaved "slice set red" "No space left on device" lamina slice set red --guarantee 5M
expect_unsaved "port set --down" "No space left on device" lamina port set s1 p1 --down
expect_unsaved "port add p2" "No space left on device" lamina port add s1 p2 net_null1
[ "$(lamina --json switch config)" = "$acked" ] ||
    fail "the running configuration differs from the acknowledged one after refused changes"
free_disk

info "the disk is read-only"
mount -o remount,ro "$MNT" || fail "remount ro"
expect_unsaved "slice add green" "Read-only file system" lamina slice add green
lamina slice list | grep -qw green && fail "slice green is present although refused"
mount -o remount,rw "$MNT" || fail "remount rw"

lamina slice add green || fail "slice add green with room on the disk"
lamina slice list | grep -qw green || fail "slice green missing"
acked=$(lamina --json switch config)
errors=$(lamina --json switch version | json_get state_save_errors)
[ "$errors" = 6 ] || fail "daemon.version counts $errors failed saves, expected 6"

stop_switchd KILL
info "lamina-switchd killed"
start_switchd
[ "$(lamina --json switch config)" = "$acked" ] ||
    fail "after the restart the configuration is not exactly the acknowledged one"
lamina slice list | grep -qw blue && fail "slice blue came back after the restart"
stop_switchd TERM

# ---- lamina-slicer -----------------------------------------------------
SLICER_EXE=$LT_BUILD/slicer/lamina-slicer
[ -x "$SLICER_EXE" ] || pass "switchd part (lamina-slicer is not built)"
SLICER_SOCK=$LT_DIR/slicer.sock
# No switch connects: the slicer's listener only has to be free.
SLICER_LISTEN=ptcp:$((30000 + $$ % 20000)):127.0.0.1
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }
start_slicer() {
    rm -f "$SLICER_SOCK"
    bg_start "$SLICER_EXE" --socket "$SLICER_SOCK" --state "$MNT/slicer.state" \
        --listen "$SLICER_LISTEN" --switches-open >>"$LT_DIR/slicer.log" 2>&1
    SLICER_PID=$LT_LAST_PID
    wait_for "[ -S '$SLICER_SOCK' ] || ! kill -0 $SLICER_PID" 20
    kill -0 "$SLICER_PID" 2>/dev/null || { cat "$LT_DIR/slicer.log" >&2; fail "lamina-slicer did not start"; }
}
start_slicer
slicer slice add red --controller tcp:127.0.0.1:6633 --switch 0xa:1,2 --open >/dev/null ||
    fail "slicer slice add red"
slicer flowspace add red-ip red ipv4_src=10.1.0.0/24 >/dev/null || fail "flowspace red-ip"

fill_disk
expect_unsaved "slicer slice add blue" "No space left on device" \
    slicer slice add blue --controller tcp:127.0.0.1:6634 --switch 0xa:3 --open
slicer slice list | grep -q "name=blue" && fail "slicer: slice blue is present although refused"
expect_unsaved "slicer slice del red" "No space left on device" slicer slice del red
slicer slice list | grep -q "name=red" || fail "slicer: slice red is gone although refused"
slicer flowspace list | grep -q "red-ip" || fail "slicer: red's flowspace is gone after the undone deletion"
free_disk

slicer flowspace add red-arp red arp_spa=10.1.0.0/24 >/dev/null || fail "flowspace red-arp"
lt_stop_pid "$SLICER_PID" KILL
start_slicer
[ "$(slicer slice list | grep -c name=)" -eq 1 ] || fail "slicer: not exactly the acknowledged slice after the restart"
slicer slice list | grep -q "name=red" || fail "slicer: red not restored"
[ "$(slicer flowspace list | grep -c 'red-')" -eq 2 ] || fail "slicer: not exactly the acknowledged flowspace after the restart"
pass

#!/usr/bin/env bash
# Kernel interop for the userspace TCP: the `tcp_tun` example runs a wirestate
# endpoint on a TUN device inside a network namespace made for this run, and
# the Linux kernel's own TCP (Python sockets in the same namespace) talks to
# it. All traffic stays inside that namespace.
#
#   1. kernel client -> userspace --echo listener, SIZE_MB each way
#   2. userspace --connect -> kernel echo server, SIZE_MB each way
#   3. a kernel client reading SIZE_MB from a userspace --source listener,
#      which closes first
#   4. and 5. 1 and 2 with loss, delay, reordering and duplication injected
#      by the example, IMPAIRED_MB each way, after which the kernel must
#      have received D-SACK blocks for the duplicated segments and the
#      userspace endpoint must have undone spurious congestion responses
#   6. 2 impaired again with the userspace endpoint's timestamps off: it
#      must still undo spurious fast retransmits, now from the kernel's
#      D-SACK blocks alone (RFC 3708)
#
# Every transfer is checked with sha256. Needs root and /dev/net/tun;
# otherwise it says SKIP and exits 0.
#
# Environment: SIZE_MB (default 64), IMPAIRED_MB (default 8),
# IMPAIR (default "--loss 0.01 --delay 5 --reorder 0.02 --duplicate 0.005"),
# KEEP_LOGS=1 keeps the work directory.
set -euo pipefail

if [[ "$(id -u)" != 0 || ! -c /dev/net/tun ]]; then
    echo "SKIP: kernel TCP interop needs root and /dev/net/tun (uid $(id -u); $(ls -l /dev/net/tun 2>&1 | head -1))"
    exit 0
fi
for tool in ip python3 sha256sum timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: kernel TCP interop needs $tool"
        exit 0
    fi
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZE_MB="${SIZE_MB:-64}"
IMPAIRED_MB="${IMPAIRED_MB:-8}"
IMPAIR="${IMPAIR:---loss 0.01 --delay 5 --reorder 0.02 --duplicate 0.005}"
NS="wst-tcp-$$-$RANDOM"
DEV=wst0
KERNEL_IP=10.77.0.1
USER_IP=10.77.0.2
KERNEL_IP6=fd77::1
USER_IP6=fd77::2
V6_MB="${V6_MB:-16}"
WORK="$(mktemp -d -t tcp-kernel.XXXXXX)"
PIDS=()

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    ip netns del "$NS" 2>/dev/null || true
    if [[ "${KEEP_LOGS:-0}" == 1 || $status != 0 ]]; then
        echo "tcp-kernel: logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$ROOT"
echo "tcp-kernel: building tcp_tun"
timeout 900 cargo build --release -q -p wirestate --features sim --example tcp_tun
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
TUN_BIN="$TARGET_DIR/release/examples/tcp_tun"
PEER="$ROOT/tests/tcp_kernel/peer.py"

timeout 10 ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
timeout 10 ip netns exec "$NS" ip link set lo up
timeout 10 ip netns exec "$NS" ip tuntap add dev "$DEV" mode tun
timeout 10 ip netns exec "$NS" ip addr add "$KERNEL_IP/24" dev "$DEV"
# IPv6 too; nodad: the address is usable at once, no duplicate detection.
timeout 10 ip netns exec "$NS" ip -6 addr add "$KERNEL_IP6/64" dev "$DEV" nodad
# A longer queue than the default 500 packets: the kernel sends bursts of
# a whole window, and tail drops there would mix with the impairments.
timeout 10 ip netns exec "$NS" ip link set "$DEV" txqueuelen 5000
timeout 10 ip netns exec "$NS" ip link set "$DEV" up

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# IP:PORT, with brackets around an IPv6 address.
hostport() { # ip port
    if [[ $1 == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi
}

make_input() { # name megabytes
    head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$WORK/$1"
    sha256sum "$WORK/$1" | cut -d' ' -f1
}

# Waits for a background process, at most $2 seconds more.
wait_bounded() { # pid seconds
    local pid=$1 left=$(($2 * 10))
    while kill -0 "$pid" 2>/dev/null && ((left > 0)); do
        sleep 0.1
        left=$((left - 1))
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid"
}

# A kernel client sends NAME to the userspace echo listener.
kernel_to_user() { # label input-name megabytes port limit extra-args...
    local label=$1 input=$2 mb=$3 port=$4 limit=$5
    shift 5
    local want
    want="$(make_input "$input" "$mb")"
    in_ns timeout "$limit" "$TUN_BIN" --dev "$DEV" --listen "$(hostport "$USER_IP" "$port")" --echo --count 1 \
        --time-limit "$limit" "$@" >"$WORK/$label.tun.out" 2>"$WORK/$label.tun.err" &
    local tun_pid=$!
    PIDS+=("$tun_pid")
    sleep 0.3
    local result status=0
    result="$(in_ns timeout "$limit" python3 "$PEER" client "$USER_IP" "$port" "$WORK/$input" \
        2>"$WORK/$label.peer.err")" || status=$?
    local tun_status=0
    wait_bounded "$tun_pid" 10 || tun_status=$?
    local got bytes secs
    read -r got bytes secs <<<"${result:-x 0 0}"
    cat "$WORK/$label.tun.out"
    if ((status == 0 && tun_status == 0)) && [[ "$got" == "$want" ]]; then
        pass "$label: $mb MiB each way, echo sha256 matches, $secs s" \
            "($(python3 -c "print(f'{$bytes/1048576/max($secs,1e-9):.1f}')") MiB/s each way)"
    else
        fail "$label: client status $status, tcp_tun status $tun_status, echo sha256 $got, want $want"
        tail -n 20 "$WORK/$label.peer.err" "$WORK/$label.tun.err" || true
    fi
}

# The userspace endpoint sends NAME to a kernel echo server.
user_to_kernel() { # label input-name megabytes port limit extra-args...
    local label=$1 input=$2 mb=$3 port=$4 limit=$5
    shift 5
    local want
    want="$(make_input "$input" "$mb")"
    in_ns timeout "$limit" python3 "$PEER" echo-server "$KERNEL_IP" "$port" "$WORK/$label.kernel.sum" \
        >"$WORK/$label.peer.out" 2>"$WORK/$label.peer.err" &
    local peer_pid=$!
    PIDS+=("$peer_pid")
    local tries=50
    while [[ ! -s "$WORK/$label.peer.out" ]] && ((tries-- > 0)); do sleep 0.1; done
    local status=0 start end
    start=$(date +%s.%N)
    in_ns timeout "$limit" "$TUN_BIN" --dev "$DEV" --connect "$(hostport "$KERNEL_IP" "$port")" --local "$USER_IP" --file "$WORK/$input" \
        --output "$WORK/$label.back" --verify-echo --time-limit "$limit" "$@" \
        >"$WORK/$label.tun.out" 2>"$WORK/$label.tun.err" || status=$?
    end=$(date +%s.%N)
    local peer_status=0
    wait_bounded "$peer_pid" 10 || peer_status=$?
    local kernel_got back_got
    kernel_got="$(cut -d' ' -f1 "$WORK/$label.kernel.sum" 2>/dev/null || echo none)"
    back_got="$(sha256sum "$WORK/$label.back" 2>/dev/null | cut -d' ' -f1 || echo none)"
    cat "$WORK/$label.tun.out"
    local secs
    secs="$(python3 -c "print(f'{$end-$start:.3f}')")"
    if ((status == 0 && peer_status == 0)) && [[ "$kernel_got" == "$want" && "$back_got" == "$want" ]]; then
        pass "$label: $mb MiB each way, kernel and echo sha256 match, $secs s" \
            "($(python3 -c "print(f'{$mb/max($secs,1e-9):.1f}')") MiB/s each way, TIME-WAIT included)"
    else
        fail "$label: tcp_tun status $status, server status $peer_status," \
            "kernel got $kernel_got, echo $back_got, want $want"
        tail -n 20 "$WORK/$label.peer.err" "$WORK/$label.tun.err" || true
    fi
    rm -f "$WORK/$label.back"
}

# A kernel client reads what the userspace listener's --source sends; the
# listener closes first.
kernel_reads_source() { # label megabytes port limit
    local label=$1 mb=$2 port=$3 limit=$4
    local n=$(($2 * 1024 * 1024))
    in_ns timeout "$limit" "$TUN_BIN" --dev "$DEV" --listen "$(hostport "$USER_IP" "$port")" --source "$n" --count 1 \
        --time-limit "$limit" >"$WORK/$label.tun.out" 2>"$WORK/$label.tun.err" &
    local tun_pid=$!
    PIDS+=("$tun_pid")
    sleep 0.3
    local result status=0
    result="$(in_ns timeout "$limit" python3 "$PEER" sink "$USER_IP" "$port" "$n" \
        2>"$WORK/$label.peer.err")" || status=$?
    local tun_status=0
    wait_bounded "$tun_pid" 10 || tun_status=$?
    local got bytes secs want
    read -r got bytes secs want <<<"${result:-x 0 0 y}"
    cat "$WORK/$label.tun.out"
    if ((status == 0 && tun_status == 0)) && [[ "$got" == "$want" && "$bytes" == "$n" ]]; then
        pass "$label: $mb MiB, sha256 matches, $secs s" \
            "($(python3 -c "print(f'{$bytes/1048576/max($secs,1e-9):.1f}')") MiB/s)"
    else
        fail "$label: client status $status, tcp_tun status $tun_status, $bytes bytes, sha256 $got, want $want"
        tail -n 20 "$WORK/$label.peer.err" "$WORK/$label.tun.err" || true
    fi
}

# A TcpExt counter of the namespace's kernel TCP, from /proc/net/netstat
# (name lines and value lines in pairs).
tcpext() { # name
    in_ns python3 -c '
import sys
lines = open("/proc/net/netstat").read().splitlines()
for names, values in zip(lines[0::2], lines[1::2]):
    if names.startswith("TcpExt:"):
        print(dict(zip(names.split()[1:], values.split()[1:])).get(sys.argv[1], 0))
' "$1"
}

# shellcheck disable=SC2086 # IMPAIR is a list of flags
{
    kernel_to_user kernel-client-to-userspace-echo in-a "$SIZE_MB" 7 240
    user_to_kernel userspace-client-to-kernel-echo in-b "$SIZE_MB" 5001 240
    kernel_reads_source kernel-client-reads-userspace-source "$SIZE_MB" 19 240
    dsack_before="$(tcpext TCPDSACKRecv)"
    undo_before="$(tcpext TCPDSACKUndo)"
    kernel_to_user impaired-kernel-client in-c "$IMPAIRED_MB" 7 240 $IMPAIR --seed 7
    user_to_kernel impaired-userspace-client in-d "$IMPAIRED_MB" 5002 240 $IMPAIR --seed 11
    # The path duplicates segments both ways: the kernel must have read
    # D-SACK blocks (RFC 2883) from the userspace endpoint for the copies of
    # its data that arrived twice.
    dsack=$(($(tcpext TCPDSACKRecv) - dsack_before))
    undo=$(($(tcpext TCPDSACKUndo) - undo_before))
    if ((dsack > 0)); then
        pass "impaired runs: the kernel received $dsack D-SACK blocks from the userspace endpoint" \
            "and undid $undo congestion responses with them"
    else
        fail "impaired runs: the kernel received no D-SACK block from the userspace endpoint"
    fi
    # The path reorders segments too: some of the userspace endpoint's fast
    # retransmits are spurious, and the kernel's timestamp echoes must have
    # let it undo them (Eifel detection).
    undone="$(cat "$WORK"/impaired-*.tun.out | grep -o '[0-9]* responses undone' | awk '{s += $1} END {print s + 0}')"
    if ((undone > 0)); then
        pass "impaired runs: the userspace endpoint undid $undone spurious congestion responses"
    else
        fail "impaired runs: the userspace endpoint undid no congestion response"
    fi
    # For the record (not a check: it depends on which copies the path
    # drops): retransmissions the userspace endpoint found lost from the
    # kernel's SACKs of later data, instead of waiting for the timer.
    relost="$(cat "$WORK"/impaired-*.tun.out | grep -o '[0-9]* lost retransmissions' | awk '{s += $1} END {print s + 0}')"
    echo "tcp-kernel: impaired runs: the userspace endpoint found $relost lost retransmissions from SACKs"
    # Without timestamps the echo says nothing about which copy arrived:
    # the undos can only come from the kernel's D-SACK blocks.
    user_to_kernel impaired-no-timestamps in-g "$IMPAIRED_MB" 5004 240 $IMPAIR --seed 13 --no-timestamps
    undone="$(grep -o '[0-9]* responses undone' "$WORK/impaired-no-timestamps.tun.out" | awk '{s += $1} END {print s + 0}')"
    if ((undone > 0)); then
        pass "impaired run without timestamps: the userspace endpoint undid $undone spurious" \
            "congestion responses from the kernel's D-SACK blocks"
    else
        fail "impaired run without timestamps: the userspace endpoint undid no congestion response"
    fi
    # The same over IPv6.
    KERNEL_IP=$KERNEL_IP6 USER_IP=$USER_IP6
    kernel_to_user ipv6-kernel-client-to-userspace-echo in-e "$V6_MB" 7 240
    user_to_kernel ipv6-userspace-client-to-kernel-echo in-f "$V6_MB" 5003 240
}
rm -f "$WORK"/in-?

echo "tcp-kernel: $PASSED passed, $FAILED failed"
((FAILED == 0))

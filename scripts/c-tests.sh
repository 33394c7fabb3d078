#!/usr/bin/env bash
# The C API's tests:
#   1. builds libwirestate (release, and debug for the sanitizer run),
#   2. fails when ffi/include/wirestate.h differs from what cbindgen generates
#      (refresh: WIRESTATE_UPDATE_HEADER=1 cargo build -p wirestate-ffi),
#   3. compiles every ffi/tests/c/*.c with -std=c11 -Wall -Wextra -Werror and
#      runs it under AddressSanitizer + UndefinedBehaviorSanitizer, then under
#      valgrind (zero errors, zero leaks of any kind; test_tcp_pair moves
#      16 MiB under the sanitizers and WIRESTATE_TCP_PAIR_BYTES_VALGRIND
#      bytes, default 2 MiB, under valgrind),
#   4. links one test against libwirestate.so through the generated
#      wirestate.pc, checks the header compiles as C++, compiles examples/c
#      against the header and libwirestate.a alone, and runs
#      examples/c/tcp_pair,
#   5. prints "c: N passed, M failed" and exits non-zero on any failure.
# Honours CARGO, CC, CXX and CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
CARGO=${CARGO:-cargo}
CC=${CC:-cc}
CXX=${CXX:-c++}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
WORK=$TARGET_DIR/c-tests
mkdir -p "$WORK"

passed=0
failed=0
fail() {
    echo "c-tests: FAIL: $*" >&2
    failed=$((failed + 1))
}
pass() {
    passed=$((passed + 1))
}

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "c-tests: installing valgrind"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    else
        echo "c-tests: valgrind is missing; install it (apt-get install valgrind) and rerun" >&2
        exit 2
    fi
fi

echo "c-tests: building libwirestate (release and debug)"
"$CARGO" build -q -p wirestate-ffi --release
"$CARGO" build -q -p wirestate-ffi
REL=$TARGET_DIR/release
DBG=$TARGET_DIR/debug
VERSION=$("$CARGO" pkgid -p wirestate-ffi | sed 's/.*[#@]//')

if diff -u "$ROOT/ffi/include/wirestate.h" "$REL/include/wirestate.h" >"$WORK/header.diff"; then
    pass
else
    cat "$WORK/header.diff" >&2
    fail "ffi/include/wirestate.h is stale: run 'WIRESTATE_UPDATE_HEADER=1 cargo build -p wirestate-ffi' and commit it"
fi

CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -I "$ROOT/ffi/include" -I "$ROOT/ffi/tests/c"
    "-DWIRESTATE_EXPECTED_VERSION=\"$VERSION\"")
LIBS=(-lpthread -ldl -lm)

# Runs a test binary (with any wrapper before it) and adds its
# "N passed, M failed" line to the totals; a bad exit status counts as a failure.
run_test() {
    local name=$1
    shift
    local log=$WORK/$name.log
    local status=0
    "$@" >"$log" 2>&1 || status=$?
    local last
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
    if [ -n "$last" ]; then
        local p f
        p=${last%% passed*}
        f=${last#*, }
        f=${f%% failed*}
        passed=$((passed + p))
        failed=$((failed + f))
        echo "  $name: $last"
    else
        echo "  $name: no result line"
    fi
    if [ "$status" != 0 ]; then
        tail -n 40 "$log" >&2
        fail "$name exited with status $status (log: $log)"
    fi
}

tests=("$ROOT"/ffi/tests/c/*.c)

echo "c-tests: AddressSanitizer + UndefinedBehaviorSanitizer"
for src in "${tests[@]}"; do
    name=$(basename "$src" .c)
    bin=$WORK/$name.asan
    if "$CC" "${CFLAGS[@]}" -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer "$src" "$DBG/libwirestate.a" "${LIBS[@]}" -o "$bin"; then
        ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
            run_test "$name (asan+ubsan)" "$bin"
    else
        fail "$name does not compile"
    fi
done

echo "c-tests: valgrind"
for src in "${tests[@]}"; do
    name=$(basename "$src" .c)
    bin=$WORK/$name.plain
    if "$CC" "${CFLAGS[@]}" -O1 "$src" "$REL/libwirestate.a" "${LIBS[@]}" -o "$bin"; then
        WIRESTATE_TCP_PAIR_BYTES=${WIRESTATE_TCP_PAIR_BYTES_VALGRIND:-2097152} \
            run_test "$name (valgrind)" valgrind -q --error-exitcode=1 --leak-check=full \
            --show-leak-kinds=all --errors-for-leak-kinds=all "$bin"
    else
        fail "$name does not compile"
    fi
done

echo "c-tests: shared library through pkg-config, C++, examples"
if command -v pkg-config >/dev/null 2>&1; then
    # shellcheck disable=SC2046
    if "$CC" "${CFLAGS[@]}" "$ROOT/ffi/tests/c/test_version.c" -o "$WORK/test_version.shared" \
        $(PKG_CONFIG_PATH=$REL pkg-config --cflags --libs wirestate); then
        LD_LIBRARY_PATH=$REL run_test "test_version (libwirestate.so)" "$WORK/test_version.shared"
    else
        fail "test_version does not link against libwirestate.so through wirestate.pc"
    fi
else
    echo "  (pkg-config missing: shared-library check skipped)"
fi
if command -v "$CXX" >/dev/null 2>&1; then
    if echo '#include "wirestate.h"
int main() { wirestate_ws_config *c = nullptr; return wirestate_ws_config_new(&c) == WIRESTATE_RESULT_OK ? (wirestate_ws_config_free(c), 0) : 1; }
int tcp() { wirestate_tcp_config *c = nullptr; wirestate_tcp_event e = {}; (void)e; return wirestate_tcp_config_new(&c) == WIRESTATE_RESULT_OK ? (wirestate_tcp_config_free(c), 0) : 1; }' |
        "$CXX" -std=c++11 -Wall -Wextra -Werror -I "$ROOT/ffi/include" -x c++ - -x none \
            "$REL/libwirestate.a" "${LIBS[@]}" -o "$WORK/cxx_header" && "$WORK/cxx_header"; then
        pass
    else
        fail "wirestate.h does not compile or run as C++"
    fi
fi
for src in "$ROOT"/examples/c/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    if "$CC" -std=c11 -Wall -Wextra -Werror -O2 -I "$ROOT/ffi/include" "$src" \
        "$REL/libwirestate.a" "${LIBS[@]}" -o "$REL/$name"; then
        pass
        echo "  examples/c/$name.c -> $REL/$name"
    else
        fail "examples/c/$name.c does not compile"
    fi
done
# Examples that run by themselves (no network, no arguments).
for name in tcp_pair; do
    [ -x "$REL/$name" ] || continue
    if "$REL/$name" >"$WORK/example_$name.log" 2>&1; then
        pass
        echo "  $name ran: $(tail -n 1 "$WORK/example_$name.log")"
    else
        tail -n 20 "$WORK/example_$name.log" >&2
        fail "examples/c/$name exited with an error"
    fi
done

echo "c: $passed passed, $failed failed"
[ "$failed" = 0 ]

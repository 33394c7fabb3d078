#!/usr/bin/env bash
# Run the Autobahn|Testsuite against wirestate's WebSocket examples, both roles,
# on loopback:
#   server role: `wstest -m fuzzingclient` drives ws_echo_server
#   client role: ws_autobahn_client drives `wstest -m fuzzingserver`
# A case passes only when both its behavior and its close behavior are OK or
# INFORMATIONAL (NON-STRICT and UNIMPLEMENTED fail). Each role ends with the
# line `autobahn: N passed, M failed`; the script exits non-zero if any role
# failed, timed out, or if the suite could not be installed.
#
# The suite is Python 2 code; it is installed once into .cache/autobahn-venv
# (git-ignored) from pyenv's CPython 2.7.18, or, where that is missing, into a
# Debian bullseye chroot made with debootstrap (.cache/autobahn-chroot).
#
# Environment (all optional):
#   AUTOBAHN_CASES        comma-separated case patterns (default '*', all 517),
#                         e.g. AUTOBAHN_CASES='1.*,2.*' for a quick local run
#   AUTOBAHN_ROLES        'server client' (default), 'server' or 'client'
#   AUTOBAHN_SERVER_CMD   server under test; the address IP:PORT is appended, or
#                         replaces '{addr}' if present
#                         (default: $WIRESTATE_EXAMPLES_DIR/ws_echo_server)
#   AUTOBAHN_CLIENT_CMD   client under test; the URL ws://127.0.0.1:PORT is
#                         appended, or replaces '{url}' if present
#                         (default: $WIRESTATE_EXAMPLES_DIR/ws_autobahn_client)
#   AUTOBAHN_AGENT        agent name the client reports under (default wirestate)
#   AUTOBAHN_TIMEOUT      seconds allowed per role (default 2400)
#   AUTOBAHN_PARALLEL     1 = run both roles at once, 0 = one after the other
#                         (default: 1 when the machine has two or more cores)
#   AUTOBAHN_REPORTS      report folder (default <repo>/reports/autobahn)
#   AUTOBAHN_CACHE        install cache (default <repo>/.cache)
#   AUTOBAHN_PYTHON2      a Python 2.7 interpreter to use instead of pyenv's
#   AUTOBAHN_USE_CHROOT   1 = use the debootstrap chroot even if pyenv has 2.7
#   AUTOBAHN_DEBIAN_MIRROR  mirror for debootstrap (default: the one apt uses)
#   AUTOBAHN_INSTALL_ONLY 1 = install the suite and stop
#   WIRESTATE_EXAMPLES_DIR  where the example binaries are
#                         (default <repo>/target/release/examples)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo_root/scripts"
cache="${AUTOBAHN_CACHE:-$repo_root/.cache}"
venv="$cache/autobahn-venv"
chroot_dir="$cache/autobahn-chroot"
reports="${AUTOBAHN_REPORTS:-$repo_root/reports/autobahn}"
cases="${AUTOBAHN_CASES:-*}"
roles="${AUTOBAHN_ROLES:-server client}"
role_timeout="${AUTOBAHN_TIMEOUT:-2400}"
agent="${AUTOBAHN_AGENT:-wirestate}"
examples="${WIRESTATE_EXAMPLES_DIR:-$repo_root/target/release/examples}"
server_cmd="${AUTOBAHN_SERVER_CMD:-$examples/ws_echo_server}"
client_cmd="${AUTOBAHN_CLIENT_CMD:-$examples/ws_autobahn_client}"
constraints="$here/autobahn-constraints.txt"
wrapper="$here/interop/wstest_loopback.py"
judge="$here/interop/autobahn_report.py"
suite_version="25.10.1"

die() {
    echo "autobahn: ERROR: $*" >&2
    exit 2
}
log() { echo "autobahn: $*"; }

# ---------------------------------------------------------------- install ---

# How wstest is started: WSTEST_PY is the interpreter command (an array, so the
# chroot variant can prefix `chroot DIR`), and host_to_suite maps a host path
# to the path the suite sees.
WSTEST_PY=()
suite_root=""   # "" = suite sees host paths; else the chroot folder

host_to_suite() {
    if [[ -z "$suite_root" ]]; then
        echo "$1"
    else
        echo "${1#"$suite_root"}"
    fi
}

install_stamp() {
    # What a finished install is keyed on: the pins and the suite version.
    echo "autobahntestsuite==$suite_version $(sha256sum "$constraints" | cut -d' ' -f1)"
}

find_python2() {
    if [[ -n "${AUTOBAHN_PYTHON2:-}" ]]; then
        echo "$AUTOBAHN_PYTHON2"
        return 0
    fi
    local root candidate
    if command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"; then
        candidate="$root/versions/2.7.18/bin/python2.7"
        if [[ -x "$candidate" ]] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    fi
    return 1
}

install_with_python2() {
    local py2="$1" stamp="$venv/.autobahn.stamp" want
    want="$(install_stamp)"
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        WSTEST_PY=("$venv/bin/python")
        return 0
    fi
    log "installing Autobahn|Testsuite $suite_version with $py2 into $venv"
    rm -rf "$venv"
    mkdir -p "$cache"
    # virtualenv itself goes into a private folder of the cache (not the user's
    # site-packages); 20.21 is the last release line that makes Python 2 venvs.
    local boot="$cache/autobahn-bootstrap"
    if ! PYTHONPATH="$boot" "$py2" -c 'import virtualenv' 2>/dev/null; then
        rm -rf "$boot"
        "$py2" -m pip install --disable-pip-version-check --no-warn-script-location \
            --quiet --target "$boot" 'virtualenv<20.22' \
            || die "could not install virtualenv for $py2 (pip failed)"
    fi
    PYTHONPATH="$boot" "$py2" -m virtualenv --quiet "$venv" \
        || die "could not create the Python 2 virtualenv $venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet \
        -c "$constraints" "autobahntestsuite==$suite_version" \
        || { rm -rf "$venv"; die "pip could not install autobahntestsuite==$suite_version (see above)"; }
    WSTEST_PY=("$venv/bin/python")
    check_suite
    echo "$want" > "$stamp"
}

debian_mirror() {
    if [[ -n "${AUTOBAHN_DEBIAN_MIRROR:-}" ]]; then
        echo "$AUTOBAHN_DEBIAN_MIRROR"
        return
    fi
    # The mirror apt is configured with (deb822 or one-line sources).
    local m
    m="$(grep -hoE '^URIs:[[:space:]]*https?://[^[:space:]]+/debian/?$' \
            /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')" || true
    if [[ -z "$m" ]]; then
        m="$(grep -hoE '^deb[[:space:]]+https?://[^[:space:]]+/debian/?[[:space:]]' \
                /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
                | head -n1 | awk '{print $2}')" || true
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

install_in_chroot() {
    local stamp="$chroot_dir/opt/autobahn.stamp" want
    want="$(install_stamp)"
    suite_root="$chroot_dir"
    WSTEST_PY=(chroot "$chroot_dir" /usr/bin/python2.7)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || die "no Python 2.7 found and the debootstrap fallback needs root"
    if [[ ! -x "$chroot_dir/usr/bin/python2.7" ]]; then
        if ! command -v debootstrap >/dev/null 2>&1; then
            log "installing debootstrap"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1 \
                || { apt-get update -q >/dev/null 2>&1 \
                     && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1; } \
                || die "could not install debootstrap"
        fi
        local mirror
        mirror="$(debian_mirror)"
        log "building a Debian bullseye chroot with python2.7 in $chroot_dir from $mirror"
        rm -rf "$chroot_dir"
        mkdir -p "$cache"
        debootstrap --variant=minbase \
            --include=python2.7,python2.7-dev,gcc,libc6-dev,libffi-dev,libssl-dev,ca-certificates \
            bullseye "$chroot_dir" "$mirror" >"$cache/autobahn-debootstrap.log" 2>&1 \
            || die "debootstrap of bullseye failed (log: $cache/autobahn-debootstrap.log)"
    fi
    # Name resolution and the host's CA bundle (which may hold a local CA the
    # network needs) for pip inside the chroot; the SSL_CERT_FILE-style
    # variables of the host then point at the same bundle in both.
    cp -L /etc/resolv.conf "$chroot_dir/etc/resolv.conf" 2>/dev/null || true
    local bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
    if [[ -f "$bundle" ]]; then
        mkdir -p "$chroot_dir/etc/ssl/certs"
        cp -L "$bundle" "$chroot_dir/etc/ssl/certs/ca-certificates.crt"
    fi
    # Bullseye ships no pip for Python 2: fetch pip's last Python 2 wheel with
    # the host's pip and run it from the wheel file inside the chroot.
    local wheels="$chroot_dir/opt/wheels-boot"
    mkdir -p "$wheels"
    if ! ls "$wheels"/pip-20.3.4-*.whl >/dev/null 2>&1; then
        python3 -m pip download --disable-pip-version-check --quiet --no-deps \
            --only-binary=:all: --dest "$wheels" 'pip==20.3.4' \
            || die "could not download the pip 20.3.4 wheel"
    fi
    local pipwhl
    pipwhl="$(basename "$(ls "$wheels"/pip-20.3.4-*.whl | head -n1)")"
    cp "$constraints" "$chroot_dir/opt/autobahn-constraints.txt"
    # First pip and the build tools (setuptools 44.0.0 is the suite's own pin),
    # then the suite with the installed pip.
    env -u PIP_FIND_LINKS -u PIP_CERT chroot "$chroot_dir" /usr/bin/python2.7 \
        "/opt/wheels-boot/$pipwhl/pip" install --disable-pip-version-check --quiet \
        --prefix /usr/local "pip==20.3.4" "setuptools==44.0.0" "wheel==0.37.1" \
        || die "could not install pip into the bullseye chroot"
    env -u PIP_FIND_LINKS -u PIP_CERT chroot "$chroot_dir" /usr/bin/python2.7 -m pip \
        install --disable-pip-version-check --quiet --prefix /usr/local \
        -c /opt/autobahn-constraints.txt "autobahntestsuite==$suite_version" \
        || die "pip inside the bullseye chroot could not install autobahntestsuite==$suite_version"
    check_suite
    echo "$want" > "$stamp"
}

check_suite() {
    "${WSTEST_PY[@]}" -c 'import autobahntestsuite, autobahn, twisted; print(autobahntestsuite.__version__)' \
        >/dev/null 2>&1 \
        || die "the installed Autobahn|Testsuite does not import (interpreter: ${WSTEST_PY[*]})"
}

install_suite() {
    [[ -f "$constraints" ]] || die "missing $constraints"
    local py2
    if [[ "${AUTOBAHN_USE_CHROOT:-0}" != 1 ]] && py2="$(find_python2)"; then
        install_with_python2 "$py2"
    else
        [[ "${AUTOBAHN_USE_CHROOT:-0}" == 1 ]] \
            || log "no CPython 2.7.18 under pyenv (nor AUTOBAHN_PYTHON2): falling back to a debootstrap chroot"
        install_in_chroot
    fi
    check_suite
}

# ------------------------------------------------------------------- run ----

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port timeout_s pid
    local port="$1" limit="$2" pid="$3" waited=0
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
        waited=$((waited + 1))
        ((waited < limit * 5)) || return 1
    done
    return 0
}

# Split a command string into words and put ARG in place of PLACEHOLDER, or
# append it when the command has no placeholder. Result in CMD_WORDS.
CMD_WORDS=()
build_cmd() { # command placeholder arg
    local words=() w found=0
    read -r -a words <<<"$1"
    CMD_WORDS=()
    for w in "${words[@]}"; do
        if [[ "$w" == *"$2"* ]]; then
            CMD_WORDS+=("${w//"$2"/"$3"}")
            found=1
        else
            CMD_WORDS+=("$w")
        fi
    done
    ((found)) || CMD_WORDS+=("$3")
    [[ ${#CMD_WORDS[@]} -gt 0 ]] || die "empty command"
}

check_runnable() { # command-string what
    local words=()
    read -r -a words <<<"$1"
    if [[ "${words[0]}" == */* ]]; then
        [[ -x "${words[0]}" ]] \
            || die "$2 not found: ${words[0]} (build it: cargo build --release -p wirestate --examples)"
    else
        command -v "${words[0]}" >/dev/null 2>&1 || die "$2 not found: ${words[0]}"
    fi
}

cases_json() {
    local out="" c list=()
    IFS=, read -r -a list <<<"$cases"
    for c in "${list[@]}"; do
        c="${c// /}"
        [[ -n "$c" ]] && out+="${out:+, }\"$c\""
    done
    [[ -n "$out" ]] || die "AUTOBAHN_CASES selects nothing"
    echo "[$out]"
}

PIDS=()
WORK=""
# Long-running children are started in the background and waited for, so that
# a TERM or INT reaches this script at once and the traps below end them.
kill_pids() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() {
    kill_pids
    [[ -n "$WORK" && -d "$WORK" ]] && rm -rf "$WORK"
    return 0
}
trap cleanup EXIT
trap 'echo "autobahn: interrupted" >&2; exit 130' INT TERM

stop_pid() { # pid: TERM, then KILL after 5 s
    local pid="$1" i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Writes the expected case ids for SPEC to FILE.
list_cases() { # spec file
    "${WSTEST_PY[@]}" "$(host_to_suite "$wrapper")" --list-cases "$(host_to_suite "$1")" >"$2" \
        || die "could not list the cases of $1"
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The selected cases are run in batches, one wstest run each: a top-level
# group (1.* .. 11.*), and each subgroup of the long compression groups
# (12.1.* .. 13.7.*). wstest writes its report only when a run ends, so a
# batch cut by the time limit loses only that batch; the role's time limit
# covers all of its batches together.
make_batches() { # expected-file prefix -> prints batch file names
    python3 - "$1" "$2" <<'PY'
import sys
expected, prefix = sys.argv[1], sys.argv[2]
batches = {}
for line in open(expected):
    case = line.strip()
    if not case:
        continue
    parts = case.split(".")
    key = ".".join(parts[:2]) if parts[0] in ("12", "13") else parts[0]
    batches.setdefault(key, []).append(case)
for i, (key, cases) in enumerate(batches.items()):
    path = "%s-%02d-%s.txt" % (prefix, i, key)
    with open(path, "w") as f:
        f.write("\n".join(cases) + "\n")
    print(path)
PY
}

batch_cases_json() { # batch-file -> JSON list of its case ids
    python3 -c 'import json, sys; print(json.dumps([l.strip() for l in open(sys.argv[1]) if l.strip()]))' "$1"
}

batch_name() { # batch-file -> its group, e.g. 12.3
    local b
    b="$(basename "$1" .txt)"
    echo "${b##*-}"
}

# Expected case ids of the whole selection, for one role.
expected_cases() { # file
    local spec="$WORK/select.json"
    printf '{"cases": %s, "exclude-cases": []}\n' "$(cases_json)" >"$spec"
    list_cases "$spec" "$1"
}

# server role: wstest is the client and our echo server is tested.
run_server_role() {
    local out="$reports/server" port notes=() started rc server_pid batch name spec left
    local indexes=() expected="$WORK/expected-server.txt" deadline
    rm -rf "$out"
    mkdir -p "$out"
    check_runnable "$server_cmd" "server under test"
    expected_cases "$expected"
    port="$(free_port)"
    build_cmd "$server_cmd" "{addr}" "127.0.0.1:$port"
    log "server role: starting ${CMD_WORDS[*]}"
    "${CMD_WORDS[@]}" >"$out/server.log" 2>&1 &
    server_pid=$!
    PIDS+=("$server_pid")
    wait_for_port "$port" 30 "$server_pid" \
        || die "server under test did not listen on 127.0.0.1:$port (log: $out/server.log)"
    log "server role: wstest -m fuzzingclient, $(wc -l <"$expected") cases, limit ${role_timeout}s"
    started=$SECONDS
    deadline=$((SECONDS + role_timeout))
    for batch in $(make_batches "$expected" "$WORK/batch-server"); do
        name="$(batch_name "$batch")"
        left=$((deadline - SECONDS))
        if ((left <= 0)); then
            notes+=(--note "time limit of ${role_timeout}s reached before batch $name.*")
            break
        fi
        spec="$WORK/fuzzingclient-$name.json"
        cat >"$spec" <<JSON
{
  "outdir": "$(host_to_suite "$WORK/reports-server/$name")",
  "servers": [{"agent": "$agent", "url": "ws://127.0.0.1:$port"}],
  "cases": $(batch_cases_json "$batch"),
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
JSON
        local bstart=$SECONDS
        rc=0
        (cd "$WORK" && exec timeout --kill-after=10 "$left" \
            "${WSTEST_PY[@]}" "$(host_to_suite "$wrapper")" -m fuzzingclient \
            -s "$(host_to_suite "$spec")") >>"$out/wstest.log" 2>&1 &
        local wstest_pid=$!
        PIDS+=("$wstest_pid")
        wait "$wstest_pid" || rc=$?
        log "server role: batch $name.* ($(wc -l <"$batch") cases) took $(fmt_secs $((SECONDS - bstart)))"
        if [[ -d "$WORK/reports-server/$name" ]]; then
            mkdir -p "$out/$name"
            cp -r "$WORK/reports-server/$name/." "$out/$name/"
            indexes+=(--index "$out/$name/index.json")
        fi
        if ((rc == 124 || rc == 137)); then
            notes+=(--note "wstest did not finish batch $name.* within the role's limit of ${role_timeout}s")
            break
        elif ((rc != 0)); then
            notes+=(--note "wstest exited with status $rc in batch $name.* (log: $out/wstest.log)")
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            local src=0
            wait "$server_pid" 2>/dev/null || src=$?
            notes+=(--note "the server under test exited during batch $name.* (status $src, log: $out/server.log)")
            break
        fi
    done
    SERVER_SECS=$((SECONDS - started))
    stop_pid "$server_pid"
    log "server role: took $(fmt_secs "$SERVER_SECS"); reports in $out"
    python3 "$judge" "${indexes[@]}" --merged "$out/index.json" --agent "$agent" \
        --expected "$expected" --role "server role (fuzzingclient vs $(basename "${CMD_WORDS[0]}"))" \
        "${notes[@]}"
}

# client role: wstest is the server and our client is tested; one wstest
# fuzzingserver per batch, and the client run against each.
run_client_role() {
    local out="$reports/client" port notes=() started rc wstest_pid client_pid batch name spec left
    local indexes=() expected="$WORK/expected-client.txt" deadline
    rm -rf "$out"
    mkdir -p "$out"
    check_runnable "$client_cmd" "client under test"
    expected_cases "$expected"
    build_cmd "$client_cmd" "{url}" "ws://127.0.0.1:PORT"
    log "client role: ${CMD_WORDS[*]} against wstest -m fuzzingserver, $(wc -l <"$expected") cases, limit ${role_timeout}s"
    started=$SECONDS
    deadline=$((SECONDS + role_timeout))
    for batch in $(make_batches "$expected" "$WORK/batch-client"); do
        name="$(batch_name "$batch")"
        left=$((deadline - SECONDS))
        if ((left <= 0)); then
            notes+=(--note "time limit of ${role_timeout}s reached before batch $name.*")
            break
        fi
        port="$(free_port)"
        spec="$WORK/fuzzingserver-$name.json"
        cat >"$spec" <<JSON
{
  "url": "ws://127.0.0.1:$port",
  "outdir": "$(host_to_suite "$WORK/reports-client/$name")",
  "cases": $(batch_cases_json "$batch"),
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
JSON
        local bstart=$SECONDS
        # wstest gets a minute more than the client, so that a slow client is
        # reported as such rather than as a vanished suite.
        (cd "$WORK" && exec timeout --kill-after=10 "$((left + 60))" \
            "${WSTEST_PY[@]}" "$(host_to_suite "$wrapper")" -m fuzzingserver -u 0 \
            -s "$(host_to_suite "$spec")") >>"$out/wstest.log" 2>&1 &
        wstest_pid=$!
        PIDS+=("$wstest_pid")
        wait_for_port "$port" 60 "$wstest_pid" \
            || die "wstest -m fuzzingserver did not listen on 127.0.0.1:$port (log: $out/wstest.log)"
        build_cmd "$client_cmd" "{url}" "ws://127.0.0.1:$port"
        rc=0
        echo "--- batch $name.*: ${CMD_WORDS[*]}" >>"$out/client.log"
        timeout --kill-after=10 "$left" "${CMD_WORDS[@]}" >>"$out/client.log" 2>&1 &
        client_pid=$!
        PIDS+=("$client_pid")
        wait "$client_pid" || rc=$?
        local wstest_alive=1
        kill -0 "$wstest_pid" 2>/dev/null || wstest_alive=0
        stop_pid "$wstest_pid"
        log "client role: batch $name.* ($(wc -l <"$batch") cases) took $(fmt_secs $((SECONDS - bstart)))"
        if [[ -d "$WORK/reports-client/$name" ]]; then
            mkdir -p "$out/$name"
            cp -r "$WORK/reports-client/$name/." "$out/$name/"
            indexes+=(--index "$out/$name/index.json")
        fi
        if ((rc == 124 || rc == 137)); then
            notes+=(--note "the client under test did not finish batch $name.* within the role's limit of ${role_timeout}s")
            break
        elif ((rc != 0)); then
            notes+=(--note "the client under test exited with status $rc in batch $name.* (log: $out/client.log)")
        fi
        ((wstest_alive)) \
            || notes+=(--note "wstest -m fuzzingserver exited during batch $name.* (log: $out/wstest.log)")
    done
    CLIENT_SECS=$((SECONDS - started))
    log "client role: took $(fmt_secs "$CLIENT_SECS"); reports in $out"
    python3 "$judge" "${indexes[@]}" --merged "$out/index.json" --agent "$agent" \
        --expected "$expected" --role "client role (fuzzingserver vs $(basename "${CMD_WORDS[0]}"))" \
        "${notes[@]}"
}

main() {
    command -v timeout >/dev/null 2>&1 || die "coreutils 'timeout' is required"
    command -v python3 >/dev/null 2>&1 || die "python3 is required to read the reports"
    install_suite
    log "suite ready: $("${WSTEST_PY[@]}" -c 'import autobahntestsuite, autobahn; print("autobahntestsuite %s, autobahn %s" % (autobahntestsuite.__version__, autobahn.__version__))')"
    [[ "${AUTOBAHN_INSTALL_ONLY:-0}" == 1 ]] && return 0

    mkdir -p "$reports"
    # One run at a time per report folder: a second run would delete the
    # first one's reports under it.
    exec 9>"$reports/.lock"
    if ! flock -n 9; then
        die "another autobahn.sh run is using $reports; wait for it, or set AUTOBAHN_REPORTS to another folder"
    fi
    if [[ -n "$suite_root" ]]; then
        mkdir -p "$suite_root/tmp"
        WORK="$(mktemp -d "$suite_root/tmp/autobahn.XXXXXX")"
        cp "$wrapper" "$suite_root/opt/wstest_loopback.py"
        wrapper="$suite_root/opt/wstest_loopback.py"
    else
        WORK="$(mktemp -d "${TMPDIR:-/tmp}/autobahn.XXXXXX")"
    fi

    local status=0 role selected=()
    SERVER_SECS=0
    CLIENT_SECS=0
    for role in $roles; do
        case "$role" in
            server | client) selected+=("$role") ;;
            *) die "unknown role '$role' in AUTOBAHN_ROLES (use server and/or client)" ;;
        esac
    done
    ((${#selected[@]})) || die "AUTOBAHN_ROLES selects no role"

    # Each role keeps one core busy (wstest is single-threaded Python), so on a
    # machine with two or more cores both roles run at once; their output is
    # printed role by role when both are done.
    local parallel="${AUTOBAHN_PARALLEL:-}"
    if [[ -z "$parallel" ]]; then
        parallel=0
        (($(nproc 2>/dev/null || echo 1) >= 2)) && parallel=1
    fi
    if [[ "$parallel" == 1 && ${#selected[@]} -gt 1 ]]; then
        log "running the ${selected[*]} roles in parallel (limit ${role_timeout}s each)"
        local -A role_pid=()
        for role in "${selected[@]}"; do
            (
                PIDS=()
                trap kill_pids EXIT
                trap 'exit 143' INT TERM
                "run_${role}_role"
            ) >"$WORK/$role.out" 2>&1 &
            role_pid[$role]=$!
            PIDS+=("$!")
        done
        for role in "${selected[@]}"; do
            wait "${role_pid[$role]}" || status=1
        done
        PIDS=()
        for role in "${selected[@]}"; do
            cat "$WORK/$role.out"
        done
    else
        for role in "${selected[@]}"; do
            "run_${role}_role" || status=1
        done
    fi
    if ((status)); then
        log "FAILED (reports: $reports)"
    else
        log "all selected cases passed (reports: $reports)"
    fi
    return "$status"
}

main "$@"

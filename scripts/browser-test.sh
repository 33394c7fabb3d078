#!/usr/bin/env bash
# Browser test: Debian's Chromium, driven headless by playwright-core, loads a
# page served by the wirestate asyncio adapter (python/tests/browser_server.py).
# The page opens a WebSocket with permessage-deflate, exchanges 1,000 echoed
# messages of mixed kinds and sizes, and closes with 1000; the server checks
# its side (compression negotiated, every message seen, close code 1000).
#
# Installs what it needs: chromium through apt-get when missing (root only;
# otherwise it prints SKIP), playwright-core from scripts/browser/package-lock.json
# with `npm ci` into scripts/browser/node_modules, and the Python package into
# the test venv (scripts/venv.sh).
#
# Environment:
#   CHROMIUM   the browser binary (default: chromium on PATH)
#   VENV_PY    a Python that already has wirestate installed (skips the venv
#              and the package build)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

skip() {
    echo "browser-test: SKIP: $*"
    exit 0
}

chromium="${CHROMIUM:-}"
if [[ -z "$chromium" ]]; then
    chromium="$(command -v chromium || true)"
fi
if [[ -z "$chromium" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        skip "chromium is not installed and installing it needs root (apt-get install chromium)"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        skip "chromium is not installed and there is no apt-get to install it"
    fi
    echo "browser-test: installing chromium with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
    chromium="$(command -v chromium)"
fi
echo "browser-test: $("$chromium" --version 2>/dev/null || echo "$chromium")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    skip "node and npm are needed for playwright-core"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
    skip "playwright-core needs node 20 or newer (found $(node --version))"
fi

echo "browser-test: npm ci (playwright-core)"
(cd scripts/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

if [[ -n "${VENV_PY:-}" ]]; then
    py="$VENV_PY"
else
    scripts/venv.sh
    py="$repo_root/.venv/bin/python"
    echo "browser-test: pip install ./python"
    "$py" -m pip install --quiet ./python
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$py" python/tests/browser_server.py --port-file "$work/port" --result-file "$work/result.json" \
    --timeout 60 &
server_pid=$!
for _ in $(seq 1 100); do
    [[ -s "$work/port" ]] && break
    sleep 0.1
done
[[ -s "$work/port" ]] || { echo "browser-test: FAIL: the server did not start" >&2; exit 1; }
port="$(cat "$work/port")"

CHROMIUM="$chromium" timeout 120 node scripts/browser/run.mjs "http://127.0.0.1:$port/"
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=""
if [[ ! -s "$work/result.json" ]]; then
    echo "browser-test: FAIL: the server wrote no result (exit status $server_rc)" >&2
    exit 1
fi
"$py" - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("browser-test: server side:", json.dumps(r, sort_keys=True))
problems = [r["error"]] if "error" in r else []
if not r.get("compressed"):
    problems.append("permessage-deflate was not negotiated")
if r.get("messages") != 1000:
    problems.append("the server echoed %r messages, not 1000" % r.get("messages"))
if r.get("close_code") != 1000:
    problems.append("close code %r, not 1000" % r.get("close_code"))
if problems:
    sys.exit("browser-test: FAIL: " + "; ".join(problems))
PY
echo "browser-test: 1 passed, 0 failed"

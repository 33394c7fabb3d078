#!/usr/bin/env bash
# Interop tests: wirestate's WebSocket examples against Python peers
# (websockets, wsproto) over 127.0.0.1.
#   1. builds the examples in release (target/release/examples/)
#   2. makes the test venv (.venv) with scripts/venv.sh
#   3. runs .venv/bin/python -m pytest tests/interop -q [extra pytest args]
#
# Environment:
#   INTEROP_SKIP_BUILD=1     do not run cargo (use binaries already built, or
#                            the WIRESTATE_*_CMD overrides of tests/interop)
#   WIRESTATE_EXAMPLES_DIR   where the example binaries are
#                            (default <repo>/target/release/examples)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

if [[ "${INTEROP_SKIP_BUILD:-0}" != 1 ]]; then
    echo "interop: cargo build --release -p wirestate --examples"
    cargo build --release -p wirestate --examples
fi
scripts/venv.sh
exec .venv/bin/python -m pytest tests/interop -q "$@"

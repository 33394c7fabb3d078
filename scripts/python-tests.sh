#!/usr/bin/env bash
# Python package tests: builds and installs ./python into the test venv through
# PEP 517 (maturin, fetched by pip), runs pytest on python/tests, and checks
# the typed stubs against the compiled module with mypy.stubtest, and type-checks
# the asyncio adapter (pure Python) with mypy --strict.
#
# Environment: VENV_DIR (default <repo>/.venv), as for scripts/venv.sh.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

scripts/venv.sh
py="${VENV_DIR:-$repo_root/.venv}/bin/python"
echo "python: pip install ./python"
"$py" -m pip install --quiet ./python
"$py" -m pytest python/tests -q "$@"
echo "python: mypy.stubtest wirestate"
# Run from outside the repository so the installed package is what is checked.
(cd "$(mktemp -d)" && "$py" -m mypy.stubtest wirestate)
echo "python: mypy --strict wirestate.asyncio"
(cd "$(mktemp -d)" && "$py" -m mypy --strict --no-incremental --follow-imports=silent -p wirestate.asyncio)

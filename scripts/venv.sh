#!/usr/bin/env bash
# Create or refresh the local Python 3 test venv (.venv at the repository root)
# with the exact packages of scripts/requirements-test.txt.
#
# Idempotent and fast: a stamp file inside the venv records the hash of the
# requirements file (and the interpreter version); when it matches, nothing runs.
#
# Environment:
#   PYTHON      interpreter to build the venv with (default: python3)
#   VENV_DIR    where the venv lives (default: <repo>/.venv)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$repo_root/scripts/requirements-test.txt"
venv="${VENV_DIR:-$repo_root/.venv}"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
    echo "venv.sh: error: '$python' not found; set PYTHON to a Python 3 interpreter" >&2
    exit 1
fi

py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
want="$(sha256sum "$req" | cut -d' ' -f1) python-$py_version"
stamp="$venv/.requirements.stamp"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

# A venv from another interpreter version cannot be reused: rebuild it whole.
if [[ -x "$venv/bin/python" ]]; then
    have_version="$("$venv/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true)"
    if [[ "$have_version" != "$py_version" ]]; then
        rm -rf "$venv"
    fi
fi

echo "venv.sh: installing test packages into $venv"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --require-virtualenv -r "$req"
# Packages added by hand are left alone; the pinned ones are what the tests import.
echo "$want" > "$stamp"
echo "venv.sh: ready ($("$venv/bin/python" -m pytest --version 2>&1 | head -n1))"

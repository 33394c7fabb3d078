"""``python -m wirestate``: the demo runs every check and exits 0."""

import subprocess
import sys

import wirestate


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wirestate", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_passes_every_check() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "permessage-deflate: True" in out
    assert "1048576 chars of text + 1048576 B binary echoed" in out
    assert "closed cleanly, code 1000" in out
    assert "1 MiB sent and echoed byte-exact" in out
    assert out.rstrip().endswith("demo: every check passed")


def test_version() -> None:
    result = run("version")
    assert result.returncode == 0
    assert result.stdout.strip() == wirestate.__version__


def test_unknown_command_is_a_usage_error() -> None:
    result = run("nonsense")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr

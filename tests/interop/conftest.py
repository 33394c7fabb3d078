"""Fixtures for the interop tests: wirestate's example programs against real
WebSocket peers (websockets, wsproto), over 127.0.0.1 only.

The fixtures build nothing. The example binaries are looked up in
$WIRESTATE_EXAMPLES_DIR (default: <repo>/target/release/examples, found from
this file's location); scripts/interop.sh builds them first.

Overrides (to run the same tests against another implementation, e.g. the
Python stand-ins under scripts/interop/):
  WIRESTATE_ECHO_SERVER_CMD  command of the echo server; IP:PORT is appended
  WIRESTATE_WS_CLIENT_CMD    command of the client; its arguments are appended
"""
from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = Path(os.environ.get("WIRESTATE_EXAMPLES_DIR",
                                   REPO_ROOT / "target" / "release" / "examples"))
HOST = "127.0.0.1"
BUILD_HINT = "build it with: cargo build --release -p wirestate --examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    """Terminate a process started with start_new_session=True, and its group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def example_command(env_var: str, name: str) -> list[str] | None:
    """The command for an example program, or None when its binary is missing."""
    override = os.environ.get(env_var)
    if override:
        return shlex.split(override)
    path = EXAMPLES_DIR / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    return [str(path)]


class EchoServer:
    def __init__(self, cmd: list[str], log_path: Path):
        self.port = free_port()
        self.url = f"ws://{HOST}:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd + [f"{HOST}:{self.port}"], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            wait_for_port(self.port, self.proc)
        except RuntimeError as e:
            self.close()
            raise RuntimeError(f"echo server {cmd}: {e}; log: {self.log_tail()}") from None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        stop(self.proc)
        self._log.close()


class EchoServerHolder:
    """One echo server for the session, restarted if a test made it die (that
    test fails; the following ones get a fresh server)."""

    def __init__(self, cmd: list[str], log_dir: Path):
        self.cmd = cmd
        self.log_dir = log_dir
        self.starts = 0
        self.server: EchoServer | None = None

    def get(self) -> EchoServer:
        if self.server is None or not self.server.alive():
            if self.server is not None:
                self.server.close()
            self.starts += 1
            self.server = EchoServer(self.cmd, self.log_dir / f"ws_echo_server.{self.starts}.log")
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.fixture(scope="session")
def echo_server_holder(tmp_path_factory):
    cmd = example_command("WIRESTATE_ECHO_SERVER_CMD", "ws_echo_server")
    if cmd is None:
        pytest.fail(f"ws_echo_server not found in {EXAMPLES_DIR}; {BUILD_HINT}", pytrace=False)
    holder = EchoServerHolder(cmd, tmp_path_factory.mktemp("echo"))
    yield holder
    holder.close()


@pytest.fixture
def echo_url(echo_server_holder):
    """URL of a running echo server; fails the test during which it died."""
    server = echo_server_holder.get()
    yield server.url
    # give a crash caused by this test's last bytes a moment to show
    time.sleep(0.02)
    assert server.alive(), (f"echo server died during this test (status {server.proc.returncode}): "
                            + server.log_tail())


@pytest.fixture
def ws_client_cmd():
    cmd = example_command("WIRESTATE_WS_CLIENT_CMD", "ws_client")
    if cmd is None:
        pytest.skip(f"ws_client example not built ({EXAMPLES_DIR / 'ws_client'} missing); {BUILD_HINT}")
    return cmd

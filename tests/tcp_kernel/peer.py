"""Kernel-side peers for scripts/tcp-kernel-interop.sh: plain sockets, so the
Linux TCP stack is what talks to the userspace endpoint.

  peer.py client HOST PORT FILE   send FILE, read the echo concurrently,
                                  print "<sha256 of echo> <bytes> <seconds>"
  peer.py sink HOST PORT N         half-close at once, read until EOF, print
                                  "<sha256 of data> <bytes> <seconds> <expected sha256>"
                                  where expected is that of N bytes i % 251
  peer.py echo-server HOST PORT OUT
                                  accept one connection, echo everything,
                                  write "<sha256 of received> <bytes>" to OUT
"""

import hashlib
import socket
import sys
import threading
import time

CHUNK = 256 * 1024


def client(host, port, path):
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.settimeout(60)
    sent_error = []

    def send():
        try:
            with open(path, "rb") as f:
                while True:
                    block = f.read(CHUNK)
                    if not block:
                        break
                    sock.sendall(block)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:  # reported by the reader's result
            sent_error.append(e)

    start = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    digest = hashlib.sha256()
    total = 0
    while True:
        block = sock.recv(CHUNK)
        if not block:
            break
        digest.update(block)
        total += len(block)
    sender.join(60)
    elapsed = time.monotonic() - start
    sock.close()
    if sent_error:
        print(f"send failed: {sent_error[0]}", file=sys.stderr)
        return 1
    print(f"{digest.hexdigest()} {total} {elapsed:.3f}")
    return 0


def sink(host, port, n):
    n = int(n)
    block = bytes(range(251)) * 4096
    want = hashlib.sha256()
    left = n
    while left > 0:
        want.update(block[: min(left, len(block))])
        left -= min(left, len(block))
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.settimeout(60)
    sock.shutdown(socket.SHUT_WR)
    start = time.monotonic()
    digest = hashlib.sha256()
    total = 0
    while True:
        data = sock.recv(CHUNK)
        if not data:
            break
        digest.update(data)
        total += len(data)
    elapsed = time.monotonic() - start
    sock.close()
    print(f"{digest.hexdigest()} {total} {elapsed:.3f} {want.hexdigest()}")
    return 0


def echo_server(host, port, out):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, int(port)))
    listener.listen(1)
    listener.settimeout(60)
    # Tell the script we are listening.
    print("listening", flush=True)
    conn, _ = listener.accept()
    conn.settimeout(60)
    digest = hashlib.sha256()
    total = 0
    while True:
        block = conn.recv(CHUNK)
        if not block:
            break
        digest.update(block)
        total += len(block)
        conn.sendall(block)
    conn.shutdown(socket.SHUT_WR)
    # Wait for the peer to finish its side before closing.
    conn.close()
    listener.close()
    with open(out, "w") as f:
        f.write(f"{digest.hexdigest()} {total}\n")
    return 0


if __name__ == "__main__":
    role, args = sys.argv[1], sys.argv[2:]
    if role == "client":
        sys.exit(client(*args))
    if role == "sink":
        sys.exit(sink(*args))
    if role == "echo-server":
        sys.exit(echo_server(*args))
    sys.exit(f"unknown role {role}")

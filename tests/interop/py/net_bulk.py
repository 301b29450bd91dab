"""Bulk transfer peer of tests/interop/net_test.ts: SIZE bytes through one
`sendall`, or everything read until EOF, with sha256 on stdout as JSON.

    net_bulk.py send HOST PORT SIZE   connect, sendall SIZE random bytes, close
    net_bulk.py recv HOST PORT        connect, recv_into until EOF, close
    net_bulk.py serve-send SIZE       listen on port 0 (printed), accept one,
                                      sendall SIZE random bytes, close
    net_bulk.py serve-recv            listen on port 0 (printed), accept one,
                                      read until EOF
"""

import hashlib
import json
import os
import socket
import sys

TIMEOUT = 30.0


def report(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def send(sock, size):
    payload = os.urandom(size)
    sock.sendall(payload)  # one call, the whole payload
    sock.shutdown(socket.SHUT_WR)
    # Wait for the peer's EOF, so nothing is cut short by our close.
    while sock.recv(4096):
        pass
    sock.close()
    report({"len": size, "sha": hashlib.sha256(payload).hexdigest()})


def recv(sock):
    digest = hashlib.sha256()
    buf = bytearray(1 << 16)
    view = memoryview(buf)
    count = 0
    while True:
        n = sock.recv_into(buf)
        if n == 0:
            break
        digest.update(view[:n])
        count += n
    sock.close()
    report({"len": count, "sha": digest.hexdigest()})


def listen_one():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)
    report(listener.getsockname()[1])
    conn, _ = listener.accept()
    listener.close()
    conn.settimeout(TIMEOUT)
    return conn


def main(argv):
    mode = argv[1]
    if mode == "send":
        send(socket.create_connection((argv[2], int(argv[3])), timeout=TIMEOUT), int(argv[4]))
    elif mode == "recv":
        recv(socket.create_connection((argv[2], int(argv[3])), timeout=TIMEOUT))
    elif mode == "serve-send":
        send(listen_one(), int(argv[2]))
    elif mode == "serve-recv":
        recv(listen_one())
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)

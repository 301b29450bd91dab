"""Length-prefixed framing peer of tests/interop/net_test.ts, written from
the wire format alone: a 4-byte big-endian length (`struct.pack(">I", n)`),
then the payload.

    net_framing.py HOST PORT SIZES   connect; send one frame per size (comma
                                     list; "text" means the Chinese payload),
                                     cut into ragged pieces; SHUT_WR; read
                                     every frame the peer sends back until EOF

Reports one JSON line: sha256 of each payload sent and of each received.
"""

import hashlib
import json
import os
import socket
import struct
import sys

TIMEOUT = 20.0
TEXT = "你好，世界！中文测试"
EMOJI = "😀"


def recv_exact(sock, n):
    parts = []
    while n:
        chunk = sock.recv(min(n, 65536))
        if not chunk:
            return None
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def main(argv):
    host, port = argv[1], int(argv[2])
    payloads = []
    for size in argv[3].split(","):
        if size == "text":
            payloads.append((TEXT * 100 + EMOJI).encode("utf-8"))
        else:
            payloads.append(os.urandom(int(size)))
    wire = b"".join(struct.pack(">I", len(p)) + p for p in payloads)
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    # 3-byte pieces at first split the headers themselves; then bigger ones.
    i = 0
    step = 3
    while i < len(wire):
        sock.sendall(wire[i:i + step])
        i += step
        step = min(step * 2, 65536)
    sock.shutdown(socket.SHUT_WR)
    received = []
    while True:
        header = recv_exact(sock, 4)
        if header is None:
            break
        (length,) = struct.unpack(">I", header)
        body = recv_exact(sock, length)
        if body is None:
            raise SystemExit(f"connection closed inside a {length}-byte payload")
        received.append(body)
    sock.close()
    print(json.dumps({
        "sent": [hashlib.sha256(p).hexdigest() for p in payloads],
        "received": [hashlib.sha256(p).hexdigest() for p in received],
        "text": [p.decode("utf-8") for p in received if p.startswith(TEXT.encode())],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv)

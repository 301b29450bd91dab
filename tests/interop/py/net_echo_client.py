"""A plain Python `socket` client, the interop peer of tests/interop/net_test.ts.

Talks to a server written with our Deno library and reports, as one JSON line
on stdout, sha256 digests of what it sent and what it got back.

    net_echo_client.py tcp HOST PORT SIZE     echo SIZE random bytes over TCP
    net_echo_client.py unix PATH SIZE         the same over a Unix stream socket
    net_echo_client.py udp HOST PORT SIZES    one datagram per size (comma list)
    net_echo_client.py text HOST PORT REPEAT  send TEXT * REPEAT, read the reply
    net_echo_client.py reset HOST PORT        wait for one byte, then close with
                                              RST (SO_LINGER on, 0 seconds)

HOST may be an IPv6 address such as ::1.
"""

import codecs
import hashlib
import json
import os
import socket
import struct
import sys
import threading

TIMEOUT = 20.0  # seconds; every socket call is bounded
TEXT = "你好，世界！中文测试"
EMOJI = "😀"  # U+1F600, four bytes in UTF-8


def report(obj):
    # UTF-8 whatever the locale, so the Deno side can compare text exactly.
    sys.stdout.buffer.write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")
    sys.stdout.buffer.flush()


def echo_stream(sock, size):
    payload = os.urandom(size)
    sock.settimeout(TIMEOUT)
    errors = []

    def sender():
        try:
            # Odd-sized pieces, so the server sees arbitrary boundaries.
            view = memoryview(payload)
            step = 70_001
            for i in range(0, len(view), step):
                sock.sendall(view[i:i + step])
            sock.shutdown(socket.SHUT_WR)
        except OSError as err:  # reported, the test fails on it
            errors.append(repr(err))

    thread = threading.Thread(target=sender)
    thread.start()
    received = hashlib.sha256()
    count = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received.update(chunk)
        count += len(chunk)
    thread.join(TIMEOUT)
    sock.close()
    report({
        "sent_len": len(payload),
        "sent": hashlib.sha256(payload).hexdigest(),
        "recv_len": count,
        "recv": received.hexdigest(),
        "errors": errors,
    })


def echo_udp(host, port, sizes):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    sock.bind(("127.0.0.1", 0))
    results = []
    for size in sizes:
        payload = os.urandom(size)
        sock.sendto(payload, (host, port))
        data, sender = sock.recvfrom(65536)
        results.append({
            "sent_len": size,
            "sent": hashlib.sha256(payload).hexdigest(),
            "recv_len": len(data),
            "recv": hashlib.sha256(data).hexdigest(),
            "from": list(sender),
        })
    report({"local": list(sock.getsockname()), "results": results})
    sock.close()


def text(host, port, repeat):
    expected = TEXT * repeat + EMOJI
    data = expected.encode("utf-8")
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    # 7-byte pieces cut most three-byte characters and the emoji in two.
    for i in range(0, len(data), 7):
        sock.sendall(data[i:i + 7])
    sock.shutdown(socket.SHUT_WR)
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts = []
    while True:
        chunk = sock.recv(5)
        if not chunk:
            break
        parts.append(decoder.decode(chunk))
    parts.append(decoder.decode(b"", final=True))
    sock.close()
    got = "".join(parts)
    report({"equal": got == expected, "chars": len(got), "text": got})


def reset(host, port):
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    got = sock.recv(1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST instead of FIN
    report({"got": got.decode()})


def main(argv):
    mode = argv[1]
    if mode == "tcp":
        sock = socket.create_connection((argv[2], int(argv[3])), timeout=TIMEOUT)
        echo_stream(sock, int(argv[4]))
    elif mode == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(argv[2])
        echo_stream(sock, int(argv[3]))
    elif mode == "udp":
        echo_udp(argv[2], int(argv[3]), [int(s) for s in argv[4].split(",")])
    elif mode == "text":
        text(argv[2], int(argv[3]), int(argv[4]))
    elif mode == "reset":
        reset(argv[2], int(argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)

# A misbehaving upload client for the tests: it speaks the tutorial's protocol
# or the framed one (4-byte big-endian length + payload, as net/framing.ts),
# announces the whole file, then either sends half of it and closes ("half"),
# or sends all of it under a wrong SHA-256 ("badsha", framed only).
#   python3 upload_truncated.py HOST PORT FILE tutorial|framed half|badsha
import hashlib
import json
import os
import socket
import struct
import sys

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
protocol, mode = sys.argv[4], sys.argv[5]


def send_msg(sock, data):
    sock.sendall(struct.pack("!I", len(data)) + data)


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise ConnectionError("closed")
        data += more
    return data


def recv_msg(sock):
    (length,) = struct.unpack("!I", recv_exactly(sock, 4))
    return recv_exactly(sock, length)


size = os.stat(path).st_size
with open(path, "rb") as f:
    content = f.read()
sha256 = hashlib.sha256(content).hexdigest()
if mode == "badsha":
    sha256 = hashlib.sha256(b"something else").hexdigest()
    limit = size
else:
    limit = size // 2

sock = socket.create_connection((host, port))
if protocol == "tutorial":
    sock.sendall(str(size).encode("utf-8"))
    print(sock.recv(1024).decode("utf-8"), flush=True)
    sock.sendall(content[:limit])
else:
    header = {"name": os.path.basename(path), "size": size, "sha256": sha256}
    send_msg(sock, json.dumps(header).encode("utf-8"))
    print(recv_msg(sock).decode("utf-8"), flush=True)
    for at in range(0, limit, 65536):
        send_msg(sock, content[at:min(at + 65536, limit)])
    if mode == "badsha":
        print(recv_msg(sock).decode("utf-8"), flush=True)
print("sent %d of %d bytes" % (limit, size), flush=True)
sock.close()

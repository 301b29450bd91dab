"""python3 ssl peer for the pysock ssl tests (loopback only).

server FIXTURES ALPN COUNT: a TLS echo server on 127.0.0.1 port 0; prints
  its port, then per connection one JSON line {len, sha, alpn, version}
  after echoing until end of input. ALPN is "-" for none, else a comma list.
client FIXTURES PORT SIZE ALPN KIND: connects with the test CA and
  server_hostname "localhost", sends SIZE bytes (KIND "random" or "chinese")
  while reading the echo back (non-blocking), prints one JSON line
  {sent_len, sent, recv_len, recv, alpn}.
"""
import hashlib
import json
import os
import socket
import ssl
import sys
import select


def payload(kind, size):
    if kind == "chinese":
        unit = "你好，世界！中文测试".encode("utf-8")
        return (unit * (size // len(unit) + 1))[:size]
    return os.urandom(size)


def server_context(fixtures, **kwargs):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, **kwargs)
    ctx.load_cert_chain(f"{fixtures}/localhost.pem", f"{fixtures}/localhost.key")
    return ctx


def server(fixtures, alpn, count):
    ctx = server_context(fixtures)
    if alpn != "-":
        ctx.set_alpn_protocols(alpn.split(","))
    with socket.create_server(("127.0.0.1", 0)) as ls:
        ls.settimeout(30)
        print(ls.getsockname()[1], flush=True)
        for _ in range(count):
            conn, _ = ls.accept()
            conn.settimeout(30)
            with ctx.wrap_socket(conn, server_side=True) as s:
                h = hashlib.sha256()
                n = 0
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
                    h.update(data)
                    n += len(data)
                    s.sendall(data)
                print(json.dumps({"len": n, "sha": h.hexdigest(),
                                  "alpn": s.selected_alpn_protocol(),
                                  "version": s.version()}), flush=True)


def client(fixtures, port, size, alpn, kind):
    ctx = ssl.create_default_context(cafile=f"{fixtures}/ca.pem")
    if alpn != "-":
        ctx.set_alpn_protocols(alpn.split(","))
    data = payload(kind, size)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        # One thread, non-blocking: an SSL object is not for two threads.
        s.setblocking(False)
        h = hashlib.sha256()
        n = sent = 0
        while n < size:
            want_w = [s] if sent < size else []
            r, w, _ = select.select([s], want_w, [], 30)
            if not r and not w:
                break
            if w:
                try:
                    sent += s.send(data[sent:sent + 16384])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
            while True:
                try:
                    chunk = s.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    break
                if not chunk:
                    size = n
                    break
                h.update(chunk)
                n += len(chunk)
        print(json.dumps({"sent_len": len(data),
                          "sent": hashlib.sha256(data).hexdigest(),
                          "recv_len": n, "recv": h.hexdigest(),
                          "alpn": s.selected_alpn_protocol()}), flush=True)


def starttls(fixtures):
    ctx = server_context(fixtures)
    with socket.create_server(("127.0.0.1", 0)) as ls:
        ls.settimeout(30)
        print(ls.getsockname()[1], flush=True)
        conn, _ = ls.accept()
        conn.settimeout(30)
        conn.sendall(b"220 ready\r\n")
        line = b""
        while not line.endswith(b"\n"):
            line += conn.recv(1)
        if line.strip() != b"STARTTLS":
            conn.sendall(b"500 expected STARTTLS\r\n")
            return
        conn.sendall(b"220 go ahead\r\n")
        with ctx.wrap_socket(conn, server_side=True) as s:
            f = s.makefile("rb")
            got = f.readline()
            s.sendall(b"tls: " + got)
            print(json.dumps({"line": got.decode("utf-8")}), flush=True)


def ragged(fixtures, port):
    ctx = ssl.create_default_context(cafile=f"{fixtures}/ca.pem")
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(b"bye")
    # Reading the answer also takes the session tickets: nothing is left
    # unread, so the close is a FIN, not a reset.
    s.recv(2)
    s.close()
    print("closed", flush=True)


def mtls(fixtures):
    ctx = server_context(fixtures, cafile=f"{fixtures}/ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    with socket.create_server(("127.0.0.1", 0)) as ls:
        ls.settimeout(30)
        print(ls.getsockname()[1], flush=True)
        conn, _ = ls.accept()
        conn.settimeout(30)
        with ctx.wrap_socket(conn, server_side=True) as s:
            subject = dict(x[0] for x in s.getpeercert()["subject"])
            name = subject["commonName"]
            print(json.dumps({"client": name}), flush=True)
            s.sendall(f"hello {name}".encode())


if __name__ == "__main__":
    if sys.argv[1] == "mtls":
        mtls(sys.argv[2])
    elif sys.argv[1] == "ragged":
        ragged(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "starttls":
        starttls(sys.argv[2])
    elif sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
               sys.argv[6])

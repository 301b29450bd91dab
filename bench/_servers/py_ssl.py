"""CPython's ssl for the TLS benchmark: a thread per connection, recv(65536)
and sendall() on an SSLSocket. Launcher protocol as in raw_deno.ts: print
the port, serve until stdin ends.

Run: python3 bench/_servers/py_ssl.py
"""
import os
import socket
import ssl
import sys
import threading

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "..", "tests", "ssl", "fixtures")
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(os.path.join(fixtures, "localhost.pem"),
                    os.path.join(fixtures, "localhost.key"))
ls = socket.create_server(("127.0.0.1", 0), backlog=511)


def echo(conn):
    try:
        with ctx.wrap_socket(conn, server_side=True) as s:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                s.sendall(data)
    except OSError:
        pass


def accept_loop():
    while True:
        try:
            conn, _ = ls.accept()
        except OSError:
            return
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


threading.Thread(target=accept_loop, daemon=True).start()
print(ls.getsockname()[1], flush=True)
sys.stdin.read()
ls.close()

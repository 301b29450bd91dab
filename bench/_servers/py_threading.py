"""Anchor: CPython's socketserver.ThreadingTCPServer with the same echo
handler as ours (StreamRequestHandler, rfile.read1 / wfile.write).
Prints the port, serves until stdin ends.
Run: python3 bench/_servers/py_threading.py
"""
import socketserver
import sys
import threading


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            data = self.rfile.read1(65536)
            if not data:
                return
            self.wfile.write(data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 1024


with Server(("127.0.0.1", 0), Echo) as server:
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()

"""Python `socketserver` servers, the interop peers of tests/interop/net_test.ts.

Binds port 0 on 127.0.0.1 (or a Unix path), prints the port (or "ready") as
its first stdout line, then one JSON line per request it handled. It serves
until stdin reaches EOF (the Deno test closes it), then shuts down and exits.

    net_echo_server.py tcp           ThreadingTCPServer + StreamRequestHandler echo
    net_echo_server.py unix PATH     ThreadingUnixStreamServer, same handler
    net_echo_server.py udp           UDPServer echo
    net_echo_server.py text REPEAT   reads TEXT * REPEAT, replies with it
    net_echo_server.py lines         replies to each UTF-8 line with
                                     "回声: " + the line, via rfile/wfile
"""

import hashlib
import json
import socketserver
import sys
import threading

TIMEOUT = 20.0
TEXT = "你好，世界！中文测试"
EMOJI = "😀"
lock = threading.Lock()


def report(obj):
    with lock:
        sys.stdout.buffer.write(json.dumps(obj, ensure_ascii=False).encode() + b"\n")
        sys.stdout.buffer.flush()


class Echo(socketserver.StreamRequestHandler):
    timeout = TIMEOUT

    def handle(self):
        digest = hashlib.sha256()
        count = 0
        while True:
            chunk = self.rfile.read1(65536)
            if not chunk:
                break
            digest.update(chunk)
            count += len(chunk)
            self.wfile.write(chunk)
        report({"kind": "stream", "len": count, "sha": digest.hexdigest()})


class Text(socketserver.StreamRequestHandler):
    timeout = TIMEOUT
    repeat = 1

    def handle(self):
        expected = TEXT * self.repeat + EMOJI
        got = self.rfile.read().decode("utf-8")
        report({"kind": "text", "equal": got == expected, "chars": len(got), "text": got})
        self.wfile.write(expected.encode("utf-8"))


class Lines(socketserver.StreamRequestHandler):
    timeout = TIMEOUT

    def handle(self):
        count = 0
        for raw in self.rfile:  # readline() until EOF
            line = raw.decode("utf-8")
            self.wfile.write(("回声: " + line).encode("utf-8"))
            count += 1
        report({"kind": "lines", "count": count})


class DatagramEcho(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)
        report({
            "kind": "udp",
            "len": len(data),
            "sha": hashlib.sha256(data).hexdigest(),
            "from": list(self.client_address),
        })


class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Unix(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class UDP(socketserver.UDPServer):
    max_packet_size = 65536  # Python's default (8192) would cut big datagrams


def main(argv):
    mode = argv[1]
    if mode == "tcp":
        server = TCP(("127.0.0.1", 0), Echo)
        first = str(server.server_address[1])
    elif mode == "text":
        Text.repeat = int(argv[2])
        server = TCP(("127.0.0.1", 0), Text)
        first = str(server.server_address[1])
    elif mode == "lines":
        server = TCP(("127.0.0.1", 0), Lines)
        first = str(server.server_address[1])
    elif mode == "unix":
        server = Unix(argv[2], Echo)
        first = "ready"
    elif mode == "udp":
        server = UDP(("127.0.0.1", 0), DatagramEcho)
        first = str(server.server_address[1])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    with server:
        thread = threading.Thread(target=server.serve_forever, args=(0.05,))
        thread.start()
        report(first)
        sys.stdin.read()  # until the test closes our stdin
        server.shutdown()
        thread.join(TIMEOUT)


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
# -*- coding:utf-8 -*-
# The tutorials' "10086" robot client (000_... and 001_...), in Python 3.
# The only change: the address comes from argv (a port on 127.0.0.1, or a
# Unix socket path) instead of the fixed 8005/8009. Input comes from stdin.

import socket
import sys

target = sys.argv[1]
if target.isdigit():
    ip_port = ('127.0.0.1', int(target))
    sk = socket.socket()
else:
    ip_port = target
    sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sk.connect(ip_port)
sk.settimeout(5)

while True:
    data = sk.recv(1024)
    print('receive:', data.decode())
    inp = input('please input:')
    sk.sendall(inp.encode())
    if inp == 'exit':
        break

sk.close()

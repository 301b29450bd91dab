#!/usr/bin/env python3
# -*- coding:utf-8 -*-
# The tutorials' UDP client with reply (000_...), in Python 3. The only
# changes: the address comes from argv (a port on 127.0.0.1, or a Unix
# socket path plus this client's own path, which a Unix datagram client
# needs to get a reply), and a 5 s timeout so a lost reply cannot hang.

import socket
import sys

target = sys.argv[1]
if target.isdigit():
    ip_port = ('127.0.0.1', int(target))
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)
else:
    ip_port = target
    sk = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM, 0)
    sk.bind(sys.argv[2])
sk.settimeout(5)

while True:
    inp = input('数据:').strip()
    if inp == 'exit':
        break
    sk.sendto(bytes(inp, encoding='utf-8'), ip_port)
    data = sk.recvfrom(1024)
    print(data)

sk.close()

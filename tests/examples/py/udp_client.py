# The tutorials' UDP client on port 9999, in Python 3, taking host and port
# from argv:
#   python3 udp_client.py 127.0.0.1 9999
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))

sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)
sk.settimeout(10)  # not in the tutorial: a test must never hang
while True:
    inp = input('数据:').strip()
    if inp == 'exit':
        break
    sk.sendto(bytes(inp, encoding='utf-8'), ip_port)
    data = sk.recvfrom(1024)
    print(data)

sk.close()

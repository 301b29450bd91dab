# The tutorials' UDP server on port 9999, in Python 3, taking host and port
# from argv, plus a count of datagrams to answer before exiting (the tutorial
# loops forever):
#   python3 udp_server.py 127.0.0.1 9999 3
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))
count = int(sys.argv[3])
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)
sk.bind(ip_port)
print("ready", flush=True)

for _ in range(count):
    data, (host, port) = sk.recvfrom(1024)
    print(data, host, port, flush=True)
    sk.sendto(bytes('ok', encoding='utf-8'), (host, port))
sk.close()

# The tutorials' smallest UDP client, in Python 3, taking host and port from
# argv:
#   python3 udp_haha_client.py 127.0.0.1 8081
# It sends b"haha" once and closes.
import socket
import sys

client_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client_sock.sendto(b"haha", (sys.argv[1], int(sys.argv[2])))
client_sock.close()

# The tutorials' TCP client walk-through, in Python 3, taking host, port and
# the message from argv:
#   python3 tcp_client.py 127.0.0.1 8080 heh
import socket
import sys

client_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_sock.connect((sys.argv[1], int(sys.argv[2])))
client_sock.send(sys.argv[3].encode() if len(sys.argv) > 3 else b'heh')
client_sock.close()

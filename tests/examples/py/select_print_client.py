# The tutorials' client of their first select server (port 8002), in
# Python 3, taking host and port from argv:
#   python3 select_print_client.py 127.0.0.1 8002
# Each line typed is sent without its newline; no answer is expected. The
# end of input ends it (the tutorial's loop has no other way out).
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))
sk = socket.socket()
sk.connect(ip_port)

while True:
    try:
        inp = input('please input:')
    except EOFError:
        break
    sk.sendall(inp.encode())
sk.close()

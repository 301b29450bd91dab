# The tutorials' "10086" robot client, in Python 3, taking host and port from
# argv:
#   python3 robot_client.py 127.0.0.1 8888
# It reads the lines to send from stdin (input()).
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))
sk = socket.socket()
sk.connect(ip_port)
sk.settimeout(5)

while True:
    data = sk.recv(1024)
    print('receive:', str(data, encoding='utf-8'))
    inp = input('please input:')
    sk.sendall(bytes(inp, encoding='utf-8'))
    if inp == 'exit':
        break

sk.close()

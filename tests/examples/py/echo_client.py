# The tutorials' first socket client, in Python 3, taking host, port and the
# message from argv:
#   python3 echo_client.py 127.0.0.1 9999 请求占领地球
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))

sk = socket.socket()
sk.connect(ip_port)

sk.sendall(sys.argv[3].encode('utf-8') if len(sys.argv) > 3 else '请求占领地球'.encode('utf-8'))

server_reply = sk.recv(1024)
print(str(server_reply, encoding='utf-8'))

sk.close()

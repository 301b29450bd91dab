# The tutorials' reply-less UDP server (the one that prints who sent what),
# in Python 3, taking host, port and how many datagrams to receive before
# exiting from argv:
#   python3 udp_print_server.py 127.0.0.1 8080 2
# Port 0 picks a free port; the server prints the one it got. The tutorial
# binds ("", 8080), every interface; the tests give 127.0.0.1.
import socket
import sys

server_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server_sock.bind((sys.argv[1], int(sys.argv[2])))
print('listening on port', server_sock.getsockname()[1], flush=True)
for _ in range(int(sys.argv[3])):
    recv_data, client_addr = server_sock.recvfrom(1024)
    print("收到了客户端{0}传来的数据{1}".format(client_addr, recv_data.decode()),
          flush=True)
server_sock.close()

# The tutorials' first socket server, in Python 3, taking host, port and how
# many clients to serve from argv:
#   python3 echo_server.py 127.0.0.1 9999 1
# The tutorial answers a fixed text; as an echo server it sends back what it
# received (one recv(1024), as the tutorial), then closes.
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0

sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)

served = 0
while count == 0 or served < count:
    print('server waiting...')
    conn, addr = sk.accept()

    client_data = conn.recv(1024)
    print(str(client_data, encoding='utf-8'))
    conn.sendall(client_data)

    conn.close()
    served += 1
sk.close()

# The tutorials' client of their select echo server on port 6666, in Python 3,
# taking host and port from argv:
#   python3 select_client.py 127.0.0.1 6666
# Each input line is sent, and the server's answer printed.
import socket
import sys

client = socket.socket()
client.connect((sys.argv[1], int(sys.argv[2])))
client.settimeout(5)
while True:
    try:
        client_input = input('please input message:').strip()
    except EOFError:  # not in the tutorial: end of input ends the client
        break
    client.sendall(client_input.encode())
    server_data = client.recv(1024)
    print(server_data.decode())
client.close()

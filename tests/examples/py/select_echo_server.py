# The tutorials' select echo server on port 6666 (the version that drops a
# client once it has closed), in Python 3, taking host, port and how many
# clients to serve before exiting (0: forever) from argv:
#   python3 select_echo_server.py 127.0.0.1 6666 1
# Port 0 picks a free port; the server prints the one it got. The tutorial's
# 2-second sleep and its debugging prints of the lists are left out.
import select
import socket
import sys

sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.bind((sys.argv[1], int(sys.argv[2])))
sk.listen(5)
sk.setblocking(False)
print('listening on port', sk.getsockname()[1], flush=True)
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
served = 0
inputs = [sk]
while count == 0 or served < count or len(inputs) > 1:
    readable_list, writeable_list, error_list = select.select(inputs, [], [], 1)
    for r in readable_list:
        if r == sk:
            conn, address = r.accept()
            inputs.append(conn)
            print(address, flush=True)
            served += 1
        else:
            client_data = r.recv(1024)
            if client_data:
                r.sendall(client_data)
            else:
                inputs.remove(r)
                r.close()
sk.close()

# The tutorials' first select server, on port 8002, in Python 3, taking host,
# port and how many clients to see come and go before exiting (0: forever)
# from argv:
#   python3 select_print_server.py 127.0.0.1 8002 1
# Port 0 picks a free port; the server prints the one it got. Python 3's
# print() would show bytes as b'...': the data is decoded, so the lines read
# as the Python 2 original's. A client that leaves is closed, and counted.
import select
import socket
import sys

sk1 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk1.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk1.bind((sys.argv[1], int(sys.argv[2])))
sk1.listen(5)
sk1.setblocking(0)
print('listening on port', sk1.getsockname()[1], flush=True)
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
gone = 0

inputs = [sk1]
while count == 0 or gone < count:
    readable_list, writeable_list, error_list = select.select(inputs, [], inputs, 1)
    for r in readable_list:
        if sk1 == r:
            print('accept', flush=True)
            request, address = r.accept()
            request.setblocking(0)
            inputs.append(request)
        else:
            received = r.recv(1024)
            if received:
                print('received data:', received.decode(), flush=True)
            else:
                inputs.remove(r)
                r.close()
                gone += 1

sk1.close()

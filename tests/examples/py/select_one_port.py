# The tutorials' "select on one listening socket" server (port 7777), in
# Python 3, taking host, port and how many clients to welcome before exiting
# from argv:
#   python3 select_one_port.py 127.0.0.1 7777 2
# Port 0 picks a free port; the server prints the one it got. Python 3 sends
# bytes, so "欢迎" is encoded; each accepted socket is closed after it.
import select
import socket
import sys

sk = socket.socket()
sk.bind((sys.argv[1], int(sys.argv[2])))
sk.listen(5)
sk.setblocking(False)
print('listening on', sk.getsockname(), flush=True)
count = int(sys.argv[3])
served = 0
while served < count:
    readable, writeable, errable = select.select([sk], [], [], 1)
    for s in readable:
        cnn, add = s.accept()
        cnn.sendall("欢迎".encode())
        print(add, flush=True)
        cnn.close()
        served += 1
sk.close()

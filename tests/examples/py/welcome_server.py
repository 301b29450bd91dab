# The tutorials' "welcome" server with its echo robot, in Python 3, taking
# host, port and how many clients to serve from argv:
#   python3 welcome_server.py 127.0.0.1 9999 2
# Port 0 picks a free port; the server prints the one it got, and each
# message it receives. One fix, as in the TypeScript twin: a client that
# closes without "q" ends its call (the tutorial's loop would spin on b""
# forever); and each call's socket is closed once it is printed.
import socket
import sys

sk = socket.socket()
sk.bind((sys.argv[1], int(sys.argv[2])))
sk.listen()
print('listening on', sk.getsockname(), flush=True)
count = int(sys.argv[3])
for _ in range(count):
    conn, address = sk.accept()
    conn.sendall(bytes("欢迎", encoding="utf-8"))
    while True:
        re = conn.recv(1024)
        if not re:
            break
        ret = str(re, encoding="utf-8")
        print('received:', ret, flush=True)
        if ret == "q":
            break
        conn.sendall(bytes(ret, encoding="utf-8"))
    print(conn, address, flush=True)
    conn.close()
sk.close()

# The tutorials' client of their "welcome" server, in Python 3, taking host
# and port from argv:
#   python3 welcome_client.py 127.0.0.1 9999
# It reads the lines to send from stdin (input()); "q" ends it.
import socket
import sys

obj = socket.socket()
obj.connect((sys.argv[1], int(sys.argv[2])))
re = obj.recv(1024)
print(str(re, encoding="utf-8"))
while True:
    inp = input("请输入要发送的内容(q退出)")
    ret = bytes(inp, encoding="utf-8")
    obj.sendall(ret)
    if inp == "q":
        break
    print(str(obj.recv(1024), encoding="utf-8"))
obj.close()

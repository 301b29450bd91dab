# The tutorials' file upload client, in Python 3. Changes from the tutorial:
# the address and the file come from argv instead of ("192.168.14.39", 999)
# and "f.png".
#   python3 upload_client.py HOST PORT FILE
import os
import socket
import sys

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]

obj = socket.socket()
obj.connect((host, port))
size = os.stat(path).st_size  # 文件大小
obj.sendall(bytes(str(size), encoding="utf-8"))
print(str(obj.recv(1024), encoding="utf-8"))  # 解决粘包问题
with open(path, "rb") as f:
    for i in f:
        obj.sendall(i)
obj.close()

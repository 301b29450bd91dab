# The tutorials' file upload server, in Python 3. Changes from the tutorial:
# the address and the output file come from argv instead of ("192.168.14.39",
# 999) and "new1.png", it prints its port (argv port 0 picks a free one), and
# it serves one client, then exits, so that a test can wait for it.
#   python3 upload_server.py HOST PORT OUTFILE
import socket
import sys

host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]

sk = socket.socket()
sk.bind((host, port,))  # 绑定自己的IP和端口,必须放元祖
sk.listen(5)  # 开始监听传入连接,后面排队的个数不能超过5个
print("listening on %s:%d" % sk.getsockname(), flush=True)
for _ in range(1):  # the tutorial: while True
    conn, address = sk.accept()
    file_size = str(conn.recv(1024), encoding="utf-8")
    total = int(file_size)
    has_total = 0
    conn.sendall(bytes("先走出", encoding="utf-8"))  # 解决粘包问题
    f = open(out, "wb")
    while True:
        if total == has_total:
            break
        re = conn.recv(1024)
        f.write(re)
        has_total = has_total + len(re)
    f.close()
    conn.close()
    print("received %d bytes" % has_total, flush=True)
sk.close()

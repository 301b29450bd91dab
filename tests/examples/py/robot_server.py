# The tutorials' "10086" robot server, in Python 3, taking host, port and how
# many calls to serve (0: forever) from argv:
#   python3 robot_server.py 127.0.0.1 8888 1
# Strings become bytes; a caller that hangs up without 'exit' (recv() returns
# b'') ends the call, where the tutorial's loop would spin.
import socket
import sys

ip_port = (sys.argv[1], int(sys.argv[2]))
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)
print('ready')

served = 0
while count == 0 or served < count:
    conn, address = sk.accept()
    conn.sendall(bytes('欢迎致电 10086,请输入1xxx,0转人工服务.', encoding='utf-8'))
    Flag = True
    while Flag:
        data = conn.recv(1024)
        print('received:', repr(data))
        if data == b'exit' or data == b'':
            Flag = False
        elif data == b'0':
            conn.sendall(bytes('通过可能会被录音.balabala一大推', encoding='utf-8'))
        else:
            conn.sendall(bytes('请重新输入.', encoding='utf-8'))
    conn.close()
    served += 1
sk.close()

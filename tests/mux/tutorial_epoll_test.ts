// Tutorial 002's single-process servers, ported line by line: the epoll
// server and the select server that keeps file numbers (fileno()) in its
// lists.
import assert from "node:assert/strict";
import { epoll, EPOLLIN, select } from "../../mux/mod.ts";
import {
  AF_INET,
  SO_REUSEADDR,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
} from "./_net.ts";
import { python } from "./_util.ts";

const PY_CLIENT = `import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(3):
    s.sendall(("py %d;" % i).encode())
s.close()`;

async function our_client(port: number, name: string): Promise<void> {
  const s = socket();
  await using _ = s;
  await s.connect(["127.0.0.1", port]);
  for (let i = 0; i < 3; i++) await s.sendall(`${name} ${i};`);
}

function str(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

Deno.test("tutorial 002: the epoll server serves clients until they close", async () => {
  const printed: string[] = [];
  const listen_sock = socket(AF_INET, SOCK_STREAM);
  listen_sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  listen_sock.bind(["127.0.0.1", 0]); // ("", 8080)
  listen_sock.listen();
  const port = (listen_sock.getsockname() as [string, number])[1];

  const sock_dict = new Map<number, Socket>();
  const ep = epoll(); // `epoll = select.epoll()`
  ep.register(listen_sock.fileno(), EPOLLIN);

  const clients = Promise.all([
    our_client(port, "a"),
    our_client(port, "b"),
    python(PY_CLIENT, String(port)),
  ]);
  const data = new Map<string, string>();
  let closed = 0;
  // while 1:, bounded: until the three clients have closed.
  for (let round = 0; round < 1000 && closed < 3; round++) {
    const sock_fd_list = await ep.poll();
    for (const [sock_fd, event] of sock_fd_list) {
      if (sock_fd === listen_sock.fileno()) {
        const [conn, client_addr] = await listen_sock.accept();
        printed.push(`客户端${client_addr}已连接`);
        sock_dict.set(conn.fileno(), conn);
        ep.register(conn.fileno(), EPOLLIN);
      } else {
        if (event === EPOLLIN) {
          const sock = sock_dict.get(sock_fd)!;
          const recv_data = await sock.recv(1024);
          if (recv_data.length > 0) {
            const peer = String(sock.getpeername());
            data.set(peer, (data.get(peer) ?? "") + str(recv_data));
          } else {
            printed.push(`客户端${sock.getpeername()}关闭了连接`);
            // The tutorial closes first and unregisters after, which makes
            // CPython (and us) raise OSError EBADF: unregister first.
            ep.unregister(sock_fd);
            await sock.close();
            sock_dict.delete(sock_fd);
            closed++;
          }
        }
      }
    }
  }
  await clients;
  assert.deepEqual(
    [...data.values()].sort(),
    ["a 0;a 1;a 2;", "b 0;b 1;b 2;", "py 0;py 1;py 2;"],
  );
  assert.equal(printed.filter((p) => p.endsWith("已连接")).length, 3);
  assert.equal(sock_dict.size, 0);
  ep.close();
  await listen_sock.close();
});

Deno.test("tutorial 002: the select server with fileno() lists", async () => {
  const listen_sock = socket(AF_INET, SOCK_STREAM);
  listen_sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  listen_sock.bind(["127.0.0.1", 0]);
  listen_sock.listen();
  const port = (listen_sock.getsockname() as [string, number])[1];

  const sock_dict = new Map<number, Socket>();
  const rlist = [listen_sock.fileno()];
  const clients = Promise.all([
    our_client(port, "x"),
    python(PY_CLIENT, String(port)),
  ]);
  const got: string[] = [];
  let closed = 0;
  for (let round = 0; round < 1000 && closed < 2; round++) {
    const [recv_sock_list, _send_sock_list, _except_sock_list] = await select(
      rlist,
      [],
      [],
    );
    for (const sockfd of recv_sock_list) {
      if (sockfd === listen_sock.fileno()) {
        const [new_sock] = await listen_sock.accept();
        rlist.push(new_sock.fileno());
        sock_dict.set(new_sock.fileno(), new_sock);
      } else {
        const recv_data = await sock_dict.get(sockfd)!.recv(1024);
        if (recv_data.length > 0) {
          got.push(str(recv_data));
        } else {
          await sock_dict.get(sockfd)!.close();
          rlist.splice(rlist.indexOf(sockfd), 1);
          sock_dict.delete(sockfd);
          closed++;
        }
      }
    }
  }
  await clients;
  const all = got.join("");
  for (const part of ["x 0;", "x 1;", "x 2;", "py 0;", "py 1;", "py 2;"]) {
    assert.ok(all.includes(part), `${part} missing from ${all}`);
  }
  await listen_sock.close();
});

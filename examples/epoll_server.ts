// deno run --allow-net=127.0.0.1:8080 examples/epoll_server.ts
// Ports the tutorials' epoll server (one process, one thread, epoll): the
// listener and every client are registered with one epoll object by file
// number; epoll.poll() says which are ready; the server prints what each
// client sends and when it closes (it does not answer, as in the tutorial).
//
// Flags: --host/--port (the tutorial binds ("", 8080), every interface; we
// default to 127.0.0.1 to stay off the network), --count N (exit once N
// clients have come and gone; 0, the default, runs until SIGINT or SIGTERM).
//
// Two fixes to the tutorial: it closes a socket before unregistering it,
// which makes epoll.unregister() raise OSError EBADF (in CPython too), so we
// unregister first; and it only handles `event == EPOLLIN`, so a reset
// (EPOLLIN|EPOLLERR|EPOLLHUP) would be reported again and again, never
// handled: we test the EPOLLIN bit, and treat a reset like a close.
import { parseArgs } from "node:util";
import { epoll, EPOLLERR, EPOLLHUP, EPOLLIN } from "../mux/mod.ts";
import {
  type Address,
  AF_INET,
  ConnectionError,
  format_address,
  SO_REUSEADDR,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
} from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8080" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");

const listen_sock = socket(AF_INET, SOCK_STREAM);
listen_sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
listen_sock.bind([flags.host, port]);
listen_sock.listen();

const sock_dict = new Map<number, Socket>();
const client_addrs = new Map<number, Address>();
const ep = epoll(); // epoll = select.epoll()

ep.register(listen_sock.fileno(), EPOLLIN);

let stopping = false;
const stop = () => {
  stopping = true;
  ep.close(); // a closed epoll ends the waiting poll()
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log("listening on", format_address(listen_sock.getsockname()));

let closed = 0;
while (!stopping && (count === 0 || closed < count)) {
  const sock_fd_list = await ep.poll();
  for (const [sock_fd, event] of sock_fd_list) {
    if (stopping) break;
    if (sock_fd === listen_sock.fileno()) {
      const [conn, client_addr] = await listen_sock.accept();
      console.log(`client ${format_address(client_addr)} connected`);
      sock_dict.set(conn.fileno(), conn);
      client_addrs.set(conn.fileno(), client_addr);
      ep.register(conn.fileno(), EPOLLIN);
    } else if (event & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      const sock = sock_dict.get(sock_fd)!;
      let recv_data: Uint8Array;
      try {
        recv_data = await sock.recv(1024);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        recv_data = new Uint8Array(0); // reset: gone all the same
      }
      if (recv_data.length > 0) {
        console.log(
          `client ${format_address(client_addrs.get(sock_fd)!)} sent: ${
            printable(recv_data)
          }`,
        );
      } else {
        console.log(
          `client ${
            format_address(client_addrs.get(sock_fd)!)
          } closed the connection`,
        );
        ep.unregister(sock_fd); // before close(): a closed fd is unknown
        await sock.close();
        sock_dict.delete(sock_fd);
        client_addrs.delete(sock_fd);
        closed++;
      }
    }
  }
}

ep.close();
for (const sock of sock_dict.values()) await sock.close();
await listen_sock.close();
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
console.log("server stopped");

// deno run --allow-net=127.0.0.1:8080 examples/coroutine_server.ts
// The coroutine server that the tutorials' list of server models names but
// leaves empty (one process, one thread, coroutines: a light stack per
// request, scheduled in user space). In Python that is gevent:
// `gevent.spawn(handle_client, new_sock, client_addr)` after each accept().
// In JavaScript every async function is such a coroutine: calling
// handle_client() without awaiting it spawns one, and it yields to the others
// at each `await` (recv, send), all on one thread.
//
// Flags: --host/--port (the tutorial's servers bind ("", 8080), every
// interface; we default to 127.0.0.1 to stay off the network). It serves
// until SIGINT or SIGTERM, then closes the clients still connected.
import { parseArgs } from "node:util";
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
  },
});
const port = number_flag("port", flags.port, "port");

const listen_sock = socket(AF_INET, SOCK_STREAM);
listen_sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
listen_sock.bind([flags.host, port]);
listen_sock.listen(128);

// The running coroutines, to close their sockets when we stop.
const clients = new Map<Socket, Promise<void>>();

async function handle_client(
  new_sock: Socket,
  client_addr: Address,
): Promise<void> {
  try {
    while (true) {
      const recv_data = await new_sock.recv(1024); // yields until data
      if (recv_data.length > 0) {
        console.log(
          `client ${format_address(client_addr)} sent: ${printable(recv_data)}`,
        );
        await new_sock.sendall(recv_data);
      } else {
        console.log(
          `client ${format_address(client_addr)} closed the connection`,
        );
        break;
      }
    }
  } catch (err) {
    // An error ends this coroutine only, as in gevent. When we stop,
    // closing the socket ends the pending recv() here.
    if (err instanceof ConnectionError) {
      console.log(`client ${format_address(client_addr)} reset the connection`);
    } else if (!stopping) {
      console.log(`client ${format_address(client_addr)}: ${err}`);
    }
  } finally {
    await new_sock.close();
    clients.delete(new_sock);
  }
}

let stopping = false;
const stop = () => {
  stopping = true;
  void listen_sock.close(); // ends the pending accept()
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log("listening on", format_address(listen_sock.getsockname()));

while (!stopping) {
  let new_sock: Socket;
  let client_addr: Address;
  try {
    [new_sock, client_addr] = await listen_sock.accept();
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  console.log(`client ${format_address(client_addr)} connected`);
  // gevent.spawn(handle_client, new_sock, client_addr)
  clients.set(new_sock, handle_client(new_sock, client_addr));
}

const running = [...clients];
for (const [sock] of running) await sock.close();
await Promise.all(running.map(([, task]) => task));
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
console.log("server stopped");

// deno run --allow-net=127.0.0.1:8080 examples/nonblocking_server.ts
// Ports the tutorials' non-blocking server (one process, one thread, no
// waiting): with setblocking(false), accept() and recv() never wait; they
// throw BlockingIOError when nothing is there. One loop tries to accept, then
// tries to recv from every client in `client_info`, prints what came and
// drops the clients that closed.
//
// Flags: --host/--port (the tutorial binds ("", 8080), every interface; we
// default to 127.0.0.1 to stay off the network), --count N (exit once N
// clients have come and gone; 0, the default, runs until SIGINT or SIGTERM).
//
// The one change: the loop sleeps 10 ms per round. Python's loop spins at
// 100% CPU; in JavaScript a loop that never awaits a timer would also
// starve the event loop, so no connection or byte could ever arrive.
import { parseArgs } from "node:util";
import {
  type Address,
  AF_INET,
  BlockingIOError,
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const listen_sock = socket(AF_INET, SOCK_STREAM);
listen_sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1); // before bind()
listen_sock.bind([flags.host, port]);
listen_sock.setblocking(false);
listen_sock.listen(128);

let stopping = false;
const stop = () => stopping = true; // seen within one round
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log("listening on", format_address(listen_sock.getsockname()));

let client_info: [Socket, Address][] = [];
let closed = 0;
while (!stopping && (count === 0 || closed < count)) {
  try {
    const [new_sock, client_addr] = await listen_sock.accept();
    new_sock.setblocking(false);
    client_info.push([new_sock, client_addr]);
    console.log(`client ${format_address(client_addr)} connected`);
  } catch (e) {
    if (!(e instanceof BlockingIOError)) throw e; // except BlockingIOError: pass
  }
  const to_delete_list: [Socket, Address][] = [];
  for (const item of client_info) {
    const [sock, cli_addr] = item;
    let recv_data: Uint8Array;
    try {
      recv_data = await sock.recv(1024);
    } catch (e) {
      if (e instanceof BlockingIOError) continue; // nothing yet: next client
      if (!(e instanceof ConnectionError)) throw e;
      recv_data = new Uint8Array(0); // reset: gone all the same
    }
    if (recv_data.length > 0) {
      console.log(
        `client ${format_address(cli_addr)} sent: ${printable(recv_data)}`,
      );
    } else {
      to_delete_list.push(item);
      await sock.close();
      console.log(`client ${format_address(cli_addr)} closed the connection`);
      closed++;
    }
  }
  client_info = client_info.filter((item) => !to_delete_list.includes(item));
  await sleep(10);
}

for (const [sock] of client_info) await sock.close();
await listen_sock.close();
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
console.log("server stopped");

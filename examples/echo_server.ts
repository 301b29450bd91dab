// deno run --allow-net=127.0.0.1:9999 examples/echo_server.ts
// Ports the tutorials' first socket server: bind 127.0.0.1:9999, listen(5),
// then forever accept() a client, recv() what it sends, print it and answer.
// The tutorial answers a fixed text; an echo server sends the bytes back, and
// keeps doing so until the client closes (recv() returns b"", as in the
// tutorials' TCP server walk-through), so longer messages come back whole.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:9999), --count N (serve N
// clients, then exit; 0, the default, runs until SIGINT or SIGTERM),
// --timeout SECS (default 60: a client that sends nothing, or reads nothing
// back, for that long is closed, so it cannot hold this one-at-a-time server
// forever; 0 waits forever, as the tutorial).
import { parseArgs } from "node:util";
import {
  AF_INET,
  SO_REUSEADDR,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    count: { type: "string", default: "0" },
    timeout: { type: "string", default: "60" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");
const timeout = number_flag("timeout", flags.timeout, "seconds");

const decoder = new TextDecoder();

// ip_port = ('127.0.0.1',9999)
const ip_port: [string, number] = [flags.host, port];

// sk = socket.socket()
await using sk = socket(AF_INET, SOCK_STREAM);
// sk.setsockopt(SOL_SOCKET,SO_REUSEADDR,1): restart at once on the same port
sk.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
sk.bind(ip_port);
sk.listen(5);

// Ctrl-C (SIGINT) or SIGTERM closes the listening socket, which ends the
// pending accept(); a client being served is finished first.
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void sk.close();
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [host, bound_port] = sk.getsockname() as [string, number];
console.log(`listening on ${host}:${bound_port}`);

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  console.log("server waiting...");
  // conn,addr = sk.accept()
  let conn: Socket;
  let addr: [string, number];
  try {
    let address;
    [conn, address] = await sk.accept();
    addr = address as [string, number];
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  console.log(`connection from ${addr[0]}:${addr[1]}`);
  if (timeout > 0) conn.settimeout(timeout);
  try {
    while (true) {
      // client_data = conn.recv(1024)
      const client_data = await conn.recv(1024);
      if (client_data.length === 0) break; // the client closed
      // print client_data
      console.log(
        `received ${client_data.length} bytes: ${
          printable(JSON.stringify(decoder.decode(client_data)))
        }`,
      );
      // conn.sendall(...): send back what came in
      await conn.sendall(client_data);
      console.log(`sent ${client_data.length} bytes back`);
    }
  } catch (err) {
    // A client that resets the connection, or stalls, must not stop the
    // server.
    if (err instanceof TimeoutError) {
      console.log(`client ${addr[0]}:${addr[1]} idle for ${timeout} s`);
    } else {
      console.log(`client ${addr[0]}:${addr[1]} failed: ${err}`);
    }
  } finally {
    // conn.close()
    await conn.close();
  }
  console.log(`closed ${addr[0]}:${addr[1]}`);
  served++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

// deno run --allow-net=127.0.0.1:9999 examples/welcome_server.ts
// Ports the tutorials' "welcome" server with its echo robot: accept a
// client, send it "欢迎" ("welcome"), then send back every message it sends
// until it sends "q"; then print who it was and take the next client. One
// client at a time: the others wait in the listen() backlog. Talk to it with
// examples/welcome_client.ts, or `nc 127.0.0.1 9999`.
//
// Flags: --host/--port (the tutorial binds 192.168.14.39:999; we default to
// loopback, and to 9999 because ports below 1024 need root), --count N
// (serve N clients, then exit; 0, the default, runs until SIGINT or
// SIGTERM), --timeout SECS (default 60: a client silent that long is hung
// up on, so one that connects and says nothing cannot hold the line
// forever; 0 waits forever, as the tutorial).
//
// Fixes to the tutorial: a client that closes without "q" (recv() returns
// b"") ends its call, where the Python loop would echo nothing forever at
// full speed; the accepted socket is closed after each call; and what a
// client sends is printed with control characters escaped.
import { parseArgs } from "node:util";
import {
  ConnectionError,
  format_address,
  SO_REUSEADDR,
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

// sk = socket.socket(); sk.bind(("192.168.14.39",999,)); sk.listen()
await using sk = socket();
sk.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
sk.bind([flags.host, port]);
sk.listen(5);

// SIGINT or SIGTERM closes the listening socket, which ends the pending
// accept(), and the call in progress.
let stopping = false;
let current: Socket | null = null;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void sk.close();
  void current?.close();
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log("listening on", format_address(sk.getsockname()));

/** One call: the welcome, then the echo until "q". */
async function serve(conn: Socket): Promise<void> {
  // conn.sendall(bytes("欢迎",encoding="utf-8"))
  await conn.sendall("欢迎");
  while (true) {
    const re = await conn.recv(1024);
    if (re.length === 0) break; // the client closed without "q"
    const ret = decoder.decode(re);
    console.log("received:", printable(ret));
    if (ret === "q") break;
    await conn.sendall(re); // conn.sendall(bytes(ret, encoding="utf-8"))
  }
}

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  // conn , address = sk.accept()
  let conn: Socket;
  let address;
  try {
    [conn, address] = await sk.accept();
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  current = conn;
  if (timeout > 0) conn.settimeout(timeout);
  try {
    await serve(conn);
  } catch (err) {
    if (err instanceof TimeoutError) {
      console.log(`silent for ${timeout} s, hanging up`);
    } else if (!(err instanceof ConnectionError) && !stopping) {
      throw err;
    } // else a reset: the call is over
  } finally {
    // print(conn , address): the socket as Python prints it, then the
    // client's address
    console.log(String(conn), format_address(address));
    current = null;
    await conn.close();
  }
  served++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

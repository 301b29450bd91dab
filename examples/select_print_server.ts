// deno run --allow-net=127.0.0.1:8002 examples/select_print_server.ts
// Ports the tutorials' first select server, on port 8002, the one that
// "seems to serve many clients at once": one select() with a 1-second
// timeout over `inputs` (the listener and every client); the listener being
// readable means a client is waiting to be accepted ("accept"), a client
// being readable means it sent something ("received data: ...") or closed.
// It answers nothing. Type to it with examples/select_print_client.ts, or
// `nc 127.0.0.1 8002`.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:8002), --count N (exit once
// N clients have come and gone; 0, the default, runs until SIGINT or
// SIGTERM). What a client sends is printed with control characters escaped.
// Two fixes to the tutorial: it never closes a client it drops, so the
// process would keep every socket; and a client that resets its connection
// (recv() raises) is dropped like one that closed, instead of ending the
// server.
import { parseArgs } from "node:util";
import { select } from "../mux/mod.ts";
import {
  AF_INET,
  ConnectionError,
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
    port: { type: "string", default: "8002" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");

// sk1 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
const sk1 = socket(AF_INET, SOCK_STREAM);
sk1.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
sk1.bind([flags.host, port]); // sk1.bind(('127.0.0.1',8002))
sk1.listen(5);
sk1.setblocking(false);

let stopping = false;
const stop = () => stopping = true; // seen within a second: select's timeout
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log("listening on port", (sk1.getsockname() as [string, number])[1]);

// inputs = [sk1,]
const inputs: Socket[] = [sk1];
let gone = 0;
while (!stopping && (count === 0 || gone < count)) {
  // readable_list, writeable_list, error_list = select.select(inputs, [], inputs, 1)
  const [readable_list] = await select(inputs, [], inputs, 1);
  for (const r of readable_list) {
    if (r === sk1) {
      // A client connects for the first time.
      console.log("accept");
      const [request] = await r.accept();
      request.setblocking(false);
      inputs.push(request);
      continue;
    }
    // A connected client sent something, or closed.
    let received: Uint8Array;
    try {
      received = await r.recv(1024);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      received = new Uint8Array(0); // reset: gone as well
    }
    if (received.length > 0) {
      console.log("received data:", printable(received));
    } else {
      // The client closed: inputs.remove(r)
      inputs.splice(inputs.indexOf(r), 1);
      await r.close();
      gone++;
    }
  }
}

// sk1.close(), and the clients still connected
for (const s of inputs) await s.close();
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

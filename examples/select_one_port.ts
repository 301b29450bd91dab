// deno run --allow-net=127.0.0.1:7777 examples/select_one_port.ts
// Ports the tutorials' "select on one listening socket" server, port 7777:
// one select() over the listener with a 1-second timeout; when a client is
// waiting, accept it, send it "欢迎" ("welcome") and print its address, as
// Python's repr() shows it. examples/select_two_ports.ts is its sequel.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:7777), --count N (exit
// after N clients; 0, the default, runs until SIGINT or SIGTERM). The
// tutorial never closes the accepted sockets; we close each one once the
// welcome is sent, or the process would keep them all.
import { parseArgs } from "node:util";
import { select } from "../mux/mod.ts";
import { format_address, socket } from "../net/mod.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "7777" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");

// sk = socket.socket(); sk.bind(("127.0.0.1",7777)); sk.listen(5)
const sk = socket();
sk.bind([flags.host, port]);
sk.listen(5);
sk.setblocking(false);

let stopping = false;
const stop = () => stopping = true; // seen within a second: select's timeout
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
console.log("listening on", format_address(sk.getsockname()));

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  // readable,writeable,errable = select.select([sk,],[],[],1)
  const [readable] = await select([sk], [], [], 1);
  for (const s of readable) {
    const [cnn, add] = await s.accept();
    await cnn.sendall("欢迎"); // cnn.sendall("欢迎")
    console.log(format_address(add)); // print add
    await cnn.close();
    served++;
  }
}

await sk.close();
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

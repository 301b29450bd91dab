// deno run --allow-net=127.0.0.1:7777,127.0.0.1:7778 examples/select_two_ports.ts
// Ports the tutorials' "one select over two ports" server: two listening
// sockets, one select() with a 1-second timeout; whichever has a connection
// waiting accepts it and sends the client its own address.
//
// Flags: --host (the tutorial's 127.0.0.1), --port and --port2 (7777 and
// 7778), --count N (exit after N clients; 0, the default, runs until SIGINT
// or SIGTERM). The tutorial never closes the accepted sockets; we close
// each one once the reply is sent, or the process would keep them all.
import { parseArgs } from "node:util";
import { select } from "../mux/mod.ts";
import { format_address, socket } from "../net/mod.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "7777" },
    port2: { type: "string", default: "7778" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const port2 = number_flag("port2", flags.port2, "port");
const count = number_flag("count", flags.count, "count");

const sk1 = socket();
sk1.bind([flags.host, port]);
sk1.listen(5);
sk1.setblocking(false);

const sk2 = socket();
sk2.bind([flags.host, port2]);
sk2.listen(5);
sk2.setblocking(false);

let stopping = false;
const stop = () => stopping = true; // seen within a second: select's timeout
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

console.log(
  `listening on ${format_address(sk1.getsockname())} and ${
    format_address(sk2.getsockname())
  }`,
);

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  const [readable, _writeable, _errable] = await select(
    [sk1, sk2],
    [],
    [],
    1,
  );
  for (const s of readable) {
    const [cnn, add] = await s.accept();
    await cnn.sendall(format_address(add)); // cnn.sendall(format_address(add))
    console.log(
      format_address(add),
      "on port",
      (s.getsockname() as [string, number])[1],
    );
    await cnn.close();
    served++;
  }
}

await sk1.close();
await sk2.close();
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

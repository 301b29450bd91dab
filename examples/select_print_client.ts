// deno run --allow-net=127.0.0.1:8002 examples/select_print_client.ts
// Ports the tutorials' client of their first select server (port 8002):
// connect, then send each line typed ("please input:"), without its newline,
// expecting no answer. Run several at once against
// examples/select_print_server.ts to see one thread serve them all.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:8002). Lines come from
// standard input, typed or piped; the end of input closes the connection,
// where the tutorial's endless loop would stop with an EOFError. An empty
// line is skipped: sending nothing sends nothing.
import { parseArgs } from "node:util";
import { EOFError, input } from "../mux/mod.ts";
import { socket } from "../net/mod.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8002" },
  },
});
const port = number_flag("port", flags.port, "port");

// ip_port = ('127.0.0.1',8002); sk = socket.socket(); sk.connect(ip_port)
await using sk = socket();
await sk.connect([flags.host, port]);
for (;;) {
  let inp: string;
  try {
    inp = await input("please input:"); // inp = raw_input('please input:')
  } catch (err) {
    if (err instanceof EOFError) break;
    throw err;
  }
  if (inp !== "") await sk.sendall(inp); // sk.sendall(inp)
}
console.log(); // end the last prompt's line

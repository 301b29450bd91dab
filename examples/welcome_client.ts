// deno run --allow-net=127.0.0.1:9999 examples/welcome_client.ts
// Ports the tutorials' client of their "welcome" server: connect, print the
// welcome, then send each line typed ("请输入要发送的内容(q退出)": "what to
// send (q quits)") and print the echo, until "q", which is sent and ends the
// client. Works with examples/welcome_server.ts.
//
// Flags: --host/--port (the tutorial dials 192.168.14.39:999; we default to
// 127.0.0.1:9999, where welcome_server.ts listens). Lines come from standard
// input, typed or piped; the end of input ends the client too (Python's
// input() would raise EOFError). An empty line is not sent: sending nothing
// sends nothing, and the tutorial's client would then wait forever for an
// echo. A server that hangs up ends the client with a message.
import { parseArgs } from "node:util";
import { EOFError, input } from "../mux/mod.ts";
import { ConnectionError, socket } from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
  },
});
const port = number_flag("port", flags.port, "port");

// obj = socket.socket(); obj.connect(("192.168.14.39",999))
await using obj = socket();
await obj.connect([flags.host, port]);

/** recv(1024) printed as text; false when the server has hung up. */
async function print_reply(): Promise<boolean> {
  let re: Uint8Array;
  try {
    re = await obj.recv(1024);
  } catch (err) {
    if (!(err instanceof ConnectionError)) throw err;
    re = new Uint8Array(0); // reset: hung up all the same
  }
  if (re.length === 0) {
    console.log("\nthe server hung up");
    return false;
  }
  console.log(printable(re)); // print(str(re,encoding="utf-8"))
  return true;
}

if (await print_reply()) {
  while (true) {
    let inp: string;
    try {
      inp = await input("请输入要发送的内容(q退出)");
    } catch (err) {
      if (err instanceof EOFError) break;
      throw err;
    }
    if (inp === "") continue;
    await obj.sendall(inp); // obj.sendall(bytes(inp,encoding="utf-8"))
    if (inp === "q") break;
    if (!await print_reply()) break;
  }
}

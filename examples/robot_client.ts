// deno run --allow-net=127.0.0.1:8888 examples/robot_client.ts
// Ports the tutorials' "10086" robot client: call the robot, then forever
// print what it says ("receive: ...") and send it the next line you type
// ("please input:"); typing "exit" hangs up. Works with robot_server.ts and
// robot_socketserver.ts.
//
// Flags: --host/--port. The tutorial's client dials port 8005 while its
// server listens on 8888; we default to 127.0.0.1:8888 so the pair works
// (use --port 8009 for robot_socketserver.ts). Lines come from stdin, typed
// or piped; the end of input hangs up too (Python's input() would raise
// EOFError). As in the tutorial, the socket times out after 5 seconds
// without a reply, so an empty line (which sends nothing) ends the call.
import { parseArgs } from "node:util";
import { AF_INET, SOCK_STREAM, socket, TimeoutError } from "../net/mod.ts";
import { EOFError, input } from "../mux/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8888" },
  },
});
const port = number_flag("port", flags.port, "port");

// ip_port = ('127.0.0.1',8005)
const ip_port: [string, number] = [flags.host, port];
// sk = socket.socket(); sk.connect(ip_port); sk.settimeout(5)
await using sk = socket(AF_INET, SOCK_STREAM);
await sk.connect(ip_port);
sk.settimeout(5);

try {
  while (true) {
    // data = sk.recv(1024); print 'receive:',data
    const data = await sk.recv(1024);
    if (data.length === 0) {
      console.log("the server hung up");
      break;
    }
    console.log("receive:", printable(data));
    // inp = raw_input('please input:')
    let inp: string;
    try {
      inp = await input("please input:");
    } catch (err) {
      if (!(err instanceof EOFError)) throw err;
      console.log();
      break;
    }
    // sk.sendall(inp)
    await sk.sendall(inp);
    if (inp === "exit") break;
  }
} catch (err) {
  if (!(err instanceof TimeoutError)) throw err;
  console.log("no reply within 5 seconds, hanging up");
  Deno.exitCode = 1;
} finally {
  // sk.close()
  await sk.close();
}

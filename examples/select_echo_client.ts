// deno run --allow-net=127.0.0.1:6666 examples/select_echo_client.ts
// Ports the tutorials' client of their select echo server on port 6666:
// connect, give the socket a 5-second timeout, then for each line typed
// ("please input message:") strip it, sendall() it, recv() the server's
// answer and print it. Talk to examples/select_server.ts with --port 10000
// (its default), or to any echo server.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:6666). Lines come from
// standard input, typed or piped; the end of input ends the client (where the
// Python 2 original's raw_input() would raise EOFError). Two differences: an
// empty line is not sent (sendall() of nothing sends nothing, so the
// tutorial's client would wait 5 s for an answer that cannot come and die of
// the timeout), and a server that closes or stays silent for 5 s ends the
// client with a message instead of a traceback.
import { parseArgs } from "node:util";
import { EOFError, input } from "../mux/mod.ts";
import { socket, TimeoutError } from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "6666" },
  },
});
const port = number_flag("port", flags.port, "port");

// client = socket.socket(); client.connect(('127.0.0.1',6666))
await using client = socket();
await client.connect([flags.host, port]);
client.settimeout(5);
for (;;) {
  let client_input: string;
  try {
    // client_input = raw_input('please input message:').strip()
    client_input = (await input("please input message:")).trim();
  } catch (err) {
    if (err instanceof EOFError) break;
    throw err;
  }
  if (client_input === "") continue;
  // client.sendall(client_input)
  await client.sendall(client_input);
  let server_data: Uint8Array;
  try {
    // server_data = client.recv(1024)
    server_data = await client.recv(1024);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    console.log("\nno answer within 5 seconds");
    Deno.exitCode = 1;
    break;
  }
  if (server_data.length === 0) {
    console.log("\nthe server closed the connection");
    Deno.exitCode = 1;
    break;
  }
  // print server_data
  console.log(printable(server_data));
}

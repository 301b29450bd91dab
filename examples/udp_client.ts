// deno run --allow-net=127.0.0.1:9999,127.0.0.1:0 --unstable-net examples/udp_client.ts
// Ports the tutorials' UDP client on port 9999: read a line, stop on "exit",
// sendto() it to the server, recvfrom() the reply and print it. The first
// sendto() binds the socket to a free port (127.0.0.1:0 in the grant), as
// Linux does.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:9999), --timeout SECONDS
// (default 5: UDP may lose a datagram, and the tutorial's client would then
// wait forever; a lost reply is reported and the loop goes on; 0 waits
// forever all the same). Lines come from standard input; end of input stops
// it too.
import { parseArgs } from "node:util";
import { AF_INET, SOCK_DGRAM, socket, TimeoutError } from "../net/mod.ts";
import { EOFError, input } from "../mux/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    timeout: { type: "string", default: "5" },
  },
});
const port = number_flag("port", flags.port, "port");
const timeout = number_flag("timeout", flags.timeout, "seconds");

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const ip_port: [string, number] = [flags.host, port];
await using sk = socket(AF_INET, SOCK_DGRAM, 0);
sk.settimeout(timeout > 0 ? timeout : null); // 0: wait forever
while (true) {
  // inp = input('数据:').strip()
  let inp: string;
  try {
    inp = (await input("data: ")).trim();
  } catch (err) {
    if (err instanceof EOFError) break; // end of input
    throw err;
  }
  if (inp === "exit") break;
  await sk.sendto(encoder.encode(inp), ip_port);
  console.log(`sent ${JSON.stringify(inp)} to ${ip_port[0]}:${ip_port[1]}`);
  try {
    // data = sk.recvfrom(1024); print(data)
    const [data, [host, from_port]] = await sk.recvfrom(1024) as [
      Uint8Array,
      [string, number],
    ];
    console.log(
      `received ${
        printable(JSON.stringify(decoder.decode(data)))
      } from ${host}:${from_port}`,
    );
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    console.log(`no reply within ${timeout} s (UDP may lose datagrams)`);
  }
}

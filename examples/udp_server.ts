// deno run --allow-net=127.0.0.1 --unstable-net examples/udp_server.ts
// Ports the tutorials' UDP server on port 9999: bind, then forever recvfrom()
// a datagram, print it with the sender's address, and sendto() the sender the
// reply b"ok". Another tutorial's reply-less UDP server is the same loop.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:9999), --count N (answer N
// datagrams, then exit; 0, the default, runs until SIGINT or SIGTERM).
// The grant is the whole host, not 127.0.0.1:9999: each reply goes to the
// client's own port, which nobody knows in advance. `--unstable-net` is
// needed because Deno's UDP sockets are still unstable.
import { parseArgs } from "node:util";
import { AF_INET, SOCK_DGRAM, socket } from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");

const decoder = new TextDecoder();

const ip_port: [string, number] = [flags.host, port];
await using sk = socket(AF_INET, SOCK_DGRAM, 0);
sk.bind(ip_port);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void sk.close(); // ends the pending recvfrom()
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [bound_host, bound_port] = sk.getsockname() as [string, number];
console.log(`listening on ${bound_host}:${bound_port} (UDP)`);

let answered = 0;
while (!stopping && (count === 0 || answered < count)) {
  let data: Uint8Array;
  let host: string;
  let client_port: number;
  try {
    // data,(host,port) = sk.recvfrom(1024)
    let address;
    [data, address] = await sk.recvfrom(1024);
    [host, client_port] = address as [string, number];
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  // print(data,host,port): the text, and its size in bytes
  console.log(
    `received ${data.length} bytes from ${host}:${client_port}: ${
      printable(JSON.stringify(decoder.decode(data)))
    }`,
  );
  // sk.sendto(bytes('ok', encoding='utf-8'), (host,port))
  await sk.sendto(new TextEncoder().encode("ok"), [host, client_port]);
  console.log(`sent "ok" to ${host}:${client_port}`);
  answered++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

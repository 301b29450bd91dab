// deno run --allow-net=0.0.0.0:8000 --unstable-net examples/udp_broadcast_receiver.ts
// The receiving side of the tutorials' UDP broadcast lesson: their reply-less
// UDP server on port 8000, bound to "" (all interfaces), printing every
// datagram and who sent it.
//
// Flags: --host (default "", all interfaces, as the tutorial: Linux hands a
// broadcast only to sockets bound to all interfaces or to the broadcast
// address itself, so 127.0.0.1 would hear nothing), --port (8000),
// --count N (receive N datagrams, then exit; 0, the default, runs until
// SIGINT or SIGTERM). Send to it with examples/udp_broadcast_sender.ts.
import { parseArgs } from "node:util";
import { AF_INET, SOCK_DGRAM, socket } from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "" },
    port: { type: "string", default: "8000" },
    count: { type: "string", default: "0" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");

const decoder = new TextDecoder();

await using server_sock = socket(AF_INET, SOCK_DGRAM);
server_sock.bind([flags.host, port]);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void server_sock.close(); // ends the pending recvfrom()
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [bound_host, bound_port] = server_sock.getsockname() as [
  string,
  number,
];
console.log(`listening on ${bound_host}:${bound_port} (UDP, broadcasts too)`);

let received = 0;
while (!stopping && (count === 0 || received < count)) {
  let recv_data: Uint8Array;
  let client_addr: [string, number];
  try {
    [recv_data, client_addr] = await server_sock.recvfrom(1024) as [
      Uint8Array,
      [string, number],
    ];
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  console.log(
    `received ${recv_data.length} bytes from ${client_addr[0]}:${
      client_addr[1]
    }: ${printable(JSON.stringify(decoder.decode(recv_data)))}`,
  );
  received++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

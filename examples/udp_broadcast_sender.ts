// deno run --allow-net=127.255.255.255:8000,127.0.0.1:0 --unstable-net examples/udp_broadcast_sender.ts
// Ports the tutorials' UDP broadcast sender: turn SO_BROADCAST on, then
// sendto() each line typed to the broadcast address, port 8000. Without
// SO_BROADCAST the sendto() fails with PermissionError, as in CPython.
//
// Flags: --broadcast ADDR (default 127.255.255.255, the loopback network's
// broadcast, so that trying it never floods a real network; run
// examples/udp_broadcast_receiver.ts to see it), --port (the tutorial's 8000).
// Lines come from standard input; end of input stops it.
// On a real network, use its broadcast address (`ip addr` shows it after
// "brd"; the tutorial's "<broadcast>" means 255.255.255.255) and grant it:
//   deno run --allow-net=192.168.70.255:8000,0.0.0.0:0 --unstable-net \
//     examples/udp_broadcast_sender.ts --broadcast 192.168.70.255
// (0.0.0.0:0 is the free port the first sendto() binds, on all interfaces.)
import { parseArgs } from "node:util";
import {
  AF_INET,
  SO_BROADCAST,
  SOCK_DGRAM,
  socket,
  SOL_SOCKET,
} from "../net/mod.ts";
import { EOFError, input } from "../mux/mod.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    broadcast: { type: "string", default: "127.255.255.255" },
    port: { type: "string", default: "8000" },
  },
});
const port = number_flag("port", flags.port, "port");

const encoder = new TextEncoder();

await using client_socket = socket(AF_INET, SOCK_DGRAM);
// Turn broadcasting on: level SOL_SOCKET, option SO_BROADCAST, value 1.
client_socket.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
// A client need not bind: the first sendto() takes a free port.
const receiver_address: [string, number] = [flags.broadcast, port];
while (true) {
  let msg: string;
  try {
    msg = await input("message to broadcast: ");
  } catch (err) {
    if (err instanceof EOFError) break; // end of input
    throw err;
  }
  const sent = await client_socket.sendto(
    encoder.encode(msg),
    receiver_address,
  );
  console.log(
    `sent ${sent} bytes to ${receiver_address[0]}:${receiver_address[1]}: ${
      JSON.stringify(msg)
    }`,
  );
}

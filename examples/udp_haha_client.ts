// deno run --allow-net=127.0.0.1:8081,127.0.0.1:0 --unstable-net examples/udp_haha_client.ts
// Ports the tutorials' smallest UDP client: one sendto() of b"haha" to
// 127.0.0.1:8081, then close. No connection, no answer: whether anyone
// listens, the datagram is sent and the program ends. The first sendto()
// binds the socket to a free port (127.0.0.1:0 in the grant), as Linux does.
// Watch it arrive with examples/udp_broadcast_receiver.ts --host 127.0.0.1
// --port 8081, or `nc -u -l 8081`.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:8081), --message TEXT
// (default the tutorial's "haha"). `--unstable-net` is needed because Deno's
// UDP sockets are still unstable.
import { parseArgs } from "node:util";
import { AF_INET, SOCK_DGRAM, socket } from "../net/mod.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8081" },
    message: { type: "string", default: "haha" },
  },
});
const port = number_flag("port", flags.port, "port");

// client_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
const client_sock = socket(AF_INET, SOCK_DGRAM);
// client_sock.sendto(b"haha", ('127.0.0.1', 8081))
const sent = await client_sock.sendto(flags.message, [flags.host, port]);
console.log(`sent ${sent} bytes to ${flags.host}:${port}`);
await client_sock.close(); // client_sock.close()

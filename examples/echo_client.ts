// deno run --allow-net=127.0.0.1:9999 examples/echo_client.ts
// Ports the tutorials' first socket client: connect to 127.0.0.1:9999,
// sendall() one message (the tutorial's 请求占领地球, "request to occupy the
// Earth"), recv() the server's reply, print it and close. Against
// echo_server.ts the reply is the message itself.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:9999), --message TEXT.
// The tutorial calls recv(1024) once; a reply can arrive in pieces, so we
// keep receiving until as many bytes came back as we sent, or the server
// closes (a server that answers something else, like the tutorial's, closes
// right after its answer).
import { parseArgs } from "node:util";
import { AF_INET, SOCK_STREAM, socket } from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    message: { type: "string", default: "请求占领地球" },
  },
});
const port = number_flag("port", flags.port, "port");

// ip_port = ('127.0.0.1',9999)
const ip_port: [string, number] = [flags.host, port];

// sk = socket.socket(); sk.connect(ip_port)
await using sk = socket(AF_INET, SOCK_STREAM);
await sk.connect(ip_port);
console.log(`connected to ${ip_port[0]}:${ip_port[1]}`);

// sk.sendall('请求占领地球')
const message = new TextEncoder().encode(flags.message);
await sk.sendall(message);
console.log(`sent ${message.length} bytes: ${JSON.stringify(flags.message)}`);

// server_reply = sk.recv(1024), until the whole echo is in
const chunks: Uint8Array[] = [];
let received = 0;
while (received < message.length) {
  const chunk = await sk.recv(1024);
  if (chunk.length === 0) break; // the server closed
  chunks.push(chunk);
  received += chunk.length;
}
const server_reply = new Uint8Array(received);
let offset = 0;
for (const chunk of chunks) {
  server_reply.set(chunk, offset);
  offset += chunk.length;
}
// print server_reply
console.log(
  `received ${server_reply.length} bytes: ${
    printable(JSON.stringify(new TextDecoder().decode(server_reply)))
  }`,
);

// sk.close()
await sk.close();

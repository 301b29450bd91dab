// deno run --allow-net=127.0.0.1:8443 --allow-read=tests/ssl/fixtures examples/tls_echo_client.ts
// The client of tls_echo_server.ts, as a Python program writes one:
// create_default_context(cafile=...) trusts the test CA, wrap_socket() with
// server_hostname="localhost" checks the server's certificate, then each
// message goes out as one line and its echo is read back with a file from
// makefile(). Run from the repository root (the CA is a fixture file).
//
// Flags: --host/--port (127.0.0.1:8443), --server-hostname (localhost),
// --cafile (tests/ssl/fixtures/ca.pem); the messages are the remaining
// arguments ("你好, TLS" when none).
import { parseArgs } from "node:util";
import { create_connection } from "../net/mod.ts";
import { create_default_context } from "../ssl/mod.ts";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8443" },
    "server-hostname": { type: "string", default: "localhost" },
    cafile: { type: "string", default: "tests/ssl/fixtures/ca.pem" },
  },
});
const port = Number(flags.port);
if (!Number.isInteger(port)) {
  console.error("--port must be an integer");
  Deno.exit(2);
}
const messages = positionals.length > 0 ? positionals : ["你好, TLS"];

// context = ssl.create_default_context(cafile="tests/ssl/fixtures/ca.pem")
const context = create_default_context({ cafile: flags.cafile });
// with socket.create_connection((host, port)) as sock:
//     with context.wrap_socket(sock, server_hostname="localhost") as ssock:
await using ssock = await context.wrap_socket(
  await create_connection([flags.host, port], 10),
  { server_hostname: flags["server-hostname"] },
);
console.log(`connected to ${flags.host}:${port} over TLS`);
await using reader = ssock.makefile("r", { encoding: "utf-8" });
for (const message of messages) {
  await ssock.sendall(message + "\n");
  const line = await reader.readline();
  console.log(`echoed ${JSON.stringify(line.replace(/\n$/, ""))}`);
}

// deno run --allow-net=127.0.0.1:8443 --allow-read=tests/ssl/fixtures examples/tls_echo_server.ts
// A TLS echo server, written the way a Python program writes one with
// socketserver and ssl: a TCPServer whose socket is wrapped by
// ctx.wrap_socket(server.socket, server_side=True) before serve_forever().
// Each client gets every line back. The certificate is the test one for
// localhost and 127.0.0.1 in tests/ssl/fixtures (run from the repository
// root); tls_echo_client.ts trusts its CA.
//
// Flags: --port (8443), --cert/--key (the fixture files), --count N (serve
// N clients, then exit; 0, the default, runs until SIGINT or SIGTERM).
import { parseArgs } from "node:util";
import { StreamRequestHandler, TCPServer } from "../server/mod.ts";
import { create_default_context, Purpose } from "../ssl/mod.ts";

const { values: flags } = parseArgs({
  options: {
    port: { type: "string", default: "8443" },
    cert: { type: "string", default: "tests/ssl/fixtures/localhost.pem" },
    key: { type: "string", default: "tests/ssl/fixtures/localhost.key" },
    count: { type: "string", default: "0" },
  },
});
const port = Number(flags.port);
const count = Number(flags.count);
if (!Number.isInteger(port) || !Number.isInteger(count) || count < 0) {
  console.error("--port and --count must be integers, --count 0 or more");
  Deno.exit(2);
}

let served = 0;
let server: TCPServer | null = null;

class EchoHandler extends StreamRequestHandler {
  override async handle(): Promise<void> {
    const [host, p] = this.client_address as [string, number];
    console.log(`connected ${host}:${p} over TLS`);
    for await (const line of this.rfile) {
      console.log(`echo ${JSON.stringify(new TextDecoder().decode(line))}`);
      await this.wfile.write(line);
    }
    console.log(`closed ${host}:${p}`);
    if (count > 0 && ++served >= count) void server?.shutdown();
  }
}

// context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
const context = create_default_context(Purpose.CLIENT_AUTH);
// context.load_cert_chain(certfile, keyfile)
context.load_cert_chain(flags.cert, flags.key);
// with socketserver.TCPServer(("127.0.0.1", 8443), EchoHandler) as server:
await using tcp = server = new TCPServer(["127.0.0.1", port], EchoHandler);
// server.socket = context.wrap_socket(server.socket, server_side=True)
tcp.socket = await context.wrap_socket(tcp.socket, { server_side: true });
console.log(`serving TLS on 127.0.0.1:${port}`);
const stop = () => void tcp.shutdown();
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
try {
  // server.serve_forever()
  await tcp.serve_forever();
} finally {
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
}

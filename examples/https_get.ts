// deno run --allow-net=127.0.0.1 --allow-read=tests/ssl/fixtures examples/https_get.ts
// An HTTPS GET over a socket wrapped in TLS, the TLS twin of http_hello.ts:
// connect, wrap_socket() with server_hostname="localhost", send the
// request's lines, read the answer until the server closes, print it.
// With no --port it first starts a local TLS server on a free port that
// answers every request with "Hello, World" (as http_hello.ts does in plain
// text), so it runs on its own; with --port it asks the server there.
// Run from the repository root (the certificate files are fixtures).
//
// Flags: --port N (an HTTPS server on 127.0.0.1:N), --path (/),
// --server-hostname (localhost), --cafile (tests/ssl/fixtures/ca.pem).
import { parseArgs } from "node:util";
import { create_connection, create_server, type Socket } from "../net/mod.ts";
import { create_default_context, Purpose, type SSLSocket } from "../ssl/mod.ts";

const { values: flags } = parseArgs({
  options: {
    port: { type: "string" },
    path: { type: "string", default: "/" },
    "server-hostname": { type: "string", default: "localhost" },
    cafile: { type: "string", default: "tests/ssl/fixtures/ca.pem" },
  },
});

// The local server: one request, the shortest valid HTTP/1.1 answer.
async function serve_once(listener: SSLSocket): Promise<void> {
  const [conn] = await listener.accept();
  await using _ = conn;
  let head = "";
  const decoder = new TextDecoder();
  while (!head.includes("\r\n\r\n") && head.length < 65536) {
    const data = await conn.recv(1024);
    if (data.length === 0) break;
    head += decoder.decode(data, { stream: true });
  }
  await conn.sendall(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nHello, World",
  );
}

let port: number;
let listener: SSLSocket | null = null;
let serving: Promise<void> = Promise.resolve();
if (flags.port === undefined) {
  const server_context = create_default_context(Purpose.CLIENT_AUTH);
  server_context.load_cert_chain(
    "tests/ssl/fixtures/localhost.pem",
    "tests/ssl/fixtures/localhost.key",
  );
  const plain: Socket = create_server(["127.0.0.1", 0]);
  listener = await server_context.wrap_socket(plain, { server_side: true });
  port = (listener.getsockname() as [string, number])[1];
  serving = serve_once(listener);
  console.log(`local TLS server on 127.0.0.1:${port}`);
} else {
  port = Number(flags.port);
  if (!Number.isInteger(port)) {
    console.error("--port must be an integer");
    Deno.exit(2);
  }
}

try {
  // context = ssl.create_default_context(cafile=...)
  const context = create_default_context({ cafile: flags.cafile });
  const hostname = flags["server-hostname"];
  // sock = context.wrap_socket(socket.create_connection(...), server_hostname=...)
  await using sock = await context.wrap_socket(
    await create_connection(["127.0.0.1", port], 10),
    { server_hostname: hostname },
  );
  await sock.sendall(
    `GET ${flags.path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`,
  );
  // Read until the server closes: with "Connection: close" that ends the body.
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 100_000; i++) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    chunks.push(data);
  }
  const answer = new TextDecoder().decode(
    await new Blob(chunks as BlobPart[]).arrayBuffer(),
  );
  console.log(answer);
} finally {
  await serving;
  await listener?.close();
}

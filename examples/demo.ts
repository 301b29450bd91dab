// deno run --allow-net=127.0.0.1 --allow-read=. examples/demo.ts
// The tour, also `deno task demo`. --allow-read loads the threaded server's
// workers.
//
// Starts a blocking, a selector and a threaded socketserver on free loopback
// ports, talks to each with Python-style socket calls, prints what happens,
// and exits 0.
import {
  create_connection,
  SelectorTCPServer,
  type Socket,
  StreamRequestHandler,
  TCPServer,
  ThreadingTCPServer,
} from "../mod.ts";

/** Echoes each line back in upper case, saying which server and thread. */
export class Shout extends StreamRequestHandler {
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      const text = new TextDecoder().decode(line).trimEnd();
      const where = typeof WorkerGlobalScope === "undefined"
        ? "main thread"
        : "a worker";
      await this.wfile.write(`${text.toUpperCase()} (from ${where})\n`);
    }
  }
}

declare const WorkerGlobalScope: unknown;
const decoder = new TextDecoder();

async function ask(client: Socket, line: string): Promise<string> {
  await client.sendall(`${line}\n`);
  let reply = "";
  while (!reply.endsWith("\n")) {
    const data = await client.recv(1024);
    if (data.length === 0) break;
    reply += decoder.decode(data);
  }
  return reply.trimEnd();
}

type ServerClass = {
  new (address: [string, number], handler: typeof Shout): TCPServer;
  readonly name: string;
};

async function tour(title: string, Server: ServerClass, clients: number) {
  console.log(`\n${title}`);
  await using server = new Server(["127.0.0.1", 0], Shout);
  const [host, port] = server.server_address as [string, number];
  console.log(`  ${Server.name} listening on ${host}:${port}`);
  const serving = server.serve_forever(0.05);
  const start = performance.now();
  // Each client connects, asks twice, and closes; all at once.
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      await using client = await create_connection([host, port], 10);
      for (const word of [`hello ${i}`, `你好 ${i}`]) {
        const reply = await ask(client, word);
        console.log(`  client ${i}: sent "${word}", got "${reply}"`);
      }
    }),
  );
  const ms = (performance.now() - start).toFixed(0);
  console.log(`  ${clients} clients served in ${ms} ms`);
  await server.shutdown();
  await serving;
}

if (import.meta.main) {
  console.log("pysock: Python's socketserver, on Deno.");
  await tour(
    "1. TCPServer: blocking, one client at a time (as Python's)",
    TCPServer,
    2,
  );
  await tour(
    "2. SelectorTCPServer: many clients at once on one thread",
    SelectorTCPServer,
    3,
  );
  await tour(
    "3. ThreadingTCPServer: handlers in a pool of Web Workers",
    ThreadingTCPServer,
    3,
  );
  console.log("\nDone: every server answered every client.");
}

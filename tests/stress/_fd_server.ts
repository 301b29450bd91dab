// A line echo server for the out-of-descriptors test: prints its port,
// serves until SIGTERM, logs as the library does. The first argument names
// the server class (default SelectorTCPServer).
// bash -c 'ulimit -n 64; exec deno run --unstable-net --allow-net=127.0.0.1 --allow-read tests/stress/_fd_server.ts TCPServer'
import * as server from "../../server/mod.ts";
import { LineEcho } from "./_handlers.ts";

const name = Deno.args[0] ?? "SelectorTCPServer";
const Server = (server as unknown as Record<
  string,
  new (address: [string, number], handler: typeof LineEcho) => server.TCPServer
>)[name]!;
const srv = new Server(["127.0.0.1", 0], LineEcho);
console.log(JSON.stringify({ port: srv.server_address[1] }));
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
await srv.serve_forever(0.05);

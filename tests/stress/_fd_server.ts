// A line echo server for the out-of-descriptors test: prints its port,
// serves until SIGTERM, logs as the library does. The first argument names
// the server class (default SelectorTCPServer); pooled servers run one
// worker or child. Commands on stdin, each answered with a JSON line:
// "fill" opens /dev/null until the descriptor table is full, "free" closes
// those files again.
// bash -c 'ulimit -n 64; exec deno run --unstable-net --allow-net=127.0.0.1 --allow-read tests/stress/_fd_server.ts TCPServer'
import * as server from "../../server/mod.ts";
import { LineEcho } from "./_handlers.ts";
import { stdin_lines } from "./_util.ts";

const name = Deno.args[0] ?? "SelectorTCPServer";
const Server = (server as unknown as Record<
  string,
  new (address: [string, number], handler: typeof LineEcho) => server.TCPServer
>)[name]!;
const srv = new Server(["127.0.0.1", 0], LineEcho);
// One agent: its descriptors run out sooner, and no agent starts short.
if ("max_workers" in srv) srv.max_workers = 1;
console.log(JSON.stringify({ port: srv.server_address[1] }));
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const files: Deno.FsFile[] = [];
(async () => {
  for await (const command of stdin_lines()) {
    if (command === "fill") {
      for (let i = 0; i < 100_000; i++) {
        try {
          files.push(Deno.openSync("/dev/null"));
        } catch {
          break; // EMFILE: the table is full.
        }
      }
    } else if (command === "free") {
      for (const file of files.splice(0)) file.close();
    } else continue;
    console.log(JSON.stringify({ files: files.length }));
  }
})();
await srv.serve_forever(0.05);

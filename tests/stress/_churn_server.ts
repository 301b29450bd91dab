// A SelectorTCPServer with a line echo handler on a free loopback port, for
// the churn test: prints {port, pid}, then serves until SIGTERM. For each
// "stats" line on stdin it collects garbage (run it with
// --v8-flags=--expose-gc) and prints its {heap, rss} in bytes, one JSON line.
// (Not on SIGUSR1: that starts V8's inspector on port 9229.)
// deno run --unstable-net --allow-net=127.0.0.1 --v8-flags=--expose-gc tests/stress/_churn_server.ts
import { SelectorTCPServer } from "../../server/mod.ts";
import { LineEcho } from "./_handlers.ts";
import { stdin_lines } from "./_util.ts";

const server = new SelectorTCPServer(["127.0.0.1", 0], LineEcho);
// Resets and errors are expected under churn: count them, print nothing.
let errors = 0;
server.handle_error = () => {
  errors++;
};
console.log(JSON.stringify({ port: server.server_address[1], pid: Deno.pid }));
(async () => {
  for await (const line of stdin_lines()) {
    if (line !== "stats") continue;
    (globalThis as { gc?: () => void }).gc?.();
    const { heapUsed, rss } = Deno.memoryUsage();
    console.log(JSON.stringify({ heap: heapUsed, rss }));
  }
})();
Deno.addSignalListener("SIGTERM", () => {
  console.error(`errors ${errors}`);
  Deno.exit(0);
});
await server.serve_forever(0.05);

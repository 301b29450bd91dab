/**
 * Echo throughput of `SelectorTCPServer` + `StreamRequestHandler` (a line
 * echo: `for await (const line of this.rfile) this.wfile.write(line)`)
 * against a raw Deno echo loop (one task per connection, `read()` then
 * `write()`), and against CPython's `socketserver.ThreadingTCPServer` with
 * the same handler, under the same load: 50 clients in a separate process
 * (bench/server_load.ts), each sending a 64-byte line and waiting for its
 * echo. Rounds are interleaved; medians are reported, and each ratio is
 * the median of the per-round ratios (the machine is shared and noisy).
 * Goal: SelectorTCPServer / raw >= 0.85.
 *
 * Run: deno run -A bench/server_echo_bench.ts [--rounds 5] [--seconds 1.5]
 *      [--clients 50] [--size 64] [--no-python]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SelectorTCPServer, StreamRequestHandler } from "../server/mod.ts";
import {
  fmt,
  load,
  median,
  python_echo,
  ratio,
  raw_echo,
  type Target,
} from "./server_common.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "1.5" },
    clients: { type: "string", default: "50" },
    size: { type: "string", default: "64" },
    "no-python": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const SIZE = Number(values.size);

class Echo extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for await (const line of this.rfile) await this.wfile.write(line);
  }
}

class Server extends SelectorTCPServer {
  static override request_queue_size = 128;
}

function ours(): Target {
  const server = new Server(["127.0.0.1", 0], Echo);
  const run = server.serve_forever();
  return {
    name: "SelectorTCPServer + StreamRequestHandler",
    port: (server.server_address as [string, number])[1],
    async stop() {
      await server.shutdown();
      await run;
      await server.server_close();
    },
  };
}

const targets: Target[] = [raw_echo(), ours()];
const py = values["no-python"] ? null : await python_echo();
if (py) targets.push(py);
const rates = new Map<string, number[]>(targets.map((t) => [t.name, []]));
console.log(
  `echo, ${CLIENTS} clients, ${SIZE}-byte lines, ${ROUNDS} rounds of ${SECONDS} s`,
);
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const rate = await load(t.port, CLIENTS, SECONDS, SIZE);
      rates.get(t.name)!.push(rate);
      console.log(`  round ${round + 1}: ${t.name.padEnd(42)} ${fmt(rate)}`);
    }
  }
} finally {
  for (const t of targets) await t.stop();
}
const raw = rates.get(targets[0]!.name)!;
const sel = rates.get(targets[1]!.name)!;
console.log("medians:");
for (const t of targets) {
  console.log(`  ${t.name.padEnd(42)} ${fmt(median(rates.get(t.name)!))}`);
}
console.log(
  `ratio SelectorTCPServer / raw Deno loop: ${
    ratio(sel, raw).toFixed(2)
  } (goal >= 0.85)`,
);
if (py) {
  const p = rates.get(py.name)!;
  console.log(
    `ratio SelectorTCPServer / CPython ThreadingTCPServer: ${
      ratio(sel, p).toFixed(2)
    }`,
  );
}

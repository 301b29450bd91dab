/**
 * One-client ping-pong latency of the blocking `TCPServer` against a raw
 * Deno echo loop, and against CPython's `socketserver.ThreadingTCPServer`:
 * one client in a separate process (bench/server_load.ts) sends a 64-byte
 * line and waits for its echo, again and again. Two handlers are measured on
 * TCPServer: `StreamRequestHandler` (rfile lines, wfile writes) and
 * `BaseRequestHandler` (`recv()` / `sendall()`). Rounds are interleaved;
 * medians are reported, and each ratio is the median of the per-round
 * ratios (the machine is shared and noisy).
 * Goal: TCPServer / raw >= 0.9.
 *
 * Run: deno run -A bench/server_pingpong_bench.ts [--rounds 5]
 *      [--seconds 1.5] [--size 64] [--no-python]
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Socket } from "../net/mod.ts";
import {
  BaseRequestHandler,
  StreamRequestHandler,
  TCPServer,
} from "../server/mod.ts";
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
    size: { type: "string", default: "64" },
    "no-python": { type: "boolean", default: false },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const SIZE = Number(values.size);

class LineEcho extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for await (const line of this.rfile) await this.wfile.write(line);
  }
}

class RawEcho extends BaseRequestHandler<Socket> {
  override async handle(): Promise<void> {
    while (true) {
      const data = await this.request.recv(65536);
      if (data.length === 0) return;
      await this.request.sendall(data);
    }
  }
}

function ours(
  name: string,
  Handler: typeof LineEcho | typeof RawEcho,
): Target {
  const server = new TCPServer(["127.0.0.1", 0], Handler);
  const run = server.serve_forever();
  return {
    name,
    port: (server.server_address as [string, number])[1],
    async stop() {
      await server.shutdown();
      await run;
      await server.server_close();
    },
  };
}

const targets: Target[] = [
  raw_echo(),
  ours("TCPServer + StreamRequestHandler", LineEcho),
  ours("TCPServer + BaseRequestHandler", RawEcho),
];
const py = values["no-python"] ? null : await python_echo();
if (py) targets.push(py);
const rates = new Map<string, number[]>(targets.map((t) => [t.name, []]));
console.log(
  `ping-pong, 1 client, ${SIZE}-byte lines, ${ROUNDS} rounds of ${SECONDS} s`,
);
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const rate = await load(t.port, 1, SECONDS, SIZE);
      rates.get(t.name)!.push(rate);
      console.log(`  round ${round + 1}: ${t.name.padEnd(34)} ${fmt(rate)}`);
    }
  }
} finally {
  for (const t of targets) await t.stop();
}
const m = (t: Target) => median(rates.get(t.name)!);
const r = (t: Target) => rates.get(t.name)!;
const raw = r(targets[0]!);
console.log("medians:");
for (const t of targets) {
  console.log(
    `  ${t.name.padEnd(34)} ${fmt(m(t))}  (${
      (1e6 / m(t)).toFixed(1)
    } us per round trip)`,
  );
}
for (const t of targets.slice(1, 3)) {
  console.log(
    `ratio ${t.name} / raw Deno loop: ${
      ratio(r(t), raw).toFixed(2)
    } (goal >= 0.9)`,
  );
}
if (py) {
  for (const t of targets.slice(1, 3)) {
    console.log(
      `ratio ${t.name} / CPython ThreadingTCPServer: ${
        ratio(r(t), r(py)).toFixed(2)
      }`,
    );
  }
}

/**
 * The load generator of the server benchmarks, run as its own process so it
 * does not share an event loop with the server it measures. Each client is a
 * raw `Deno.Conn` ping-pong loop: send one `size`-byte line, read its echo
 * back in full, repeat. After `warmup` seconds it counts round trips for
 * `seconds` seconds and prints one JSON line:
 * `{"messages": n, "seconds": s, "rate": n / s}`.
 *
 * Run: deno run --allow-net=127.0.0.1 bench/server_load.ts --port 8000
 *      [--clients 50] [--seconds 2] [--warmup 0.5] [--size 64]
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string" },
    clients: { type: "string", default: "50" },
    seconds: { type: "string", default: "2" },
    warmup: { type: "string", default: "0.5" },
    size: { type: "string", default: "64" },
  },
});
const port = Number(values.port);
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const size = Number(values.size);
if (!(port > 0 && clients > 0 && seconds > 0 && size >= 2)) {
  console.error("usage: server_load.ts --port N [--clients N] [--seconds S]");
  Deno.exit(2);
}

const message = new Uint8Array(size).fill(0x78);
message[size - 1] = 0x0a;
let measuring = false;
let stop = false;
let count = 0;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function client(): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const buf = new Uint8Array(65536);
  try {
    while (!stop) {
      for (let off = 0; off < size;) {
        off += await conn.write(message.subarray(off));
      }
      for (let got = 0; got < size;) {
        const n = await conn.read(buf);
        if (n === null) throw new Error("The server closed the connection");
        got += n;
      }
      if (measuring) count++;
    }
  } finally {
    conn.close();
  }
}

const running = Array.from({ length: clients }, client);
const failed = Promise.all(running).then(() => null, (error) => error);
await delay(warmup * 1000);
measuring = true;
const t0 = performance.now();
await delay(seconds * 1000);
const messages = count;
const elapsed = (performance.now() - t0) / 1000;
stop = true;
const error = await failed;
if (error !== null) {
  console.error(error);
  Deno.exit(1);
}
console.log(JSON.stringify({
  messages,
  seconds: elapsed,
  rate: messages / elapsed,
}));

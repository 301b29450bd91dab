/**
 * Throughput and latency of our socket against a raw `Deno.Conn` loop doing
 * the same work, over loopback TCP, in one run with the repeats interleaved
 * (each round runs raw and ours back to back, alternating which goes first)
 * and medians reported, so machine noise hits both sides alike.
 *
 * Both ends run in this one process, as two async tasks: a sender and a
 * receiver (bulk), or a client and an echoing server (ping-pong). That is
 * what a Deno program using the library does, and it keeps process start-up
 * and scheduling across processes out of the ratio.
 *
 * 1. Bulk: `sendall()` of 64 KiB chunks into `recv_into()` on one reused
 *    64 KiB buffer, against `conn.write()` / `conn.read()` loops.
 * 2. Ping-pong: 32-byte messages, one connection, `sendall()` and `recv_into()`
 *    (the goal: both sides reuse buffers) and, for information, `recv()` on
 *    both ends against `write()` / `read()`; bounded in count and time.
 *
 * Goal: ours/raw >= 0.9 for both.
 *
 * Run: deno run -A --unstable-net bench/net_bench.ts [--quick] [--rounds 5]
 *      [--bulk-mib 256] [--pings 20000] [--only bulk|ping]
 * (least privilege: `--allow-net=127.0.0.1` is enough).
 *
 * `--quick` (CI smoke: 8 MiB, 2000 pings, 3 rounds, a few seconds) never fails
 * on a missed goal; a full run sets exit code 1 when a ratio is under 0.9.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import {
  create_connection,
  create_server,
  SHUT_WR,
  type Socket,
} from "../net/mod.ts";
import {
  raw_pair,
  raw_read_exact,
  raw_recv_bulk,
  raw_send_bulk,
  raw_write_all,
} from "./_raw.ts";

const CHUNK = 64 * 1024;
const MESSAGE = 32;
/** A ping-pong run stops after this long even if its count is not reached. */
const PING_MS = 3000;
const GOAL = 0.9;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    "bulk-mib": { type: "string" },
    pings: { type: "string" },
    only: { type: "string" },
  },
});
const quick = values.quick;
const rounds = Number(values.rounds ?? (quick ? 3 : 5));
const bulk_bytes = Number(values["bulk-mib"] ?? (quick ? 8 : 256)) * 1024 *
  1024;
const pings = Number(values.pings ?? (quick ? 2000 : 20_000));
const only = values.only ?? "all";
if (only !== "all" && only !== "bulk" && only !== "ping") {
  throw new RangeError(
    `Cannot run benchmark: --only must be bulk or ping, received "${only}"`,
  );
}
for (
  const [name, value] of [["rounds", rounds], ["bulk-mib", bulk_bytes], [
    "pings",
    pings,
  ]] as const
) {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot run benchmark: --${name} must be a positive integer, received ${value}`,
    );
  }
}

async function our_pair(): Promise<[Socket, Socket]> {
  await using server = create_server(["127.0.0.1", 0]);
  const [client, [conn]] = await Promise.all([
    create_connection(server.getsockname() as [string, number]),
    server.accept(),
  ]);
  return [client, conn];
}

/** What one timed run measured. */
interface Sample {
  /** Units per second of wall time: MB/s or round trips/s. */
  rate: number;
  /** Process CPU time (user + system, both ends) per unit, microseconds. */
  cpu: number;
}

/** Starts a wall clock and a CPU clock; the result stops both. */
function clock(): (units: number) => Sample {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return (units) => {
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(c0);
    return { rate: units / seconds, cpu: (used.user + used.system) / units };
  };
}

const MB = 1e6;

// ---- bulk ----

async function bulk_raw(): Promise<Sample> {
  const [a, b] = await raw_pair();
  try {
    const chunk = new Uint8Array(CHUNK).fill(7);
    const buf = new Uint8Array(CHUNK);
    const stop = clock();
    await Promise.all([
      raw_send_bulk(a, chunk, bulk_bytes),
      raw_recv_bulk(b, buf, bulk_bytes),
    ]);
    return stop(bulk_bytes / MB);
  } finally {
    a.close();
    b.close();
  }
}

async function bulk_ours(): Promise<Sample> {
  const [a, b] = await our_pair();
  await using _a = a;
  await using _b = b;
  const chunk = new Uint8Array(CHUNK).fill(7);
  const buf = new Uint8Array(CHUNK);
  const send = async () => {
    for (let sent = 0; sent < bulk_bytes; sent += CHUNK) {
      await a.sendall(chunk.subarray(0, Math.min(CHUNK, bulk_bytes - sent)));
    }
  };
  const recv = async () => {
    let got = 0;
    while (got < bulk_bytes) {
      const n = await b.recv_into(buf);
      if (n === 0) throw new Error(`Bulk receive ended early at ${got} bytes`);
      got += n;
    }
  };
  const stop = clock();
  await Promise.all([send(), recv()]);
  return stop(bulk_bytes / MB);
}

// ---- ping-pong ----

async function ping_raw(): Promise<Sample> {
  const [client, server] = await raw_pair();
  try {
    const ping = new Uint8Array(MESSAGE).fill(1);
    const cbuf = new Uint8Array(MESSAGE);
    const sbuf = new Uint8Array(MESSAGE);
    const serve = async () => {
      while (true) {
        const n = await server.read(sbuf);
        if (n === null) return;
        if (n < MESSAGE) await raw_read_exact(server, sbuf.subarray(n));
        await raw_write_all(server, sbuf);
      }
    };
    const serving = serve();
    const stop = clock();
    const deadline = performance.now() + PING_MS;
    let count = 0;
    while (count < pings) {
      await raw_write_all(client, ping);
      await raw_read_exact(client, cbuf);
      count++;
      if ((count & 255) === 0 && performance.now() > deadline) break;
    }
    const sample = stop(count);
    client.closeWrite();
    await serving;
    return sample;
  } finally {
    client.close();
    server.close();
  }
}

// recv(): a new Uint8Array per call, as Python's recv() returns new bytes.
async function read_exact_recv(sock: Socket): Promise<Uint8Array | null> {
  // One recv() is one message on loopback; the loop covers split reads.
  const first = await sock.recv(MESSAGE);
  if (first.length === MESSAGE) return first;
  if (first.length === 0) return null;
  const msg = new Uint8Array(MESSAGE);
  msg.set(first);
  let got = first.length;
  while (got < MESSAGE) {
    const more = await sock.recv(MESSAGE - got);
    if (more.length === 0) return null;
    msg.set(more, got);
    got += more.length;
  }
  return msg;
}

// recv_into(): one reused buffer per socket, as the raw loop reads.
const into_bufs = new WeakMap<Socket, Uint8Array>();
async function read_exact_into(sock: Socket): Promise<Uint8Array | null> {
  let buf = into_bufs.get(sock);
  if (!buf) into_bufs.set(sock, buf = new Uint8Array(MESSAGE));
  let got = 0;
  while (got < MESSAGE) {
    const n = await sock.recv_into(buf.subarray(got));
    if (n === 0) return null;
    got += n;
  }
  return buf;
}

const ping_ours_recv = () => ping_ours(read_exact_recv);
const ping_ours_into = () => ping_ours(read_exact_into);

async function ping_ours(
  read_exact: (sock: Socket) => Promise<Uint8Array | null>,
): Promise<Sample> {
  const [client, server] = await our_pair();
  await using _c = client;
  await using _s = server;
  const ping = new Uint8Array(MESSAGE).fill(1);
  const serve = async () => {
    while (true) {
      const msg = await read_exact(server);
      if (!msg) return;
      await server.sendall(msg);
    }
  };
  const serving = serve();
  const stop = clock();
  const deadline = performance.now() + PING_MS;
  let count = 0;
  while (count < pings) {
    await client.sendall(ping);
    if (!await read_exact(client)) throw new Error("Ping-pong ended early");
    count++;
    if ((count & 255) === 0 && performance.now() > deadline) break;
  }
  const sample = stop(count);
  await client.shutdown(SHUT_WR);
  await serving;
  return sample;
}

// ---- the run ----

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Case {
  name: string;
  /** False for a row that is shown for information, with no goal. */
  goal: boolean;
  unit: string;
  cpu_unit: string;
  raw: () => Promise<Sample>;
  ours: () => Promise<Sample>;
  samples: { raw: Sample[]; ours: Sample[] };
}

const cases: Case[] = [];
if (only !== "ping") {
  cases.push({
    name: "bulk",
    goal: true,
    unit: "MB/s",
    cpu_unit: "CPU us/MB",
    raw: bulk_raw,
    ours: bulk_ours,
    samples: { raw: [], ours: [] },
  });
}
if (only !== "bulk") {
  // Both sides reuse their buffers: the socket layer's own cost.
  cases.push({
    name: "ping-pong recv_into",
    goal: true,
    unit: "rt/s",
    cpu_unit: "CPU us/round trip",
    raw: ping_raw,
    ours: ping_ours_into,
    samples: { raw: [], ours: [] },
  });
  // recv() allocates its result each call (Python's returns new bytes too).
  cases.push({
    name: "ping-pong recv",
    goal: false,
    unit: "rt/s",
    cpu_unit: "CPU us/round trip",
    raw: ping_raw,
    ours: ping_ours_recv,
    samples: { raw: [], ours: [] },
  });
}

console.log(
  `net_bench: ${rounds} rounds, bulk ${bulk_bytes / 1024 / 1024} MiB in ${
    CHUNK / 1024
  } KiB chunks, ping-pong ${pings} x ${MESSAGE} B (max ${PING_MS} ms), ` +
    `both ends in one process, loopback TCP, Deno ${Deno.version.deno}${
      quick ? " (quick)" : ""
    }`,
);
// One untimed warm-up of each, so JIT and first-use costs fall outside.
for (const c of cases) {
  await c.raw();
  await c.ours();
}

for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0
    ? ["raw", "ours"] as const
    : ["ours", "raw"] as const;
  const parts: string[] = [];
  for (const c of cases) {
    for (const who of order) c.samples[who].push(await c[who]());
    parts.push(
      `${c.name} raw ${c.samples.raw.at(-1)!.rate.toFixed(0)}, ours ${
        c.samples.ours.at(-1)!.rate.toFixed(0)
      } ${c.unit}`,
    );
  }
  console.log(`round ${round + 1} (${order[0]} first): ${parts.join("; ")}`);
}

const cell = (text: string, width: number) => text.padStart(width);
console.log("");
console.log(
  "test".padEnd(26) + cell("raw", 10) + cell("ours", 10) +
    cell("ours/raw", 10) + "  goal         " + "CPU per unit: raw / ours",
);
let missed = false;
for (const c of cases) {
  const raw = median(c.samples.raw.map((s) => s.rate));
  const ours = median(c.samples.ours.map((s) => s.rate));
  const raw_cpu = median(c.samples.raw.map((s) => s.cpu));
  const ours_cpu = median(c.samples.ours.map((s) => s.cpu));
  const ratio = ours / raw;
  if (c.goal && ratio < GOAL) missed = true;
  const verdict = !c.goal
    ? "(info)         "
    : `${ratio >= GOAL ? "ok    " : "MISSED"} >= ${GOAL}  `;
  console.log(
    `${c.name} (${c.unit})`.padEnd(26) + cell(raw.toFixed(0), 10) +
      cell(ours.toFixed(0), 10) + cell(ratio.toFixed(3), 10) +
      `  ${verdict}` +
      `${raw_cpu.toFixed(2)} / ${ours_cpu.toFixed(2)} ${c.cpu_unit}`,
  );
}
console.log(
  `(medians of ${rounds} interleaved rounds; CPU is this process's user + system time, both ends)`,
);
if (missed && !quick) Deno.exitCode = 1;

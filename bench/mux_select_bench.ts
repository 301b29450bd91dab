/**
 * What one `epoll.poll()` / `selector.select()` call costs when 1 socket is
 * ready among N registered idle ones, for N = 10 and N = 10,000 (5,000
 * loopback connections, both ends registered), in one run with the rounds
 * interleaved and medians reported. Goal: cost(10,000) / cost(10) <= 2.
 *
 * Also measured, as figures:
 * - a wake-up round trip (the peer sends a byte, a waiting poll wakes, the
 *   byte is read) among N registered;
 * - `select.select()` over lists of N (a list is scanned per call, as
 *   select(2) does: its cost grows with N by nature);
 * - memory per idle registered socket (`Deno.memoryUsage()`), and per
 *   registration alone;
 * - CPU time spent while 10,000 idle registered sockets wait 1 s (from
 *   /proc/self/stat): idle sockets cost no timers and no wake-ups.
 *
 * 10,000 sockets need that many file descriptors. Deno raises its soft limit
 * to the hard one at start; when that is still too low, the script uses
 * fewer sockets and says so (raise `ulimit -Hn` as root for the full run).
 *
 * Run: deno run -A bench/mux_select_bench.ts [--quick] [--rounds 5]
 *      [--calls 20000] [--sockets 10000]
 * (-A: Deno reads /proc/self/limits and /proc/self/stat only with all access)
 *
 * `--quick` (1,000 sockets, 3 rounds, 2,000 calls) never fails on a missed
 * goal; a full run sets exit code 1 when the ratio is over 2.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DefaultSelector,
  epoll,
  EPOLLIN,
  EVENT_READ,
  select,
} from "../mux/mod.ts";
import { create_connection, create_server, type Socket } from "../net/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    calls: { type: "string" },
    sockets: { type: "string" },
  },
});
const quick = values.quick;
const ROUNDS = Number(values.rounds ?? (quick ? 3 : 5));
const CALLS = Number(values.calls ?? (quick ? 2_000 : 20_000));
let SOCKETS = Number(values.sockets ?? (quick ? 1_000 : 10_000));
const SMALL = 10;
const WAKES = quick ? 200 : 1_000;

// ---- file descriptor limit ----

// Deno raises its soft limit to the hard one at start; read what it got.
function fd_limit(): number {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const line = limits.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  return soft === undefined || soft === "unlimited" ? Infinity : Number(soft);
}

const limit = fd_limit();
if (limit < SOCKETS + 200) {
  SOCKETS = Math.max(SMALL * 2, Math.floor((limit - 200) / 2) * 2);
  console.log(
    `open files are limited to ${limit}: using ${SOCKETS} sockets; raise the hard limit (ulimit -Hn) for 10,000`,
  );
}

// ---- sockets ----

async function connections(
  server: Socket,
  pairs: number,
): Promise<Socket[]> {
  const address = server.getsockname() as [string, number];
  const out: Socket[] = [];
  const BATCH = 100;
  for (let done = 0; done < pairs; done += BATCH) {
    const n = Math.min(BATCH, pairs - done);
    const clients = Array.from({ length: n }, () => create_connection(address));
    for (let i = 0; i < n; i++) out.push((await server.accept())[0]);
    out.push(...await Promise.all(clients));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mem(): { rss: number; heap: number } {
  const m = Deno.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

function cpu_ms(): number {
  // utime and stime, in clock ticks (100 per second on Linux).
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// ---- the measured calls ----

type Poller = {
  poll0(): Promise<number>;
  wait(): Promise<number>;
  close(): void;
};

function epoll_poller(idle: Socket[], ready: Socket): Poller {
  const ep = epoll();
  for (const s of idle) ep.register(s, EPOLLIN);
  ep.register(ready, EPOLLIN);
  return {
    poll0: async () => (await ep.poll(0)).length,
    wait: async () => (await ep.poll(5)).length,
    close: () => ep.close(),
  };
}

function selector_poller(idle: Socket[], ready: Socket): Poller {
  const sel = new DefaultSelector();
  for (const s of idle) sel.register(s, EVENT_READ);
  sel.register(ready, EVENT_READ);
  return {
    poll0: async () => (await sel.select(0)).length,
    wait: async () => (await sel.select(5)).length,
    close: () => sel.close(),
  };
}

function select_poller(idle: Socket[], ready: Socket): Poller {
  const list = [...idle, ready];
  return {
    poll0: async () => (await select(list, [], [], 0))[0].length,
    wait: async () => (await select(list, [], [], 5))[0].length,
    close: () => {},
  };
}

// µs per call of poll0() with `ready` holding one unread byte.
async function per_call(
  make: (idle: Socket[], ready: Socket) => Poller,
  idle: Socket[],
  ready: Socket,
  peer: Socket,
  calls: number,
): Promise<number> {
  const p = make(idle, ready);
  try {
    await peer.sendall("x");
    if ((await p.wait()) !== 1) throw new Error("Ready socket not reported");
    for (let i = 0; i < 100; i++) await p.poll0(); // warm up
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      if ((await p.poll0()) !== 1) throw new Error("Lost the ready socket");
    }
    const us = (performance.now() - t0) * 1000 / calls;
    await ready.recv(16);
    return us;
  } finally {
    p.close();
  }
}

// µs per round trip: the peer sends, a waiting poll wakes, we read.
async function per_wake(
  make: (idle: Socket[], ready: Socket) => Poller,
  idle: Socket[],
  ready: Socket,
  peer: Socket,
  wakes: number,
): Promise<number> {
  const p = make(idle, ready);
  try {
    ready.setblocking(false);
    const t0 = performance.now();
    for (let i = 0; i < wakes; i++) {
      await peer.sendall("x");
      if ((await p.wait()) !== 1) throw new Error("No wake-up");
      await ready.recv(16);
    }
    return (performance.now() - t0) * 1000 / wakes;
  } finally {
    ready.setblocking(true);
    p.close();
  }
}

// ---- run ----

const server = create_server(["127.0.0.1", 0], { backlog: 511 });
const base = mem();
const t_make = performance.now();
const socks = await connections(server, SOCKETS / 2);
const made = mem();
console.log(
  `${socks.length} sockets made in ${
    ((performance.now() - t_make) / 1000).toFixed(1)
  } s`,
);
// The ready socket and its peer: one more connection of their own.
const peer = await create_connection(server.getsockname() as [string, number]);
const [ready] = await server.accept();
const idle = socks;

// Memory of registration alone: all idle sockets in one epoll, reads started.
const before_reg = mem();
const ep_all = epoll();
for (const s of idle) ep_all.register(s, EPOLLIN);
await ep_all.poll(0.2);
const after_reg = mem();

// Idle cost: CPU used while the registered sockets wait 1 s.
const cpu0 = cpu_ms();
const t_idle = performance.now();
const idle_ready = await ep_all.poll(1);
const idle_wall = performance.now() - t_idle;
const idle_cpu = cpu_ms() - cpu0;
ep_all.close();
if (idle_ready.length !== 0) throw new Error("An idle socket was ready");

const kinds = [
  ["epoll.poll(0)", epoll_poller],
  ["DefaultSelector.select(0)", selector_poller],
] as const;
const results = new Map<string, number[]>();
const add = (name: string, v: number) =>
  results.set(name, [...(results.get(name) ?? []), v]);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of kinds) {
    const sizes = round % 2 === 0 ? [SMALL, SOCKETS] : [SOCKETS, SMALL];
    for (const n of sizes) {
      add(
        `${name} N=${n}`,
        await per_call(make, idle.slice(0, n - 1), ready, peer, CALLS),
      );
      add(
        `${name} wake N=${n}`,
        await per_wake(make, idle.slice(0, n - 1), ready, peer, WAKES),
      );
    }
  }
}
// select.select() over lists: linear by nature; fewer calls.
for (const n of [SMALL, 1_000, SOCKETS]) {
  const calls = Math.max(20, Math.floor(CALLS * SMALL / n));
  add(
    `select.select(0) N=${n}`,
    await per_call(select_poller, idle.slice(0, n - 1), ready, peer, calls),
  );
}

console.log(`\nper call, median of ${ROUNDS} rounds (µs):`);
for (const [name, xs] of results) {
  console.log(`  ${name.padEnd(40)} ${median(xs).toFixed(2)}`);
}
let failed = false;
console.log("\nratios N=" + SOCKETS + " / N=" + SMALL + " (goal <= 2):");
for (const [name] of kinds) {
  for (const what of ["", " wake"]) {
    const big = median(results.get(`${name}${what} N=${SOCKETS}`)!);
    const small = median(results.get(`${name}${what} N=${SMALL}`)!);
    const ratio = big / small;
    if (what === "" && ratio > 2) failed = true;
    console.log(
      `  ${(name + what).padEnd(40)} ${ratio.toFixed(2)}${
        what === "" ? (ratio <= 2 ? "  ok" : "  MISSED") : ""
      }`,
    );
  }
}
const sel_ratio = median(results.get(`select.select(0) N=${SOCKETS}`)!) /
  median(results.get(`select.select(0) N=${SMALL}`)!);
console.log(
  `  ${"select.select(0) over lists (linear)".padEnd(40)} ${
    sel_ratio.toFixed(1)
  }`,
);
const n_idle = idle.length;
console.log(`\nmemory (${n_idle} idle sockets):`);
console.log(
  `  per socket (connection end, made):    rss ${
    ((made.rss - base.rss) / socks.length / 1024).toFixed(2)
  } KiB, heap+external ${
    ((made.heap - base.heap) / socks.length / 1024).toFixed(2)
  } KiB`,
);
console.log(
  `  per registration (epoll, read armed): rss ${
    ((after_reg.rss - before_reg.rss) / n_idle / 1024).toFixed(2)
  } KiB, heap+external ${
    ((after_reg.heap - before_reg.heap) / n_idle / 1024).toFixed(2)
  } KiB`,
);
console.log(
  `\nidle: ${n_idle} registered sockets waited ${
    idle_wall.toFixed(0)
  } ms using ${idle_cpu} ms of CPU`,
);

await Promise.all([...socks, peer, ready].map((s) => s.close()));
await server.close();
if (failed && !quick) Deno.exit(1);

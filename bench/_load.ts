/**
 * The load generator of bench/main.ts, run as its own process so it never
 * shares an event loop with the server it measures. Every client is a raw
 * `Deno.Conn` with TCP_NODELAY; every phase is bounded in time, and the
 * process ends with `Deno.exit` so a connection the server never answers
 * (the blocking server queues all but one) cannot keep it alive.
 *
 * Modes:
 * - `ping`: `--conns` connections, each sends `--size` bytes and reads the
 *   echo back in full, again and again; round trips are counted, and timed
 *   one by one, for `--seconds` after `--warmup`.
 * - `bulk`: one connection; a writer sends `--bytes` in 64 KiB chunks while
 *   a reader takes the echo back; MB/s of echoed bytes, stopped at
 *   `--seconds` if not done.
 * - `cps`: `--conns` loops of connect, one `--size`-byte message and its
 *   echo, close; each connection is timed from connect to close.
 * - `idle`: opens `--idle` connections that never send (`--idle-seconds`
 *   at most), waits `--settle` seconds for the server to take them in, then
 *   runs `ping` with `--conns` connections beside them. With `--idle-echo`
 *   each idle connection first echoes one message, so the server holds a
 *   connection that has served and now waits.
 *
 * Prints one JSON line: `{ops, all_ops, seconds, rate, mbps, bytes, p50_us,
 * p99_us, served, conns, idle_open, errors}` (`all_ops` includes the
 * warm-up); `served` counts connections that completed at
 * least one round trip (the blocking server serves one at a time).
 *
 * Run: deno run --allow-net=127.0.0.1 bench/_load.ts --port 8000
 *      --mode ping [--conns 1] [--size 32] [--seconds 2] [--warmup 0.5]
 *      [--bytes 268435456] [--idle 1000] [--idle-seconds 10] [--settle 1]
 *      [--idle-echo]
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string" },
    mode: { type: "string", default: "ping" },
    conns: { type: "string", default: "1" },
    size: { type: "string", default: "32" },
    seconds: { type: "string", default: "2" },
    warmup: { type: "string", default: "0.5" },
    bytes: { type: "string", default: String(256 * 1024 * 1024) },
    idle: { type: "string", default: "1000" },
    "idle-seconds": { type: "string", default: "10" },
    settle: { type: "string", default: "1" },
    "connect-timeout": { type: "string", default: "3" },
    "idle-echo": { type: "boolean", default: false },
  },
});

function number_arg(name: string, min: number): number {
  const value = Number(values[name as keyof typeof values]);
  if (!Number.isFinite(value) || value < min) {
    console.error(
      `Cannot run load: --${name} must be a number >= ${min}, received ${
        values[name as keyof typeof values]
      }`,
    );
    Deno.exit(2);
  }
  return value;
}

const PORT = number_arg("port", 1);
const MODE = values.mode;
const CONNS = number_arg("conns", 1);
const SIZE = number_arg("size", 1);
const SECONDS = number_arg("seconds", 0.05);
const WARMUP = number_arg("warmup", 0);
const BYTES = number_arg("bytes", 1);
const IDLE = number_arg("idle", 0);
const IDLE_SECONDS = number_arg("idle-seconds", 0.1);
const SETTLE = number_arg("settle", 0);
const CONNECT_MS = number_arg("connect-timeout", 0.1) * 1000;
const CHUNK = 64 * 1024;
/** Latency samples kept at most; later ones are counted, not timed. */
const MAX_SAMPLES = 1 << 21;
/** Connections `cps` opens at most, so closed ones in TIME_WAIT cannot use up
 * the ephemeral ports; the measurement ends early when it is reached. */
const MAX_CONNECTS = 20_000;

const message = new Uint8Array(SIZE).fill(0x78);
message[SIZE - 1] = 0x0a;
const samples = new Float64Array(MAX_SAMPLES);
let sampled = 0;
let ops = 0;
/** Round trips or connections including the warm-up: the server's CPU time
 * is read over the whole run, so it is divided by these. */
let all_ops = 0;
let errors = 0;
let served = 0;
let served_when_measured = -1;
let measuring = false;
let stopping = false;
let connects = 0;
let end_early: () => void = () => {};
const ended_early = new Promise<void>((resolve) => end_early = resolve);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function record(ms: number): void {
  all_ops++;
  if (!measuring) return;
  ops++;
  if (sampled < MAX_SAMPLES) samples[sampled++] = ms;
}

/** Connects, or gives `null` after CONNECT_MS (the attempt is abandoned). */
async function connect(): Promise<Deno.TcpConn | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = Deno.connect({ hostname: "127.0.0.1", port: PORT });
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), CONNECT_MS);
  });
  try {
    const conn = await Promise.race([attempt, timeout]);
    if (conn === null) {
      // Close it should it connect later; the process exit ends it anyway.
      attempt.then((late) => late.close(), () => {});
      return null;
    }
    conn.setNoDelay(true);
    return conn;
  } catch {
    errors++;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function write_all(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await conn.write(data.subarray(off));
  }
}

async function read_exact(conn: Deno.Conn, buf: Uint8Array): Promise<void> {
  for (let got = 0; got < buf.length;) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) throw new Error("The server closed the connection");
    got += n;
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

async function pinger(): Promise<void> {
  const conn = await connect();
  if (conn === null) return;
  const buf = new Uint8Array(SIZE);
  let first = true;
  try {
    while (!stopping) {
      const t0 = performance.now();
      await write_all(conn, message);
      await read_exact(conn, buf);
      record(performance.now() - t0);
      if (first) {
        served++;
        first = false;
      }
    }
  } catch {
    if (!stopping) errors++;
  } finally {
    close(conn);
  }
}

async function connector(): Promise<void> {
  const buf = new Uint8Array(SIZE);
  while (!stopping) {
    if (++connects > MAX_CONNECTS) {
      end_early();
      return;
    }
    const t0 = performance.now();
    const conn = await connect();
    if (conn === null) continue;
    try {
      await write_all(conn, message);
      await read_exact(conn, buf);
      close(conn);
      record(performance.now() - t0);
      served++;
    } catch {
      if (!stopping) errors++;
      close(conn);
    }
  }
}

/** Runs `workers` until WARMUP + SECONDS have passed; returns the seconds. */
async function timed(workers: Promise<void>[]): Promise<number> {
  const all = Promise.all(workers);
  await delay(WARMUP * 1000);
  measuring = true;
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    new Promise((resolve) => timer = setTimeout(resolve, SECONDS * 1000)),
    ended_early,
  ]);
  clearTimeout(timer);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  // Once the served client stops, the blocking server takes the next one:
  // count those served while it was measured.
  served_when_measured = served;
  stopping = true;
  // Answered workers end at once; queued ones never will: do not wait long.
  await Promise.race([all, delay(500)]);
  return seconds;
}

async function bulk(): Promise<{ seconds: number; bytes: number }> {
  const conn = await connect();
  if (conn === null) return { seconds: 0, bytes: 0 };
  const chunk = new Uint8Array(CHUNK).fill(0x78);
  const buf = new Uint8Array(CHUNK);
  const deadline = performance.now() + SECONDS * 1000;
  let got = 0;
  const t0 = performance.now();
  const writing = (async () => {
    for (let sent = 0; sent < BYTES && !stopping;) {
      const n = Math.min(CHUNK, BYTES - sent);
      await write_all(conn, chunk.subarray(0, n));
      sent += n;
    }
  })();
  const reading = (async () => {
    while (got < BYTES) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("The server closed the connection");
      got += n;
      if (performance.now() > deadline) break;
    }
  })();
  const timer = delay(SECONDS * 1000 + 100);
  try {
    await Promise.race([reading, timer]);
  } catch {
    errors++;
  }
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  writing.catch(() => {});
  reading.catch(() => {});
  close(conn);
  if (got > 0) served = 1;
  return { seconds, bytes: got };
}

// Connects and echoes one message; `null` when either fails.
async function echo_once(): Promise<Deno.TcpConn | null> {
  const conn = await connect();
  if (conn === null) return null;
  try {
    await write_all(conn, message);
    await read_exact(conn, new Uint8Array(SIZE));
    return conn;
  } catch {
    errors++;
    close(conn);
    return null;
  }
}

async function open_idle(): Promise<number> {
  const deadline = performance.now() + IDLE_SECONDS * 1000;
  const idle: Deno.Conn[] = [];
  // 50 at a time, so the accept queue sees a burst, not a flood.
  while (idle.length < IDLE && performance.now() < deadline) {
    const batch = Math.min(50, IDLE - idle.length);
    const got = await Promise.all(
      Array.from({ length: batch }, values["idle-echo"] ? echo_once : connect),
    );
    let failed = 0;
    for (const conn of got) {
      if (conn === null) failed++;
      else idle.push(conn);
    }
    if (failed === batch) break; // the server takes no more: stop trying
  }
  return idle.length; // held open until the process exits
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.floor(p * sorted.length));
  return sorted[i]! * 1000;
}

let seconds = 0;
let idle_open = 0;
let bytes = 0;
if (MODE === "ping") {
  seconds = await timed(Array.from({ length: CONNS }, pinger));
} else if (MODE === "cps") {
  seconds = await timed(Array.from({ length: CONNS }, connector));
} else if (MODE === "idle") {
  idle_open = await open_idle();
  // Let the server take in the burst before the active clients start.
  await delay(SETTLE * 1000);
  seconds = await timed(Array.from({ length: CONNS }, pinger));
} else if (MODE === "bulk") {
  ({ seconds, bytes } = await bulk());
} else {
  console.error(
    `Cannot run load: --mode must be ping, bulk, cps or idle, received "${MODE}"`,
  );
  Deno.exit(2);
}
const sorted = samples.subarray(0, sampled).sort();
console.log(JSON.stringify({
  mode: MODE,
  ops,
  all_ops,
  seconds,
  rate: seconds > 0 ? ops / seconds : 0,
  mbps: seconds > 0 ? bytes / 1e6 / seconds : 0,
  bytes,
  p50_us: percentile(sorted, 0.5),
  p99_us: percentile(sorted, 0.99),
  served: served_when_measured >= 0 ? served_when_measured : served,
  conns: MODE === "bulk" ? 1 : CONNS,
  idle_open,
  errors,
}));
Deno.exit(0);

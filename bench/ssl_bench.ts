/**
 * TLS benchmark: pysock's `SSLSocket` against a raw `Deno.listenTls` echo
 * loop and CPython's `ssl`, in one run. Each server is its own process,
 * started fresh per measurement; the clients run here.
 *
 * - bulk: one connection, 64 KiB writes while the echo is read back, for
 *   `--seconds`; MB/s echoed. Raw Deno TLS client against each server, and
 *   pysock's SSLSocket client (sendall / recv_into) against the raw server.
 * - handshakes: 4 loops of connect + handshake + close, for
 *   `--seconds`; handshakes per second, same pairs.
 *
 * Clients set TCP_NODELAY, as the other benchmarks' load generator does.
 * Each measurement follows `--warmup` seconds (1) of the same load.
 * The server's CPU time (from /proc, warm-up included) per MB echoed and
 * per handshake moves less than the rates on a busy machine.
 * Every ratio is to the raw loop measured in the same repeat; the report
 * gives medians over `--repeats`.
 *
 * Each measurement's clients run in a fresh process too.
 *
 * Run: deno run --allow-net=127.0.0.1 --allow-read --allow-run bench/ssl_bench.ts [--repeats 5] [--seconds 2] [--warmup 1] [--smoke]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { create_connection, IPPROTO_TCP, TCP_NODELAY } from "../net/mod.ts";
import { create_default_context, type SSLContext } from "../ssl/mod.ts";

const { values: flags } = parseArgs({
  options: {
    repeats: { type: "string", default: "5" },
    seconds: { type: "string", default: "2" },
    warmup: { type: "string", default: "1" },
    smoke: { type: "boolean", default: false },
    // Internal: run one measurement as a client process, print the figure.
    measure: { type: "string" },
    client: { type: "string" },
    port: { type: "string" },
  },
});
const REPEATS = flags.smoke ? 1 : Number(flags.repeats);
let SECONDS = flags.smoke ? 0.3 : Number(flags.seconds);
const WARMUP = flags.smoke ? 0.1 : Number(flags.warmup);
const ROOT = new URL("../", import.meta.url);
const CA = Deno.readTextFileSync(new URL("tests/ssl/fixtures/ca.pem", ROOT));
const CHUNK = 64 * 1024;

type ServerName = "raw" | "pysock-recv" | "pysock-recv_into" | "cpython";

const SERVERS: Record<ServerName, string[]> = {
  raw: [
    "deno",
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "bench/_servers/tls_raw.ts",
  ],
  "pysock-recv": [
    "deno",
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "bench/_servers/tls_pysock.ts",
    "recv",
  ],
  "pysock-recv_into": [
    "deno",
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "bench/_servers/tls_pysock.ts",
    "recv_into",
  ],
  cpython: ["python3", "bench/_servers/py_ssl.py"],
};

interface Running extends AsyncDisposable {
  port: number;
  /** The server process's CPU time so far, in ms. */
  cpu(): Promise<number>;
}

// Deno lets only --allow-all read /proc/<pid>, so cat reads it for us.
async function cpu_ms(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] })
    .output();
  const fields = new TextDecoder().decode(out.stdout).split(") ")[1]!.split(
    " ",
  );
  // utime and stime, in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function start(name: ServerName): Promise<Running> {
  const [cmd, ...args] = SERVERS[name];
  const child = new Deno.Command(cmd!, {
    args,
    cwd: ROOT.pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} server exited before printing its port`);
    text += value;
  }
  reader.releaseLock();
  const drain = child.stdout.cancel().catch(() => {});
  return {
    port: Number(text.trim()),
    cpu: () => cpu_ms(child.pid),
    async [Symbol.asyncDispose]() {
      await child.stdin.close().catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.status;
      clearTimeout(timer);
      await drain;
    },
  };
}

type ClientName = "raw" | "pysock";

interface Link {
  write(b: Uint8Array): Promise<void>;
  read(b: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

let client_ctx: SSLContext | null = null;

async function connect(client: ClientName, port: number): Promise<Link> {
  if (client === "raw") {
    // Connect, then start TLS for "localhost", as the SSLSocket client does.
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
    // Without it, Nagle and delayed ACKs hold the 1-byte echo for 40 ms.
    tcp.setNoDelay(true);
    const conn = await Deno.startTls(tcp, {
      hostname: "localhost",
      caCerts: [CA],
    });
    await conn.handshake();
    return {
      async write(b) {
        for (let at = 0; at < b.length;) at += await conn.write(b.subarray(at));
      },
      async read(b) {
        return (await conn.read(b)) ?? 0;
      },
      close: () => Promise.resolve(conn.close()),
    };
  }
  // One context for every connection, as a program would keep it.
  const ctx = client_ctx ??= create_default_context({
    cafile: new URL("tests/ssl/fixtures/ca.pem", ROOT),
  });
  const plain = await create_connection(["127.0.0.1", port]);
  plain.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  const sock = await ctx.wrap_socket(plain, { server_hostname: "localhost" });
  return {
    write: (b) => sock.sendall(b),
    read: (b) => sock.recv_into(b),
    close: () => sock.close(),
  };
}

/** MB/s echoed through one connection in `SECONDS`. */
// What the client measured in all (MB echoed, or handshakes), warm-up
// included: the server's CPU time is divided by it.
let units = 0;

async function bulk(client: ClientName, port: number): Promise<number> {
  const link = await connect(client, port);
  const out = new Uint8Array(CHUNK).fill(0x61);
  const inbuf = new Uint8Array(CHUNK);
  let sent = 0;
  let got = 0;
  let stop = false;
  // The writer keeps at most 1 MiB in flight and waits for the reader to
  // take echoes back, so the echo is what is measured.
  const room: { wake: (() => void) | null } = { wake: null };
  const started = performance.now();
  const writer = (async () => {
    while (!stop) {
      if (sent - got > 1 << 20) {
        await new Promise<void>((resolve) => room.wake = resolve);
        continue;
      }
      await link.write(out);
      sent += out.length;
    }
  })();
  const deadline = started + SECONDS * 1000;
  while (performance.now() < deadline) {
    const n = await link.read(inbuf);
    if (n === 0) break;
    got += n;
    const wake = room.wake;
    room.wake = null;
    wake?.();
  }
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  room.wake?.();
  await writer.catch(() => {});
  await link.close();
  units += got / 1e6;
  return got / elapsed / 1e6;
}

/**
 * Handshakes per second, 4 loops at once. No echo after the handshake: the
 * server's side of a TLS connection cannot set TCP_NODELAY in Deno, so a
 * 1-byte reply waits 40 ms for a delayed ACK now and then; the client's
 * handshake cannot finish before the server signed its part anyway.
 */
async function handshakes(client: ClientName, port: number): Promise<number> {
  let count = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < deadline) {
      const link = await connect(client, port);
      await link.close();
      count++;
    }
  }));
  units += count;
  return count / ((performance.now() - started) / 1000);
}

// One measurement in a fresh client process: Deno keeps a closed TLS
// connection's descriptor for a while, so thousands of handshakes in one
// process would run out of descriptors over a long run.
async function measure(
  what: "bulk" | "handshakes",
  client: ClientName,
  server: Running,
): Promise<[number, number]> {
  const port = server.port;
  const before = await server.cpu();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      new URL(import.meta.url).pathname,
      "--measure",
      what,
      "--client",
      client,
      "--port",
      String(port),
      "--seconds",
      String(SECONDS),
      "--warmup",
      String(WARMUP),
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "inherit",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  const [value, total] = new TextDecoder().decode(out.stdout).trim().split(
    " ",
  ).map(Number) as [number, number];
  if (!out.success || !Number.isFinite(value) || !(total > 0)) {
    throw new Error(`${what} with the ${client} client failed`);
  }
  return [value, ((await server.cpu()) - before) / total];
}

if (flags.measure !== undefined) {
  const port = Number(flags.port);
  const client = flags.client as ClientName;
  const run = flags.measure === "bulk" ? bulk : handshakes;
  // Warm the fresh server up (JIT, first allocations) before measuring.
  const measured = SECONDS;
  SECONDS = WARMUP;
  await run(client, port);
  SECONDS = measured;
  const value = await run(client, port);
  console.log(`${value} ${units}`);
  Deno.exit(0);
}

interface Row {
  label: string;
  server: ServerName;
  client: ClientName;
}

const ROWS: Row[] = [
  {
    label: "raw Deno.listenTls loop (raw client)",
    server: "raw",
    client: "raw",
  },
  {
    label: "pysock SSLSocket server, recv()/sendall()",
    server: "pysock-recv",
    client: "raw",
  },
  {
    label: "pysock SSLSocket server, recv_into()/sendall()",
    server: "pysock-recv_into",
    client: "raw",
  },
  {
    label: "pysock SSLSocket client, recv_into()/sendall() (raw server)",
    server: "raw",
    client: "pysock",
  },
  {
    label: "CPython ssl, thread per connection (raw client)",
    server: "cpython",
    client: "raw",
  },
];

interface Figures {
  bulk: number[];
  hs: number[];
  bulk_cpu: number[];
  hs_cpu: number[];
}
const results = new Map<string, Figures>();
for (const row of ROWS) {
  results.set(row.label, { bulk: [], hs: [], bulk_cpu: [], hs_cpu: [] });
}

for (let r = 0; r < REPEATS; r++) {
  for (const row of ROWS) {
    const res = results.get(row.label)!;
    {
      await using server = await start(row.server);
      const [rate, cpu] = await measure("bulk", row.client, server);
      res.bulk.push(rate);
      res.bulk_cpu.push(cpu);
    }
    {
      await using server = await start(row.server);
      const [rate, cpu] = await measure("handshakes", row.client, server);
      res.hs.push(rate);
      res.hs_cpu.push(cpu);
    }
  }
  console.error(`repeat ${r + 1}/${REPEATS} done`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const raw = results.get(ROWS[0]!.label)!;
console.log(
  `TLS benchmark: ${REPEATS} repeats, ${SECONDS} s each, medians; ratios per repeat to the raw loop of that repeat`,
);
console.log(
  "| row | bulk MB/s | bulk vs raw | server CPU ms/MB | handshakes/s | handshakes vs raw | server CPU µs/handshake |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of ROWS) {
  const res = results.get(row.label)!;
  const bulk_ratio = median(res.bulk.map((v, i) => v / raw.bulk[i]!));
  const hs_ratio = median(res.hs.map((v, i) => v / raw.hs[i]!));
  console.log(
    `| ${row.label} | ${median(res.bulk).toFixed(0)} | ${
      bulk_ratio.toFixed(2)
    }x | ${median(res.bulk_cpu).toFixed(2)} | ${median(res.hs).toFixed(0)} | ${
      hs_ratio.toFixed(2)
    }x | ${(median(res.hs_cpu) * 1000).toFixed(0)} |`,
  );
}

/**
 * Echo throughput of a server written the tutorials' way (non-blocking
 * sockets, one `DefaultSelector`, register / modify / select, callbacks in
 * `key.data`) against a raw Deno async echo loop (one task per connection
 * doing `conn.read()` / `conn.write()`), with 100 concurrent clients, in one
 * run with the rounds interleaved and medians reported.
 * Goal: ours/raw >= 0.7.
 *
 * Two selector servers are measured: tutorial 000's (each reply waits for
 * EVENT_WRITE: modify to write, send, modify back to read) and the Python
 * `selectors` docs' (the reply is sent from the read callback; EVENT_WRITE
 * only for a partial send).
 *
 * The clients are the same raw `Deno.Conn` ping-pong loops for both servers,
 * in this process: each sends a message, reads its echo, and repeats.
 *
 * Run: deno run -A bench/mux_echo_bench.ts [--quick] [--rounds 5]
 *      [--clients 100] [--messages 200] [--size 1024]
 *
 * `--quick` (3 rounds of 50 messages per client) never fails on a missed
 * goal; a full run sets exit code 1 when the ratio is under 0.7.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../mux/mod.ts";
import { BlockingIOError, type Socket, socket } from "../net/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    clients: { type: "string", default: "100" },
    messages: { type: "string" },
    size: { type: "string", default: "1024" },
  },
});
const quick = values.quick;
const ROUNDS = Number(values.rounds ?? (quick ? 3 : 5));
const CLIENTS = Number(values.clients);
const MESSAGES = Number(values.messages ?? (quick ? 50 : 200));
const SIZE = Number(values.size);

interface Server {
  port: number;
  stop(): Promise<void>;
}

// ---- the tutorials' selector echo server ----

type Callback = (sock: Socket, mask: number) => Promise<void> | void;

// `modify`: tutorial 000's way, a reply waits for EVENT_WRITE (modify to
// write, then back to read). `direct`: Python's selectors docs' way, the reply
// is sent from the read callback, EVENT_WRITE only for what did not fit.
function selector_server(mode: "modify" | "direct"): Server {
  const sel = new DefaultSelector<Callback>();
  const pending = new Map<Socket, Uint8Array>();
  let running = true;

  const sock = socket();
  sock.bind(["127.0.0.1", 0]);
  sock.listen(511);
  sock.setblocking(false);

  const accept: Callback = async (sock) => {
    const [conn] = await sock.accept();
    conn.setblocking(false);
    sel.register(conn, EVENT_READ, read);
  };

  const read: Callback = async (conn) => {
    let data: Uint8Array;
    try {
      data = await conn.recv(SIZE * 4);
    } catch (err) {
      if (err instanceof BlockingIOError) return;
      data = new Uint8Array(0);
    }
    if (data.length > 0) {
      if (mode === "direct") {
        const n = await conn.send(data);
        if (n === data.length) return;
        data = data.subarray(n);
      }
      pending.set(conn, data);
      sel.modify(conn, EVENT_WRITE, write);
    } else {
      sel.unregister(conn);
      pending.delete(conn);
      await conn.close();
    }
  };

  const write: Callback = async (conn) => {
    const data = pending.get(conn)!;
    const n = await conn.send(data);
    if (n < data.length) {
      pending.set(conn, data.subarray(n));
    } else {
      pending.delete(conn);
      sel.modify(conn, EVENT_READ, read);
    }
  };

  sel.register(sock, EVENT_READ, accept);
  const loop = (async () => {
    while (running) {
      const events = await sel.select(0.5);
      for (const [key, mask] of events) {
        await key.data!(key.fileobj as Socket, mask);
      }
    }
  })();
  return {
    port: (sock.getsockname() as [string, number])[1],
    async stop() {
      running = false;
      await loop;
      for (const key of [...sel.get_map().values()]) {
        await (key.fileobj as Socket).close();
      }
      sel.close();
    },
  };
}

// ---- the raw Deno async echo loop ----

function raw_server(): Server {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      tasks.push((async () => {
        const buf = new Uint8Array(SIZE * 4);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            let off = 0;
            while (off < n) off += await conn.write(buf.subarray(off, n));
          }
        } finally {
          conn.close();
        }
      })());
    }
  })();
  return {
    port: listener.addr.port,
    async stop() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

// ---- clients ----

async function client(port: number, msg: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(msg.length);
  try {
    for (let i = 0; i < MESSAGES; i++) {
      let off = 0;
      while (off < msg.length) off += await conn.write(msg.subarray(off));
      let got = 0;
      while (got < msg.length) {
        const n = await conn.read(buf.subarray(got));
        if (n === null) throw new Error("Echo ended early");
        got += n;
      }
    }
  } finally {
    conn.close();
  }
}

// Messages per second through `make()`'s server.
async function measure(make: () => Server): Promise<number> {
  const server = make();
  const msg = new Uint8Array(SIZE).fill(0x61);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, () => client(server.port, msg)),
  );
  const secs = (performance.now() - t0) / 1000;
  await server.stop();
  return CLIENTS * MESSAGES / secs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const modify = () => selector_server("modify");
const direct = () => selector_server("direct");
await measure(raw_server); // warm up all three
await measure(modify);
await measure(direct);
const raw: number[] = [];
const ours: number[] = [];
const ours_direct: number[] = [];
const ratios: number[] = [];
const ratios_direct: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order, so drift hits every server alike.
  const order = round % 2 === 0
    ? [raw_server, modify, direct]
    : [direct, modify, raw_server];
  const got = new Map<() => Server, number>();
  for (const make of order) got.set(make, await measure(make));
  raw.push(got.get(raw_server)!);
  ours.push(got.get(modify)!);
  ours_direct.push(got.get(direct)!);
  ratios.push(got.get(modify)! / got.get(raw_server)!);
  ratios_direct.push(got.get(direct)! / got.get(raw_server)!);
}
const ratio = median(ratios);
const ratio_direct = median(ratios_direct);
console.log(
  `echo, ${CLIENTS} clients x ${MESSAGES} messages of ${SIZE} B, median of ${ROUNDS} rounds:`,
);
console.log(
  `  raw Deno async loop              ${median(raw).toFixed(0)} msg/s`,
);
console.log(
  `  selector, modify per reply       ${median(ours).toFixed(0)} msg/s`,
);
console.log(
  `  selector, send from read         ${median(ours_direct).toFixed(0)} msg/s`,
);
console.log(
  `  ratio ours/raw (modify)          ${ratio.toFixed(2)} (goal >= 0.7) ${
    ratio >= 0.7 ? "ok" : "MISSED"
  }`,
);
console.log(
  `  ratio ours/raw (send from read)  ${
    ratio_direct.toFixed(2)
  } (goal >= 0.7) ${ratio_direct >= 0.7 ? "ok" : "MISSED"}`,
);
if (Math.max(ratio, ratio_direct) < 0.7 && !quick) Deno.exit(1);

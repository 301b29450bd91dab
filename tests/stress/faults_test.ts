// Faults: a client resets mid-message, half-closes, idles past the handler
// timeout; a handler throws; a worker dies; shutdown() under load. Each
// time, the server keeps serving the other clients.
// deno test --sanitize-ops --sanitize-resources -A tests/stress/faults_test.ts
import assert from "node:assert/strict";
import {
  type Address,
  ConnectionError,
  ConnectionResetError,
  SHUT_WR,
  type Socket,
  socket,
} from "../../net/mod.ts";
import {
  ForkingTCPServer,
  SelectorTCPServer,
  TCPServer,
  ThreadingTCPServer,
} from "../../server/mod.ts";
import { LineEcho, TimedLineEcho } from "./_handlers.ts";
import { until } from "../_until.ts";
import { delay, within } from "./_util.ts";

// Deno processes whose parent is this one (ps: Deno reads /proc only with
// --allow-all).
function deno_children(): number {
  const out = new Deno.Command("ps", {
    args: ["-o", "comm=", "--ppid", String(Deno.pid)],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((name) => name.trim() === "deno").length;
}

const decoder = new TextDecoder();

// deno-lint-ignore no-explicit-any
type ServerClass = new (address: Address, handler: any) => TCPServer;

interface Kind {
  name: string;
  Server: ServerClass;
  concurrent: boolean;
  pooled: boolean;
}

const kinds: Kind[] = [
  { name: "TCPServer", Server: TCPServer, concurrent: false, pooled: false },
  {
    name: "SelectorTCPServer",
    Server: SelectorTCPServer,
    concurrent: true,
    pooled: false,
  },
  {
    name: "ThreadingTCPServer",
    Server: ThreadingTCPServer,
    concurrent: true,
    pooled: true,
  },
  {
    name: "ForkingTCPServer",
    Server: ForkingTCPServer,
    concurrent: true,
    pooled: true,
  },
];

// A server whose handle_error() counts instead of printing (in-process
// errors only: pooled servers report theirs from the worker).
function quiet(Server: ServerClass): ServerClass {
  return class extends Server {
    errors = 0;
    override handle_error(): void {
      this.errors++;
    }
  };
}

async function connect(address: Address): Promise<Socket> {
  const sock = socket();
  sock.settimeout(10);
  try {
    await sock.connect(address);
  } catch (err) {
    await sock.close();
    throw err;
  }
  return sock;
}

async function recv_line(sock: Socket): Promise<string> {
  let text = "";
  for (let i = 0; i < 10_000 && !text.endsWith("\n"); i++) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    text += decoder.decode(data);
  }
  return text;
}

async function chat(sock: Socket, text: string): Promise<string> {
  await sock.sendall(text);
  return await recv_line(sock);
}

// One fresh client gets one echo, then closes.
async function echo_once(address: Address, text: string): Promise<void> {
  const c = await connect(address);
  try {
    assert.equal(await chat(c, `${text}\n`), `${text}\n`);
  } finally {
    await c.close();
  }
}

// Receives until EOF; a reset counts as EOF too. Returns the bytes seen.
async function until_eof(sock: Socket): Promise<number> {
  let total = 0;
  for (let i = 0; i < 100_000; i++) {
    let data: Uint8Array;
    try {
      data = await sock.recv(65536);
    } catch (err) {
      if (err instanceof ConnectionResetError) return total;
      throw err;
    }
    if (data.length === 0) return total;
    total += data.length;
  }
  throw new Error("no EOF after 100,000 receives");
}

async function serving(
  server: TCPServer,
  fn: () => Promise<void>,
  cap_ms = 30_000,
): Promise<void> {
  const run = server.serve_forever(0.05);
  try {
    await within(fn(), cap_ms, `${server.constructor.name} test body`);
  } finally {
    await within(server.shutdown(), 10_000, "shutdown()");
    await run;
    await within(
      Promise.resolve(server.server_close()),
      10_000,
      "server_close()",
    );
  }
}

// A python3 peer that connects, sends `size` bytes of a line without its
// "\n" and resets the connection (SO_LINGER 0: RST, not FIN).
async function python_reset(address: Address, size: number): Promise<void> {
  const [host, port] = address as [string, number];
  const script = `
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b"y" * int(sys.argv[3]))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("reset")
`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 15_000);
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", script, host, String(port), String(size)],
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
    assert.equal(
      decoder.decode(out.stdout).trim(),
      "reset",
      decoder.decode(out.stderr),
    );
  } finally {
    clearTimeout(timer);
  }
}

// Clients that chat "slow 0..2" lines in a loop, each reply checked, until
// stop(): the load shutdown() and server_close() meet.
interface Busy {
  clients: Socket[];
  // How each loop ended: "stopped" by stop(), or "cut" by EOF or a reset.
  ended: Promise<("stopped" | "cut")[]>;
  // Asserts that the clients get more replies within 200 ms.
  still_served(when: string): Promise<void>;
  // Ends the loops (within 10 s) and closes the clients.
  stop(): Promise<void>;
}

async function keep_busy(address: Address, n = 50): Promise<Busy> {
  const clients: Socket[] = [];
  let stop = false;
  let replies = 0;
  try {
    for (let i = 0; i < n; i++) clients.push(await connect(address));
  } catch (err) {
    await Promise.all(clients.map((c) => c.close()));
    throw err;
  }
  const loop = async (c: Socket, i: number): Promise<"stopped" | "cut"> => {
    for (let k = 0; k < 100_000 && !stop; k++) {
      const line = `slow ${(k + i) % 3}\n`;
      let got: string;
      try {
        got = await chat(c, line);
      } catch (err) {
        if (err instanceof ConnectionError) return "cut";
        throw err;
      }
      // EOF, maybe after part of the line.
      if (got !== line && line.startsWith(got)) return "cut";
      assert.equal(got, line);
      replies++;
    }
    return "stopped";
  };
  const ended = Promise.all(clients.map(loop));
  // Reported by stop() or by the test that awaits `ended`.
  ended.catch(() => {});
  return {
    clients,
    ended,
    async still_served(when) {
      const before = replies;
      await delay(200);
      assert.ok(replies > before, `clients no longer served ${when}`);
    },
    async stop() {
      stop = true;
      try {
        await within(ended, 10_000, "client loops");
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    },
  };
}

type Closable = TCPServer & {
  block_on_close: boolean;
  daemon_threads?: boolean;
  readonly active_requests: number;
};

// What server_close() does to in-flight handlers, as the JSDoc says: with
// block_on_close it waits for them, without it returns at once and they go
// on serving their clients (Python's ThreadingMixIn), and with
// daemon_threads (threaded and forking servers) it ends every worker at once.
const closes = [
  {
    name: "block_on_close",
    says: "server_close() waits for the in-flight handlers",
    settings: {},
    waits: true,
    keeps_serving: true,
    pooled_only: false,
  },
  {
    name: "block_on_close false",
    says: "server_close() returns at once and in-flight handlers go on",
    settings: { block_on_close: false },
    waits: false,
    keeps_serving: true,
    pooled_only: false,
  },
  {
    name: "daemon_threads",
    says: "server_close() returns at once and in-flight connections are cut",
    settings: { daemon_threads: true },
    waits: false,
    keeps_serving: false,
    pooled_only: true,
  },
];

for (const kind of kinds) {
  const Server = quiet(kind.Server);

  Deno.test(`${kind.name}: a client that resets mid-message leaves the others served`, async () => {
    const server = new Server(["127.0.0.1", 0], LineEcho);
    await serving(server, async () => {
      if (kind.concurrent) {
        const steady = await connect(server.server_address);
        try {
          assert.equal(await chat(steady, "before\n"), "before\n");
          for (const size of [1, 1000, 300_000]) {
            await python_reset(server.server_address, size);
            assert.equal(
              await chat(steady, `after ${size}\n`),
              `after ${size}\n`,
            );
          }
          // Ten resets at once, while the steady client keeps talking.
          const resets = Promise.all(
            Array.from(
              { length: 10 },
              (_, i) => python_reset(server.server_address, 100 * i + 1),
            ),
          );
          for (let i = 0; i < 5; i++) {
            assert.equal(await chat(steady, `during ${i}\n`), `during ${i}\n`);
          }
          await resets;
        } finally {
          await steady.close();
        }
      } else {
        for (const size of [1, 1000, 300_000]) {
          await python_reset(server.server_address, size);
          await echo_once(server.server_address, `after ${size}`);
        }
      }
      await echo_once(server.server_address, "fresh");
    });
  });

  Deno.test(`${kind.name}: a half-closed client still receives the whole reply`, async () => {
    const server = new Server(["127.0.0.1", 0], LineEcho);
    await serving(server, async () => {
      for (const lines of [1, 100, 5000]) {
        const c = await connect(server.server_address);
        try {
          const text = Array.from(
            { length: lines },
            (_, i) => `line ${i} ${"z".repeat(i % 97)}\n`,
          ).join("");
          const sending = c.sendall(text).then(() => c.shutdown(SHUT_WR));
          const parts: string[] = [];
          for (let i = 0; i < 100_000; i++) {
            const data = await c.recv(65536);
            if (data.length === 0) break;
            parts.push(decoder.decode(data, { stream: true }));
          }
          await sending;
          assert.equal(parts.join(""), text, `${lines} lines`);
        } finally {
          await c.close();
        }
      }
      await echo_once(server.server_address, "fresh");
    });
  });

  Deno.test(`${kind.name}: idle clients past StreamRequestHandler.timeout are closed, the others served`, async () => {
    const server = new Server(["127.0.0.1", 0], TimedLineEcho);
    await serving(server, async () => {
      const idle: Socket[] = [];
      // Before the first connect: each handler's timeout starts after it.
      const start = performance.now();
      try {
        // Slowloris: silent clients, and clients stuck in half a line.
        const n = kind.concurrent ? 10 : 1;
        for (let i = 0; i < n; i++) {
          const c = await connect(server.server_address);
          if (i % 2) await c.sendall("half a li");
          idle.push(c);
        }
        const closed = Promise.all(idle.map((c) => until_eof(c)));
        if (kind.concurrent) {
          // Others are served at once, before and after the idle ones go.
          const active = await connect(server.server_address);
          try {
            for (let i = 0; i < 8; i++) {
              assert.equal(
                await chat(active, `active ${i}\n`),
                `active ${i}\n`,
              );
              await delay(100);
            }
          } finally {
            await active.close();
          }
        } else {
          // The blocking server serves the next client once the idle one is cut.
          await echo_once(server.server_address, "next");
        }
        await within(closed, 10_000, "idle clients closed");
        const ms = performance.now() - start;
        assert.ok(ms >= 300, `idle clients closed after only ${ms} ms`);
        await echo_once(server.server_address, "fresh");
      } finally {
        await Promise.all(idle.map((c) => c.close()));
      }
    });
  });

  Deno.test(`${kind.name}: a handler that throws leaves the others served`, async () => {
    const server = new Server(["127.0.0.1", 0], LineEcho);
    await serving(server, async () => {
      const steady = kind.concurrent
        ? await connect(server.server_address)
        : null;
      try {
        if (steady) assert.equal(await chat(steady, "one\n"), "one\n");
        for (let i = 0; i < 5; i++) {
          const c = await connect(server.server_address);
          try {
            await c.sendall("boom\n");
            // The request is closed once its handler threw.
            await within(until_eof(c), 10_000, "closed after boom");
          } finally {
            await c.close();
          }
          if (steady) {
            assert.equal(await chat(steady, `still ${i}\n`), `still ${i}\n`);
          }
        }
      } finally {
        await steady?.close();
      }
      await echo_once(server.server_address, "fresh");
      if (!kind.pooled) {
        assert.equal((server as unknown as { errors: number }).errors, 5);
      }
    });
  });

  if (kind.pooled) {
    Deno.test(`${kind.name}: a worker that dies is replaced and the others are served`, async () => {
      const server = new Server(["127.0.0.1", 0], LineEcho);
      await serving(server, async () => {
        for (let i = 0; i < 3; i++) {
          const c = await connect(server.server_address);
          try {
            await c.sendall("exit\n");
            await within(until_eof(c), 15_000, "closed after exit");
          } finally {
            await c.close();
          }
          // A replacement may take a moment to start: retry for a while.
          await until(
            async () => {
              try {
                await echo_once(server.server_address, `after ${i}`);
                return true;
              } catch {
                return false;
              }
            },
            15_000,
            `a client served after worker death ${i}`,
          );
        }
      }, 60_000);
    });
  }

  if (kind.concurrent) {
    for (const close of closes) {
      if (close.pooled_only && !kind.pooled) continue;
      Deno.test({
        name:
          `${kind.name}: shutdown() under load returns promptly; with ${close.name}, ${close.says}`,
        fn: async () => {
          const server = new Server(["127.0.0.1", 0], LineEcho) as Closable;
          Object.assign(server, close.settings);
          const run = server.serve_forever(0.05);
          let busy: Busy | null = null;
          try {
            busy = await keep_busy(server.server_address);
            await delay(300);
            let start = performance.now();
            await within(server.shutdown(), 5000, "shutdown() under load");
            await within(run, 5000, "serve_forever() after shutdown()");
            const shutdown_ms = performance.now() - start;
            // shutdown() stops accepting: connected clients are still served.
            await busy.still_served("after shutdown()");
            start = performance.now();
            let closed = false;
            const closing = Promise.resolve(server.server_close()).then(() => {
              closed = true;
            });
            if (close.waits) {
              await busy.still_served("while server_close() waits");
              assert.equal(closed, false, "server_close() did not wait");
              await busy.stop();
              await within(closing, 10_000, "server_close() after the clients");
            } else {
              // The clients never stop by themselves: a server_close() that
              // waited for their handlers would not return.
              await within(closing, 5000, "server_close() under load");
            }
            console.log(
              `shutdown() took ${shutdown_ms.toFixed(0)} ms, server_close() ${
                (performance.now() - start).toFixed(0)
              } ms`,
            );
            if (close.keeps_serving && !close.waits) {
              assert.ok(server.active_requests > 0, "no handler left running");
              await busy.still_served("after server_close()");
              await busy.stop();
              await until(
                () => server.active_requests === 0,
                10_000,
                "handlers finish after their clients left",
              );
              // Nothing waits for a forking server's children here, by
              // design: let them exit before the sanitizers look.
              await until(
                () => deno_children() === 0,
                10_000,
                "children exit after their handlers",
              );
              await delay(100);
            } else if (!close.keeps_serving) {
              // Each client sees EOF or a reset, none a wrong reply.
              assert.deepEqual(
                await within(busy.ended, 5000, "in-flight connections cut"),
                busy.clients.map(() => "cut"),
              );
              await until(
                () => deno_children() === 0,
                10_000,
                "children exit once cut",
              );
              await delay(100);
            }
          } finally {
            await busy?.stop();
            await server.shutdown();
            await run;
            await server.server_close();
          }
        },
      });
    }
  } else {
    Deno.test(`${kind.name}: shutdown() while a handler runs returns once it finished; queued clients are not served`, async () => {
      const server = new Server(["127.0.0.1", 0], LineEcho);
      const run = server.serve_forever(0.05);
      let busy: Busy | null = null;
      const queued: Socket[] = [];
      try {
        // One client served, five queued behind it.
        busy = await keep_busy(server.server_address, 1);
        for (let i = 0; i < 5; i++) {
          const c = await connect(server.server_address);
          queued.push(c);
          await c.sendall(`queued ${i}\n`);
        }
        await delay(100);
        let returned = false;
        const stopping = server.shutdown().then(() => {
          returned = true;
        });
        // Python's serve_forever() returns between requests, not in one.
        await busy.still_served("after shutdown()");
        await delay(200);
        assert.equal(returned, false, "shutdown() returned while serving");
        await busy.stop();
        const start = performance.now();
        await within(stopping, 2000, "shutdown() once the handler finished");
        await within(run, 2000, "serve_forever() after shutdown()");
        console.log(
          `shutdown() returned ${
            (performance.now() - start).toFixed(0)
          } ms after the handler finished`,
        );
        await within(
          Promise.resolve(server.server_close()),
          5000,
          "server_close()",
        );
        // Never served: EOF or a reset, not one byte.
        const got = await within(
          Promise.all(queued.map((c) => until_eof(c))),
          5000,
          "queued clients closed",
        );
        assert.deepEqual(got, queued.map(() => 0));
      } finally {
        await busy?.stop();
        await Promise.all(queued.map((c) => c.close()));
        await server.shutdown();
        await run;
        await server.server_close();
      }
    });
  }
}

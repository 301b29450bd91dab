/**
 * Our servers with one echo handler, one launcher: `blocking` (TCPServer),
 * `selector` (SelectorTCPServer), `threading` (ThreadingTCPServer) and
 * `forking` (ForkingTCPServer), all with {@linkcode Echo}; plus two loops
 * written without socketserver, for the goals of net and mux: `net` (one
 * task per connection, `recv_into()` a reused 64 KiB buffer and `sendall()`
 * on our Socket, the calls the net goal names; the raw loop reuses its
 * buffer too) and `mux`
 * (tutorial 000's selector echo: non-blocking sockets, one
 * `DefaultSelector`, each reply waits for EVENT_WRITE).
 *
 * Prints the port, serves until stdin ends (see `_launch.ts`). Exits with
 * code 3 and a line on stderr when the kind is not available in this tree.
 *
 * Run: deno run --allow-net=127.0.0.1 --allow-read --allow-run
 *      bench/_servers/pysock.ts selector
 * (`--allow-run` only for `forking`, which spawns Deno children.)
 *
 * @module
 */
import { serve_until_stdin_ends } from "./_launch.ts";
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from "../../mux/mod.ts";
import { BlockingIOError, type Socket, socket } from "../../net/mod.ts";
import * as server_mod from "../../server/mod.ts";
import { StreamRequestHandler } from "../../server/mod.ts";

const CHUNK = 64 * 1024;

/** The echo handler of every server kind: what arrives goes back. */
export class Echo extends StreamRequestHandler {
  override async handle(): Promise<void> {
    while (true) {
      const data = await this.rfile.read1(CHUNK);
      if (data.length === 0) return;
      await this.wfile.write(data);
    }
  }
}

/** Line by line, as the tutorials' line servers: each line goes back. */
export class LineEcho extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for await (const line of this.rfile) await this.wfile.write(line);
  }
}

interface Running {
  port: number;
  stop(): Promise<void>;
}

// deno-lint-ignore no-explicit-any
type ServerClass = new (address: [string, number], handler: any) => {
  server_address: unknown;
  serve_forever(poll_interval?: number): Promise<void>;
  shutdown(): Promise<void>;
  server_close(): Promise<void> | void;
};

const CLASSES = {
  blocking: "TCPServer",
  selector: "SelectorTCPServer",
  "selector-lines": "SelectorTCPServer",
  threading: "ThreadingTCPServer",
  forking: "ForkingTCPServer",
} as const;
// Where each class lives when server/mod.ts does not export it yet.
const FILES: Record<string, string> = {
  ThreadingTCPServer: "../../server/threading.ts",
  ForkingTCPServer: "../../server/forking.ts",
};

async function find_class(name: string): Promise<ServerClass | string> {
  const exported = (server_mod as Record<string, unknown>)[name];
  if (typeof exported === "function") return exported as ServerClass;
  const file = FILES[name];
  if (file === undefined) return `${name} is not exported by server/mod.ts`;
  try {
    const mod = await import(file) as Record<string, unknown>;
    if (typeof mod[name] === "function") return mod[name] as ServerClass;
  } catch (error) {
    return `${name}: ${file} fails to load: ${String(error).split("\n")[0]}`;
  }
  return `${name} is exported neither by server/mod.ts nor by ${file}`;
}

async function socketserver(
  name: string,
  handler: typeof StreamRequestHandler = Echo,
): Promise<Running> {
  const found = await find_class(name);
  if (typeof found === "string") {
    console.error(`not available: ${found}`);
    Deno.exit(3);
  }
  // Every server in the benchmark gets a deep accept queue, so 1,000
  // connections arriving at once are queued, not dropped and retried.
  const Cls = class extends found {
    static request_queue_size = 1024;
    static daemon_threads = true;
    static block_on_close = false;
  };
  const server = new Cls(["127.0.0.1", 0], handler);
  const serving = server.serve_forever();
  await workers_up(server);
  return {
    port: (server.server_address as [string, number])[1],
    async stop() {
      await server.shutdown();
      await serving;
      await server.server_close();
    },
  };
}

// A forking server relays through its main thread what arrives before its
// children listen, for that connection's whole life, and a threaded one
// serves with fewer workers until all run: measure the steady state, once
// every worker runs (30 s at most).
async function workers_up(server: object): Promise<void> {
  if (!("active_workers" in server) || !("max_workers" in server)) return;
  const pooled = server as { active_workers: number; max_workers: number };
  const deadline = Date.now() + 30_000;
  while (pooled.active_workers < pooled.max_workers && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The tutorials' server as a new user writes it: recv(65536), sendall().
async function echo_recv(conn: Socket): Promise<void> {
  while (true) {
    const data = await conn.recv(CHUNK);
    if (data.length === 0) break;
    await conn.sendall(data);
  }
}

// The calls the net goal names: recv_into() a reused buffer, sendall().
async function echo_recv_into(conn: Socket): Promise<void> {
  const buf = new Uint8Array(CHUNK);
  while (true) {
    const n = await conn.recv_into(buf);
    if (n === 0) break;
    await conn.sendall(buf.subarray(0, n));
  }
}

// One task per connection, each running `echo` until the client leaves.
function socket_loop(echo: (conn: Socket) => Promise<void>): Running {
  const listener = socket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen(1024);
  const conns = new Set<Socket>();
  const serve = async (conn: Socket) => {
    try {
      await echo(conn);
    } catch {
      // The client went away.
    } finally {
      conns.delete(conn);
      await conn.close();
    }
  };
  const accepting = (async () => {
    while (true) {
      const [conn] = await listener.accept();
      conns.add(conn);
      void serve(conn);
    }
  })().catch(() => {});
  return {
    port: (listener.getsockname() as [string, number])[1],
    async stop() {
      await listener.close();
      await accepting;
      for (const conn of conns) await conn.close();
    },
  };
}

type Callback = (sock: Socket) => Promise<void>;

// Tutorial 000's server: read what arrives, switch to EVENT_WRITE, send it
// from the write callback, switch back to EVENT_READ.
function mux_loop(): Running {
  const sel = new DefaultSelector<Callback>();
  const pending = new Map<Socket, Uint8Array>();
  let running = true;
  const listener = socket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen(1024);
  listener.setblocking(false);

  const accept: Callback = async (sock) => {
    let conn: Socket;
    try {
      [conn] = await sock.accept();
    } catch (error) {
      if (error instanceof BlockingIOError) return;
      throw error;
    }
    conn.setblocking(false);
    sel.register(conn, EVENT_READ, read);
  };
  const read: Callback = async (conn) => {
    let data: Uint8Array;
    try {
      data = await conn.recv(CHUNK);
    } catch (error) {
      if (error instanceof BlockingIOError) return;
      data = new Uint8Array(0);
    }
    if (data.length > 0) {
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
    let n: number;
    try {
      n = await conn.send(data);
    } catch (error) {
      if (error instanceof BlockingIOError) return;
      sel.unregister(conn);
      pending.delete(conn);
      await conn.close();
      return;
    }
    if (n < data.length) {
      pending.set(conn, data.subarray(n));
    } else {
      pending.delete(conn);
      sel.modify(conn, EVENT_READ, read);
    }
  };

  sel.register(listener, EVENT_READ, accept);
  const loop = (async () => {
    while (running) {
      for (const [key] of await sel.select(0.5)) {
        await key.data!(key.fileobj as Socket);
      }
    }
  })();
  return {
    port: (listener.getsockname() as [string, number])[1],
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

if (import.meta.main) {
  const kind = Deno.args[0] ?? "";
  let running: Running;
  if (kind === "net") running = socket_loop(echo_recv_into);
  else if (kind === "recv") running = socket_loop(echo_recv);
  else if (kind === "mux") running = mux_loop();
  else if (Object.hasOwn(CLASSES, kind)) {
    running = await socketserver(
      CLASSES[kind as keyof typeof CLASSES],
      kind === "selector-lines" ? LineEcho : Echo,
    );
  } else {
    console.error(
      `Cannot start server: kind must be one of blocking, selector, selector-lines, threading, forking, net, recv, mux, received "${kind}"`,
    );
    Deno.exit(2);
  }
  await serve_until_stdin_ends(running.port, running.stop);
}

// The socketserver behaviour suite, one function run for every server class
// (tests/server/*_test.ts call it; later server types can run it too).
import assert from "node:assert/strict";
import { until } from "../_until.ts";
import {
  type Address,
  AF_INET,
  AF_UNIX,
  ConnectionRefusedError,
  OSError,
  SHUT_WR,
  SO_REUSEADDR,
  SOCK_DGRAM,
  SOCK_STREAM,
  Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../../net/mod.ts";
import {
  type RequestHandlerClass,
  TCPServer,
  UDPServer,
} from "../../server/mod.ts";
import {
  BIG,
  BigWriter,
  BufferedWriter,
  DgramEcho,
  DgramGreeter,
  DgramRaw,
  DgramScript,
  EofCounter,
  Greeter,
  Holder,
  IdleTimeout,
  LineEcho,
  NoDelay,
  pattern,
  RawEcho,
  SlowLine,
  Stopper,
  Thrower,
} from "./_handlers.ts";

/** A server class under test, typed loosely enough for every kind. */
export type AnyServerClass =
  & (new (
    server_address: Address,
    // deno-lint-ignore no-explicit-any
    RequestHandlerClass: RequestHandlerClass<any>,
    bind_and_activate?: boolean,
    // deno-lint-ignore no-explicit-any
  ) => TCPServer<any>)
  & {
    allow_reuse_address: boolean;
    allow_reuse_port: boolean;
    request_queue_size: number;
    timeout: number | null;
    address_family: number;
    socket_type: number;
  };

/** What the suite needs to know about a server class. */
export interface ServerKind {
  /** The class under test. */
  Server: AnyServerClass;
  /** Internet (127.0.0.1) or Unix sockets. */
  family: "inet" | "unix";
  /** Stream or datagram. */
  type: "stream" | "dgram";
  /** Whether it serves many requests at once. */
  concurrent: boolean;
  /**
   * Workers accept on their own listeners (threaded and forking TCP servers),
   * so the main loop does not turn once per request.
   */
  pooled?: boolean;
  /**
   * Replies leave from an unbound socket: Deno cannot send on a Unix
   * datagram socket while the main loop keeps a receive pending.
   */
  reply_address_unbound?: boolean;
}

const decoder = new TextDecoder();
const POLL = 0.05;

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `promise` is not settled within `ms` (a hang fails fast). */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not settle in ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Temp dir, addresses and clients for one test. */
export class Env {
  readonly kind: ServerKind;
  dir = "";
  #n = 0;
  #clients: Socket[] = [];

  constructor(kind: ServerKind) {
    this.kind = kind;
  }

  static async open(kind: ServerKind): Promise<Env> {
    const env = new Env(kind);
    if (kind.family === "unix") {
      env.dir = await Deno.makeTempDir({ prefix: "pysock_server_" });
    }
    return env;
  }

  /** A fresh address to bind a server to. */
  address(): Address {
    if (this.kind.family === "inet") return ["127.0.0.1", 0];
    return `${this.dir}/server${this.#n++}.sock`;
  }

  /** A stream client connected to `address` (5 s timeout on every call). */
  async connect(address: Address): Promise<Socket> {
    const family = this.kind.family === "inet" ? AF_INET : AF_UNIX;
    const sock = socket(family, SOCK_STREAM);
    this.#clients.push(sock);
    sock.settimeout(5);
    await sock.connect(address);
    return sock;
  }

  /** A bound datagram client (5 s timeout on every call). */
  dgram(): Socket {
    const family = this.kind.family === "inet" ? AF_INET : AF_UNIX;
    const sock = socket(family, SOCK_DGRAM);
    this.#clients.push(sock);
    sock.settimeout(5);
    sock.bind(
      this.kind.family === "inet"
        ? ["127.0.0.1", 0]
        : `${this.dir}/client${this.#n++}.sock`,
    );
    return sock;
  }

  /** Closes every client made so far (a blocking server's handler may wait for one). */
  async close_clients(): Promise<void> {
    const clients = this.#clients;
    this.#clients = [];
    await Promise.all(clients.map((c) => c.close()));
  }

  async close(): Promise<void> {
    await this.close_clients();
    if (this.dir !== "") await Deno.remove(this.dir, { recursive: true });
  }
}

/** Runs `fn` with a fresh Env, closing it afterwards. */
async function with_env(
  kind: ServerKind,
  fn: (env: Env) => Promise<void>,
): Promise<void> {
  const env = await Env.open(kind);
  try {
    await fn(env);
  } finally {
    await env.close();
  }
}

/** Serves while `fn` runs, then shuts down and closes the server. */
// deno-lint-ignore no-explicit-any
async function serving<S extends TCPServer<any>>(
  env: Env,
  server: S,
  fn: () => Promise<void>,
  poll_interval = POLL,
): Promise<void> {
  const run = server.serve_forever(poll_interval);
  try {
    await fn();
  } finally {
    // A blocking server's running handler may wait for its client.
    await env.close_clients();
    await server.shutdown();
    await run;
    await server.server_close();
  }
}

/** Receives until a "\n" (or EOF). */
export async function recv_line(sock: Socket): Promise<string> {
  let text = "";
  for (let i = 0; i < 10_000 && !text.endsWith("\n"); i++) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    text += decoder.decode(data);
  }
  return text;
}

/** Sends `text` and returns the reply line. */
export async function chat(sock: Socket, text: string): Promise<string> {
  await sock.sendall(text);
  return await recv_line(sock);
}

/** Receives everything until EOF. */
export async function recv_all(sock: Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < 100_000; i++) {
    const data = await sock.recv(65536);
    if (data.length === 0) break;
    parts.push(data);
    size += data.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Sends a datagram to the server and returns the reply. */
export async function ask(
  sock: Socket,
  address: Address,
  text: string | Uint8Array,
): Promise<string> {
  await sock.sendto(text, address);
  const [data] = await sock.recvfrom(65536);
  return decoder.decode(data);
}

/** Registers the whole behaviour suite for `kind`. */
export function server_suite(kind: ServerKind): void {
  const name = kind.Server.name;
  const stream = kind.type === "stream";
  const inet = kind.family === "inet";
  const test = (title: string, fn: (env: Env) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, () => with_env(kind, fn));
  const Echo = stream ? LineEcho : DgramEcho;
  const Script = stream ? Stopper : DgramScript;
  // What a client does to get one echo from the server.
  async function echo_once(env: Env, server: TCPServer<unknown>, text = "x") {
    if (stream) {
      const c = await env.connect(server.server_address);
      assert.equal(await chat(c, `${text}\n`), `${text}\n`);
      await c.close();
    } else {
      const c = env.dgram();
      assert.equal(await ask(c, server.server_address, text), text);
      await c.close();
    }
  }
  // Something that makes a select on the server return (a wake-up).
  async function poke(env: Env, server: TCPServer<unknown>) {
    if (stream) await env.connect(server.server_address);
    else await env.dgram().sendto("poke", server.server_address);
  }

  // --- echo --------------------------------------------------------------

  if (stream) {
    test("serve_forever() echoes lines with StreamRequestHandler", async (env) => {
      const server = new kind.Server(env.address(), LineEcho);
      await serving(env, server, async () => {
        const c = await env.connect(server.server_address);
        assert.equal(await chat(c, "hello\n"), "hello\n");
        await c.sendall("split ");
        await delay(20);
        await c.sendall("line\n");
        assert.equal(await recv_line(c), "split line\n");
        const binary = new Uint8Array(256).map((_, i) => i).filter((b) =>
          b !== 10
        );
        await c.sendall(binary);
        await c.sendall("\n");
        const back = new Uint8Array(binary.length + 1);
        for (let got = 0; got < back.length;) {
          const d = await c.recv(back.length - got);
          assert.ok(d.length > 0, "EOF before the whole line came back");
          back.set(d, got);
          got += d.length;
        }
        assert.deepEqual(back.subarray(0, binary.length), binary);
        await c.shutdown(SHUT_WR);
        assert.equal((await c.recv(10)).length, 0);
      });
    });

    test("serve_forever() echoes raw bytes with BaseRequestHandler", async (env) => {
      const server = new kind.Server(env.address(), RawEcho);
      await serving(env, server, async () => {
        const c = await env.connect(server.server_address);
        const payload = pattern(100_000);
        const sending = c.sendall(payload).then(() => c.shutdown(SHUT_WR));
        const back = await recv_all(c);
        await sending;
        assert.deepEqual(back, payload);
      });
    });
  } else {
    test("serve_forever() echoes datagrams with DatagramRequestHandler", async (env) => {
      const server = new kind.Server(env.address(), DgramEcho);
      await serving(env, server, async () => {
        const c = env.dgram();
        assert.equal(await ask(c, server.server_address, "hello"), "hello");
        const binary = new Uint8Array(256).map((_, i) => i);
        await c.sendto(binary, server.server_address);
        const [data, from] = await c.recvfrom(1024);
        assert.deepEqual(data, binary);
        if (kind.reply_address_unbound) assert.equal(from, null);
        else assert.deepEqual(from, server.server_address);
      });
    });

    test("serve_forever() echoes datagrams with BaseRequestHandler", async (env) => {
      const server = new kind.Server(env.address(), DgramRaw);
      await serving(env, server, async () => {
        const c = env.dgram();
        for (const text of ["one", "two", "three"]) {
          assert.equal(await ask(c, server.server_address, text), text);
        }
      });
    });
  }

  // --- one at a time, or many at once ------------------------------------

  if (stream && !kind.concurrent) {
    test("serve_forever() serves one client at a time", async (env) => {
      const server = new kind.Server(env.address(), LineEcho);
      await serving(env, server, async () => {
        const a = await env.connect(server.server_address);
        assert.equal(await chat(a, "a\n"), "a\n");
        const b = await env.connect(server.server_address);
        await b.sendall("b\n");
        b.settimeout(0.3);
        await assert.rejects(b.recv(10), TimeoutError);
        b.settimeout(5);
        await a.close();
        assert.equal(await recv_line(b), "b\n");
      });
    });
  }
  if (stream && kind.concurrent) {
    test("serve_forever() serves 100 clients at once", async (env) => {
      const server = new kind.Server(env.address(), LineEcho);
      await serving(env, server, async () => {
        const clients: Socket[] = [];
        for (let i = 0; i < 100; i++) {
          clients.push(await env.connect(server.server_address));
        }
        // Every connection stays open until every reply came back.
        const replies = await Promise.all(
          clients.map((c, i) => chat(c, `client ${i}\n`)),
        );
        replies.forEach((r, i) => assert.equal(r, `client ${i}\n`));
        await Promise.all(clients.map((c) => c.close()));
      });
    });

    test("serve_forever() lets no slow client delay another", async (env) => {
      const server = new kind.Server(env.address(), SlowLine);
      await serving(env, server, async () => {
        const silent = await env.connect(server.server_address);
        await silent.sendall("half a li");
        const slow = await env.connect(server.server_address);
        const fast = await env.connect(server.server_address);
        const order: string[] = [];
        await Promise.all([
          chat(slow, "slow\n").then((r) => order.push(r)),
          delay(20).then(() => chat(fast, "fast\n")).then((r) => order.push(r)),
        ]);
        assert.deepEqual(order, ["fast\n", "slow\n"]);
        await silent.close();
      });
    });
  }
  if (!stream) {
    test(
      kind.concurrent
        ? "serve_forever() answers a fast datagram before a slow one"
        : "serve_forever() handles one datagram at a time",
      async (env) => {
        const server = new kind.Server(env.address(), DgramScript);
        await serving(env, server, async () => {
          const slow = env.dgram();
          const fast = env.dgram();
          const order: string[] = [];
          await Promise.all([
            ask(slow, server.server_address, "slow").then((r) => order.push(r)),
            delay(30).then(() => ask(fast, server.server_address, "fast"))
              .then((r) => order.push(r)),
          ]);
          assert.deepEqual(
            order,
            kind.concurrent ? ["fast", "slow"] : ["slow", "fast"],
          );
        });
      },
    );
  }
  if (!stream && kind.concurrent) {
    test("serve_forever() serves 100 clients at once", async (env) => {
      const server = new kind.Server(env.address(), DgramScript);
      await serving(env, server, async () => {
        const clients = Array.from({ length: 100 }, () => env.dgram());
        const t0 = performance.now();
        // Each is answered after 0.6 s: together they take about that long.
        const replies = await Promise.all(
          clients.map((c) => ask(c, server.server_address, "slow")),
        );
        assert.ok(replies.every((r) => r === "slow"));
        assert.ok(performance.now() - t0 < 10_000);
        await Promise.all(clients.map((c) => c.close()));
      });
    });
  }

  // --- shutdown ------------------------------------------------------------

  test("shutdown() from a handler makes serve_forever() return", async (env) => {
    const server = new kind.Server(env.address(), Script);
    try {
      const run = server.serve_forever(0.2);
      let t0 = 0;
      if (stream) {
        const c = await env.connect(server.server_address);
        assert.equal(await chat(c, "x\n"), "x\n");
        t0 = performance.now();
        assert.equal(await chat(c, "stop\n"), "stopping\n");
      } else {
        const c = env.dgram();
        t0 = performance.now();
        assert.equal(await ask(c, server.server_address, "stop"), "stop");
      }
      await within(run, 5000, "serve_forever");
      assert.ok(performance.now() - t0 < 200 + 3000);
    } finally {
      await server.server_close();
    }
  });

  test("shutdown() from a timer makes serve_forever() return", async (env) => {
    const server = new kind.Server(env.address(), Echo);
    try {
      const run = server.serve_forever(0.2);
      let stopping: Promise<void> | null = null;
      let fired = 0;
      const timer = setTimeout(() => {
        fired = performance.now();
        stopping = server.shutdown();
      }, 50);
      try {
        await within(run, 5000, "serve_forever");
      } finally {
        clearTimeout(timer);
      }
      assert.ok(fired > 0);
      assert.ok(performance.now() - fired < 200 + 3000);
      assert.ok(stopping !== null);
      await within(stopping, 2000, "shutdown");
    } finally {
      await server.server_close();
    }
  });

  test("shutdown() resolves only after serve_forever() has returned", async (env) => {
    const server = new kind.Server(env.address(), Echo);
    try {
      let returned = false;
      const run = server.serve_forever(POLL).then(() => {
        returned = true;
      });
      const other = (async () => {
        await delay(30);
        await echo_once(env, server);
        await server.shutdown();
        return returned;
      })();
      assert.equal(await within(other, 5000, "the other task"), true);
      await run;
    } finally {
      await server.server_close();
    }
  });

  test("shutdown() before serve_forever() or twice never hangs", async (env) => {
    const server = new kind.Server(env.address(), Echo);
    try {
      await within(server.shutdown(), 2000, "shutdown before serving");
      await within(server.shutdown(), 2000, "a second shutdown");
      // As in Python, a stop requested before serving ends the next serve.
      await within(server.serve_forever(POLL), 8000, "serve_forever");
      const run = server.serve_forever(POLL);
      await echo_once(env, server);
      await within(
        Promise.all([server.shutdown(), server.shutdown()]),
        2000,
        "two shutdowns",
      );
      await within(run, 2000, "serve_forever");
    } finally {
      await server.server_close();
    }
  });

  test("serve_forever() stops when its AbortSignal aborts", async (env) => {
    const server = new kind.Server(env.address(), Echo);
    try {
      await within(
        server.serve_forever(POLL, { signal: AbortSignal.abort() }),
        2000,
        "serve_forever with an aborted signal",
      );
      const controller = new AbortController();
      const run = server.serve_forever(0.2, { signal: controller.signal });
      await echo_once(env, server);
      const t0 = performance.now();
      controller.abort();
      await within(run, 5000, "serve_forever");
      assert.ok(performance.now() - t0 < 200 + 3000);
      // The server serves again afterwards.
      await serving(env, server, () => echo_once(env, server, "again"));
    } finally {
      await server.server_close();
    }
  });

  // --- errors and verification --------------------------------------------

  class Recording extends kind.Server {
    errors: [unknown, Address, unknown][] = [];
    override handle_error(request: unknown, address: Address, error: unknown) {
      this.errors.push([request, address, error]);
    }
  }

  test("handle_error() gets the request, address and error; the next client is served", async (env) => {
    const server = new Recording(env.address(), stream ? Thrower : DgramScript);
    await serving(env, server, async () => {
      if (stream) {
        const c = await env.connect(server.server_address);
        assert.equal(await chat(c, "x\n"), "x\n");
        await c.sendall("boom\n");
        // finish() ran (it sent "finished"), then the connection closed.
        const rest = decoder.decode(await recv_all(c));
        assert.equal(rest, "partial\nfinished\n");
        const next = await env.connect(server.server_address);
        assert.equal(await chat(next, "y\n"), "y\n");
        assert.equal(server.errors.length, 1);
        const [request, address, error] = server.errors[0]!;
        assert.ok(request instanceof Socket);
        assert.equal(request.fileno(), -1, "the request was closed");
        if (inet) assert.deepEqual(address, c.getsockname());
        else assert.equal(typeof address, "string");
        assert.ok(error instanceof Error);
        assert.equal(error.message, "boom from the handler");
      } else {
        const c = env.dgram();
        // finish() still sent what was written before the throw.
        assert.equal(await ask(c, server.server_address, "boom"), "partial");
        assert.equal(await ask(c, server.server_address, "ok"), "ok");
        await until(() => server.errors.length > 0, 8000, "handle_error");
        assert.equal(server.errors.length, 1);
        const [request, address, error] = server.errors[0]!;
        assert.ok(Array.isArray(request));
        assert.equal(decoder.decode(request[0] as Uint8Array), "boom");
        assert.equal(request[1], server.socket);
        assert.deepEqual(address, c.getsockname());
        assert.ok(error instanceof Error);
        assert.equal(error.message, "boom from the handler");
      }
    });
  });

  test("handle_error() logs the error to stderr by default", async (env) => {
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      lines.push(
        args.map((a) => a instanceof Error ? `${a.stack}` : String(a)).join(
          " ",
        ),
      );
    };
    try {
      const server = new kind.Server(
        env.address(),
        stream ? Thrower : DgramScript,
      );
      let client_address: Address = "";
      await serving(env, server, async () => {
        if (stream) {
          const c = await env.connect(server.server_address);
          client_address = c.getsockname();
          await c.sendall("boom\n");
          await recv_all(c);
        } else {
          const c = env.dgram();
          client_address = c.getsockname();
          assert.equal(await ask(c, server.server_address, "boom"), "partial");
        }
        await until(() => lines.length >= 4, 8000, "the log");
      });
      const text = lines.join("\n");
      assert.ok(text.startsWith("-".repeat(40)), text);
      assert.match(
        text,
        /Exception occurred during processing of request from /,
      );
      if (inet) {
        const [host, port] = client_address as unknown as [string, number];
        assert.ok(text.includes(`('${host}', ${port})`), text);
      }
      assert.match(text, /boom from the handler/);
    } finally {
      console.error = original;
    }
  });

  test("verify_request() returning false closes the request unhandled", async (env) => {
    class Verifying extends kind.Server {
      seen = 0;
      override verify_request(): boolean {
        return this.seen++ > 0;
      }
    }
    const server = new Verifying(
      env.address(),
      stream ? Greeter : DgramEcho,
    );
    await serving(env, server, async () => {
      if (stream) {
        const refused = await env.connect(server.server_address);
        assert.equal((await recv_all(refused)).length, 0);
        const next = await env.connect(server.server_address);
        assert.equal(
          await recv_line(next),
          "field-initialised|field-initialised\n",
        );
      } else {
        const c = env.dgram();
        await c.sendto("refused", server.server_address);
        c.settimeout(0.3);
        await assert.rejects(c.recvfrom(100), TimeoutError);
        // A Unix datagram socket with a receive pending cannot send in Deno
        // (net's known limit): ask from a fresh client.
        const next = inet ? c : env.dgram();
        next.settimeout(5);
        assert.equal(await ask(next, server.server_address, "ok"), "ok");
      }
      assert.equal(server.seen, 2);
    });
  });

  // --- handle_request, timeouts, service_actions ----------------------------

  test("handle_request() honours timeout and calls handle_timeout()", async (env) => {
    class Timing extends kind.Server {
      static override timeout = 0.1;
      timeouts = 0;
      override handle_timeout() {
        this.timeouts++;
      }
    }
    const server = new Timing(env.address(), Echo);
    try {
      assert.equal(server.timeout, 0.1);
      let t0 = performance.now();
      await within(server.handle_request(), 8000, "handle_request");
      assert.equal(server.timeouts, 1);
      assert.ok(performance.now() - t0 >= 90);
      // One request: handled, no timeout.
      const handled = server.handle_request();
      await echo_once(env, server);
      await within(handled, 8000, "handle_request");
      assert.equal(server.timeouts, 1);
      // An instance may override the class default.
      server.timeout = 0.05;
      t0 = performance.now();
      await within(server.handle_request(), 8000, "handle_request");
      assert.equal(server.timeouts, 2);
      // The socket's own timeout counts too.
      server.timeout = null;
      server.socket.settimeout(0.05);
      await within(server.handle_request(), 8000, "handle_request");
      assert.equal(server.timeouts, 3);
    } finally {
      await server.server_close();
    }
  });

  test("service_actions() runs once per loop", async (env) => {
    class Counting extends kind.Server {
      actions = 0;
      override service_actions() {
        this.actions++;
      }
    }
    // Idle loops: one call per poll_interval, counted from the first loop
    // (a pooled server's loop starts once its workers run, which takes
    // longer than the window on a loaded machine).
    const idle = new Counting(env.address(), Echo);
    let loops = 0;
    await serving(env, idle, async () => {
      await until(() => idle.actions >= 1, 8000, "the first loop");
      const first = idle.actions;
      await delay(400);
      loops = idle.actions - first;
    });
    assert.ok(loops >= 2, `${loops} idle loops`);
    // Pooled servers' workers accept on their own: no loop per request.
    if (kind.pooled) return;
    // With a long poll_interval every loop is one request.
    const server = new Counting(env.address(), Echo);
    try {
      const run = server.serve_forever(30);
      for (let i = 0; i < 3; i++) await echo_once(env, server, `r${i}`);
      await until(() => server.actions >= 3, 8000, "service_actions");
      await delay(100);
      assert.equal(server.actions, 3);
      const stopping = server.shutdown();
      await poke(env, server); // wake the selector instead of waiting 30 s
      await within(stopping, 5000, "shutdown");
      await run;
      assert.equal(server.actions, 3);
    } finally {
      await server.server_close();
    }
  });

  // --- class-level defaults -------------------------------------------------

  test("static defaults of a subclass are seen while binding", async (env) => {
    class Reusing extends kind.Server {
      static override allow_reuse_address = true;
      static override request_queue_size = 2;
    }
    const server = new Reusing(env.address(), Echo);
    try {
      assert.equal(server.allow_reuse_address, true);
      assert.equal(server.request_queue_size, 2);
      assert.equal(server.socket.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
      const plain = new kind.Server(env.address(), Echo);
      assert.equal(plain.allow_reuse_address, false);
      assert.equal(plain.request_queue_size, 5);
      assert.equal(plain.timeout, null);
      assert.equal(plain.socket.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
      await plain.server_close();
    } finally {
      await server.server_close();
    }
  });

  test("assigning a static default on the class is seen while binding", async (env) => {
    const root: AnyServerClass = stream ? TCPServer : UDPServer;
    for (const cls of new Set([kind.Server, root])) {
      const own = Object.getOwnPropertyDescriptor(cls, "allow_reuse_address");
      cls.allow_reuse_address = true;
      try {
        const server = new kind.Server(env.address(), Echo);
        assert.equal(server.allow_reuse_address, true, cls.name);
        assert.equal(server.socket.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
        await server.server_close();
      } finally {
        if (own) Object.defineProperty(cls, "allow_reuse_address", own);
        else {delete (cls as { allow_reuse_address?: boolean })
            .allow_reuse_address;}
      }
    }
    assert.equal(kind.Server.allow_reuse_address, false);
  });

  test("a handler's own fields are set in setup() and handle()", async (env) => {
    const server = new kind.Server(
      env.address(),
      stream ? Greeter : DgramGreeter,
    );
    await serving(env, server, async () => {
      if (stream) {
        const c = await env.connect(server.server_address);
        assert.equal(
          await recv_line(c),
          "field-initialised|field-initialised\n",
        );
      } else {
        const c = env.dgram();
        assert.equal(
          await ask(c, server.server_address, "hi"),
          "field-initialised|field-initialised",
        );
      }
    });
  });

  // --- binding and closing --------------------------------------------------

  test("server_address holds the real address after binding", async (env) => {
    const address = env.address();
    const server = new kind.Server(address, Echo);
    try {
      if (inet) {
        const [host, port] = server.server_address as [string, number];
        assert.equal(host, "127.0.0.1");
        assert.ok(port > 0 && port < 65536);
      } else {
        assert.equal(server.server_address, address);
      }
      assert.deepEqual(server.server_address, server.socket.getsockname());
      assert.ok(server.fileno() >= 0);
      await serving(env, server, () => echo_once(env, server));
    } finally {
      await server.server_close();
    }
  });

  test("bind_and_activate = false, then server_bind() and server_activate()", async (env) => {
    const server = new kind.Server(env.address(), Echo, false);
    try {
      if (inet) {
        assert.equal((server.server_address as [string, number])[1], 0);
      }
      server.request_queue_size = 3;
      server.server_bind();
      server.server_activate();
      if (inet) {
        assert.ok((server.server_address as [string, number])[1] > 0);
      }
      await serving(env, server, () => echo_once(env, server));
    } finally {
      await server.server_close();
    }
  });

  if (inet) {
    test("allow_reuse_address lets a new server bind the port at once", async (env) => {
      class Reusing extends kind.Server {
        static override allow_reuse_address = true;
      }
      const first = new Reusing(env.address(), Echo);
      const address = first.server_address;
      // Served connections leave the port in TIME_WAIT on the server side.
      await serving(env, first, async () => {
        await echo_once(env, first);
        await echo_once(env, first);
      });
      const second = new Reusing(address, Echo);
      assert.deepEqual(second.server_address, address);
      await serving(env, second, () => echo_once(env, second));
    });
  }

  test("server_close() frees the address", async (env) => {
    const server = new kind.Server(env.address(), Echo);
    const address = server.server_address;
    await server.server_close();
    assert.equal(server.fileno(), -1);
    await server.server_close(); // idempotent
    if (stream) {
      const c = socket(inet ? AF_INET : AF_UNIX, SOCK_STREAM);
      try {
        await assert.rejects(
          c.connect(address),
          inet ? ConnectionRefusedError : OSError,
        );
      } finally {
        await c.close();
      }
    }
    if (inet) {
      const again = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM);
      try {
        again.bind(address);
      } finally {
        await again.close();
      }
    }
  });

  if (kind.concurrent) {
    test("server_close() waits for running handlers with block_on_close", async (env) => {
      const server = new Recording(
        env.address(),
        stream ? Holder : DgramScript,
      ) as unknown as TCPServer<unknown> & {
        block_on_close: boolean;
        active_requests: number;
      };
      assert.equal(server.block_on_close, true);
      const run = server.serve_forever(POLL);
      let client: Socket;
      if (stream) {
        client = await env.connect(server.server_address);
        assert.equal(await chat(client, "x\n"), "x\n");
      } else {
        client = env.dgram();
        await client.sendto("hold", server.server_address);
        await until(() => server.active_requests > 0, 8000, "the handler");
      }
      await server.shutdown();
      await run;
      assert.equal(server.active_requests, 1);
      let closed = false;
      const closing = Promise.resolve(server.server_close()).then(() => {
        closed = true;
      });
      await delay(50);
      assert.equal(closed, false, "server_close did not wait");
      assert.equal(server.active_requests, 1);
      await within(closing, 5000, "server_close");
      assert.equal(server.active_requests, 0);
      if (stream) assert.equal(await recv_line(client), "held\n");
    });

    test("server_close() does not wait when block_on_close is false", async (env) => {
      const server = new Recording(
        env.address(),
        stream ? Holder : DgramScript,
      ) as unknown as TCPServer<unknown> & {
        block_on_close: boolean;
        active_requests: number;
      };
      server.block_on_close = false;
      const run = server.serve_forever(POLL);
      if (stream) {
        const client = await env.connect(server.server_address);
        assert.equal(await chat(client, "x\n"), "x\n");
      } else {
        await env.dgram().sendto("hold", server.server_address);
        await until(() => server.active_requests > 0, 8000, "the handler");
      }
      await server.shutdown();
      await run;
      await server.server_close();
      assert.equal(server.active_requests, 1);
      await until(() => server.active_requests === 0, 8000, "the handler");
      if (kind.pooled) {
        // A worker or child outlives its last handler by a moment.
        const pooled = server as unknown as {
          active_workers?: number;
          active_children?: number[];
        };
        const left = () =>
          pooled.active_workers ?? pooled.active_children?.length ?? 0;
        await until(
          () => left() === 0 && server.active_requests === 0,
          8000,
          "the workers",
        );
      }
    });
  }

  test("await using closes the server, even while it serves", async (env) => {
    let address: Address;
    let fileno_after: () => number;
    {
      await using server = new kind.Server(env.address(), Echo);
      address = server.server_address;
      fileno_after = () => server.fileno();
      void server.serve_forever(POLL);
      await echo_once(env, server);
    }
    assert.equal(fileno_after(), -1);
    if (stream && inet) {
      await assert.rejects(env.connect(address), ConnectionRefusedError);
    }
  });

  // --- StreamRequestHandler -------------------------------------------------

  if (stream) {
    test("StreamRequestHandler.timeout closes an idle client only", async (env) => {
      const server = new Recording(env.address(), IdleTimeout);
      await serving(env, server, async () => {
        const idle = await env.connect(server.server_address);
        const busy = await env.connect(server.server_address);
        if (kind.concurrent) {
          // Chats across the idle client's timeout, never idle that long.
          for (let i = 0; i < 16; i++) {
            assert.equal(await chat(busy, `${i}\n`), `${i}\n`);
            await delay(50);
          }
        } else {
          // Served once the idle client was dropped.
          assert.equal(await chat(busy, "0\n"), "0\n");
          for (let i = 1; i < 4; i++) {
            assert.equal(await chat(busy, `${i}\n`), `${i}\n`);
            await delay(50);
          }
        }
        // The idle one was closed by the server (EOF, not our 5 s timeout).
        assert.equal((await idle.recv(10)).length, 0);
        await until(() => server.errors.length > 0, 8000, "handle_error");
        assert.ok(server.errors[0]![2] instanceof TimeoutError);
        assert.equal(server.errors.length, 1);
        assert.equal(await chat(busy, "still\n"), "still\n");
      });
    });

    test("StreamRequestHandler rfile.readline() returns an empty array at EOF", async (env) => {
      const server = new kind.Server(env.address(), EofCounter);
      await serving(env, server, async () => {
        const c = await env.connect(server.server_address);
        await c.sendall("a\nb\n");
        await c.shutdown(SHUT_WR);
        assert.equal(await recv_line(c), "lines=2 eof=Uint8Array(0)\n");
      });
    });

    for (const Writer of [BigWriter, BufferedWriter]) {
      test(`StreamRequestHandler flushes wfile before closing (${Writer.name})`, async (env) => {
        const server = new kind.Server(env.address(), Writer);
        await serving(env, server, async () => {
          const c = await env.connect(server.server_address);
          const data = await recv_all(c);
          assert.equal(data.length, BIG);
          assert.deepEqual(data, pattern(BIG));
        });
      });
    }

    if (inet) {
      test("StreamRequestHandler.disable_nagle_algorithm sets TCP_NODELAY", async (env) => {
        const server = new kind.Server(env.address(), NoDelay);
        await serving(env, server, async () => {
          const c = await env.connect(server.server_address);
          assert.equal(await recv_line(c), "nodelay=1 flag=true\n");
        });
      });
    }
  }
}

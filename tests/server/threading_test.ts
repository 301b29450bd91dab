// Threaded servers: handlers in a pool of Web Workers.
// deno test --sanitize-ops --sanitize-resources -A tests/server/threading_test.ts
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_UNIX,
  create_connection,
  SHUT_WR,
  SOCK_DGRAM,
  type Socket,
  socket,
} from "../../net/mod.ts";
import { StreamRequestHandler } from "../../server/mod.ts";
import {
  ThreadingMixIn,
  ThreadingTCPServer,
  ThreadingUDPServer,
  ThreadingUnixDatagramServer,
  ThreadingUnixStreamServer,
} from "../../server/mod.ts";
import { TCPServer } from "../../server/mod.ts";
import {
  Command,
  DatagramEcho,
  Echo,
  hidden,
  RawEcho,
} from "./fixtures/handlers.ts";
import {
  capture_errors,
  delay,
  echo_every_byte,
  eventually,
  LineClient,
  two_agents,
} from "./fixtures/client.ts";

import { server_suite } from "./_suite.ts";

const decoder = new TextDecoder();
const fixtures = new URL("./fixtures/", import.meta.url);

function tcp(cls = Command, workers = 2): ThreadingTCPServer {
  const server = new ThreadingTCPServer(["127.0.0.1", 0], cls);
  server.max_workers = workers;
  return server;
}

// Not exported: the test file is the main module, so workers cannot find it.
class Unexported extends StreamRequestHandler {}

async function run_script(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("ThreadingTCPServer serves many clients from every worker", async () => {
  await using server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  const clients = await Promise.all(
    Array.from({ length: 12 }, () => LineClient.open(server.server_address)),
  );
  const ids = new Set<string>();
  for (const [i, c] of clients.entries()) {
    assert.equal(await c.ask(`line ${i}`), `line ${i}`);
    ids.add(await c.ask("id"));
  }
  for (const c of clients) await c.close();
  assert.equal(server.active_workers, 2);
  // Up to two workers answer (three listeners share the port).
  assert.ok(ids.size >= 1 && ids.size <= 2);
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingTCPServer serves a client that connects as soon as serve_forever() was called", async () => {
  for (let round = 0; round < 3; round++) {
    await using server = tcp(Echo, 2);
    const serving = server.serve_forever(0.05);
    const replies = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await using c = await LineClient.open(server.server_address);
        return await c.ask(`hi ${i}`);
      }),
    );
    assert.deepEqual(replies, replies.map((_, i) => `hi ${i}`));
    await server.shutdown();
    await serving;
  }
});

Deno.test("ThreadingTCPServer serves connections made before serve_forever()", async () => {
  await using server = tcp(Echo, 2);
  const early = await LineClient.open(server.server_address);
  await early.sock.sendall("early\n");
  const serving = server.serve_forever(0.05);
  assert.equal(await early.line(), "early");
  await early.close();
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingTCPServer finds a handler of another module by static module", async () => {
  await using server = tcp(Echo, 1);
  const serving = server.serve_forever(0.05);
  await using c = await LineClient.open(server.server_address);
  assert.equal(await c.ask("found"), "found");
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingTCPServer finds an exported handler of the main module (a script guarded by import.meta.main)", async () => {
  const result = await run_script([
    "--allow-net=127.0.0.1",
    "--allow-read",
    new URL("main_handler.ts", fixtures).pathname,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), "HELLO 0|HELLO 1|HELLO 2|HELLO 3");
});

Deno.test("ThreadingTCPServer's worker refuses to start servers of an unguarded main module", async () => {
  const result = await run_script([
    "--allow-net=127.0.0.1",
    "--allow-read",
    new URL("unguarded.ts", fixtures).pathname,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^rejected: .*if \(import\.meta\.main\)/);
});

Deno.test("new ThreadingTCPServer() throws with the fix when the handler is not exported", () => {
  for (const cls of [Unexported, hidden]) {
    assert.throws(
      () => new ThreadingTCPServer(["127.0.0.1", 0], cls),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, /^Cannot create ThreadingTCPServer: /);
        assert.match(error.message, /is not exported by file:/);
        assert.match(error.message, /static module = import\.meta\.url/);
        return true;
      },
    );
  }
  assert.throws(
    () => new ThreadingTCPServer(["127.0.0.1", 0], 42 as never),
    TypeError,
  );
});

Deno.test("ThreadingTCPServer sends a handler's error to handle_error and keeps serving", async () => {
  const seen: [unknown, string][] = [];
  class Server extends ThreadingTCPServer {
    override handle_error(_r: unknown, addr: unknown, error: unknown): void {
      seen.push([addr, (error as Error).message]);
    }
  }
  await using server = new Server(["127.0.0.1", 0], Command);
  server.max_workers = 1;
  const serving = server.serve_forever(0.05);
  const bad = await LineClient.open(server.server_address);
  await bad.sock.sendall("boom\n");
  assert.equal(await bad.line(), "");
  await bad.close();
  assert.ok(await eventually(() => seen.length === 1));
  assert.equal(seen[0]![1], "boom from the handler");
  assert.ok(Array.isArray(seen[0]![0]));
  await using good = await LineClient.open(server.server_address);
  assert.equal(await good.ask("still"), "still");
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingTCPServer runs an overridden verify_request in the main thread", async () => {
  let asked = 0;
  class Server extends ThreadingTCPServer {
    override verify_request(): boolean {
      asked++;
      return asked > 3;
    }
  }
  await using server = new Server(["127.0.0.1", 0], Echo);
  server.max_workers = 2;
  const serving = server.serve_forever(0.05);
  for (let i = 0; i < 3; i++) {
    await using refused = await LineClient.open(server.server_address);
    assert.equal(await refused.ask("x"), "");
  }
  await using ok = await LineClient.open(server.server_address);
  assert.equal(await ok.ask("x"), "x");
  await server.shutdown();
  await serving;
});

for (const how of ["close", "exit"]) {
  Deno.test(`ThreadingTCPServer replaces a worker whose handler calls ${how === "close" ? "self.close()" : "Deno.exit()"}`, async () => {
    await using server = tcp(Command, 2);
    const serving = server.serve_forever(0.05);
    const [, log] = await capture_errors(async () => {
      const { a, b, others } = await two_agents(server.server_address);
      for (const o of others) await o.close();
      // a's worker dies: a is closed, b goes on untouched.
      await a.sock.sendall(`${how}\n`);
      assert.equal(await a.line(), "");
      await a.close();
      assert.equal(await b.ask("untouched"), "untouched");
      await b.close();
      assert.ok(await eventually(() => server.active_workers === 2));
      for (let i = 0; i < 6; i++) {
        await using c = await LineClient.open(server.server_address);
        assert.equal(await c.ask(`after ${i}`), `after ${i}`);
      }
    });
    assert.match(
      log,
      /ThreadingTCPServer: worker \d+ stopped \(a handler called/,
    );
    await server.shutdown();
    await serving;
  });
}

Deno.test("ThreadingUnixStreamServer closes the relayed clients of a worker that dies, and only those", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = new ThreadingUnixStreamServer(
      `${dir}/s.sock`,
      Command,
    );
    server.max_workers = 2;
    const serving = server.serve_forever(0.05);
    const open = async () => {
      const sock = socket(AF_UNIX);
      await sock.connect(`${dir}/s.sock`);
      return new LineClient(sock);
    };
    const [, log] = await capture_errors(async () => {
      // Relayed to the least busy worker: the two land on different ones.
      const a = await open();
      const a_id = await a.ask("id");
      const b = await open();
      const b_id = await b.ask("id");
      assert.notEqual(a_id, b_id);
      await a.sock.sendall("close\n");
      assert.equal(await a.line(), "");
      await a.close();
      assert.equal(await b.ask("untouched"), "untouched");
      await b.close();
      assert.ok(await eventually(() => server.active_workers === 2));
      const c = await open();
      assert.equal(await c.ask("after"), "after");
      await c.close();
    });
    assert.match(log, /closed its 1 relayed connection/);
    await server.shutdown();
    await serving;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ThreadingTCPServer gives handlers this.server.server_address and a shutdown() that stops it", async () => {
  await using server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  await using c = await LineClient.open(server.server_address);
  assert.deepEqual(JSON.parse(await c.ask("addr")), server.server_address);
  assert.equal(await c.ask("stop"), "stopped");
  await serving;
  // The workers no longer accept: a new client waits in the queue.
  await using late = await create_connection(
    server.server_address as [string, number],
  );
  await late.sendall("x\n");
  late.settimeout(0.3);
  await assert.rejects(late.recv(10));
});

Deno.test("ThreadingTCPServer.server_close() stops every worker, after running handlers with block_on_close", async () => {
  const server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  const c = await LineClient.open(server.server_address);
  // A running handler, not a connection still queued at a listener.
  assert.equal(await c.ask("ready"), "ready");
  await c.sock.sendall("sleep 1000\n");
  // The handler ends at EOF; Python's server_close would wait forever too.
  await c.sock.shutdown(SHUT_WR);
  await delay(50);
  await server.shutdown();
  await serving;
  const started = performance.now();
  await server.server_close();
  // The handler still had most of its second to sleep.
  const took = performance.now() - started;
  assert.ok(took >= 400, `took ${took} ms`);
  assert.equal(await c.line(), "slept");
  assert.equal(server.active_workers, 0);
  await c.close();
});

Deno.test("ThreadingUnixStreamServer.server_close() keeps relaying to the handlers it waits for", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new ThreadingUnixStreamServer(`${dir}/s.sock`, RawEcho);
    server.max_workers = 2;
    const serving = server.serve_forever(0.05);
    await using c: Socket = socket(AF_UNIX);
    c.settimeout(5);
    await c.connect(`${dir}/s.sock`);
    await c.sendall("before");
    assert.equal(decoder.decode(await c.recv(100)), "before");
    await server.shutdown();
    await serving;
    let closed = false;
    const closing = Promise.resolve(server.server_close()).then(() => {
      closed = true;
    });
    // Every connection of a Unix server crosses the relay: the handler
    // still gets the client's bytes while server_close() waits for it.
    for (const text of ["during 1", "during 2"]) {
      await delay(100);
      await c.sendall(text);
      assert.equal(decoder.decode(await c.recv(100)), text);
    }
    assert.equal(closed, false, "server_close() did not wait");
    await c.shutdown(SHUT_WR);
    assert.equal((await c.recv(100)).length, 0);
    await closing;
    assert.equal(server.active_requests, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ThreadingTCPServer.server_close() does not wait for handlers with daemon_threads", async () => {
  class Server extends ThreadingTCPServer {
    static override daemon_threads = true;
  }
  const server = new Server(["127.0.0.1", 0], Command);
  server.max_workers = 2;
  const serving = server.serve_forever(0.05);
  const c = await LineClient.open(server.server_address);
  // A running handler, not a connection still queued at a listener.
  assert.equal(await c.ask("ready"), "ready");
  await c.sock.sendall("sleep 3000\n");
  await delay(50);
  await server.shutdown();
  await serving;
  const started = performance.now();
  await server.server_close();
  assert.ok(performance.now() - started < 2000);
  assert.equal(await c.line(), "");
  assert.equal(server.active_workers, 0);
  await c.close();
});

Deno.test("ThreadingTCPServer runs CPU-bound handlers in parallel", async () => {
  await using server = tcp(Command, 2);
  const serving = server.serve_forever(0.05);
  const { a, b, others } = await two_agents(server.server_address);
  for (const o of others) await o.close();
  const started = performance.now();
  const [ra, rb] = await Promise.all([a.ask("spin 600"), b.ask("spin 600")]);
  const elapsed = performance.now() - started;
  assert.deepEqual([ra, rb], ["spun", "spun"]);
  // Serially this takes 1200 ms.
  assert.ok(elapsed < 1100, `took ${elapsed} ms`);
  await a.close();
  await b.close();
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingMixIn makes a threaded server of a custom class", async () => {
  class Quiet extends TCPServer {}
  const Threaded = ThreadingMixIn(Quiet);
  await using server = new Threaded(["127.0.0.1", 0], Echo);
  server.max_workers = 1;
  assert.ok(server instanceof ThreadingMixIn);
  assert.ok(server instanceof Quiet);
  assert.ok(!(new Object() instanceof ThreadingMixIn));
  const serving = server.serve_forever(0.05);
  await using c = await LineClient.open(server.server_address);
  assert.equal(await c.ask("mixed"), "mixed");
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingTCPServer rejects a bad max_workers when serving starts", async () => {
  await using server = tcp(Echo, 0);
  await assert.rejects(server.serve_forever(0.05), RangeError);
});

Deno.test("ThreadingUDPServer relays every datagram and reply under load", async () => {
  await using server = new ThreadingUDPServer(["127.0.0.1", 0], DatagramEcho);
  server.max_workers = 2;
  const serving = server.serve_forever(0.05);
  await using client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(5);
  const total = 2000;
  const window = 32;
  const got = new Set<string>();
  let sent = 0;
  while (got.size < total) {
    while (sent < total && sent - got.size < window) {
      await client.sendto(
        `up:${sent}:${"x".repeat(sent % 1000)}`,
        server.server_address,
      );
      sent++;
    }
    const [data] = await client.recvfrom(2048);
    const text = decoder.decode(data);
    const [, n] = text.split(":");
    assert.equal(text, `UP:${n}:${"X".repeat(Number(n) % 1000)}`);
    got.add(n!);
  }
  assert.equal(got.size, total);
  await server.shutdown();
  await serving;
});

Deno.test("ThreadingUnixStreamServer relays every byte both ways", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = new ThreadingUnixStreamServer(
      `${dir}/s.sock`,
      RawEcho,
    );
    server.max_workers = 2;
    const serving = server.serve_forever(0.05);
    await echo_every_byte(`${dir}/s.sock`, 4, 4 * 1024 * 1024);
    await server.shutdown();
    await serving;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ThreadingUnixDatagramServer replies from a worker", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = new ThreadingUnixDatagramServer(
      `${dir}/server.sock`,
      DatagramEcho,
    );
    server.max_workers = 1;
    const serving = server.serve_forever(0.05);
    await using client = socket(AF_UNIX, SOCK_DGRAM);
    client.bind(`${dir}/client.sock`);
    client.settimeout(5);
    for (let i = 0; i < 20; i++) {
      await client.sendto(`up:${i}`, `${dir}/server.sock`);
      const [data] = await client.recvfrom(100);
      assert.equal(decoder.decode(data), `UP:${i}`);
    }
    await server.shutdown();
    await serving;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ThreadingUnixDatagramServer serves again after shutdown(), and through handle_request()", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = new ThreadingUnixDatagramServer(
      `${dir}/server.sock`,
      DatagramEcho,
    );
    server.max_workers = 1;
    await using client = socket(AF_UNIX, SOCK_DGRAM);
    client.bind(`${dir}/client.sock`);
    client.settimeout(5);
    const ask = async (text: string) => {
      await client.sendto(text, `${dir}/server.sock`);
      const [data] = await client.recvfrom(100);
      return decoder.decode(data);
    };
    for (let round = 0; round < 2; round++) {
      const serving = server.serve_forever(0.05);
      assert.equal(await ask(`up:${round}`), `UP:${round}`);
      await server.shutdown();
      await serving;
    }
    const handled = server.handle_request();
    assert.equal(await ask("up:last"), "UP:LAST");
    await handled;
    // Every loop waited by receiving, never through a selector, which
    // would have left a receive pending: Deno then refuses to send.
    await server.socket.sendto("from the server", `${dir}/client.sock`);
    const [data] = await client.recvfrom(100);
    assert.equal(decoder.decode(data), "from the server");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The behaviour suite of every server.
server_suite({
  Server: ThreadingTCPServer,
  family: "inet",
  type: "stream",
  concurrent: true,
  pooled: true,
});
server_suite({
  Server: ThreadingUDPServer,
  family: "inet",
  type: "dgram",
  concurrent: true,
  pooled: true,
});
server_suite({
  Server: ThreadingUnixStreamServer,
  family: "unix",
  type: "stream",
  concurrent: true,
  pooled: true,
});
server_suite({
  Server: ThreadingUnixDatagramServer,
  family: "unix",
  type: "dgram",
  concurrent: true,
  pooled: true,
  reply_address_unbound: true,
});

Deno.test("ThreadingTCPServer and ThreadingUnixStreamServer serve with no grant beyond their own address", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "pysock-grant-" });
  try {
    const sock = `${dir}/s.sock`;
    await Deno.writeTextFile(
      `${dir}/handler.ts`,
      `import { StreamRequestHandler } from "${root}mod.ts";
export class Up extends StreamRequestHandler {
  static module = import.meta.url;
  override async handle() {
    const line = new TextDecoder().decode(await this.rfile.readline());
    await this.wfile.write(line.toUpperCase());
  }
}
`,
    );
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { AF_UNIX, create_connection, socket, ThreadingTCPServer, ThreadingUnixStreamServer } from "${root}mod.ts";
import { Up } from "./handler.ts";
async function ask(connect: () => Promise<import("${root}mod.ts").Socket>) {
  const c = await connect();
  await c.sendall("hi\\n");
  const got = new TextDecoder().decode(await c.recv(10));
  await c.close();
  return got;
}
for (const make of [
  () => new ThreadingTCPServer(["127.0.0.1", 45999], Up),
  () => new ThreadingUnixStreamServer(${JSON.stringify(sock)}, Up),
]) {
  await using server = make();
  server.max_workers = 1;
  const serving = server.serve_forever(0.05);
  const got = server.address_family === AF_UNIX
    ? await ask(async () => {
      const c = socket(AF_UNIX);
      await c.connect(${JSON.stringify(sock)});
      return c;
    })
    : await ask(() => create_connection(["127.0.0.1", 45999]));
  console.log(server.constructor.name, got.trim());
  await server.shutdown();
  await serving;
}
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--unstable-net",
        `--allow-net=127.0.0.1:45999,unix:${sock}`,
        `--allow-read=${root},${dir}`,
        `--allow-write=${dir}`,
        `${dir}/main.ts`,
      ],
      env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(text, "ThreadingTCPServer HI\nThreadingUnixStreamServer HI\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Tests of examples/echo_server.ts and examples/echo_client.ts, run as
 * subprocesses with exactly their header commands (the port swapped for a
 * free one), against each other and against the tutorial's Python 3 client
 * and server in tests/examples/py/.
 */
import assert from "node:assert/strict";
import { BlockingIOError, create_connection } from "../../net/mod.ts";
import { type Child, free_port, PY, run_example, spawn } from "./_run.ts";

const SERVER = "examples/echo_server.ts";
const CLIENT = "examples/echo_client.ts";
const encoder = new TextEncoder();

const grant = (port: number) => ({ "127.0.0.1:9999": `127.0.0.1:${port}` });

function start_server(port: number, extra: string[] = []): Child {
  return run_example(SERVER, grant(port), ["--port", String(port), ...extra]);
}

function start_client(port: number, extra: string[] = []): Child {
  return run_example(CLIENT, grant(port), ["--port", String(port), ...extra]);
}

/** What the server says it received, as the texts of each recv(). */
function server_received(stdout: string): string[] {
  return [...stdout.matchAll(/^received (\d+) bytes: (.*)$/gm)].map((m) => {
    const text = JSON.parse(m[2]!) as string;
    assert.equal(encoder.encode(text).length, Number(m[1]));
    return text;
  });
}

Deno.test("echo_client.ts gets its message back from echo_server.ts", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "2"]);
  await server.wait_for(/server waiting\.\.\./);

  // The tutorial's message.
  await using first = start_client(port);
  await first.success();
  assert.match(
    first.stdout,
    new RegExp(`connected to 127\\.0\\.0\\.1:${port}`),
  );
  assert.match(first.stdout, /^sent 18 bytes: "请求占领地球"$/m);
  assert.match(first.stdout, /^received 18 bytes: "请求占领地球"$/m);

  // A message longer than one recv(1024) comes back whole.
  const long = "0123456789abcdef".repeat(400); // 6400 bytes
  await using second = start_client(port, ["--message", long]);
  await second.success();
  assert.ok(
    second.stdout.includes(`received 6400 bytes: "${long}"`),
    second.report(),
  );

  await server.success();
  const got = server_received(server.stdout);
  assert.equal(got.join(""), "请求占领地球" + long, server.report());
  assert.equal(server.stdout.match(/^closed 127\.0\.0\.1:\d+$/gm)?.length, 2);
});

Deno.test("echo_server.ts echoes the tutorial's Python 3 client byte for byte", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "2"]);
  await server.wait_for(/server waiting\.\.\./);
  for (const message of [undefined, "hello, 世界 'q' \"dq\""]) {
    await using py = spawn("python3", [
      `${PY}echo_client.py`,
      "127.0.0.1",
      String(port),
      ...(message === undefined ? [] : [message]),
    ]);
    await py.success();
    const expected = encoder.encode(`${message ?? "请求占领地球"}\n`);
    assert.deepEqual(py.stdout_bytes, expected, py.report());
  }
  await server.success();
  assert.deepEqual(server_received(server.stdout), [
    "请求占领地球",
    "hello, 世界 'q' \"dq\"",
  ]);
});

Deno.test("echo_client.ts talks to the tutorial's Python 3 server", async () => {
  const port = free_port();
  await using py = spawn("python3", [
    `${PY}echo_server.py`,
    "127.0.0.1",
    String(port),
    "1",
  ]);
  await py.wait_for(/^server waiting\.\.\.$/m);
  await using client = start_client(port, ["--message", "ping 你好"]);
  await client.success();
  await py.success();
  // Python printed exactly the bytes we sent, and we got them back.
  assert.equal(py.stdout, "server waiting...\nping 你好\n", py.report());
  assert.match(client.stdout, /^received 11 bytes: "ping 你好"$/m);
});

Deno.test("echo_server.ts stops cleanly on SIGTERM and on SIGINT", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const port = free_port();
    await using server = start_server(port);
    await server.wait_for(/server waiting\.\.\./);
    server.kill(signal);
    await server.success();
    assert.match(server.stdout, /^stopping$/m);
  }
});

Deno.test("echo_server.ts closes a client silent for --timeout, then serves the next", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "2", "--timeout", "1"]);
  await server.wait_for(/server waiting\.\.\./);
  await using silent = await create_connection(["127.0.0.1", port], 10);
  await server.wait_for(/^connection from /m);
  // The next client waits in the backlog until the silent one is dropped.
  const started = performance.now();
  await using next = start_client(port);
  await next.success();
  const waited = performance.now() - started;
  assert.ok(waited > 500, `served after ${waited} ms`);
  assert.equal((await silent.recv(16)).length, 0); // closed by the server
  await server.success();
  assert.match(server.stdout, /^client 127\.0\.0\.1:\d+ idle for 1 s$/m);
});

Deno.test("echo_server.ts closes a client that never reads its echo after --timeout", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "1", "--timeout", "1"]);
  await server.wait_for(/server waiting\.\.\./);
  await using hog = await create_connection(["127.0.0.1", port], 10);
  hog.setblocking(false);
  // Send without reading until the kernel buffers both ways are full (the
  // server's sendall() stalls, then its recv() stops too), at most 64 MiB.
  const chunk = new Uint8Array(65536);
  let sent = 0;
  for (let i = 0; i < 1024; i++) {
    try {
      sent += await hog.send(chunk);
    } catch (err) {
      if (err instanceof BlockingIOError) break;
      throw err;
    }
  }
  assert.ok(sent > 0);
  await server.success(); // within the test's bound: the timeout fired
  assert.match(server.stdout, /^client 127\.0\.0\.1:\d+ idle for 1 s$/m);
});

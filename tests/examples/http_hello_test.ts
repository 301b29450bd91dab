/**
 * Tests of examples/http_hello.ts (the tutorial's "Hello, World" web server
 * over a raw socket), run as a subprocess with exactly its header command
 * (the port swapped for a free one), against Deno's fetch, Python 3's urllib
 * and a raw socket of our own.
 */
import assert from "node:assert/strict";
import { create_connection } from "../../net/mod.ts";
import { type Child, free_port, run_example, spawn } from "./_run.ts";

const EXAMPLE = "examples/http_hello.ts";

function start(port: number, extra: string[] = []): Child {
  return run_example(
    EXAMPLE,
    { "127.0.0.1:8080": `127.0.0.1:${port}` },
    ["--port", String(port), ...extra],
  );
}

// urllib in Python 3: the body, and the status.
const URLLIB = `
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=20) as r:
    print(r.status)
    sys.stdout.write(r.read().decode('utf-8'))
`;

Deno.test("http_hello.ts answers Deno's fetch and Python's urllib", async () => {
  const port = free_port();
  await using server = start(port, ["--count", "3"]);
  await server.wait_for(/serving http:\/\/127\.0\.0\.1:\d+\//);
  const url = `http://127.0.0.1:${port}/`;

  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${url}?n=${i}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "Hello, World");
  }

  await using py = spawn("python3", ["-c", URLLIB, `${url}py`]);
  await py.success();
  assert.equal(py.stdout, "200\nHello, World", py.report());

  await server.success();
  const lines = [...server.stdout.matchAll(/^request: (.*)$/gm)].map((m) =>
    JSON.parse(m[1]!)
  );
  assert.deepEqual(lines, [
    "GET /?n=0 HTTP/1.1",
    "GET /?n=1 HTTP/1.1",
    "GET /py HTTP/1.1",
  ], server.report());
});

Deno.test("http_hello.ts sends the tutorial's bytes and closes", async () => {
  const port = free_port();
  await using server = start(port, ["--count", "2"]);
  await server.wait_for(/serving/);
  for (const request of ["GET / HTTP/1.0\r\n\r\n", "GET /"]) {
    await using sock = await create_connection(["127.0.0.1", port], 20);
    await sock.sendall(request);
    if (request === "GET /") {
      // Headers cut short: the server waits for the rest, then answers.
      await sock.sendall(" HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const chunk = await sock.recv(1024);
      if (chunk.length === 0) break; // closed: the end of the body
      chunks.push(chunk);
    }
    const body = new TextDecoder().decode(
      new Uint8Array(chunks.flatMap((c) => [...c])),
    );
    assert.equal(body, "HTTP/1.1 200 OK\r\n\r\nHello, World");
  }
  await server.success();
});

Deno.test("http_hello.ts stops cleanly on SIGINT", async () => {
  const port = free_port();
  await using server = start(port);
  await server.wait_for(/serving/);
  server.kill("SIGINT");
  await server.success();
  assert.match(server.stdout, /^stopping$/m);
});

Deno.test("http_hello.ts closes a client that trickles its request past --timeout, then serves the next", async () => {
  const port = free_port();
  await using server = start(port, ["--count", "2", "--timeout", "1"]);
  await server.wait_for(/serving http/);
  await using slow = await create_connection(["127.0.0.1", port], 10);
  const started = performance.now();
  // One byte every 200 ms: each recv() gets something in time, but the
  // request never ends. The deadline covers the whole request.
  let closed = false;
  for (let i = 0; i < 50 && !closed; i++) {
    try {
      await slow.sendall("G");
    } catch {
      closed = true; // reset by the server
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    closed ||= server.stdout.includes("no complete request");
  }
  const held = performance.now() - started;
  assert.ok(closed, server.report());
  assert.ok(held > 800 && held < 5000, `held ${held} ms`);
  const response = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(await response.text(), "Hello, World");
  await server.success();
  assert.match(server.stdout, /^no complete request within 1 s$/m);
});

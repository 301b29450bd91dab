/**
 * Tests of examples/udp_server.ts and examples/udp_client.ts, run as
 * subprocesses with exactly their header commands (the port swapped for a
 * free one), against each other and against the tutorial's Python 3 programs
 * in tests/examples/py/.
 */
import assert from "node:assert/strict";
import { free_port, PY, run_example, spawn } from "./_run.ts";

const SERVER = "examples/udp_server.ts";
const CLIENT = "examples/udp_client.ts";

/** Python's repr() of a bytes object, as `print(data)` shows it. */
function py_bytes(data: Uint8Array): string {
  let out = "";
  for (const b of data) {
    if (b === 0x5c) out += "\\\\";
    else if (b === 0x27) out += "\\'";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `b'${out}'`;
}

const encoder = new TextEncoder();
const LINES = ["hello", "你好 世界", "a\\b 'q' \"dq\""];

function start_server(port: number, extra: string[] = []) {
  // The header grants the whole loopback host (replies go to any port).
  return run_example(SERVER, {}, ["--port", String(port), ...extra]);
}

/** The server's report of each datagram: [bytes, host, port, text]. */
function server_received(stdout: string): [number, string, number, string][] {
  return [
    ...stdout.matchAll(/^received (\d+) bytes from ([\d.]+):(\d+): (.*)$/gm),
  ]
    .map((m) => [Number(m[1]), m[2]!, Number(m[3]), JSON.parse(m[4]!)]);
}

Deno.test("udp_client.ts and udp_server.ts exchange datagrams and replies", async () => {
  const port = free_port("127.0.0.1", "udp");
  await using server = start_server(port, ["--count", String(LINES.length)]);
  await server.wait_for(/listening on 127\.0\.0\.1:\d+ \(UDP\)/);
  await using client = run_example(
    CLIENT,
    { "127.0.0.1:9999": `127.0.0.1:${port}` },
    ["--port", String(port)],
    { stdin: "piped" },
  );
  await client.write(LINES.map((l) => `  ${l}  \n`).join("") + "exit\n");
  await client.end();
  await client.success();
  await server.success();

  const got = server_received(server.stdout);
  assert.equal(got.length, LINES.length, server.report());
  for (const [i, line] of LINES.entries()) {
    const [size, host, , text] = got[i]!;
    assert.equal(text, line); // stripped, as the tutorial's .strip()
    assert.equal(size, encoder.encode(line).length);
    assert.equal(host, "127.0.0.1");
  }
  const replies = client.stdout.match(
    new RegExp(`received "ok" from 127\\.0\\.0\\.1:${port}`, "g"),
  );
  assert.equal(replies?.length, LINES.length, client.report());
  const [, , client_port] = got[0]!;
  assert.ok(got.every(([, , p]) => p === client_port), "one socket, one port");
  assert.match(
    server.stdout,
    new RegExp(`sent "ok" to 127\\.0\\.0\\.1:${client_port}`),
  );
});

Deno.test("udp_server.ts answers the tutorial's Python 3 client byte for byte", async () => {
  const port = free_port("127.0.0.1", "udp");
  await using server = start_server(port, ["--count", String(LINES.length)]);
  await server.wait_for(/listening on/);
  await using py = spawn(
    "python3",
    [`${PY}udp_client.py`, "127.0.0.1", String(port)],
    { stdin: "piped" },
  );
  await py.write(LINES.map((l) => `${l}\n`).join("") + "exit\n");
  await py.end();
  await py.success();
  await server.success();

  // What Python sent arrived as the same bytes...
  const got = server_received(server.stdout);
  assert.deepEqual(
    got.map(([size, , , text]) => [size, text]),
    LINES.map((l) => [encoder.encode(l).length, l]),
  );
  // ...and Python printed our reply, (b'ok', (host, port)), once per line.
  const replies = py.stdout.split("数据:").map((s) => s.trim()).filter((s) =>
    s
  );
  assert.deepEqual(
    replies,
    LINES.map(() => `(b'ok', ('127.0.0.1', ${port}))`),
    py.report(),
  );
});

Deno.test("udp_client.ts talks to the tutorial's Python 3 server byte for byte", async () => {
  const port = free_port("127.0.0.1", "udp");
  await using py = spawn("python3", [
    `${PY}udp_server.py`,
    "127.0.0.1",
    String(port),
    String(LINES.length),
  ]);
  await py.wait_for(/^ready$/m);
  await using client = run_example(
    CLIENT,
    { "127.0.0.1:9999": `127.0.0.1:${port}` },
    ["--port", String(port)],
    { stdin: "piped" },
  );
  await client.write(LINES.map((l) => `${l}\n`).join("")); // then end of input
  await client.end();
  await client.success();
  await py.success();

  // Python prints `data host port` for each datagram: data is exactly ours.
  const printed = py.stdout.split("\n").filter((l) => l.startsWith("b"));
  assert.equal(printed.length, LINES.length, py.report());
  for (const [i, line] of LINES.entries()) {
    const m = printed[i]!.match(/^(b'.*') 127\.0\.0\.1 (\d+)$/);
    assert.ok(m, printed[i]);
    assert.equal(m[1], py_bytes(encoder.encode(line)));
  }
  const replies = client.stdout.match(/received "ok" from 127\.0\.0\.1:\d+/g);
  assert.equal(replies?.length, LINES.length, client.report());
});

Deno.test("udp_server.ts stops cleanly on SIGTERM", async () => {
  const port = free_port("127.0.0.1", "udp");
  await using server = start_server(port);
  await server.wait_for(/listening on/);
  server.kill("SIGTERM");
  await server.success();
  assert.match(server.stdout, /stopping/);
});

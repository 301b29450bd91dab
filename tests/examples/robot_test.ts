/**
 * Tests of examples/robot_server.ts and examples/robot_client.ts (the
 * tutorials' "10086" robot), run as subprocesses with exactly their header
 * commands (the port swapped for a free one), against each other and against
 * the tutorial's Python 3 client and server in tests/examples/py/. The
 * interactive client reads its lines from piped stdin.
 */
import assert from "node:assert/strict";
import { create_connection, TimeoutError } from "../../net/mod.ts";
import { type Child, free_port, PY, run_example, spawn } from "./_run.ts";

const SERVER = "examples/robot_server.ts";
const CLIENT = "examples/robot_client.ts";

const WELCOME = "欢迎致电 10086,请输入1xxx,0转人工服务.";
const HUMAN = "通过可能会被录音.balabala一大推";
const AGAIN = "请重新输入.";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the robot says to each line (`exit` ends the call). */
const answer = (line: string) => line === "0" ? HUMAN : AGAIN;

/** The exact stdout of the tutorial's client for these input lines. */
function transcript(lines: string[]): string {
  let out = `receive: ${WELCOME}\n`;
  for (const line of lines) {
    out += "please input:";
    if (line === "exit") break;
    out += `receive: ${answer(line)}\n`;
  }
  return out;
}

const grant = (port: number) => ({ "127.0.0.1:8888": `127.0.0.1:${port}` });

function start_server(port: number, extra: string[] = []): Child {
  return run_example(SERVER, grant(port), ["--port", String(port), ...extra]);
}

function start_client(port: number): Child {
  return run_example(CLIENT, grant(port), ["--port", String(port)], {
    stdin: "piped",
  });
}

/** What the server says it received, in order. */
const server_received = (stdout: string) =>
  [...stdout.matchAll(/^ {2}received: (.*)$/gm)].map((m) => m[1]!);

const LINES = ["1234", "0", "你好 10086", "exit"];

Deno.test("robot_client.ts, fed through stdin, talks with robot_server.ts", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "1"]);
  await server.wait_for(/listening on 127\.0\.0\.1:\d+/);
  await using client = start_client(port);
  await client.write(LINES.map((l) => `${l}\n`).join(""));
  await client.end();
  await client.success();
  await server.success();
  assert.equal(client.stdout, transcript(LINES), client.report());
  assert.deepEqual(server_received(server.stdout), LINES, server.report());
  assert.match(server.stdout, /^ {2}sent: 通过可能会被录音\.balabala一大推$/m);
  assert.match(server.stdout, /^call from 127\.0\.0\.1:\d+ ended$/m);
});

Deno.test("robot_server.ts answers the tutorial's Python 3 client byte for byte", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "1"]);
  await server.wait_for(/listening on/);
  await using py = spawn("python3", [
    `${PY}robot_client.py`,
    "127.0.0.1",
    String(port),
  ], { stdin: "piped" });
  await py.write(LINES.map((l) => `${l}\n`).join(""));
  await py.end();
  await py.success();
  await server.success();
  assert.deepEqual(
    py.stdout_bytes,
    encoder.encode(transcript(LINES)),
    py.report(),
  );
  assert.deepEqual(server_received(server.stdout), LINES, server.report());
});

Deno.test("robot_client.ts talks with the tutorial's Python 3 server", async () => {
  const port = free_port();
  await using py = spawn("python3", [
    `${PY}robot_server.py`,
    "127.0.0.1",
    String(port),
    "1",
  ]);
  await py.wait_for(/^ready$/m);
  await using client = start_client(port);
  await client.write(LINES.map((l) => `${l}\n`).join(""));
  await client.end();
  await client.success();
  await py.success();
  assert.equal(client.stdout, transcript(LINES), client.report());
  // Python saw exactly the UTF-8 bytes of each line, nothing more.
  const reprs = [...py.stdout.matchAll(/^received: b'(.*)'$/gm)].map((m) =>
    m[1]!
  );
  assert.deepEqual(reprs, [
    "1234",
    "0",
    [...encoder.encode("你好")]
      .map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("") + " 10086",
    "exit",
  ], py.report());
});

Deno.test("robot_client.ts hangs up at the end of its input", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "1"]);
  await server.wait_for(/listening on/);
  await using client = start_client(port);
  await client.write("0\n");
  await client.end();
  await client.success();
  await server.success();
  assert.equal(client.stdout, transcript(["0"]) + "please input:\n");
  assert.deepEqual(server_received(server.stdout), ["0"]);
  assert.match(server.stdout, /^ {2}the caller hung up$/m);
});

Deno.test("robot_server.ts serves one caller at a time", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "2"]);
  await server.wait_for(/listening on/);
  await using a = await create_connection(["127.0.0.1", port], 10);
  assert.equal(decoder.decode(await a.recv(1024)), WELCOME);
  // B is queued in the backlog: no greeting while A's call goes on.
  await using b = await create_connection(["127.0.0.1", port], 10);
  b.settimeout(0.3);
  await assert.rejects(b.recv(1024), TimeoutError);
  await a.sendall("0");
  assert.equal(decoder.decode(await a.recv(1024)), HUMAN);
  await a.sendall("exit");
  // A hung up: now B is greeted.
  b.settimeout(10);
  assert.equal(decoder.decode(await b.recv(1024)), WELCOME);
  await b.sendall("exit");
  assert.equal((await b.recv(1024)).length, 0); // the robot closed
  assert.equal((await a.recv(1024)).length, 0);
  await server.success();
});

Deno.test("robot_server.ts stops cleanly on SIGTERM", async () => {
  const port = free_port();
  await using server = start_server(port);
  await server.wait_for(/listening on/);
  server.kill("SIGTERM");
  await server.success();
  assert.match(server.stdout, /^stopping$/m);
});

Deno.test("robot_server.ts hangs up on a caller silent for --timeout, then takes the next", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "2", "--timeout", "1"]);
  await server.wait_for(/listening on/);
  await using silent = await create_connection(["127.0.0.1", port], 10);
  assert.equal(decoder.decode(await silent.recv(1024)), WELCOME);
  await using next = await create_connection(["127.0.0.1", port], 10);
  const started = performance.now();
  assert.equal(decoder.decode(await next.recv(1024)), WELCOME);
  const waited = performance.now() - started;
  assert.ok(waited > 500 && waited < 5000, `greeted after ${waited} ms`);
  assert.equal((await silent.recv(1024)).length, 0); // hung up on
  await next.sendall("exit");
  await server.success();
  assert.match(server.stdout, /^ {2}silent for 1 s, hanging up$/m);
});

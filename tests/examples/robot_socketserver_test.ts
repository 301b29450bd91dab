/**
 * Tests of examples/robot_socketserver.ts (the tutorial's ThreadingTCPServer
 * robot), run as a subprocess with exactly its header command, against the
 * tutorial's Python 3 robot client, robot_client.ts and sockets of our own.
 */
import assert from "node:assert/strict";
import { create_connection, type Socket } from "../../net/mod.ts";
import { type Child, free_port, PY, run_example, spawn } from "./_run.ts";

const SERVER = "examples/robot_socketserver.ts";
const CLIENT = "examples/robot_client.ts";

const WELCOME = "欢迎致电 10086,请输入1xxx,0转人工服务.";
const HUMAN = "通过可能会被录音.balabala一大推";
const AGAIN = "请重新输入.";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The exact stdout of the tutorial's client for these input lines. */
function transcript(lines: string[]): string {
  let out = `receive: ${WELCOME}\n`;
  for (const line of lines) {
    out += "please input:";
    if (line === "exit") break;
    out += `receive: ${line === "0" ? HUMAN : AGAIN}\n`;
  }
  return out;
}

async function start_server(port: number): Promise<Child> {
  // The header grants the whole loopback host: nothing to swap.
  const server = run_example(SERVER, {}, [
    "--port",
    String(port),
    "--workers",
    "2",
  ]);
  await server.wait_for(
    /listening on \('127\.0\.0\.1', \d+\) with 2 worker threads/,
  );
  return server;
}

/** Waits until the server printed `n` lines matching the `source` regex. */
async function wait_lines(server: Child, source: string, n: number) {
  await server.wait_for(new RegExp(`(?:[^]*?^${source}$){${n}}`, "m"));
}

async function say(sock: Socket, line: string): Promise<string> {
  await sock.sendall(line);
  return decoder.decode(await sock.recv(1024));
}

const LINES = ["1", "0", "你好", "exit"];

Deno.test("robot_socketserver.ts answers the tutorial's Python 3 client byte for byte", async () => {
  const port = free_port();
  await using server = await start_server(port);
  // Two Python callers at once, each with its own dialogue.
  const other = ["0", "0", "x", "exit"];
  await using py1 = spawn("python3", [
    `${PY}robot_client.py`,
    "127.0.0.1",
    String(port),
  ], { stdin: "piped" });
  await using py2 = spawn("python3", [
    `${PY}robot_client.py`,
    "127.0.0.1",
    String(port),
  ], { stdin: "piped" });
  await py1.write(LINES.map((l) => `${l}\n`).join(""));
  await py2.write(other.map((l) => `${l}\n`).join(""));
  await py1.end();
  await py2.end();
  await py1.success();
  await py2.success();
  assert.deepEqual(
    py1.stdout_bytes,
    encoder.encode(transcript(LINES)),
    py1.report(),
  );
  assert.deepEqual(
    py2.stdout_bytes,
    encoder.encode(transcript(other)),
    py2.report(),
  );
  await wait_lines(server, "call from \\S+, \\d+\\) ended", 2);
  assert.match(server.stdout, /^\('127\.0\.0\.1', \d+\) sent: 你好$/m);
  server.kill("SIGTERM");
  await server.success();
});

Deno.test("robot_socketserver.ts serves many callers at the same time", async () => {
  const port = free_port();
  await using server = await start_server(port);
  // Unlike robot_server.ts, every caller is greeted while the others are
  // still on the line.
  const callers: Socket[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const sock = await create_connection(["127.0.0.1", port], 20);
      callers.push(sock);
      assert.equal(decoder.decode(await sock.recv(1024)), WELCOME);
    }
    for (const [i, sock] of callers.entries()) {
      assert.equal(await say(sock, String(i)), i === 0 ? HUMAN : AGAIN);
    }
    for (const sock of callers.toReversed()) {
      assert.equal(await say(sock, "0"), HUMAN);
      await sock.sendall("exit");
      assert.equal((await sock.recv(1024)).length, 0); // the robot hung up
    }
  } finally {
    for (const sock of callers) await sock.close();
  }
  await wait_lines(server, "call from \\S+, \\d+\\) ended", 6);
  server.kill("SIGINT");
  await server.success();
  assert.match(server.stdout, /^server stopped$/m);
});

Deno.test("robot_client.ts, fed through stdin, talks with robot_socketserver.ts", async () => {
  const port = free_port();
  await using server = await start_server(port);
  await using client = run_example(
    CLIENT,
    { "127.0.0.1:8888": `127.0.0.1:${port}` },
    ["--port", String(port)],
    { stdin: "piped" },
  );
  await client.write(LINES.map((l) => `${l}\n`).join(""));
  await client.end();
  await client.success();
  assert.equal(client.stdout, transcript(LINES), client.report());
  server.kill("SIGTERM");
  await server.success();
});

Deno.test("robot_socketserver.ts stops on SIGTERM while a caller is on the line", async () => {
  const port = free_port();
  await using server = await start_server(port);
  await using caller = await create_connection(["127.0.0.1", port], 20);
  assert.equal(decoder.decode(await caller.recv(1024)), WELCOME);
  server.kill("SIGTERM");
  await server.success();
  assert.match(server.stdout, /^stopping$/m);
  assert.match(server.stdout, /^server stopped$/m);
});

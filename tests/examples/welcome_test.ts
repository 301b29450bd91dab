/**
 * Tests of examples/welcome_server.ts and examples/welcome_client.ts (the
 * tutorials' "welcome" server with its echo robot, and its client), run as
 * subprocesses with exactly their header commands (the port swapped for a
 * free one), against each other and against their Python 3 originals.
 */
import assert from "node:assert/strict";
import { create_connection } from "../../net/mod.ts";
import {
  type Child,
  free_port,
  PY,
  py_server,
  run_example,
  spawn,
} from "./_run.ts";

const SERVER = "examples/welcome_server.ts";
const CLIENT = "examples/welcome_client.ts";
const PROMPT = "请输入要发送的内容(q退出)";
const LINES = ["hello", "你好 世界", "q"];
const decoder = new TextDecoder();

const grant = (port: number) => ({ "127.0.0.1:9999": `127.0.0.1:${port}` });

function start_server(port: number, extra: string[] = []): Child {
  return run_example(SERVER, grant(port), ["--port", String(port), ...extra]);
}

function deno_client(port: number): Child {
  return run_example(CLIENT, grant(port), ["--port", String(port)], {
    stdin: "piped",
  });
}

function python_client(port: number): Child {
  return spawn(
    "python3",
    [`${PY}welcome_client.py`, "127.0.0.1", String(port)],
    {
      stdin: "piped",
    },
  );
}

/** The client's whole output for LINES: the welcome, each echo, the prompts. */
const TRANSCRIPT = "欢迎\n" +
  LINES.map((l) => l === "q" ? PROMPT : `${PROMPT}${l}\n`).join("");

/** The server's log of one call with LINES, without the address line. */
const CALL_LOG = LINES.map((l) => `received: ${l}\n`).join("");

Deno.test("welcome_server.ts and welcome_client.ts talk with each other and with their Python originals", async () => {
  const port = free_port();
  await using ours = start_server(port, ["--count", "2"]);
  await ours.wait_for(/^listening on/m);
  const [theirs, py_port] = await py_server("welcome_server.py", ["2"]);
  await using _theirs = theirs;
  // Each server gets one client of each language, one after the other.
  for (const p of [port, py_port]) {
    for (const client of [deno_client(p), python_client(p)]) {
      await using c = client;
      await c.write(LINES.map((l) => `${l}\n`).join(""));
      await c.success();
      assert.equal(c.stdout, TRANSCRIPT, c.report());
    }
  }
  await ours.success();
  await theirs.success();
  for (const [server, p] of [[ours, port], [theirs, py_port]] as const) {
    // print(conn, address): the socket as Python 3 shows it (its file
    // number aside), then the address.
    const addr = String.raw`\('127\.0\.0\.1', (\d+)\)`;
    const conn = String
      .raw`<socket\.socket fd=\d+, family=2, type=1, proto=0, laddr=\('127\.0\.0\.1', ${p}\), raddr=${addr}>`;
    const log = server.stdout.split("\n").slice(1).join("\n");
    const calls = [
      ...log.matchAll(new RegExp(`${CALL_LOG}${conn} ${addr}\n`, "g")),
    ];
    assert.equal(calls.length, 2, server.report());
    assert.equal(calls.map((m) => m[0]).join(""), log, server.report());
    for (const m of calls) {
      assert.equal(m[1], m[2]); // raddr is the address accept() gave
    }
  }
});

Deno.test("welcome_server.ts hangs up on a silent client after --timeout, then serves the next", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "2", "--timeout", "1"]);
  await server.wait_for(/^listening on/m);
  await using silent = await create_connection(["127.0.0.1", port], 10);
  assert.equal(decoder.decode(await silent.recv(64)), "欢迎");
  // The next client waits in the backlog while the first says nothing.
  await using next = await create_connection(["127.0.0.1", port], 10);
  const started = performance.now();
  assert.equal(decoder.decode(await next.recv(64)), "欢迎");
  const waited = performance.now() - started;
  assert.ok(waited > 500 && waited < 5000, `waited ${waited} ms`);
  assert.equal((await silent.recv(64)).length, 0); // hung up on
  await next.sendall("q");
  await server.success();
  assert.match(server.stdout, /^silent for 1 s, hanging up$/m);
});

Deno.test("welcome_server.ts ends a call the client closes without q, and stops on SIGTERM", async () => {
  const port = free_port();
  await using server = start_server(port);
  await server.wait_for(/^listening on/m);
  {
    await using sock = await create_connection(["127.0.0.1", port], 10);
    assert.equal(decoder.decode(await sock.recv(64)), "欢迎");
    await sock.sendall("ping\x1b[2J");
    assert.equal(decoder.decode(await sock.recv(64)), "ping\x1b[2J");
  }
  await server.wait_for(/^<socket\.socket .*> \('127\.0\.0\.1', \d+\)$/m);
  assert.match(server.stdout, /^received: ping\\x1b\[2J$/m);
  server.kill("SIGTERM");
  await server.success();
});

Deno.test("welcome_client.ts reports a server that hangs up", async () => {
  const port = free_port();
  await using server = start_server(port, ["--count", "1", "--timeout", "1"]);
  await server.wait_for(/^listening on/m);
  await using client = deno_client(port);
  await client.wait_for(/^欢迎\n/);
  await client.write("hi\n");
  await client.wait_for(/hi\n/);
  // Say nothing for a second: the server hangs up; the client sees it at
  // its next message.
  await server.success();
  assert.match(server.stdout, /silent for 1 s/);
  await client.write("anyone?\n");
  await client.wait_for(/\nthe server hung up\n/);
  await client.end();
  await client.success();
});

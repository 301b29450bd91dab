/**
 * Tests of examples/select_print_server.ts and examples/select_print_client.ts
 * (the tutorials' first select server, on port 8002, and its client), run as
 * subprocesses with exactly their header commands (the port swapped for a
 * free one), side by side with the tutorial's Python 3 programs.
 */
import assert from "node:assert/strict";
import { create_connection, type Socket } from "../../net/mod.ts";
import {
  type Child,
  free_port,
  PY,
  py_server,
  run_example,
  spawn,
} from "./_run.ts";

const SERVER = "examples/select_print_server.ts";
const CLIENT = "examples/select_print_client.ts";
const grant = (port: number) => ({ "127.0.0.1:8002": `127.0.0.1:${port}` });

function start_server(port: number, count: number): Child {
  return run_example(SERVER, grant(port), [
    "--port",
    String(port),
    "--count",
    String(count),
  ]);
}

/** Lines after the "listening on port N" one. */
const log = (server: Child) => server.stdout.split("\n").slice(1).join("\n");

/**
 * Two clients in lockstep with the server's log, so that both servers see
 * the same events in the same order: connects, sends, closes.
 */
async function drive(server: Child, port: number): Promise<void> {
  const lines = () => server.stdout.split("\n").length;
  const step = async (action: () => Promise<unknown>) => {
    const before = lines();
    await action();
    await server.wait_for(new RegExp(`^(.*\\n){${before}}`));
  };
  let a: Socket | undefined;
  let b: Socket | undefined;
  try {
    await step(async () =>
      a = await create_connection(["127.0.0.1", port], 10)
    );
    await step(() => a!.sendall("hello"));
    await step(async () =>
      b = await create_connection(["127.0.0.1", port], 10)
    );
    await step(() => b!.sendall("你好 世界"));
    await step(() => a!.sendall("again, from a"));
  } finally {
    await a?.close();
    await b?.close();
  }
}

const EXPECTED = [
  "accept",
  "received data: hello",
  "accept",
  "received data: 你好 世界",
  "received data: again, from a",
  "",
].join("\n");

Deno.test("select_print_server.ts prints what the tutorial's Python server prints", async () => {
  const port = free_port();
  await using ours = start_server(port, 2);
  await ours.wait_for(/^listening on port/m);
  const [theirs, py_port] = await py_server("select_print_server.py", ["2"]);
  await using _theirs = theirs;
  await drive(ours, port);
  await drive(theirs, py_port);
  await ours.success();
  await theirs.success();
  assert.equal(log(theirs), EXPECTED, theirs.report());
  assert.equal(log(ours), EXPECTED, ours.report());
});

Deno.test("select_print_client.ts and the tutorial's Python client reach either server", async () => {
  const port = free_port();
  await using ours = start_server(port, 2);
  await ours.wait_for(/^listening on port/m);
  const [theirs, py_port] = await py_server("select_print_server.py", ["2"]);
  await using _theirs = theirs;
  for (const [i, target] of [[0, port], [1, py_port]] as const) {
    // One Deno client and one Python client each, one after the other.
    const server = i === 0 ? ours : theirs;
    await using deno_client = run_example(
      CLIENT,
      grant(target),
      ["--port", String(target)],
      { stdin: "piped" },
    );
    await deno_client.wait_for(/please input:/);
    await deno_client.write("from deno\n");
    await server.wait_for(/received data: from deno/);
    await deno_client.end();
    await deno_client.success();
    assert.equal(deno_client.stdout, "please input:please input:\n");
    await using py_client = spawn(
      "python3",
      [`${PY}select_print_client.py`, "127.0.0.1", String(target)],
      { stdin: "piped" },
    );
    await py_client.write("from python\n");
    await server.wait_for(/received data: from python/);
    await py_client.end();
    await py_client.success();
  }
  await ours.success();
  await theirs.success();
  for (const server of [ours, theirs]) {
    assert.equal(server.stdout.match(/^accept$/gm)?.length, 2);
  }
});

Deno.test("select_print_server.ts escapes control characters, survives a reset, stops on SIGTERM", async () => {
  const port = free_port();
  await using server = start_server(port, 0);
  await server.wait_for(/^listening on port/m);
  const code = `import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\\x1b[2Jbye\\x07")
sys.stdin.read()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()`;
  await using resetter = spawn("python3", ["-c", code, String(port)], {
    stdin: "piped",
  });
  await server.wait_for(/received data: /);
  await resetter.end();
  await resetter.success();
  await using sock = await create_connection(["127.0.0.1", port], 10);
  await sock.sendall("still here");
  await server.wait_for(/received data: still here/);
  server.kill("SIGTERM");
  await server.success();
  assert.match(server.stdout, /^received data: \\x1b\[2Jbye\\x07$/m);
  assert.equal((await sock.recv(16)).length, 0); // closed by the server
  await sock.close();
});

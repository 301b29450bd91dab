/**
 * Tests of examples/select_echo_client.ts (the tutorials' client of their
 * select echo server on port 6666), run as a subprocess with exactly its
 * header command (the port swapped for a free one), side by side with the
 * tutorial's Python 3 client against the tutorial's Python 3 server, and
 * against examples/select_server.ts.
 */
import assert from "node:assert/strict";
import {
  type Child,
  free_port,
  PY,
  py_server,
  run_example,
  spawn,
} from "./_run.ts";

const CLIENT = "examples/select_echo_client.ts";
const LINES = ["hello", "  你好 世界  ", "", "a 'quoted' \"line\""];
const PROMPT = "please input message:";

function start_client(port: number): Child {
  return run_example(
    CLIENT,
    { "127.0.0.1:6666": `127.0.0.1:${port}` },
    ["--port", String(port)],
    { stdin: "piped" },
  );
}

/** Feeds `lines` to a client, one at a time after each prompt. */
async function feed(client: Child, lines: string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    await client.wait_for(new RegExp(`(${PROMPT}[^]*){${i + 1}}`));
    await client.write(`${line}\n`);
  }
  await client.end();
}

Deno.test("select_echo_client.ts prints what the tutorial's Python client prints, against the Python server", async () => {
  const [server, port] = await py_server("select_echo_server.py", ["2"]);
  await using _server = server;
  await using ours = start_client(port);
  await using theirs = spawn(
    "python3",
    [`${PY}select_client.py`, "127.0.0.1", String(port)],
    { stdin: "piped", what: "select_client.py" },
  );
  // The Python client would send the empty line (nothing) and time out:
  // both get the lines without it, and ours also the empty one, skipped.
  await Promise.all([
    feed(ours, LINES),
    feed(theirs, LINES.filter((l) => l !== "")),
  ]);
  await ours.success();
  await theirs.success();
  const expected = PROMPT +
    LINES.filter((l) => l !== "").map((l) => `${l.trim()}\n${PROMPT}`).join(
      "",
    );
  assert.equal(theirs.stdout, expected, theirs.report());
  assert.equal(
    ours.stdout.replace(`${PROMPT}${PROMPT}`, PROMPT), // the skipped line
    expected,
    ours.report(),
  );
  await server.success();
  assert.equal(
    server.stdout.match(/^\('127\.0\.0\.1', \d+\)$/gm)?.length,
    2,
    server.report(),
  );
});

Deno.test("select_echo_client.ts talks to select_server.ts", async () => {
  const port = free_port();
  await using server = run_example(
    "examples/select_server.ts",
    { "127.0.0.1:10000": `127.0.0.1:${port}` },
    ["--port", String(port), "--count", "1"],
  );
  await server.wait_for(/waiting for the next event/, "stderr");
  await using client = start_client(port);
  await feed(client, ["ping", "pong"]);
  await client.success();
  assert.equal(
    client.stdout,
    `${PROMPT}ping\n${PROMPT}pong\n${PROMPT}`,
    client.report(),
  );
  await server.success();
});

Deno.test("select_echo_client.ts reports a server that closes, exit code 1", async () => {
  // A server that accepts, reads once and closes without answering.
  const code = `import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print("port", s.getsockname()[1], flush=True)
c, _ = s.accept()
c.recv(1024)
c.close()
s.close()`;
  await using server = spawn("python3", ["-c", code]);
  const m = await server.wait_for(/^port (\d+)$/m);
  await using client = start_client(Number(m[1]));
  await feed(client, ["anyone?"]);
  const status = await client.status();
  assert.equal(status.code, 1, client.report());
  assert.match(client.stdout, /the server closed the connection\n$/);
  await server.success();
});

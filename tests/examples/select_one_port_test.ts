/**
 * Tests of examples/select_one_port.ts (the tutorials' select server on one
 * listening socket, port 7777), run as a subprocess with exactly its header
 * command (the port swapped for a free one), side by side with the
 * tutorial's Python 3 original.
 */
import assert from "node:assert/strict";
import { create_connection, format_address } from "../../net/mod.ts";
import { type Child, free_port, py_server, run_example } from "./_run.ts";

const EXAMPLE = "examples/select_one_port.ts";
const decoder = new TextDecoder();

function start(port: number, extra: string[] = []): Child {
  return run_example(
    EXAMPLE,
    { "127.0.0.1:7777": `127.0.0.1:${port}` },
    ["--port", String(port), ...extra],
  );
}

/** Connects, reads until the server closes; returns [reply, our address]. */
async function visit(port: number): Promise<[string, string]> {
  await using sock = await create_connection(["127.0.0.1", port], 10);
  let reply = "";
  for (let i = 0; i < 100; i++) {
    const chunk = await sock.recv(1024);
    if (chunk.length === 0) break;
    reply += decoder.decode(chunk, { stream: true });
  }
  return [reply, format_address(sock.getsockname())];
}

Deno.test("select_one_port.ts welcomes each client and prints its address, as the Python original does", async () => {
  const port = free_port();
  await using ours = start(port, ["--count", "2"]);
  await ours.wait_for(/^listening on/m);
  const [theirs, py_port] = await py_server("select_one_port.py", ["2"]);
  await using _theirs = theirs;
  for (const [server, p] of [[ours, port], [theirs, py_port]] as const) {
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const [reply, me] = await visit(p);
      assert.equal(reply, "欢迎");
      seen.push(me);
    }
    await server.success();
    // The same lines: "listening on (...)" then each client's repr().
    assert.deepEqual(
      server.stdout.trimEnd().split("\n"),
      [`listening on ('127.0.0.1', ${p})`, ...seen],
      server.report(),
    );
  }
});

Deno.test("select_one_port.ts stops on SIGTERM", async () => {
  const port = free_port();
  await using server = start(port);
  await server.wait_for(/^listening on/m);
  server.kill("SIGTERM");
  await server.success();
});

/**
 * Tests of tutorial 002's server models: thread_per_client.ts,
 * process_per_client.ts and coroutine_server.ts, run as subprocesses with
 * exactly their header commands (the port swapped for a free one), against
 * clients of our own and the tutorial's Python 3 TCP client.
 */
import assert from "node:assert/strict";
import { create_connection, type Socket } from "../../net/mod.ts";
import { type Child, free_port, PY, run_example, spawn } from "./_run.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function connect(port: number): Promise<Socket> {
  return await create_connection(["127.0.0.1", port], 10);
}

async function recv_exactly(sock: Socket, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const chunk = await sock.recv(Math.min(65536, n - got));
    assert.ok(chunk.length > 0, `closed after ${got} of ${n} bytes`);
    out.set(chunk, got);
    got += chunk.length;
  }
  return out;
}

async function echo(sock: Socket, text: string): Promise<void> {
  const data = encoder.encode(text);
  await sock.sendall(data);
  assert.equal(decoder.decode(await recv_exactly(sock, data.length)), text);
}

/** Everything the server printed: workers print to stdout, children to stderr. */
const printed = (server: Child) => server.stdout + server.stderr;

const MODELS: [string, Record<string, string>][] = [
  ["examples/thread_per_client.ts", {}],
  ["examples/process_per_client.ts", {}],
  ["examples/coroutine_server.ts", { "127.0.0.1:8080": "127.0.0.1:PORT" }],
];

for (const [example, subs_template] of MODELS) {
  const start = (port: number): Child => {
    const subs = Object.fromEntries(
      Object.entries(subs_template).map((
        [k, v],
      ) => [k, v.replace("PORT", String(port))]),
    );
    return run_example(example, subs, ["--port", String(port)]);
  };

  Deno.test(`${example} serves clients at the same time and echoes every byte`, async () => {
    const port = free_port();
    await using server = start(port);
    await server.wait_for(/listening on \('127\.0\.0\.1', \d+\)/);

    // A stays connected, idle, while B and C are served: one slow client
    // never holds up the others.
    const a = await connect(port);
    await echo(a, "a first");
    const b = await connect(port);
    await echo(b, "b 你好");
    const c = await connect(port);
    const big = "0123456789abcdef".repeat(4096); // 64 KiB
    await echo(c, big);
    await echo(a, "a again");
    for (const s of [a, b, c]) await s.close();

    // The tutorial's Python client sends one message and closes.
    await using py = spawn("python3", [
      `${PY}tcp_client.py`,
      "127.0.0.1",
      String(port),
      "heh",
    ]);
    await py.success();
    // Wait until all four have been seen leaving.
    await server.wait_for(
      /((closed|reset) the connection\n[^]*){4}/,
      example.includes("process") ? "stderr" : "stdout",
    );
    server.kill("SIGTERM");
    await server.success();
    const out = printed(server);
    for (const text of ["a first", "b 你好", "a again", "heh"]) {
      assert.match(
        out,
        new RegExp(`^client \\('127\\.0\\.0\\.1', \\d+\\) sent: ${text}`, "m"),
        server.report(),
      );
    }
    assert.match(out, /server stopped/);
    if (example.includes("process")) {
      // The handlers ran in other processes than the parent.
      const parent = out.match(/\(parent pid (\d+)\)/)?.[1];
      const pids = [...out.matchAll(/sent: .* \(pid (\d+)\)$/gm)].map((m) =>
        m[1]
      );
      assert.ok(parent !== undefined && pids.length >= 4, server.report());
      assert.ok(pids.every((pid) => pid !== parent), server.report());
    }
  });

  Deno.test(`${example} stops on SIGTERM with a client still connected`, async () => {
    const port = free_port();
    await using server = start(port);
    await server.wait_for(/listening on/);
    await using a = await connect(port);
    await echo(a, "still here");
    server.kill("SIGTERM");
    await server.success();
    assert.match(server.stdout, /server stopped/);
  });
}

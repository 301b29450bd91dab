/**
 * Tests of examples/udp_haha_client.ts (the tutorials' smallest UDP client,
 * which sends b"haha" to port 8081), run as a subprocess with exactly its
 * header command (the port swapped for a free one), side by side with its
 * Python 3 original, both heard by the tutorial's reply-less Python server.
 */
import assert from "node:assert/strict";
import { PY, py_server, run_example, spawn } from "./_run.ts";

const EXAMPLE = "examples/udp_haha_client.ts";

Deno.test("udp_haha_client.ts sends the datagram the Python original sends", async () => {
  const [py, py_port] = await py_server("udp_print_server.py", ["3"]);
  await using server = py;
  const port = String(py_port);
  const grant = { "127.0.0.1:8081": `127.0.0.1:${port}` };
  // One datagram at a time, so their order is known.
  const heard = async (n: number) =>
    await server.wait_for(new RegExp(`(收到了客户端[^\\n]*\\n[^]*){${n}}`));

  await using ours = run_example(EXAMPLE, grant, ["--port", port]);
  await ours.success();
  assert.equal(ours.stdout, `sent 4 bytes to 127.0.0.1:${port}\n`);
  await heard(1);
  await using theirs = spawn("python3", [
    `${PY}udp_haha_client.py`,
    "127.0.0.1",
    port,
  ]);
  await theirs.success();
  await heard(2);
  await using other = run_example(EXAMPLE, grant, [
    "--port",
    port,
    "--message",
    "你好",
  ]);
  await other.success();
  await server.success();
  const lines = server.stdout.trimEnd().split("\n").slice(1);
  const datagram = /^收到了客户端\('127\.0\.0\.1', \d+\)传来的数据(.*)$/;
  assert.deepEqual(
    lines.map((l) => l.match(datagram)?.[1]),
    ["haha", "haha", "你好"],
    server.report(),
  );
});

Deno.test("udp_haha_client.ts needs nobody listening, and refuses a bad port", async () => {
  // A free UDP port nobody listens on: the send still succeeds.
  const d = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const port = String((d.addr as Deno.NetAddr).port);
  d.close();
  await using ours = run_example(
    EXAMPLE,
    { "127.0.0.1:8081": `127.0.0.1:${port}` },
    ["--port", port],
  );
  await ours.success();
  await using bad = run_example(EXAMPLE, {}, ["--port", "http"]);
  assert.equal((await bad.status()).code, 2);
  assert.match(bad.stderr, /--port must be a port number, received "http"/);
});

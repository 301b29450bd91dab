/**
 * Tests of examples/tls_echo_server.ts, examples/tls_echo_client.ts and
 * examples/https_get.ts, run as subprocesses with exactly their header
 * commands (the port swapped for a free one), against each other, against
 * python3's ssl, and against Deno's own HTTPS server.
 */
import assert from "node:assert/strict";
import { type Child, free_port, ROOT, run_example, spawn } from "./_run.ts";

const SERVER = "examples/tls_echo_server.ts";
const CLIENT = "examples/tls_echo_client.ts";
const GET = "examples/https_get.ts";
const FIXTURES = `${ROOT}tests/ssl/fixtures`;

const grant = (port: number) => ({ "127.0.0.1:8443": `127.0.0.1:${port}` });

function start_server(port: number, count: number): Child {
  return run_example(SERVER, grant(port), [
    "--port",
    String(port),
    "--count",
    String(count),
  ]);
}

// python3's ssl client: one line out, its echo back.
const PY_CLIENT = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall("你好 from python\\n".encode())
        print(s.makefile("rb").readline().decode(), end="")
`;

Deno.test("tls_echo_client.ts gets its lines back from tls_echo_server.ts", async () => {
  const port = free_port();
  await using server = start_server(port, 2);
  await server.wait_for(/serving TLS on 127\.0\.0\.1:\d+/);
  await using client = run_example(CLIENT, grant(port), [
    "--port",
    String(port),
    "hello",
    "你好, 世界",
  ]);
  await client.success();
  assert.match(client.stdout, /connected to 127\.0\.0\.1:\d+ over TLS/);
  assert.match(client.stdout, /^echoed "hello"$/m);
  assert.match(client.stdout, /^echoed "你好, 世界"$/m);

  await using py = spawn("python3", [
    "-c",
    PY_CLIENT,
    String(port),
    `${FIXTURES}/ca.pem`,
  ]);
  await py.success();
  assert.equal(py.stdout, "你好 from python\n");

  await server.success();
  assert.match(server.stdout, /^echo "你好 from python\\n"$/m, server.report());
  assert.equal(server.stdout.match(/^closed /gm)?.length, 2);
});

Deno.test("tls_echo_client.ts refuses a server whose name does not match", async () => {
  const port = free_port();
  await using server = start_server(port, 0);
  await server.wait_for(/serving TLS/);
  await using client = run_example(CLIENT, grant(port), [
    "--port",
    String(port),
    "--server-hostname",
    "example.org",
  ]);
  const status = await client.status();
  assert.notEqual(status.code, 0);
  assert.match(client.report(), /SSLCertVerificationError/);
  assert.match(client.report(), /Hostname mismatch/);
  server.kill("SIGTERM");
  await server.status();
});

Deno.test("https_get.ts fetches Hello, World from its own local TLS server", async () => {
  await using get = run_example(GET, {}, []);
  await get.success();
  assert.match(get.stdout, /^HTTP\/1\.1 200 OK\r$/m);
  assert.match(get.stdout, /Hello, World\n?$/);
});

Deno.test("https_get.ts fetches from Deno's HTTPS server with --port", async () => {
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(`${FIXTURES}/localhost.pem`),
    key: Deno.readTextFileSync(`${FIXTURES}/localhost.key`),
    onListen: () => {},
  }, (req) => new Response(`you asked for ${new URL(req.url).pathname}`));
  await using get = run_example(GET, {}, [
    "--port",
    String(server.addr.port),
    "--path",
    "/tls/path",
  ]);
  await get.success();
  assert.match(get.stdout, /^HTTP\/1\.1 200 OK\r$/m);
  assert.match(get.stdout, /you asked for \/tls\/path/);
});

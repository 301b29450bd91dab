/**
 * Interop with CPython 3's `ssl`: our client against a python3 TLS server
 * and python3's client against our server, byte for byte (sha256 on both
 * sides), ALPN on both sides, and STARTTLS after a plain exchange.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/ssl/interop_test.ts
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { create_connection, create_server, SHUT_WR } from "../../net/mod.ts";
import { python } from "../interop/_python.ts";
import { SSLEOFError, type SSLSocket } from "../../ssl/mod.ts";
import {
  client_context,
  fixture,
  random_bytes,
  recv_exactly,
  server_context,
} from "./_helpers.ts";

const PEER = "../../ssl/py/ssl_peer.py";
const FIXTURES = fixture("").replace(/\/$/, "");
const TEN_MB = 10 * 1000 * 1000;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface ServerReport {
  len: number;
  sha: string;
  alpn: string | null;
  version: string;
}

interface ClientReport {
  sent_len: number;
  sent: string;
  recv_len: number;
  recv: string;
  alpn: string | null;
}

async function our_client(
  port: number,
  alpn: string[] | null,
): Promise<SSLSocket> {
  const ctx = client_context();
  if (alpn) ctx.set_alpn_protocols(alpn);
  return ctx.wrap_socket(await create_connection(["127.0.0.1", port]), {
    server_hostname: "localhost",
  });
}

Deno.test("SSLSocket.sendall() sends 10 MB to a python3 ssl server and gets it back", async () => {
  await using peer = python(PEER, ["server", FIXTURES, "h2,http/1.1", 1]);
  const port = Number(await peer.line());
  await using client = await our_client(port, ["http/1.1"]);
  assert.equal(client.selected_alpn_protocol(), "http/1.1");
  const data = random_bytes(TEN_MB);
  const back = recv_exactly(client, data.length);
  await client.sendall(data);
  const got = await back;
  await client.shutdown(SHUT_WR);
  const report = await peer.json<ServerReport>();
  assert.equal(got.length, data.length);
  assert.equal(sha(got), sha(data));
  assert.equal(report.len, data.length);
  assert.equal(report.sha, sha(data));
  assert.equal(report.alpn, "http/1.1");
  assert.equal(report.version, "TLSv1.3");
});

Deno.test("SSLSocket.recv() gets a Chinese payload from a python3 ssl server intact", async () => {
  await using peer = python(PEER, ["server", FIXTURES, "-", 1]);
  const port = Number(await peer.line());
  await using client = await our_client(port, null);
  const text = "你好，世界！中文测试".repeat(1000) + "😀";
  const data = new TextEncoder().encode(text);
  const back = recv_exactly(client, data.length);
  await client.sendall(text);
  assert.equal(new TextDecoder().decode(await back), text);
  await client.close(); // no close_notify: Python reads a ragged EOF
  const report = await peer.json<ServerReport>();
  assert.equal(report.sha, sha(data));
  assert.equal(report.alpn, null);
});

async function serve_python_client(
  size: number,
  kind: "random" | "chinese",
): Promise<[ClientReport, { len: number; sha: string; alpn: string | null }]> {
  const ctx = server_context();
  ctx.set_alpn_protocols(["pysock/1", "http/1.1"]);
  await using server = await ctx.wrap_socket(
    create_server(["127.0.0.1", 0]),
    { server_side: true },
  );
  const port = (server.getsockname() as [string, number])[1];
  await using peer = python(PEER, [
    "client",
    FIXTURES,
    port,
    size,
    "http/1.1",
    kind,
  ]);
  const [conn] = await server.accept();
  await using _ = conn;
  const hash = createHash("sha256");
  let len = 0;
  const buf = new Uint8Array(65536);
  // Python closes without close_notify: a ragged EOF reads as the end.
  for (;;) {
    const n = await conn.recv_into(buf);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    len += n;
    await conn.sendall(buf.subarray(0, n));
  }
  const report = await peer.json<ClientReport>();
  return [report, {
    len,
    sha: hash.digest("hex"),
    alpn: conn.selected_alpn_protocol(),
  }];
}

Deno.test("SSLSocket.accept() serves 10 MB to python3's ssl client byte for byte", async () => {
  const [report, ours] = await serve_python_client(TEN_MB, "random");
  assert.equal(report.sent_len, TEN_MB);
  assert.equal(report.recv_len, TEN_MB);
  assert.equal(report.recv, report.sent);
  assert.equal(ours.len, TEN_MB);
  assert.equal(ours.sha, report.sent);
  assert.equal(report.alpn, "http/1.1");
  assert.equal(ours.alpn, "http/1.1");
});

Deno.test("SSLSocket.accept() echoes a Chinese payload to python3's ssl client", async () => {
  const [report, ours] = await serve_python_client(300_000, "chinese");
  assert.equal(report.recv_len, 300_000);
  assert.equal(report.recv, report.sent);
  assert.equal(ours.sha, report.sent);
});

Deno.test("wrap_socket() upgrades in place after a plain exchange (STARTTLS against python3)", async () => {
  await using peer = python(PEER, ["starttls", FIXTURES]);
  const port = Number(await peer.line());
  const plain = await create_connection(["127.0.0.1", port]);
  const f = plain.makefile("rb");
  assert.equal(new TextDecoder().decode(await f.readline()), "220 ready\r\n");
  await plain.sendall("STARTTLS\r\n");
  assert.equal(
    new TextDecoder().decode(await f.readline()),
    "220 go ahead\r\n",
  );
  await using tls = await client_context().wrap_socket(plain, {
    server_hostname: "localhost",
  });
  assert.equal(plain.fileno(), -1);
  await tls.sendall("你好 over STARTTLS\n");
  await using reply = tls.makefile("r", { encoding: "utf-8" });
  assert.equal(await reply.readline(), "tls: 你好 over STARTTLS\n");
  assert.deepEqual(await peer.json(), { line: "你好 over STARTTLS\n" });
});

for (const suppress of [true, false]) {
  Deno.test(`SSLSocket.recv() ${suppress ? "returns empty" : "raises SSLEOFError"} when python3 closes without close_notify and suppress_ragged_eofs is ${suppress}`, async () => {
    await using server = await server_context().wrap_socket(
      create_server(["127.0.0.1", 0]),
      { server_side: true, suppress_ragged_eofs: suppress },
    );
    const port = (server.getsockname() as [string, number])[1];
    await using peer = python(PEER, ["ragged", FIXTURES, port]);
    const [conn] = await server.accept();
    await using _ = conn;
    assert.equal(new TextDecoder().decode(await recv_exactly(conn, 3)), "bye");
    await conn.sendall("ok");
    assert.equal(await peer.line(), "closed");
    if (suppress) {
      assert.equal((await conn.recv(10)).length, 0);
    } else {
      const err = await conn.recv(10).catch((e) => e);
      assert.ok(err instanceof SSLEOFError, String(err));
      assert.equal(err.errno, 8);
    }
  });
}

Deno.test("load_cert_chain() on a client presents its certificate to a python3 server that requires one", async () => {
  await using peer = python(PEER, ["mtls", FIXTURES]);
  const port = Number(await peer.line());
  const ctx = client_context();
  ctx.load_cert_chain(fixture("client.pem"), fixture("client.key"));
  await using client = await ctx.wrap_socket(
    await create_connection(["127.0.0.1", port]),
    { server_hostname: "localhost" },
  );
  assert.deepEqual(await peer.json(), { client: "client" });
  assert.equal(
    new TextDecoder().decode(await recv_exactly(client, 12)),
    "hello client",
  );
});

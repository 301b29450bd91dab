/**
 * SSLSocket over loopback, ours on both sides: round trips, ALPN, each
 * verification failure with its code, CERT_NONE, modes and readiness.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/ssl/socket_test.ts
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  AF_UNIX,
  BlockingIOError,
  create_connection,
  create_server,
  EBUSY,
  IPPROTO_TCP,
  OSError,
  SHUT_WR,
  Socket,
  socket,
  TCP_NODELAY,
  TimeoutError,
} from "../../net/mod.ts";
import {
  DefaultSelector,
  epoll,
  EPOLLIN,
  EVENT_READ,
  poll,
  POLLIN,
  select,
} from "../../mux/mod.ts";
import {
  CERT_NONE,
  CERT_REQUIRED,
  create_default_context,
  PROTOCOL_TLS_CLIENT,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLSocket,
  SSLWantWriteError,
} from "../../ssl/mod.ts";
import {
  addr_of,
  client_context,
  connect_client,
  fixture,
  random_bytes,
  recv_exactly,
  server_context,
  tls_pair,
  tls_server,
} from "./_helpers.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("wrap_socket() gives SSLSockets that are Sockets on both sides", async () => {
  await using pair = await tls_pair();
  for (const s of [pair.server, pair.client, pair.conn]) {
    assert.ok(s instanceof SSLSocket && s instanceof Socket);
  }
  assert.equal(pair.client.server_side, false);
  assert.equal(pair.conn.server_side, true);
  assert.equal(pair.client.server_hostname, "localhost");
  assert.deepEqual(pair.conn.getpeername(), pair.client.getsockname());
  assert.match(String(pair.client), /^<ssl\.SSLSocket fd=\d+/);
});

Deno.test("SSLSocket.sendall() moves 10 MB byte for byte while the peer echoes", async () => {
  await using pair = await tls_pair();
  const data = random_bytes(10 * 1000 * 1000);
  const echo = (async () => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await pair.conn.recv_into(buf);
      if (n === 0) break;
      await pair.conn.sendall(buf.subarray(0, n));
    }
    await pair.conn.shutdown(SHUT_WR);
  })();
  const back = recv_exactly(pair.client, data.length + 1);
  await pair.client.sendall(data);
  await pair.client.shutdown(SHUT_WR);
  const got = await back;
  await echo;
  assert.equal(got.length, data.length);
  assert.equal(sha(got), sha(data));
});

Deno.test("SSLSocket.makefile() reads a Chinese line sent over TLS", async () => {
  await using pair = await tls_pair();
  const line = "你好，世界！中文测试 over TLS\n";
  await pair.client.sendall(line.repeat(3));
  await using f = pair.conn.makefile("r", { encoding: "utf-8" });
  for (let i = 0; i < 3; i++) assert.equal(await f.readline(), line);
});

Deno.test("selected_alpn_protocol() names the protocol both sides chose", async () => {
  const server_ctx = server_context();
  server_ctx.set_alpn_protocols(["h2", "http/1.1"]);
  const client_ctx = client_context();
  client_ctx.set_alpn_protocols(["http/1.1", "pysock/1"]);
  await using pair = await tls_pair(server_ctx, client_ctx);
  assert.equal(pair.client.selected_alpn_protocol(), "http/1.1");
  assert.equal(pair.conn.selected_alpn_protocol(), "http/1.1");
});

Deno.test("selected_alpn_protocol() is null when the client offers none", async () => {
  const server_ctx = server_context();
  server_ctx.set_alpn_protocols(["h2"]);
  await using pair = await tls_pair(server_ctx);
  assert.equal(pair.client.selected_alpn_protocol(), null);
  assert.equal(pair.conn.selected_alpn_protocol(), null);
});

// Connects a client with `client_ctx` to a server presenting `cert`;
// returns the client's error and what the server's accept() did.
async function failed_handshake(
  cert: string,
  client_ctx: SSLContext,
  hostname = "localhost",
): Promise<[unknown, unknown]> {
  await using server = await tls_server(server_context(cert));
  const accepting = server.accept().then(
    async ([conn]) => {
      await conn.close();
      return null;
    },
    (err) => err,
  );
  const plain = await create_connection(addr_of(server));
  const client_err = await client_ctx.wrap_socket(plain, {
    server_hostname: hostname,
  }).then(
    async (s) => {
      await s.close();
      return null;
    },
    (err) => err,
  );
  assert.equal(plain.fileno(), -1, "the wrapped socket is closed");
  return [client_err, await accepting];
}

Deno.test("wrap_socket() rejects an unknown issuer with verify_code 20", async () => {
  const [err, server_err] = await failed_handshake(
    "localhost",
    create_default_context(),
  );
  assert.ok(err instanceof SSLCertVerificationError, String(err));
  assert.equal(err.verify_code, 20);
  assert.equal(err.verify_message, "unable to get local issuer certificate");
  assert.equal(err.errno, 1);
  assert.equal(err.reason, "CERTIFICATE_VERIFY_FAILED");
  assert.ok(err instanceof OSError);
  // The server's accept() is the call that ran its handshake: it rejects.
  assert.ok(server_err instanceof SSLError, String(server_err));
  assert.equal(server_err.reason, "TLSV1_ALERT_UNKNOWN_CA");
});

Deno.test("wrap_socket() rejects an expired certificate with verify_code 10", async () => {
  const [err] = await failed_handshake("expired", client_context());
  assert.ok(err instanceof SSLCertVerificationError, String(err));
  assert.equal(err.verify_code, 10);
  assert.equal(err.verify_message, "certificate has expired");
  assert.match(
    err.message,
    /certificate verify failed: certificate has expired/,
  );
});

Deno.test("wrap_socket() rejects a hostname mismatch with verify_code 62", async () => {
  const [err] = await failed_handshake("other", client_context());
  assert.ok(err instanceof SSLCertVerificationError, String(err));
  assert.equal(err.verify_code, 62);
  assert.equal(
    err.verify_message,
    "Hostname mismatch, certificate is not valid for 'localhost'.",
  );
});

// A client certificate takes the node:tls path, which cannot tell an unknown
// issuer from an expired certificate: both are OpenSSL's 21.
for (
  const [cert, trust_ca, code] of [
    ["localhost", false, 21],
    ["expired", true, 21],
    ["other", true, 62],
  ] as const
) {
  Deno.test(`wrap_socket() with a client certificate still reports verify_code ${code} (${cert})`, async () => {
    const ctx = trust_ca ? client_context() : create_default_context();
    ctx.load_cert_chain(fixture("client.pem"), fixture("client.key"));
    const [err] = await failed_handshake(cert, ctx);
    assert.ok(err instanceof SSLCertVerificationError, String(err));
    assert.equal(err.verify_code, code);
  });
}

Deno.test("wrap_socket() accepts a certificate for 127.0.0.1 by IP", async () => {
  await using server = await tls_server();
  const accepting = server.accept();
  await using client = await client_context().wrap_socket(
    await create_connection(addr_of(server)),
    { server_hostname: "127.0.0.1" },
  );
  await using _ = (await accepting)[0];
  assert.equal(client.server_hostname, "127.0.0.1");
});

Deno.test("check_hostname = false skips the name but still checks the chain", async () => {
  const ctx = client_context();
  ctx.check_hostname = false;
  assert.equal(ctx.verify_mode, CERT_REQUIRED);
  {
    await using server = await tls_server(server_context("other"));
    await using link = await connect_client(server, ctx);
    const { client, conn } = link;
    await conn.sendall("name not checked");
    assert.equal(text(await client.recv(100)), "name not checked");
  }
  const [err] = await failed_handshake("selfsigned", ctx);
  assert.ok(err instanceof SSLCertVerificationError, String(err));
  assert.equal(err.verify_code, 20);
});

Deno.test("CERT_NONE with check_hostname = false connects to a self-signed server", async () => {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  ctx.check_hostname = false;
  ctx.verify_mode = CERT_NONE;
  await using server = await tls_server(server_context("selfsigned"));
  const accepting = server.accept();
  await using client = await ctx.wrap_socket(
    await create_connection(addr_of(server)),
  );
  const [conn] = await accepting;
  await using _ = conn;
  await client.sendall("unverified but encrypted");
  assert.equal(text(await conn.recv(100)), "unverified but encrypted");
  await conn.sendall("reply");
  assert.equal(text(await client.recv(100)), "reply");
  assert.equal(client.version(), "TLSv1.3");
  assert.deepEqual(client.getpeercert(), {});
});

Deno.test("do_handshake_on_connect = false lets the first recv() reject with the failure", async () => {
  await using server = await tls_server(server_context("other"));
  const accepting = server.accept().catch((err) => err);
  await using client = await client_context().wrap_socket(
    await create_connection(addr_of(server)),
    { server_hostname: "localhost", do_handshake_on_connect: false },
  );
  const err = await client.recv(10).catch((e) => e);
  assert.ok(err instanceof SSLCertVerificationError, String(err));
  assert.equal(err.verify_code, 62);
  assert.ok((await accepting) instanceof SSLError);
});

Deno.test("getpeercert() works after the first send() ran the handshake", async () => {
  await using server = await tls_server();
  const accepting = server.accept();
  await using client = await client_context().wrap_socket(
    await create_connection(addr_of(server)),
    { server_hostname: "localhost", do_handshake_on_connect: false },
  );
  assert.throws(() => client.getpeercert(), RangeError);
  await client.sendall("implicit");
  await using _ = (await accepting)[0];
  assert.equal(text(await recv_exactly(_, 8)), "implicit");
  assert.deepEqual(client.getpeercert(), {});
});

Deno.test("do_handshake() runs the handshake wrap_socket() left out", async () => {
  await using server = await tls_server();
  const accepting = server.accept();
  await using client = await client_context().wrap_socket(
    await create_connection(addr_of(server)),
    { server_hostname: "localhost", do_handshake_on_connect: false },
  );
  assert.throws(() => client.getpeercert(), RangeError);
  await client.do_handshake();
  await using _ = (await accepting)[0];
  assert.deepEqual(client.getpeercert(), {});
  assert.equal(client.version(), null, "Deno's TLS does not reveal it");
});

Deno.test("SSLSocket.connect() handshakes on a socket wrapped before connecting", async () => {
  await using server = await tls_server();
  await using client = await client_context().wrap_socket(socket(), {
    server_hostname: "localhost",
  });
  const accepting = server.accept();
  await client.connect(addr_of(server));
  const [conn] = await accepting;
  await using _ = conn;
  await conn.sendall("after connect");
  assert.equal(text(await client.recv(100)), "after connect");
});

Deno.test("SSLSocket.connect() rejects with the handshake's failure", async () => {
  await using server = await tls_server(server_context("other"));
  const accepting = server.accept().catch((err) => err);
  await using client = await client_context().wrap_socket(socket(), {
    server_hostname: "localhost",
  });
  await assert.rejects(
    client.connect(addr_of(server)),
    (err: Error) =>
      err instanceof SSLCertVerificationError && err.verify_code === 62,
  );
  assert.ok((await accepting) instanceof SSLError);
});

Deno.test("wrap_socket() rejects with TimeoutError when the server never answers the hello", async () => {
  // A plain TCP server that accepts and says nothing.
  await using silent = create_server(["127.0.0.1", 0]);
  const plain = await create_connection(addr_of(silent));
  const [held] = await silent.accept();
  await using _ = held;
  plain.settimeout(0.2);
  const started = performance.now();
  await assert.rejects(
    client_context().wrap_socket(plain, { server_hostname: "localhost" }),
    (err: Error) =>
      err instanceof TimeoutError && /handshake/.test(err.message),
  );
  assert.ok(performance.now() - started < 5000);
});

Deno.test("SSLSocket.accept() in timeout mode rejects with TimeoutError, then accepts", async () => {
  await using server = await tls_server();
  server.settimeout(0.1);
  await assert.rejects(server.accept(), TimeoutError);
  server.settimeout(5);
  await using link = await connect_client(server);
  const { client, addr } = link;
  assert.deepEqual(addr, client.getsockname());
});

Deno.test("wrap_socket() on a bound socket makes listen() start TLS", async () => {
  await using server = await server_context().wrap_socket(socket(), {
    server_side: true,
  });
  server.bind(["127.0.0.1", 0]);
  server.listen();
  await using link = await connect_client(server);
  const { client, conn } = link;
  await client.sendall("bound first");
  assert.equal(text(await conn.recv(100)), "bound first");
});

Deno.test("SSLSocket.accept() is not held up by a client that never handshakes", async () => {
  await using server = await tls_server();
  // A TCP client that connects first and never sends its hello.
  await using silent = await create_connection(addr_of(server));
  await using link = await connect_client(server);
  const { client, addr } = link;
  assert.deepEqual(addr, client.getsockname());
  assert.notDeepEqual(addr, silent.getsockname());
});

Deno.test("SSLSocket.recv() in timeout mode keeps every byte after a timeout", async () => {
  await using pair = await tls_pair();
  pair.client.settimeout(0.1);
  await assert.rejects(pair.client.recv(10), TimeoutError);
  await pair.conn.sendall("late bytes");
  assert.equal(text(await recv_exactly(pair.client, 10)), "late bytes");
});

Deno.test("SSLSocket in non-blocking mode is readable in select() once bytes are decrypted", async () => {
  await using pair = await tls_pair();
  pair.client.setblocking(false);
  await assert.rejects(pair.client.recv(10), BlockingIOError);
  const [r0] = await select([pair.client], [], [], 0);
  assert.deepEqual(r0, []);
  await pair.conn.sendall("ready now");
  const [, w0] = await select([], [pair.client], [], 0);
  assert.deepEqual(w0, [pair.client]);
  const [r1] = await select([pair.client], [], [], 5);
  assert.deepEqual(r1, [pair.client]);
  assert.equal(text(await pair.client.recv(100)), "ready now");
  await assert.rejects(pair.client.recv(10), BlockingIOError);
});

Deno.test("do_handshake() on a non-blocking SSLSocket raises SSLWantWriteError until done", async () => {
  await using server = await tls_server();
  const accepting = server.accept();
  await using client = await client_context().wrap_socket(
    await create_connection(addr_of(server)),
    { server_hostname: "localhost", do_handshake_on_connect: false },
  );
  client.setblocking(false);
  let wants = 0;
  for (let i = 0; i < 500; i++) {
    try {
      await client.do_handshake();
      break;
    } catch (err) {
      assert.ok(err instanceof SSLWantWriteError, String(err));
      wants++;
      await select([], [client], [], 1);
    }
  }
  assert.ok(wants < 500, "the handshake finished");
  await using _ = (await accepting)[0];
  assert.deepEqual(client.getpeercert(), {});
});

Deno.test("setsockopt(TCP_NODELAY) on an SSLSocket is an OSError; set it before wrapping", async () => {
  await using server = await tls_server();
  const accepting = server.accept();
  const plain = await create_connection(addr_of(server));
  plain.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  await using client = await client_context().wrap_socket(plain, {
    server_hostname: "localhost",
  });
  await using _ = (await accepting)[0];
  assert.equal(client.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  assert.throws(
    () => client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0),
    (err: Error) => err instanceof OSError && err.errno === 92,
  );
});

Deno.test("poll(), epoll() and DefaultSelector report an SSLSocket readable once bytes are decrypted", async () => {
  await using pair = await tls_pair();
  const p = poll();
  p.register(pair.client, POLLIN);
  using ep = epoll();
  ep.register(pair.client.fileno(), EPOLLIN);
  using sel = new DefaultSelector();
  sel.register(pair.client, EVENT_READ);
  assert.deepEqual(await p.poll(0), []);
  await pair.conn.sendall("for all three");
  assert.deepEqual(await p.poll(5000), [[pair.client.fileno(), POLLIN]]);
  assert.deepEqual(await ep.poll(5), [[pair.client.fileno(), EPOLLIN]]);
  const ready = await sel.select(5);
  assert.equal(ready.length, 1);
  assert.equal(ready[0]![0].fileobj, pair.client);
  assert.equal(text(await pair.client.recv(100)), "for all three");
  sel.unregister(pair.client);
});

Deno.test("SSLSocket.recv() returns empty when the peer closes", async () => {
  await using pair = await tls_pair();
  await pair.conn.sendall("last");
  await pair.conn.close();
  assert.equal(text(await recv_exactly(pair.client, 4)), "last");
  assert.equal((await pair.client.recv(10)).length, 0);
});

for (const how of ["close", "shutdown"] as const) {
  Deno.test(`SSLSocket.${how}() sends close_notify: the peer reads a clean end even with suppress_ragged_eofs = false`, async () => {
    await using server = await server_context().wrap_socket(
      create_server(["127.0.0.1", 0]),
      { server_side: true, suppress_ragged_eofs: false },
    );
    await using link = await connect_client(server);
    const { client, conn } = link;
    await client.sendall("end");
    if (how === "close") await client.close();
    else await client.shutdown(SHUT_WR);
    assert.equal(text(await recv_exactly(conn, 3)), "end");
    assert.equal((await conn.recv(10)).length, 0);
  });
}

Deno.test("wrap_socket() refuses a Unix socket: Deno's TLS runs over TCP only", async () => {
  await using s = socket(AF_UNIX);
  await assert.rejects(
    client_context().wrap_socket(s, { server_hostname: "localhost" }),
    (err: Error) => err instanceof OSError && err.errno === 95,
  );
});

Deno.test("getpeercert() is null on the server's side: Deno asks no client certificate", async () => {
  await using pair = await tls_pair();
  assert.equal(pair.conn.getpeercert(), null);
  assert.equal(pair.client.getpeercert(true), null);
});

Deno.test("wrap_socket() needs server_hostname while check_hostname is on", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  const plain = await create_connection(addr_of(server));
  await using _ = plain;
  await assert.rejects(
    client_context().wrap_socket(plain),
    (err: Error) =>
      err instanceof RangeError && /check_hostname requires server_hostname/
        .test(err.message),
  );
  assert.notEqual(plain.fileno(), -1, "a refused wrap leaves the socket");
});

Deno.test("wrap_socket() refuses do_handshake_on_connect on a non-blocking socket", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  await using plain = await create_connection(addr_of(server));
  plain.setblocking(false);
  await assert.rejects(
    client_context().wrap_socket(plain, { server_hostname: "localhost" }),
    RangeError,
  );
});

Deno.test("wrap_socket() refuses server_side on an accepted connection, naming Deno", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  await using _client = await create_connection(addr_of(server));
  const [conn] = await server.accept();
  await using _ = conn;
  await assert.rejects(
    server_context().wrap_socket(conn, { server_side: true }),
    (err: Error) =>
      err instanceof OSError && err.errno === 95 && /Deno/.test(err.message),
  );
});

Deno.test("wrap_socket() refuses a server that asks for client certificates", async () => {
  const ctx = server_context();
  ctx.verify_mode = CERT_REQUIRED;
  await using server = create_server(["127.0.0.1", 0]);
  await assert.rejects(
    ctx.wrap_socket(server, { server_side: true }),
    (err: Error) =>
      err instanceof OSError && err.errno === 95 &&
      /client certificates/.test(err.message),
  );
});

Deno.test("wrap_socket() refuses with EBUSY while a selector reads ahead", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  await using plain = await create_connection(addr_of(server));
  await using _ = (await server.accept())[0];
  plain.setblocking(false);
  await assert.rejects(plain.recv(1), BlockingIOError); // a read is pending
  await assert.rejects(
    client_context().wrap_socket(plain, {
      server_hostname: "localhost",
      do_handshake_on_connect: false,
    }),
    (err: Error) => err instanceof OSError && err.errno === EBUSY,
  );
});

Deno.test("wrap_socket() on a server without a certificate is an SSLError", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  await assert.rejects(
    create_default_context(undefined).wrap_socket(server, {
      server_side: true,
    }),
    RangeError, // a client context cannot be a server
  );
  const { SSLContext: Ctx, PROTOCOL_TLS_SERVER } = await import(
    "../../ssl/mod.ts"
  );
  await assert.rejects(
    new Ctx(PROTOCOL_TLS_SERVER).wrap_socket(server, { server_side: true }),
    SSLError,
  );
});

Deno.test("SSLSocket cannot be constructed directly", () => {
  assert.throws(
    () => new SSLSocket(undefined, 2, client_context(), {}),
    TypeError,
  );
});

Deno.test("SSLSocket.unwrap() rejects: Deno cannot take TLS off", async () => {
  await using pair = await tls_pair();
  await assert.rejects(pair.client.unwrap(), OSError);
  assert.ok(fixture("ca.pem").endsWith("ca.pem"));
});

/**
 * Interop with CPython 3: our sockets against python3's `socket` and
 * `socketserver`, byte for byte (sha256 on both sides), both directions,
 * over loopback only. Python binds port 0 and prints its port, or we bind
 * port 0 and pass ours in argv.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/interop/net_test.ts
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  ConnectionResetError,
  create_connection,
  create_server,
  OSError,
  recv_msg,
  send_msg,
  SHUT_WR,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../../net/mod.ts";
import { python, type PythonPeer } from "./_python.ts";

const HOST = "127.0.0.1";
/** Every wait of ours is bounded too, so a dead peer fails a test, not CI. */
const TIMEOUT = 30;
const TEN_MB = 10 * 1000 * 1000;
const TEXT = "你好，世界！中文测试";
const EMOJI = "😀";
const REPEAT = 1000;
const EXPECTED_TEXT = TEXT.repeat(REPEAT) + EMOJI;

interface StreamReport {
  sent_len: number;
  sent: string;
  recv_len: number;
  recv: string;
  errors: string[];
}

interface ServerLine {
  kind: string;
  len?: number;
  sha?: string;
  from?: [string, number];
  equal?: boolean;
  text?: string;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function random_bytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  }
  return out;
}

function port_of(sock: Socket): number {
  return (sock.getsockname() as [string, number])[1];
}

/** Echoes until EOF with recv/sendall; returns what went through. */
async function echo(conn: Socket): Promise<{ len: number; sha: string }> {
  const hash = createHash("sha256");
  let len = 0;
  while (true) {
    const data = await conn.recv(65536);
    if (data.length === 0) break;
    hash.update(data);
    len += data.length;
    await conn.sendall(data);
  }
  return { len, sha: hash.digest("hex") };
}

/** Reads until EOF with `recv_into` into one reused buffer. */
async function drain(conn: Socket): Promise<{ len: number; sha: string }> {
  const hash = createHash("sha256");
  const buf = new Uint8Array(65536);
  let len = 0;
  while (true) {
    const n = await conn.recv_into(buf);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    len += n;
  }
  return { len, sha: hash.digest("hex") };
}

/** Sends `payload` then SHUT_WR while reading the echo back, as Python's
 * client does with a thread. */
async function round_trip(
  sock: Socket,
  payload: Uint8Array,
): Promise<{ len: number; sha: string }> {
  const sending = (async () => {
    for (let i = 0; i < payload.length; i += 70_001) {
      await sock.sendall(payload.subarray(i, i + 70_001));
    }
    await sock.shutdown(SHUT_WR);
  })();
  const [, got] = await Promise.all([sending, drain(sock)]);
  return got;
}

/** Decodes UTF-8 arriving in `piece`-byte receives until EOF. */
async function recv_text(sock: Socket, piece: number): Promise<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let text = "";
  while (true) {
    const data = await sock.recv(piece);
    if (data.length === 0) break;
    text += decoder.decode(data, { stream: true });
  }
  return text + decoder.decode();
}

async function server_port(peer: PythonPeer): Promise<number> {
  const port = Number(await peer.json<string>());
  assert.ok(port > 0 && port < 65536, `bad port line ${port}`);
  return port;
}

// ---- a Python `socket` client against our servers ----

Deno.test("Socket TCP server echoes a Python socket client byte for byte", async () => {
  await using server = create_server([HOST, 0]);
  server.settimeout(TIMEOUT);
  const size = 2 * 1024 * 1024 + 17;
  await using peer = python("net_echo_client.py", [
    "tcp",
    HOST,
    port_of(server),
    size,
  ]);
  const [conn] = await server.accept();
  await using _conn = conn;
  const seen = await echo(conn);
  await conn.close();
  const report = await peer.json<StreamReport>();
  await peer.finish();
  assert.deepEqual(report.errors, []);
  assert.equal(report.sent_len, size);
  assert.equal(seen.len, size);
  assert.equal(seen.sha, report.sent);
  assert.equal(report.recv_len, size);
  assert.equal(report.recv, report.sent);
});

Deno.test("Socket AF_INET6 server on ::1 echoes a Python socket client", async () => {
  await using server = create_server(["::1", 0], { family: AF_INET6 });
  server.settimeout(TIMEOUT);
  const [host, port] = server.getsockname() as [string, number];
  assert.equal(host, "::1");
  const size = 256 * 1024 + 1;
  await using peer = python("net_echo_client.py", ["tcp", "::1", port, size]);
  const [conn, addr] = await server.accept();
  await using _conn = conn;
  assert.equal((addr as [string, number])[0], "::1");
  const seen = await echo(conn);
  await conn.close();
  const report = await peer.json<StreamReport>();
  await peer.finish();
  assert.deepEqual(report.errors, []);
  assert.equal(seen.sha, report.sent);
  assert.equal(report.recv, report.sent);
});

async function reset_by_python(timeout: number | null): Promise<void> {
  await using server = create_server([HOST, 0]);
  server.settimeout(TIMEOUT);
  await using peer = python("net_echo_client.py", [
    "reset",
    HOST,
    port_of(server),
  ]);
  const [conn] = await server.accept();
  await using _conn = conn;
  conn.settimeout(timeout);
  await conn.sendall("g");
  assert.deepEqual(await peer.json(), { got: "g" });
  await peer.finish();
  await assert.rejects(conn.recv(1024), (err: unknown) => {
    assert.ok(err instanceof ConnectionResetError, String(err));
    assert.equal(err.errno, 104);
    return true;
  });
  // CPython on Linux: the next sendall raises BrokenPipeError (errno 32).
  await assert.rejects(conn.sendall(new Uint8Array(1024)), (err: unknown) => {
    assert.ok(err instanceof OSError, String(err));
    assert.equal(err.errno, 32);
    return true;
  });
}

Deno.test("recv() throws ConnectionResetError and sendall() BrokenPipeError after a Python peer's RST, blocking mode", async () => {
  await reset_by_python(null);
});

Deno.test("recv() throws ConnectionResetError and sendall() BrokenPipeError after a Python peer's RST, timeout mode", async () => {
  await reset_by_python(TIMEOUT);
});

Deno.test("Socket UDP server echoes Python datagrams with recvfrom/sendto", async () => {
  await using server = socket(AF_INET, SOCK_DGRAM);
  server.bind([HOST, 0]);
  server.settimeout(TIMEOUT);
  const sizes = [0, 1, 100, 1472, 8192, 65507];
  await using peer = python("net_echo_client.py", [
    "udp",
    HOST,
    port_of(server),
    sizes.join(","),
  ]);
  const seen: { sha: string; from: unknown }[] = [];
  for (const _ of sizes) {
    const [data, from] = await server.recvfrom(65536);
    seen.push({ sha: sha256(data), from });
    assert.equal(await server.sendto(data, from!), data.length);
  }
  const report = await peer.json<{
    local: [string, number];
    results: (Omit<StreamReport, "errors"> & { from: [string, number] })[];
  }>();
  await peer.finish();
  assert.equal(report.results.length, sizes.length);
  report.results.forEach((r, i) => {
    assert.equal(r.sent_len, sizes[i]);
    assert.equal(seen[i]!.sha, r.sent, `datagram ${i} as we got it`);
    assert.deepEqual(seen[i]!.from, report.local);
    assert.equal(r.recv_len, sizes[i]);
    assert.equal(r.recv, r.sent, `datagram ${i} as Python got it back`);
    assert.deepEqual(r.from, [HOST, port_of(server)]);
  });
});

Deno.test("Socket Unix stream server echoes a Python AF_UNIX client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pysock-interop-" });
  try {
    const path = `${dir}/echo.sock`;
    await using server = socket(AF_UNIX, SOCK_STREAM);
    server.bind(path);
    server.listen();
    server.settimeout(TIMEOUT);
    assert.equal(server.getsockname(), path);
    const size = 1024 * 1024 + 3;
    await using peer = python("net_echo_client.py", ["unix", path, size]);
    const [conn] = await server.accept();
    await using _conn = conn;
    const seen = await echo(conn);
    await conn.close();
    const report = await peer.json<StreamReport>();
    await peer.finish();
    assert.deepEqual(report.errors, []);
    assert.equal(seen.len, size);
    assert.equal(seen.sha, report.sent);
    assert.equal(report.recv_len, size);
    assert.equal(report.recv, report.sent);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- our client against Python `socketserver` ----

Deno.test("create_connection() echoes through a Python ThreadingTCPServer, three clients at once", async () => {
  await using peer = python("net_echo_server.py", ["tcp"], { stdin: true });
  const port = await server_port(peer);
  const payloads = [1, 2, 3].map((i) => random_bytes(i * 512 * 1024 + i));
  const results = await Promise.all(payloads.map(async (payload) => {
    await using sock = await create_connection([HOST, port], TIMEOUT);
    return await round_trip(sock, payload);
  }));
  const lines = [
    await peer.json<ServerLine>(),
    await peer.json<ServerLine>(),
    await peer.json<ServerLine>(),
  ];
  await peer.finish();
  payloads.forEach((payload, i) => {
    assert.equal(results[i]!.len, payload.length);
    assert.equal(results[i]!.sha, sha256(payload));
  });
  // The handler threads finish in any order.
  assert.deepEqual(
    lines.map((l) => `${l.kind} ${l.len} ${l.sha}`).sort(),
    payloads.map((p) => `stream ${p.length} ${sha256(p)}`).sort(),
  );
});

Deno.test("Socket UDP client echoes through a Python UDPServer", async () => {
  await using peer = python("net_echo_server.py", ["udp"], { stdin: true });
  const port = await server_port(peer);
  await using sock = socket(AF_INET, SOCK_DGRAM);
  sock.settimeout(TIMEOUT);
  const sizes = [0, 1, 100, 1472, 8192, 65507];
  for (const size of sizes) {
    const payload = random_bytes(size);
    assert.equal(await sock.sendto(payload, [HOST, port]), size);
    const [data, from] = await sock.recvfrom(65536);
    assert.deepEqual(from, [HOST, port]);
    assert.equal(data.length, size);
    assert.equal(sha256(data), sha256(payload));
    const line = await peer.json<ServerLine>();
    assert.equal(line.kind, "udp");
    assert.equal(line.len, size);
    assert.equal(line.sha, sha256(payload));
    // An unbound socket was bound on its first sendto, as in Python.
    assert.deepEqual(line.from, sock.getsockname());
  }
  await peer.finish();
});

Deno.test("Socket AF_UNIX client echoes through a Python ThreadingUnixStreamServer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pysock-interop-" });
  try {
    const path = `${dir}/py.sock`;
    await using peer = python("net_echo_server.py", ["unix", path], {
      stdin: true,
    });
    assert.equal(await peer.json<string>(), "ready");
    const payload = random_bytes(1024 * 1024 + 5);
    {
      await using sock = socket(AF_UNIX, SOCK_STREAM);
      sock.settimeout(TIMEOUT);
      await sock.connect(path);
      const got = await round_trip(sock, payload);
      assert.equal(got.len, payload.length);
      assert.equal(got.sha, sha256(payload));
    }
    const line = await peer.json<ServerLine>();
    await peer.finish();
    assert.equal(line.len, payload.length);
    assert.equal(line.sha, sha256(payload));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- 10 MB through one sendall, each way ----

Deno.test("recv_into() receives 10 MB from one Python sendall intact", async () => {
  await using server = create_server([HOST, 0]);
  server.settimeout(TIMEOUT);
  await using peer = python("net_bulk.py", [
    "send",
    HOST,
    port_of(server),
    TEN_MB,
  ]);
  const [conn] = await server.accept();
  await using _conn = conn;
  const got = await drain(conn); // blocking mode: straight into our buffer
  await conn.close();
  const report = await peer.json<{ len: number; sha: string }>();
  await peer.finish();
  assert.equal(got.len, TEN_MB);
  assert.equal(got.sha, report.sha);
});

Deno.test("sendall() delivers 10 MB in one call to a Python recv_into loop", async () => {
  await using server = create_server([HOST, 0]);
  server.settimeout(TIMEOUT);
  await using peer = python("net_bulk.py", ["recv", HOST, port_of(server)]);
  const [conn] = await server.accept();
  await using _conn = conn;
  const payload = random_bytes(TEN_MB);
  await conn.sendall(payload);
  await conn.close();
  const report = await peer.json<{ len: number; sha: string }>();
  await peer.finish();
  assert.equal(report.len, TEN_MB);
  assert.equal(report.sha, sha256(payload));
});

Deno.test("create_connection() client receives 10 MB from a Python server's sendall", async () => {
  await using peer = python("net_bulk.py", ["serve-send", TEN_MB]);
  const port = await server_port(peer);
  await using sock = await create_connection([HOST, port], TIMEOUT);
  const got = await drain(sock); // timeout mode: through the read-ahead buffer
  await sock.close();
  const report = await peer.json<{ len: number; sha: string }>();
  await peer.finish();
  assert.equal(got.len, TEN_MB);
  assert.equal(got.sha, report.sha);
});

Deno.test("create_connection() client sends 10 MB in one sendall to a Python server", async () => {
  await using peer = python("net_bulk.py", ["serve-recv"]);
  const port = await server_port(peer);
  await using sock = await create_connection([HOST, port], TIMEOUT);
  const payload = random_bytes(TEN_MB);
  await sock.sendall(payload); // timeout mode: through the bounded queue
  await sock.close();
  const report = await peer.json<{ len: number; sha: string }>();
  await peer.finish();
  assert.equal(report.len, TEN_MB);
  assert.equal(report.sha, sha256(payload));
});

// ---- Chinese UTF-8 text, both ways ----

Deno.test("recv() and sendall(string) carry Chinese UTF-8 text and an emoji to and from a Python client", async () => {
  await using server = create_server([HOST, 0]);
  server.settimeout(TIMEOUT);
  await using peer = python("net_echo_client.py", [
    "text",
    HOST,
    port_of(server),
    REPEAT,
  ]);
  const [conn] = await server.accept();
  await using _conn = conn;
  // Python sends 7-byte pieces; 5-byte receives split characters again.
  const got = await recv_text(conn, 5);
  assert.equal(got, EXPECTED_TEXT);
  await conn.sendall(EXPECTED_TEXT); // a string goes out as UTF-8
  await conn.close();
  const report = await peer.json<ServerLine>();
  await peer.finish();
  assert.equal(report.equal, true);
  assert.equal(report.text, EXPECTED_TEXT);
});

Deno.test("Socket client exchanges Chinese UTF-8 text and an emoji with a Python StreamRequestHandler", async () => {
  await using peer = python("net_echo_server.py", ["text", REPEAT], {
    stdin: true,
  });
  const port = await server_port(peer);
  await using sock = await create_connection([HOST, port], TIMEOUT);
  const bytes = new TextEncoder().encode(EXPECTED_TEXT);
  for (let i = 0; i < bytes.length; i += 7) {
    await sock.sendall(bytes.subarray(i, i + 7));
  }
  await sock.shutdown(SHUT_WR);
  const got = await recv_text(sock, 5);
  await sock.close();
  const line = await peer.json<ServerLine>();
  await peer.finish();
  assert.equal(line.equal, true);
  assert.equal(line.text, EXPECTED_TEXT);
  assert.equal(got, EXPECTED_TEXT);
});

// ---- framing and makefile against Python's own code ----

Deno.test("recv_msg() and send_msg() speak Python's struct '>I' length-prefixed framing", async () => {
  await using server = create_server([HOST, 0]);
  server.settimeout(TIMEOUT);
  // Small enough in total that echoing while Python still sends cannot fill
  // both directions' buffers.
  const sizes = "0,1,3,4,5,1000,65536,131072,text";
  await using peer = python("net_framing.py", [HOST, port_of(server), sizes]);
  const [conn] = await server.accept();
  await using _conn = conn;
  const seen: string[] = [];
  while (true) {
    const msg = await recv_msg(conn);
    if (msg === null) break;
    seen.push(sha256(msg));
    await send_msg(conn, msg);
  }
  await conn.close();
  const report = await peer.json<
    { sent: string[]; received: string[]; text: string[] }
  >();
  await peer.finish();
  assert.equal(report.sent.length, sizes.split(",").length);
  assert.deepEqual(seen, report.sent);
  assert.deepEqual(report.received, report.sent);
  assert.deepEqual(report.text, [TEXT.repeat(100) + EMOJI]);
});

Deno.test("makefile() text lines round-trip with a Python StreamRequestHandler's rfile/wfile", async () => {
  await using peer = python("net_echo_server.py", ["lines"], { stdin: true });
  const port = await server_port(peer);
  const lines = [
    "hello\n",
    `${TEXT}\n`,
    `${EMOJI} emoji\n`,
    `${"长".repeat(10_000)}\n`,
  ];
  {
    await using sock = await create_connection([HOST, port], TIMEOUT);
    await using file = sock.makefile("rw", { encoding: "utf-8" });
    for (const line of lines) {
      await file.write(line);
      await file.flush();
      assert.equal(await file.readline(), `回声: ${line}`);
    }
    await sock.shutdown(SHUT_WR);
    assert.equal(await file.readline(), "");
  }
  const report = await peer.json<{ kind: string; count: number }>();
  await peer.finish();
  assert.deepEqual(report, { kind: "lines", count: lines.length });
});

// ---- the peer helper itself ----

Deno.test("python() kills a peer that outlives its timeout, by PID", async () => {
  // This server waits for stdin EOF, which never comes.
  await using peer = python("net_echo_server.py", ["tcp"], {
    stdin: true,
    timeout_ms: 1500,
  });
  await server_port(peer);
  const result = await peer.wait();
  assert.equal(result.timed_out, true);
  assert.equal(result.signal, "SIGKILL");
  await assert.rejects(peer.finish(), /timed out/);
});

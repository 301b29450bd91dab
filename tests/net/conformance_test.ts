// What CPython's own socket tests expect and a ported program may rely on.
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_UNIX,
  fromfd,
  MSG_WAITALL,
  SHUT_WR,
  SOCK_DGRAM,
  SOCK_STREAM,
  Socket,
  socket,
  socketpair,
} from "../../net/mod.ts";
import { bounded, LOOP, tcpTrio } from "./_helpers.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

// Calls `fn` and tells whether it threw at once (instead of rejecting).
function settles_async(fn: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    assert.fail(`threw synchronously: ${err}`);
  }
  assert.ok(result instanceof Promise, "returns a Promise");
  return result;
}

Deno.test("async Socket methods reject bad arguments and errors, never throw synchronously", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const fresh = socket();
  await using _fresh = fresh;
  const calls: Array<[string, () => unknown]> = [
    ["send(bad data)", () => a.send(42 as never)],
    ["send(data, bad flags)", () => a.send("x", "f" as never)],
    ["sendall(bad data)", () => a.sendall(null as never)],
    ["sendto(bad data)", () => a.sendto({} as never, [LOOP, 9])],
    ["recv(bad size)", () => a.recv(-1)],
    ["recv_into(bad buffer)", () => a.recv_into("x" as never)],
    ["recvfrom(bad size)", () => a.recvfrom("x" as never)],
    ["recvfrom_into(bad buffer)", () => a.recvfrom_into(1 as never)],
    ["shutdown(bad how)", () => a.shutdown(7)],
    ["shutdown() not connected", () => fresh.shutdown(SHUT_WR)],
    ["accept() not listening", () => fresh.accept()],
    ["connect(bad address)", () => fresh.connect(42 as never)],
    ["connect_ex(bad address)", () => fresh.connect_ex(42 as never)],
    ["sendfile(bad file)", () => a.sendfile(null as never, -1)],
  ];
  for (const [what, fn] of calls) {
    await assert.rejects(settles_async(fn) as Promise<unknown>, Error, what);
  }
  const closed = socket();
  await closed.close();
  for (
    const fn of [
      () => closed.send("x"),
      () => closed.shutdown(SHUT_WR),
      () => closed.recv(1),
      () => closed.accept(),
    ]
  ) {
    await assert.rejects(settles_async(fn) as Promise<unknown>, (err) => {
      assert.equal((err as { errno?: number }).errno, 9);
      return true;
    });
  }
});

Deno.test("listen() accepts a negative backlog, as CPython clamps it", async () => {
  for (const backlog of [-1, -100, 0]) {
    await using s = socket();
    s.bind([LOOP, 0]);
    s.listen(backlog);
    await using c = socket();
    await c.connect(s.getsockname());
    const [conn] = await s.accept();
    await conn.close();
  }
});

Deno.test("sendto(data, flags, address) takes Python's three-argument form", async () => {
  await using a = socket(AF_INET, SOCK_DGRAM);
  await using b = socket(AF_INET, SOCK_DGRAM);
  a.bind([LOOP, 0]);
  b.bind([LOOP, 0]);
  assert.equal(await b.sendto("three", 0, a.getsockname()), 5);
  assert.equal(await b.sendto("two", a.getsockname()), 3);
  const [first, from] = await a.recvfrom(64);
  assert.equal(decode(first), "three");
  assert.deepEqual(from, b.getsockname());
  assert.equal(decode((await a.recvfrom(64))[0]), "two");
  await assert.rejects(b.sendto("x", "0" as never, a.getsockname()), TypeError);
});

Deno.test("recv() of an absurd size rejects with a RangeError naming bufsize and the limit", async () => {
  await using trio = await tcpTrio();
  for (const flags of [0, MSG_WAITALL]) {
    await assert.rejects(
      bounded(trio.conn.recv(2 ** 40, flags), 2000, "recv"),
      {
        name: "RangeError",
        message:
          `Cannot receive: bufsize must be at most 2147483647, received ${
            2 ** 40
          }`,
      },
    );
  }
  // Sizes up to the limit are taken, and allocate only what arrives.
  await trio.client.sendall("ok");
  assert.equal(decode(await trio.conn.recv(2 ** 31 - 1)), "ok");
});

Deno.test("makefile() with an absurd buffering rejects with a RangeError naming the limit", async () => {
  await using trio = await tcpTrio();
  assert.throws(() => trio.conn.makefile("rb", { buffering: 2 ** 40 }), {
    name: "RangeError",
    message:
      `Cannot make file: buffering must be at most 2147483647, received ${
        2 ** 40
      }`,
  });
});

Deno.test("makefile() in binary mode ignores the text options, as CPython does", async () => {
  await using trio = await tcpTrio();
  const f = trio.conn.makefile("rb", {
    encoding: "utf-8",
    errors: "strict",
    newline: "\n",
  });
  await trio.client.sendall("line\n");
  assert.deepEqual(decode(await f.readline()), "line\n");
  assert.equal(f.encoding, null);
  await f.close();
});

Deno.test("a closed file's name is -1", async () => {
  await using trio = await tcpTrio();
  const f = trio.conn.makefile("rb");
  assert.equal(f.name, trio.conn.fileno());
  await f.close();
  assert.equal(f.name, -1);
});

Deno.test("a non-blocking accept()/recv() loop with no sleep serves clients from another process", async () => {
  // The tutorials' non-blocking server, ported literally: the example
  // without its 10 ms sleep per round.
  const root = new URL("../../", import.meta.url);
  const source = await Deno.readTextFile(
    new URL("examples/nonblocking_server.ts", root),
  );
  const sleep = "  await sleep(10);\n";
  assert.ok(source.includes(sleep), "the example sleeps once per round");
  const dir = await Deno.makeTempDir();
  const copy = `${dir}/spinning_server.ts`;
  await Deno.writeTextFile(
    copy,
    source.replace(sleep, "").replace(
      /from "(\.\.?\/[^"]+)"/g,
      (_, path: string) =>
        `from ${
          JSON.stringify(new URL(path, new URL("examples/", root)).href)
        }`,
    ),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-net=${LOOP}`,
      `--allow-read=${dir}`,
      copy,
      "--port",
      "0",
      "--count",
      "2",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    let port = 0;
    for (let i = 0; i < 100 && port === 0; i++) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
      port = Number(out.match(/listening on \('[\d.]+', (\d+)\)/)?.[1] ?? 0);
    }
    assert.ok(port > 0, `no listening line in: ${out}`);
    const clients = await new Deno.Command("python3", {
      args: [
        "-c",
        `
import socket, sys, time
for i in range(2):
    with socket.create_connection(("${LOOP}", int(sys.argv[1])), timeout=10) as s:
        s.sendall(b"hello %d" % i)
        time.sleep(0.2)
`,
        String(port),
      ],
    }).output();
    assert.ok(clients.success, new TextDecoder().decode(clients.stderr));
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0, out);
    assert.match(out, /sent: hello 0/);
    assert.match(out, /sent: hello 1/);
    assert.match(out, /server stopped/);
  } finally {
    clearTimeout(kill);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recv(n, MSG_WAITALL) returns the bytes it has when the peer closes, allocating only what arrived", async () => {
  await using trio = await tcpTrio();
  await trio.client.sendall("abcde");
  await trio.client.close();
  const got = await bounded(
    trio.conn.recv(2 ** 30, MSG_WAITALL),
    5000,
    "recv",
  );
  assert.equal(decode(got), "abcde");
  assert.ok(got.buffer.byteLength < 1 << 20, `${got.buffer.byteLength} bytes`);
  assert.equal((await trio.conn.recv(10)).length, 0);
});

Deno.test("recv(n, MSG_WAITALL) returns the bytes it has when the peer resets; the error comes next call", async () => {
  await using server = socket();
  server.bind([LOOP, 0]);
  server.listen();
  const [, port] = server.getsockname() as [string, number];
  const peer = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket, struct, sys, time
s = socket.create_connection(("${LOOP}", int(sys.argv[1])), timeout=10)
s.sendall(b"abc")
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()  # a reset, not a FIN
`,
      String(port),
    ],
  }).output();
  const [conn] = await server.accept();
  await using _conn = conn;
  const got = await bounded(conn.recv(100, MSG_WAITALL), 5000, "recv");
  assert.equal(decode(got), "abc");
  await assert.rejects(conn.recv(100), (err: Error) => {
    assert.equal((err as { errno?: number }).errno, 104);
    return true;
  });
  assert.ok((await peer).success);
});

Deno.test("socketpair() refuses an intruder that connects to its listener first, and the pair still forms", async () => {
  // As CPython's test of CVE-2024-3219 patches the socket: here the first
  // connect() (the pair's own) lets an intruder connect first.
  const original = Socket.prototype.connect;
  const intruders: Socket[] = [];
  Socket.prototype.connect = async function (this: Socket, address) {
    Socket.prototype.connect = original;
    const intruder = socket();
    intruders.push(intruder);
    await original.call(intruder, address);
    return await original.call(this, address);
  };
  try {
    const [a, b] = await bounded(socketpair(), 5000, "socketpair");
    await using _a = a;
    await using _b = b;
    assert.equal(intruders.length, 1);
    assert.deepEqual(b.getpeername(), a.getsockname());
    assert.deepEqual(a.getpeername(), b.getsockname());
    await a.sendall("mine");
    assert.equal(decode(await b.recv(16)), "mine");
    // The intruder was accepted and closed at once: it reads EOF.
    assert.equal(
      (await bounded(intruders[0]!.recv(16), 5000, "intruder"))
        .length,
      0,
    );
  } finally {
    Socket.prototype.connect = original;
    for (const intruder of intruders) await intruder.close();
  }
});

Deno.test("abstract Unix socket names (a leading NUL) bind, connect and name their ends, as on Linux", async () => {
  const name = `\0pysock-conformance-${Deno.pid}-${Date.now()}`;
  await using server = socket(AF_UNIX, SOCK_STREAM);
  server.bind(name);
  server.listen();
  assert.equal(server.getsockname(), name);
  await using taken = socket(AF_UNIX, SOCK_STREAM);
  assert.throws(() => taken.bind(name), (err: Error) => {
    assert.equal((err as { errno?: number }).errno, 98);
    return true;
  });
  await using client = socket(AF_UNIX, SOCK_STREAM);
  await client.connect(name);
  assert.equal(client.getpeername(), name);
  const [conn] = await server.accept();
  await using _conn = conn;
  await client.sendall("abstract");
  assert.equal(decode(await conn.recv(16)), "abstract");
  // No file is made: the name is in the kernel's own namespace.
  await assert.rejects(Deno.lstat(name.slice(1)), Deno.errors.NotFound);
});

Deno.test("a file from makefile() keeps the connection usable after sock.close() until the file closes too", async () => {
  await using trio = await tcpTrio();
  const rfile = trio.conn.makefile("rb");
  const wfile = trio.conn.makefile("wb");
  await trio.conn.close();
  await trio.client.sendall("ping\n");
  assert.equal(decode(await rfile.readline()), "ping\n");
  await wfile.write(new TextEncoder().encode("pong\n"));
  await wfile.flush();
  assert.equal(decode(await trio.client.recv(16)), "pong\n");
  await rfile.close();
  // One file is still open: the connection too.
  assert.ok(trio.conn.fileno() >= 0);
  await wfile.close();
  assert.equal(trio.conn.fileno(), -1);
  assert.equal((await trio.client.recv(16)).length, 0);
});

Deno.test("dup() gives a second Socket on the same connection, each closable on its own", async () => {
  await using trio = await tcpTrio();
  const copy = trio.conn.dup();
  assert.ok(copy instanceof Socket);
  assert.notEqual(copy.fileno(), trio.conn.fileno());
  assert.equal(copy.family, trio.conn.family);
  assert.equal(copy.type, trio.conn.type);
  assert.deepEqual(copy.getpeername(), trio.conn.getpeername());
  await trio.client.sendall("one");
  assert.equal(decode(await copy.recv(16)), "one");
  await copy.close();
  assert.equal(copy.fileno(), -1);
  await assert.rejects(copy.recv(1), (err: Error) => {
    assert.equal((err as { errno?: number }).errno, 9);
    return true;
  });
  // The original still holds the connection.
  await trio.conn.sendall("two");
  assert.equal(decode(await trio.client.recv(16)), "two");
});

Deno.test("fromfd() duplicates a number this process's sockets hold", async () => {
  await using trio = await tcpTrio();
  const copy = fromfd(trio.conn.fileno(), AF_INET, SOCK_STREAM);
  assert.notEqual(copy.fileno(), trio.conn.fileno());
  await trio.conn.close();
  await copy.sendall("still here");
  assert.equal(decode(await trio.client.recv(16)), "still here");
  await copy.close();
  assert.equal((await trio.client.recv(16)).length, 0);
  assert.throws(() => fromfd(987654, AF_INET, SOCK_STREAM), (err: Error) => {
    assert.equal((err as { errno?: number }).errno, 9);
    return true;
  });
});

Deno.test("detach() closes the Socket object but not the connection; socket(..., fileno) adopts it", async () => {
  await using trio = await tcpTrio();
  const fd = trio.conn.detach();
  assert.ok(fd >= 3);
  assert.equal(trio.conn.fileno(), -1);
  await assert.rejects(trio.conn.recv(1), (err: Error) => {
    assert.equal((err as { errno?: number }).errno, 9);
    return true;
  });
  await trio.conn.close(); // closes nothing now
  await using again = socket(AF_INET, SOCK_STREAM, 0, fd);
  assert.equal(again.fileno(), fd);
  await trio.client.sendall("adopted");
  assert.equal(decode(await again.recv(16)), "adopted");
  assert.throws(() => socket(AF_INET, SOCK_STREAM, 0, 987654), (err: Error) => {
    assert.equal((err as { errno?: number }).errno, 9);
    return true;
  });
});

Deno.test("an unbuffered file on a non-blocking socket returns null when a call would block, as SocketIO", async () => {
  await using trio = await tcpTrio();
  trio.conn.setblocking(false);
  const f = trio.conn.makefile("rwb", { buffering: 0 });
  assert.equal(await f.read(10), null);
  assert.equal(await f.readinto(new Uint8Array(10)), null);
  await trio.client.sendall("ready");
  let got: Uint8Array | null = null;
  for (let i = 0; i < 200 && got === null; i++) got = await f.read(10);
  assert.equal(decode(got!), "ready");
  // Writes return the count until the send buffer is full, then null.
  const chunk = new Uint8Array(1 << 20);
  let refused = false;
  for (let i = 0; i < 256 && !refused; i++) {
    const n = await f.write(chunk);
    if (n === null) refused = true;
    else assert.equal(n, chunk.length);
  }
  assert.ok(refused, "a full send buffer refuses a write with null");
  await f.close();
});

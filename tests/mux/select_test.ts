import assert from "node:assert/strict";
import { select } from "../../mux/mod.ts";
import {
  AF_INET,
  ConnectionResetError,
  EV_IN,
  EV_OUT,
  OSError,
  SOCK_DGRAM,
  socket,
} from "./_net.ts";
import { FakeSource } from "./_fake.ts";
import { connected, fill, port_of, python, socketpair, text } from "./_util.ts";

Deno.test("select() polls and returns at once with timeout 0", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const t0 = performance.now();
  const [r, w, x] = await select([a, b], [a], [a, b], 0);
  assert.deepEqual(r, []);
  assert.deepEqual(w, [a]);
  assert.deepEqual(x, []);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("select() returns three empty lists when the timeout passes", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const t0 = performance.now();
  const result = await select([a, b], [], [a], 0.15);
  const took = performance.now() - t0;
  assert.deepEqual(result, [[], [], []]);
  assert.ok(took >= 140, `returned after ${took} ms`);
});

Deno.test("select() without a timeout waits until data arrives", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  let done = false;
  const waiting = select([a], [], []).then((result) => {
    done = true;
    return result;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(done, false);
  await b.sendall("wake");
  const [r, w, x] = await waiting;
  assert.deepEqual([r, w, x], [[a], [], []]);
  assert.equal(text(await a.recv(10)), "wake");
});

Deno.test("select() keeps the entries as given, integers included", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  await b.sendall("x");
  assert.deepEqual(await select([a.fileno(), b], [], [], 5), [
    [a.fileno()],
    [],
    [],
  ]);
  const [r, w] = await select([a.fileno(), b], [b.fileno()], [], 5);
  assert.deepEqual(r, [a.fileno()]);
  assert.deepEqual(w, [b.fileno()]);
});

Deno.test("select() says a listening socket is readable when a connection is pending", async () => {
  const server = socket();
  await using _s = server;
  server.bind(["127.0.0.1", 0]);
  server.listen(5);
  server.setblocking(false);
  assert.deepEqual(await select([server], [], [], 0), [[], [], []]);
  const client = socket();
  await using _c = client;
  await client.connect(["127.0.0.1", port_of(server)]);
  const [r] = await select([server], [], [], 5);
  assert.deepEqual(r, [server]);
  // accept() does not wait: in non-blocking mode it would throw otherwise.
  const [conn, address] = await server.accept();
  await using _conn = conn;
  assert.deepEqual(address, client.getsockname());
  assert.deepEqual(await select([server], [], [], 0), [[], [], []]);
});

Deno.test("select() says a connected socket is readable when data arrives", async () => {
  const pair = await connected();
  try {
    pair.conn.setblocking(false);
    assert.deepEqual((await select([pair.conn], [], [], 0))[0], []);
    await pair.client.sendall("hello");
    const [r] = await select([pair.conn], [], [], 5);
    assert.deepEqual(r, [pair.conn]);
    assert.equal(text(await pair.conn.recv(1024)), "hello");
    assert.deepEqual((await select([pair.conn], [], [], 0))[0], []);
  } finally {
    await pair.close();
  }
});

Deno.test("select() says a socket is readable at EOF, and recv() then returns an empty array", async () => {
  const pair = await connected();
  try {
    pair.conn.setblocking(false);
    await pair.client.close();
    const [r] = await select([pair.conn], [], [], 5);
    assert.deepEqual(r, [pair.conn]);
    const data = await pair.conn.recv(1024);
    assert.ok(data instanceof Uint8Array);
    assert.equal(data.length, 0);
  } finally {
    await pair.close();
  }
});

Deno.test("select() says a socket is readable after a reset, and recv() throws ConnectionResetError", async () => {
  const server = socket();
  await using _s = server;
  server.bind(["127.0.0.1", 0]);
  server.listen(5);
  // A Python peer that closes with SO_LINGER 0 sends a real RST.
  const peer = python(
    `import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.recv(1)
s.close()
print("reset")`,
    String(port_of(server)),
  );
  const [conn] = await server.accept();
  await using _conn = conn;
  conn.setblocking(false);
  await conn.sendall("go");
  assert.equal((await peer).trim(), "reset");
  const [r] = await select([conn], [], [], 5);
  assert.deepEqual(r, [conn]);
  await assert.rejects(conn.recv(1024), ConnectionResetError);
});

Deno.test("select() says a socket is writable under the high-water mark and not once the peer stops reading", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  a.setblocking(false);
  assert.deepEqual((await select([], [a], [], 0))[1], [a]);
  const queued = await fill(a);
  assert.ok(queued > 0);
  assert.deepEqual(await select([], [a], [], 0.2), [[], [], []]);
  // The peer reads everything: the writer becomes writable again.
  const waiting = select([], [a], [], 10);
  let got = 0;
  for (let i = 0; i < 100_000 && got < queued; i++) {
    got += (await b.recv(1 << 20)).length;
  }
  assert.equal(got, queued);
  assert.deepEqual((await waiting)[1], [a]);
});

Deno.test("select() says a datagram socket is readable when a datagram is waiting", async () => {
  const rx = socket(AF_INET, SOCK_DGRAM);
  await using _rx = rx;
  rx.bind(["127.0.0.1", 0]);
  const tx = socket(AF_INET, SOCK_DGRAM);
  await using _tx = tx;
  assert.deepEqual(await select([rx], [], [], 0), [[], [], []]);
  await tx.sendto("datagram", ["127.0.0.1", port_of(rx)]);
  const [r, w] = await select([rx], [], [], 5);
  assert.deepEqual(r, [rx]);
  assert.deepEqual(w, []);
  assert.deepEqual(await select([rx], [tx], [], 5), [[rx], [tx], []]);
  rx.setblocking(false);
  const [data] = await rx.recvfrom(100);
  assert.equal(text(data), "datagram");
});

Deno.test("select() accepts any object whose fileno() it knows", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const server = { fileno: () => a.fileno() };
  await b.sendall("x");
  const [r] = await select([server], [], [], 5);
  assert.deepEqual(r, [server]);
});

Deno.test("select() throws RangeError for a closed socket, as Python's ValueError", async () => {
  const [a, b] = await socketpair();
  await using _b = b;
  await a.close();
  await assert.rejects(select([a], [], [], 0), {
    name: "RangeError",
    message: "file descriptor cannot be a negative integer (-1)",
  });
  await assert.rejects(select([], [], [-3], 0), {
    name: "RangeError",
    message: "file descriptor cannot be a negative integer (-3)",
  });
});

Deno.test("select() throws TypeError for an object without fileno()", async () => {
  await assert.rejects(
    select([{}], [], [], 0),
    (err: Error) =>
      err instanceof TypeError &&
      err.message.startsWith("argument must be an int, or have a fileno()"),
  );
  await assert.rejects(select(["3"], [], [], 0), TypeError);
  await assert.rejects(select([{ fileno: () => "x" }], [], [], 0), TypeError);
  await assert.rejects(select([1.5], [], [], 0), TypeError);
});

Deno.test("select() throws OSError EBADF for a number nothing holds", async () => {
  await assert.rejects(select([987654], [], [], 0), (err: OSError) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 9);
    return true;
  });
});

Deno.test("select() rejects a negative or non-number timeout", async () => {
  await assert.rejects(select([], [], [], -1), {
    name: "RangeError",
    message: "Cannot select: timeout must be non-negative, received -1",
  });
  await assert.rejects(
    select([], [], [], "1" as unknown as number),
    TypeError,
  );
});

Deno.test("select() with empty lists sleeps for the timeout", async () => {
  const t0 = performance.now();
  assert.deepEqual(await select([], [], [], 0.05), [[], [], []]);
  assert.ok(performance.now() - t0 >= 45);
});

Deno.test("select() wakes on a source's edge and leaves no watcher behind", async () => {
  using src = new FakeSource();
  const waiting = select([src], [src], [src], 5);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(src.listeners.size, 1);
  src.set(EV_IN);
  assert.deepEqual(await waiting, [[src], [], []]);
  assert.equal(src.listeners.size, 0);
  src.set(EV_OUT);
  assert.deepEqual(await select([src], [src], [], 0), [[], [src], []]);
});

Deno.test("select() lets the event loop turn when polled in a busy loop", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const sending = b.sendall("late");
  let polls = 0;
  // The tutorials' non-blocking polling server: select(..., 0) in a loop.
  while (polls < 10_000) {
    polls++;
    const [r] = await select([a], [], [], 0);
    if (r.length > 0) break;
  }
  await sending;
  assert.ok(polls < 10_000, "data never seen");
  assert.equal(text(await a.recv(10)), "late");
});

Deno.test("select() takes a TCPServer through its fileno()", async () => {
  const { BaseRequestHandler, TCPServer } = await import("../../server/mod.ts");
  await using server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
  assert.deepEqual(await select([server], [], [], 0), [[], [], []]);
  const client = socket();
  await using _c = client;
  await client.connect(server.server_address as [string, number]);
  assert.deepEqual(await select([server], [], [], 5), [[server], [], []]);
  const [conn] = await server.get_request();
  await conn.close();
});

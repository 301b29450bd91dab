/**
 * UDP sockets (AF_INET and AF_INET6 SOCK_DGRAM) on loopback: datagram
 * boundaries and truncation, sender addresses, size limits, FIFO receives,
 * connect() as a default peer and filter, timeouts, non-blocking mode,
 * auto-binding and SO_REUSEADDR. Every receive is bounded by a timeout.
 */
import assert from "node:assert/strict";
import {
  type Address,
  AF_INET,
  AF_INET6,
  BlockingIOError,
  MSG_DONTWAIT,
  MSG_PEEK,
  OSError,
  SO_REUSEADDR,
  SOCK_DGRAM,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../../net/mod.ts";

/** Bounds every receive that should succeed, in seconds. */
const WAIT = 5;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A UDP socket bound to a free loopback port, with a bounded timeout. */
function udp(family: number = AF_INET): Socket {
  const s = socket(family, SOCK_DGRAM);
  s.bind(family === AF_INET6 ? ["::1", 0] : ["127.0.0.1", 0]);
  s.settimeout(WAIT);
  return s;
}

/** `n` bytes counting up from `tag` (mod 256). */
function pattern(n: number, tag = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + tag) & 255;
  return out;
}

function text(data: Uint8Array): string {
  return decoder.decode(data);
}

const FAMILIES = [["AF_INET", AF_INET], ["AF_INET6", AF_INET6]] as const;

for (const [name, family] of FAMILIES) {
  Deno.test(`recv() returns at most bufsize bytes of one datagram and drops the rest (${name})`, async () => {
    await using rx = udp(family);
    await using tx = udp(family);
    const first = pattern(100);
    await tx.sendto(first, rx.getsockname());
    await tx.sendto("fives", rx.getsockname());
    const head = await rx.recv(10);
    assert.deepEqual(head, first.subarray(0, 10));
    // The other 90 bytes of the first datagram are gone, as on Linux.
    assert.equal(text(await rx.recv(1024)), "fives");
  });

  Deno.test(`recvfrom() gives the sender's getsockname() (${name})`, async () => {
    await using rx = udp(family);
    await using tx = udp(family);
    await tx.sendto("hello", rx.getsockname());
    const [data, from] = await rx.recvfrom(1024);
    assert.equal(text(data), "hello");
    assert.deepEqual(from, tx.getsockname());
    if (family === AF_INET6) {
      assert.equal((from as readonly unknown[]).length, 4);
      assert.equal((from as readonly unknown[])[0], "::1");
    } else {
      assert.deepEqual((from as readonly unknown[])[0], "127.0.0.1");
    }
  });

  Deno.test(`recv_into() and recvfrom_into() fill the buffer and truncate a datagram (${name})`, async () => {
    await using rx = udp(family);
    await using tx = udp(family);
    await tx.sendto("abcdefgh", rx.getsockname());
    await tx.sendto("xyz", rx.getsockname());
    await tx.sendto("0123456789", rx.getsockname());
    await tx.sendto("tail", rx.getsockname());

    const buf = new Uint8Array(5);
    assert.equal(await rx.recv_into(buf), 5);
    assert.equal(text(buf), "abcde");

    const big = new Uint8Array(16).fill(0x2e);
    assert.equal(await rx.recv_into(big, 2), 2);
    assert.equal(text(big.subarray(0, 3)), "xy.");

    const into = new Uint8Array(4);
    const [n, from] = await rx.recvfrom_into(into);
    assert.equal(n, 4);
    assert.equal(text(into), "0123");
    assert.deepEqual(from, tx.getsockname());

    // The dropped tails of the earlier datagrams never show up.
    const [m, from2] = await rx.recvfrom_into(new Uint8Array(64));
    assert.equal(m, 4);
    assert.deepEqual(from2, tx.getsockname());
  });
}

Deno.test("sendto() delivers a 65507-byte datagram whole to recv(65535)", async () => {
  await using rx = udp();
  await using tx = udp();
  const payload = pattern(65507, 7);
  assert.equal(await tx.sendto(payload, rx.getsockname()), 65507);
  const got = await rx.recv(65535);
  assert.equal(got.length, 65507);
  assert.deepEqual(got, payload);
});

Deno.test("sendto() of a few datagram sizes keeps each one whole", async () => {
  await using rx = udp();
  await using tx = udp();
  const sizes = [0, 1, 1472, 1473, 9000, 32768, 65000];
  for (const [i, size] of sizes.entries()) {
    await tx.sendto(pattern(size, i), rx.getsockname());
  }
  for (const [i, size] of sizes.entries()) {
    const got = await rx.recv(65535);
    assert.equal(got.length, size, `datagram ${i}`);
    assert.deepEqual(got, pattern(size, i));
  }
});

Deno.test("sendto() of more than 65507 bytes rejects with OSError EMSGSIZE (90)", async () => {
  await using rx = udp();
  await using tx = udp();
  for (const size of [65508, 70000]) {
    await assert.rejects(
      tx.sendto(new Uint8Array(size), rx.getsockname()),
      (err: unknown) => {
        assert.ok(err instanceof OSError);
        assert.equal(err.errno, 90);
        return true;
      },
    );
  }
  // Nothing was sent, and the socket still works.
  await tx.sendto("ok", rx.getsockname());
  assert.equal(text(await rx.recv(100)), "ok");
});

Deno.test("send() of more than 65507 bytes on a connected UDP socket rejects with EMSGSIZE", async () => {
  await using rx = udp();
  await using tx = udp();
  await tx.connect(rx.getsockname());
  await assert.rejects(
    tx.send(new Uint8Array(65508)),
    (err: unknown) => err instanceof OSError && err.errno === 90,
  );
});

Deno.test("recv() calls started together complete in arrival order", async () => {
  await using rx = udp();
  await using tx = udp();
  // allSettled at once: a failed call must fail this test, not leak.
  const all = Promise.allSettled([0, 1, 2, 3, 4].map(() => rx.recv(100)));
  for (let i = 0; i < 5; i++) {
    await tx.sendto(`datagram ${i}`, rx.getsockname());
  }
  const results = await all;
  assert.deepEqual(
    results.map((r) => r.status === "fulfilled" ? text(r.value) : r.reason),
    [0, 1, 2, 3, 4].map((i) => `datagram ${i}`),
  );
});

Deno.test("recv() calls started together complete in order when datagrams arrive one by one", async () => {
  await using rx = udp();
  await using tx = udp();
  const order: number[] = [];
  const all = Promise.allSettled(
    [0, 1, 2, 3, 4].map((i) =>
      rx.recv(100).then((d) => {
        order.push(i);
        return text(d);
      })
    ),
  );
  for (let i = 0; i < 5; i++) {
    await tx.sendto(`n${i}`, rx.getsockname());
    // Give the receiver time to take this one before the next is sent.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const results = await all;
  assert.deepEqual(
    results.map((r) => r.status === "fulfilled" ? r.value : r.reason),
    ["n0", "n1", "n2", "n3", "n4"],
  );
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

Deno.test("recvfrom() calls started together complete in order in blocking mode", async () => {
  await using rx = socket(AF_INET, SOCK_DGRAM);
  rx.bind(["127.0.0.1", 0]);
  await using tx = udp();
  const all = Promise.allSettled([0, 1, 2].map(() => rx.recvfrom(100)));
  for (let i = 0; i < 3; i++) await tx.sendto(`b${i}`, rx.getsockname());
  const settled = await all;
  assert.deepEqual(
    settled.map((r) => r.status === "fulfilled" ? text(r.value[0]) : r.reason),
    ["b0", "b1", "b2"],
  );
  for (const r of settled) {
    assert.ok(r.status === "fulfilled");
    assert.deepEqual(r.value[1], tx.getsockname());
  }
});

Deno.test("connect() on a UDP socket sets the default peer for send() and recv()", async () => {
  await using a = udp();
  await using b = udp();
  await a.connect(b.getsockname());
  assert.deepEqual(a.getpeername(), b.getsockname());
  assert.equal(await a.send("to b"), 4);
  const [data, from] = await b.recvfrom(100);
  assert.equal(text(data), "to b");
  assert.deepEqual(from, a.getsockname());
  await b.sendto("to a", a.getsockname());
  assert.equal(text(await a.recv(100)), "to a");
});

Deno.test("connect() on a UDP socket drops datagrams from other senders", async () => {
  await using a = udp();
  await using peer = udp();
  await using third = udp();
  await a.connect(peer.getsockname());
  await third.sendto("from third", a.getsockname());
  await peer.sendto("from peer", a.getsockname());
  const [data, from] = await a.recvfrom(100);
  assert.equal(text(data), "from peer");
  assert.deepEqual(from, peer.getsockname());
  // The third socket's datagram never shows up.
  a.settimeout(0.2);
  await assert.rejects(a.recv(100), TimeoutError);
});

Deno.test("connect() on a UDP socket drops datagrams queued from others before it", async () => {
  await using a = udp();
  await using peer = udp();
  await using third = udp();
  await third.sendto("early", a.getsockname());
  // Make sure the early datagram is in a's queue before connect().
  a.setblocking(false);
  for (let i = 0; i < 100; i++) {
    try {
      assert.equal(text(await a.recv(100, MSG_PEEK)), "early");
      break;
    } catch (err) {
      if (!(err instanceof BlockingIOError) || i === 99) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  a.settimeout(WAIT);
  await a.connect(peer.getsockname());
  await peer.sendto("late", a.getsockname());
  assert.equal(text(await a.recv(100)), "late");
});

Deno.test("connect() on an unbound UDP socket binds it so the peer can reply", async () => {
  await using server = udp();
  await using client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(WAIT);
  await client.connect(server.getsockname());
  const [host, port] = client.getsockname() as [string, number];
  assert.equal(host, "127.0.0.1");
  assert.ok(port > 0);
  await client.send("ping");
  const [data, from] = await server.recvfrom(100);
  assert.equal(text(data), "ping");
  await server.sendto("pong", from!);
  assert.equal(text(await client.recv(100)), "pong");
});

Deno.test("send() on an unconnected UDP socket rejects with OSError EDESTADDRREQ (89)", async () => {
  await using s = udp();
  await assert.rejects(s.send("x"), (err: unknown) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 89);
    return true;
  });
  assert.throws(() => s.getpeername(), (err: unknown) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 107);
    return true;
  });
});

Deno.test("recv() in timeout mode rejects with TimeoutError and loses nothing", async () => {
  await using rx = udp();
  await using tx = udp();
  rx.settimeout(0.1);
  const started = performance.now();
  await assert.rejects(rx.recv(100), (err: unknown) => {
    assert.ok(err instanceof TimeoutError);
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 110);
    assert.equal(err.strerror, "timed out");
    return true;
  });
  assert.ok(performance.now() - started >= 90, "waited about 0.1 s");
  await tx.sendto("after the timeout", rx.getsockname());
  rx.settimeout(WAIT);
  assert.equal(text(await rx.recv(100)), "after the timeout");
});

Deno.test("recvfrom() after several timeouts still gets every later datagram in order", async () => {
  await using rx = udp();
  await using tx = udp();
  rx.settimeout(0.05);
  for (let i = 0; i < 3; i++) {
    await assert.rejects(rx.recvfrom(100), TimeoutError);
  }
  await tx.sendto("one", rx.getsockname());
  await tx.sendto("two", rx.getsockname());
  rx.settimeout(WAIT);
  assert.equal(text((await rx.recvfrom(100))[0]), "one");
  assert.equal(text((await rx.recvfrom(100))[0]), "two");
});

Deno.test("recv() in non-blocking mode rejects with BlockingIOError (11) at once", async () => {
  await using rx = udp();
  await using tx = udp();
  rx.setblocking(false);
  assert.equal(rx.gettimeout(), 0);
  assert.equal(rx.getblocking(), false);
  const started = performance.now();
  await assert.rejects(rx.recv(100), (err: unknown) => {
    assert.ok(err instanceof BlockingIOError);
    assert.equal(err.errno, 11);
    return true;
  });
  await assert.rejects(rx.recvfrom(100), BlockingIOError);
  // Generous: "at once" on a noisy machine, far below any timeout.
  assert.ok(performance.now() - started < 1000);
  await tx.sendto("later", rx.getsockname());
  // Poll as a non-blocking program would, bounded in count.
  let got: Uint8Array | null = null;
  for (let i = 0; i < 200 && got === null; i++) {
    try {
      got = await rx.recv(100);
    } catch (err) {
      if (!(err instanceof BlockingIOError)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  assert.ok(got !== null, "the datagram arrived within 2 s");
  assert.equal(text(got), "later");
});

Deno.test("sendto() from an unbound UDP socket binds it, and the reply comes back", async () => {
  await using server = udp();
  await using client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(WAIT);
  assert.deepEqual(client.getsockname(), ["0.0.0.0", 0]);
  await client.sendto("echo me", server.getsockname());
  const [host, port] = client.getsockname() as [string, number];
  assert.ok(port > 0);
  assert.equal(host, "127.0.0.1");
  const [data, from] = await server.recvfrom(100);
  assert.equal(text(data), "echo me");
  assert.deepEqual(from, client.getsockname());
  await server.sendto(data, from!);
  const [reply, replyFrom] = await client.recvfrom(100);
  assert.equal(text(reply), "echo me");
  assert.deepEqual(replyFrom, server.getsockname());
});

Deno.test("sendto() from an unbound AF_INET6 socket to ::1 binds it, and the reply comes back", async () => {
  await using server = udp(AF_INET6);
  await using client = socket(AF_INET6, SOCK_DGRAM);
  client.settimeout(WAIT);
  await client.sendto("six", server.getsockname());
  const [data, from] = await server.recvfrom(100);
  assert.equal(text(data), "six");
  assert.deepEqual(from, client.getsockname());
  await server.sendto("xis", from!);
  assert.equal(text(await client.recv(100)), "xis");
});

Deno.test("recv() on an unbound UDP socket rejects instead of waiting forever", async () => {
  await using s = socket(AF_INET, SOCK_DGRAM);
  // CPython would block forever here; we say EINVAL (22) at once.
  await assert.rejects(s.recv(10), (err: unknown) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 22);
    return true;
  });
});

Deno.test("bind() of a taken UDP port fails with EADDRINUSE (98) without SO_REUSEADDR", async () => {
  await using first = udp();
  await using second = socket(AF_INET, SOCK_DGRAM);
  assert.throws(() => second.bind(first.getsockname()), (err: unknown) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 98);
    return true;
  });
});

Deno.test("setsockopt(SO_REUSEADDR) lets two UDP sockets bind the same port", async () => {
  await using a = socket(AF_INET, SOCK_DGRAM);
  await using b = socket(AF_INET, SOCK_DGRAM);
  await using tx = udp();
  a.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  b.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  assert.equal(a.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
  a.bind(["127.0.0.1", 0]);
  const addr = a.getsockname();
  b.bind(addr);
  assert.deepEqual(b.getsockname(), addr);
  // Unicast goes to one of them (Linux picks the last bound); it arrives.
  a.settimeout(0.3);
  b.settimeout(0.3);
  await tx.sendto("shared", addr);
  const got = await Promise.allSettled([a.recv(100), b.recv(100)]);
  const delivered = got.filter((r) => r.status === "fulfilled");
  assert.equal(delivered.length, 1);
  assert.equal(
    text((delivered[0] as PromiseFulfilledResult<Uint8Array>).value),
    "shared",
  );
});

Deno.test("a raw Deno.listenDatagram peer and our socket exchange datagrams", async () => {
  const raw = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    await using ours = udp();
    const rawAddr = raw.addr as Deno.NetAddr;
    const target: Address = [rawAddr.hostname, rawAddr.port];
    await ours.sendto("to raw", target);
    const [data, from] = await raw.receive();
    assert.equal(text(data), "to raw");
    const [ourHost, ourPort] = ours.getsockname() as [string, number];
    assert.equal((from as Deno.NetAddr).hostname, ourHost);
    assert.equal((from as Deno.NetAddr).port, ourPort);
    await raw.send(encoder.encode("from raw"), from);
    const [reply, replyFrom] = await ours.recvfrom(100);
    assert.equal(text(reply), "from raw");
    assert.deepEqual(replyFrom, target);
  } finally {
    raw.close();
  }
});

Deno.test("close() while a recv() waits rejects it and frees the port", async () => {
  const s = udp();
  const addr = s.getsockname();
  const rejected = assert.rejects(s.recv(10), OSError);
  await s.close();
  await rejected;
  assert.equal(s.fileno(), -1);
  await using again = socket(AF_INET, SOCK_DGRAM);
  again.bind(addr);
});

Deno.test("sendto() on AF_INET6 allows 65527 bytes and rejects 65528 with EMSGSIZE, as Linux", async () => {
  await using rx = udp(AF_INET6);
  await using tx = udp(AF_INET6);
  // IPv6 has no 20-byte IP header in the 65535 limit: 65535 - 8 = 65527.
  const payload = pattern(65527, 3);
  assert.equal(await tx.sendto(payload, rx.getsockname()), 65527);
  assert.deepEqual(await rx.recv(65535), payload);
  await assert.rejects(
    tx.sendto(new Uint8Array(65528), rx.getsockname()),
    (err: unknown) => err instanceof OSError && err.errno === 90,
  );
});

Deno.test("recv() after a timed-out recv() started together gets the datagram", async () => {
  await using rx = udp();
  await using tx = udp();
  rx.settimeout(0.1);
  const first = rx.recv(100);
  rx.settimeout(WAIT);
  const second = rx.recv(100);
  const firstDone = assert.rejects(first, TimeoutError);
  await firstDone;
  await tx.sendto("for the second", rx.getsockname());
  assert.equal(text(await second), "for the second");
});

Deno.test("close() rejects every recv() still waiting with OSError", async () => {
  const rx = udp();
  const all = Promise.allSettled([rx.recv(10), rx.recvfrom(10), rx.recv(10)]);
  await rx.close();
  for (const r of await all) {
    assert.equal(r.status, "rejected");
    assert.ok((r as PromiseRejectedResult).reason instanceof OSError);
  }
  await assert.rejects(rx.recv(10), (err: unknown) => {
    assert.ok(err instanceof OSError);
    assert.equal(err.errno, 9);
    return true;
  });
  await assert.rejects(rx.sendto("x", ["127.0.0.1", 9]), OSError);
});

Deno.test("recv() with MSG_PEEK leaves the whole datagram for the next recv()", async () => {
  await using rx = udp();
  await using tx = udp();
  await tx.sendto("peekaboo", rx.getsockname());
  assert.equal(text(await rx.recv(4, MSG_PEEK)), "peek");
  const [peeked, from] = await rx.recvfrom(100, MSG_PEEK);
  assert.equal(text(peeked), "peekaboo");
  assert.deepEqual(from, tx.getsockname());
  assert.equal(text(await rx.recv(100)), "peekaboo");
});

Deno.test("recv() with MSG_DONTWAIT on a blocking UDP socket rejects with BlockingIOError", async () => {
  await using rx = socket(AF_INET, SOCK_DGRAM);
  rx.bind(["127.0.0.1", 0]);
  assert.equal(rx.gettimeout(), null);
  await assert.rejects(rx.recv(10, MSG_DONTWAIT), BlockingIOError);
  assert.equal(rx.gettimeout(), null);
});

Deno.test("recv() results stay intact after later datagrams arrive", async () => {
  await using rx = udp();
  await using tx = udp();
  await tx.sendto("first datagram", rx.getsockname());
  await tx.sendto("SECOND DATAGRAM, LONGER", rx.getsockname());
  const a = await rx.recv(100);
  const [b] = await rx.recvfrom(100);
  const c = new Uint8Array(100);
  await tx.sendto("third", rx.getsockname());
  const n = await rx.recv_into(c);
  assert.equal(text(a), "first datagram");
  assert.equal(text(b), "SECOND DATAGRAM, LONGER");
  assert.equal(text(c.subarray(0, n)), "third");
});

Deno.test("connect() again on a UDP socket switches the default peer", async () => {
  await using a = udp();
  await using b = udp();
  await using c = udp();
  await a.connect(b.getsockname());
  await a.connect(c.getsockname());
  assert.deepEqual(a.getpeername(), c.getsockname());
  await a.send("to c");
  assert.equal(text(await c.recv(100)), "to c");
  await b.sendto("old peer", a.getsockname());
  await c.sendto("new peer", a.getsockname());
  assert.equal(text(await a.recv(100)), "new peer");
});

Deno.test("sendto() with an explicit address works on a connected UDP socket", async () => {
  await using a = udp();
  await using b = udp();
  await using c = udp();
  await a.connect(b.getsockname());
  await a.sendto("to c anyway", c.getsockname());
  const [data, from] = await c.recvfrom(100);
  assert.equal(text(data), "to c anyway");
  assert.deepEqual(from, a.getsockname());
});

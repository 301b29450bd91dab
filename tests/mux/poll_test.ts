import assert from "node:assert/strict";
import {
  DefaultSelector,
  epoll,
  EPOLL_CLOEXEC,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  EVENT_WRITE,
  KeyError,
  poll,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDNORM,
  POLLWRNORM,
  RuntimeError,
  select,
} from "../../mux/mod.ts";
import {
  EV_HUP,
  EV_IN,
  EV_OUT,
  FileExistsError,
  FileNotFoundError,
  type OSError,
} from "./_net.ts";
import { FakeSource } from "./_fake.ts";
import { connected, fill, socketpair, text } from "./_util.ts";

Deno.test("POLL* and EPOLL* constants have Linux's values", () => {
  assert.deepEqual(
    [POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM],
    [1, 2, 4, 8, 16, 32, 64],
  );
  assert.equal(POLLWRNORM, 256);
  assert.deepEqual(
    [EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP],
    [1, 2, 4, 8, 16, 0x2000],
  );
  assert.equal(EPOLLET, 2147483648);
  assert.equal(EPOLLONESHOT, 1 << 30);
  assert.equal(EPOLLEXCLUSIVE, 1 << 28);
  assert.equal(EPOLL_CLOEXEC, 0x80000);
});

Deno.test("epoll() is level-triggered by default", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using ep = epoll();
  ep.register(a.fileno(), EPOLLIN);
  assert.deepEqual(await ep.poll(0), []);
  await b.sendall("data");
  assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
  // Not consumed: reported again, and again.
  assert.deepEqual(await ep.poll(0), [[a.fileno(), EPOLLIN]]);
  assert.deepEqual(await ep.poll(1), [[a.fileno(), EPOLLIN]]);
  assert.equal(text(await a.recv(100)), "data");
  assert.deepEqual(await ep.poll(0), []);
});

Deno.test("epoll() with EPOLLET reports a readiness once until new data arrives", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using ep = epoll();
  ep.register(a, EPOLLIN | EPOLLET);
  await b.sendall("one");
  assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
  assert.deepEqual(await ep.poll(0), []);
  assert.deepEqual(await ep.poll(0.1), []);
  // New data is a new edge, even though the old data is still unread.
  await b.sendall("two");
  assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
  assert.deepEqual(await ep.poll(0), []);
  a.setblocking(false);
  let got = "";
  for (let i = 0; i < 10 && got.length < 6; i++) {
    got += text(await a.recv(100));
  }
  assert.equal(got, "onetwo");
});

Deno.test("epoll() with EPOLLONESHOT reports once, then nothing until modify()", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using ep = epoll();
  ep.register(a, EPOLLIN | EPOLLONESHOT);
  await b.sendall("x");
  assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
  await b.sendall("y");
  assert.deepEqual(await ep.poll(0.1), []);
  // Still registered: registering again is EEXIST.
  assert.throws(() => ep.register(a, EPOLLIN), FileExistsError);
  ep.modify(a, EPOLLIN | EPOLLONESHOT);
  assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
  assert.deepEqual(await ep.poll(0), []);
});

Deno.test("epoll.poll() reports EPOLLOUT while writable and not once the peer stops reading", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  a.setblocking(false);
  using ep = epoll();
  ep.register(a, EPOLLOUT | EPOLLET);
  assert.deepEqual(await ep.poll(0), [[a.fileno(), EPOLLOUT]]);
  const queued = await fill(a);
  assert.deepEqual(await ep.poll(0.2), []);
  const waiting = ep.poll(10);
  let got = 0;
  for (let i = 0; i < 100_000 && got < queued; i++) {
    got += (await b.recv(1 << 20)).length;
  }
  assert.deepEqual(await waiting, [[a.fileno(), EPOLLOUT]]);
});

Deno.test("epoll.poll() reports EPOLLIN at EOF; recv() then returns an empty array", async () => {
  const pair = await connected();
  try {
    using ep = epoll();
    ep.register(pair.conn.fileno(), EPOLLIN);
    await pair.client.close();
    assert.deepEqual(await ep.poll(5), [[pair.conn.fileno(), EPOLLIN]]);
    assert.equal((await pair.conn.recv(10)).length, 0);
  } finally {
    await pair.close();
  }
});

Deno.test("epoll.poll() takes seconds and maxevents", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using ep = epoll();
  ep.register(a, EPOLLOUT);
  ep.register(b, EPOLLOUT);
  assert.equal((await ep.poll(1, 1)).length, 1);
  assert.equal((await ep.poll(1)).length, 2);
  ep.modify(a, EPOLLIN);
  ep.modify(b, EPOLLIN);
  const t0 = performance.now();
  assert.deepEqual(await ep.poll(0.2), []);
  const took = performance.now() - t0;
  assert.ok(took >= 190 && took < 5000, `waited ${took} ms`);
  await assert.rejects(ep.poll(0, 0), {
    name: "RangeError",
    message: "Cannot poll: maxevents must be greater than 0, got 0",
  });
  await assert.rejects(ep.poll(0, -2), RangeError);
});

Deno.test("epoll.poll() with maxevents takes turns among ready objects", async () => {
  using a = new FakeSource(EV_OUT);
  using b = new FakeSource(EV_OUT);
  using c = new FakeSource(EV_OUT);
  using ep = epoll();
  for (const s of [a, b, c]) ep.register(s, EPOLLOUT);
  const seen = [];
  for (let i = 0; i < 3; i++) seen.push((await ep.poll(0, 1))[0]![0]);
  assert.deepEqual(seen.sort(), [a, b, c].map((s) => s.fileno()).sort());
});

Deno.test("epoll.poll() with maxevents reports the ones left out next, beside edge-triggered ones", async () => {
  using a = new FakeSource(EV_OUT);
  using b = new FakeSource(EV_OUT);
  using c = new FakeSource(EV_OUT);
  using d = new FakeSource(EV_OUT);
  using ep = epoll();
  ep.register(a, EPOLLOUT | EPOLLET);
  for (const s of [b, c, d]) ep.register(s, EPOLLOUT);
  const first = (await ep.poll(0, 2)).map(([fd]) => fd);
  assert.deepEqual(first, [a.fileno(), b.fileno()]);
  // a was reported once (edge-triggered); c and d have waited, b has not.
  const second = (await ep.poll(0, 2)).map(([fd]) => fd);
  assert.deepEqual(second, [c.fileno(), d.fileno()]);
  const third = (await ep.poll(0, 2)).map(([fd]) => fd);
  assert.deepEqual(third, [b.fileno(), c.fileno()]);
});

Deno.test("epoll errors are Python's: EEXIST, ENOENT, EBADF", async () => {
  const [a, b] = await socketpair();
  await using _b = b;
  using ep = epoll();
  ep.register(a, EPOLLIN);
  assert.throws(() => ep.register(a.fileno(), EPOLLIN), (err: OSError) => {
    assert.ok(err instanceof FileExistsError);
    assert.equal(err.errno, 17);
    return true;
  });
  assert.throws(() => ep.modify(b, EPOLLIN), (err: OSError) => {
    assert.ok(err instanceof FileNotFoundError);
    assert.equal(err.errno, 2);
    return true;
  });
  assert.throws(() => ep.unregister(b), FileNotFoundError);
  assert.throws(() => ep.register(987654, EPOLLIN), (err: OSError) => {
    assert.equal(err.errno, 9);
    return true;
  });
  assert.throws(() => ep.register({} as never, EPOLLIN), TypeError);
  assert.throws(() => ep.register(-1, EPOLLIN), RangeError);
  assert.throws(
    () => ep.modify(a, EPOLLIN | EPOLLEXCLUSIVE),
    (err: OSError) => {
      assert.equal(err.errno, 22);
      return true;
    },
  );
  // Closing a socket removes it from the set, as on Linux: unregistering its
  // old number is then EBADF, and a new socket may take the number.
  const fd = a.fileno();
  await a.close();
  assert.throws(() => ep.unregister(fd), (err: OSError) => {
    assert.equal(err.errno, 9);
    return true;
  });
  const [c, d] = await socketpair();
  await using _c = c;
  await using _d = d;
  const reused = [c.fileno(), d.fileno()].includes(fd);
  if (reused) {
    assert.throws(() => ep.unregister(fd), FileNotFoundError);
  }
});

Deno.test("epoll() closes: closed, fileno() and use after close throw, as Python's ValueError", async () => {
  const ep = epoll();
  assert.equal(ep.closed, false);
  assert.ok(ep.fileno() >= 3);
  ep.close();
  ep.close();
  assert.equal(ep.closed, true);
  assert.throws(() => ep.fileno(), {
    name: "RangeError",
    message: "Cannot get file number: I/O operation on closed epoll object",
  });
  assert.throws(() => ep.register(0, EPOLLIN), {
    name: "RangeError",
    message: "Cannot register: I/O operation on closed epoll object",
  });
  await assert.rejects(ep.poll(0), RangeError);
});

Deno.test("epoll() refuses a non-integer sizehint with TypeError, unknown flags with OSError EINVAL", () => {
  for (const bad of ["foo", null, [], {}, 1.5]) {
    assert.throws(() => epoll(bad as never), (err: Error) => {
      assert.equal(err.name, "TypeError");
      assert.match(
        err.message,
        /^Cannot create epoll: sizehint must be an integer, received /,
      );
      return true;
    });
  }
  assert.throws(() => epoll(0), RangeError);
  assert.throws(() => epoll(-2), RangeError);
  assert.throws(() => epoll(-1, "x" as never), TypeError);
  for (const flags of [5, 12356, -1]) {
    assert.throws(() => epoll(-1, flags), (err: OSError) => {
      assert.equal(err.name, "OSError");
      assert.equal(err.errno, 22);
      assert.match(err.message, new RegExp(`received ${flags}$`));
      return true;
    });
  }
  epoll(-1, EPOLL_CLOEXEC).close();
  epoll(16, 0).close();
});

Deno.test("epoll.fromfd() opens the same epoll; closing one closes the number for both", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const ep = epoll(2);
  const ep2 = epoll.fromfd(ep.fileno());
  assert.equal(ep2.fileno(), ep.fileno());
  ep2.register(a.fileno(), EPOLLIN | EPOLLOUT);
  ep2.register(b.fileno(), EPOLLIN | EPOLLOUT);
  assert.equal((await ep.poll(1, 4)).length, 2);
  assert.equal((await ep2.poll(1, 4)).length, 2);
  assert.throws(() => ep.register(a, EPOLLIN), FileExistsError);
  ep.close();
  // As on Linux: the other object's number is closed, so EBADF.
  assert.equal(ep2.closed, false);
  await assert.rejects(ep2.poll(1, 4), (err: OSError) => {
    assert.equal(err.errno, 9);
    return true;
  });
  assert.throws(() => ep2.unregister(a), (err: OSError) => {
    assert.equal(err.errno, 9);
    return true;
  });
  ep2.close();
  assert.equal(ep2.closed, true);
  assert.throws(() => epoll.fromfd(a.fileno()), (err: OSError) => {
    assert.equal(err.errno, 22);
    return true;
  });
  assert.throws(() => epoll.fromfd(987654), (err: OSError) => {
    assert.equal(err.errno, 9);
    return true;
  });
  assert.throws(() => epoll.fromfd("3" as never), TypeError);
});

Deno.test("epoll() closing wakes a waiting poll()", async () => {
  const ep = epoll();
  using src = new FakeSource();
  ep.register(src, EPOLLIN);
  const waiting = ep.poll();
  ep.close();
  assert.deepEqual(await waiting, []);
  assert.equal(src.listeners.size, 0);
});

Deno.test("epoll() has its own selectable number, readable while something is ready", async () => {
  await using ep = epoll();
  using src = new FakeSource();
  ep.register(src, EPOLLIN);
  assert.deepEqual(await select([ep], [], [], 0), [[], [], []]);
  const waiting = select([ep], [], [], 5);
  src.set(EV_IN);
  assert.deepEqual(await waiting, [[ep], [], []]);
  assert.deepEqual(await ep.poll(0), [[src.fileno(), EPOLLIN]]);
  src.set(0, 0); // consumed: the epoll is not readable any more
  assert.deepEqual(await select([ep], [], [], 0), [[], [], []]);
});

Deno.test("epoll() reports EPOLLERR and EPOLLHUP without being asked", async () => {
  using ep = epoll();
  using src = new FakeSource();
  ep.register(src, EPOLLIN);
  src.set(EV_HUP | 8);
  assert.deepEqual(await ep.poll(0), [[src.fileno(), EPOLLERR | EPOLLHUP]]);
});

Deno.test("epoll.poll() costs work for the ready objects only", async () => {
  using ep = epoll();
  const idle = Array.from({ length: 1000 }, () => new FakeSource());
  try {
    for (const s of idle) ep.register(s, EPOLLIN | EPOLLOUT);
    using ready = new FakeSource();
    ep.register(ready, EPOLLIN);
    for (const s of idle) s.polls = 0;
    const waiting = ep.poll(5);
    ready.set(EV_IN);
    assert.deepEqual(await waiting, [[ready.fileno(), EPOLLIN]]);
    assert.deepEqual(await ep.poll(0), [[ready.fileno(), EPOLLIN]]);
    // No idle source was looked at.
    assert.equal(idle.reduce((n, s) => n + s.polls, 0), 0);
  } finally {
    for (const s of idle) s.close();
  }
});

Deno.test("epoll() waits with no timer while idle and forever without a timeout", async () => {
  using ep = epoll();
  using src = new FakeSource();
  ep.register(src, EPOLLIN);
  let done = false;
  const waiting = ep.poll(-1).then((r) => {
    done = true;
    return r;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(done, false);
  src.set(EV_IN);
  assert.deepEqual(await waiting, [[src.fileno(), EPOLLIN]]);
});

Deno.test("poll() reports POLLIN, POLLOUT and takes milliseconds", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const p = poll();
  p.register(a, POLLIN);
  p.register(b.fileno()); // POLLIN | POLLPRI | POLLOUT
  assert.deepEqual(await p.poll(1000), [[b.fileno(), POLLOUT]]);
  p.modify(b, POLLIN);
  const t0 = performance.now();
  assert.deepEqual(await p.poll(150), []);
  assert.ok(performance.now() - t0 >= 140);
  await b.sendall("z");
  assert.deepEqual(await p.poll(5000), [[a.fileno(), POLLIN]]);
  // Registering again replaces the mask, as in Python.
  p.register(a, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
  assert.deepEqual(await p.poll(0), [[
    a.fileno(),
    POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
  ]]);
  p.unregister(a);
  p.unregister(b);
  assert.throws(() => p.unregister(a), KeyError);
  assert.throws(() => p.modify(a, POLLIN), FileNotFoundError);
});

Deno.test("poll() reports POLLNVAL for a number nothing holds, and POLLHUP once closed", async () => {
  const p = poll();
  p.register(987654, POLLIN);
  assert.deepEqual(await p.poll(0), [[987654, POLLNVAL]]);
  p.unregister(987654);
  const src = new FakeSource();
  const fd = src.fileno();
  p.register(fd, POLLIN);
  assert.deepEqual(await p.poll(0), []);
  src.close();
  assert.deepEqual(await p.poll(0), [[fd, POLLNVAL]]);
  p.unregister(fd);
});

Deno.test("poll.poll() with null or a negative timeout waits until ready", async () => {
  using src = new FakeSource();
  const p = poll();
  p.register(src, POLLOUT);
  const waiting = p.poll(null);
  setTimeout(() => src.set(EV_OUT), 30);
  assert.deepEqual(await waiting, [[src.fileno(), POLLOUT]]);
  p.modify(src, POLLIN);
  const again = p.poll(-1);
  setTimeout(() => src.set(EV_IN | EV_OUT, EV_IN), 30);
  assert.deepEqual(await again, [[src.fileno(), POLLIN]]);
  p.unregister(src);
  assert.equal(src.listeners.size, 0);
});

Deno.test("poll.poll() rejects a timeout beyond 2**31 - 1 ms with RangeError, as Python's OverflowError", async () => {
  using src = new FakeSource(EV_OUT);
  const p = poll();
  p.register(src, POLLOUT);
  for (const bad of [2 ** 64, 2 ** 31, 2 ** 31 - 0.5, Infinity]) {
    await assert.rejects(p.poll(bad), {
      name: "RangeError",
      message:
        `Cannot poll: timeout must be at most 2147483647 ms, received ${bad}`,
    });
  }
  assert.deepEqual(await p.poll(2 ** 31 - 1), [[src.fileno(), POLLOUT]]);
  p.unregister(src);
});

Deno.test("epoll.poll() and select() of a selector reject a timeout beyond 2**31 - 1 ms", async () => {
  using src = new FakeSource(EV_OUT);
  using ep = epoll();
  ep.register(src, EPOLLOUT);
  await assert.rejects(ep.poll(2 ** 64), {
    name: "RangeError",
    message: `Cannot poll: timeout must be at most 2147483.647 s, received ${
      2 ** 64
    }`,
  });
  await assert.rejects(ep.poll(2147483.648), RangeError);
  assert.equal((await ep.poll(2147483.647)).length, 1);
  using sel = new DefaultSelector();
  sel.register(src, EVENT_WRITE);
  await assert.rejects(sel.select(2 ** 31), {
    name: "RangeError",
    message: `Cannot select: timeout must be at most 2147483.647 s, received ${
      2 ** 31
    }`,
  });
  await assert.rejects(sel.select(Infinity), RangeError);
  assert.equal((await sel.select(2147483.647)).length, 1);
});

Deno.test("poll.register() and modify() refuse a negative or wider than 16-bit eventmask", () => {
  using src = new FakeSource();
  const p = poll();
  for (const bad of [-1, 0x10000, 2 ** 64]) {
    assert.throws(() => p.register(src, bad), {
      name: "RangeError",
      message: `Cannot register: eventmask must be 0-65535, received ${bad}`,
    });
  }
  p.register(src, 0xffff);
  for (const bad of [-1, EPOLLET, 0x10000]) {
    assert.throws(() => p.modify(src, bad), {
      name: "RangeError",
      message: `Cannot modify: eventmask must be 0-65535, received ${bad}`,
    });
  }
  p.unregister(src);
});

Deno.test("poll.poll() rejects with RuntimeError while another poll() of the same object waits", async () => {
  using src = new FakeSource();
  const p = poll();
  p.register(src, POLLIN);
  const waiting = p.poll(5000);
  await assert.rejects(p.poll(0), (err: Error) => {
    assert.ok(err instanceof RuntimeError);
    assert.equal(err.name, "RuntimeError");
    assert.equal(err.message, "concurrent poll() invocation");
    return true;
  });
  // Another poll object is not concerned.
  assert.deepEqual(await poll().poll(0), []);
  src.set(EV_IN);
  assert.deepEqual(await waiting, [[src.fileno(), POLLIN]]);
  assert.deepEqual(await p.poll(0), [[src.fileno(), POLLIN]]);
  p.unregister(src);
});

Deno.test("epoll() with EPOLLET after sendall() reports EPOLLIN | EPOLLOUT for the receiver only, as Linux", async () => {
  const tcp = await connected();
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  try {
    for (const blocking of [true, false]) {
      for (const [sender, receiver] of [[tcp.client, tcp.conn], [a, b]]) {
        using ep = epoll();
        const mask = EPOLLIN | EPOLLOUT | EPOLLET;
        ep.register(sender!, mask);
        ep.register(receiver!, mask);
        const first = (await ep.poll(1, 4)).map(([fd]) => fd).sort();
        assert.deepEqual(first, [sender!.fileno(), receiver!.fileno()].sort());
        assert.deepEqual(await ep.poll(0.1, 4), []);
        sender!.setblocking(blocking);
        await sender!.sendall("Hello!");
        const at = `${blocking ? "" : "non-"}blocking fd ${sender!.fileno()}`;
        assert.deepEqual(
          await ep.poll(1, 4),
          [[receiver!.fileno(), EPOLLIN | EPOLLOUT]],
          at,
        );
        // The bytes left the sender's queue: that is no new room to write.
        assert.deepEqual(await ep.poll(0.3, 4), [], at);
        sender!.setblocking(true);
        assert.equal(text(await receiver!.recv(64)), "Hello!");
      }
    }
  } finally {
    await tcp.close();
  }
});

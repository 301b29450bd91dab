import assert from "node:assert/strict";
import {
  BaseSelector,
  DefaultSelector,
  EpollSelector,
  EVENT_READ,
  EVENT_WRITE,
  KeyError,
  PollSelector,
  SelectorKey,
  SelectSelector,
} from "../../mux/mod.ts";
import { EV_ERR, EV_IN, EV_OUT, type Socket } from "./_net.ts";
import { FakeSource } from "./_fake.ts";
import { connected, fill, socketpair, text } from "./_util.ts";

Deno.test("EVENT_READ and EVENT_WRITE are 1 and 2", () => {
  assert.equal(EVENT_READ, 1);
  assert.equal(EVENT_WRITE, 2);
});

Deno.test("DefaultSelector is an EpollSelector; every name is a BaseSelector", () => {
  for (
    const Cls of [DefaultSelector, EpollSelector, PollSelector, SelectSelector]
  ) {
    using sel = new Cls();
    assert.ok(sel instanceof BaseSelector);
  }
  using sel = new DefaultSelector();
  assert.ok(sel instanceof EpollSelector);
});

Deno.test("register() returns a SelectorKey {fileobj, fd, events, data}", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector<string>();
  const key = sel.register(a, EVENT_READ | EVENT_WRITE, "state");
  assert.ok(key instanceof SelectorKey);
  assert.equal(key.fileobj, a);
  assert.equal(key.fd, a.fileno());
  assert.equal(key.events, EVENT_READ | EVENT_WRITE);
  assert.equal(key.data, "state");
  assert.equal(sel.get_key(a), key);
  assert.equal(sel.get_key(a.fileno()), key);
  const intkey = sel.register(b.fileno(), EVENT_READ);
  assert.equal(intkey.fileobj, b.fileno());
  assert.equal(intkey.data, undefined);
});

Deno.test("select() reports EVENT_READ and EVENT_WRITE with the key", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector();
  const ka = sel.register(a, EVENT_READ);
  const kb = sel.register(b, EVENT_READ | EVENT_WRITE);
  assert.deepEqual(await sel.select(0), [[kb, EVENT_WRITE]]);
  sel.modify(b, EVENT_READ);
  assert.deepEqual(await sel.select(0), []);
  await b.sendall("ping");
  assert.deepEqual(await sel.select(), [[ka, EVENT_READ]]);
  assert.equal(text(await a.recv(100)), "ping");
  assert.deepEqual(await sel.select(0), []);
});

Deno.test("select() with a timeout returns [] when nothing happens; negative polls", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector();
  sel.register(a, EVENT_READ);
  const t0 = performance.now();
  assert.deepEqual(await sel.select(0.15), []);
  assert.ok(performance.now() - t0 >= 140);
  const t1 = performance.now();
  assert.deepEqual(await sel.select(-1), []);
  assert.ok(performance.now() - t1 < 100);
});

Deno.test("select() says a listening socket is readable with a connection pending", async () => {
  const pair = await connected();
  try {
    pair.server.setblocking(false);
    using sel = new DefaultSelector();
    sel.register(pair.server, EVENT_READ);
    assert.deepEqual(await sel.select(0), []);
    const { create_connection } = await import("./_net.ts");
    await using _second = await create_connection(
      pair.server.getsockname() as [string, number],
    );
    const [[key, events]] = (await sel.select(5)) as [[SelectorKey, number]];
    assert.equal(key.fileobj, pair.server);
    assert.equal(events, EVENT_READ);
    const [conn] = await pair.server.accept(); // would throw BlockingIOError
    await conn.close();
  } finally {
    await pair.close();
  }
});

Deno.test("select() stops reporting EVENT_WRITE once the peer stops reading", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  a.setblocking(false);
  using sel = new DefaultSelector();
  const key = sel.register(a, EVENT_WRITE);
  assert.deepEqual(await sel.select(0), [[key, EVENT_WRITE]]);
  const queued = await fill(a);
  assert.deepEqual(await sel.select(0.2), []);
  const waiting = sel.select(10);
  let got = 0;
  for (let i = 0; i < 100_000 && got < queued; i++) {
    got += (await b.recv(1 << 20)).length;
  }
  assert.deepEqual(await waiting, [[key, EVENT_WRITE]]);
});

Deno.test("an error counts as both events, within what the key watches", async () => {
  using src = new FakeSource(EV_OUT);
  using sel = new DefaultSelector();
  const key = sel.register(src, EVENT_READ);
  assert.deepEqual(await sel.select(0), []);
  src.set(EV_OUT | EV_ERR);
  assert.deepEqual(await sel.select(0), [[key, EVENT_READ]]);
  const both = sel.modify(src, EVENT_READ | EVENT_WRITE);
  assert.deepEqual(await sel.select(0), [[both, EVENT_READ | EVENT_WRITE]]);
});

Deno.test("register() twice gives KeyError with Python's message", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector();
  sel.register(a, EVENT_READ);
  assert.throws(
    () => sel.register(a, EVENT_WRITE),
    (err: Error) => {
      assert.ok(err instanceof KeyError);
      assert.equal(err.name, "KeyError");
      assert.ok(
        err.message.endsWith(`(FD ${a.fileno()}) is already registered`),
        err.message,
      );
      return true;
    },
  );
  assert.throws(() => sel.register(a.fileno(), EVENT_READ), KeyError);
});

Deno.test("events 0 or unknown bits give RangeError", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector();
  assert.throws(() => sel.register(a, 0), {
    name: "RangeError",
    message: "Invalid events: 0",
  });
  assert.throws(() => sel.register(a, 4), {
    name: "RangeError",
    message: "Invalid events: 4",
  });
  sel.register(a, EVENT_READ);
  assert.throws(() => sel.modify(a, 0), RangeError);
  assert.throws(() => sel.register(b, "1" as unknown as number), TypeError);
});

Deno.test("modify, unregister and get_key of an unknown object give KeyError", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector();
  assert.throws(() => sel.modify(a, EVENT_READ), KeyError);
  assert.throws(() => sel.unregister(a), {
    name: "KeyError",
    message: `${a} is not registered`,
  });
  assert.throws(() => sel.get_key(b.fileno()), {
    name: "KeyError",
    message: `${b.fileno()} is not registered`,
  });
});

Deno.test("register() refuses closed sockets and non-file objects", async () => {
  const [a, b] = await socketpair();
  await using _b = b;
  await a.close();
  using sel = new DefaultSelector();
  assert.throws(() => sel.register(a, EVENT_READ), {
    name: "RangeError",
    message: "Invalid file descriptor: -1",
  });
  assert.throws(() => sel.register({} as never, EVENT_READ), TypeError);
  assert.throws(() => sel.register(987654, EVENT_READ), (err: Error) => {
    assert.equal((err as unknown as { errno: number }).errno, 9);
    return true;
  });
});

Deno.test("modify() replaces data, even when omitted, and returns the new key", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector<string>();
  const k1 = sel.register(a, EVENT_READ, "one");
  const k2 = sel.modify(a, EVENT_READ, "one");
  assert.equal(k2, k1);
  const k3 = sel.modify(a, EVENT_READ, "two");
  assert.notEqual(k3, k1);
  assert.equal(k3.data, "two");
  const k4 = sel.modify(a, EVENT_WRITE);
  assert.equal(k4.data, undefined);
  assert.equal(k4.events, EVENT_WRITE);
  assert.equal(sel.get_key(a), k4);
});

Deno.test("modify() of a socket closed since throws OSError EBADF and drops its key", async () => {
  const [a, b] = await socketpair();
  await using _b = b;
  using sel = new DefaultSelector();
  const kept = sel.register(b, EVENT_READ);
  sel.register(a, EVENT_READ);
  await a.close();
  assert.throws(() => sel.modify(a, EVENT_WRITE), (err: Error) => {
    assert.equal(err.name, "OSError");
    assert.equal((err as unknown as { errno: number }).errno, 9);
    return true;
  });
  assert.deepEqual([...sel.get_map().values()], [kept]);
  // As in Python: a closed socket no longer found by identity is a bad fd.
  assert.throws(() => sel.get_key(a), RangeError);
});

Deno.test("unregister() returns the key; works on a socket closed since", async () => {
  const [a, b] = await socketpair();
  await using _b = b;
  using sel = new DefaultSelector();
  const key = sel.register(a, EVENT_READ);
  await a.close();
  assert.equal(sel.unregister(a), key);
  assert.equal(sel.get_map().size, 0);
  assert.throws(() => sel.unregister(a), RangeError);
});

Deno.test("get_map() is a live view looked up by file object or number, iterating file numbers", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  using sel = new DefaultSelector();
  const map = sel.get_map();
  assert.equal(map.size, 0);
  const ka = sel.register(a, EVENT_READ);
  const kb = sel.register(b.fileno(), EVENT_WRITE);
  assert.equal(map.size, 2);
  assert.equal(map.get(a), ka);
  assert.equal(map.get(a.fileno()), ka);
  assert.equal(map.get(b.fileno()), kb);
  assert.ok(map.has(b));
  // As CPython's mapping: iteration and keys() give the file numbers.
  assert.deepEqual([...map], [a.fileno(), b.fileno()]);
  assert.deepEqual([...map.keys()], [a.fileno(), b.fileno()]);
  assert.deepEqual([...map.values()], [ka, kb]);
  assert.deepEqual([...map.entries()], [[a.fileno(), ka], [b.fileno(), kb]]);
  sel.unregister(a);
  assert.equal(map.get(a), undefined);
});

Deno.test("use after close throws; close() is idempotent and unwatches", async () => {
  using src = new FakeSource();
  const sel = new DefaultSelector();
  sel.register(src, EVENT_READ);
  assert.equal(src.listeners.size, 1);
  sel.close();
  sel.close();
  assert.equal(sel.closed, true);
  assert.equal(src.listeners.size, 0);
  assert.throws(() => sel.register(src, EVENT_READ), {
    name: "RangeError",
    message: "Cannot register: the selector is closed",
  });
  assert.throws(() => sel.unregister(src), RangeError);
  assert.throws(() => sel.modify(src, EVENT_READ), RangeError);
  assert.throws(() => sel.get_key(src), RangeError);
  assert.throws(() => sel.get_map(), RangeError);
  await assert.rejects(sel.select(0), RangeError);
});

Deno.test("await using closes the selector", async () => {
  let outer: DefaultSelector | undefined;
  {
    await using sel = new DefaultSelector();
    outer = sel;
  }
  assert.equal(outer.closed, true);
});

Deno.test("select() looks at ready objects only: idle ones cost nothing", async () => {
  using sel = new DefaultSelector();
  const idle = Array.from({ length: 1000 }, () => new FakeSource());
  try {
    for (const s of idle) sel.register(s, EVENT_READ | EVENT_WRITE);
    using ready = new FakeSource();
    const key = sel.register(ready, EVENT_READ);
    for (const s of idle) s.polls = 0;
    const waiting = sel.select();
    setTimeout(() => ready.set(EV_IN), 10);
    assert.deepEqual(await waiting, [[key, EVENT_READ]]);
    assert.equal(idle.reduce((n, s) => n + s.polls, 0), 0);
  } finally {
    for (const s of idle) s.close();
  }
});

Deno.test("a selector serves many sockets at once (echo)", async () => {
  const { create_server, create_connection } = await import("./_net.ts");
  await using server = create_server(["127.0.0.1", 0]);
  server.setblocking(false);
  using sel = new DefaultSelector<"accept" | "echo">();
  sel.register(server, EVENT_READ, "accept");
  const clients: Socket[] = [];
  for (let i = 0; i < 5; i++) {
    clients.push(
      await create_connection(server.getsockname() as [string, number]),
    );
  }
  const conns: Socket[] = [];
  const replies = clients.map(async (c, i) => {
    await c.sendall(`hello ${i}`);
    return text(await c.recv(100));
  });
  let answered = 0;
  for (let round = 0; round < 100 && answered < 5; round++) {
    for (const [key] of await sel.select(5)) {
      if (key.data === "accept") {
        const [conn] = await server.accept();
        conn.setblocking(false);
        conns.push(conn);
        sel.register(conn, EVENT_READ, "echo");
      } else {
        const conn = key.fileobj as Socket;
        const data = await conn.recv(100);
        if (data.length > 0) {
          await conn.sendall(data);
          answered++;
        }
      }
    }
  }
  assert.deepEqual(
    await Promise.all(replies),
    [0, 1, 2, 3, 4].map((i) => `hello ${i}`),
  );
  for (const c of [...clients, ...conns]) await c.close();
});

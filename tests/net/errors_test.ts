/**
 * OS failures surface as Python's OSError subclasses with the Linux errno and
 * Deno's error as `cause`; bad arguments throw TypeError or RangeError naming
 * the argument and the value. Loopback only, port 0.
 */
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  create_connection,
  create_server,
  error,
  gaierror,
  herror,
  InterruptedError,
  IPPROTO_TCP,
  MSG_PEEK,
  OSError,
  PermissionError,
  setdefaulttimeout,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_ERROR,
  SO_REUSEADDR,
  SOCK_STREAM,
  Socket,
  socket,
  SOL_SOCKET,
  timeout,
  TimeoutError,
} from "../../net/mod.ts";
import { _to_oserror } from "../../net/_map_error.ts";
import {
  bounded,
  closedPort,
  delay,
  LOOP,
  Python,
  recvAll,
  tcpTrio,
} from "./_helpers.ts";

/** Asserts `err` is an OSError of `Class` with `errno`. */
function isOSError(
  err: unknown,
  Class: abstract new (...args: never[]) => OSError,
  errno: number,
): asserts err is OSError {
  assert.ok(err instanceof Class, `expected ${Class.name}, got ${err}`);
  assert.equal(err.errno, errno, String(err));
}

/** Asserts `err` is `Class` and its message names every `parts`. */
function names(
  Class: typeof TypeError | typeof RangeError,
  ...parts: string[]
): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err}`);
    for (const part of parts) {
      assert.ok(err.message.includes(part), `"${part}" not in: ${err.message}`);
    }
    return true;
  };
}

// ---- the error classes ----

Deno.test("OSError subclasses carry Python's names, errno and message", () => {
  const cases: [OSError, string, number, string][] = [
    [
      new ConnectionRefusedError(),
      "ConnectionRefusedError",
      111,
      "Connection refused",
    ],
    [
      new ConnectionResetError(),
      "ConnectionResetError",
      104,
      "Connection reset by peer",
    ],
    [
      new ConnectionAbortedError(),
      "ConnectionAbortedError",
      103,
      "Software caused connection abort",
    ],
    [new BrokenPipeError(), "BrokenPipeError", 32, "Broken pipe"],
    [
      new BlockingIOError(),
      "BlockingIOError",
      11,
      "Resource temporarily unavailable",
    ],
    [new TimeoutError(), "TimeoutError", 110, "timed out"],
    [new InterruptedError(), "InterruptedError", 4, "Interrupted system call"],
    [new PermissionError(), "PermissionError", 13, "Permission denied"],
  ];
  for (const [err, name, errno, strerror] of cases) {
    assert.ok(err instanceof OSError && err instanceof Error);
    assert.equal(err.name, name);
    assert.equal(err.errno, errno);
    assert.equal(err.strerror, strerror);
    assert.equal(err.message, `[Errno ${errno}] ${strerror}`);
  }
  for (
    const E of [ConnectionRefusedError, ConnectionResetError, BrokenPipeError]
  ) {
    assert.ok(new E() instanceof ConnectionError);
  }
  assert.equal(timeout, TimeoutError);
  assert.equal(error, OSError);
  assert.ok(new gaierror(-2, "Name or service not known") instanceof OSError);
  assert.ok(new herror(1, "Unknown host") instanceof OSError);
  const cause = new Error("inner");
  assert.equal(new OSError(22, undefined, { cause }).cause, cause);
  assert.equal(new OSError(22).message, "[Errno 22] Invalid argument");
});

Deno.test("_to_oserror() maps Deno's plain 'Message too long (os error 90)' to errno 90", () => {
  const plain = new Error("Message too long (os error 90)");
  const mapped = _to_oserror(plain);
  assert.ok(mapped instanceof OSError);
  assert.equal(mapped.errno, 90);
  assert.equal(mapped.cause, plain);
  const worded = _to_oserror(new Error("message too long"));
  assert.equal(worded.errno, 90);
});

Deno.test("_to_oserror() maps by code, then by class, then by message", () => {
  const coded = Object.assign(new Error("x"), { code: "ECONNREFUSED" });
  isOSError(_to_oserror(coded), ConnectionRefusedError, 111);
  const reset = new Deno.errors.ConnectionReset("gone");
  const r = _to_oserror(reset);
  isOSError(r, ConnectionResetError, 104);
  assert.equal(r.cause, reset);
  isOSError(_to_oserror(new Deno.errors.AddrInUse("x")), OSError, 98);
  isOSError(_to_oserror(new Deno.errors.BrokenPipe("x")), BrokenPipeError, 32);
  isOSError(_to_oserror(new Deno.errors.TimedOut("x")), TimeoutError, 110);
  isOSError(_to_oserror(new Deno.errors.WouldBlock("x")), BlockingIOError, 11);
  isOSError(
    _to_oserror(new Error("dns error: failed to lookup address")),
    gaierror,
    -2,
  );
  const same = new ConnectionResetError();
  assert.equal(_to_oserror(same), same);
});

// ---- OS failures from real sockets ----

Deno.test("connect() to a closed port rejects with ConnectionRefusedError 111, Deno's error as cause", async () => {
  const addr = await closedPort();
  await using s = socket();
  await assert.rejects(s.connect(addr), (err: unknown) => {
    isOSError(err, ConnectionRefusedError, 111);
    assert.ok(err instanceof ConnectionError);
    assert.ok(
      err.cause instanceof Deno.errors.ConnectionRefused,
      String(err.cause),
    );
    assert.match(err.message, /^\[Errno 111\] /);
    return true;
  });
  // In timeout mode too.
  await using t = socket();
  t.settimeout(2);
  await assert.rejects(t.connect(addr), ConnectionRefusedError);
});

Deno.test("connect_ex() to a closed port returns 111, and 0 on success", async () => {
  const addr = await closedPort();
  await using s = socket();
  assert.equal(await s.connect_ex(addr), 111);
  await using server = create_server([LOOP, 0]);
  await using ok = socket();
  assert.equal(await ok.connect_ex(server.getsockname()), 0);
  (await server.accept())[0].close();
});

Deno.test("a non-blocking connect() to a closed port reports 111 through SO_ERROR", async () => {
  const addr = await closedPort();
  await using s = socket();
  s.setblocking(false);
  await assert.rejects(s.connect(addr), (err: unknown) => {
    isOSError(err, BlockingIOError, 115);
    return true;
  });
  let soError = 0;
  for (let i = 0; i < 250 && soError === 0; i++) {
    await delay(20);
    soError = s.getsockopt(SOL_SOCKET, SO_ERROR);
  }
  assert.equal(soError, 111);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_ERROR), 0); // cleared when read
  assert.throws(() => s.getpeername(), (err: unknown) => {
    isOSError(err, OSError, 107);
    return true;
  });
});

Deno.test("create_connection() to a closed port rejects with ConnectionRefusedError 111", async () => {
  const addr = await closedPort();
  await assert.rejects(create_connection(addr), (err: unknown) => {
    isOSError(err, ConnectionRefusedError, 111);
    assert.ok(err.cause instanceof Deno.errors.ConnectionRefused);
    return true;
  });
});

Deno.test("a second bind() on a used port fails at bind with errno 98, Deno's AddrInUse as cause", async () => {
  await using a = socket();
  a.bind([LOOP, 0]);
  const addr = a.getsockname() as [string, number];
  await using b = socket();
  assert.throws(() => b.bind(addr), (err: unknown) => {
    isOSError(err, OSError, 98);
    assert.ok(err.cause instanceof Deno.errors.AddrInUse, String(err.cause));
    assert.match(err.message, /Address already in use/);
    return true;
  });
  // b is still usable after the failed bind.
  b.bind([LOOP, 0]);
  assert.notDeepEqual(b.getsockname(), addr);
});

Deno.test("bind() twice throws OSError EINVAL; accept() when not listening throws EINVAL", async () => {
  await using s = socket();
  s.bind([LOOP, 0]);
  assert.throws(() => s.bind([LOOP, 0]), (err: unknown) => {
    isOSError(err, OSError, 22);
    return true;
  });
  await using fresh = socket();
  await assert.rejects(fresh.accept(), (err: unknown) => {
    isOSError(err, OSError, 22);
    return true;
  });
});

Deno.test("connect() on a connected socket throws EISCONN 106", async () => {
  await using t = await tcpTrio();
  await assert.rejects(t.client.connect(t.addr), (err: unknown) => {
    isOSError(err, OSError, 106);
    return true;
  });
});

// A python3 peer that connects, waits until accepted (we send "go"), sends
// a little, and resets (SO_LINGER 0).
const RESETTER = `
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
assert s.recv(2) == b"go"
s.sendall(b"last words")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("reset", flush=True)
`;

for (const mode of ["blocking", "timeout"] as const) {
  Deno.test(`recv() after the peer reset rejects with ConnectionResetError 104 (${mode})`, async () => {
    await using server = create_server([LOOP, 0]);
    const [, port] = server.getsockname() as [string, number];
    await using py = new Python(RESETTER, [String(port)]);
    const [conn] = await server.accept();
    await using _ = conn;
    await conn.sendall("go");
    assert.equal(await py.line(), "reset");
    assert.equal(await py.exit(), 0);
    await delay(50);
    if (mode === "timeout") conn.settimeout(5);
    // Linux drops unread data on RST: the first recv may fail at once, or
    // after the bytes that made it; never a clean EOF.
    let failure: unknown = null;
    for (let i = 0; i < 10 && failure === null; i++) {
      try {
        const got = await bounded(conn.recv(1024), 10_000, "recv");
        assert.ok(got.length > 0, "recv() returned EOF instead of a reset");
      } catch (err) {
        failure = err;
      }
    }
    isOSError(failure, ConnectionResetError, 104);
    assert.ok(
      (failure as OSError).cause instanceof Deno.errors.ConnectionReset,
      String((failure as OSError).cause),
    );
    // Sending on the reset connection fails too, as on Linux (EPIPE).
    await assert.rejects(
      bounded(conn.sendall("x"), 5000, "sendall"),
      (err: unknown) => {
        assert.ok(
          err instanceof BrokenPipeError || err instanceof ConnectionResetError,
          String(err),
        );
        return true;
      },
    );
  });
}

for (const mode of ["blocking", "timeout", "non-blocking"] as const) {
  Deno.test(`sendall() after the peer is gone throws BrokenPipeError or ConnectionResetError (${mode})`, async () => {
    await using t = await tcpTrio();
    await t.conn.close();
    if (mode === "timeout") t.client.settimeout(5);
    const chunk = new Uint8Array(64 * 1024);
    let failure: unknown = null;
    for (let i = 0; i < 400 && failure === null; i++) {
      try {
        await bounded(t.client.sendall(chunk), 10_000, "sendall");
      } catch (err) {
        if (mode === "non-blocking" && err instanceof BlockingIOError) {
          await delay(5);
          continue;
        }
        failure = err;
      }
      if (mode === "non-blocking") t.client.setblocking(false);
      await delay(1);
    }
    assert.ok(
      failure instanceof BrokenPipeError ||
        failure instanceof ConnectionResetError,
      `expected BrokenPipeError or ConnectionResetError, got ${failure}`,
    );
    assert.ok([32, 104].includes(failure.errno));
    assert.ok(failure.cause !== undefined, "no cause");
  });
}

Deno.test("recv(), send() and the rest on a closed socket throw OSError EBADF (9)", async () => {
  const t = await tcpTrio();
  await t.client.close();
  const c = t.client;
  const ebadf = (err: unknown) => {
    isOSError(err, OSError, 9);
    return true;
  };
  await assert.rejects(c.recv(10), ebadf);
  await assert.rejects(c.recv_into(new Uint8Array(4)), ebadf);
  await assert.rejects(async () => await c.send("x"), ebadf);
  await assert.rejects(c.sendall("x"), ebadf);
  await assert.rejects(c.connect(t.addr), ebadf);
  await assert.rejects(c.accept(), ebadf);
  assert.throws(() => c.bind([LOOP, 0]), ebadf);
  assert.throws(() => c.listen(), ebadf);
  assert.throws(() => c.getsockname(), ebadf);
  assert.throws(() => c.getpeername(), ebadf);
  assert.throws(() => c.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1), ebadf);
  await assert.rejects(c.shutdown(SHUT_RDWR), ebadf);
  await t[Symbol.asyncDispose]();
});

// Linux hands over a connection reset while it waited in the accept queue
// (its recv() then fails with ECONNRESET); Deno's accept fails with ENOTCONN
// instead, which must not reach the caller as an accept() error.
Deno.test("accept() does not fail because a queued client reset before it was accepted", async () => {
  await using server = create_server([LOOP, 0]);
  const [, port] = server.getsockname() as [string, number];
  await using py = new Python(
    `
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("reset", flush=True)
`,
    [String(port)],
  );
  assert.equal(await py.line(), "reset");
  await delay(100);
  await using late = await create_connection([LOOP, port]);
  const got = await bounded(
    server.accept().then((pair) => pair, (err) => err),
    5000,
    "accept",
  );
  assert.ok(Array.isArray(got), `accept() rejected: ${got}`);
  const [conn, addr] = got as [Socket, unknown];
  await using _ = conn;
  if (JSON.stringify(addr) !== JSON.stringify(late.getsockname())) {
    // The reset connection itself, as Linux gives it: recv() reports it.
    await assert.rejects(conn.recv(10), ConnectionResetError);
  }
});

Deno.test("close() makes a pending recv() and accept() reject with OSError instead of hanging", async () => {
  await using t = await tcpTrio();
  const blocking = t.conn.recv(10).then(() => null, (err) => err);
  await delay(20);
  await t.conn.close();
  isOSError(await bounded(blocking, 5000, "recv"), OSError, 9);

  // In timeout mode, on a socket whose peer is still open.
  await using u = await tcpTrio();
  u.client.settimeout(30);
  const timed = u.client.recv(10).then(() => null, (err) => err);
  await delay(20);
  await u.client.close();
  isOSError(await bounded(timed, 5000, "recv"), OSError, 9);

  const accepting = t.server.accept().then(() => null, (err) => err);
  await delay(20);
  await t.server.close();
  const err = await bounded(accepting, 5000, "accept");
  assert.ok(err instanceof OSError, String(err));
});

Deno.test("send() after shutdown(SHUT_WR) throws BrokenPipeError 32", async () => {
  await using t = await tcpTrio();
  await t.client.shutdown(SHUT_WR);
  for (const call of [() => t.client.send("x"), () => t.client.sendall("x")]) {
    await assert.rejects(async () => await call(), (err: unknown) => {
      isOSError(err, BrokenPipeError, 32);
      return true;
    });
  }
  // Receiving still works: the peer sees EOF and can answer.
  assert.equal((await t.conn.recv(10)).length, 0);
  await t.conn.sendall("still");
  assert.equal(new TextDecoder().decode(await t.client.recv(10)), "still");
});

Deno.test("recv(), send(), shutdown() and getpeername() on an unconnected socket fail as on Linux", async () => {
  await using s = socket();
  await assert.rejects(s.recv(10), (err: unknown) => {
    isOSError(err, OSError, 107);
    return true;
  });
  await assert.rejects(async () => await s.send("x"), (err: unknown) => {
    isOSError(err, BrokenPipeError, 32);
    return true;
  });
  await assert.rejects(s.shutdown(SHUT_WR), (err: unknown) => {
    isOSError(err, OSError, 107);
    return true;
  });
  assert.throws(() => s.getpeername(), (err: unknown) => {
    isOSError(err, OSError, 107);
    return true;
  });
});

Deno.test("shutdown(SHUT_RD) makes recv() return empty", async () => {
  await using t = await tcpTrio();
  await t.conn.shutdown(SHUT_RD);
  assert.equal((await bounded(t.conn.recv(10), 5000, "recv")).length, 0);
  await t.conn.sendall("one way");
  await t.conn.shutdown(SHUT_WR);
  assert.equal(new TextDecoder().decode(await recvAll(t.client)), "one way");
});

// ---- bad arguments ----

Deno.test("a port out of range throws RangeError naming port and value; a string port TypeError", async () => {
  await using s = socket();
  assert.throws(
    () => s.bind([LOOP, 70000]),
    names(RangeError, "port", "70000"),
  );
  assert.throws(() => s.bind([LOOP, -1]), names(RangeError, "port", "-1"));
  assert.throws(() => s.bind([LOOP, 1.5]), names(RangeError, "port", "1.5"));
  assert.throws(
    () => s.bind([LOOP, "x"] as never),
    names(TypeError, "port", '"x"'),
  );
  await assert.rejects(
    s.connect([LOOP, 70000]),
    names(RangeError, "port", "70000"),
  );
  await assert.rejects(
    create_connection([LOOP, 70000]),
    names(RangeError, "port", "70000"),
  );
  await assert.rejects(
    create_connection([LOOP, "x"] as never),
    names(TypeError, "port"),
  );
  assert.throws(
    () => create_server([LOOP, 70000]),
    names(RangeError, "port", "70000"),
  );
  assert.equal(s.getsockname()[1], 0); // nothing happened
});

Deno.test("a malformed address throws TypeError naming the shape and value", async () => {
  await using s = socket();
  assert.throws(
    () => s.bind(["127.0.0.1"] as never),
    names(TypeError, "[host, port]", '["127.0.0.1"]'),
  );
  assert.throws(() => s.bind([1, 2] as never), names(TypeError, "host", "1"));
  assert.throws(() => s.bind("str"), names(TypeError, "AF_INET", '"str"'));
  // Three elements are an IPv6 shape, not an AF_INET address.
  assert.throws(() => s.bind([LOOP, 0, 0]), TypeError);
  assert.throws(() => s.bind(null as never), TypeError);
  await assert.rejects(s.connect(["127.0.0.1"] as never), TypeError);
  await assert.rejects(s.connect("str"), TypeError);
  await using v6 = socket(AF_INET6);
  assert.throws(
    () => v6.bind(["::1", 0, 0, 0, 0] as never),
    names(TypeError, "AF_INET6"),
  );
  assert.throws(() => v6.bind(["::1", 0, -1, 0]), names(TypeError, "flowinfo"));
  await using unix = socket(AF_UNIX);
  assert.throws(
    () => unix.bind([LOOP, 0]),
    names(TypeError, "AF_UNIX", "path"),
  );
  assert.throws(() => unix.bind(""), RangeError);
});

Deno.test("socket() arguments of the wrong type or value name the argument", () => {
  assert.throws(() => socket(99), names(RangeError, "family", "99"));
  assert.throws(() => socket(AF_INET, 99), names(RangeError, "type", "99"));
  assert.throws(() => socket("x" as never), names(TypeError, "family", '"x"'));
  assert.throws(
    () => socket(AF_INET, SOCK_STREAM, "x" as never),
    names(TypeError, "proto"),
  );
  assert.throws(
    () => new Socket(AF_INET, 1.5),
    names(TypeError, "type", "1.5"),
  );
});

Deno.test("recv() with a bad bufsize or flags rejects naming the argument", async () => {
  await using t = await tcpTrio();
  const c = t.client;
  await assert.rejects(c.recv(-1), names(RangeError, "bufsize", "-1"));
  await assert.rejects(c.recv(1.5), names(RangeError, "bufsize", "1.5"));
  await assert.rejects(
    c.recv("x" as never),
    names(TypeError, "bufsize", '"x"'),
  );
  await assert.rejects(
    c.recv(undefined as never),
    names(TypeError, "bufsize", "undefined"),
  );
  await assert.rejects(
    c.recv(10, 0x8000),
    names(RangeError, "flags", String(0x8000)),
  );
  await assert.rejects(c.recv(10, 1.5), names(TypeError, "flags"));
  await assert.rejects(c.recvfrom(-1), names(RangeError, "bufsize"));
  await assert.rejects(
    c.recv_into(new Uint8Array(4), 8),
    names(RangeError, "nbytes", "8"),
  );
  await assert.rejects(
    c.recv_into(new Uint8Array(4), -1),
    names(RangeError, "nbytes", "-1"),
  );
  await assert.rejects(
    c.recv_into("buf" as never),
    names(TypeError, "buffer", '"buf"'),
  );
  await assert.rejects(c.recv(10, MSG_PEEK | 0x8000), RangeError);
  // The socket still works after every refusal.
  await t.conn.sendall("ok");
  assert.equal(new TextDecoder().decode(await c.recv(10)), "ok");
});

Deno.test("sending a number or an object throws TypeError naming data", async () => {
  await using t = await tcpTrio();
  const c = t.client;
  for (const bad of [42, { length: 3 }, null, undefined]) {
    const shown = bad === null ? "null" : bad === undefined ? "undefined" : "";
    await assert.rejects(
      async () => await c.send(bad as never),
      names(TypeError, "data", shown),
    );
    await assert.rejects(
      c.sendall(bad as never),
      names(TypeError, "data", shown),
    );
    await assert.rejects(
      c.sendto(bad as never, t.addr),
      names(TypeError, "data"),
    );
  }
  await assert.rejects(
    async () => await c.send(42 as never),
    names(TypeError, "42"),
  );
  await assert.rejects(
    async () => await c.send("x", 0x8000),
    names(RangeError, "flags"),
  );
});

Deno.test("settimeout() refuses negative, NaN and infinite values with RangeError, strings with TypeError", async () => {
  await using s = socket();
  assert.throws(() => s.settimeout(-1), names(RangeError, "timeout", "-1"));
  assert.throws(() => s.settimeout(NaN), names(RangeError, "timeout", "NaN"));
  assert.throws(
    () => s.settimeout(Infinity),
    names(RangeError, "timeout", "Infinity"),
  );
  assert.throws(
    () => s.settimeout("1" as never),
    names(TypeError, "timeout", '"1"'),
  );
  assert.equal(s.gettimeout(), null); // unchanged
  assert.throws(
    () => setdefaulttimeout(-1),
    names(RangeError, "timeout", "-1"),
  );
});

Deno.test("shutdown(7) rejects with RangeError naming how and 7", async () => {
  await using t = await tcpTrio();
  await assert.rejects(t.client.shutdown(7), names(RangeError, "how", "7"));
  await assert.rejects(t.client.shutdown("x" as never), RangeError);
});

Deno.test("setsockopt() with an unknown option throws OSError ENOPROTOOPT (92); bad types TypeError", async () => {
  await using s = socket();
  for (
    const [level, option] of [[SOL_SOCKET, 12345], [999, 1], [IPPROTO_TCP, 99]]
  ) {
    assert.throws(() => s.setsockopt(level!, option!, 1), (err: unknown) => {
      isOSError(err, OSError, 92);
      return true;
    });
    assert.throws(() => s.getsockopt(level!, option!), (err: unknown) => {
      isOSError(err, OSError, 92);
      return true;
    });
  }
  assert.throws(
    () => s.setsockopt(SOL_SOCKET, SO_REUSEADDR, "1" as never),
    names(TypeError, "value", '"1"'),
  );
  assert.throws(
    () => s.setsockopt(SOL_SOCKET, SO_REUSEADDR, undefined as never),
    names(TypeError, "value"),
  );
  assert.throws(
    () => s.setsockopt(SOL_SOCKET, "x" as never, 1),
    names(TypeError, "option", '"x"'),
  );
  assert.throws(
    () => s.getsockopt("x" as never, SO_REUSEADDR),
    names(TypeError, "level", '"x"'),
  );
  assert.equal(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
});

Deno.test("listen() with a non-integer backlog throws TypeError naming backlog", async () => {
  await using s = socket();
  s.bind([LOOP, 0]);
  assert.throws(() => s.listen(1.5), names(TypeError, "backlog", "1.5"));
});

Deno.test("create_connection() with a non-array address throws TypeError", async () => {
  await assert.rejects(
    create_connection("127.0.0.1:80" as never),
    names(TypeError, "address"),
  );
  await assert.rejects(
    create_connection([1, 80] as never),
    names(TypeError, "host"),
  );
  await using s = socket(AF_INET);
  assert.equal(s.family, AF_INET);
});

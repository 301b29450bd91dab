// Bad input: every public function, constructor and method of net, mux and
// server called with wrong types and values. Each call settles quickly with
// a TypeError or RangeError (that says what it received) or a Python-named
// OSError; never a hang, a plain Error, or a crash.
// deno test --sanitize-ops --sanitize-resources -A tests/stress/bad_input_test.ts
import assert from "node:assert/strict";
import * as net from "../../net/mod.ts";
import * as mux from "../../mux/mod.ts";
import * as server from "../../server/mod.ts";
import { delay } from "./_util.ts";

// Wrong types and values, none of them a host name (nothing may resolve).
const BAD: [string, unknown][] = [
  ["null", null],
  ["'\\0'", "\0"],
  ["-1", -1],
  ["1.5", 1.5],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["2**53", 2 ** 53],
  ["{}", {}],
  ["[]", []],
  ["Symbol", Symbol("bad")],
  ["10n", 10n],
  ["function", () => {}],
];

// Functions that would look a name up in DNS for a string: no strings there.
const RESOLVES = new Set(["getaddrinfo", "gethostbyname", "create_connection"]);
// Not swept: Stdin and input() wait for input by design (input() would read
// this process's own stdin, and takes any prompt, as Python's does);
// register_fileno and release_fileno accept any number and would corrupt the
// process-wide file number table for every later test (see the known-bug
// test at the end).
const SKIP = new Set(["Stdin", "input", "register_fileno", "release_fileno"]);

type Outcome =
  | { kind: "returned"; value: unknown }
  | { kind: "threw"; error: unknown }
  | { kind: "hung" };

// Calls `fn`, waits up to `ms` for a promise it returns.
async function attempt(fn: () => unknown, ms = 3000): Promise<Outcome> {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    return { kind: "threw", error };
  }
  if (!(value instanceof Promise)) return { kind: "returned", value };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      value.then(
        (v) => ({ kind: "returned", value: v }) as Outcome,
        (error) => ({ kind: "threw", error }) as Outcome,
      ),
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "hung" }), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// Whether `error` is what bad input may give.
function acceptable(error: unknown): string | null {
  // OSError subclasses, and mux's KeyError (Python's, for a missing key).
  if (error instanceof net.OSError || error instanceof mux.KeyError) {
    return null;
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    if (
      /received|must|not|expected|invalid|cannot|unknown/i.test(error.message)
    ) {
      return null;
    }
    return `${error.name} without saying what it received: ${error.message}`;
  }
  if (error instanceof Error) {
    return `${error.constructor.name}: ${error.message}`;
  }
  return `non-Error thrown: ${String(error)}`;
}

// Closes whatever a call made (a socket, a server, a selector, a file).
async function dispose(value: unknown): Promise<void> {
  if (value === null || typeof value !== "object") return;
  const v = value as Record<string, unknown>;
  for (const name of ["server_close", "close"]) {
    if (typeof v[name] === "function") {
      try {
        await (v[name] as () => unknown).call(value);
      } catch {
        // Already closed, or half made.
      }
      return;
    }
  }
  if (Array.isArray(value)) { for (const item of value) await dispose(item); }
}

function is_class(fn: unknown): boolean {
  return typeof fn === "function" &&
    /^class\b/.test(Function.prototype.toString.call(fn));
}

// An exported error class: built from anything, as Python's exceptions are.
function is_error_class(fn: unknown): boolean {
  return typeof fn === "function" && fn.prototype instanceof Error;
}

interface Report {
  calls: number;
  rejected: number;
  accepted: string[];
  problems: string[];
}

// Calls that wait by design for these arguments (Python's select(None)
// blocks): a wait there is no hang.
const WAITS: Record<string, string[]> = {
  "DefaultSelector.select": ["null", "Infinity", "2**53"],
};

async function sweep(
  what: string,
  call: (bad: unknown) => unknown,
  report: Report,
  values = BAD,
): Promise<void> {
  for (const [label, bad] of values) {
    report.calls++;
    const waits = WAITS[what]?.includes(label) ?? false;
    const out = await attempt(() => call(bad), waits ? 300 : 3000);
    if (out.kind === "hung" && waits) {
      report.accepted.push(`${what}(${label}) waits`);
    } else if (out.kind === "hung") {
      report.problems.push(`${what}(${label}): no answer within 3 s`);
    } else if (out.kind === "threw") {
      const problem = acceptable(out.error);
      if (problem === null) report.rejected++;
      else report.problems.push(`${what}(${label}): ${problem}`);
    } else {
      report.accepted.push(`${what}(${label})`);
      await dispose(out.value);
    }
  }
}

function print(report: Report, title: string) {
  console.log(
    `${title}: ${report.calls} calls, ${report.rejected} rejected, ${report.accepted.length} accepted`,
  );
  if (report.accepted.length) {
    console.log(`accepted: ${report.accepted.join(", ")}`);
  }
  if (report.problems.length) {
    console.log(`problems:\n  ${report.problems.join("\n  ")}`);
  }
}

Deno.test("every exported function and constructor rejects bad arguments cleanly", async () => {
  const report: Report = { calls: 0, rejected: 0, accepted: [], problems: [] };
  for (const [part, mod] of Object.entries({ net, mux, server })) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== "function" || SKIP.has(name)) continue;
      if (is_error_class(value)) continue;
      const fn = value as (...args: unknown[]) => unknown;
      const values = RESOLVES.has(name)
        ? BAD.filter(([, v]) => typeof v !== "string")
        : BAD;
      const make = is_class(fn)
        ? (...args: unknown[]) =>
          new (fn as unknown as new (...a: unknown[]) => unknown)(...args)
        : fn;
      // As the first argument, and after a valid-looking first one.
      await sweep(`${part}.${name}`, (bad) => make(bad), report, values);
      if (fn.length >= 2) {
        const first = /Server$/.test(name) ? ["127.0.0.1", 0] : undefined;
        await sweep(
          `${part}.${name}(ok, _)`,
          (bad) => make(first, bad),
          report,
          values,
        );
      }
    }
  }
  // Restore what a call may have changed.
  net.setdefaulttimeout(null);
  print(report, "functions and constructors");
  assert.deepEqual(report.problems, []);
});

// Each public method of an object made by `make`, called with every bad
// value as its first argument, on a fresh object each time.
async function sweep_methods(
  title: string,
  make: () => Promise<{ target: object; cleanup: () => Promise<void> }>,
  skip: Set<string> = new Set(),
): Promise<Report> {
  const report: Report = { calls: 0, rejected: 0, accepted: [], problems: [] };
  const probe = await make();
  const names = new Set<string>();
  // Own methods too: poll() and epoll() objects carry theirs.
  for (const name of Object.keys(probe.target)) {
    const v = (probe.target as Record<string, unknown>)[name];
    if (typeof v === "function" && !name.startsWith("_") && !skip.has(name)) {
      names.add(name);
    }
  }
  for (
    let proto = Object.getPrototypeOf(probe.target);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (
        name !== "constructor" && !name.startsWith("_") && d &&
        typeof d.value === "function" && !skip.has(name)
      ) names.add(name);
    }
  }
  await probe.cleanup();
  for (const name of names) {
    const { target, cleanup } = await make();
    try {
      const method = (target as Record<string, (...a: unknown[]) => unknown>)[
        name
      ]!;
      await sweep(
        `${title}.${name}`,
        (bad) => method.call(target, bad),
        report,
      );
    } finally {
      await cleanup();
    }
  }
  print(report, title);
  return report;
}

Deno.test("every Socket method rejects bad arguments cleanly", async () => {
  const report = await sweep_methods(
    "Socket",
    async () => {
      const [a, b] = await net.socketpair();
      // A blocked call ends as TimeoutError after 1 s instead of hanging.
      a.settimeout(1);
      return {
        target: a,
        cleanup: async () => {
          await a.close();
          await b.close();
        },
      };
    },
    // They take no argument, and hand the connection to a new holder by
    // design: dup() to a new socket, detach() to a number.
    new Set(["dup", "detach"]),
  );
  assert.deepEqual(report.problems, []);
});

async function readable_poll(
  p: { register(fd: number, mask: number): unknown },
  mask: number,
): Promise<{ target: object; cleanup: () => Promise<void> }> {
  const [a, b] = await net.socketpair();
  await a.sendall("x");
  p.register(b.fileno(), mask);
  return {
    target: p,
    cleanup: async () => {
      const close = (p as unknown as { close?: () => unknown }).close;
      await close?.call(p);
      await a.close();
      await b.close();
    },
  };
}

Deno.test("every selector, poll and epoll method rejects bad arguments cleanly", async () => {
  const reports = [
    await sweep_methods("DefaultSelector", () => {
      const sel = new mux.DefaultSelector();
      return Promise.resolve({
        target: sel,
        cleanup: async () => void await sel.close(),
      });
    }),
    // Each poll object watches a readable socket, so that a wait by design
    // (Python's poll(None)) ends at once: poll() objects have no close().
    await sweep_methods("poll()", () => readable_poll(mux.poll(), mux.POLLIN)),
    await sweep_methods(
      "epoll()",
      () => readable_poll(mux.epoll(), mux.EPOLLIN),
    ),
  ];
  assert.deepEqual(reports.flatMap((r) => r.problems), []);
});

Deno.test("every server method rejects bad arguments cleanly", async () => {
  // Left out: serve_forever and handle_request (they serve: the table
  // below passes them bad arguments), get_request (it waits for a client by
  // design), and the hooks that the server itself calls with a request it
  // accepted (a garbage request there fails as it does in Python).
  const report = await sweep_methods(
    "SelectorTCPServer",
    () => {
      const s = new server.SelectorTCPServer(
        ["127.0.0.1", 0],
        server.BaseRequestHandler,
      );
      return Promise.resolve({
        target: s,
        cleanup: async () => {
          await s.shutdown();
          await s.server_close();
        },
      });
    },
    new Set([
      "serve_forever",
      "handle_request",
      "shutdown",
      "get_request",
      "process_request",
      "finish_request",
      "shutdown_request",
      "close_request",
      "verify_request",
      "handle_error",
    ]),
  );
  await delay(10);
  assert.deepEqual(report.problems, []);
});

// Library bugs these found, fixed since: kept as regression tests.

Deno.test({
  name: "register_fileno() rejects a file number that is not a small integer",
  fn: async () => {
    const source = {
      poll_events: () => net.EV_OUT,
      watch: () => () => {},
    } as unknown as Parameters<typeof net.register_fileno>[0];
    try {
      for (const fd of [Infinity, NaN, -1, 1.5]) {
        assert.throws(() => net.register_fileno(source, fd), RangeError);
      }
    } finally {
      // What the bug does: a released Infinity becomes the next socket's fd.
      for (const fd of [Infinity, NaN, -1, 1.5]) net.release_fileno(fd);
    }
    const sock = net.socket();
    try {
      assert.ok(Number.isInteger(sock.fileno()), `fileno ${sock.fileno()}`);
    } finally {
      await sock.close();
    }
  },
});

Deno.test({
  name: "SocketFile rejects a socket without recv() and sendall()",
  fn: () => {
    assert.throws(
      () => new net.SocketFile({} as unknown as net.FileSocket, "rb"),
      TypeError,
    );
  },
});

// Specific calls: the error class, and the argument the message names.
type Case = [
  what: string,
  call: () => unknown,
  error: typeof TypeError | typeof RangeError | typeof net.OSError,
  names: RegExp,
];

Deno.test("bad arguments give TypeError or RangeError naming the argument", async () => {
  const [a, b] = await net.socketpair();
  const sel = new mux.DefaultSelector();
  const srv = new server.SelectorTCPServer(
    ["127.0.0.1", 0],
    server.BaseRequestHandler,
  );
  const udp = net.socket(net.AF_INET, net.SOCK_DGRAM);
  const cases: Case[] = [
    ["socket(family 12345)", () => net.socket(12345), RangeError, /family/],
    [
      "socket(type 'x')",
      () => net.socket(net.AF_INET, "x" as never),
      TypeError,
      /type/,
    ],
    [
      "bind(port 70000)",
      () => udp.bind(["127.0.0.1", 70000]),
      RangeError,
      /port/,
    ],
    ["bind(port -1)", () => udp.bind(["127.0.0.1", -1]), RangeError, /port/],
    [
      "bind(port '80')",
      () => udp.bind(["127.0.0.1", "80" as never]),
      TypeError,
      /port/,
    ],
    ["bind(host 5)", () => udp.bind([5 as never, 0]), TypeError, /host/],
    ["connect(null)", () => a.connect(null as never), TypeError, /address/],
    ["recv(-1)", () => a.recv(-1), RangeError, /bufsize/],
    ["recv('x')", () => a.recv("x" as never), TypeError, /bufsize/],
    ["recv(1.5)", () => a.recv(1.5), RangeError, /bufsize/],
    ["recv_into('x')", () => a.recv_into("x" as never), TypeError, /buffer/],
    ["send(5)", () => a.send(5 as never), TypeError, /data/],
    ["sendall(null)", () => a.sendall(null as never), TypeError, /data/],
    ["settimeout(-1)", () => a.settimeout(-1), RangeError, /timeout|negative/i],
    ["settimeout('x')", () => a.settimeout("x" as never), TypeError, /timeout/],
    ["settimeout(NaN)", () => a.settimeout(NaN), RangeError, /timeout|NaN/],
    [
      "setsockopt('x')",
      () => a.setsockopt("x" as never, 1, 1),
      TypeError,
      /level/,
    ],
    [
      "setsockopt(value 'x')",
      () => a.setsockopt(net.SOL_SOCKET, net.SO_REUSEADDR, "x" as never),
      TypeError,
      /value/,
    ],
    ["shutdown(7)", () => a.shutdown(7), RangeError, /how/],
    ["makefile('q')", () => a.makefile("q"), RangeError, /mode/],
    ["makefile(5)", () => a.makefile(5 as never), TypeError, /mode/],
    [
      "makefile buffering 'x'",
      () => a.makefile("rb", { buffering: "x" as never }),
      TypeError,
      /buffering/,
    ],
    ["recv_msg(null)", () => net.recv_msg(null as never), TypeError, /sock/],
    [
      "recv_msg max_size -1",
      () => net.recv_msg(b, { max_size: -1 }),
      RangeError,
      /max_size/,
    ],
    [
      "recv_msg max_size 'x'",
      () => net.recv_msg(b, { max_size: "x" as never }),
      TypeError,
      /max_size/,
    ],
    ["send_msg(5)", () => net.send_msg(a, 5 as never), TypeError, /data/],
    [
      "create_server(port 70000)",
      () => net.create_server(["127.0.0.1", 70000]),
      RangeError,
      /port/,
    ],
    [
      "setdefaulttimeout(-1)",
      () => net.setdefaulttimeout(-1),
      RangeError,
      /timeout/,
    ],
    [
      "select(5)",
      () => mux.select(5 as never, [], []),
      TypeError,
      /arguments 1-3 must be sequences/,
    ],
    [
      "select timeout -1",
      () => mux.select([], [], [], -1),
      RangeError,
      /timeout/,
    ],
    [
      "select timeout 'x'",
      () => mux.select([], [], [], "x" as never),
      TypeError,
      /timeout/,
    ],
    ["register(events 0)", () => sel.register(a, 0), RangeError, /events/],
    [
      "register(events 'x')",
      () => sel.register(a, "x" as never),
      TypeError,
      /events/,
    ],
    [
      "register(fileobj 'x')",
      () => sel.register("x" as never, mux.EVENT_READ),
      TypeError,
      /Invalid file object/,
    ],
    [
      "poll().register('x')",
      () => mux.poll().register("x" as never),
      TypeError,
      /fd|fileno|int/,
    ],
    [
      "TCPServer(address 5)",
      () => new server.TCPServer(5 as never, server.BaseRequestHandler),
      TypeError,
      /address/,
    ],
    [
      "TCPServer(port 70000)",
      () =>
        new server.TCPServer(["127.0.0.1", 70000], server.BaseRequestHandler),
      RangeError,
      /port/,
    ],
    [
      "serve_forever('x')",
      () => srv.serve_forever("x" as never),
      TypeError,
      /poll_interval/,
    ],
    [
      "serve_forever(-1)",
      () => srv.serve_forever(-1),
      RangeError,
      /poll_interval/,
    ],
    [
      "ThreadingTCPServer(handler null)",
      () => new server.ThreadingTCPServer(["127.0.0.1", 0], null as never),
      TypeError,
      /RequestHandlerClass|handler/,
    ],
  ];
  const wrong: string[] = [];
  try {
    for (const [what, call, error, names] of cases) {
      const out = await attempt(call);
      if (out.kind === "hung") wrong.push(`${what}: no answer within 3 s`);
      else if (out.kind === "returned") {
        wrong.push(`${what}: accepted`);
        await dispose(out.value);
      } else if (!(out.error instanceof error)) {
        wrong.push(
          `${what}: ${
            (out.error as Error)?.constructor?.name
          }, want ${error.name}: ${(out.error as Error)?.message}`,
        );
      } else if (!names.test((out.error as Error).message)) {
        wrong.push(
          `${what}: message does not name it: ${(out.error as Error).message}`,
        );
      }
    }
  } finally {
    net.setdefaulttimeout(null);
    await udp.close();
    await a.close();
    await b.close();
    await sel.close();
    await srv.server_close();
  }
  console.log(`${cases.length} cases, ${wrong.length} wrong`);
  assert.deepEqual(wrong, []);
});

Deno.test({
  name: "settimeout() over 24.8 days does not make recv() time out at once",
  fn: async () => {
    const [a, b] = await net.socketpair();
    try {
      // setTimeout() clamps delays over 2**31-1 ms to 1 ms.
      a.settimeout(3e6);
      const out = await attempt(() => a.recv(1), 300);
      assert.equal(out.kind, "hung", `recv() settled: ${JSON.stringify(out)}`);
    } finally {
      await a.close();
      await b.close();
    }
  },
});

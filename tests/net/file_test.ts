// Tests of SocketFile (net/file.ts): first over an in-memory fake socket
// (exact segmentation, injected errors), then over real loopback TCP sockets
// and a python3 peer.
import assert from "node:assert/strict";
import {
  ConnectionResetError,
  create_connection,
  create_server,
  type FileSocket,
  IPPROTO_TCP,
  OSError,
  type Socket,
  SocketFile,
  socketpair,
  TCP_NODELAY,
  TimeoutError,
  UnsupportedOperation,
} from "../../net/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

/** An in-memory socket: `recv` hands out the queued chunks (split to `bufsize`). */
class FakeSocket implements FileSocket {
  queue: (Uint8Array | Error)[];
  sent: Uint8Array[] = [];
  recv_sizes: number[] = [];
  decrefs = 0;
  constructor(chunks: (Uint8Array | string | Error)[] = []) {
    this.queue = chunks.map((c) => typeof c === "string" ? bytes(c) : c);
  }
  recv(bufsize: number): Promise<Uint8Array> {
    this.recv_sizes.push(bufsize);
    const next = this.queue.shift();
    if (next === undefined) return Promise.resolve(new Uint8Array(0));
    if (next instanceof Error) return Promise.reject(next);
    if (next.length > bufsize) {
      this.queue.unshift(next.subarray(bufsize));
      return Promise.resolve(next.slice(0, bufsize));
    }
    return Promise.resolve(next);
  }
  sendall(data: Uint8Array): Promise<void> {
    this.sent.push(data.slice());
    return Promise.resolve();
  }
  fileno(): number {
    return 42;
  }
  _decref_socketios(): void {
    this.decrefs++;
  }
  get sent_text(): string {
    return this.sent.map((s) => dec.decode(s)).join("");
  }
}

// Deterministic pseudo-random numbers (mulberry32), so failures replay.
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0;
  };
}

// Cuts `data` at random places into 1..max byte chunks.
function segment(data: Uint8Array, rand: (n: number) => number, max: number) {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const n = 1 + rand(max);
    out.push(data.slice(at, at + n));
    at += n;
  }
  return out;
}

// ---- construction ----

Deno.test("SocketFile() throws RangeError naming an invalid mode", () => {
  const sock = new FakeSocket();
  for (const mode of ["x", "r+b", "rt", "a", "R"]) {
    assert.throws(() => new SocketFile(sock, mode), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.equal(
        err.message,
        `Cannot make file: invalid mode "${mode}" (only r, w, b allowed)`,
      );
      return true;
    });
  }
  assert.throws(
    () => new SocketFile(sock, 3 as unknown as string),
    /Cannot make file: mode must be a string, received number/,
  );
});

Deno.test("SocketFile() accepts Python's modes and reports them as Python does", () => {
  const sock = new FakeSocket();
  const cases: [string, string, boolean, boolean][] = [
    ["r", "r", true, false],
    ["", "", true, false],
    ["w", "w", false, true],
    ["rw", "rw", true, true],
    ["wr", "wr", true, true],
    ["rb", "rb", true, false],
    ["br", "rb", true, false],
    ["wb", "wb", false, true],
    ["rwb", "rwb", true, true],
    ["b", "rb", true, false],
  ];
  for (const [mode, shown, r, w] of cases) {
    const f = new SocketFile(sock, mode);
    assert.equal(f.mode, shown, mode);
    assert.equal(f.readable(), r, mode);
    assert.equal(f.writable(), w, mode);
    assert.equal(f.seekable(), false);
    assert.equal(f.name, 42);
    assert.equal(f.fileno(), 42);
    assert.equal(f.encoding, mode.includes("b") ? null : "utf-8");
  }
});

Deno.test("SocketFile() rejects bad options with TypeError or RangeError", () => {
  const sock = new FakeSocket();
  assert.throws(
    () => new SocketFile(sock, "r", { buffering: 0 }),
    /Cannot make file: unbuffered streams must be binary/,
  );
  assert.throws(
    () => new SocketFile(sock, "r", { newline: "x" }),
    (e: unknown) =>
      e instanceof RangeError && /illegal newline/.test(e.message),
  );
  assert.throws(
    () => new SocketFile(sock, "r", { errors: "ignore" }),
    /errors must be "strict" or "replace", received "ignore"/,
  );
  assert.throws(
    () => new SocketFile(sock, "r", { encoding: "no-such-codec" }),
    /unknown encoding "no-such-codec"/,
  );
  assert.throws(
    () => new SocketFile(sock, "w", { encoding: "gbk" }),
    /encoding "gbk" can only be read/,
  );
  assert.throws(
    () => new SocketFile(sock, "rb", { buffering: 1.5 }),
    (e: unknown) =>
      e instanceof RangeError && /buffering must be an integer/.test(e.message),
  );
  assert.throws(
    () => new SocketFile(sock, "rb", { buffering: "8" as unknown as number }),
    TypeError,
  );
});

// ---- reading ----

const ALPHABET = Array.from("ab中é😀x\r");

Deno.test("readline() returns every line whatever the segmentation (bytes and text)", async () => {
  const rand = rng(1);
  for (let round = 0; round < 40; round++) {
    const lines: string[] = [];
    const count = rand(30);
    for (let i = 0; i < count; i++) {
      const len = rand(3) === 0 ? rand(300) : rand(20);
      let s = "";
      for (let j = 0; j < len; j++) s += ALPHABET[rand(ALPHABET.length)];
      lines.push(s + "\n");
    }
    if (rand(2)) lines.push("tail without newline");
    const data = bytes(lines.join(""));
    const buffering = [1, 3, 7, 64, 65536][rand(5)]!;
    // Universal newlines: "\r\n" and "\r" become "\n" and end lines too.
    const universal = lines.join("").replace(/\r\n?/g, "\n").split(/(?<=\n)/);
    const cases: [string, string | null, string[]][] = [
      ["rb", null, lines],
      ["r", "\n", lines],
      ["r", null, universal.filter((l) => l !== "")],
    ];
    for (const [mode, newline, want] of cases) {
      const sock = new FakeSocket(segment(data, rand, 1 + rand(40)));
      const f = new SocketFile(
        sock,
        mode,
        mode === "r" ? { buffering, newline } : { buffering },
      );
      const got: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const line = await f.readline();
        if (line.length === 0) break;
        got.push(typeof line === "string" ? line : dec.decode(line));
      }
      assert.deepEqual(got, want, `round ${round} mode ${mode} ${newline}`);
      // EOF is sticky: more reads keep returning empty.
      assert.equal((await f.readline()).length, 0);
      assert.equal((await f.read())!.length, 0);
    }
  }
});

Deno.test("read(n), read1(), readline(limit) and readinto() agree with a reference model", async () => {
  const rand = rng(2);
  for (let round = 0; round < 60; round++) {
    const data = new Uint8Array(rand(3000));
    for (let i = 0; i < data.length; i++) {
      data[i] = rand(4) === 0 ? 10 : rand(256);
    }
    const sock = new FakeSocket(segment(data, rand, 1 + rand(200)));
    const f = new SocketFile(sock, "rb", { buffering: 1 + rand(300) });
    let at = 0; // the model: everything before `at` was returned
    for (let step = 0; step < 500 && at < data.length; step++) {
      const op = rand(5);
      if (op === 0) {
        const n = rand(100);
        const got = await f.read(n);
        const want = data.subarray(at, Math.min(at + n, data.length));
        assert.deepEqual(got, want);
        at += got.length;
      } else if (op === 1) {
        const nl = data.indexOf(10, at);
        const end = nl < 0 ? data.length : nl + 1;
        const got = await f.readline();
        assert.deepEqual(got, data.subarray(at, end));
        at = end;
      } else if (op === 2) {
        const limit = rand(50);
        const nl = data.indexOf(10, at);
        const end = Math.min(nl < 0 ? data.length : nl + 1, at + limit);
        const got = await f.readline(limit);
        assert.deepEqual(got, data.subarray(at, end));
        at = end;
      } else if (op === 3) {
        const got = await f.read1(1 + rand(80));
        assert.ok(got.length > 0);
        assert.deepEqual(got, data.subarray(at, at + got.length));
        at += got.length;
      } else {
        const buf = new Uint8Array(rand(120));
        const n = await f.readinto(buf);
        assert.equal(n, Math.min(buf.length, data.length - at));
        assert.deepEqual(buf.subarray(0, n), data.subarray(at, at + n));
        at += n;
      }
    }
    assert.deepEqual(await f.read(), data.subarray(at));
    assert.equal((await f.read())!.length, 0);
  }
});

Deno.test("readline() decodes a character split across two receives", async () => {
  const all = bytes("中文 😀 é\n");
  for (let cut = 1; cut < all.length; cut++) {
    const sock = new FakeSocket([all.slice(0, cut), all.slice(cut)]);
    const f = new SocketFile(sock, "r", { encoding: "utf-8" });
    assert.equal(await f.readline(), "中文 😀 é\n", `cut at ${cut}`);
    assert.equal(await f.readline(), "");
  }
});

Deno.test("read(n) counts characters (code points) in text mode", async () => {
  const sock = new FakeSocket(["a😀中", "b\n"]);
  const f = new SocketFile(sock, "r");
  assert.equal(await f.read(2), "a😀");
  assert.equal(await f.read(1), "中");
  assert.equal(await f.readline(1), "b");
  assert.equal(await f.read(), "\n");
  assert.equal(await f.read(5), "");
});

Deno.test("readline() returns a line longer than the buffer, in linear time", async () => {
  const big = new Uint8Array(8 << 20).fill(97);
  big[big.length - 1] = 10;
  for (const mode of ["rb", "r"]) {
    // 4 KiB receives: an O(n^2) readline would copy ~8 GiB here.
    const sock = new FakeSocket([big, "next\n"]);
    const f = new SocketFile(sock, mode, { buffering: 4096 });
    const start = performance.now();
    const line = await f.readline();
    const ms = performance.now() - start;
    assert.equal(line.length, big.length);
    assert.equal(
      typeof line === "string" ? line.at(-1) : line.at(-1),
      mode === "r" ? "\n" : 10,
    );
    assert.ok(ms < 20_000, `readline of 8 MiB took ${ms} ms`);
    assert.equal(
      (await f.readline()).length,
      5,
    );
  }
  const sock = new FakeSocket([new Uint8Array(100).fill(98), "\n"]);
  const f = new SocketFile(sock, "rb", { buffering: 16 });
  assert.equal((await f.readline()).length, 101);
});

Deno.test("readline() returns the last line without newline, then empty at EOF", async () => {
  const b = new SocketFile(new FakeSocket(["one\ntw", "o"]), "rb");
  assert.deepEqual(await b.readline(), bytes("one\n"));
  assert.deepEqual(await b.readline(), bytes("two"));
  const eof = await b.readline();
  assert.ok(eof instanceof Uint8Array);
  assert.equal(eof.length, 0);
  const t = new SocketFile(new FakeSocket(["x\ny"]), "r");
  assert.deepEqual(await t.readlines(), ["x\n", "y"]);
  assert.equal(await t.readline(), "");
  assert.deepEqual(await t.readlines(), []);
});

Deno.test("read() reads to EOF and read(n) returns fewer bytes only at EOF", async () => {
  const f = new SocketFile(new FakeSocket(["ab", "cd", "ef"]), "rb");
  assert.deepEqual(await f.read(3), bytes("abc"));
  assert.deepEqual(await f.read(10), bytes("def"));
  assert.deepEqual(await f.read(10), new Uint8Array(0));
  const g = new SocketFile(new FakeSocket(["ab", "cd", "ef"]), "r");
  assert.equal(await g.read(), "abcdef");
  assert.equal(await g.read(0), "");
});

Deno.test("readline() keeps received bytes when the socket times out", async () => {
  const timeout = new TimeoutError();
  const sock = new FakeSocket(["ab", timeout, "c\nrest"]);
  const f = new SocketFile(sock, "rb");
  await assert.rejects(f.readline(), (err) => err === timeout);
  assert.deepEqual(await f.readline(), bytes("abc\n"));
  assert.deepEqual(await f.read(), bytes("rest"));

  // Text mode, with half a character received before the timeout.
  const all = bytes("中文\n");
  const t = new SocketFile(
    new FakeSocket([all.slice(0, 4), new TimeoutError(), all.slice(4)]),
    "r",
  );
  await assert.rejects(t.readline(), TimeoutError);
  assert.equal(await t.readline(), "中文\n");

  // read(n) and read() too.
  const r = new SocketFile(
    new FakeSocket(["abc", new TimeoutError(), "def", new TimeoutError(), "g"]),
    "r",
  );
  await assert.rejects(r.read(5), TimeoutError);
  assert.equal(await r.read(5), "abcde");
  await assert.rejects(r.read(), TimeoutError);
  assert.equal(await r.read(), "fg");
});

Deno.test("readinto() returns the bytes it copied when a later receive fails", async () => {
  const f = new SocketFile(
    new FakeSocket(["abc", new TimeoutError(), "def"]),
    "rb",
  );
  const buf = new Uint8Array(6);
  assert.equal(await f.readinto(buf), 3);
  assert.equal(await f.readinto(buf.subarray(3)), 3);
  assert.equal(dec.decode(buf), "abcdef");
});

Deno.test("read methods pass socket errors through unchanged", async () => {
  const reset = new ConnectionResetError();
  const f = new SocketFile(new FakeSocket([reset]), "r");
  await assert.rejects(f.readline(), (err) => err === reset);
  const g = new SocketFile(new FakeSocket([new TypeError("boom")]), "rb");
  await assert.rejects(g.read(), TypeError);
});

Deno.test("readline() translates line endings as Python's newline option says", async () => {
  const chunks = () => ["a\r", "\nb\r", "c\r\n", "\r", "d"];
  const read_all = async (newline: string | null) => {
    const f = new SocketFile(new FakeSocket(chunks()), "r", { newline });
    return await f.readlines();
  };
  assert.deepEqual(await read_all(null), ["a\n", "b\n", "c\n", "\n", "d"]);
  assert.deepEqual(await read_all(""), ["a\r\n", "b\r", "c\r\n", "\r", "d"]);
  assert.deepEqual(await read_all("\n"), ["a\r\n", "b\rc\r\n", "\rd"]);
  assert.deepEqual(await read_all("\r"), ["a\r", "\nb\r", "c\r", "\n\r", "d"]);
  assert.deepEqual(await read_all("\r\n"), ["a\r\n", "b\rc\r\n", "\rd"]);
  // A final "\r" at EOF ends a line.
  const f = new SocketFile(new FakeSocket(["x\r"]), "r");
  assert.deepEqual(await f.readlines(), ["x\n"]);
  const g = new SocketFile(new FakeSocket(["x\r"]), "r", { newline: "" });
  assert.deepEqual(await g.readlines(), ["x\r"]);
});

Deno.test("readlines(hint) stops once the lines total hint or more", async () => {
  const f = new SocketFile(new FakeSocket(["aa\nbb\ncc\ndd\n"]), "r");
  assert.deepEqual(await f.readlines(4), ["aa\n", "bb\n"]);
  assert.deepEqual(await f.readlines(0), ["cc\n", "dd\n"]);
});

Deno.test("for await iterates over lines until EOF", async () => {
  const f = new SocketFile(new FakeSocket(["l1\nl", "2\n", "l3"]), "r");
  const got: string[] = [];
  for await (const line of f) got.push(line);
  assert.deepEqual(got, ["l1\n", "l2\n", "l3"]);
  const b = new SocketFile(new FakeSocket(["x\ny\n"]), "rb");
  const lines: Uint8Array[] = [];
  for await (const line of b) lines.push(line);
  assert.deepEqual(lines, [bytes("x\n"), bytes("y\n")]);
});

Deno.test("for await: break leaves the rest readable; an error ends the loop and is thrown", async () => {
  const f = new SocketFile(new FakeSocket(["a\nb\nc\n"]), "r");
  for await (const line of f) {
    assert.equal(line, "a\n");
    break;
  }
  assert.equal(await f.readline(), "b\n");
  const it = f[Symbol.asyncIterator]();
  assert.equal(it[Symbol.asyncIterator](), it);
  assert.deepEqual(await it.next(), { done: false, value: "c\n" });
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  const reset = new Error("reset");
  const g = new SocketFile(new FakeSocket(["x\n", reset, "y\n"]), "r");
  const got: string[] = [];
  await assert.rejects(async () => {
    for await (const line of g) got.push(line);
  }, reset);
  assert.deepEqual(got, ["x\n"]);
  // The file reads on after the error; a new iterator starts where it is.
  const h = g[Symbol.asyncIterator]();
  assert.equal(await g.readline(), "y\n");
  assert.deepEqual(await h.next(), { done: true, value: undefined });
});

Deno.test("concurrent readline() calls are served in order", async () => {
  const f = new SocketFile(new FakeSocket(["a", "\nb\n", "c\n"]), "r", {
    buffering: 1,
  });
  const got = await Promise.all([f.readline(), f.readline(), f.readline()]);
  assert.deepEqual(got, ["a\n", "b\n", "c\n"]);
});

Deno.test("errors option: strict throws RangeError, replace gives U+FFFD", async () => {
  const bad = new Uint8Array([0x61, 0xff, 0x62, 0x0a]);
  const strict = new SocketFile(new FakeSocket([bad]), "r");
  await assert.rejects(
    strict.readline(),
    /Cannot decode input: invalid "utf-8" data/,
  );
  const replace = new SocketFile(new FakeSocket([bad]), "r", {
    errors: "replace",
  });
  assert.equal(await replace.readline(), "a\ufffdb\n");
  // A truncated character at EOF.
  const cut = new SocketFile(
    new FakeSocket([new Uint8Array([0x61, 0xe4])]),
    "r",
    {
      errors: "replace",
    },
  );
  assert.equal(await cut.read(), "a\ufffd");
});

Deno.test("latin-1, ascii and read-only encodings decode and encode", async () => {
  const l1 = new SocketFile(
    new FakeSocket([new Uint8Array([0x63, 0xe9, 0x0a])]),
    "rw",
    {
      encoding: "latin-1",
    },
  );
  assert.equal(await l1.readline(), "c\u00e9\n");
  await l1.write("\u00ff");
  await assert.rejects(l1.write("中"), /cannot encode character/);
  await l1.close();
  const ascii = new SocketFile(
    new FakeSocket([new Uint8Array([0x41, 0x80])]),
    "r",
    {
      encoding: "ascii",
      errors: "replace",
    },
  );
  assert.equal(await ascii.read(), "A\ufffd");
  const gbk = new SocketFile(
    new FakeSocket([new Uint8Array([0xd6, 0xd0, 0x0a])]),
    "r",
    {
      encoding: "gbk",
    },
  );
  assert.equal(await gbk.readline(), "中\n");
});

Deno.test("peek() shows buffered bytes without consuming them", async () => {
  const f = new SocketFile(new FakeSocket(["abc", "def"]), "rb");
  assert.deepEqual(await f.peek(), bytes("abc"));
  assert.deepEqual(await f.read(2), bytes("ab"));
  assert.deepEqual(await f.peek(), bytes("c"));
  assert.deepEqual(await f.read(), bytes("cdef"));
  assert.equal((await f.peek()).length, 0);
});

Deno.test("buffering: 0 takes no byte past the line from the socket", async () => {
  const sock = new FakeSocket(["line\nafter"]);
  const f = new SocketFile(sock, "rwb", { buffering: 0 });
  assert.deepEqual(await f.readline(), bytes("line\n"));
  assert.deepEqual(await sock.recv(100), bytes("after"));
  // read(n) is a single receive, as Python's raw SocketIO.
  const g = new SocketFile(new FakeSocket(["ab", "cd"]), "rb", {
    buffering: 0,
  });
  assert.deepEqual(await g.read(10), bytes("ab"));
  assert.deepEqual(await g.read(), bytes("cd"));
  // writes go straight through.
  await f.write(bytes("x"));
  assert.equal(sock.sent_text, "x");
});

Deno.test("reads use receives of `buffering` bytes", async () => {
  const sock = new FakeSocket(["a\n"]);
  const f = new SocketFile(sock, "rb");
  await f.readline();
  assert.deepEqual(sock.recv_sizes, [65536]);
  const sock2 = new FakeSocket(["a\n"]);
  await new SocketFile(sock2, "r", { buffering: 100 }).readline();
  assert.deepEqual(sock2.recv_sizes, [100]);
});

Deno.test("read methods on a closed or write-only file throw", async () => {
  const f = new SocketFile(new FakeSocket(), "w");
  await assert.rejects(f.readline(), (err: unknown) => {
    assert.ok(err instanceof UnsupportedOperation);
    assert.ok(err instanceof OSError);
    assert.equal(err.message, "[Errno 9] File not open for reading");
    return true;
  });
  const g = new SocketFile(new FakeSocket(), "r");
  await g.close();
  await assert.rejects(g.read(), /^RangeError: I\/O operation on closed file$/);
  await assert.rejects(g.readline(), RangeError);
  assert.throws(() => g.fileno(), RangeError);
  await assert.rejects(g.read(1.5 as number), RangeError);
  await assert.rejects(
    new SocketFile(new FakeSocket(), "r").read(1.5),
    /Cannot read: n must be an integer, received 1.5/,
  );
  await assert.rejects(
    new SocketFile(new FakeSocket(), "r").readinto(new Uint8Array(1)),
    TypeError,
  );
});

// ---- writing ----

Deno.test("write() buffers until flush(), and returns the count", async () => {
  const sock = new FakeSocket();
  const f = new SocketFile(sock, "w");
  assert.equal(await f.write("héllo "), 6);
  assert.equal(await f.write("中文😀\n"), 4);
  assert.equal(sock.sent.length, 0);
  await f.flush();
  assert.equal(sock.sent.length, 1);
  assert.equal(sock.sent_text, "héllo 中文😀\n");
  await f.flush();
  assert.equal(sock.sent.length, 1);
});

Deno.test("write() copies the caller's bytes and sends big writes directly", async () => {
  const sock = new FakeSocket();
  const f = new SocketFile(sock, "wb", { buffering: 8 });
  const data = bytes("abc");
  assert.equal(await f.write(data), 3);
  data.fill(120); // the file kept its own copy
  assert.equal(await f.write(bytes("defgh")), 5); // fills the buffer exactly
  assert.equal(sock.sent.length, 0);
  await f.write(bytes("i")); // overflow: the full buffer goes out
  assert.deepEqual(sock.sent.map((s) => dec.decode(s)), ["abcdefgh"]);
  await f.write(new Uint8Array(20).fill(122)); // bigger than the buffer
  assert.deepEqual(sock.sent.map((s) => dec.decode(s)), [
    "abcdefgh",
    "i",
    "z".repeat(20),
  ]);
  await f.write(new Uint8Array([1, 2]).buffer);
  await f.write(new DataView(new Uint8Array([3]).buffer));
  await f.close();
  assert.deepEqual(sock.sent.at(-1), new Uint8Array([1, 2, 3]));
});

Deno.test("write() translates \\n when newline is \\r or \\r\\n", async () => {
  const sock = new FakeSocket();
  const f = new SocketFile(sock, "w", { newline: "\r\n" });
  assert.equal(await f.write("a\nb\n"), 4);
  await f.flush();
  assert.equal(sock.sent_text, "a\r\nb\r\n");
});

Deno.test("write() rejects data of the wrong type for the mode", async () => {
  const b = new SocketFile(new FakeSocket(), "wb");
  await assert.rejects(
    b.write("text" as unknown as Uint8Array),
    /Cannot write to file: a bytes-like object is required, received a string/,
  );
  const t = new SocketFile(new FakeSocket(), "w");
  await assert.rejects(
    t.write(bytes("x") as unknown as string),
    /data must be a string in text mode "w", received Uint8Array/,
  );
  const r = new SocketFile(new FakeSocket(), "r");
  await assert.rejects(r.write("x"), /File not open for writing/);
});

Deno.test("close() flushes, leaves the socket open and is idempotent", async () => {
  const sock = new FakeSocket();
  const f = new SocketFile(sock, "w");
  await f.write("bye\n");
  assert.equal(f.closed, false);
  await Promise.all([f.close(), f.close()]);
  await f.close();
  assert.equal(f.closed, true);
  assert.equal(sock.sent_text, "bye\n");
  assert.equal(sock.decrefs, 1);
  await assert.rejects(f.write("x"), /I\/O operation on closed file/);
  await assert.rejects(f.flush(), /I\/O operation on closed file/);
  {
    await using g = new SocketFile(sock, "w");
    await g.write("disposed\n");
  }
  assert.equal(sock.sent_text, "bye\ndisposed\n");
});

Deno.test("close() waits for writes in flight and refuses later ones", async () => {
  const sock = new FakeSocket();
  let release = () => {};
  sock.sendall = (data) => {
    sock.sent.push(data.slice());
    return new Promise<void>((r) => release = r);
  };
  const f = new SocketFile(sock, "wb", { buffering: 4 });
  const big = f.write(new Uint8Array(10)); // sent directly, still in flight
  const small = f.write(new Uint8Array([1, 2]));
  const closing = f.close();
  assert.equal(f.closed, true);
  await assert.rejects(
    f.write(new Uint8Array(1)),
    /I\/O operation on closed file/,
  );
  for (let i = 0; i < 10 && sock.sent.length < 2; i++) {
    release();
    await new Promise((r) => setTimeout(r, 0));
  }
  release();
  assert.equal(await big, 10);
  assert.equal(await small, 2);
  await closing;
  assert.deepEqual(sock.sent, [new Uint8Array(10), new Uint8Array([1, 2])]);
});

Deno.test("close() marks the file closed even when the final flush fails", async () => {
  const broken = new FakeSocket();
  broken.sendall = () => Promise.reject(new OSError(32));
  const f = new SocketFile(broken, "w");
  await f.write("x");
  await assert.rejects(f.close(), OSError);
  assert.equal(f.closed, true);
});

// ---- real sockets ----

async function pair(): Promise<[Socket, Socket] & AsyncDisposable> {
  const [a, b] = await socketpair();
  return Object.assign([a, b] as [Socket, Socket], {
    async [Symbol.asyncDispose]() {
      await Promise.all([a.close(), b.close()]);
    },
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("readline() decodes a character split across two TCP segments", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  await using client = await create_connection(
    server.getsockname() as [string, number],
  );
  client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  const [conn] = await server.accept();
  await using _conn = conn;
  const all = bytes("你好，世界\n");
  await using f = conn.makefile("r", { encoding: "utf-8" });
  const line = f.readline();
  await client.sendall(all.subarray(0, 4)); // "你" and 1 byte of "好"
  await delay(50);
  await client.sendall(all.subarray(4));
  assert.equal(await line, "你好，世界\n");
});

Deno.test("makefile() files readline, readlines, read(n), write, flush and close over TCP", async () => {
  await using p = await pair();
  const [a, b] = p;
  await using wa = a.makefile("w");
  await using rb = b.makefile("r");
  await wa.write("first line\n");
  await wa.write("中文第二行\n");
  await wa.write("abcdefg");
  await wa.flush();
  assert.equal(await rb.readline(), "first line\n");
  assert.equal(await rb.readline(), "中文第二行\n");
  assert.equal(await rb.read(3), "abc");
  await wa.write("\nx\ny\n");
  await wa.close();
  assert.equal(a.fileno() >= 0, true, "closing the file keeps the socket open");
  a.shutdown(1);
  assert.deepEqual(await rb.readlines(), ["defg\n", "x\n", "y\n"]);
  assert.equal(await rb.readline(), "");
});

Deno.test("for await reads lines of a binary file until the peer closes", async () => {
  await using p = await pair();
  const [a, b] = p;
  const lines = Array.from(
    { length: 200 },
    (_, i) => `line ${i} ${"x".repeat(i * 13)}\n`,
  );
  const sending = (async () => {
    for (const l of lines) await a.sendall(l);
    await a.shutdown(1);
  })();
  await using f = b.makefile("rb", { buffering: 512 });
  const got: string[] = [];
  for await (const line of f) got.push(dec.decode(line as Uint8Array));
  await sending;
  assert.deepEqual(got, lines);
});

Deno.test("readline() keeps the partial line when the socket times out", async () => {
  await using p = await pair();
  const [a, b] = p;
  b.settimeout(0.1);
  await using f = b.makefile("rb");
  await a.sendall("par");
  await assert.rejects(f.readline(), TimeoutError);
  await a.sendall("tial\n");
  assert.deepEqual(await f.readline(), bytes("partial\n"));
});

Deno.test("a file and the socket share the stream when the file is unbuffered", async () => {
  await using p = await pair();
  const [a, b] = p;
  await a.sendall("header\nbody");
  const f = b.makefile("rb", { buffering: 0 });
  assert.deepEqual(await f.readline(), bytes("header\n"));
  await f.close();
  assert.deepEqual(await b.recv(100), bytes("body"));
});

Deno.test("makefile('rw') talks to a python3 peer in Chinese", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  const [, port] = server.getsockname() as [string, number];
  const script = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rw", encoding="utf-8")
f.write("你好\\n第二行：🐍 python\\n")
f.flush()
print(f.readline(), end="")
f.close()
s.close()
`;
  const child = new Deno.Command("python3", {
    args: ["-c", script, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const [conn] = await server.accept();
    await using _conn = conn;
    conn.settimeout(20);
    await using f = conn.makefile("rw", { encoding: "utf-8" });
    assert.equal(await f.readline(), "你好\n");
    assert.equal(await f.readline(), "第二行：🐍 python\n");
    assert.equal(await f.write("回复：好的\n"), 6);
    await f.flush();
    assert.equal(await f.readline(), "");
  } finally {
    const out = await child.output();
    assert.equal(dec.decode(out.stderr), "");
    assert.equal(dec.decode(out.stdout), "回复：好的\n");
    assert.equal(out.code, 0);
  }
});

Deno.test('makefile("wb") writes that are not awaited arrive in order over a real socket, small and big mixed', async () => {
  await using p = await pair();
  const [a, b] = p;
  b.settimeout(5);
  const f = a.makefile("wb", { buffering: 1000 });
  const sizes = [10, 990, 1, 5000, 300, 700, 400_000, 3, 999, 1000, 64];
  const writes: Promise<number | null>[] = [];
  let total = 0;
  for (const [i, n] of sizes.entries()) {
    const chunk = new Uint8Array(n).fill(i + 1);
    writes.push(f.write(chunk));
    total += n;
  }
  await f.flush();
  assert.deepEqual(await Promise.all(writes), sizes);
  const got = new Uint8Array(total);
  let have = 0;
  for (let i = 0; i < 10_000 && have < total; i++) {
    have += await b.recv_into(got.subarray(have));
  }
  assert.equal(have, total);
  let at = 0;
  for (const [i, n] of sizes.entries()) {
    const part = got.subarray(at, at + n);
    assert.ok(part.every((x) => x === i + 1), `write ${i} (${n} bytes)`);
    at += n;
  }
  await f.close();
});

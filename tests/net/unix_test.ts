/**
 * Unix domain sockets (AF_UNIX SOCK_STREAM and SOCK_DGRAM) in a temporary
 * folder that each test removes: echo, names, half-close, errors for missing
 * and taken paths, datagram boundaries and default peers, and the exact
 * permissions a Unix socket needs, proven in a child `deno run`.
 */
import assert from "node:assert/strict";
import {
  AF_UNIX,
  ConnectionRefusedError,
  FileNotFoundError,
  OSError,
  PermissionError,
  SHUT_WR,
  SO_REUSEADDR,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../../net/mod.ts";

/** Bounds every receive that should succeed, in seconds. */
const WAIT = 5;
/** How long a receive waits to show that nothing arrives, in seconds. */
const QUIET = 0.3;
/** A child `deno run` is killed after this long. */
const CHILD_MS = 30_000;

const decoder = new TextDecoder();

function text(data: Uint8Array): string {
  return decoder.decode(data);
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pysock-unix-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A Unix socket of `type`, bound to `path` unless null, with a timeout. */
function unix(type: number, path: string | null): Socket {
  const s = socket(AF_UNIX, type);
  if (path !== null) s.bind(path);
  s.settimeout(WAIT);
  return s;
}

/** Receives from a stream socket until EOF, bounded by the socket's timeout. */
async function readAll(s: Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < 100_000; i++) {
    const part = await s.recv(65536);
    if (part.length === 0) break;
    parts.push(part);
    total += part.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function hasErrno(errno: number, Class: typeof OSError = OSError) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err}`);
    assert.equal(err.errno, errno);
    return true;
  };
}

// ---- SOCK_STREAM ----

Deno.test("AF_UNIX SOCK_STREAM: bind(), listen(), accept() and connect() echo both ways", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/echo.sock`;
    await using server = unix(SOCK_STREAM, path);
    server.listen();
    assert.equal(server.getsockname(), path);
    assert.equal(Deno.lstatSync(path).isSocket, true);

    await using client = unix(SOCK_STREAM, null);
    await client.connect(path);
    const [conn, addr] = await server.accept();
    await using _conn = conn;
    conn.settimeout(WAIT);
    // An unbound client has no name, as in CPython.
    assert.equal(addr, "");
    assert.equal(client.getpeername(), path);
    assert.equal(client.getsockname(), "");
    assert.equal(conn.getsockname(), path);
    assert.equal(conn.getpeername(), "");
    assert.equal(conn.family, AF_UNIX);
    assert.equal(conn.type, SOCK_STREAM);

    await client.sendall("ping");
    assert.equal(text(await conn.recv(1024)), "ping");
    await conn.sendall("pong");
    assert.equal(text(await client.recv(1024)), "pong");
  });
});

Deno.test("AF_UNIX SOCK_STREAM: 1 MiB echoes back whole", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/big.sock`;
    await using server = unix(SOCK_STREAM, path);
    server.listen();
    await using client = unix(SOCK_STREAM, null);
    await client.connect(path);
    const [conn] = await server.accept();
    await using _conn = conn;
    conn.settimeout(WAIT);
    const payload = new Uint8Array(1 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 255;
    const echo = (async () => {
      const got = await readAll(conn);
      await conn.sendall(got);
      await conn.shutdown(SHUT_WR);
    })();
    await client.sendall(payload);
    await client.shutdown(SHUT_WR);
    const back = await readAll(client);
    await echo;
    assert.equal(back.length, payload.length);
    assert.deepEqual(back, payload);
  });
});

Deno.test("AF_UNIX SOCK_STREAM: shutdown(SHUT_WR) half-closes and recv() returns EOF", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/half.sock`;
    await using server = unix(SOCK_STREAM, path);
    server.listen();
    await using client = unix(SOCK_STREAM, null);
    await client.connect(path);
    const [conn] = await server.accept();
    conn.settimeout(WAIT);

    await client.sendall("request");
    await client.shutdown(SHUT_WR);
    assert.equal(text(await readAll(conn)), "request");
    // EOF stays EOF.
    assert.equal((await conn.recv(10)).length, 0);
    // The other direction still works after the half-close.
    await conn.sendall("response");
    await conn.close();
    assert.equal(text(await readAll(client)), "response");
    assert.equal((await client.recv(10)).length, 0);
  });
});

Deno.test("AF_UNIX connect() to a missing path rejects with FileNotFoundError (2)", async () => {
  await inTempDir(async (dir) => {
    await using s = unix(SOCK_STREAM, null);
    await assert.rejects(
      s.connect(`${dir}/missing.sock`),
      hasErrno(2, FileNotFoundError),
    );
    await using t = unix(SOCK_STREAM, null);
    assert.equal(await t.connect_ex(`${dir}/missing.sock`), 2);
  });
});

Deno.test("AF_UNIX connect() to a regular file rejects with ConnectionRefusedError (111)", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/plain`;
    await Deno.writeTextFile(path, "not a socket");
    await using s = unix(SOCK_STREAM, null);
    await assert.rejects(
      s.connect(path),
      hasErrno(111, ConnectionRefusedError),
    );
  });
});

Deno.test("AF_UNIX bind() of an existing regular file fails with EADDRINUSE (98) until it is removed", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/taken`;
    await Deno.writeTextFile(path, "keep me");
    const s = socket(AF_UNIX, SOCK_STREAM);
    try {
      assert.throws(() => s.bind(path), hasErrno(98));
      // The file was left alone.
      assert.equal(await Deno.readTextFile(path), "keep me");
    } finally {
      await s.close();
    }
    await Deno.remove(path);
    await using again = socket(AF_UNIX, SOCK_STREAM);
    again.bind(path);
    again.listen();
    assert.equal(again.getsockname(), path);
  });
});

Deno.test("AF_UNIX bind() of a live listener's path fails with EADDRINUSE (98), and works once the file is gone", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/live.sock`;
    const first = unix(SOCK_STREAM, path);
    first.listen();
    const second = socket(AF_UNIX, SOCK_STREAM);
    try {
      assert.throws(() => second.bind(path), hasErrno(98));
      // The live listener still serves.
      await using client = unix(SOCK_STREAM, null);
      await client.connect(path);
      const [conn] = await first.accept();
      await conn.close();
    } finally {
      await second.close();
      await first.close();
    }
    // CPython leaves the file after close(); remove it if it is still there.
    if (exists(path)) await Deno.remove(path);
    await using third = unix(SOCK_STREAM, path);
    third.listen();
    await using client = unix(SOCK_STREAM, null);
    await client.connect(path);
    const [conn] = await third.accept();
    await using _conn = conn;
    await client.sendall("again");
    conn.settimeout(WAIT);
    assert.equal(text(await conn.recv(10)), "again");
  });
});

Deno.test("AF_UNIX bind() ignores SO_REUSEADDR: an existing path is still EADDRINUSE (98)", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/reuse.sock`;
    await using first = unix(SOCK_STREAM, path);
    first.listen();
    await using second = socket(AF_UNIX, SOCK_STREAM);
    second.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    assert.throws(() => second.bind(path), hasErrno(98));
  });
});

for (
  const [name, type] of [["SOCK_STREAM", SOCK_STREAM], [
    "SOCK_DGRAM",
    SOCK_DGRAM,
  ]] as const
) {
  Deno.test(`AF_UNIX ${name}: bind() and connect() with a path over 107 bytes reject with OSError`, async () => {
    await inTempDir(async (dir) => {
      const long = `${dir}/${"x".repeat(120)}`;
      await using s = socket(AF_UNIX, type);
      assert.throws(() => s.bind(long), OSError);
      await using c = socket(AF_UNIX, type);
      await assert.rejects(c.connect(long), OSError);
      assert.equal(exists(long), false);
    });
  });
}

Deno.test("AF_UNIX SOCK_STREAM: recv() with a timeout rejects with TimeoutError and keeps later bytes", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/timeout.sock`;
    await using server = unix(SOCK_STREAM, path);
    server.listen();
    await using client = unix(SOCK_STREAM, null);
    await client.connect(path);
    const [conn] = await server.accept();
    await using _conn = conn;
    conn.settimeout(0.1);
    await assert.rejects(conn.recv(10), TimeoutError);
    await client.sendall("late");
    conn.settimeout(WAIT);
    assert.equal(text(await conn.recv(10)), "late");
  });
});

Deno.test("AF_UNIX SOCK_STREAM: two recv() calls pending at once get the bytes in order, never a false EOF", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/two.sock`;
    await using server = unix(SOCK_STREAM, path);
    server.listen();
    await using client = unix(SOCK_STREAM, null);
    await client.connect(path);
    const [conn] = await server.accept();
    await using _conn = conn;
    conn.settimeout(WAIT);
    // allSettled at once: a failed call must fail this test, not leak.
    const both = Promise.allSettled([conn.recv(100), conn.recv(100)]);
    await client.sendall("first");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.sendall("second");
    const got = await both;
    assert.deepEqual(
      got.map((r) => r.status === "fulfilled" ? text(r.value) : r.reason),
      ["first", "second"],
    );
  });
});

Deno.test("AF_UNIX SOCK_STREAM: two accept() calls pending at once each get a connection", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/accept.sock`;
    await using server = unix(SOCK_STREAM, path);
    server.listen();
    const both = Promise.allSettled([server.accept(), server.accept()]);
    await using a = unix(SOCK_STREAM, null);
    await a.connect(path);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await using b = unix(SOCK_STREAM, null);
    await b.connect(path);
    const got = await both;
    for (const r of got) {
      if (r.status === "fulfilled") await r.value[0].close();
    }
    assert.deepEqual(
      got.map((r) => r.status === "fulfilled" ? "ok" : r.reason),
      [
        "ok",
        "ok",
      ],
    );
  });
});

// ---- SOCK_DGRAM ----

Deno.test("AF_UNIX SOCK_DGRAM: recvfrom() gives the client's path and sendto() replies", async () => {
  await inTempDir(async (dir) => {
    const serverPath = `${dir}/server.sock`;
    const clientPath = `${dir}/client.sock`;
    await using server = unix(SOCK_DGRAM, serverPath);
    await using client = unix(SOCK_DGRAM, clientPath);
    assert.equal(server.getsockname(), serverPath);
    assert.equal(client.getsockname(), clientPath);

    assert.equal(await client.sendto("question", serverPath), 8);
    const [data, from] = await server.recvfrom(1024);
    assert.equal(text(data), "question");
    assert.equal(from, clientPath);
    assert.equal(await server.sendto("answer", from!), 6);
    const [reply, replyFrom] = await client.recvfrom(1024);
    assert.equal(text(reply), "answer");
    assert.equal(replyFrom, serverPath);
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: recv(bufsize) truncates one datagram and drops the rest", async () => {
  await inTempDir(async (dir) => {
    const serverPath = `${dir}/server.sock`;
    await using server = unix(SOCK_DGRAM, serverPath);
    await using client = unix(SOCK_DGRAM, `${dir}/client.sock`);
    const first = new Uint8Array(100).map((_, i) => i);
    await client.sendto(first, serverPath);
    await client.sendto("fives", serverPath);
    await client.sendto("abcdefgh", serverPath);
    assert.deepEqual(await server.recv(10), first.subarray(0, 10));
    assert.equal(text(await server.recv(1024)), "fives");
    const buf = new Uint8Array(3);
    const [n, from] = await server.recvfrom_into(buf);
    assert.equal(n, 3);
    assert.equal(text(buf), "abc");
    assert.equal(from, `${dir}/client.sock`);
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: a 100000-byte datagram arrives whole, as on Linux", async () => {
  await inTempDir(async (dir) => {
    const serverPath = `${dir}/server.sock`;
    await using server = unix(SOCK_DGRAM, serverPath);
    await using client = unix(SOCK_DGRAM, `${dir}/client.sock`);
    // Unix datagrams are not limited to 64 KiB: up to the send buffer size.
    const payload = new Uint8Array(100_000).map((_, i) => i & 255);
    assert.equal(await client.sendto(payload, serverPath), 100_000);
    const got = await server.recv(300_000);
    assert.equal(got.length, 100_000);
    assert.deepEqual(got, payload);
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: connect() sets the default peer and drops other senders", async () => {
  await inTempDir(async (dir) => {
    const serverPath = `${dir}/server.sock`;
    const clientPath = `${dir}/client.sock`;
    await using server = unix(SOCK_DGRAM, serverPath);
    await using client = unix(SOCK_DGRAM, clientPath);
    await using third = unix(SOCK_DGRAM, `${dir}/third.sock`);

    await client.connect(serverPath);
    assert.equal(client.getpeername(), serverPath);
    assert.equal(await client.send("via send"), 8);
    const [data, from] = await server.recvfrom(100);
    assert.equal(text(data), "via send");
    assert.equal(from, clientPath);

    await third.sendto("from third", clientPath);
    await server.sendto("from server", clientPath);
    const [reply, replyFrom] = await client.recvfrom(100);
    assert.equal(text(reply), "from server");
    assert.equal(replyFrom, serverPath);
    client.settimeout(QUIET);
    await assert.rejects(client.recv(100), TimeoutError);
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: an unbound socket can connect() and send()", async () => {
  await inTempDir(async (dir) => {
    const serverPath = `${dir}/server.sock`;
    await using server = unix(SOCK_DGRAM, serverPath);
    await using client = unix(SOCK_DGRAM, null);
    await client.connect(serverPath);
    assert.equal(client.getpeername(), serverPath);
    await client.send("anonymous");
    assert.equal(text(await server.recv(100)), "anonymous");
    // Nothing but the server's socket file was created.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "server.sock",
    ]);
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: recvfrom() gives null for an unbound sender, as CPython", async () => {
  await inTempDir(async (dir) => {
    const serverPath = `${dir}/server.sock`;
    await using server = unix(SOCK_DGRAM, serverPath);
    await using client = unix(SOCK_DGRAM, null);
    await client.sendto("who am I", serverPath);
    const [data, from] = await server.recvfrom(100);
    assert.equal(text(data), "who am I");
    assert.equal(from, null);
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: send() on an unconnected socket rejects with EDESTADDRREQ (89)", async () => {
  await inTempDir(async (dir) => {
    await using s = unix(SOCK_DGRAM, `${dir}/s.sock`);
    await assert.rejects(s.send("x"), hasErrno(89));
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: sendto() a missing path rejects with FileNotFoundError, a regular file with ConnectionRefusedError", async () => {
  await inTempDir(async (dir) => {
    await using s = unix(SOCK_DGRAM, `${dir}/s.sock`);
    await assert.rejects(
      s.sendto("x", `${dir}/missing.sock`),
      hasErrno(2, FileNotFoundError),
    );
    await Deno.writeTextFile(`${dir}/plain`, "");
    await assert.rejects(
      s.sendto("x", `${dir}/plain`),
      hasErrno(111, ConnectionRefusedError),
    );
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: connect() to a missing path rejects with FileNotFoundError, as Linux", async () => {
  await inTempDir(async (dir) => {
    await using s = unix(SOCK_DGRAM, null);
    await assert.rejects(
      s.connect(`${dir}/missing.sock`),
      hasErrno(2, FileNotFoundError),
    );
  });
});

Deno.test("AF_UNIX SOCK_DGRAM: bind() of a taken path fails with EADDRINUSE (98), and close() leaves the file as CPython", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/d.sock`;
    const first = unix(SOCK_DGRAM, path);
    const second = socket(AF_UNIX, SOCK_DGRAM);
    try {
      assert.throws(() => second.bind(path), hasErrno(98));
    } finally {
      await second.close();
      await first.close();
    }
    assert.ok(exists(path), "the socket file stays after close()");
    await Deno.remove(path);
    await using third = unix(SOCK_DGRAM, path);
    assert.equal(third.getsockname(), path);
  });
});

// ---- Permissions, proven in a child process ----

const MOD = new URL("../../net/mod.ts", import.meta.url).href;

// The child binds and echoes once over a Unix socket with our API and prints
// one JSON line: {"ok": echo} or {"error": name, "errno": n}.
const CHILD = `
import { AF_UNIX, SOCK_DGRAM, SOCK_STREAM, socket } from ${JSON.stringify(MOD)};
const [kind, dir] = Deno.args;
const dec = new TextDecoder();
try {
  if (kind === "stream") {
    await using server = socket(AF_UNIX, SOCK_STREAM);
    server.bind(dir + "/s.sock");
    server.listen();
    await using client = socket(AF_UNIX, SOCK_STREAM);
    client.settimeout(5);
    await client.connect(dir + "/s.sock");
    const [conn] = await server.accept();
    await using _conn = conn;
    conn.settimeout(5);
    await client.sendall("stream echo");
    await conn.sendall(await conn.recv(100));
    console.log(JSON.stringify({ ok: dec.decode(await client.recv(100)) }));
  } else {
    await using server = socket(AF_UNIX, SOCK_DGRAM);
    server.bind(dir + "/s.sock");
    server.settimeout(5);
    await using client = socket(AF_UNIX, SOCK_DGRAM);
    client.bind(dir + "/c.sock");
    client.settimeout(5);
    await client.sendto("dgram echo", dir + "/s.sock");
    const [data, from] = await server.recvfrom(100);
    await server.sendto(data, from);
    console.log(JSON.stringify({ ok: dec.decode(await client.recv(100)) }));
  }
} catch (err) {
  console.log(JSON.stringify({ error: err.name, errno: err.errno ?? null }));
}
`;

type ChildResult = { ok?: string; error?: string; errno?: number | null };

/** Runs the child under exactly `flags`; returns its JSON line. */
async function runChild(
  dir: string,
  kind: "stream" | "dgram",
  flags: string[],
): Promise<ChildResult> {
  const script = `${dir}/child.ts`;
  await Deno.writeTextFile(script, CHILD);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CHILD_MS);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        ...flags,
        script,
        kind,
        dir,
      ],
      env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const stdout = decoder.decode(out.stdout).trim();
    assert.equal(
      out.code,
      0,
      `child failed: ${stdout}\n${decoder.decode(out.stderr)}`,
    );
    const last = stdout.split("\n").at(-1) ?? "";
    return JSON.parse(last) as ChildResult;
  } finally {
    clearTimeout(timer);
  }
}

/** A folder for a child's sockets, outside every other grant. */
async function childDir(fn: (dir: string) => Promise<void>): Promise<void> {
  await inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/socks`);
    await fn(`${dir}/socks`);
  });
}

Deno.test("a Unix stream socket works with --allow-read, --allow-write and --allow-net=unix:<path> only", async () => {
  await childDir(async (dir) => {
    const result = await runChild(dir, "stream", [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-net=unix:${dir}/s.sock`,
    ]);
    assert.deepEqual(result, { ok: "stream echo" });
  });
});

Deno.test("a Unix stream socket without --allow-net=unix:<path> fails with PermissionError", async () => {
  await childDir(async (dir) => {
    const result = await runChild(dir, "stream", [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
    ]);
    assert.deepEqual(result, { error: PermissionError.name, errno: 13 });
    // A grant for another path is not enough either.
    const other = await runChild(dir, "stream", [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-net=unix:${dir}/other.sock`,
    ]);
    assert.deepEqual(other, { error: "PermissionError", errno: 13 });
  });
});

Deno.test("a Unix stream socket without --allow-write fails with PermissionError", async () => {
  await childDir(async (dir) => {
    const result = await runChild(dir, "stream", [
      `--allow-read=${dir}`,
      `--allow-net=unix:${dir}/s.sock`,
    ]);
    assert.deepEqual(result, { error: "PermissionError", errno: 13 });
  });
});

Deno.test("a Unix datagram socket works with the three grants and --unstable-net", async () => {
  await childDir(async (dir) => {
    const result = await runChild(dir, "dgram", [
      "--unstable-net",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-net=unix:${dir}/s.sock,unix:${dir}/c.sock`,
    ]);
    assert.deepEqual(result, { ok: "dgram echo" });
  });
});

Deno.test("a Unix datagram socket without --allow-net=unix:<path> fails with PermissionError", async () => {
  await childDir(async (dir) => {
    const result = await runChild(dir, "dgram", [
      "--unstable-net",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
    ]);
    assert.deepEqual(result, { error: "PermissionError", errno: 13 });
  });
});

Deno.test("a Unix datagram socket without --unstable-net fails with an OSError naming the flag", async () => {
  await childDir(async (dir) => {
    const result = await runChild(dir, "dgram", [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-net=unix:${dir}/s.sock,unix:${dir}/c.sock`,
    ]);
    // EPROTONOSUPPORT (93), thrown by socket() before anything is bound.
    assert.deepEqual(result, { error: "OSError", errno: 93 });
  });
});

// Tests of send_msg()/recv_msg() (net/framing.ts): over in-memory fake
// sockets (exact segmentation, injected errors, hostile prefixes), then over
// real loopback TCP and a python3 peer.
import assert from "node:assert/strict";
import {
  ConnectionError,
  create_server,
  DEFAULT_MAX_MSG_SIZE,
  EMSGSIZE,
  IncompleteMessageError,
  type MsgReceiver,
  type MsgSender,
  OSError,
  recv_msg,
  send_msg,
  type Socket,
  socketpair,
  TimeoutError,
} from "../../net/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A byte stream in memory: `recv` (and optionally `recv_into`) hand it out. */
class FakeStream implements MsgReceiver, MsgSender {
  data: Uint8Array;
  at = 0;
  /** Largest number of bytes one receive hands out. */
  segment: number;
  /** Errors thrown instead of receiving, by receive call index. */
  faults = new Map<number, Error>();
  calls = 0;
  largest_request = 0;
  sent: Uint8Array[] = [];
  recv_into?: (
    buffer: Uint8Array<ArrayBuffer>,
    nbytes?: number,
  ) => Promise<number>;

  constructor(data: Uint8Array, segment = Infinity, with_recv_into = false) {
    this.data = data;
    this.segment = segment;
    if (with_recv_into) {
      this.recv_into = (buffer, nbytes = buffer.length) => {
        const chunk = this.#next(nbytes);
        buffer.set(chunk);
        return Promise.resolve(chunk.length);
      };
    }
  }

  #next(n: number): Uint8Array {
    this.largest_request = Math.max(this.largest_request, n);
    const fault = this.faults.get(this.calls++);
    if (fault) throw fault;
    const take = Math.min(n, this.segment, this.data.length - this.at);
    const out = this.data.slice(this.at, this.at + take);
    this.at += take;
    return out;
  }

  recv(bufsize: number): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.#next(bufsize));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  sendall(data: Uint8Array): Promise<void> {
    this.sent.push(data.slice());
    return Promise.resolve();
  }
}

function frame(payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === "string" ? enc.encode(payload) : payload;
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("send_msg() writes a 4-byte big-endian length, then the payload", async () => {
  const sink = new FakeStream(new Uint8Array(0));
  await send_msg(sink, "中文");
  assert.deepEqual(sink.sent, [
    new Uint8Array([0, 0, 0, 6, 0xe4, 0xb8, 0xad, 0xe6, 0x96, 0x87]),
  ]);
  await send_msg(sink, new Uint8Array(0));
  assert.deepEqual(sink.sent[1], new Uint8Array([0, 0, 0, 0]));
  await send_msg(sink, new Uint16Array([0x0102]).buffer);
  assert.deepEqual(sink.sent[2]!.subarray(0, 4), new Uint8Array([0, 0, 0, 2]));
});

Deno.test("send_msg() sends small messages in one sendall, big ones in two", async () => {
  const sink = new FakeStream(new Uint8Array(0));
  await send_msg(sink, new Uint8Array(65536).fill(1));
  assert.equal(sink.sent.length, 1);
  assert.equal(sink.sent[0]!.length, 65540);
  const big = new Uint8Array(65537).fill(2);
  await send_msg(sink, big);
  assert.equal(sink.sent.length, 3);
  assert.deepEqual(sink.sent[1], new Uint8Array([0, 1, 0, 1]));
  assert.deepEqual(sink.sent[2], big);
});

Deno.test("send_msg() refuses data over max_size and bad arguments", async () => {
  const sink = new FakeStream(new Uint8Array(0));
  await assert.rejects(
    send_msg(sink, new Uint8Array(11), { max_size: 10 }),
    (err: unknown) =>
      err instanceof RangeError &&
      err.message === "Cannot send message: data is 11 bytes, over max_size 10",
  );
  await assert.rejects(
    send_msg(sink, new Uint8Array(DEFAULT_MAX_MSG_SIZE + 1)),
    /over max_size 16777216/,
  );
  await assert.rejects(
    send_msg(sink, "x", { max_size: 2 ** 32 }),
    /max_size must be an integer from 0 to 4294967295, received 4294967296/,
  );
  await assert.rejects(send_msg(sink, "x", { max_size: -1 }), RangeError);
  await assert.rejects(
    send_msg(sink, "x", { max_size: "1" as unknown as number }),
    TypeError,
  );
  await assert.rejects(send_msg(sink, 42 as unknown as string), TypeError);
  await assert.rejects(
    send_msg({} as MsgSender, "x"),
    /sock must have a sendall\(\) method/,
  );
  assert.equal(sink.sent.length, 0);
  await send_msg(sink, new Uint8Array(10), { max_size: 10 });
  assert.equal(sink.sent.length, 1);
});

Deno.test("recv_msg() returns each message whatever the segmentation", async () => {
  const messages = [0, 1, 3, 4, 5, 100, 4096, 70_000].map((n) => {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i++) m[i] = (i * 7 + n) & 0xff;
    return m;
  });
  const stream = cat(messages.map(frame));
  for (const segment of [1, 2, 3, 5, 4096, Infinity]) {
    for (const with_recv_into of [false, true]) {
      const sock = new FakeStream(stream, segment, with_recv_into);
      for (const m of messages) assert.deepEqual(await recv_msg(sock), m);
      assert.equal(await recv_msg(sock), null);
      assert.equal(await recv_msg(sock), null);
      // Never asked for more than the rest of the current message.
      assert.ok(sock.largest_request <= 70_000);
    }
  }
});

Deno.test("recv_msg() returns null at a clean EOF and an empty array for an empty message", async () => {
  assert.equal(await recv_msg(new FakeStream(new Uint8Array(0))), null);
  const sock = new FakeStream(frame(""));
  const empty = await recv_msg(sock);
  assert.ok(empty instanceof Uint8Array);
  assert.equal(empty.length, 0);
  assert.equal(await recv_msg(sock), null);
});

Deno.test("recv_msg() throws IncompleteMessageError on EOF inside a message", async () => {
  await assert.rejects(
    recv_msg(new FakeStream(new Uint8Array([0, 0]), 1)),
    (err: unknown) => {
      assert.ok(err instanceof IncompleteMessageError);
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.errno, 71);
      assert.equal(err.part, "header");
      assert.equal(err.received, 2);
      assert.equal(err.expected, 4);
      assert.equal(
        err.message,
        "[Errno 71] Cannot receive message: connection closed after 2 of 4 header bytes",
      );
      return true;
    },
  );
  const cut = frame("hello").subarray(0, 7);
  for (const with_recv_into of [false, true]) {
    const sock = new FakeStream(cut, 2, with_recv_into);
    await assert.rejects(recv_msg(sock), (err: unknown) => {
      assert.ok(err instanceof IncompleteMessageError);
      assert.equal(err.part, "payload");
      assert.equal(err.received, 3);
      assert.equal(err.expected, 5);
      return true;
    });
    assert.equal(await recv_msg(sock), null);
  }
});

Deno.test("recv_msg() refuses a 4 GiB prefix before allocating anything", async () => {
  const hostile = cat([
    new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    new Uint8Array(10),
  ]);
  for (const with_recv_into of [false, true]) {
    const sock = new FakeStream(hostile, Infinity, with_recv_into);
    const before = Deno.memoryUsage().rss;
    for (let i = 0; i < 20; i++) {
      await assert.rejects(recv_msg(sock), (err: unknown) => {
        assert.ok(err instanceof OSError);
        assert.equal(err.errno, EMSGSIZE);
        assert.equal(
          err.message,
          "[Errno 90] Cannot receive message: length 4294967295 is over max_size 16777216",
        );
        return true;
      });
    }
    const grown = Deno.memoryUsage().rss - before;
    assert.ok(grown < 64 << 20, `rss grew by ${grown} bytes`);
    // Only the header was read: the payload is left on the stream.
    assert.equal(sock.at, 4);
    assert.equal(sock.largest_request, 4);
  }
});

Deno.test("recv_msg() resumes the refused message when max_size allows it", async () => {
  const payload = new Uint8Array(2000).fill(9);
  const sock = new FakeStream(cat([frame(payload), frame("next")]), 700, true);
  await assert.rejects(
    recv_msg(sock, { max_size: 1000 }),
    /length 2000 is over max_size 1000/,
  );
  assert.deepEqual(await recv_msg(sock, { max_size: 2000 }), payload);
  assert.equal(dec.decode((await recv_msg(sock))!), "next");
});

Deno.test("recv_msg() keeps a partial message when the socket times out", async () => {
  const payload = enc.encode("a message split by timeouts");
  for (const with_recv_into of [false, true]) {
    const sock = new FakeStream(
      cat([frame(payload), frame("2")]),
      3,
      with_recv_into,
    );
    sock.faults.set(1, new TimeoutError()); // inside the header
    sock.faults.set(4, new TimeoutError()); // inside the payload
    await assert.rejects(recv_msg(sock), TimeoutError);
    await assert.rejects(recv_msg(sock), TimeoutError);
    assert.deepEqual(await recv_msg(sock), payload);
    assert.equal(dec.decode((await recv_msg(sock))!), "2");
  }
});

Deno.test("recv_msg() validates its arguments", async () => {
  const sock = new FakeStream(frame("x"));
  await assert.rejects(recv_msg(sock, { max_size: 1.5 }), RangeError);
  await assert.rejects(
    recv_msg(null as unknown as MsgReceiver),
    /Cannot receive message: sock must have a recv\(\) method, received null/,
  );
  assert.equal(dec.decode((await recv_msg(sock, { max_size: 1 }))!), "x");
});

Deno.test("concurrent recv_msg() and send_msg() calls keep messages whole and in order", async () => {
  const sock = new FakeStream(cat(["one", "two", "three"].map(frame)), 1);
  const got = await Promise.all([
    recv_msg(sock),
    recv_msg(sock),
    recv_msg(sock),
  ]);
  assert.deepEqual(got.map((m) => dec.decode(m!)), ["one", "two", "three"]);
  const sink = new FakeStream(new Uint8Array(0));
  const big = new Uint8Array(100_000);
  await Promise.all([send_msg(sink, big), send_msg(sink, "small")]);
  assert.deepEqual(cat(sink.sent), cat([frame(big), frame("small")]));
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

Deno.test("send_msg() and recv_msg() keep message boundaries over TCP", async () => {
  await using p = await pair();
  const [a, b] = p;
  const sizes = [0, 1, 10, 65536, 65537, 1 << 20, 5];
  const messages = sizes.map((n, k) => new Uint8Array(n).fill(k + 1));
  const sending = (async () => {
    for (const m of messages) await send_msg(a, m);
    await send_msg(a, "第二条消息");
    await a.shutdown(1);
  })();
  for (const m of messages) assert.deepEqual(await recv_msg(b), m);
  assert.equal(dec.decode((await recv_msg(b))!), "第二条消息");
  assert.equal(await recv_msg(b), null);
  await sending;
});

Deno.test("recv_msg() over TCP refuses an oversized prefix and keeps the stream", async () => {
  await using p = await pair();
  const [a, b] = p;
  await a.sendall(new Uint8Array([0xff, 0xff, 0xff, 0xfe]));
  await assert.rejects(
    recv_msg(b),
    (err: unknown) => err instanceof OSError && err.errno === EMSGSIZE,
  );
  b.settimeout(0.2);
  // The payload was not consumed: the next bytes are still there.
  await a.sendall("after");
  assert.equal(dec.decode(await b.recv(100)), "after");
});

Deno.test("recv_msg() resumes after a socket timeout mid-message over TCP", async () => {
  await using p = await pair();
  const [a, b] = p;
  b.settimeout(0.1);
  const whole = frame("resumed message");
  await a.sendall(whole.subarray(0, 6));
  await assert.rejects(recv_msg(b), TimeoutError);
  await a.sendall(whole.subarray(6));
  assert.equal(dec.decode((await recv_msg(b))!), "resumed message");
});

Deno.test("send_msg()/recv_msg() interoperate with a python3 struct.pack peer", async () => {
  await using server = create_server(["127.0.0.1", 0]);
  const [, port] = server.getsockname() as [string, number];
  const script = `
import socket, struct, sys
def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        part = s.recv(n - len(buf))
        if not part:
            raise EOFError
        buf += part
    return buf
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for text in ["你好", "", "x" * 100000]:
    data = text.encode()
    s.sendall(struct.pack("!I", len(data)) + data)
(n,) = struct.unpack("!I", recv_exact(s, 4))
print(recv_exact(s, n).decode())
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
    assert.equal(dec.decode((await recv_msg(conn))!), "你好");
    assert.equal((await recv_msg(conn))!.length, 0);
    assert.equal(dec.decode((await recv_msg(conn))!), "x".repeat(100000));
    await send_msg(conn, "收到三条");
    assert.equal(await recv_msg(conn), null);
  } finally {
    const out = await child.output();
    assert.equal(dec.decode(out.stderr), "");
    assert.equal(dec.decode(out.stdout), "收到三条\n");
    assert.equal(out.code, 0);
  }
});

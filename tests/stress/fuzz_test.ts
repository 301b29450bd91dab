// Seeded, bounded fuzz of makefile("rb").readline(), recv_msg() and the
// datagram handler, each against a simple model.
// deno test --sanitize-ops --sanitize-resources -A tests/stress/fuzz_test.ts
// STRESS_SEED=<n> replays another seed; every test prints the seed it used.
import assert from "node:assert/strict";
import {
  AF_INET,
  EMSGSIZE,
  IncompleteMessageError,
  type MsgReceiver,
  OSError,
  recv_msg,
  send_msg,
  SOCK_DGRAM,
  type Socket,
  socket,
  SocketFile,
  socketpair,
} from "../../net/mod.ts";
import { DatagramRequestHandler, UDPServer } from "../../server/mod.ts";
import { concat, Rng, same, SEED, within } from "./_util.ts";

const TRIALS = 60;

// A socket that hands out pre-cut segments: recv(n) gives at most n bytes of
// the current segment and keeps the rest; then EOF (an empty array) forever.
class FakeSocket {
  #segments: Uint8Array[];
  sent: Uint8Array[] = [];
  recv_calls = 0;
  constructor(segments: Uint8Array[]) {
    this.#segments = segments.slice();
  }
  recv(bufsize: number): Promise<Uint8Array> {
    this.recv_calls++;
    const seg = this.#segments.shift();
    if (seg === undefined) return Promise.resolve(new Uint8Array(0));
    if (seg.length > bufsize) {
      this.#segments.unshift(seg.subarray(bufsize));
      return Promise.resolve(seg.slice(0, bufsize));
    }
    return Promise.resolve(seg.slice());
  }
  sendall(data: Uint8Array): Promise<void> {
    this.sent.push(data.slice());
    return Promise.resolve();
  }
}

// The same, with recv_into (recv_msg then receives straight into its buffer).
class FakeIntoSocket extends FakeSocket {
  async recv_into(buffer: Uint8Array, nbytes?: number): Promise<number> {
    const got = await this.recv(nbytes ?? buffer.length);
    buffer.set(got);
    return got.length;
  }
}

// Python's BufferedReader.readline(limit) over the whole stream.
function model_lines(data: Uint8Array, limits: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  for (const limit of limits) {
    const rest = data.subarray(pos);
    const nl = rest.indexOf(10);
    let end = nl >= 0 ? nl + 1 : rest.length;
    if (limit >= 0) end = Math.min(end, limit);
    out.push(rest.slice(0, end));
    pos += end;
  }
  return out;
}

// Random stream content: lines of random bytes, some long, some empty.
function line_data(rng: Rng): Uint8Array<ArrayBuffer> {
  const size = rng.next() < 0.1 ? rng.int(0, 200_000) : rng.int(0, 5000);
  const rate = [0, 0.001, 0.02, 0.3][rng.int(0, 3)]!;
  return rng.bytes(size, rate);
}

// readline() limits to use: mostly -1, sometimes small or 0.
function limits_for(rng: Rng, data: Uint8Array): number[] {
  const out: number[] = [];
  // Enough calls to reach EOF even at limit 1, plus two calls past EOF.
  let budget = data.length + 2;
  for (let i = 0; i < 100_000 && budget > 0; i++) {
    const r = rng.next();
    const limit = r < 0.7 ? -1 : r < 0.75 ? 0 : rng.int(1, 300);
    out.push(limit);
    budget -= limit > 0 ? 1 : limit === 0 ? 0 : 1;
  }
  return out;
}

function buffering_for(rng: Rng): number | undefined {
  return [undefined, 0, 1, 7, 4096, -1][rng.int(0, 5)]!;
}

Deno.test("makefile('rb').readline() matches the model over random segmentations of a fake socket", async () => {
  console.log(`seed ${SEED}`);
  const rng = new Rng(SEED);
  let lines = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const piece = [1, 3, 100, 70_000][rng.int(0, 3)]!;
    // Byte-at-a-time segmentations stay short to bound the run time.
    const data = line_data(rng).subarray(0, piece <= 3 ? 8000 : undefined);
    const segments = rng.segments(data, piece);
    const buffering = buffering_for(rng);
    const sock = new FakeSocket(segments);
    const file = new SocketFile(
      sock,
      "rb",
      buffering === undefined ? {} : { buffering },
    );
    // Fewer calls than the whole model for big data at small limits.
    const limits = limits_for(rng, data).slice(0, 20_000);
    const want = model_lines(data, limits);
    for (let i = 0; i < limits.length; i++) {
      const got = await file.readline(limits[i]);
      assert.ok(
        same(got, want[i]!),
        `seed ${SEED} trial ${trial} call ${i} (limit ${
          limits[i]
        }, buffering ${buffering}): got ${got.length} bytes, want ${
          want[i]!.length
        }`,
      );
      lines++;
    }
    await file.close();
  }
  console.log(`${TRIALS} trials, ${lines} readline() calls`);
});

Deno.test("makefile('rb').readline() matches the model over a real socketpair", async () => {
  console.log(`seed ${SEED}`);
  const rng = new Rng(SEED + 1);
  for (let trial = 0; trial < 20; trial++) {
    const data = line_data(rng);
    const segments = rng.segments(data, [1, 50, 5000, 70_000][rng.int(0, 3)]!)
      .slice(0, 5000);
    const sent = concat(segments);
    const [a, b] = await socketpair();
    try {
      a.settimeout(10);
      b.settimeout(10);
      const buffering = buffering_for(rng);
      const file = b.makefile(
        "rb",
        buffering === undefined ? {} : { buffering },
      );
      const writing = (async () => {
        for (const seg of segments) await a.sendall(seg);
        await a.close();
      })();
      const got: Uint8Array[] = [];
      for (let i = 0; i <= sent.length + 1; i++) {
        const line = await within(file.readline(), 10_000, "readline()");
        if (line.length === 0) break;
        got.push(line);
      }
      await writing;
      await file.close();
      const want = model_lines(sent, new Array(got.length + 1).fill(-1));
      assert.equal(want.at(-1)!.length, 0, `seed ${SEED} trial ${trial}: EOF`);
      assert.equal(got.length, want.length - 1, `seed ${SEED} trial ${trial}`);
      got.forEach((line, i) =>
        assert.ok(same(line, want[i]!), `seed ${SEED} trial ${trial} line ${i}`)
      );
    } finally {
      await a.close();
      await b.close();
    }
  }
});

type Outcome = "null" | "incomplete" | "emsgsize";

// What recv_msg() should return over `stream`: the payloads, then how it ends.
function model_msgs(
  stream: Uint8Array,
  max: number,
): { msgs: Uint8Array[]; end: Outcome } {
  const msgs: Uint8Array[] = [];
  let pos = 0;
  for (let i = 0; i < 1_000_000; i++) {
    if (pos === stream.length) return { msgs, end: "null" };
    if (stream.length - pos < 4) return { msgs, end: "incomplete" };
    const length = new DataView(stream.buffer, stream.byteOffset + pos, 4)
      .getUint32(0);
    if (length > max) return { msgs, end: "emsgsize" };
    if (stream.length - pos - 4 < length) return { msgs, end: "incomplete" };
    msgs.push(stream.subarray(pos + 4, pos + 4 + length));
    pos += 4 + length;
  }
  throw new Error("model: too many messages");
}

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

// Valid frames, then sometimes garbage (random bytes, a cut frame, a huge
// length); sometimes nothing but garbage.
function msg_stream(rng: Rng): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  if (rng.next() < 0.15) return rng.bytes(rng.int(0, 3000));
  const n = rng.int(0, 30);
  for (let i = 0; i < n; i++) {
    const size = rng.next() < 0.05 ? rng.int(0, 150_000) : rng.int(0, 2000);
    parts.push(frame(rng.bytes(size)));
  }
  const tail = rng.next();
  if (tail < 0.2) parts.push(rng.bytes(rng.int(1, 100)));
  else if (tail < 0.3) {
    const f = frame(rng.bytes(rng.int(0, 500)));
    parts.push(f.subarray(0, rng.int(0, f.length - 1)));
  } else if (tail < 0.4) parts.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
  return concat(parts);
}

async function drain_msgs(
  sock: MsgReceiver,
  max: number,
  count: number,
): Promise<{ msgs: Uint8Array[]; end: Outcome }> {
  const msgs: Uint8Array[] = [];
  for (let i = 0; i <= count; i++) {
    try {
      const msg = await within(
        recv_msg(sock, { max_size: max }),
        10_000,
        "recv_msg()",
      );
      if (msg === null) return { msgs, end: "null" };
      msgs.push(msg);
    } catch (err) {
      if (err instanceof IncompleteMessageError) {
        return { msgs, end: "incomplete" };
      }
      if (err instanceof OSError && err.errno === EMSGSIZE) {
        return { msgs, end: "emsgsize" };
      }
      throw err;
    }
  }
  throw new Error(`recv_msg() returned more than ${count} messages`);
}

function check_msgs(
  got: { msgs: Uint8Array[]; end: Outcome },
  want: { msgs: Uint8Array[]; end: Outcome },
  what: string,
) {
  assert.equal(got.msgs.length, want.msgs.length, `${what}: message count`);
  got.msgs.forEach((m, i) =>
    assert.ok(same(m, want.msgs[i]!), `${what}: message ${i} differs`)
  );
  assert.equal(got.end, want.end, `${what}: how the stream ends`);
}

Deno.test("recv_msg() matches the model over random frames and garbage on fake sockets", async () => {
  console.log(`seed ${SEED}`);
  const rng = new Rng(SEED + 2);
  const ends = { null: 0, incomplete: 0, emsgsize: 0 };
  for (let trial = 0; trial < TRIALS * 2; trial++) {
    const piece = [1, 5, 1000, 200_000][rng.int(0, 3)]!;
    // Byte-at-a-time segmentations stay short to bound the run time.
    const stream = msg_stream(rng).subarray(0, piece <= 5 ? 8000 : undefined);
    const max = [16 * 1024 * 1024, 16 * 1024 * 1024, 1000, 65536, 0][
      rng.int(0, 4)
    ]!;
    const want = model_msgs(stream, max);
    const segments = rng.segments(stream, piece);
    const sock = rng.next() < 0.5
      ? new FakeSocket(segments)
      : new FakeIntoSocket(segments);
    const got = await drain_msgs(sock, max, want.msgs.length);
    check_msgs(got, want, `seed ${SEED} trial ${trial}`);
    ends[got.end]++;
  }
  console.log(`outcomes: ${JSON.stringify(ends)}`);
  // The seed exercises every ending.
  assert.ok(ends.null > 0 && ends.incomplete > 0 && ends.emsgsize > 0);
});

Deno.test("recv_msg() matches the model over a real socketpair", async () => {
  console.log(`seed ${SEED}`);
  const rng = new Rng(SEED + 3);
  for (let trial = 0; trial < 20; trial++) {
    const stream = msg_stream(rng);
    const max = [16 * 1024 * 1024, 1000][rng.int(0, 1)]!;
    const want = model_msgs(stream, max);
    const segments = rng.segments(stream, [1, 100, 10_000][rng.int(0, 2)]!)
      .slice(0, 3000);
    const sent = concat(segments);
    const want_sent = model_msgs(sent, max);
    if (sent.length === stream.length) {
      assert.equal(want_sent.msgs.length, want.msgs.length);
    }
    const [a, b] = await socketpair();
    try {
      b.settimeout(10);
      const writing = (async () => {
        for (const seg of segments) await a.sendall(seg);
        await a.close();
      })();
      const got = await drain_msgs(b, max, want_sent.msgs.length);
      // An error leaves the writer maybe blocked on a full buffer.
      await b.close();
      await writing.catch(() => {});
      check_msgs(got, want_sent, `seed ${SEED} trial ${trial}`);
    } finally {
      await a.close();
      await b.close();
    }
  }
});

Deno.test("send_msg() then recv_msg() round-trips random messages over a socketpair", async () => {
  const rng = new Rng(SEED + 4);
  const [a, b] = await socketpair();
  try {
    b.settimeout(10);
    const msgs = Array.from(
      { length: 200 },
      () => rng.bytes(rng.next() < 0.1 ? rng.int(0, 300_000) : rng.int(0, 500)),
    );
    const writing = (async () => {
      for (const m of msgs) await send_msg(a, m);
    })();
    for (let i = 0; i < msgs.length; i++) {
      const got = await within(recv_msg(b), 10_000, "recv_msg()");
      assert.ok(got !== null && same(got, msgs[i]!), `seed ${SEED} msg ${i}`);
    }
    await writing;
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("recv_msg() rejects a 4 GiB length prefix and memory stays flat", async () => {
  const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
  // Warm up, then measure many attempts.
  for (let i = 0; i < 50; i++) {
    await assert.rejects(recv_msg(new FakeSocket([huge])));
  }
  const before = Deno.memoryUsage().rss;
  for (let i = 0; i < 2000; i++) {
    const sock = i % 2 ? new FakeSocket([huge]) : new FakeIntoSocket([huge]);
    await assert.rejects(
      recv_msg(sock),
      (err) => err instanceof OSError && err.errno === EMSGSIZE,
    );
  }
  // Over a real socket too.
  const [a, b] = await socketpair();
  try {
    b.settimeout(5);
    await a.sendall(huge);
    await assert.rejects(
      recv_msg(b, { max_size: 0xfffffffe }),
      (err) =>
        err instanceof OSError && err.errno === EMSGSIZE &&
        /4294967295/.test(err.message),
    );
  } finally {
    await a.close();
    await b.close();
  }
  const after = Deno.memoryUsage().rss;
  const grew = (after - before) / 1024 / 1024;
  console.log(
    `rss before ${(before / 1048576).toFixed(1)} MiB, after ${
      (after / 1048576).toFixed(1)
    } MiB`,
  );
  assert.ok(grew < 8, `rss grew by ${grew.toFixed(1)} MiB`);
});

class Echo extends DatagramRequestHandler {
  override handle(): void {
    this.wfile.write(this.rfile.read());
  }
}

Deno.test("UDPServer with DatagramRequestHandler echoes random datagrams exactly", async () => {
  console.log(`seed ${SEED}`);
  const rng = new Rng(SEED + 5);
  await using server = new UDPServer(["127.0.0.1", 0], Echo);
  const serving = server.serve_forever(0.05);
  const client: Socket = socket(AF_INET, SOCK_DGRAM);
  try {
    client.settimeout(5);
    client.bind(["127.0.0.1", 0]);
    const max = server.max_packet_size;
    let bytes = 0;
    for (let i = 0; i < 300; i++) {
      const r = rng.next();
      const size = r < 0.1 ? rng.int(1, 3) : r < 0.2 ? max : rng.int(1, max);
      const data = rng.bytes(size, 0.01);
      await client.sendto(data, server.server_address);
      const [back] = await client.recvfrom(65536);
      assert.ok(
        same(back, data),
        `seed ${SEED} datagram ${i}: sent ${size}, got ${back.length}`,
      );
      bytes += size;
    }
    // A burst of 20 before reading: every reply comes, in order on loopback.
    const burst = Array.from({ length: 20 }, () => rng.bytes(rng.int(1, 1000)));
    for (const d of burst) await client.sendto(d, server.server_address);
    for (let i = 0; i < burst.length; i++) {
      const [back] = await client.recvfrom(65536);
      assert.ok(same(back, burst[i]!), `burst datagram ${i}`);
    }
    console.log(`300 + 20 datagrams, ${bytes} bytes echoed`);
  } finally {
    await client.close();
    await server.shutdown();
    await serving;
  }
});

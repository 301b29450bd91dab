// Unit tests of the handler classes and the files they hand out.
import assert from "node:assert/strict";
import { OSError, socketpair } from "../../net/mod.ts";
import {
  BaseRequestHandler,
  BytesReader,
  BytesWriter,
  SocketWriter,
  StreamRequestHandler,
  TCPServer,
} from "../../server/mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function recv_exactly(
  sock: { recv(n: number): Promise<Uint8Array> },
  n: number,
): Promise<string> {
  let text = "";
  let got = 0;
  while (got < n) {
    const data = await sock.recv(n - got);
    if (data.length === 0) break;
    got += data.length;
    text += dec(data);
  }
  return text;
}

Deno.test("SocketWriter.write() sends unawaited writes in order", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  b.settimeout(5);
  const wfile = new SocketWriter(a);
  const buf = enc("one ");
  void wfile.write(buf);
  void wfile.write("two ");
  void wfile.write(new Uint8Array([116, 104, 114, 101, 101]).buffer);
  await wfile.flush();
  assert.equal(await recv_exactly(b, 13), "one two three");
  assert.equal(await wfile.write("!"), 1);
  assert.equal(await recv_exactly(b, 1), "!");
});

Deno.test("SocketWriter with a buffer size sends once it is full or flushed", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const wfile = new SocketWriter(a, 8);
  assert.equal(await wfile.write("abc"), 3);
  b.settimeout(0.1);
  await assert.rejects(b.recv(10)); // still buffered
  b.settimeout(5);
  await wfile.write("defgh"); // 8 bytes: sent
  assert.equal(await recv_exactly(b, 8), "abcdefgh");
  await wfile.write("i");
  await wfile.close();
  assert.equal(await recv_exactly(b, 1), "i");
  assert.equal(wfile.closed, true);
  await wfile.close(); // idempotent
  await assert.rejects(wfile.write("x"), RangeError);
});

Deno.test("SocketWriter reports a failed send on flush(), never as an unhandled rejection", async () => {
  const [a, b] = await socketpair();
  await using _a = a;
  await b.close();
  const wfile = new SocketWriter(a);
  const chunk = new Uint8Array(256 * 1024);
  for (let i = 0; i < 64; i++) void wfile.write(chunk);
  await assert.rejects(wfile.flush(), OSError);
  await assert.rejects(wfile.write("more"), OSError);
});

Deno.test("SocketWriter.write() rejects what is not bytes or a string", async () => {
  const wfile = new SocketWriter(
    {} as unknown as ConstructorParameters<typeof SocketWriter>[0],
  );
  await assert.rejects(
    wfile.write(42 as unknown as string),
    (e: unknown) =>
      e instanceof TypeError && /Cannot write: data must be/.test(e.message),
  );
});

Deno.test("BytesReader reads lines, chunks and the rest, with empty arrays at the end", async () => {
  const rfile = new BytesReader(enc("one\ntwo\nthree"));
  assert.equal(dec(rfile.readline()), "one\n");
  assert.equal(dec(rfile.readline(2)), "tw");
  assert.equal(dec(rfile.read(2)), "o\n");
  assert.deepEqual(rfile.readlines().map(dec), ["three"]);
  assert.equal(rfile.readline().length, 0);
  assert.equal(rfile.read().length, 0);
  assert.equal(dec(rfile.getvalue()), "one\ntwo\nthree");
  const lines: string[] = [];
  for await (const line of new BytesReader(enc("a\nb\n"))) {
    lines.push(dec(line));
  }
  assert.deepEqual(lines, ["a\n", "b\n"]);
});

Deno.test("BytesWriter collects writes and copies the bytes", () => {
  const wfile = new BytesWriter();
  const buf = enc("ab");
  assert.equal(wfile.write(buf), 2);
  buf[0] = 0x7a;
  assert.equal(wfile.write("中"), 3);
  wfile.flush();
  assert.equal(dec(wfile.getvalue()), "ab中");
  assert.equal(dec(new BytesWriter().getvalue()), "");
});

Deno.test("BaseRequestHandler's constructor only stores its arguments", async () => {
  const calls: string[] = [];
  class Hooks extends BaseRequestHandler<string> {
    override setup() {
      calls.push("setup");
    }
    override handle() {
      calls.push("handle");
    }
  }
  await using server = new TCPServer(["127.0.0.1", 0], StreamRequestHandler);
  const h = new Hooks(
    "request",
    ["127.0.0.1", 1],
    server as unknown as ConstructorParameters<typeof Hooks>[2],
  );
  assert.deepEqual(calls, []);
  assert.equal(h.request, "request");
  assert.deepEqual(h.client_address, ["127.0.0.1", 1]);
  assert.equal(h.server, server);
});

Deno.test("StreamRequestHandler copies its static defaults; subclasses and instances override them", async () => {
  await using server = new TCPServer(["127.0.0.1", 0], StreamRequestHandler);
  const [a, b] = await socketpair();
  await using _a = a;
  await using _b = b;
  const plain = new StreamRequestHandler(a, "", server);
  assert.equal(plain.timeout, null);
  assert.equal(plain.rbufsize, -1);
  assert.equal(plain.wbufsize, 0);
  assert.equal(plain.disable_nagle_algorithm, false);
  class Static extends StreamRequestHandler {
    static override timeout = 3;
    static override wbufsize = 1024;
  }
  class Field extends StreamRequestHandler {
    override timeout = 7;
  }
  assert.equal(new Static(a, "", server).timeout, 3);
  assert.equal(new Static(a, "", server).wbufsize, 1024);
  const field = new Field(a, "", server);
  assert.equal(field.timeout, 7);
  // setup() applies it to the connection.
  field.setup();
  assert.equal(a.gettimeout(), 7);
  await field.finish();
  assert.equal(a.fileno() >= 0, true, "finish() leaves the socket open");
});

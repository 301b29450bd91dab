// The in-memory socket pairs that carry relayed streams inside an agent:
// each end a full Socket, bytes in order both ways, EOF, half-close, bounded
// buffering and the errors of a closed end, as a loopback pair gives them.
import assert from "node:assert/strict";
import { BrokenPipeError, OSError, SHUT_WR } from "../../net/mod.ts";
import { DefaultSelector, EVENT_READ } from "../../mux/mod.ts";
import { memory_pair } from "../../server/_memory_pair.ts";

const decoder = new TextDecoder();

Deno.test("memory pair: bytes both ways, in order, through recv, makefile and select", async () => {
  const [a, b] = memory_pair();
  await using _a = a;
  await using _b = b;
  await a.sendall("hello ");
  await a.sendall("world\n");
  assert.equal(decoder.decode(await b.recv(6)), "hello ");
  await using f = b.makefile("rb");
  assert.equal(decoder.decode(await f.readline()), "world\n");
  using sel = new DefaultSelector();
  sel.register(a, EVENT_READ);
  assert.deepEqual(await sel.select(0), []);
  await b.sendall("reply");
  const ready = await sel.select(1);
  assert.equal(ready.length, 1);
  assert.equal(decoder.decode(await a.recv(100)), "reply");
});

Deno.test("memory pair: shutdown(SHUT_WR) and close() give the other end EOF after the bytes", async () => {
  const [a, b] = memory_pair();
  await using _b = b;
  await a.sendall("last");
  await a.shutdown(SHUT_WR);
  assert.equal(decoder.decode(await b.recv(100)), "last");
  assert.equal((await b.recv(100)).length, 0);
  await b.sendall("still open the other way");
  assert.equal((await a.recv(100)).length, 24);
  await a.close();
  await assert.rejects(b.sendall("x"), BrokenPipeError);
});

Deno.test("memory pair: a recv pending at close() rejects with EBADF; the peer reads EOF", async () => {
  const [a, b] = memory_pair();
  await using _b = b;
  const pending = a.recv(10);
  await a.close();
  await assert.rejects(
    pending,
    (e: unknown) => e instanceof OSError && e.errno === 9,
  );
  assert.equal((await b.recv(10)).length, 0);
});

Deno.test("memory pair: a writer to an end that does not read waits, and every byte arrives once it reads", async () => {
  const [a, b] = memory_pair();
  await using _a = a;
  await using _b = b;
  const total = 4 << 20;
  const data = new Uint8Array(total);
  for (let i = 0; i < total; i++) data[i] = i * 7 & 255;
  let done = false;
  const sending = a.sendall(data).then(() => done = true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(
    done,
    false,
    "4 MiB were buffered for a reader that reads nothing",
  );
  const got = new Uint8Array(total);
  let n = 0;
  while (n < total) n += await b.recv_into(got.subarray(n));
  await sending;
  assert.deepEqual(got, data);
});

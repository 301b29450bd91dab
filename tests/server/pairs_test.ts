// The socket pairs a pooled server's agent makes for relayed streams.
// deno test --sanitize-ops --sanitize-resources -A tests/server/pairs_test.ts
import assert from "node:assert/strict";
import { create_connection, type Socket } from "../../net/mod.ts";
import { Pairs } from "../../server/_pairs.ts";

const decoder = new TextDecoder();

async function exchange(a: Socket, b: Socket, text: string): Promise<void> {
  await a.sendall(`${text}>`);
  assert.equal(decoder.decode(await b.recv(100)), `${text}>`);
  await b.sendall(`<${text}`);
  assert.equal(decoder.decode(await a.recv(100)), `<${text}`);
}

Deno.test("Pairs.pair() connects each pair to its own other end, many at once", async () => {
  const pairs = new Pairs();
  const made = await Promise.all(
    Array.from({ length: 20 }, () => pairs.pair()),
  );
  await Promise.all(made.map(([a, b], i) => exchange(a, b, `pair ${i}`)));
  for (const [a, b] of made) {
    assert.deepEqual(b.getpeername(), a.getsockname());
    await a.close();
    await b.close();
  }
  await pairs.close();
});

Deno.test("Pairs.pair() never hands out a stranger's connection to its listener; close() ends it", async () => {
  const pairs = new Pairs();
  const [a, b] = await pairs.pair();
  // The accepted end's own address is the listener's.
  const stranger = await create_connection(
    b.getsockname() as [string, number],
  );
  stranger.settimeout(5);
  const more = await Promise.all(Array.from({ length: 5 }, () => pairs.pair()));
  for (const [x, y] of [[a, b], ...more] as [Socket, Socket][]) {
    assert.deepEqual(y.getpeername(), x.getsockname());
    assert.notDeepEqual(y.getpeername(), stranger.getsockname());
    await exchange(x, y, "ours");
    await x.close();
    await y.close();
  }
  await pairs.close();
  // Its accepted end was closed with the listener: EOF, nothing else.
  assert.equal((await stranger.recv(100)).length, 0);
  await stranger.close();
});

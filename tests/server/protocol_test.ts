// The messages between the main thread and a server's agents.
// deno test --sanitize-ops --sanitize-resources tests/server/protocol_test.ts
import assert from "node:assert/strict";
import { FrameWriter, read_frames } from "../../server/_frames.ts";
import {
  type FromAgent,
  take_ack,
  type ToAgent,
  WINDOW,
} from "../../server/_protocol.ts";

// Writes `msgs` through a FrameWriter and reads them back, the bytes cut
// into `piece`-sized chunks as a pipe may cut them.
async function round_trip<T extends { t: string; data?: Uint8Array }>(
  msgs: T[],
  piece: number,
): Promise<T[]> {
  const written: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      written.push(chunk.slice());
    },
  });
  const frames = new FrameWriter<T>(sink.getWriter());
  for (const msg of msgs) frames.write(msg);
  await frames.flushed();
  const all = new Uint8Array(written.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of written) {
    all.set(chunk, at);
    at += chunk.length;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < all.length; i += piece) {
        controller.enqueue(all.slice(i, i + piece));
      }
      controller.close();
    },
  });
  const out: T[] = [];
  for await (const msg of read_frames<T>(stream)) out.push(msg);
  return out;
}

Deno.test("ToAgent and FromAgent refuse a misspelt kind or field at type check", () => {
  const good: ToAgent[] = [
    { t: "serve", poll: 0.1 },
    { t: "data", cid: 1, data: new Uint8Array([1]) },
  ];
  // @ts-expect-error: "daat" is no kind of message.
  const kind: ToAgent = { t: "daat", cid: 1, data: new Uint8Array() };
  // @ts-expect-error: "cdi" is no field of "eof".
  const field: ToAgent = { t: "eof", cdi: 1 };
  // @ts-expect-error: "ack" needs `n`.
  const missing: FromAgent = { t: "ack", cid: 1 };
  assert.equal(good.length + [kind, field, missing].length, 5);
});

Deno.test("read_frames() gives back every message FrameWriter wrote, empty bytes included, however the bytes are cut", async () => {
  const sent: FromAgent[] = [
    { t: "ready" },
    { t: "data", cid: 7, data: new Uint8Array([1, 2, 3]) },
    { t: "sendto", data: new Uint8Array(0), addr: ["127.0.0.1", 9] },
    { t: "error", addr: "", error: { name: "TypeError", message: "bad" } },
    { t: "count", n: 2 },
    { t: "data", cid: 8, data: new Uint8Array(200_000).fill(7) },
  ];
  for (const piece of [1, 3, 64 * 1024]) {
    assert.deepEqual(await round_trip(sent, piece), sent);
  }
});

Deno.test("relay acks: short messages send none, a sender at its window always gets one", () => {
  const receiver = { unacked: 0 };
  for (let i = 0; i < 1000; i++) {
    assert.equal(
      take_ack(receiver, 32),
      0,
      `ack after ${i + 1} short messages`,
    );
  }
  // A sender posts 64 KiB chunks until its window is full, then waits; the
  // receiver takes them one by one, as the client reads.
  const chunk = 64 * 1024;
  receiver.unacked = 0;
  let in_flight = 0;
  let posted = 0;
  while (in_flight < WINDOW) {
    in_flight += chunk;
    posted += chunk;
  }
  let acked = 0;
  for (let taken = 0; taken < posted; taken += chunk) {
    acked += take_ack(receiver, chunk);
  }
  assert.ok(acked > 0, "the waiting sender got no ack");
  assert.ok(in_flight - acked < WINDOW, "the sender still waits");
  assert.equal(acked + receiver.unacked, posted);
});

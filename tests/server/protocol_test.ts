// The messages between the main thread and a server's agents.
// deno test --sanitize-ops --sanitize-resources tests/server/protocol_test.ts
import assert from "node:assert/strict";
import { encode_frame, read_frames } from "../../server/_frames.ts";
import type { FromAgent, ToAgent } from "../../server/_protocol.ts";

async function round_trip<T extends { t: string }>(msgs: T[]): Promise<T[]> {
  const bytes = msgs.map((msg) => encode_frame(msg));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of bytes) controller.enqueue(chunk);
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

Deno.test("read_frames() gives back every message as encode_frame() wrote it, empty bytes included", async () => {
  const sent: FromAgent[] = [
    { t: "ready" },
    { t: "data", cid: 7, data: new Uint8Array([1, 2, 3]) },
    { t: "sendto", data: new Uint8Array(0), addr: ["127.0.0.1", 9] },
    { t: "error", addr: "", error: { name: "TypeError", message: "bad" } },
    { t: "count", n: 2 },
  ];
  assert.deepEqual(await round_trip(sent), sent);
});

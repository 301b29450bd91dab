import assert from "node:assert/strict";
import { epoll, EPOLLIN, select, Stdin, stdin } from "../../mux/mod.ts";
import { EV_HUP, EV_IN, lookup_fileno } from "./_net.ts";

// A reader fed by the test, one chunk per read.
function feeder(): {
  reader: { read(p: Uint8Array): Promise<number | null>; close(): void };
  push(chunk: Uint8Array | string | null): void;
  reads: number;
  closed: boolean;
} {
  const queue: Array<Uint8Array | null> = [];
  let waiting: (() => void) | undefined;
  const state = {
    reads: 0,
    closed: false,
    push(chunk: Uint8Array | string | null) {
      queue.push(
        typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk,
      );
      waiting?.();
    },
    reader: {
      async read(p: Uint8Array): Promise<number | null> {
        state.reads++;
        while (queue.length === 0) {
          if (state.closed) throw new Deno.errors.Interrupted("closed");
          await new Promise<void>((resolve) => waiting = resolve);
        }
        const next = queue.shift()!;
        if (next === null) return null;
        p.set(next);
        return next.length;
      },
      close() {
        state.closed = true;
        waiting?.();
      },
    },
  };
  return state;
}

Deno.test("stdin takes file number 0 on first use, not at import", () => {
  assert.equal(lookup_fileno(0), undefined);
  assert.equal(stdin.closed, false);
});

Deno.test("Stdin is readable when input is waiting, and readline() loses no byte", async () => {
  const feed = feeder();
  using input = new Stdin({ reader: feed.reader });
  assert.equal(feed.reads, 0); // nothing read until watched or read
  const fd = input.fileno();
  assert.ok(lookup_fileno(fd) !== undefined);
  assert.deepEqual(await select([input], [], [], 0), [[], [], []]);
  feed.push("first li");
  assert.deepEqual(await select([input], [], [], 5), [[input], [], []]);
  feed.push("ne\nsecond\nthi");
  assert.equal(await input.readline(), "first line\n");
  assert.equal(await input.readline(), "second\n");
  feed.push("rd é");
  const bytes = new TextEncoder().encode("€ end\n");
  feed.push(bytes.subarray(0, 1)); // a character split across reads
  feed.push(bytes.subarray(1));
  feed.push(null);
  assert.equal(await input.readline(), "third é€ end\n");
  assert.equal(await input.readline(), "");
  assert.deepEqual(await select([input], [], [], 0), [[input], [], []]);
  assert.equal(input.poll_events() & EV_HUP, EV_HUP);
});

Deno.test("Stdin.read() reads n characters or everything to the end", async () => {
  const feed = feeder();
  using input = new Stdin({ reader: feed.reader });
  feed.push("abcdef");
  assert.equal(await input.read(2), "ab");
  assert.equal(await input.readline(2), "cd");
  feed.push("gh\nij");
  feed.push(null);
  assert.equal(await input.read(), "efgh\nij");
  assert.equal(await input.read(), "");
});

Deno.test("Stdin works with epoll(), and close() ends the read and frees the number", async () => {
  const feed = feeder();
  const input = new Stdin({ reader: feed.reader });
  using ep = epoll();
  ep.register(input, EPOLLIN);
  const fd = input.fileno();
  const waiting = ep.poll(5);
  feed.push("x\n");
  assert.deepEqual(await waiting, [[fd, EPOLLIN]]);
  assert.equal(input.poll_events(), EV_IN);
  assert.equal(await input.readline(), "x\n");
  input.close();
  input.close();
  assert.equal(feed.closed, true);
  assert.equal(input.fileno(), -1);
  assert.equal(lookup_fileno(fd), undefined);
  await assert.rejects(input.readline(), {
    name: "RangeError",
    message: "Cannot readline: I/O operation on closed file",
  });
  await assert.rejects(select([input], [], [], 0), RangeError);
});

Deno.test("Stdin reads ahead at most one chunk while watched and nobody reads", async () => {
  const feed = feeder();
  using input = new Stdin({ reader: feed.reader });
  const selecting = select([input], [], [], 5);
  for (let i = 0; i < 8; i++) feed.push("x".repeat(16 * 1024));
  const [r] = await selecting;
  assert.deepEqual(r, [input]);
  const unwatch = input.watch(() => {}, EV_IN);
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(feed.reads, 1);
  assert.equal((await input.read(64 * 1024)).length, 64 * 1024);
  unwatch();
  feed.push(null);
  assert.equal((await input.read()).length, 64 * 1024);
});

Deno.test("Stdin.readline() leaves no read outstanding once it has its line", async () => {
  const feed = feeder();
  using input = new Stdin({ reader: feed.reader });
  const reading = input.readline();
  feed.push("one\ntwo\n");
  assert.equal(await reading, "one\n");
  assert.equal(await input.readline(), "two\n");
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(feed.reads, 1);
  feed.push("three\n");
  assert.equal(await input.readline(), "three\n");
  assert.equal(feed.reads, 2);
});

Deno.test("Stdin.readline() called twice at once gives each caller its own line", async () => {
  const feed = feeder();
  using input = new Stdin({ reader: feed.reader });
  const first = input.readline();
  const second = input.readline();
  feed.push("a\n");
  feed.push("b\n");
  feed.push(null);
  assert.deepEqual(await Promise.all([first, second]), ["a\n", "b\n"]);
});

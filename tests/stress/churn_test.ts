// Churn: connect, talk, close, over and over, against a SelectorTCPServer in
// a subprocess; its RSS (VmRSS) stays bounded. CI: 5 s; STRESS_FULL=1: 60 s.
// deno test --sanitize-ops --sanitize-resources -A tests/stress/churn_test.ts
import assert from "node:assert/strict";
import { type Socket, socket } from "../../net/mod.ts";
import { delay, FULL, json_lines, rss_kib, within } from "./_util.ts";

const SECONDS = FULL ? 60 : 5;
const WARM_SECONDS = FULL ? 15 : 3;
const PARALLEL = 20;
// Deno's own RSS (a raw Deno.listen echo loop, no library) climbs by about
// 150 MiB over its first ~6 s of such churn before it levels off: native
// allocator arenas, not the JS heap. The heap is the leak check; RSS only
// has to stay within this much of its level after the warm-up.
const RSS_SLACK_MIB = FULL ? 100 : 150;
const decoder = new TextDecoder();

async function chat(sock: Socket, text: string): Promise<string> {
  await sock.sendall(text);
  let got = "";
  for (let i = 0; i < 1000 && !got.endsWith("\n"); i++) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    got += decoder.decode(data);
  }
  return got;
}

Deno.test(`SelectorTCPServer: ${SECONDS} s of connect/close churn keep the server's RSS bounded`, async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-net",
      "--allow-net=127.0.0.1",
      "--v8-flags=--expose-gc",
      new URL("./_churn_server.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "piped",
  }).spawn();
  const lines = json_lines(child.stdout);
  const writer = child.stdin.getWriter();
  // The server's JS heap after a collection, and its VmRSS, in MiB.
  async function memory(): Promise<{ heap: number; rss: number }> {
    await writer.write(new TextEncoder().encode("stats\n"));
    const { heap } = await lines.next();
    const rss = await rss_kib(child.pid);
    assert.ok(rss !== null, "server gone");
    return { heap: heap! / 1048576, rss: rss / 1024 };
  }
  try {
    const { port } = await lines.next<{ port: number }>();
    const address: [string, number] = ["127.0.0.1", port];

    let connections = 0;
    const churn = async (until: number, id: number) => {
      for (let n = 0; n < 1_000_000 && performance.now() < until; n++) {
        const c = socket();
        try {
          c.settimeout(10);
          await c.connect(address);
          // Some talk, some leave mid-line, some leave at once.
          if (n % 3 === 0) {
            assert.equal(await chat(c, `c${id} ${n}\n`), `c${id} ${n}\n`);
          } else if (n % 3 === 1) await c.sendall("half a line");
        } finally {
          await c.close();
        }
        connections++;
      }
    };
    const initial = await memory();
    // Warm up (the allocator's arenas grow to a plateau), then measure.
    const warm_until = performance.now() + WARM_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => churn(warm_until, i)),
    );
    await delay(300);
    const start = await memory();
    const warm = connections;
    const until = performance.now() + SECONDS * 1000;
    await within(
      Promise.all(Array.from({ length: PARALLEL }, (_, i) => churn(until, i))),
      SECONDS * 1000 + 30_000,
      "churn",
    );
    await delay(300);
    const end = await memory();
    // Still serving.
    const c = socket();
    try {
      c.settimeout(10);
      await c.connect(address);
      assert.equal(await chat(c, "last\n"), "last\n");
    } finally {
      await c.close();
    }
    const mib = (m: { heap: number; rss: number }) =>
      `VmRSS ${m.rss.toFixed(1)} MiB, heap ${m.heap.toFixed(1)} MiB`;
    console.log(
      `${warm} connections warming up, ${
        connections - warm
      } in ${SECONDS} s\nserver at launch: ${mib(initial)}\nstart: ${
        mib(start)
      }\nend:   ${mib(end)}`,
    );
    // A leak of even a few hundred bytes per connection shows in the heap.
    assert.ok(
      end.heap < start.heap + 10,
      `heap grew from ${start.heap} to ${end.heap} MiB`,
    );
    assert.ok(
      end.rss < start.rss + RSS_SLACK_MIB,
      `VmRSS grew from ${start.rss} to ${end.rss} MiB`,
    );
  } finally {
    await lines.cancel();
    await writer.close().catch(() => {});
    child.kill("SIGTERM");
    const err = await new Response(child.stderr).text();
    await child.status;
    if (err.trim() !== "") console.log(`server: ${err.trim()}`);
  }
});

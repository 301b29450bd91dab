/**
 * Tests of examples/_printable.ts, the one helper the examples print a
 * peer's bytes with, and of servers that use it: escape sequences a client
 * sends reach their log escaped, never raw.
 */
import assert from "node:assert/strict";
import { create_connection } from "../../net/mod.ts";
import { printable } from "../../examples/_printable.ts";
import { free_port, run_example } from "./_run.ts";

/** Any control character but the newline that ends each log line. */
const RAW_CONTROL = /[^\P{Cc}\n]/u;

/** Clear screen, a colour, a bell, a C1 CSI, a title change, DEL. */
const HOSTILE = "\x1b[2J\x1b[31mred\x07\u009b1m\x1b]0;pwned\x07\x7f";

Deno.test("printable() escapes C0, DEL and C1 controls as Python's repr() does", () => {
  assert.equal(printable("a\tb\nc\rd"), "a\\tb\\nc\\rd");
  assert.equal(
    printable("\x00\x1b\x7f\u0085\u009b"),
    "\\x00\\x1b\\x7f\\x85\\x9b",
  );
  assert.equal(
    printable(HOSTILE),
    "\\x1b[2J\\x1b[31mred\\x07\\x9b1m\\x1b]0;pwned\\x07\\x7f",
  );
  assert.doesNotMatch(printable(HOSTILE), RAW_CONTROL);
});

Deno.test("printable() keeps text, quotes and backslashes, and decodes bytes", () => {
  assert.equal(printable(`你好 'q' "d" \\ é`), `你好 'q' "d" \\ é`);
  const bytes = new TextEncoder().encode("héllo\x1b");
  assert.equal(printable(bytes), "héllo\\x1b");
  // Invalid UTF-8 becomes U+FFFD, not a raw byte.
  assert.equal(printable(new Uint8Array([0x61, 0xff, 0x9b])), "a\ufffd\ufffd");
});

for (
  const [example, grant, log] of [
    ["examples/echo_server.ts", "127.0.0.1:9999", /received \d+ bytes: /],
    ["examples/robot_server.ts", "127.0.0.1:8888", / {2}received: /],
  ] as const
) {
  Deno.test(`${example} logs a client's escape sequences escaped`, async () => {
    const port = free_port();
    await using server = run_example(
      example,
      { [grant]: `127.0.0.1:${port}` },
      ["--port", String(port), "--count", "1"],
    );
    await server.wait_for(/(waiting|listening)/);
    {
      await using sock = await create_connection(["127.0.0.1", port], 10);
      await sock.sendall(HOSTILE);
      await server.wait_for(log);
      await server.wait_for(/pwned/);
    }
    await server.success();
    assert.doesNotMatch(server.stdout, RAW_CONTROL, server.report());
    assert.match(server.stdout, /\\x9b1m/);
  });
}

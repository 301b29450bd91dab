/**
 * Anchor: the runtime's limit. One task per connection, `read()` into a
 * 64 KiB buffer and `write()` it back, straight on `Deno.Conn`.
 *
 * Protocol of every launcher in this folder: print the port on the first
 * line of stdout, serve until stdin ends, then exit.
 *
 * Run: deno run --allow-net=127.0.0.1 bench/_servers/raw_deno.ts
 *
 * @module
 */
import { raw_write_all } from "../_raw.ts";
import { serve_until_stdin_ends } from "./_launch.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const conns = new Set<Deno.Conn>();

async function echo(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      await raw_write_all(conn, buf.subarray(0, n));
    }
  } catch {
    // The client went away.
  } finally {
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

const accepting = (async () => {
  for await (const conn of listener) {
    conns.add(conn);
    void echo(conn);
  }
})().catch(() => {});

await serve_until_stdin_ends(listener.addr.port, async () => {
  listener.close();
  await accepting;
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
});

/**
 * Anchor for the TLS benchmark: a raw `Deno.listenTls` echo loop, one task
 * per connection, `read()` into 64 KiB and `write()` back on the TlsConn.
 * Launcher protocol as in raw_deno.ts: port on stdout, serve until stdin
 * ends.
 *
 * Run: deno run --allow-net=127.0.0.1 --allow-read=tests/ssl/fixtures bench/_servers/tls_raw.ts
 *
 * @module
 */
import { raw_write_all } from "../_raw.ts";
import { serve_until_stdin_ends } from "./_launch.ts";

const dir = new URL("../../tests/ssl/fixtures/", import.meta.url);
const listener = Deno.listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: Deno.readTextFileSync(new URL("localhost.pem", dir)),
  key: Deno.readTextFileSync(new URL("localhost.key", dir)),
});
const conns = new Set<Deno.Conn>();

async function echo(conn: Deno.TlsConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    await conn.handshake();
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

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
import { serve_raw_echo } from "./_raw_echo.ts";

const dir = new URL("../../tests/ssl/fixtures/", import.meta.url);
const listener = Deno.listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: Deno.readTextFileSync(new URL("localhost.pem", dir)),
  key: Deno.readTextFileSync(new URL("localhost.key", dir)),
});
await serve_raw_echo(listener, (conn) => conn.handshake());

/**
 * pysock over TLS: `ctx.wrap_socket(create_server(...), {server_side})`,
 * then one task per accepted (handshaken) `SSLSocket` echoing with
 * `recv(65536)` (argument `recv`) or `recv_into()` on a reused 64 KiB
 * buffer (argument `recv_into`), and `sendall()`. Launcher protocol as in
 * raw_deno.ts.
 *
 * Run: deno run --allow-net=127.0.0.1 --allow-read=tests/ssl/fixtures bench/_servers/tls_pysock.ts recv
 *
 * @module
 */
import { create_server } from "../../net/mod.ts";
import {
  create_default_context,
  Purpose,
  type SSLSocket,
} from "../../ssl/mod.ts";
import { serve_until_stdin_ends } from "./_launch.ts";

const into = Deno.args[0] === "recv_into";
const dir = new URL("../../tests/ssl/fixtures/", import.meta.url);
const ctx = create_default_context(Purpose.CLIENT_AUTH);
ctx.load_cert_chain(
  new URL("localhost.pem", dir),
  new URL("localhost.key", dir),
);
const server = await ctx.wrap_socket(
  create_server(["127.0.0.1", 0], { backlog: 511 }),
  {
    server_side: true,
  },
);
const conns = new Set<SSLSocket>();

async function echo(conn: SSLSocket): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while (true) {
      if (into) {
        const n = await conn.recv_into(buf);
        if (n === 0) break;
        await conn.sendall(buf.subarray(0, n));
      } else {
        const data = await conn.recv(65536);
        if (data.length === 0) break;
        await conn.sendall(data);
      }
    }
  } catch {
    // The client went away.
  } finally {
    conns.delete(conn);
    await conn.close();
  }
}

const accepting = (async () => {
  while (true) {
    let conn: SSLSocket;
    try {
      [conn] = await server.accept();
    } catch (err) {
      if (server.fileno() === -1) return;
      void err; // a failed handshake: go on, as socketserver does
      continue;
    }
    conns.add(conn);
    void echo(conn);
  }
})();

await serve_until_stdin_ends(
  (server.getsockname() as [string, number])[1],
  async () => {
    await server.close();
    await accepting;
    await Promise.all([...conns].map((c) => c.close()));
  },
);

/**
 * The raw anchors' echo loop, shared by raw_deno.ts and tls_raw.ts: one task
 * per connection, `read()` into 64 KiB and `write()` it back, served under
 * the launcher protocol.
 *
 * @module
 */
import { raw_write_all } from "../_raw.ts";
import { serve_until_stdin_ends } from "./_launch.ts";

/** Echoes every connection `listener` accepts until stdin ends; `start`
 * runs first on each (the TLS handshake). */
export async function serve_raw_echo<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  start?: (conn: C) => Promise<unknown>,
): Promise<never> {
  const conns = new Set<C>();

  async function echo(conn: C): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      await start?.(conn);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        await raw_write_all(conn, buf.subarray(0, n));
      }
    } catch {
      // The client went away.
    } finally {
      conns.delete(conn);
      close(conn);
    }
  }

  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      void echo(conn);
    }
  })().catch(() => {});

  return await serve_until_stdin_ends(
    (listener.addr as Deno.NetAddr).port,
    async () => {
      listener.close();
      await accepting;
      for (const conn of conns) close(conn);
    },
  );
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

/**
 * The baseline of bench/net_bench.ts: the same loops as our socket's, written
 * straight on `Deno.Conn`, so the ratio ours/raw shows only what the library
 * adds.
 *
 * @module
 */

/** A connected pair of raw Deno connections over loopback TCP. */
export async function raw_pair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  return [client, server];
}

/** Writes every byte of `data`; `write()` may be partial. */
export async function raw_write_all(
  conn: Deno.Conn,
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Sends `total` bytes in `chunk`-sized writes. */
export async function raw_send_bulk(
  conn: Deno.Conn,
  chunk: Uint8Array,
  total: number,
): Promise<void> {
  for (let sent = 0; sent < total; sent += chunk.length) {
    await raw_write_all(
      conn,
      chunk.subarray(0, Math.min(chunk.length, total - sent)),
    );
  }
}

/** Reads `total` bytes into one reused buffer; returns the count of reads. */
export async function raw_recv_bulk(
  conn: Deno.Conn,
  buf: Uint8Array,
  total: number,
): Promise<number> {
  let got = 0;
  let reads = 0;
  while (got < total) {
    const n = await conn.read(buf);
    if (n === null) {
      throw new Error(`Raw bulk receive ended early at ${got} bytes`);
    }
    got += n;
    reads++;
  }
  return reads;
}

/** Reads exactly `buf.length` bytes into `buf`. */
export async function raw_read_exact(
  conn: Deno.Conn,
  buf: Uint8Array,
): Promise<void> {
  let got = 0;
  while (got < buf.length) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) throw new Error("Raw read ended early");
    got += n;
  }
}

// Helpers shared by the mux tests.
import {
  create_connection,
  create_server,
  type Socket,
  socketpair,
} from "./_net.ts";

export { socketpair };

/** A listening socket on a free loopback port, a client and the accepted end. */
export async function connected(): Promise<
  { server: Socket; client: Socket; conn: Socket; close(): Promise<void> }
> {
  const server = create_server(["127.0.0.1", 0]);
  const client = await create_connection(
    server.getsockname() as [string, number],
  );
  const [conn] = await server.accept();
  return {
    server,
    client,
    conn,
    async close() {
      await Promise.all([client.close(), conn.close(), server.close()]);
    },
  };
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

export function port_of(sock: Socket): number {
  return (sock.getsockname() as [string, number])[1];
}

/** Runs python3 with `code`; resolves to its stdout once it exits. */
export async function python(code: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`python3 failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Sends non-blocking until the socket refuses more; returns bytes queued. */
export async function fill(sock: Socket): Promise<number> {
  const chunk = new Uint8Array(64 * 1024);
  let total = 0;
  const { select } = await import("../../mux/mod.ts");
  // Bounded: the kernel and our queue take a few MiB at most.
  for (let i = 0; i < 4000; i++) {
    try {
      total += await sock.send(chunk);
    } catch (err) {
      if ((err as { errno?: number }).errno !== 11) throw err;
      const [, w] = await select([], [sock], [], 0.3);
      if (w.length === 0) return total;
    }
  }
  throw new Error(`Cannot fill: still writable after ${total} bytes`);
}

/**
 * Shared pieces of the ssl tests: the fixture paths, contexts made from
 * them, and a connected pair of SSLSockets over loopback.
 *
 * @module
 */
import {
  create_default_context,
  Purpose,
  type SSLContext,
  type SSLSocket,
} from "../../ssl/mod.ts";
import {
  type Address,
  create_connection,
  create_server,
} from "../../net/mod.ts";

const DIR = new URL("./fixtures/", import.meta.url).pathname;

/** Path of a fixture file, such as `fixture("ca.pem")`. */
export function fixture(name: string): string {
  return DIR + name;
}

/** A server context presenting the certificate `name` (default localhost). */
export function server_context(name = "localhost"): SSLContext {
  const ctx = create_default_context(Purpose.CLIENT_AUTH);
  ctx.load_cert_chain(fixture(`${name}.pem`), fixture(`${name}.key`));
  return ctx;
}

/** A client context trusting the test CA. */
export function client_context(): SSLContext {
  return create_default_context({ cafile: fixture("ca.pem") });
}

/** A TLS listener on 127.0.0.1, port 0. */
export function tls_server(
  ctx: SSLContext = server_context(),
): Promise<SSLSocket> {
  return ctx.wrap_socket(create_server(["127.0.0.1", 0]), {
    server_side: true,
  });
}

/** The `[host, port]` a socket is bound to. */
export function addr_of(sock: { getsockname(): unknown }): [string, number] {
  return sock.getsockname() as [string, number];
}

/** A listener, a client and the server's end of their connection. */
export interface TlsPair extends AsyncDisposable {
  server: SSLSocket;
  client: SSLSocket;
  conn: SSLSocket;
}

/** Connects a client (to "localhost") to a fresh TLS listener. */
export async function tls_pair(
  server_ctx: SSLContext = server_context(),
  client_ctx: SSLContext = client_context(),
): Promise<TlsPair> {
  const server = await tls_server(server_ctx);
  const accepting = server.accept();
  accepting.catch(() => {});
  let client: SSLSocket;
  try {
    client = await client_ctx.wrap_socket(
      await create_connection(addr_of(server)),
      { server_hostname: "localhost" },
    );
  } catch (err) {
    await server.close();
    await accepting.catch(() => {});
    throw err;
  }
  const [conn] = await accepting;
  return {
    server,
    client,
    conn,
    async [Symbol.asyncDispose]() {
      await Promise.all([client.close(), conn.close(), server.close()]);
    },
  };
}

/** A client connected to a listener, and the server's end. */
export interface Connected extends AsyncDisposable {
  client: SSLSocket;
  conn: SSLSocket;
  /** The client's address, as `accept()` returned it. */
  addr: Address;
}

/** Connects a client (to "localhost") to `server` and accepts it. */
export async function connect_client(
  server: SSLSocket,
  ctx: SSLContext = client_context(),
): Promise<Connected> {
  const accepting = server.accept();
  accepting.catch(() => {});
  const client = await ctx.wrap_socket(
    await create_connection(addr_of(server)),
    { server_hostname: "localhost" },
  );
  const [conn, addr] = await accepting;
  return {
    client,
    conn,
    addr,
    async [Symbol.asyncDispose]() {
      await Promise.all([client.close(), conn.close()]);
    },
  };
}

/** Reads exactly `n` bytes (fewer only at end of input). */
export async function recv_exactly(
  sock: SSLSocket,
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = await sock.recv_into(out.subarray(got));
    if (k === 0) break;
    got += k;
  }
  return out.subarray(0, got);
}

/** `size` pseudo-random bytes. */
export function random_bytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  }
  return out;
}

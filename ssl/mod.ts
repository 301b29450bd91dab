/**
 * Python's `ssl` module for Deno, over `Deno.startTls` and
 * `Deno.listenTls`: `SSLContext` and `create_default_context()` hold the
 * configuration; `wrap_socket()` turns a pysock `Socket` into an
 * `SSLSocket`, which keeps the Socket's whole API over TLS.
 *
 * Permissions: `--allow-net` for the addresses used, `--allow-read` for the
 * certificate and key files.
 *
 * @example A TLS round trip
 * ```ts
 * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const dir = "tests/ssl/fixtures";
 * const server_ctx = create_default_context(Purpose.CLIENT_AUTH);
 * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
 * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
 * const ctx = create_default_context({ cafile: `${dir}/ca.pem` });
 * const accepting = server.accept();
 * await using client = await ctx.wrap_socket(
 *   await create_connection(server.getsockname() as [string, number]),
 *   { server_hostname: "localhost" },
 * );
 * const [conn] = await accepting;
 * await using _ = conn;
 * await client.sendall("ping");
 * assert.equal(new TextDecoder().decode(await conn.recv(10)), "ping");
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./context.ts";
export * from "./errors.ts";
export * from "./socket.ts";

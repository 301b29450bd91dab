/**
 * Python's `socket`, `select`/`selectors`, `socketserver` and `ssl` for Deno, with
 * Python's names, defaults and semantics; what blocks in Python returns a
 * Promise here.
 *
 * - `net`: the socket object, its constants and errors, `makefile()`.
 * - `mux`: readiness: `select()`, `poll()`, `epoll()`, `DefaultSelector`.
 * - `server`: `socketserver`: blocking, selector and threaded servers.
 * - `ssl`: TLS: `SSLContext`, `create_default_context()`, `SSLSocket`.
 *
 * @example A tour in ten lines
 * ```ts
 * import { create_connection, StreamRequestHandler, TCPServer } from "@pysock/pysock";
 * import assert from "node:assert/strict";
 * class Echo extends StreamRequestHandler {
 *   override async handle() { await this.wfile.write(await this.rfile.readline()); }
 * }
 * await using server = new TCPServer(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever(0.05);
 * await using client = await create_connection(server.server_address as [string, number]);
 * await client.sendall("hello\n");
 * assert.equal(new TextDecoder().decode(await client.recv(1024)), "hello\n");
 * await server.shutdown(); await serving;
 * ```
 * @module
 */
export * from "./net/mod.ts";
export * from "./mux/mod.ts";
export * from "./server/mod.ts";
export * from "./ssl/mod.ts";

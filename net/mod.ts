/**
 * Python's `socket` module for Deno: the socket object, its constants and
 * errors, addresses and their names (`getaddrinfo()`, `getnameinfo()`,
 * `getservbyname()`...), byte order and `inet_*` conversions, `makefile()`
 * and length-prefixed framing.
 *
 * Permissions: `--allow-net` scoped to the addresses used; datagram sockets
 * and SO_REUSEPORT need `--unstable-net`; Unix sockets need `--allow-read`,
 * `--allow-write` and `--allow-net=unix:/abs/path`.
 *
 * @example A TCP echo round trip
 * ```ts
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * await using client = await create_connection(server.getsockname() as [string, number]);
 * const [conn] = await server.accept();
 * await using _ = conn;
 * await client.sendall("ping");
 * await conn.sendall(await conn.recv(1024));
 * assert.equal(new TextDecoder().decode(await client.recv(1024)), "ping");
 * ```
 * @module
 */
export * from "./address.ts";
export * from "./byte_order.ts";
export * from "./constants.ts";
export * from "./create.ts";
export * from "./dualstack.ts";
export * from "./errno.ts";
export * from "./errors.ts";
export * from "./file.ts";
export * from "./framing.ts";
export * from "./inet.ts";
export * from "./names.ts";
export * from "./readiness.ts";
export * from "./services.ts";
export * from "./socket.ts";
export * from "./socket_type.ts";
export * from "./tls_hooks.ts";

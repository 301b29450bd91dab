/**
 * Python's `socketserver` for Deno: the same classes, hooks and defaults,
 * with handlers that may be async. Blocking servers (`TCPServer`,
 * `UDPServer`, `UnixStreamServer`, `UnixDatagramServer`) serve one request
 * at a time; selector servers (`SelectorTCPServer`, `SelectorUDPServer`,
 * `SelectorUnixStreamServer`) serve many at once on one thread.
 *
 * @example A line echo server
 * ```ts
 * import { SelectorTCPServer, StreamRequestHandler } from "@pysock/pysock/server";
 * import { socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 * await using server = new SelectorTCPServer(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * await client.sendall("hello\n");
 * assert.equal(new TextDecoder().decode(await client.recv(100)), "hello\n");
 * await client.close();
 * await server.shutdown();
 * await serving;
 * ```
 * @module
 */
export * from "./base.ts";
export * from "./stream.ts";
export * from "./datagram.ts";
export * from "./handlers.ts";
export * from "./files.ts";
export * from "./selector.ts";
export * from "./threading.ts";
export * from "./forking.ts";

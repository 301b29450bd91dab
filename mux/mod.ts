/**
 * Readiness multiplexing, as Python's `select` and `selectors` modules:
 * `select()`, `poll()`, `epoll()`, the selectors, a selectable `stdin`, and
 * `input()`.
 * Deno has no file descriptors to poll, so readiness is emulated from the
 * sockets' own notifications; a kept registration costs nothing while idle,
 * and each poll costs time in proportion to the ready objects only.
 *
 * @example A selector loop
 * ```ts
 * import { DefaultSelector, EVENT_READ } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new DefaultSelector();
 * sel.register(a, EVENT_READ);
 * await b.sendall("hello");
 * for (const [key, events] of await sel.select(5)) {
 *   assert.equal(events, EVENT_READ);
 *   assert.equal(new TextDecoder().decode(await a.recv(1024)), "hello");
 *   assert.equal(key.fileobj, a);
 * }
 * ```
 * @module
 */
export * from "./eof_error.ts";
export * from "./epoll.ts";
export * from "./input.ts";
export * from "./key_error.ts";
export * from "./poll.ts";
export * from "./runtime_error.ts";
export * from "./select.ts";
export * from "./selectors.ts";
export * from "./stdin.ts";

/**
 * Forking servers: handlers run in a pool of child Deno processes, as
 * Python's `ForkingMixIn`, `ForkingTCPServer` and `ForkingUDPServer`. Each
 * child runs `server/_child.ts` under `Deno.execPath()` and imports the
 * handler module by URL, as a worker of the threaded servers does (see
 * `threading.ts` for how requests cross and how the handler is found).
 * Messages go as frames over the child's stdin and stdout, so what a
 * handler prints with `console.log` goes to stderr.
 *
 * Permissions: a child never gets broader permissions than its parent. A
 * permission the parent holds unscoped is passed unscoped; a scoped grant
 * cannot be read back, so the child gets only the scopes it needs that
 * `Deno.permissions.querySync` proves the parent holds: `--allow-read` for
 * the library and the handler module, `--allow-net` for the server's own
 * `host:port` (TCP children listen there) and `127.0.0.1` (relayed
 * connections reach the handler over a loopback pair). Anything else a
 * handler needs must be granted unscoped to the parent. The parent needs
 * `--allow-run` for `Deno.execPath()`. A child ends when its stdin closes,
 * so none outlives its parent. Children run `deno run --no-prompt` (plus
 * `--unstable-net` when the parent has it) from the parent's working
 * folder, so Deno finds the same deno.json there; other flags of the
 * parent (an explicit `--config`, `--import-map`, V8 flags) are not passed.
 *
 * @example A forking echo server whose script is its own handler module
 * ```ts ignore
 * // echo.ts: deno run --unstable-net --allow-net=127.0.0.1 --allow-read --allow-run echo.ts
 * import { ForkingTCPServer, StreamRequestHandler } from "@pysock/pysock/server";
 * import { create_connection } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * export class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * if (import.meta.main) {
 *   await using server = new ForkingTCPServer(["127.0.0.1", 0], Echo);
 *   const serving = server.serve_forever(0.05);
 *   await using client = await create_connection(server.server_address);
 *   await client.sendall("hi\n");
 *   assert.equal(new TextDecoder().decode(await client.recv(10)), "hi\n");
 *   await client.close();
 *   await server.shutdown();
 *   await serving;
 * }
 * ```
 * @module
 */
import type { Address, Socket } from "../net/mod.ts";
import type { RequestHandlerClass, ServerConstructor } from "./base.ts";
import { UDPServer } from "./datagram.ts";
import type { DatagramRequest } from "./handlers.ts";
import { TCPServer } from "./stream.ts";
import { POOL, pooled } from "./_pooled.ts";

/**
 * What {@linkcode ForkingMixIn} adds to a server.
 *
 * @example Usage
 * ```ts
 * import type { ForkingMixInServer } from "@pysock/pysock/server";
 * const settings: Pick<ForkingMixInServer, "max_workers"> = { max_workers: 2 };
 * ```
 */
export interface ForkingMixInServer {
  /** How many child processes run the handlers; read when serving starts. */
  max_workers: number;
  /** When true, `server_close()` ends the children without waiting for handlers. */
  daemon_threads: boolean;
  /** When true, `server_close()` waits for the running handlers. */
  block_on_close: boolean;
  /** How many handlers run now, in every child. */
  readonly active_requests: number;
  /** PIDs of the running child processes, as Python's `active_children`. */
  readonly active_children: number[];
}

const forking_servers: WeakSet<object> = new WeakSet();

/**
 * Python's `ForkingMixIn` as a function: `ForkingMixIn(Base)` returns a
 * subclass of `Base` whose handlers run in a pool of Web Workers, as the
 * ready-made {@linkcode ThreadingTCPServer} and its siblings do (read there
 * how requests reach the workers and how the handler is found).
 * `server instanceof ForkingMixIn` is true for every forking server.
 *
 * @param Base The server class to extend: `TCPServer`, `UDPServer` or a
 *   subclass of one.
 * @returns The forking subclass.
 *
 * @example Mixing into a custom server
 * ```ts ignore
 * // logging.ts: deno run --unstable-net --allow-net=127.0.0.1 --allow-read --allow-run logging.ts
 * import { StreamRequestHandler, TCPServer, ForkingMixIn } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 *
 * export class Hello extends StreamRequestHandler {
 *   override async handle() {
 *     await this.wfile.write("hello\n");
 *   }
 * }
 * class Quiet extends TCPServer {
 *   override handle_error() {}
 * }
 * if (import.meta.main) {
 *   const Forking = ForkingMixIn(Quiet);
 *   await using server = new Forking(["127.0.0.1", 0], Hello);
 *   assert.ok(server instanceof ForkingMixIn);
 * }
 * ```
 */
export function ForkingMixIn<C extends ServerConstructor>(
  Base: C,
  // deno-lint-ignore no-explicit-any
): C & (new (...args: any[]) => ForkingMixInServer) & {
  max_workers: number;
  daemon_threads: boolean;
  block_on_close: boolean;
} {
  abstract class Mixed extends pooled(Base, "child", forking_servers)
    implements ForkingMixInServer {
    /** PIDs of the running child processes, as Python's `active_children`. */
    get active_children(): number[] {
      return this[POOL].pids;
    }
  }
  return Mixed as unknown as
    & C
    // deno-lint-ignore no-explicit-any
    & (new (...args: any[]) => ForkingMixInServer)
    & { max_workers: number; daemon_threads: boolean; block_on_close: boolean };
}

Object.defineProperty(ForkingMixIn, Symbol.hasInstance, {
  value: (value: unknown) =>
    typeof value === "object" && value !== null && forking_servers.has(value),
});

// The ready-made classes below extend these (see threading.ts for why).
type Forking<C extends ServerConstructor> = ReturnType<typeof ForkingMixIn<C>>;
const /** @internal */ ForkingTCPBase: Forking<typeof TCPServer> = ForkingMixIn(
  TCPServer,
);
const /** @internal */ ForkingUDPBase: Forking<typeof UDPServer> = ForkingMixIn(
  UDPServer,
);

/**
 * TCPServer whose handlers run in a pool of child Deno processes (`max_workers`, default
 * the number of cores), so CPU-bound handlers run in parallel: ForkingMixIn over
 * {@linkcode TCPServer}. Where requests cross: each child listens on the server's port itself (SO_REUSEPORT, so `--unstable-net`) and serves the connections the kernel hands it; the main thread relays the connections its own listener accepts.
 *
 * The handler class must be exported by its module, which each child
 * imports by URL: a class of the main module works as it is (guard the code
 * that starts the server with `if (import.meta.main)`); a class of another
 * module needs `static module = import.meta.url`. A class that cannot be
 * found makes the constructor throw a `RangeError` that says so. Loading the
 * child needs `--allow-read` for the library and the handler module.
 *
 * Inside a child, `this.server` is a stand-in with the real
 * `server_address`, whose `shutdown()` stops this server. `handle_error` and
 * `verify_request` of this class run in the main thread (with `null` as the
 * request when the child holds the connection); the other request hooks
 * run in the child with their default behaviour.
 *
 * A child that dies (a handler calls `self.close()`, or it is killed) is
 * replaced and logged; the connections it held are closed and every other
 * client goes on. `shutdown()` stops every child from taking requests;
 * `server_close()` ends them: after their running handlers finished while
 * `block_on_close` is true, at once when `daemon_threads` is true.
 *
 * @example Usage
 * ```ts ignore
 * // echo.ts: deno run --unstable-net --allow-net=127.0.0.1 --allow-read --allow-run echo.ts
 * import { ForkingTCPServer, StreamRequestHandler } from "@pysock/pysock/server";
 * import { create_connection } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * export class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * if (import.meta.main) {
 *   await using server = new ForkingTCPServer(["127.0.0.1", 0], Echo);
 *   const serving = server.serve_forever(0.05);
 *   await using client = await create_connection(server.server_address);
 *   await client.sendall("hi\n");
 *   assert.equal(new TextDecoder().decode(await client.recv(10)), "hi\n");
 *   await client.close();
 *   await server.shutdown();
 *   await serving;
 * }
 * ```
 */
export class ForkingTCPServer extends ForkingTCPBase {
  /** Default of `max_workers`: the number of cores. */
  declare static max_workers: number;
  /** Default of `daemon_threads`: false. */
  declare static daemon_threads: boolean;
  /** Default of `block_on_close`: true. */
  declare static block_on_close: boolean;

  /** How many child processes run the handlers; read when serving starts. */
  declare max_workers: number;
  /** When true, `server_close()` ends the child processes without waiting for their handlers. */
  declare daemon_threads: boolean;
  /** When true, `server_close()` waits for the running handlers. */
  declare block_on_close: boolean;
  /** PIDs of the running child processes, as Python's `active_children`. */
  declare readonly active_children: number[];
  /** How many handlers run now, in every worker or child. */
  declare readonly active_requests: number;

  /**
   * Checks that a child can find the handler, then creates the socket
   * and, when `bind_and_activate`, binds it as {@linkcode TCPServer} does.
   *
   * @param server_address Where to listen; port 0 picks a free port.
   * @param RequestHandlerClass The handler class: exported by its module.
   * @param bind_and_activate Bind now.
   * @throws {RangeError} When the handler class is not exported where a
   *   child looks for it; the message says how to fix it.
   * @throws {OSError} When binding fails.
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<Socket>,
    bind_and_activate: boolean = true,
  ) {
    super(server_address, RequestHandlerClass, bind_and_activate);
  }
}

/**
 * UDPServer whose handlers run in a pool of child Deno processes (`max_workers`, default
 * the number of cores), so CPU-bound handlers run in parallel: ForkingMixIn over
 * {@linkcode UDPServer}. Where requests cross: the main thread receives each datagram and posts it to the least busy child; replies the handler sends come back to the main thread, which sends them from the server's socket.
 *
 * The handler class must be exported by its module, which each child
 * imports by URL: a class of the main module works as it is (guard the code
 * that starts the server with `if (import.meta.main)`); a class of another
 * module needs `static module = import.meta.url`. A class that cannot be
 * found makes the constructor throw a `RangeError` that says so. Loading the
 * child needs `--allow-read` for the library and the handler module.
 *
 * Inside a child, `this.server` is a stand-in with the real
 * `server_address`, whose `shutdown()` stops this server. `handle_error` and
 * `verify_request` of this class run in the main thread (with `null` as the
 * request when the child holds the connection); the other request hooks
 * run in the child with their default behaviour.
 *
 * A child that dies (a handler calls `self.close()`, or it is killed) is
 * replaced and logged; the connections it held are closed and every other
 * client goes on. `shutdown()` stops every child from taking requests;
 * `server_close()` ends them: after their running handlers finished while
 * `block_on_close` is true, at once when `daemon_threads` is true.
 *
 * @example Usage
 * ```ts ignore
 * // upper.ts: deno run --unstable-net --allow-net=127.0.0.1 --allow-read --allow-run upper.ts
 * import { DatagramRequestHandler, ForkingUDPServer } from "@pysock/pysock/server";
 * import { AF_INET, SOCK_DGRAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * export class Upper extends DatagramRequestHandler {
 *   override handle() {
 *     this.wfile.write(new TextDecoder().decode(this.rfile.read()).toUpperCase());
 *   }
 * }
 *
 * if (import.meta.main) {
 *   await using server = new ForkingUDPServer(["127.0.0.1", 0], Upper);
 *   const serving = server.serve_forever(0.05);
 *   await using client = socket(AF_INET, SOCK_DGRAM);
 *   await client.sendto("abc", server.server_address);
 *   const [data] = await client.recvfrom(100);
 *   assert.equal(new TextDecoder().decode(data), "ABC");
 *   await server.shutdown();
 *   await serving;
 * }
 * ```
 */
export class ForkingUDPServer extends ForkingUDPBase {
  /** Default of `max_workers`: the number of cores. */
  declare static max_workers: number;
  /** Default of `daemon_threads`: false. */
  declare static daemon_threads: boolean;
  /** Default of `block_on_close`: true. */
  declare static block_on_close: boolean;

  /** How many child processes run the handlers; read when serving starts. */
  declare max_workers: number;
  /** When true, `server_close()` ends the child processes without waiting for their handlers. */
  declare daemon_threads: boolean;
  /** When true, `server_close()` waits for the running handlers. */
  declare block_on_close: boolean;
  /** PIDs of the running child processes, as Python's `active_children`. */
  declare readonly active_children: number[];
  /** How many handlers run now, in every worker or child. */
  declare readonly active_requests: number;

  /**
   * Checks that a child can find the handler, then creates the socket
   * and, when `bind_and_activate`, binds it as {@linkcode UDPServer} does.
   *
   * @param server_address Where to listen; port 0 picks a free port.
   * @param RequestHandlerClass The handler class: exported by its module.
   * @param bind_and_activate Bind now.
   * @throws {RangeError} When the handler class is not exported where a
   *   child looks for it; the message says how to fix it.
   * @throws {OSError} When binding fails.
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<DatagramRequest>,
    bind_and_activate: boolean = true,
  ) {
    super(server_address, RequestHandlerClass, bind_and_activate);
  }
}

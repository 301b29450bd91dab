/**
 * Threaded servers: handlers run in a pool of Web Workers, so CPU-bound
 * handlers use every core. `ThreadingMixIn` and the ready-made
 * `ThreadingTCPServer`, `ThreadingUDPServer`, `ThreadingUnixStreamServer`
 * and `ThreadingUnixDatagramServer`.
 *
 * Where requests cross into workers. Deno cannot move a connection to
 * another thread, but every thread of a process can share one listening
 * socket: the constructor binds the server's socket as in Python, and each
 * TCP worker accepts from that same socket (Deno's `loadBalanced`
 * listener, which `deno serve --parallel` uses too). Connections queue in
 * one accept queue, those made before `serve_forever()` too (as in
 * Python), and whichever worker is free takes the next one, so a worker
 * busy with CPU-bound work holds up no connection it has not accepted. The
 * main thread accepts nothing and relays nothing; the handler gets the
 * accepted socket itself. No other process can join the port (with
 * `allow_reuse_port` set, the socket gets SO_REUSEPORT and the main thread
 * relays what its own listener accepts, as a forking server does).
 * Datagram and Unix servers relay every request: its bytes cross as
 * messages, and a stream handler gets one end of an in-memory socket pair
 * as `request`. Unix datagram replies leave from an unbound socket (Deno
 * cannot send on a Unix datagram socket while it receives).
 *
 * `handle_request()` has a worker accept and handle one connection. A
 * worker closes its copy of the socket while the server does not serve
 * (after `shutdown()`), so connections made meanwhile wait in the accept
 * queue for the next `handle_request()` or `serve_forever()`, as they
 * would in Python's backlog.
 *
 * Workers load `server/_worker.ts`, which imports the handler module:
 * `--allow-read` must cover both.
 *
 * What every threaded server shares. The constructor takes
 * `(server_address, RequestHandlerClass, bind_and_activate = true)` as its
 * base class does: it checks that a worker can find the handler, then
 * creates the socket and binds it; it throws a `RangeError` saying how to
 * fix a handler class a worker cannot find, and an `OSError` when binding
 * fails. The handler class must be exported by its module, which each
 * worker imports by URL: a class of the main module works as it is (guard
 * the code that starts the server with `if (import.meta.main)`); a class of
 * another module needs `static module = import.meta.url`.
 *
 * Inside a worker, `this.server` is a stand-in with the real
 * `server_address`, whose `shutdown()` stops this server. `handle_error`
 * and `verify_request` of the server class run in the main thread; when
 * the worker holds the connection, their `request` is a closed socket of
 * the server's family standing in for it (a datagram server's hooks get the
 * packet and the server's socket, as usual). The other request hooks run
 * in the worker with their default behaviour.
 *
 * A worker that dies (a handler calls `self.close()`, or it is killed) is
 * replaced and logged; the connections it held are closed and every other
 * client goes on. `shutdown()` stops every worker from taking requests;
 * `server_close()` ends them: after their running handlers finished while
 * `block_on_close` is true, at once when `daemon_threads` is true.
 *
 * @example A threaded echo server whose script is its own handler module
 * ```ts ignore
 * // echo.ts: deno run --allow-net=127.0.0.1 --allow-read echo.ts
 * import { StreamRequestHandler, ThreadingTCPServer } from "@pysock/pysock/server";
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
 *   await using server = new ThreadingTCPServer(["127.0.0.1", 0], Echo);
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
import type { Socket } from "../net/mod.ts";
import type { ServerConstructor } from "./base.ts";
import { UDPServer, UnixDatagramServer } from "./datagram.ts";
import type { DatagramRequest } from "./handlers.ts";
import { TCPServer, UnixStreamServer } from "./stream.ts";
import { POOL, pooled, type PooledStatics } from "./_pooled.ts";
import { ready_made, type ReadyMade } from "./_ready_made.ts";

/**
 * What {@linkcode ThreadingMixIn} adds to a server.
 *
 * @example Usage
 * ```ts
 * import type { ThreadingMixInServer } from "@pysock/pysock/server";
 * const settings: Pick<ThreadingMixInServer, "max_workers"> = { max_workers: 2 };
 * ```
 */
export interface ThreadingMixInServer {
  /**
   * How many workers run the handlers; read when serving starts. Default:
   * the class's static `max_workers`, the number of cores.
   */
  max_workers: number;
  /**
   * When true, `server_close()` ends workers without waiting for handlers.
   * Default: the class's static `daemon_threads`, false.
   */
  daemon_threads: boolean;
  /**
   * When true, `server_close()` waits for the running handlers. Default:
   * the class's static `block_on_close`, true.
   */
  block_on_close: boolean;
  /** How many handlers run now, in every worker. */
  readonly active_requests: number;
  /** How many workers run now. */
  readonly active_workers: number;
}

const threaded_servers: WeakSet<object> = new WeakSet();

/**
 * Python's `ThreadingMixIn` as a function: `ThreadingMixIn(Base)` returns a
 * subclass of `Base` whose handlers run in a pool of Web Workers, as the
 * ready-made {@linkcode ThreadingTCPServer} and its siblings do (the module
 * doc says how requests reach the workers and how the handler is found).
 * `server instanceof ThreadingMixIn` is true for every threaded server.
 *
 * @param Base The server class to extend: `TCPServer`, `UDPServer`, their
 *   Unix siblings or a subclass of one.
 * @returns The threaded subclass.
 *
 * @example Mixing into a custom server
 * ```ts ignore
 * // logging.ts: deno run --allow-net=127.0.0.1 --allow-read logging.ts
 * import { StreamRequestHandler, TCPServer, ThreadingMixIn } from "@pysock/pysock/server";
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
 *   const Threaded = ThreadingMixIn(Quiet);
 *   await using server = new Threaded(["127.0.0.1", 0], Hello);
 *   assert.ok(server instanceof ThreadingMixIn);
 * }
 * ```
 */
export function ThreadingMixIn<C extends ServerConstructor>(
  Base: C,
  // deno-lint-ignore no-explicit-any
): C & (new (...args: any[]) => ThreadingMixInServer) & {
  max_workers: number;
  daemon_threads: boolean;
  block_on_close: boolean;
} {
  abstract class Mixed extends pooled(Base, "worker", threaded_servers)
    implements ThreadingMixInServer {
    /** How many workers run now. */
    get active_workers(): number {
      return this[POOL].size;
    }
  }
  return Mixed as unknown as
    & C
    // deno-lint-ignore no-explicit-any
    & (new (...args: any[]) => ThreadingMixInServer)
    & { max_workers: number; daemon_threads: boolean; block_on_close: boolean };
}

Object.defineProperty(ThreadingMixIn, Symbol.hasInstance, {
  value: (value: unknown) =>
    typeof value === "object" && value !== null && threaded_servers.has(value),
});

// The ready-made classes extend these; `@internal` (deno doc reads it on the
// declarator) keeps `deno doc --lint` from asking to export them.
type Threaded<Base, Server, R> = ReadyMade<
  Base,
  Server,
  R,
  ThreadingMixInServer,
  PooledStatics
>;
const /** @internal */ ThreadingTCPBase: Threaded<
  typeof TCPServer,
  TCPServer,
  Socket
> = ready_made(ThreadingMixIn(TCPServer));
const /** @internal */ ThreadingUDPBase: Threaded<
  typeof UDPServer,
  UDPServer,
  DatagramRequest
> = ready_made(ThreadingMixIn(UDPServer));
const /** @internal */ ThreadingUnixStreamBase: Threaded<
  typeof UnixStreamServer,
  UnixStreamServer,
  Socket
> = ready_made(ThreadingMixIn(UnixStreamServer));
const /** @internal */ ThreadingUnixDatagramBase: Threaded<
  typeof UnixDatagramServer,
  UnixDatagramServer,
  DatagramRequest
> = ready_made(ThreadingMixIn(UnixDatagramServer));

/**
 * {@linkcode TCPServer} whose handlers run in a pool of Web Workers
 * (`ThreadingMixIn` over it), with the members of
 * {@linkcode ThreadingMixInServer}. Every worker accepts from the server's
 * own listening socket, which the threads of the process share, and
 * serves what it accepts. The module doc says how the handler is found,
 * where the hooks run and what happens when a worker dies.
 *
 * @example Usage
 * ```ts ignore
 * // echo.ts: deno run --allow-net=127.0.0.1 --allow-read echo.ts
 * import { ThreadingTCPServer, StreamRequestHandler } from "@pysock/pysock/server";
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
 *   await using server = new ThreadingTCPServer(["127.0.0.1", 0], Echo);
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
export class ThreadingTCPServer extends ThreadingTCPBase
  implements ThreadingMixInServer {}

/**
 * {@linkcode UDPServer} whose handlers run in a pool of Web Workers
 * (`ThreadingMixIn` over it), with the members of
 * {@linkcode ThreadingMixInServer}. The main thread receives each datagram
 * and posts it to the least busy worker; replies the handler sends come
 * back to the main thread, which sends them from the server's socket. The
 * module doc says how the handler is found and where the hooks run.
 *
 * @example Usage
 * ```ts ignore
 * // upper.ts: deno run --allow-net=127.0.0.1 --allow-read upper.ts
 * import { DatagramRequestHandler, ThreadingUDPServer } from "@pysock/pysock/server";
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
 *   await using server = new ThreadingUDPServer(["127.0.0.1", 0], Upper);
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
export class ThreadingUDPServer extends ThreadingUDPBase
  implements ThreadingMixInServer {}

/**
 * {@linkcode UnixStreamServer} whose handlers run in a pool of Web Workers
 * (`ThreadingMixIn` over it), with the members of
 * {@linkcode ThreadingMixInServer}. The main thread accepts each connection
 * and relays its bytes to the least busy worker, where the handler gets an
 * in-memory socket pair's end as `request` (a full Socket over no
 * descriptor). The module doc says how the handler is found and where the
 * hooks run.
 *
 * @example Usage
 * ```ts ignore
 * // echo.ts: deno run --unstable-net --allow-net --allow-read --allow-write echo.ts
 * import { ThreadingUnixStreamServer, StreamRequestHandler } from "@pysock/pysock/server";
 * import { AF_UNIX, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * export class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * if (import.meta.main) {
 *   const dir = await Deno.makeTempDir();
 *   {
 *     await using server = new ThreadingUnixStreamServer(`${dir}/s.sock`, Echo);
 *     const serving = server.serve_forever(0.05);
 *     await using client = socket(AF_UNIX);
 *     await client.connect(`${dir}/s.sock`);
 *     await client.sendall("hi\n");
 *     assert.equal(new TextDecoder().decode(await client.recv(10)), "hi\n");
 *     await client.close();
 *     await server.shutdown();
 *     await serving;
 *   }
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ThreadingUnixStreamServer extends ThreadingUnixStreamBase
  implements ThreadingMixInServer {}

/**
 * {@linkcode UnixDatagramServer} whose handlers run in a pool of Web
 * Workers (`ThreadingMixIn` over it), with the members of
 * {@linkcode ThreadingMixInServer}. The main thread receives each datagram
 * and posts it to the least busy worker; replies come back to the main
 * thread, which sends them from the server's socket. The module doc says
 * how the handler is found and where the hooks run.
 *
 * @example Usage
 * ```ts ignore
 * // echo.ts: deno run --unstable-net --allow-net --allow-read --allow-write echo.ts
 * import { DatagramRequestHandler, ThreadingUnixDatagramServer } from "@pysock/pysock/server";
 * import { AF_UNIX, SOCK_DGRAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * export class Echo extends DatagramRequestHandler {
 *   override handle() {
 *     this.wfile.write(this.rfile.read());
 *   }
 * }
 *
 * if (import.meta.main) {
 *   const dir = await Deno.makeTempDir();
 *   {
 *     await using server = new ThreadingUnixDatagramServer(`${dir}/server.sock`, Echo);
 *     const serving = server.serve_forever(0.05);
 *     await using client = socket(AF_UNIX, SOCK_DGRAM);
 *     client.bind(`${dir}/client.sock`);
 *     await client.sendto("hi", `${dir}/server.sock`);
 *     const [data] = await client.recvfrom(100);
 *     assert.equal(new TextDecoder().decode(data), "hi");
 *     await server.shutdown();
 *     await serving;
 *   }
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ThreadingUnixDatagramServer extends ThreadingUnixDatagramBase
  implements ThreadingMixInServer {}

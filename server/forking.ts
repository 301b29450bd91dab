/**
 * Forking servers: handlers run in a pool of child Deno processes, as
 * Python's `ForkingMixIn`, `ForkingTCPServer`, `ForkingUDPServer`,
 * `ForkingUnixStreamServer` and `ForkingUnixDatagramServer`. Each child
 * runs `server/_child.ts` under `Deno.execPath()` and imports the handler
 * module by URL, as a worker of the threaded servers does (see
 * `threading.ts` for how requests cross and how the handler is found).
 * Messages go as frames over the child's stdin and stdout, so what a
 * handler prints with `console.log` goes to stderr; a child whose frame
 * stream breaks (a handler writes to `Deno.stdout`, say) is killed and
 * replaced, and the reason logged.
 *
 * Permissions: a child never gets broader permissions than its parent. A
 * permission the parent holds in full is passed in full. A scoped grant,
 * or one with a deny list (`--allow-read --deny-read=...`), cannot be read
 * back, so the child gets only the scopes it needs that
 * `Deno.permissions.querySync` proves the parent holds in full:
 * `--allow-read` for the library, the handler module and its folder,
 * `--allow-net` for the server's own `host:port` (TCP children listen
 * there) and `127.0.0.1` (relayed connections reach the handler over a
 * loopback pair). Anything else a handler needs must be granted in full to
 * the parent. A child never gets `--allow-run`; the parent needs it for
 * `Deno.execPath()`. A child ends when its stdin closes, so none outlives
 * its parent.
 *
 * Module resolution: children run `deno run --no-prompt` (plus
 * `--unstable-net` when the parent has it) with the configuration Deno
 * found for the parent's main module (`--config` with its deno.json, or
 * `--no-config`), so a handler that imports through the project's import
 * map loads in the child too. When the parent's command line can be read
 * (it needs `--allow-all`), its own resolution flags are passed as given
 * (`--config`, `--import-map`, `--lock`, `--frozen`, `--cached-only`, ...);
 * otherwise such flags on the parent's command line are not seen. A child
 * that cannot load the handler is logged and not restarted; one that
 * crashes is restarted after a wait that doubles with each early crash.
 *
 * What every forking server shares. The constructor takes
 * `(server_address, RequestHandlerClass, bind_and_activate = true)` as its
 * base class does: it checks that a child can find the handler, then
 * creates the socket and binds it; it throws a `RangeError` saying how to
 * fix a handler class a child cannot find, and an `OSError` when binding
 * fails. The handler class must be exported by its module, which each
 * child imports by URL: a class of the main module works as it is (guard
 * the code that starts the server with `if (import.meta.main)`); a class of
 * another module needs `static module = import.meta.url`.
 *
 * Inside a child, `this.server` is a stand-in with the real
 * `server_address`, whose `shutdown()` stops this server. `handle_error`
 * and `verify_request` of the server class run in the parent; when the
 * child holds the connection, their `request` is a closed socket of the
 * server's family standing in for it (a datagram server's hooks get the
 * packet and the server's socket, as usual). The other request hooks run
 * in the child with their default behaviour.
 *
 * A child that dies (a handler calls `Deno.exit()`, or it is killed) is
 * replaced and logged; the connections it held are closed and every other
 * client goes on. `shutdown()` stops every child from taking requests;
 * `server_close()` ends them: after their running handlers finished while
 * `block_on_close` is true, at once when `daemon_threads` is true.
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
import type { Socket } from "../net/mod.ts";
import type { ServerConstructor } from "./base.ts";
import { UDPServer, UnixDatagramServer } from "./datagram.ts";
import type { DatagramRequest } from "./handlers.ts";
import { TCPServer, UnixStreamServer } from "./stream.ts";
import { POOL, pooled, type PooledStatics } from "./_pooled.ts";
import { ready_made, type ReadyMade } from "./_ready_made.ts";

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
  /**
   * How many child processes run the handlers; read when serving starts.
   * Default: the class's static `max_workers`, the number of cores.
   */
  max_workers: number;
  /**
   * When true, `server_close()` ends the children without waiting for
   * handlers. Default: the class's static `daemon_threads`, false.
   */
  daemon_threads: boolean;
  /**
   * When true, `server_close()` waits for the running handlers. Default:
   * the class's static `block_on_close`, true.
   */
  block_on_close: boolean;
  /** How many handlers run now, in every child. */
  readonly active_requests: number;
  /** PIDs of the running child processes, as Python's `active_children`. */
  readonly active_children: number[];
}

const forking_servers: WeakSet<object> = new WeakSet();

/**
 * Python's `ForkingMixIn` as a function: `ForkingMixIn(Base)` returns a
 * subclass of `Base` whose handlers run in a pool of child Deno processes,
 * as the ready-made {@linkcode ForkingTCPServer} and {@linkcode ForkingUDPServer}
 * do (the module doc says how the handler is found and which hooks run
 * where).
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

// The ready-made classes extend these (threading.ts says why so).
type Forking<Base, Server, R> = ReadyMade<
  Base,
  Server,
  R,
  ForkingMixInServer,
  PooledStatics
>;
const /** @internal */ ForkingTCPBase: Forking<
  typeof TCPServer,
  TCPServer,
  Socket
> = ready_made(ForkingMixIn(TCPServer));
const /** @internal */ ForkingUDPBase: Forking<
  typeof UDPServer,
  UDPServer,
  DatagramRequest
> = ready_made(ForkingMixIn(UDPServer));
const /** @internal */ ForkingUnixStreamBase: Forking<
  typeof UnixStreamServer,
  UnixStreamServer,
  Socket
> = ready_made(ForkingMixIn(UnixStreamServer));
const /** @internal */ ForkingUnixDatagramBase: Forking<
  typeof UnixDatagramServer,
  UnixDatagramServer,
  DatagramRequest
> = ready_made(ForkingMixIn(UnixDatagramServer));

/**
 * {@linkcode TCPServer} whose handlers run in a pool of child Deno
 * processes (`ForkingMixIn` over it), with the members of
 * {@linkcode ForkingMixInServer}. Each child listens on the server's port
 * itself (SO_REUSEPORT, so `--unstable-net`) and serves the connections the
 * kernel hands it; the parent relays the connections its own listener
 * accepts. The module doc says how the handler is found, which permissions
 * a child gets and where the hooks run.
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
export class ForkingTCPServer extends ForkingTCPBase
  implements ForkingMixInServer {}

/**
 * {@linkcode UDPServer} whose handlers run in a pool of child Deno
 * processes (`ForkingMixIn` over it), with the members of
 * {@linkcode ForkingMixInServer}. The parent receives each datagram and
 * sends it to the least busy child; replies the handler sends come back to
 * the parent, which sends them from the server's socket. The module doc
 * says how the handler is found and where the hooks run.
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
export class ForkingUDPServer extends ForkingUDPBase
  implements ForkingMixInServer {}

/**
 * {@linkcode UnixStreamServer} whose handlers run in a pool of child Deno
 * processes (`ForkingMixIn` over it), with the members of
 * {@linkcode ForkingMixInServer}, as Python's `ForkingUnixStreamServer`.
 * The parent accepts each connection and relays its bytes to the least
 * busy child, where the handler gets an in-memory socket pair's end as
 * `request` (a full Socket over no descriptor). The module doc says how the
 * handler is found, which permissions a child gets and where the hooks
 * run.
 *
 * @example Usage
 * ```ts ignore
 * // echo.ts: deno run --unstable-net --allow-net --allow-read --allow-write --allow-run echo.ts
 * import { ForkingUnixStreamServer, StreamRequestHandler } from "@pysock/pysock/server";
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
 *     await using server = new ForkingUnixStreamServer(`${dir}/s.sock`, Echo);
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
export class ForkingUnixStreamServer extends ForkingUnixStreamBase
  implements ForkingMixInServer {}

/**
 * {@linkcode UnixDatagramServer} whose handlers run in a pool of child Deno
 * processes (`ForkingMixIn` over it), with the members of
 * {@linkcode ForkingMixInServer}, as Python's `ForkingUnixDatagramServer`.
 * The parent receives each datagram and sends it to the least busy child;
 * replies come back to the parent, which sends them (from an unbound
 * socket: Deno cannot send on a Unix datagram socket while it receives).
 * The module doc says how the handler is found and where the hooks run.
 *
 * @example Usage
 * ```ts ignore
 * // echo.ts: deno run --unstable-net --allow-net --allow-read --allow-write --allow-run echo.ts
 * import { DatagramRequestHandler, ForkingUnixDatagramServer } from "@pysock/pysock/server";
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
 *     await using server = new ForkingUnixDatagramServer(`${dir}/server.sock`, Echo);
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
export class ForkingUnixDatagramServer extends ForkingUnixDatagramBase
  implements ForkingMixInServer {}

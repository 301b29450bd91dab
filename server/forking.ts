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
import type { RequestHandlerClass, ServeOptions } from "./base.ts";
import { UDPServer } from "./datagram.ts";
import type { DatagramRequest } from "./handlers.ts";
import type { ServerConstructor } from "./mixins.ts";
import { TCPServer } from "./stream.ts";
import {
  type BaseHooks,
  cores,
  Front,
  type PoolServer,
  prepare,
  reuse_port,
} from "./_pool.ts";

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
  abstract class Mixed extends Base implements ForkingMixInServer {
    static max_workers: number = cores();
    static daemon_threads = false;
    static block_on_close = true;
    max_workers: number;
    daemon_threads: boolean;
    block_on_close: boolean;
    #front: Front;

    // deno-lint-ignore no-explicit-any
    constructor(...args: any[]) {
      const spec = prepare(new.target, args[1]);
      super(...args);
      const cls = this.constructor as unknown as ForkingMixInServer;
      this.max_workers = cls.max_workers;
      this.daemon_threads = cls.daemon_threads;
      this.block_on_close = cls.block_on_close;
      this.#front = new Front(
        this as unknown as PoolServer,
        "child",
        spec,
        this.constructor.name,
      );
      forking_servers.add(this);
    }

    get active_children(): number[] {
      return this.#front.pool.pids;
    }

    get active_requests(): number {
      return this.#front.pool.active;
    }

    server_bind(): void {
      reuse_port(this as unknown as PoolServer);
      (Base.prototype as { server_bind?: () => void }).server_bind?.call(this);
    }

    override serve_forever(
      poll_interval: number = 0.5,
      options: ServeOptions = {},
    ): Promise<void> {
      return this.#front.serve_forever(poll_interval, options, this.#base());
    }

    override shutdown(): Promise<void> {
      return this.#front.shutdown(this.#base());
    }

    override handle_request(): Promise<void> {
      return this.#front.handle_request(this.#base());
    }

    override process_request(
      request: unknown,
      client_address: Address,
    ): void | Promise<void> {
      return this.#front.process_request(request, client_address);
    }

    override server_close(): void | Promise<void> {
      if (!(#front in this)) return super.server_close();
      return this.#front.server_close(this.#base());
    }

    #base(): BaseHooks {
      return {
        serve_forever: (p, o) => super.serve_forever(p, o),
        shutdown: () => super.shutdown(),
        handle_request: () => super.handle_request(),
        server_close: () => super.server_close(),
      };
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
export class ForkingTCPServer extends TCPServer {
  /** Default of `max_workers`: the number of cores. */
  static max_workers: number = cores();
  /** Default of `daemon_threads`: false. */
  static daemon_threads: boolean = false;
  /** Default of `block_on_close`: true. */
  static block_on_close: boolean = true;

  /** How many child processes run the handlers; read when serving starts. */
  max_workers: number;
  /** When true, `server_close()` ends the child processes without waiting for their handlers. */
  daemon_threads: boolean;
  /** When true, `server_close()` waits for the running handlers. */
  block_on_close: boolean;
  #front: Front;

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
    const spec = prepare(new.target, RequestHandlerClass);
    super(server_address, RequestHandlerClass, bind_and_activate);
    const cls = this.constructor as typeof ForkingTCPServer;
    this.max_workers = cls.max_workers;
    this.daemon_threads = cls.daemon_threads;
    this.block_on_close = cls.block_on_close;
    this.#front = new Front(
      this as unknown as PoolServer,
      "child",
      spec,
      cls.name,
    );
    forking_servers.add(this);
  }

  /** PIDs of the running child processes, as Python's `active_children`. */
  get active_children(): number[] {
    return this.#front.pool.pids;
  }

  /** How many handlers run now, in every worker or child. */
  get active_requests(): number {
    return this.#front.pool.active;
  }

  /** Sets SO_REUSEPORT (TCP), then binds. */
  override server_bind(): void {
    reuse_port(this);
    super.server_bind();
  }

  /**
   * Starts the child processes (they listen before this yields to
   * requests), then serves until `shutdown()`.
   *
   * @param poll_interval Seconds between checks for a stop request.
   * @param options An `AbortSignal` that stops the server.
   * @returns A Promise that resolves once the server stopped.
   */
  override serve_forever(
    poll_interval: number = 0.5,
    options: ServeOptions = {},
  ): Promise<void> {
    return this.#front.serve_forever(poll_interval, options, this.#base());
  }

  /**
   * Stops `serve_forever`; resolves once no child takes new requests.
   *
   * @returns A Promise that resolves after `serve_forever` returned.
   */
  override shutdown(): Promise<void> {
    return this.#front.shutdown(this.#base());
  }

  /**
   * Starts the child processes if needed, then handles one request the
   * main thread receives.
   *
   * @returns A Promise that resolves once the request was handed over.
   */
  override handle_request(): Promise<void> {
    return this.#front.handle_request(this.#base());
  }

  /**
   * Hands the request to the least busy child and returns.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  override process_request(
    request: Socket,
    client_address: Address,
  ): void | Promise<void> {
    return this.#front.process_request(request, client_address);
  }

  /** Closes the socket and ends every child (see `block_on_close`). */
  override server_close(): void | Promise<void> {
    if (!(#front in this)) return super.server_close();
    return this.#front.server_close(this.#base());
  }

  #base(): BaseHooks {
    return {
      serve_forever: (p, o) => super.serve_forever(p, o),
      shutdown: () => super.shutdown(),
      handle_request: () => super.handle_request(),
      server_close: () => super.server_close(),
    };
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
export class ForkingUDPServer extends UDPServer {
  /** Default of `max_workers`: the number of cores. */
  static max_workers: number = cores();
  /** Default of `daemon_threads`: false. */
  static daemon_threads: boolean = false;
  /** Default of `block_on_close`: true. */
  static block_on_close: boolean = true;

  /** How many child processes run the handlers; read when serving starts. */
  max_workers: number;
  /** When true, `server_close()` ends the child processes without waiting for their handlers. */
  daemon_threads: boolean;
  /** When true, `server_close()` waits for the running handlers. */
  block_on_close: boolean;
  #front: Front;

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
    const spec = prepare(new.target, RequestHandlerClass);
    super(server_address, RequestHandlerClass, bind_and_activate);
    const cls = this.constructor as typeof ForkingUDPServer;
    this.max_workers = cls.max_workers;
    this.daemon_threads = cls.daemon_threads;
    this.block_on_close = cls.block_on_close;
    this.#front = new Front(
      this as unknown as PoolServer,
      "child",
      spec,
      cls.name,
    );
    forking_servers.add(this);
  }

  /** PIDs of the running child processes, as Python's `active_children`. */
  get active_children(): number[] {
    return this.#front.pool.pids;
  }

  /** How many handlers run now, in every worker or child. */
  get active_requests(): number {
    return this.#front.pool.active;
  }

  /** Sets SO_REUSEPORT (TCP), then binds. */
  override server_bind(): void {
    reuse_port(this);
    super.server_bind();
  }

  /**
   * Starts the child processes (they listen before this yields to
   * requests), then serves until `shutdown()`.
   *
   * @param poll_interval Seconds between checks for a stop request.
   * @param options An `AbortSignal` that stops the server.
   * @returns A Promise that resolves once the server stopped.
   */
  override serve_forever(
    poll_interval: number = 0.5,
    options: ServeOptions = {},
  ): Promise<void> {
    return this.#front.serve_forever(poll_interval, options, this.#base());
  }

  /**
   * Stops `serve_forever`; resolves once no child takes new requests.
   *
   * @returns A Promise that resolves after `serve_forever` returned.
   */
  override shutdown(): Promise<void> {
    return this.#front.shutdown(this.#base());
  }

  /**
   * Starts the child processes if needed, then handles one request the
   * main thread receives.
   *
   * @returns A Promise that resolves once the request was handed over.
   */
  override handle_request(): Promise<void> {
    return this.#front.handle_request(this.#base());
  }

  /**
   * Hands the request to the least busy child and returns.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  override process_request(
    request: DatagramRequest,
    client_address: Address,
  ): void | Promise<void> {
    return this.#front.process_request(request, client_address);
  }

  /** Closes the socket and ends every child (see `block_on_close`). */
  override server_close(): void | Promise<void> {
    if (!(#front in this)) return super.server_close();
    return this.#front.server_close(this.#base());
  }

  #base(): BaseHooks {
    return {
      serve_forever: (p, o) => super.serve_forever(p, o),
      shutdown: () => super.shutdown(),
      handle_request: () => super.handle_request(),
      server_close: () => super.server_close(),
    };
  }
}

/**
 * Selector servers: many clients at once on one thread. The serving loop
 * waits on the listening socket through a selector, as every server does,
 * but does not await the handler: each request runs as its own task and
 * handlers interleave at every `await`. Shared state in the server object
 * needs no locks.
 *
 * The ready-made classes take their base class's constructor arguments
 * (`server_address`, `RequestHandlerClass`, `bind_and_activate = true`) and
 * add the members of {@linkcode SelectorMixInServer}.
 *
 * @example A concurrent line echo server
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
 * await using a = socket();
 * await a.connect(server.server_address);
 * await using b = socket();
 * await b.connect(server.server_address);
 * await b.sendall("b\n");
 * assert.equal(new TextDecoder().decode(await b.recv(10)), "b\n");
 * await a.sendall("a\n");
 * assert.equal(new TextDecoder().decode(await a.recv(10)), "a\n");
 * await a.close();
 * await b.close();
 * await server.shutdown();
 * await serving;
 * ```
 * @module
 */
import type { Address, Socket } from "../net/mod.ts";
import type { ServerConstructor } from "./base.ts";
import { ready_made, type ReadyMade } from "./_ready_made.ts";
import { UDPServer } from "./datagram.ts";
import type { DatagramRequest } from "./handlers.ts";
import { TCPServer, UnixStreamServer } from "./stream.ts";
import { selector_servers, Tasks } from "./_tasks.ts";

/**
 * What {@linkcode SelectorMixIn} adds to a server.
 *
 * @example Usage
 * ```ts
 * import { BaseRequestHandler, SelectorTCPServer, type SelectorMixInServer } from "@pysock/pysock/server";
 * await using server = new SelectorTCPServer(["127.0.0.1", 0], BaseRequestHandler);
 * const mixed: SelectorMixInServer = server;
 * mixed.block_on_close = false;
 * ```
 */
export interface SelectorMixInServer {
  /**
   * Whether `server_close()` waits for the running handlers (default
   * true, from the static field of the same name).
   */
  block_on_close: boolean;
  /** How many handlers are running now. */
  readonly active_requests: number;
}

/**
 * Python's mixin classes as a function: `SelectorMixIn(Base)` returns a
 * subclass of `Base` whose `process_request` starts the handler as a task
 * instead of awaiting it, and whose `server_close()` waits for running
 * handlers when `block_on_close` is true. An error in a handler goes to
 * `handle_error()`; the request is always closed with `shutdown_request()`.
 * `server instanceof SelectorMixIn` is true for every such server.
 *
 * Use {@linkcode SelectorTCPServer}, {@linkcode SelectorUDPServer} or
 * {@linkcode SelectorUnixStreamServer} unless you mix into your own class.
 *
 * @param Base The server class to extend.
 * @returns The concurrent subclass.
 *
 * @example Mixing into a custom server
 * ```ts
 * import { BaseRequestHandler, SelectorMixIn, TCPServer } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 *
 * class Logging extends TCPServer {
 *   override handle_error() {}
 * }
 * const ConcurrentLogging = SelectorMixIn(Logging);
 * await using server = new ConcurrentLogging(["127.0.0.1", 0], BaseRequestHandler);
 * assert.ok(server instanceof SelectorMixIn);
 * assert.equal(server.block_on_close, true);
 * ```
 */
export function SelectorMixIn<C extends ServerConstructor>(
  Base: C,
): // deno-lint-ignore no-explicit-any
C & (new (...args: any[]) => SelectorMixInServer) & {
  block_on_close: boolean;
} {
  abstract class Mixed extends Base implements SelectorMixInServer {
    static block_on_close = true;
    block_on_close: boolean =
      (this.constructor as unknown as { block_on_close: boolean })
        .block_on_close;
    #tasks = new Tasks();

    // deno-lint-ignore no-explicit-any
    constructor(...args: any[]) {
      super(...args);
      selector_servers.add(this);
    }

    get active_requests(): number {
      return this.#tasks.size;
    }

    override process_request(request: unknown, client_address: Address): void {
      this.#tasks.start(this, request, client_address);
    }

    override server_close(): void | Promise<void> {
      return close_then_join(super.server_close(), this, this.#tasks);
    }
  }
  // The abstract class stands for any concrete C mixed in.
  return Mixed as unknown as ReturnType<typeof SelectorMixIn<C>>;
}

// Python's ThreadingMixIn.server_close: close first, then join.
async function close_then_join(
  closing: void | Promise<void>,
  server: { block_on_close: boolean },
  tasks: Tasks,
): Promise<void> {
  await closing;
  if (server.block_on_close) await tasks.join();
}

Object.defineProperty(SelectorMixIn, Symbol.hasInstance, {
  value: (value: unknown) =>
    typeof value === "object" && value !== null && selector_servers.has(value),
});

// The ready-made classes extend these; `@internal` (deno doc reads it on the
// declarator) keeps `deno doc --lint` from asking to export them. Their
// process_request returns nothing, as SelectorMixIn's does.
type Selecting<Base, Server, R> = ReadyMade<
  Base,
  Server,
  R,
  SelectorMixInServer & {
    process_request(request: R, client_address: Address): void;
  },
  { block_on_close: boolean }
>;
const /** @internal */ SelectorTCPBase: Selecting<
  typeof TCPServer,
  TCPServer,
  Socket
> = ready_made(SelectorMixIn(TCPServer));
const /** @internal */ SelectorUDPBase: Selecting<
  typeof UDPServer,
  UDPServer,
  DatagramRequest
> = ready_made(SelectorMixIn(UDPServer));
const /** @internal */ SelectorUnixStreamBase: Selecting<
  typeof UnixStreamServer,
  UnixStreamServer,
  Socket
> = ready_made(SelectorMixIn(UnixStreamServer));

/**
 * A TCP server that serves many clients at once on one thread:
 * `SelectorMixIn` over {@linkcode TCPServer}. One slow client delays no
 * other. `server_close()` waits for running handlers while
 * `block_on_close` is true.
 *
 * @example Usage
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
 * await client.sendall("hi\n");
 * assert.equal(new TextDecoder().decode(await client.recv(10)), "hi\n");
 * await client.close();
 * await server.shutdown();
 * await serving;
 * ```
 */
export class SelectorTCPServer extends SelectorTCPBase
  implements SelectorMixInServer {}

/**
 * A UDP server whose handlers run concurrently on one thread:
 * `SelectorMixIn` over {@linkcode UDPServer}. A slow reply delays no other.
 *
 * @example Usage
 * ```ts
 * import { DatagramRequestHandler, SelectorUDPServer } from "@pysock/pysock/server";
 * import { AF_INET, SOCK_DGRAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Echo extends DatagramRequestHandler {
 *   override handle() {
 *     this.wfile.write(this.rfile.read());
 *   }
 * }
 * await using server = new SelectorUDPServer(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever(0.05);
 * await using client = socket(AF_INET, SOCK_DGRAM);
 * await client.sendto("hi", server.server_address);
 * const [data] = await client.recvfrom(100);
 * assert.equal(new TextDecoder().decode(data), "hi");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class SelectorUDPServer extends SelectorUDPBase
  implements SelectorMixInServer {}

/**
 * A Unix stream server that serves many clients at once on one thread:
 * `SelectorMixIn` over {@linkcode UnixStreamServer}.
 *
 * @example Usage
 * ```ts
 * import { SelectorUnixStreamServer, StreamRequestHandler } from "@pysock/pysock/server";
 * import { AF_UNIX, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 * const dir = await Deno.makeTempDir();
 * {
 *   await using server = new SelectorUnixStreamServer(`${dir}/s.sock`, Echo);
 *   const serving = server.serve_forever(0.05);
 *   await using client = socket(AF_UNIX);
 *   await client.connect(`${dir}/s.sock`);
 *   await client.sendall("hi\n");
 *   assert.equal(new TextDecoder().decode(await client.recv(10)), "hi\n");
 *   await client.close();
 *   await server.shutdown();
 *   await serving;
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SelectorUnixStreamServer extends SelectorUnixStreamBase
  implements SelectorMixInServer {}

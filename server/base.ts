/**
 * {@linkcode BaseServer}: the lifecycle every socketserver class shares,
 * as in Python's `socketserver.BaseServer`.
 *
 * @example A blocking TCP echo server
 * ```ts
 * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
 * import { socket, type Socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Echo extends BaseRequestHandler<Socket> {
 *   override async handle() {
 *     await this.request.sendall(await this.request.recv(1024));
 *   }
 * }
 * await using server = new TCPServer(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * await client.sendall("hi");
 * assert.equal(new TextDecoder().decode(await client.recv(10)), "hi");
 * await server.shutdown();
 * await serving;
 * ```
 * @module
 */
import { DefaultSelector, EVENT_READ } from "../mux/mod.ts";
import { type Address, EMFILE, ENFILE, OSError } from "../net/mod.ts";
import type { BaseRequestHandler } from "./handlers.ts";
import { request_timeout, waiters } from "./_wait.ts";

/**
 * A request handler class as the servers take it: constructed with the
 * request, the client's address and the server, then driven through
 * `setup()`, `handle()` and `finish()`.
 *
 * @typeParam R The request: a `Socket` for stream servers, a
 *   {@linkcode DatagramRequest} for datagram servers.
 *
 * @example Usage
 * ```ts
 * import { BaseRequestHandler, type RequestHandlerClass } from "@pysock/pysock/server";
 * import type { Socket } from "@pysock/pysock/net";
 * class Hello extends BaseRequestHandler<Socket> {
 *   override async handle() {
 *     await this.request.sendall("hello\n");
 *   }
 * }
 * const cls: RequestHandlerClass<Socket> = Hello;
 * ```
 */
export type RequestHandlerClass<R> = new (
  request: R,
  client_address: Address,
  server: BaseServer<R>,
) => BaseRequestHandler<R>;

/**
 * Options of {@linkcode BaseServer.serve_forever}.
 *
 * @example Usage
 * ```ts
 * import type { ServeOptions } from "@pysock/pysock/server";
 * const options: ServeOptions = { signal: AbortSignal.timeout(1000) };
 * ```
 */
export interface ServeOptions {
  /** Stops `serve_forever` as `shutdown()` does, once aborted. */
  signal?: AbortSignal;
}

const SEPARATOR = "-".repeat(40);

/**
 * A constructor of servers: what the mixins (`SelectorMixIn`,
 * `ThreadingMixIn`, `ForkingMixIn`) take and extend.
 *
 * @example Usage
 * ```ts
 * import { type ServerConstructor, TCPServer } from "@pysock/pysock/server";
 * const cls: ServerConstructor = TCPServer;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ServerConstructor = new (...args: any[]) => BaseServer<any>;

/**
 * The base of every server: Python's `socketserver.BaseServer` lifecycle.
 * It owns no socket; {@linkcode TCPServer} and {@linkcode UDPServer} add
 * one. Subclasses implement `fileno()` and `get_request()`; everything else
 * is a hook with Python's default behaviour, and each hook may be
 * synchronous or return a Promise.
 *
 * Blocking servers serve one request at a time: `serve_forever` awaits each
 * handler before it accepts the next connection.
 *
 * @typeParam R The request type handed to handlers and hooks.
 *
 * @example A custom server class
 * ```ts
 * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
 * import { socket, type Socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Greeter extends BaseRequestHandler<Socket> {
 *   override async handle() {
 *     await this.request.sendall("hello\n");
 *   }
 * }
 * class Picky extends TCPServer {
 *   override verify_request(): boolean {
 *     return true;
 *   }
 * }
 * await using server = new Picky(["127.0.0.1", 0], Greeter);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * assert.equal(new TextDecoder().decode(await client.recv(10)), "hello\n");
 * await server.shutdown();
 * await serving;
 * ```
 */
export abstract class BaseServer<R = unknown> {
  /**
   * Default of {@linkcode BaseServer.prototype.timeout}, in seconds; `null`
   * waits forever. Read through the constructor, so a subclass's
   * `static timeout = 5` is seen.
   */
  static timeout: number | null = null;

  /** The address the server is bound to: the real one after binding port 0. */
  server_address: Address;
  /** The class instantiated for each request. */
  RequestHandlerClass: RequestHandlerClass<R>;
  /**
   * Seconds {@linkcode BaseServer.prototype.handle_request} waits for a
   * request before it calls `handle_timeout()`; `null` waits forever.
   */
  timeout: number | null;

  #shutdown_request = false;
  #serving: Promise<void> | null = null;

  /**
   * Stores the address and the handler class. Subclasses bind their socket.
   *
   * @param server_address Where to listen.
   * @param RequestHandlerClass The handler class for each request.
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<R>,
  ) {
    this.server_address = server_address;
    this.RequestHandlerClass = RequestHandlerClass;
    this.timeout = (this.constructor as typeof BaseServer).timeout;
  }

  /**
   * The file number the server waits on; `serve_forever` and
   * `handle_request` watch it through a selector.
   *
   * @returns A number from the server socket's `fileno()`.
   */
  abstract fileno(): number;

  /**
   * Takes the next request from the socket.
   *
   * @returns The request and the client's address.
   */
  abstract get_request(): Promise<[R, Address]>;

  /** Called by the constructor to activate the server; does nothing here. */
  server_activate(): void {}

  /**
   * Handles requests until {@linkcode BaseServer.prototype.shutdown} is
   * called or `options.signal` aborts. Each turn waits at most
   * `poll_interval` seconds on the server's socket through a selector,
   * handles one request if one is ready, then calls `service_actions()`;
   * so a stop request takes effect within `poll_interval`.
   *
   * A `shutdown()` made while the server was not serving makes the next
   * `serve_forever` return at once, as in Python.
   *
   * @param poll_interval Seconds between checks for a stop request.
   * @param options An `AbortSignal` that stops the server.
   * @returns A Promise that resolves once the server stopped.
   * @throws {RangeError} When `poll_interval` is negative or not finite.
   * @throws {OSError} When the selector fails.
   *
   * @example Stopping with an AbortSignal
   * ```ts
   * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
   * await using server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
   * const controller = new AbortController();
   * const serving = server.serve_forever(0.05, { signal: controller.signal });
   * controller.abort();
   * await serving;
   * ```
   */
  serve_forever(
    poll_interval: number = 0.5,
    options: ServeOptions = {},
  ): Promise<void> {
    if (typeof poll_interval !== "number") {
      throw new TypeError(
        `Cannot serve: poll_interval must be a number, received ${typeof poll_interval}`,
      );
    }
    if (!(poll_interval >= 0) || !Number.isFinite(poll_interval)) {
      throw new RangeError(
        `Cannot serve: poll_interval must be a finite number of seconds >= 0, received ${poll_interval}`,
      );
    }
    if (this.#serving !== null) {
      return Promise.reject(
        new Error("Cannot serve: serve_forever is running already"),
      );
    }
    const run = this.#serve(poll_interval, options.signal);
    // shutdown() hands out this derived promise: it settles only after
    // serve_forever's own promise did.
    const done = run.then(() => {}, () => {}).finally(() => {
      if (this.#serving === done) this.#serving = null;
    });
    this.#serving = done;
    return run;
  }

  async #serve(poll_interval: number, signal?: AbortSignal): Promise<void> {
    const on_abort = () => {
      this.#shutdown_request = true;
    };
    if (signal?.aborted) this.#shutdown_request = true;
    signal?.addEventListener("abort", on_abort, { once: true });
    const selector = new DefaultSelector();
    try {
      if (this.#shutdown_request) return;
      const wait = this.#waiter(selector);
      while (!this.#shutdown_request) {
        const ready = await wait(poll_interval);
        if (this.#shutdown_request) break;
        // A socket closed under a running loop would make it spin.
        if (this.fileno() < 0) break;
        if (ready) await this.#handle_request_noblock();
        await this.service_actions();
      }
    } finally {
      signal?.removeEventListener("abort", on_abort);
      this.#shutdown_request = false;
      selector.close();
    }
  }

  // Waits on the server's socket through `selector`, as CPython does; Unix
  // datagram servers receive instead (see _wait.ts).
  #waiter(
    selector: DefaultSelector,
  ): (timeout: number | null) => Promise<boolean> {
    const receive = waiters.get(this);
    if (receive !== undefined) return receive;
    selector.register(this, EVENT_READ);
    return async (timeout) => (await selector.select(timeout)).length > 0;
  }

  /**
   * Stops `serve_forever`. The returned Promise resolves once
   * `serve_forever` has returned (at once when it is not running), so
   * it never hangs when called before `serve_forever` or twice.
   *
   * A handler of a blocking server (such as `TCPServer`) may call it but
   * must not await it: `serve_forever` returns only after that handler
   * finished, so awaiting there deadlocks (Python's docs warn of the
   * same). Handlers of selector servers may await it.
   *
   * @returns A Promise that resolves after `serve_forever` returned.
   *
   * @example Stopping from a timer
   * ```ts
   * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
   * await using server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
   * const serving = server.serve_forever(0.05);
   * await new Promise((resolve) => setTimeout(resolve, 10));
   * await server.shutdown();
   * await serving;
   * ```
   */
  shutdown(): Promise<void> {
    this.#shutdown_request = true;
    return this.#serving ?? Promise.resolve();
  }

  /**
   * Called once per turn of the `serve_forever` loop; does nothing here.
   * Override it for periodic work.
   */
  service_actions(): void | Promise<void> {}

  /**
   * Waits for one request and handles it. Waits at most the smaller of
   * `this.timeout` and the socket's timeout, then calls `handle_timeout()`
   * instead.
   *
   * @returns A Promise that resolves once the request was handled or the
   *   wait timed out.
   *
   * @example Waiting with a timeout
   * ```ts
   * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
   * import assert from "node:assert/strict";
   * let timed_out = false;
   * class Server extends TCPServer {
   *   static override timeout = 0.05;
   *   override handle_timeout() {
   *     timed_out = true;
   *   }
   * }
   * await using server = new Server(["127.0.0.1", 0], BaseRequestHandler);
   * await server.handle_request();
   * assert.ok(timed_out);
   * ```
   */
  async handle_request(): Promise<void> {
    let timeout = request_timeout(this);
    const deadline = timeout === null ? 0 : performance.now() + timeout * 1000;
    const selector = new DefaultSelector();
    try {
      const wait = this.#waiter(selector);
      while (true) {
        if (await wait(timeout)) return await this.#handle_request_noblock();
        if (timeout !== null) {
          timeout = (deadline - performance.now()) / 1000;
          if (timeout < 0) return await this.handle_timeout();
        }
      }
    } finally {
      selector.close();
    }
  }

  async #handle_request_noblock(): Promise<void> {
    let request: R;
    let client_address: Address;
    try {
      [request, client_address] = await this.get_request();
    } catch (error) {
      if (error instanceof OSError) {
        // The server goes on; running out of descriptors is worth a line.
        if (error.errno === EMFILE || error.errno === ENFILE) {
          console.error(`${this.constructor.name}: cannot accept: ${error}`);
        }
        return;
      }
      throw error;
    }
    if (await this.verify_request(request, client_address)) {
      try {
        await this.process_request(request, client_address);
      } catch (error) {
        await this.handle_error(request, client_address, error);
        await this.shutdown_request(request);
      }
    } else {
      await this.shutdown_request(request);
    }
  }

  /** Called when `handle_request()` timed out; does nothing here. */
  handle_timeout(): void | Promise<void> {}

  /**
   * Says whether to handle a request; returning false closes it without
   * calling the handler. Accepts every request here.
   *
   * @param _request The request.
   * @param _client_address The client's address.
   * @returns Whether to handle the request.
   */
  verify_request(
    _request: R,
    _client_address: Address,
  ): boolean | Promise<boolean> {
    return true;
  }

  /**
   * Handles a request: here `finish_request()`, then `shutdown_request()`.
   * Selector servers override it to run handlers concurrently.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  process_request(request: R, client_address: Address): void | Promise<void> {
    return this.finish_request(request, client_address).then(() =>
      this.shutdown_request(request)
    );
  }

  /**
   * Closes the server; does nothing here. `TCPServer` closes its socket.
   */
  server_close(): void | Promise<void> {}

  /**
   * Runs the handler: constructs `RequestHandlerClass`, then awaits its
   * `setup()`, `handle()` and `finish()`; `finish()` runs even when
   * `handle()` throws.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  async finish_request(request: R, client_address: Address): Promise<void> {
    const handler = new this.RequestHandlerClass(request, client_address, this);
    await handler.setup();
    try {
      await handler.handle();
    } finally {
      await handler.finish();
    }
  }

  /**
   * Cleans up after a request: here `close_request()`.
   *
   * @param request The request.
   */
  shutdown_request(request: R): void | Promise<void> {
    return this.close_request(request);
  }

  /**
   * Closes a request; does nothing here.
   *
   * @param _request The request.
   */
  close_request(_request: R): void | Promise<void> {}

  /**
   * Reports an error thrown while handling a request, then the server
   * keeps serving and the request is closed. Here it prints the error and
   * its stack to stderr between two lines of dashes, as Python does.
   *
   * @param _request The request.
   * @param client_address The client's address.
   * @param error What was thrown.
   */
  handle_error(
    _request: R,
    client_address: Address,
    error: unknown,
  ): void | Promise<void> {
    console.error(SEPARATOR);
    console.error(
      `Exception occurred during processing of request from ${
        py_repr(client_address)
      }`,
    );
    console.error(error);
    console.error(SEPARATOR);
  }

  /**
   * Stops `serve_forever` if it runs, then calls `server_close()`: what
   * `await using` does when the block ends.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#serving !== null) await this.shutdown();
    await this.server_close();
  }
}

// Python's repr() of an address: ('127.0.0.1', 5000) or '/tmp/s'.
function py_repr(value: unknown): string {
  if (typeof value === "string") return `'${value.replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) {
    const items = value.map(py_repr);
    return `(${items.join(", ")}${items.length === 1 ? "," : ""})`;
  }
  return String(value);
}

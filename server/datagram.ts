/**
 * Blocking datagram servers: {@linkcode UDPServer} and
 * {@linkcode UnixDatagramServer}, as in Python's `socketserver`. Each
 * datagram is one request. `Deno.listenDatagram` needs `--unstable-net`
 * (`"unstable": ["net"]` in deno.json).
 *
 * @example A UDP server on a free port
 * ```ts
 * import { BaseRequestHandler, type DatagramRequest, UDPServer } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 * await using server = new UDPServer(["127.0.0.1", 0], BaseRequestHandler<DatagramRequest>);
 * assert.notEqual(server.server_address[1], 0);
 * ```
 * @module
 */
import {
  type Address,
  AF_UNIX,
  BlockingIOError,
  SOCK_DGRAM,
  TimeoutError,
} from "../net/mod.ts";
import type { RequestHandlerClass } from "./base.ts";
import type { DatagramRequest } from "./handlers.ts";
import { TCPServer } from "./stream.ts";
import { waiters } from "./_wait.ts";

/**
 * A blocking UDP server, as Python's `socketserver.UDPServer`: each
 * datagram (up to `max_packet_size` bytes) becomes a request
 * `[data, socket]` for the handler; requests are served one at a time.
 * There is no connection to close, and `server_activate()` does nothing.
 *
 * @example Replying "ok" as the tutorials' UDP server does
 * ```ts
 * import { BaseRequestHandler, type DatagramRequest, UDPServer } from "@pysock/pysock/server";
 * import { AF_INET, SOCK_DGRAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Ok extends BaseRequestHandler<DatagramRequest> {
 *   override async handle() {
 *     const [_data, sock] = this.request;
 *     await sock.sendto("ok", this.client_address);
 *   }
 * }
 * await using server = new UDPServer(["127.0.0.1", 0], Ok);
 * const serving = server.serve_forever(0.05);
 * await using client = socket(AF_INET, SOCK_DGRAM);
 * await client.sendto("hello", server.server_address);
 * const [data] = await client.recvfrom(1024);
 * assert.equal(new TextDecoder().decode(data), "ok");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class UDPServer extends TCPServer<DatagramRequest> {
  /** Default of `socket_type`: `SOCK_DGRAM`. */
  static override socket_type: number = SOCK_DGRAM;
  /** Default of `allow_reuse_address`: false (not inherited from TCPServer). */
  static override allow_reuse_address: boolean = false;
  /** Default of `allow_reuse_port`: false (not inherited from TCPServer). */
  static override allow_reuse_port: boolean = false;
  /** Default of `max_packet_size`: 8192 bytes. */
  static max_packet_size: number = 8192;

  /** The most bytes read from one datagram; the rest is dropped. */
  max_packet_size: number;

  /**
   * Creates the socket and, when `bind_and_activate`, binds it.
   *
   * @param server_address Where to receive: `[host, port]`, or a path for
   *   Unix sockets. Port 0 picks a free port.
   * @param RequestHandlerClass The handler class for each datagram.
   * @param bind_and_activate Bind now; when false, call `server_bind()`
   *   and `server_activate()` yourself.
   * @throws {OSError} When binding fails (the socket is closed).
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<DatagramRequest>,
    bind_and_activate: boolean = true,
  ) {
    super(server_address, RequestHandlerClass, bind_and_activate);
    this.max_packet_size = (this.constructor as typeof UDPServer)
      .max_packet_size;
  }

  /** Does nothing: a datagram socket does not listen. */
  override server_activate(): void {}

  /**
   * Receives a datagram.
   *
   * @returns `[[data, socket], client_address]`.
   */
  override async get_request(): Promise<[DatagramRequest, Address]> {
    const [data, client_address] = await this.socket.recvfrom(
      this.max_packet_size,
    );
    // An unbound Unix client has no address; Python's accept() gives it ''.
    return [[data, this.socket], client_address ?? ""];
  }

  /**
   * Does nothing but `close_request()`: there is no connection.
   *
   * @param request The datagram and the socket.
   */
  override shutdown_request(request: DatagramRequest): void | Promise<void> {
    return this.close_request(request);
  }

  /**
   * Does nothing: the socket is the server's.
   *
   * @param _request The datagram and the socket.
   */
  override close_request(_request: DatagramRequest): void | Promise<void> {}
}

/**
 * A blocking Unix datagram server, as Python's
 * `socketserver.UnixDatagramServer`: `server_address` is a path, and a
 * client must bind its own path to get replies (an unbound client's address
 * is `""`, where Python gives `None`). Needs `--allow-read`,
 * `--allow-write`, `--allow-net` and `--unstable-net`.
 *
 * Unlike the other servers, it does not wait through a selector: Deno cannot
 * send on a Unix datagram socket while a receive is pending, and a selector
 * keeps one pending, so the handler's reply would fail. It waits by
 * receiving with `poll_interval` as the timeout instead; `shutdown()` and
 * `service_actions()` behave the same.
 *
 * @example Usage
 * ```ts
 * import { DatagramRequestHandler, UnixDatagramServer } from "@pysock/pysock/server";
 * import { AF_UNIX, SOCK_DGRAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Echo extends DatagramRequestHandler {
 *   override handle() {
 *     this.wfile.write(this.rfile.read());
 *   }
 * }
 * const dir = await Deno.makeTempDir();
 * {
 *   await using server = new UnixDatagramServer(`${dir}/server.sock`, Echo);
 *   const serving = server.serve_forever(0.05);
 *   await using client = socket(AF_UNIX, SOCK_DGRAM);
 *   client.bind(`${dir}/client.sock`);
 *   await client.sendto("hi", `${dir}/server.sock`);
 *   const [data] = await client.recvfrom(100);
 *   assert.equal(new TextDecoder().decode(data), "hi");
 *   await server.shutdown();
 *   await serving;
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class UnixDatagramServer extends UDPServer {
  /** Default of `address_family`: `AF_UNIX`. */
  static override address_family: number = AF_UNIX;

  /**
   * Creates the socket and, when `bind_and_activate`, binds it.
   *
   * @param server_address The socket's path.
   * @param RequestHandlerClass The handler class for each datagram.
   * @param bind_and_activate Bind now.
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<DatagramRequest>,
    bind_and_activate: boolean = true,
  ) {
    super(server_address, RequestHandlerClass, bind_and_activate);
    // Deno cannot send on a Unix datagram socket while a receive is
    // pending, and a selector keeps one pending: wait by receiving instead.
    waiters.set(this, (timeout) => this.#receive(timeout));
  }

  #received: [DatagramRequest, Address] | null = null;
  #failed: unknown = null;

  // Receives the next datagram within `timeout` seconds and keeps it for
  // get_request(); false when none came.
  async #receive(timeout: number | null): Promise<boolean> {
    if (this.#received !== null || this.#failed !== null) return true;
    const saved = this.socket.gettimeout();
    this.socket.settimeout(timeout === null ? null : Math.max(timeout, 0));
    try {
      this.#received = await super.get_request();
      return true;
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof BlockingIOError) {
        return false;
      }
      this.#failed = error; // get_request() reports it
      return true;
    } finally {
      if (this.socket.fileno() >= 0) this.socket.settimeout(saved);
    }
  }

  /**
   * Receives a datagram (or returns the one the serving loop received).
   *
   * @returns `[[data, socket], client_address]`.
   */
  override get_request(): Promise<[DatagramRequest, Address]> {
    const received = this.#received;
    const failed = this.#failed;
    this.#received = null;
    this.#failed = null;
    if (failed !== null) return Promise.reject(failed);
    if (received !== null) return Promise.resolve(received);
    return super.get_request();
  }
}

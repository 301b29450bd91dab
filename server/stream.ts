/**
 * Blocking stream servers: {@linkcode TCPServer} and
 * {@linkcode UnixStreamServer}, as in Python's `socketserver`.
 *
 * @example A TCP server on a free port
 * ```ts
 * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 * await using server = new TCPServer(["127.0.0.1", 0], BaseRequestHandler);
 * assert.notEqual(server.server_address[1], 0);
 * ```
 * @module
 */
import {
  type Address,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  OSError,
  SHUT_WR,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
} from "../net/mod.ts";
import { BaseServer, type RequestHandlerClass } from "./base.ts";

/**
 * A blocking TCP server, as Python's `socketserver.TCPServer`: the
 * constructor creates the socket and, unless `bind_and_activate` is false,
 * binds and listens at once (closing the socket if that fails). Requests
 * are served one at a time.
 *
 * The class-level defaults (`address_family`, `socket_type`,
 * `request_queue_size`, `allow_reuse_address`, `allow_reuse_port`,
 * `timeout`) are static fields read through the constructor, so
 * `static allow_reuse_address = true` in a subclass, or
 * `TCPServer.allow_reuse_address = true`, is seen while binding. Each
 * instance then holds its own copy.
 *
 * Binding port 0 needs `--allow-net=127.0.0.1`; a Unix socket needs
 * `--allow-read`, `--allow-write` and `--allow-net`.
 *
 * @typeParam R The request type; a `Socket` here.
 *
 * @example An echo server
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
 * class Server extends TCPServer {
 *   static override allow_reuse_address = true;
 * }
 * await using server = new Server(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * await client.sendall("hi");
 * assert.equal(new TextDecoder().decode(await client.recv(10)), "hi");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class TCPServer<R = Socket> extends BaseServer<R> {
  /** Default of `address_family`: `AF_INET`. */
  static address_family: number = AF_INET;
  /** Default of `socket_type`: `SOCK_STREAM`. */
  static socket_type: number = SOCK_STREAM;
  /** Default of `request_queue_size`: 5, the `listen()` backlog. */
  static request_queue_size: number = 5;
  /** Default of `allow_reuse_address`: false. */
  static allow_reuse_address: boolean = false;
  /** Default of `allow_reuse_port`: false. */
  static allow_reuse_port: boolean = false;

  /** The socket's family. */
  address_family: number;
  /** The socket's type. */
  socket_type: number;
  /** The `listen()` backlog. */
  request_queue_size: number;
  /** Sets SO_REUSEADDR before binding when true. */
  allow_reuse_address: boolean;
  /** Sets SO_REUSEPORT before binding when true (IPv4 and IPv6 only). */
  allow_reuse_port: boolean;
  /** The server's socket. */
  socket: Socket;

  /**
   * Creates the socket and, when `bind_and_activate`, binds and listens.
   *
   * @param server_address Where to listen: `[host, port]`, or a path for
   *   Unix sockets. Port 0 picks a free port; `server_address` then holds it.
   * @param RequestHandlerClass The handler class for each request.
   * @param bind_and_activate Bind and listen now; when false, call
   *   `server_bind()` and `server_activate()` yourself.
   * @throws {OSError} When binding or listening fails (the socket is closed).
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<R>,
    bind_and_activate: boolean = true,
  ) {
    super(server_address, RequestHandlerClass);
    const cls = this.constructor as typeof TCPServer;
    this.address_family = cls.address_family;
    this.socket_type = cls.socket_type;
    this.request_queue_size = cls.request_queue_size;
    this.allow_reuse_address = cls.allow_reuse_address;
    this.allow_reuse_port = cls.allow_reuse_port;
    this.socket = socket(this.address_family, this.socket_type);
    if (bind_and_activate) {
      try {
        this.server_bind();
        this.server_activate();
      } catch (error) {
        // Python closes the socket here too; nothing was accepted, so the
        // close has no one to wait for.
        try {
          Promise.resolve(this.server_close()).catch(() => {});
        } catch {
          // The bind error is the one to report.
        }
        throw error;
      }
    }
  }

  /**
   * Applies the reuse options, binds the socket and records the real
   * address in `server_address`.
   *
   * @throws {OSError} When the address cannot be bound.
   */
  server_bind(): void {
    if (this.allow_reuse_address) {
      this.socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    }
    if (
      this.allow_reuse_port &&
      (this.address_family === AF_INET || this.address_family === AF_INET6)
    ) {
      this.socket.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    }
    this.socket.bind(this.server_address);
    this.server_address = this.socket.getsockname();
  }

  /** Listens with a backlog of `request_queue_size`. */
  override server_activate(): void {
    this.socket.listen(this.request_queue_size);
  }

  /** Closes the socket; the Promise resolves once the port is free. */
  override server_close(): void | Promise<void> {
    return this.socket.close();
  }

  /** The socket's file number (-1 once closed). */
  fileno(): number {
    return this.socket.fileno();
  }

  /**
   * Accepts a connection.
   *
   * @returns The connection and the client's address.
   */
  async get_request(): Promise<[R, Address]> {
    // R is Socket for every stream server; datagram servers override this.
    return (await this.socket.accept()) as unknown as [R, Address];
  }

  /**
   * Half-closes the connection for writing (so the client sees EOF after
   * the last byte), then closes it.
   *
   * @param request The connection.
   */
  override shutdown_request(request: R): void | Promise<void> {
    return half_close(request as unknown as Socket).then(() =>
      this.close_request(request)
    );
  }

  /**
   * Closes the connection.
   *
   * @param request The connection.
   */
  override close_request(request: R): void | Promise<void> {
    // Whatever files a handler left open: the request is done with.
    return (request as unknown as Socket)._real_close();
  }
}

// shutdown(SHUT_WR) fails on a connection the peer already reset: ignore it.
async function half_close(sock: Socket): Promise<void> {
  try {
    await sock.shutdown(SHUT_WR);
  } catch (error) {
    if (!(error instanceof OSError)) throw error;
  }
}

/**
 * A blocking Unix stream socket server, as Python's
 * `socketserver.UnixStreamServer`: `server_address` is a path. The socket
 * file is not removed on close (as in Python): unlink it before binding
 * again. Needs `--allow-read`, `--allow-write` and `--allow-net`.
 *
 * @example Usage
 * ```ts
 * import { BaseRequestHandler, UnixStreamServer } from "@pysock/pysock/server";
 * import { AF_UNIX, socket, type Socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Hello extends BaseRequestHandler<Socket> {
 *   override async handle() {
 *     await this.request.sendall("hello");
 *   }
 * }
 * const dir = await Deno.makeTempDir();
 * {
 *   await using server = new UnixStreamServer(`${dir}/s.sock`, Hello);
 *   const serving = server.serve_forever(0.05);
 *   await using client = socket(AF_UNIX);
 *   await client.connect(`${dir}/s.sock`);
 *   assert.equal(new TextDecoder().decode(await client.recv(10)), "hello");
 *   await server.shutdown();
 *   await serving;
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class UnixStreamServer extends TCPServer<Socket> {
  /** Default of `address_family`: `AF_UNIX`. */
  static override address_family: number = AF_UNIX;
}

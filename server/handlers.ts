/**
 * Request handlers, as Python's `socketserver.BaseRequestHandler`,
 * `StreamRequestHandler` and `DatagramRequestHandler`, with the file-like
 * objects they hand out.
 *
 * @example A line echo handler
 * ```ts
 * import { StreamRequestHandler, TCPServer } from "@pysock/pysock/server";
 * import { socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 * await using server = new TCPServer(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * await client.sendall("ping\n");
 * assert.equal(new TextDecoder().decode(await client.recv(10)), "ping\n");
 * await client.close();
 * await server.shutdown();
 * await serving;
 * ```
 * @module
 */
import {
  type Address,
  IPPROTO_TCP,
  OSError,
  type Socket,
  type SocketFile,
  TCP_NODELAY,
} from "../net/mod.ts";
import type { BaseServer } from "./base.ts";
import { BytesReader, BytesWriter, SocketWriter } from "./files.ts";

/**
 * What a datagram server hands its handler as `request`: the packet and the
 * server's socket, as Python's `(data, socket)` pair.
 *
 * @example Usage
 * ```ts
 * import { BaseRequestHandler, type DatagramRequest } from "@pysock/pysock/server";
 * class Ok extends BaseRequestHandler<DatagramRequest> {
 *   override async handle() {
 *     const [_data, sock] = this.request;
 *     await sock.sendto("ok", this.client_address);
 *   }
 * }
 * ```
 */
export type DatagramRequest = [data: Uint8Array, socket: Socket];

/**
 * The base request handler: stores the request, the client's address and
 * the server. The server then awaits `setup()`, `handle()` and `finish()`
 * (`finish()` even when `handle()` throws). Unlike Python, the constructor
 * does not run them, so fields a subclass initialises are set by then.
 *
 * @typeParam R The request: a `Socket` (stream servers, the default) or a
 *   {@linkcode DatagramRequest} (datagram servers).
 *
 * @example The tutorials' "10086" robot
 * ```ts
 * import { BaseRequestHandler, TCPServer } from "@pysock/pysock/server";
 * import { socket, type Socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Robot extends BaseRequestHandler<Socket> {
 *   override async handle() {
 *     const conn = this.request;
 *     await conn.sendall("欢迎致电 10086,请输入1xxx,0转人工服务.");
 *     while (true) {
 *       const data = new TextDecoder().decode(await conn.recv(1024));
 *       if (data === "exit" || data === "") break;
 *       await conn.sendall(data === "0" ? "通过可能会被录音.balabala一大推" : "请重新输入.");
 *     }
 *   }
 * }
 * await using server = new TCPServer(["127.0.0.1", 0], Robot);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * assert.match(new TextDecoder().decode(await client.recv(1024)), /10086/);
 * await client.sendall("exit");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class BaseRequestHandler<R = Socket> {
  /** The request: the connection, or the packet and the server's socket. */
  request: R;
  /** The client's address. */
  client_address: Address;
  /** The server that received the request. */
  server: BaseServer<R>;

  /**
   * Stores its arguments and nothing else.
   *
   * @param request The request.
   * @param client_address The client's address.
   * @param server The server.
   */
  constructor(request: R, client_address: Address, server: BaseServer<R>) {
    this.request = request;
    this.client_address = client_address;
    this.server = server;
  }

  /** Runs before `handle()`; does nothing here. */
  setup(): void | Promise<void> {}

  /** Serves the request; does nothing here. */
  handle(): void | Promise<void> {}

  /** Runs after `handle()`, even when it threw; does nothing here. */
  finish(): void | Promise<void> {}
}

/**
 * A handler for stream connections, as Python's `StreamRequestHandler`:
 * `setup()` applies `timeout` and `disable_nagle_algorithm` and opens
 * `rfile` (`connection.makefile("rb")`) and `wfile` (a
 * {@linkcode SocketWriter}); `finish()` flushes and closes both.
 *
 * With a `timeout`, a read that waits longer throws `TimeoutError`, which
 * reaches the server's `handle_error()` and closes that client only, as in
 * Python.
 *
 * @example An upper-casing line server with an idle timeout
 * ```ts
 * import { SelectorTCPServer, StreamRequestHandler } from "@pysock/pysock/server";
 * import { socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Upper extends StreamRequestHandler {
 *   static override timeout = 5;
 *   override async handle() {
 *     const line = new TextDecoder().decode(await this.rfile.readline());
 *     await this.wfile.write(line.toUpperCase());
 *   }
 * }
 * await using server = new SelectorTCPServer(["127.0.0.1", 0], Upper);
 * const serving = server.serve_forever(0.05);
 * await using client = socket();
 * await client.connect(server.server_address);
 * await client.sendall("abc\n");
 * assert.equal(new TextDecoder().decode(await client.recv(10)), "ABC\n");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class StreamRequestHandler extends BaseRequestHandler<Socket> {
  /** Default of `rbufsize`: -1, the default buffer size. */
  static rbufsize: number = -1;
  /** Default of `wbufsize`: 0, unbuffered (each write goes out at once). */
  static wbufsize: number = 0;
  /** Default of `timeout`, in seconds: `null`, reads wait forever. */
  static timeout: number | null = null;
  /** Default of `disable_nagle_algorithm`: false. */
  static disable_nagle_algorithm: boolean = false;

  /** Read buffer size; -1 is the default size. */
  rbufsize: number;
  /** Write buffer size; 0 sends each write at once. */
  wbufsize: number;
  /** Seconds a read may wait, set on the connection; `null` is forever. */
  timeout: number | null;
  /** Sets TCP_NODELAY on the connection when true. */
  disable_nagle_algorithm: boolean;
  /** The connection (the request), set by `setup()`. */
  connection!: Socket;
  /** The connection's reading file (binary), set by `setup()`. */
  rfile!: SocketFile<"rb">;
  /** The connection's writing file, set by `setup()`. */
  wfile!: SocketWriter;

  /**
   * Stores its arguments and copies the static defaults.
   *
   * @param request The connection.
   * @param client_address The client's address.
   * @param server The server.
   */
  constructor(
    request: Socket,
    client_address: Address,
    server: BaseServer<Socket>,
  ) {
    super(request, client_address, server);
    const cls = this.constructor as typeof StreamRequestHandler;
    this.rbufsize = cls.rbufsize;
    this.wbufsize = cls.wbufsize;
    this.timeout = cls.timeout;
    this.disable_nagle_algorithm = cls.disable_nagle_algorithm;
  }

  /** Applies the options and opens `rfile` and `wfile`. */
  override setup(): void | Promise<void> {
    this.connection = this.request;
    if (this.timeout !== null) this.connection.settimeout(this.timeout);
    if (this.disable_nagle_algorithm) {
      this.connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    }
    this.rfile = this.connection.makefile("rb", {
      buffering: this.rbufsize,
    }) as SocketFile<"rb">;
    this.wfile = new SocketWriter(this.connection, this.wbufsize);
  }

  /** Flushes `wfile` (ignoring a closed connection), closes both files. */
  override async finish(): Promise<void> {
    if (!this.wfile.closed) {
      try {
        await this.wfile.flush();
      } catch (error) {
        if (!(error instanceof OSError)) throw error;
      }
    }
    try {
      await this.wfile.close();
    } catch (error) {
      if (!(error instanceof OSError)) throw error;
    }
    await this.rfile.close();
  }
}

/**
 * A handler for datagrams, as Python's `DatagramRequestHandler`: `rfile`
 * reads the packet, and what the handler writes to `wfile` is sent back to
 * the client as one datagram by `finish()` (even an empty one, as Python
 * does).
 *
 * @example An upper-casing UDP server
 * ```ts
 * import { DatagramRequestHandler, UDPServer } from "@pysock/pysock/server";
 * import { AF_INET, SOCK_DGRAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 *
 * class Upper extends DatagramRequestHandler {
 *   override handle() {
 *     this.wfile.write(new TextDecoder().decode(this.rfile.read()).toUpperCase());
 *   }
 * }
 * await using server = new UDPServer(["127.0.0.1", 0], Upper);
 * const serving = server.serve_forever(0.05);
 * await using client = socket(AF_INET, SOCK_DGRAM);
 * await client.sendto("abc", server.server_address);
 * const [data] = await client.recvfrom(100);
 * assert.equal(new TextDecoder().decode(data), "ABC");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class DatagramRequestHandler
  extends BaseRequestHandler<DatagramRequest> {
  /** The datagram, set by `setup()`. */
  packet!: Uint8Array;
  /** The server's socket, set by `setup()`. */
  socket!: Socket;
  /** Reads the packet, set by `setup()`. */
  rfile!: BytesReader;
  /** Collects the reply, set by `setup()`. */
  wfile!: BytesWriter;

  /** Opens `rfile` over the packet and an empty `wfile`. */
  override setup(): void | Promise<void> {
    [this.packet, this.socket] = this.request;
    this.rfile = new BytesReader(this.packet);
    this.wfile = new BytesWriter();
  }

  /** Sends what was written to `wfile` back to the client. */
  override async finish(): Promise<void> {
    await this.socket.sendto(this.wfile.getvalue(), this.client_address);
  }
}

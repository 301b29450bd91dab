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
  type Data,
  IPPROTO_TCP,
  OSError,
  type Socket,
  type SocketFile,
  TCP_NODELAY,
} from "../net/mod.ts";
import type { BaseServer } from "./base.ts";

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

const encoder = new TextEncoder();

// Marks a promise handled: a write need not be awaited, and an unawaited
// failure must not end the process (flush() and finish() report it).
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

function ignore(): void {}

function to_bytes(
  data: Data,
  action: string,
): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (
    (data as unknown) instanceof ArrayBuffer ||
    (data as unknown) instanceof SharedArrayBuffer
  ) {
    return new Uint8Array(data as ArrayBufferLike);
  }
  throw new TypeError(
    `Cannot ${action}: data must be a Uint8Array, a BufferSource or a string, received ${typeof data}`,
  );
}

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
 * The `wfile` of a {@linkcode StreamRequestHandler}: writes to the
 * connection in order. With `bufsize` 0 (the default, Python's
 * `wbufsize = 0`) each `write()` starts sending at once; a write need not be
 * awaited, the next one queues behind it and `flush()` waits for all. A
 * positive `bufsize` collects writes until that many bytes are buffered.
 * `finish()` flushes and closes it, so nothing written is lost.
 *
 * @example Usage
 * ```ts
 * import { SocketWriter } from "@pysock/pysock/server";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const wfile = new SocketWriter(a);
 * wfile.write("one ");
 * wfile.write("two");
 * await wfile.flush();
 * assert.equal(new TextDecoder().decode(await b.recv(100)), "one two");
 * ```
 */
export class SocketWriter {
  #sock: Socket;
  #bufsize: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  // The socket's sendall() keeps call order: the last one settles last.
  #last: Promise<unknown> | null = null;
  #error: unknown = null;
  #closed = false;

  /**
   * Makes a writer over `sock`.
   *
   * @param sock The connection to write to.
   * @param bufsize Bytes to collect before sending; 0 sends each write at
   *   once, a negative number means 8192.
   */
  constructor(sock: Socket, bufsize: number = 0) {
    this.#sock = sock;
    this.#bufsize = bufsize < 0 ? 8192 : bufsize;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The connection's file number, as Python's `wfile.fileno()`.
   *
   * @returns The request socket's `fileno()`.
   */
  fileno(): number {
    return this.#sock.fileno();
  }

  /**
   * Writes `data`. Do not change a buffer before its write resolved.
   *
   * @param data Bytes, or a string sent as UTF-8.
   * @returns The number of bytes written, once they were handed to the
   *   socket (at once when buffered).
   * @throws {RangeError} When the writer is closed.
   * @throws {OSError} When an earlier send failed.
   */
  write(data: Data): Promise<number> {
    if (this.#closed) {
      return handled(
        Promise.reject(new RangeError("Cannot write: the file is closed")),
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = to_bytes(data, "write");
    } catch (error) {
      return handled(Promise.reject(error));
    }
    const n = bytes.byteLength;
    if (this.#error !== null) return handled(Promise.reject(this.#error));
    if (this.#bufsize > 0) {
      this.#chunks.push(bytes.slice());
      this.#buffered += n;
      if (this.#buffered < this.#bufsize) return Promise.resolve(n);
      return handled(this.#drain().then(() => n));
    }
    // Straight into the socket's own send queue, which keeps the order.
    return this.#send(bytes, n);
  }

  // Sends the buffered chunks as one write.
  #drain(): Promise<unknown> {
    if (this.#chunks.length === 0) return this.#last ?? Promise.resolve();
    const chunks = this.#chunks;
    this.#chunks = [];
    const size = this.#buffered;
    this.#buffered = 0;
    let joined: Uint8Array;
    if (chunks.length === 1) {
      joined = chunks[0]!;
    } else {
      joined = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        joined.set(c, at);
        at += c.byteLength;
      }
    }
    return this.#send(joined, size);
  }

  // Resolves to `n` once the socket took `chunk`. A failure is kept for
  // flush() and later writes, and never left unhandled.
  #send(chunk: Uint8Array, n: number): Promise<number> {
    const sent = this.#sock.sendall(chunk).then(() => n, this.#failed);
    this.#last = sent;
    sent.catch(ignore);
    return sent;
  }

  #failed = (error: unknown): never => {
    this.#error ??= error;
    throw error;
  };

  /**
   * Sends everything written so far.
   *
   * @returns A Promise that resolves once every byte was handed to the
   *   socket.
   * @throws {OSError} When a send failed.
   */
  async flush(): Promise<void> {
    await this.#drain().catch(ignore);
    if (this.#error !== null) throw this.#error;
  }

  /**
   * Flushes, then marks the writer closed; the connection stays open.
   * Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
    }
  }
}

/**
 * Python's `io.BytesIO` as a datagram handler's `rfile`: reads the packet.
 * `readline()` keeps the `"\n"` and returns an empty array at the end.
 *
 * @example Usage
 * ```ts
 * import { BytesReader } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 * const rfile = new BytesReader(new TextEncoder().encode("a\nb"));
 * assert.deepEqual(rfile.readline(), new TextEncoder().encode("a\n"));
 * assert.deepEqual(rfile.read(), new TextEncoder().encode("b"));
 * assert.equal(rfile.readline().length, 0);
 * ```
 */
export class BytesReader {
  #data: Uint8Array;
  #at = 0;

  /**
   * Makes a reader over `data`.
   *
   * @param data The bytes to read; not copied.
   */
  constructor(data: Uint8Array) {
    this.#data = data;
  }

  /**
   * Reads up to `n` bytes, or all that is left when `n` is omitted or
   * negative.
   *
   * @param n The most bytes to read.
   * @returns The bytes; an empty array at the end.
   */
  read(n: number = -1): Uint8Array {
    const end = n < 0
      ? this.#data.length
      : Math.min(this.#at + n, this.#data.length);
    const out = this.#data.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /**
   * Reads one line, with its `"\n"`.
   *
   * @param limit The most bytes to return; negative means no limit.
   * @returns The line; an empty array at the end.
   */
  readline(limit: number = -1): Uint8Array {
    const nl = this.#data.indexOf(10, this.#at);
    let end = nl < 0 ? this.#data.length : nl + 1;
    if (limit >= 0) end = Math.min(end, this.#at + limit);
    const out = this.#data.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /**
   * Reads every remaining line.
   *
   * @returns The lines, each with its `"\n"`.
   */
  readlines(): Uint8Array[] {
    const lines: Uint8Array[] = [];
    for (const line of this) lines.push(line);
    return lines;
  }

  /** The whole packet, whatever was read. */
  getvalue(): Uint8Array {
    return this.#data;
  }

  /** Iterates over the remaining lines. */
  *[Symbol.iterator](): IterableIterator<Uint8Array> {
    while (true) {
      const line = this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Iterates over the remaining lines, for `for await`. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    yield* this[Symbol.iterator]();
  }
}

/**
 * Python's `io.BytesIO` as a datagram handler's `wfile`: collects the reply,
 * which `DatagramRequestHandler.finish()` sends back as one datagram.
 *
 * @example Usage
 * ```ts
 * import { BytesWriter } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 * const wfile = new BytesWriter();
 * wfile.write("a");
 * wfile.write(new Uint8Array([98]));
 * assert.equal(new TextDecoder().decode(wfile.getvalue()), "ab");
 * ```
 */
export class BytesWriter {
  #chunks: Uint8Array[] = [];
  #size = 0;

  /**
   * Appends `data`.
   *
   * @param data Bytes, or a string written as UTF-8.
   * @returns The number of bytes written.
   */
  write(data: Data): number {
    const bytes = to_bytes(data, "write").slice();
    this.#chunks.push(bytes);
    this.#size += bytes.byteLength;
    return bytes.byteLength;
  }

  /** Does nothing: the bytes are kept until `finish()` sends them. */
  flush(): void {}

  /** Everything written, as one array. */
  getvalue(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.#chunks = [out];
    return out;
  }
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

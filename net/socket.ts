/**
 * Python's socket object over `Deno.listen`, `Deno.connect` and
 * `Deno.listenDatagram`: {@linkcode Socket}. Its calls that Python's C
 * `_socket.socket` has are documented on {@linkcode SocketType}, which it
 * extends; the ones Python's `socket.socket` adds are here.
 *
 * @module
 */
import { SOCK_STREAM } from "./constants.ts";
import type { Address } from "./address.ts";
import { type MakefileOptions, SocketFile } from "./file.ts";
import { _parts, _renumber } from "./_parts.ts";
import { _readable_of, _writable_of } from "./_web_streams.ts";
import { _sendfile } from "./_sendfile.ts";
import { _socket_repr } from "./_socket_repr.ts";
import { SocketType } from "./socket_type.ts";

export type { Data } from "./socket_type.ts";

/**
 * A network socket with Python's API: `bind`, `listen`, `accept`, `connect`,
 * `recv`, `send`, `sendall`, `recvfrom`, `sendto`, `settimeout`,
 * `setsockopt`, `makefile`, `shutdown`, `close`. Families `AF_INET`,
 * `AF_INET6` and `AF_UNIX`; types `SOCK_STREAM` and `SOCK_DGRAM`
 * (`SOCK_DGRAM` needs `--unstable-net`). The calls Python's C socket has
 * (the constructor, `bind` ... `shutdown`, modes, options and names) are
 * documented on {@linkcode SocketType}, which this class extends.
 *
 * Permissions: `--allow-net` scoped to the address used (binding port 0 needs
 * a host-only grant such as `--allow-net=127.0.0.1`); a Unix socket needs
 * `--allow-read`, `--allow-write` and `--allow-net=unix:/abs/path`.
 *
 * @example A UDP round trip
 * ```ts
 * import { AF_INET, SOCK_DGRAM, Socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using a = new Socket(AF_INET, SOCK_DGRAM);
 * await using b = new Socket(AF_INET, SOCK_DGRAM);
 * a.bind(["127.0.0.1", 0]);
 * await b.sendto("ping", a.getsockname());
 * const [data, from] = await a.recvfrom(1024);
 * assert.equal(new TextDecoder().decode(data), "ping");
 * assert.deepEqual(from, b.getsockname());
 * ```
 */
export class Socket extends SocketType implements AsyncDisposable {
  // Open files from makefile(), and whether close() waits for them.
  #io_refs = 0;
  #close_asked = false;
  // Set once the real close began.
  #closing = false;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * A second socket on the same connection, with a number of its own, as
   * Python's `dup()`; each closes on its own, and the connection closes
   * with the last. They share the timeout and options, as the kernel shares
   * a socket's.
   *
   * @returns The new socket.
   * @throws {OSError} EBADF (9) once closed.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _b = b;
   * const copy = a.dup();
   * await a.close();
   * await copy.sendall("x"); // the connection is still open
   * assert.equal((await b.recv(1))[0], 120);
   * await copy.close();
   * ```
   */
  dup(): Socket {
    const { core } = _parts(this);
    core.check_open("dup");
    const fd = this.fileno();
    const copy = new Socket(this.family, this.type, this.proto, fd);
    _renumber(copy, fd);
    _parts(copy).core.options.copy_from(core.options);
    return copy;
  }

  // A connection `accept()` took, adopted by a new socket.
  static #adopt(conn: Deno.Conn, parent: Socket): Socket {
    const sock = new Socket(parent.family, SOCK_STREAM);
    const { core } = _parts(sock);
    core.options.copy_from(_parts(parent).core.options);
    core.adopt(conn);
    return sock;
  }

  /**
   * Waits for a connection and returns a new socket for it and the peer's
   * address. The new socket is blocking unless `setdefaulttimeout()` set a
   * timeout, as in Python.
   *
   * @returns `[socket, address]`.
   * @throws {OSError} EINVAL (22) when the socket is not listening;
   *   `TimeoutError` or `BlockingIOError` in those modes.
   *
   * @example Usage
   * ```ts
   * import { create_connection, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * await using client = await create_connection(server.getsockname() as [string, number]);
   * const [conn, addr] = await server.accept();
   * await using _ = conn;
   * assert.deepEqual(addr, client.getsockname());
   * ```
   */
  async accept(): Promise<[Socket, Address]> {
    const [conn, address] = await _parts(this).rx.accept();
    return [Socket.#adopt(conn, this), address];
  }

  /**
   * Closes the socket. The Promise resolves once the port is free again
   * (Deno frees a listener's port one event-loop turn after its pending
   * accept ends) and queued sends have drained (for at most 5 seconds).
   * Calling it again is harmless.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const s = socket();
   * s.bind(["127.0.0.1", 0]);
   * const addr = s.getsockname() as [string, number];
   * await s.close();
   * await using again = socket();
   * again.bind(addr); // free at once
   * assert.equal(s.fileno(), -1);
   * ```
   */
  override close(): Promise<void> {
    // As CPython: while a file from makefile() is open, the connection
    // stays usable through it, and the close happens when the last closes.
    if (this.#io_refs > 0 && !this.#closing) {
      this.#close_asked = true;
      return Promise.resolve();
    }
    return this._real_close();
  }

  /**
   * Closes now, even while files from `makefile()` are open (they fail from
   * then on), as CPython's `_real_close()`. A server closes a finished
   * request this way: in CPython its handler's files are gone by then.
   *
   * @returns As `close()`.
   */
  _real_close(): Promise<void> {
    this.#closing = true;
    return super.close();
  }

  /** Closes the socket, as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * A file object over the socket, as Python's `makefile()`: `"rb"`/`"wb"`
   * for bytes, `"r"`/`"w"` for text (`encoding` defaults to UTF-8). Closing
   * the file does not close the socket; closing the socket while the file
   * is open leaves the connection open for the file until it closes too, as
   * in CPython, so close both.
   *
   * @param mode `"r"`, `"w"`, `"rw"`, with `"b"` for bytes.
   * @param options `encoding`, `errors`, `newline`, `buffering`.
   * @returns The file.
   *
   * @example Reading lines
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * await a.sendall("one\ntwo\n");
   * await using f = b.makefile("r", { encoding: "utf-8" });
   * assert.equal(await f.readline(), "one\n");
   * assert.equal(await f.readline(), "two\n");
   * ```
   */
  makefile<M extends string = "r">(
    mode: M = "r" as M,
    options?: MakefileOptions,
  ): SocketFile<M> {
    const file = new SocketFile(this, mode, options);
    this.#io_refs++;
    return file;
  }

  /**
   * Called by a file from `makefile()` when it closes, as CPython's socket
   * counts its files: once the last one closes, a `close()` asked for
   * meanwhile happens.
   *
   * @returns Resolves once that close is done.
   */
  _decref_socketios(): Promise<void> {
    if (this.#io_refs > 0) this.#io_refs--;
    if (this.#io_refs === 0 && this.#close_asked) return this.close();
    return Promise.resolve();
  }

  /**
   * Sends a file's bytes through a stream socket, as Python's `sendfile()`.
   *
   * @param file An open file (or anything with `read()` into a buffer).
   * @param offset Where to start in the file (needs `seek()`).
   * @param count How many bytes at most; all when omitted.
   * @returns The number of bytes sent.
   *
   * @example Usage
   * ```ts ignore
   * import { create_connection } from "@pysock/pysock/net";
   * await using sock = await create_connection(["127.0.0.1", 9999]);
   * using file = await Deno.open("README.md");
   * console.log(await sock.sendfile(file));
   * ```
   */
  async sendfile(
    file: {
      read(p: Uint8Array): Promise<number | null>;
      seek?(offset: number, whence: Deno.SeekMode): Promise<number>;
    },
    offset = 0,
    count?: number,
  ): Promise<number> {
    return await _sendfile(this, file, offset, count);
  }

  /**
   * The bytes the socket receives, as a Web `ReadableStream` (created on
   * first use); it ends when the peer closes its side.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _b = b;
   * await a.sendall("streamed");
   * await a.close();
   * const text = await new Response(b.readable).text();
   * assert.equal(text, "streamed");
   * ```
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= _readable_of(this);
  }

  /**
   * A Web `WritableStream` into the socket (created on first use); closing
   * it shuts down the sending side.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * await ReadableStream.from([new TextEncoder().encode("hi")]).pipeTo(a.writable);
   * assert.equal(new TextDecoder().decode(await b.recv(10)), "hi");
   * ```
   */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= _writable_of(this);
  }

  /**
   * Python's `repr()` of the socket, which `print(sock)` shows:
   * `<socket.socket fd=3, family=2, type=1, proto=0, laddr=('127.0.0.1',
   * 9999), raddr=('127.0.0.1', 50000)>`, and
   * `<socket.socket [closed] fd=-1, family=2, type=1, proto=0>` once closed.
   * `console.log(sock)` prints the same.
   *
   * @returns The text.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const s = socket();
   * s.bind(["127.0.0.1", 0]);
   * const [, port] = s.getsockname() as [string, number];
   * assert.equal(
   *   String(s),
   *   `<socket.socket fd=${s.fileno()}, family=2, type=1, proto=0, laddr=('127.0.0.1', ${port})>`,
   * );
   * await s.close();
   * assert.equal(String(s), "<socket.socket [closed] fd=-1, family=2, type=1, proto=0>");
   * ```
   */
  override toString(): string {
    return _socket_repr(this, _parts(this).core.closed);
  }

  /** What `console.log()` and `Deno.inspect()` show: {@linkcode toString}. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

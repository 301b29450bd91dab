/**
 * Python's `_socket.socket`, which Python names `socket.SocketType`: the
 * socket's state and its calls (bind, listen, connect, the receives and
 * sends, shutdown, modes, options, names and `detach()`), each handing off
 * to the private engines. {@linkcode Socket} adds what Python's
 * `socket.socket` adds: `accept()`, `dup()`, `makefile()`, `sendfile()`,
 * `repr()`, `await using` and a `close()` that waits for open files.
 *
 * What blocks in Python returns a Promise here. Each socket has Python's three
 * modes: blocking (the default), timeout (`settimeout(seconds)`: a call
 * rejects with `TimeoutError`) and non-blocking (`setblocking(false)`: a call
 * that would wait rejects with `BlockingIOError`). A receive that times out,
 * or fails in non-blocking mode, keeps every byte for the next call.
 *
 * @module
 */
import {
  AF_INET,
  SHUT_RD,
  SHUT_WR,
  SOCK_NONBLOCK,
  SOCK_STREAM,
} from "./constants.ts";
import { OSError } from "./errors.ts";
import { ENOTCONN } from "./errno.ts";
import type { Address } from "./address.ts";
import type { Data } from "./_bytes.ts";
import {
  _check_how,
  _check_integers,
  _check_kind,
  _check_timeout,
} from "./_checks.ts";
import { _default_timeout } from "./_default_timeout.ts";
import { _Core, _State } from "./_core.ts";
import type { _Receiver } from "./_receive.ts";
import type { _Sender } from "./_send.ts";
import { _Shared, _shared_at } from "./_shared.ts";
import { _register_parts } from "./_parts.ts";

export type { Data };

/**
 * The socket type, as Python's `socket.SocketType`: every
 * {@linkcode Socket} is one, and its calls are documented here. Create
 * sockets with `socket()` or `new Socket()`.
 *
 * @example Every socket is a SocketType
 * ```ts
 * import { socket, SocketType } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using s = socket();
 * assert.ok(s instanceof SocketType);
 * ```
 */
export class SocketType {
  /** Address family: `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  readonly family: number;
  /** Socket type: `SOCK_STREAM` or `SOCK_DGRAM`. */
  readonly type: number;
  /** Protocol number (0, `IPPROTO_TCP` or `IPPROTO_UDP`). */
  readonly proto: number;

  #fd: number;
  #closing: Promise<void> | null = null;
  #shared!: _Shared;
  #core!: _Core;
  #rx!: _Receiver;
  #tx!: _Sender;

  /**
   * Creates a socket, as Python's `socket.socket()`; it is neither bound nor
   * connected yet.
   *
   * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
   * @param type `SOCK_STREAM` (default) or `SOCK_DGRAM`, optionally OR-ed
   *   with `SOCK_NONBLOCK` or `SOCK_CLOEXEC`.
   * @param proto 0 (default), or the protocol the type implies.
   * @param fileno A number a socket of this process holds (or `detach()`
   *   returned): the new object names that connection, whose family and
   *   type it takes, as Python's `socket(..., fileno)`.
   * @throws {RangeError} For an unknown family or type.
   * @throws {OSError} For a type Deno cannot create (raw sockets), or a
   *   datagram socket without `--unstable-net`; EBADF (9) for a `fileno` no
   *   socket of this process holds.
   */
  constructor(
    family: number = AF_INET,
    type: number = SOCK_STREAM,
    proto = 0,
    fileno: number | null = null,
  ) {
    if (fileno !== null && fileno !== undefined) {
      _check_integers("create socket", { fileno });
      const shared = _shared_at(fileno);
      shared.hold(fileno);
      this.family = shared.core.family;
      this.type = shared.core.type;
      this.proto = proto;
      this.#use(shared);
      this.#fd = fileno;
    } else {
      const base = _check_kind(family, type, proto);
      this.family = family;
      this.type = base;
      this.proto = proto;
      const timeout = (type & SOCK_NONBLOCK) !== 0 ? 0 : _default_timeout();
      this.#use(new _Shared(new _Core(family, base, timeout)));
      this.#fd = this.#shared.number();
    }
  }

  static {
    // The ssl part reaches the engines through tls_hooks.ts.
    _register_parts(
      (sock) => ({ core: sock.#core, rx: sock.#rx, tx: sock.#tx }),
      (copy, from) => {
        copy.#fd = copy.#shared.renumber(from);
      },
    );
  }

  #use(shared: _Shared): void {
    this.#shared = shared;
    this.#core = shared.core;
    this.#rx = shared.rx;
    this.#tx = shared.tx;
  }

  // Let go of the connection others may still hold: every call fails with
  // EBADF from now on.
  #orphan(): void {
    this.#use(_Shared.closed(this.family, this.type));
  }

  /**
   * Closes this object without closing the connection and returns its
   * number, for `socket(family, type, proto, fileno)` to adopt, as Python's
   * `detach()`.
   *
   * @returns The file number; -1 when already closed.
   *
   * @example Usage
   * ```ts
   * import { AF_INET, SOCK_STREAM, socket, socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _b = b;
   * const fd = a.detach();
   * assert.equal(a.fileno(), -1);
   * await using again = socket(AF_INET, SOCK_STREAM, 0, fd);
   * await again.sendall("x");
   * assert.equal((await b.recv(1))[0], 120);
   * ```
   */
  detach(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    this.#shared.release(fd, true);
    this.#orphan();
    this.#closing = Promise.resolve();
    return fd;
  }

  /**
   * A stable small integer naming this socket, -1 once closed; `select()`
   * and the selectors accept it in place of the socket.
   *
   * @returns The file number.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const s = socket();
   * assert.ok(s.fileno() >= 3);
   * await s.close();
   * assert.equal(s.fileno(), -1);
   * ```
   */
  fileno(): number {
    return this.#fd;
  }

  /**
   * Binds to a local address. A stream socket already listens once bound
   * (Deno binds and listens in one call); call `listen()` before `accept()`
   * as in Python. Errors such as "address in use" surface here.
   *
   * @param address `[host, port]`, `[host, port, flowinfo, scope_id]` or a
   *   path; `""` as host means every interface, port 0 a free port.
   * @throws {OSError} EADDRINUSE (98) when the address is taken (a Unix path
   *   that exists), EINVAL when already bound, PermissionError without
   *   `--allow-net`.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * s.bind(["127.0.0.1", 0]);
   * const [, port] = s.getsockname() as [string, number];
   * assert.ok(port > 0);
   * ```
   */
  bind(address: Address): void {
    this.#core.check_open("bind");
    this.#core.bind(address, "bind");
  }

  /**
   * Marks a bound stream socket as accepting connections; an unbound one is
   * bound to a free port first, as Linux does.
   *
   * @param backlog Accepted for Python compatibility, negative values too
   *   (CPython clamps them to 0); Deno's listen queue (511) applies.
   * @throws {OSError} EOPNOTSUPP (95) on a datagram socket.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * await using s = socket();
   * s.bind(["127.0.0.1", 0]);
   * s.listen(5);
   * ```
   */
  listen(backlog?: number): void {
    this.#core.listen(backlog);
    if (this.#rx.reads_ahead()) this.#rx.pump();
  }

  /**
   * Connects to a remote address. On a datagram socket it sets the default
   * peer for `send()`/`recv()` and drops datagrams from anyone else.
   *
   * @param address Where to connect.
   * @throws {ConnectionRefusedError} When nothing listens there (errno 111).
   * @throws {TimeoutError} After the socket's timeout.
   * @throws {BlockingIOError} EINPROGRESS (115) in non-blocking mode: the
   *   connection goes on, and the socket becomes writable once it is made.
   *
   * @example Usage
   * ```ts
   * import { ConnectionRefusedError, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const probe = socket();
   * probe.bind(["127.0.0.1", 0]);
   * const addr = probe.getsockname() as [string, number];
   * await probe.close(); // nothing listens on addr now
   * await using s = socket();
   * await assert.rejects(s.connect(addr), ConnectionRefusedError);
   * ```
   */
  connect(address: Address): Promise<void> {
    return this.#core.connect(address);
  }

  /**
   * Like `connect()`, but returns the errno instead of throwing an OSError:
   * 0 on success, 111 when refused, 115 (EINPROGRESS) when a non-blocking
   * connect goes on.
   *
   * @param address Where to connect.
   * @returns An errno, 0 on success.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const probe = socket();
   * probe.bind(["127.0.0.1", 0]);
   * const addr = probe.getsockname() as [string, number];
   * await probe.close();
   * await using s = socket();
   * assert.equal(await s.connect_ex(addr), 111);
   * ```
   */
  async connect_ex(address: Address): Promise<number> {
    try {
      await this.connect(address);
      return 0;
    } catch (err) {
      if (err instanceof OSError && err.errno > 0) return err.errno;
      throw err;
    }
  }

  /**
   * Receives up to `bufsize` bytes. An empty array means the peer closed its
   * side. On a datagram socket, one datagram; what does not fit in `bufsize`
   * is dropped, as on Linux.
   *
   * A stream socket's result is a view of memory the socket receives into,
   * not a copy: it may share its `ArrayBuffer` with this socket's earlier
   * results, never with another socket's. `slice()` it before transferring
   * its buffer.
   *
   * @param bufsize The most bytes to return.
   * @param flags `MSG_PEEK`, `MSG_DONTWAIT`, `MSG_WAITALL`.
   * @returns The bytes.
   * @throws {TimeoutError} After the socket's timeout; the bytes that arrive
   *   later are kept for the next call.
   * @throws {BlockingIOError} In non-blocking mode when nothing is there.
   * @throws {ConnectionResetError} When the peer reset the connection.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * await a.sendall("hello");
   * assert.deepEqual(await b.recv(3), new TextEncoder().encode("hel"));
   * ```
   */
  recv(bufsize: number, flags = 0): Promise<Uint8Array> {
    return this.#rx.recv(bufsize, flags);
  }

  /**
   * Receives into `buffer`, as Python's `recv_into()`, without an extra copy
   * in blocking mode.
   *
   * @param buffer Where the bytes go.
   * @param nbytes The most bytes to receive; 0 (default) means the buffer's
   *   length.
   * @param flags As for `recv()`.
   * @returns How many bytes were received; 0 at EOF.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * await a.sendall(new Uint8Array([1, 2, 3]));
   * const buf = new Uint8Array(8);
   * assert.equal(await b.recv_into(buf), 3);
   * ```
   */
  recv_into(
    buffer: ArrayBuffer | ArrayBufferView,
    nbytes = 0,
    flags = 0,
  ): Promise<number> {
    return this.#rx.recv_into(buffer, nbytes, flags);
  }

  /**
   * Receives a datagram (or bytes) and the sender's address.
   *
   * @param bufsize The most bytes to return.
   * @param flags As for `recv()`.
   * @returns `[bytes, address]`; on a stream socket the address is the peer.
   *
   * @example Usage
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using a = socket(AF_INET, SOCK_DGRAM);
   * await using b = socket(AF_INET, SOCK_DGRAM);
   * a.bind(["127.0.0.1", 0]);
   * b.bind(["127.0.0.1", 0]);
   * await b.sendto("hi", a.getsockname());
   * const [data, from] = await a.recvfrom(1024);
   * assert.equal(data.length, 2);
   * assert.deepEqual(from, b.getsockname());
   * ```
   */
  recvfrom(
    bufsize: number,
    flags = 0,
  ): Promise<[Uint8Array, Address | null]> {
    return this.#rx.recvfrom(bufsize, flags);
  }

  /**
   * Receives a datagram (or bytes) into `buffer` and the sender's address.
   *
   * @param buffer Where the bytes go.
   * @param nbytes The most bytes; 0 means the buffer's length.
   * @param flags As for `recv()`.
   * @returns `[count, address]`.
   *
   * @example Usage
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using a = socket(AF_INET, SOCK_DGRAM);
   * await using b = socket(AF_INET, SOCK_DGRAM);
   * a.bind(["127.0.0.1", 0]);
   * await b.sendto("hello", a.getsockname());
   * const buf = new Uint8Array(3);
   * const [n] = await a.recvfrom_into(buf);
   * assert.equal(n, 3); // the rest of the datagram is dropped
   * ```
   */
  recvfrom_into(
    buffer: ArrayBuffer | ArrayBufferView,
    nbytes = 0,
    flags = 0,
  ): Promise<[number, Address | null]> {
    return this.#rx.recvfrom_into(buffer, nbytes, flags);
  }

  /**
   * Sends bytes and returns how many were taken, which may be fewer than
   * given (as Python's `send()`); `sendall()` sends them all.
   *
   * @param data Bytes, a BufferSource, or a string (UTF-8).
   * @param flags `MSG_DONTWAIT` or 0.
   * @returns The number of bytes sent.
   * @throws {BrokenPipeError} When the peer is gone or after
   *   `shutdown(SHUT_WR)`.
   * @throws {BlockingIOError} In non-blocking mode when the send buffer is
   *   full.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * assert.equal(await a.send("hi"), 2);
   * ```
   */
  send(data: Data, flags = 0): Promise<number> {
    try {
      return this.#tx.send(data, flags);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Sends every byte, or throws. In timeout mode the timeout bounds the whole
   * call, as in Python 3.5+.
   *
   * @param data Bytes, a BufferSource, or a string (UTF-8).
   * @param flags `MSG_DONTWAIT` or 0.
   * @throws {BrokenPipeError} or {ConnectionResetError} When the peer is
   *   gone; {TimeoutError} after the timeout.
   *
   * @example Usage
   * ```ts
   * import { socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * await a.sendall(new Uint8Array(100_000));
   * let got = 0;
   * while (got < 100_000) got += (await b.recv(65536)).length;
   * assert.equal(got, 100_000);
   * ```
   */
  sendall(data: Data, flags = 0): Promise<void> {
    return this.#tx.sendall(data, flags);
  }

  /**
   * Sends a datagram to `address` (on a stream socket, as `send()`).
   *
   * @param data Bytes, a BufferSource, or a string (UTF-8).
   * @param flags_or_address Where to send it, or `flags` (`MSG_DONTWAIT`
   *   or 0) when `address` follows, as in Python's
   *   `sendto(data, flags, address)`.
   * @param address Where to send it, in the three-argument form.
   * @returns The number of bytes sent.
   * @throws {PermissionError} Sending to a broadcast address without
   *   `SO_BROADCAST` (errno 13), as Linux refuses it.
   * @throws {OSError} EMSGSIZE (90) for more than 65507 bytes over UDP.
   *
   * @example Usage
   * ```ts
   * import { AF_INET, PermissionError, SOCK_DGRAM, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket(AF_INET, SOCK_DGRAM);
   * s.bind(["127.0.0.1", 0]);
   * await assert.rejects(s.sendto("hi", ["127.255.255.255", 9]), PermissionError);
   * ```
   */
  sendto(
    data: Data,
    flags_or_address: Address | number,
    address?: Address,
  ): Promise<number> {
    if (address === undefined) {
      return this.#tx.sendto(data, flags_or_address as Address, 0);
    }
    return this.#tx.sendto(data, address, flags_or_address);
  }

  /**
   * Shuts down one or both directions: `SHUT_WR` sends FIN once queued bytes
   * are out (the peer's `recv()` returns empty), `SHUT_RD` makes `recv()`
   * return empty. Python's call is synchronous; the returned Promise resolves
   * once FIN is sent and never rejects.
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
   * @throws {OSError} ENOTCONN (107) when not connected.
   *
   * @example Usage
   * ```ts
   * import { SHUT_WR, socketpair } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const [a, b] = await socketpair();
   * await using _a = a;
   * await using _b = b;
   * await a.shutdown(SHUT_WR);
   * assert.equal((await b.recv(10)).length, 0);
   * ```
   */
  shutdown(how: number): Promise<void> {
    try {
      _check_how(how);
      this.#core.check_open("shut down");
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#core.state !== _State.Connected) {
      return Promise.reject(new OSError(ENOTCONN));
    }
    if (how !== SHUT_WR) this.#rx.shutdown();
    if (how !== SHUT_RD && this.#core.conn) return this.#tx.shutdown();
    return Promise.resolve();
  }

  /**
   * Closes the socket now, as Python's `_socket.socket.close()`; calling it
   * again is harmless. {@linkcode Socket.close} waits for files from
   * `makefile()` first.
   *
   * @returns Resolves once the port is free and queued sends are out, as
   *   `Socket.close()`.
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    const fd = this.#fd;
    this.#fd = -1;
    // Another object (dup()) still holds the connection: only this one goes.
    if (!this.#shared.release(fd, false)) return this.#orphan();
    await this.#shared.close();
  }

  /**
   * Python's `setblocking()`: `true` is `settimeout(null)`, `false` is
   * `settimeout(0)`.
   *
   * @param flag Whether calls wait.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * s.setblocking(false);
   * assert.equal(s.getblocking(), false);
   * assert.equal(s.gettimeout(), 0);
   * ```
   */
  setblocking(flag: boolean): void {
    this.#core.timeout = flag ? null : 0;
    if (this.#rx.reads_ahead()) this.#rx.pump();
  }

  /**
   * Whether the socket is in blocking mode (a timeout counts as blocking, as
   * in Python).
   *
   * @returns `false` only in non-blocking mode.
   *
   * See `setblocking()` for an example.
   */
  getblocking(): boolean {
    return this.#core.timeout !== 0;
  }

  /**
   * Sets the mode: `null` blocks, 0 is non-blocking, a positive number of
   * seconds makes each call reject with `TimeoutError` after that long.
   *
   * @param value Seconds or `null`.
   * @throws {RangeError} For a negative value.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * s.settimeout(1.5);
   * assert.equal(s.gettimeout(), 1.5);
   * ```
   */
  settimeout(value: number | null): void {
    this.#core.timeout = _check_timeout(value, "set timeout");
    if (this.#rx.reads_ahead()) this.#rx.pump();
  }

  /**
   * The timeout in seconds, 0 in non-blocking mode, `null` when blocking.
   *
   * @returns The timeout.
   *
   * See `settimeout()` for an example.
   */
  gettimeout(): number | null {
    return this.#core.timeout;
  }

  /**
   * The local address; the real port after binding port 0.
   *
   * @returns `[host, port]`, `[host, port, flowinfo, scope_id]` or a path.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * assert.deepEqual(s.getsockname(), ["0.0.0.0", 0]);
   * ```
   */
  getsockname(): Address {
    this.#core.check_open("get socket name");
    return this.#core.sockname();
  }

  /**
   * The remote address of a connected socket.
   *
   * @returns The peer's address.
   * @throws {OSError} ENOTCONN (107) when not connected.
   *
   * @example Usage
   * ```ts
   * import { OSError, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * assert.throws(() => s.getpeername(), OSError);
   * ```
   */
  getpeername(): Address {
    this.#core.check_open("get peer name");
    return this.#core.peername();
  }

  /**
   * Sets an option. SO_REUSEADDR, SO_REUSEPORT and SO_BROADCAST apply at
   * `bind()`; TCP_NODELAY and SO_KEEPALIVE apply at once (or when connected).
   *
   * @param level `SOL_SOCKET` or `IPPROTO_TCP`.
   * @param option The option, such as `SO_REUSEADDR`.
   * @param value The value; booleans options are read back as 0 or 1.
   * @throws {OSError} ENOPROTOOPT (92) for an option Deno cannot honour, or
   *   SO_REUSEPORT without `--unstable-net`.
   * @throws {TypeError} For a non-number level, option or value.
   *
   * @example Usage
   * ```ts
   * import { SO_REUSEADDR, SOL_SOCKET, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
   * assert.equal(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
   * ```
   */
  setsockopt(level: number, option: number, value: number | boolean): void {
    this.#core.setsockopt(level, option, value);
  }

  /**
   * Reads an option back: what `setsockopt()` set (0 when never set), or
   * SO_TYPE and SO_ERROR (the pending error of a non-blocking connect,
   * cleared when read).
   *
   * @param level `SOL_SOCKET` or `IPPROTO_TCP`.
   * @param option The option.
   * @returns Its value.
   * @throws {OSError} ENOPROTOOPT (92) for an option Deno cannot honour.
   *
   * @example Usage
   * ```ts
   * import { IPPROTO_TCP, socket, TCP_NODELAY } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
   * ```
   */
  getsockopt(level: number, option: number): number {
    return this.#core.getsockopt(level, option);
  }
}

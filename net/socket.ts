/**
 * Python's socket object over `Deno.listen`, `Deno.connect` and
 * `Deno.listenDatagram`: {@linkcode Socket}, {@linkcode socket},
 * {@linkcode create_connection}, {@linkcode create_server} and
 * {@linkcode socketpair}.
 *
 * What blocks in Python returns a Promise here. Each socket has Python's three
 * modes: blocking (the default), timeout (`settimeout(seconds)`: a call
 * rejects with `TimeoutError`) and non-blocking (`setblocking(false)`: a call
 * that would wait rejects with `BlockingIOError`). A receive that times out,
 * or fails in non-blocking mode, keeps every byte for the next call.
 *
 * @example An echo round trip
 * ```ts
 * import { create_connection, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * await using client = await create_connection(server.getsockname() as [string, number]);
 * const [conn] = await server.accept();
 * await using _conn = conn;
 * await client.sendall("hello");
 * await conn.sendall(await conn.recv(1024));
 * assert.equal(new TextDecoder().decode(await client.recv(1024)), "hello");
 * ```
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_BROADCAST,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_TYPE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_RDM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./constants.ts";
import {
  BlockingIOError,
  BrokenPipeError,
  OSError,
  PermissionError,
  TimeoutError,
} from "./errors.ts";
import {
  EADDRINUSE,
  EALREADY,
  EBADF,
  EBUSY,
  ECONNABORTED,
  ECONNREFUSED,
  ECONNRESET,
  EDESTADDRREQ,
  EINPROGRESS,
  EINVAL,
  EISCONN,
  EMFILE,
  EMSGSIZE,
  ENFILE,
  ENOPROTOOPT,
  ENOTCONN,
  EOPNOTSUPP,
  EPIPE,
  EPROTONOSUPPORT,
  ESOCKTNOSUPPORT,
} from "./errno.ts";
import { _to_oserror } from "./_map_error.ts";
import {
  _check_port,
  type _Endpoint,
  _endpoint,
  _family_of,
  _from_deno,
  _is_broadcast,
  _is_ipv4,
  _is_ipv6,
  _same,
  _show,
} from "./_address.ts";
import type { Address, IPv4Address, IPv6Address } from "./address.ts";
import { getaddrinfo } from "./address.ts";
import {
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  type ReadinessSource,
  register_fileno,
  release_fileno,
} from "./readiness.ts";
import { type MakefileOptions, SocketFile } from "./file.ts";

/**
 * What `send()` and friends accept: bytes, any BufferSource, or a string
 * (sent as UTF-8).
 *
 * @example Usage
 * ```ts
 * import type { Data } from "@pysock/pysock/net";
 * const all: Data[] = ["text", new Uint8Array([1, 2]), new ArrayBuffer(4)];
 * ```
 */
export type Data = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** Pending sends above this many bytes make a socket not writable. */
const WRITE_HIGH_WATER = 256 * 1024;
/** Received bytes a socket buffers ahead of `recv()` calls. */
const READ_AHEAD = 256 * 1024;
/** The largest read ahead of one call; also the scratch buffer's size. */
const READ_CHUNK = 64 * 1024;
/** The most one blocking `recv()` returns (it may return less, as always). */
const RECV_MAX = 1024 * 1024;
/** First read size of a socket that buffers ahead; grows when filled. */
const FIRST_READ = 2 * 1024;
/** The reused buffer a non-blocking send copies into when nothing is queued. */
const SEND_BUFFER = 16 * 1024;
/** Datagrams and connections a socket takes from the kernel ahead of time. */
const DATAGRAM_QUEUE = 64;
const ACCEPT_QUEUE = 4;
/** The largest UDP payload over IPv4 and over IPv6. */
const MAX_DATAGRAM = 65507;
const MAX_DATAGRAM6 = 65527;
/** A Unix datagram can be as big as the default socket buffer. */
const MAX_UNIX_DATAGRAM = 212992;
/** The longest delay setTimeout() honours. */
const MAX_TIMER_MS = 0x7fffffff;
/** How long a watched listener waits to accept again when out of files. */
const ACCEPT_RETRY_MS = 100;
/** How long `close()` lets queued sends drain before it closes anyway. */
const LINGER_MS = 5000;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

let default_timeout: number | null = null;

/**
 * The timeout new sockets start with, as Python's
 * `socket.getdefaulttimeout()`.
 *
 * @returns Seconds, or `null` for blocking.
 *
 * @example Usage
 * ```ts
 * import { getdefaulttimeout } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(getdefaulttimeout(), null);
 * ```
 */
export function getdefaulttimeout(): number | null {
  return default_timeout;
}

/**
 * Sets the timeout new sockets start with, as Python's
 * `socket.setdefaulttimeout()`.
 *
 * @param timeout Seconds, or `null` for blocking.
 * @throws {RangeError} When `timeout` is negative or not finite.
 *
 * @example Usage
 * ```ts
 * import { getdefaulttimeout, setdefaulttimeout } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * setdefaulttimeout(2.5);
 * assert.equal(getdefaulttimeout(), 2.5);
 * setdefaulttimeout(null);
 * ```
 */
export function setdefaulttimeout(timeout: number | null): void {
  default_timeout = _check_timeout(timeout, "set default timeout");
}

function _check_timeout(value: unknown, action: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${action}: timeout must be a number or null, received ${
        _show(value)
      }`,
    );
  }
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot ${action}: timeout must be a non-negative number of seconds, received ${value}`,
    );
  }
  return value;
}

function _check_size(value: unknown, name: string, action: string): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${action}: ${name} must be a number, received ${_show(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot ${action}: ${name} must be a non-negative integer, received ${value}`,
    );
  }
  return value;
}

/** Bytes of `data` without copying; strings become UTF-8. */
function _to_bytes(data: unknown, action: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  throw new TypeError(
    `Cannot ${action}: data must be a Uint8Array, a BufferSource or a string, received ${
      _show(data)
    }`,
  );
}

function _to_view(buffer: unknown, action: string): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  throw new TypeError(
    `Cannot ${action}: buffer must be a Uint8Array or another writable BufferSource, received ${
      _show(buffer)
    }`,
  );
}

const KNOWN_FLAGS = MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL;

function _check_flags(flags: unknown, action: string): number {
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(
      `Cannot ${action}: flags must be an integer, received ${_show(flags)}`,
    );
  }
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw new RangeError(
      `Cannot ${action}: flags may combine MSG_PEEK, MSG_DONTWAIT and MSG_WAITALL only, received ${flags}`,
    );
  }
  return flags;
}

// Options a socket keeps, keyed `${level}:${option}`.
const OPTIONS = new Map<string, string>([
  [`${SOL_SOCKET}:${SO_REUSEADDR}`, "SO_REUSEADDR"],
  [`${SOL_SOCKET}:${SO_REUSEPORT}`, "SO_REUSEPORT"],
  [`${SOL_SOCKET}:${SO_BROADCAST}`, "SO_BROADCAST"],
  [`${SOL_SOCKET}:${SO_KEEPALIVE}`, "SO_KEEPALIVE"],
  [`${IPPROTO_TCP}:${TCP_NODELAY}`, "TCP_NODELAY"],
]);

type Watcher = { listener: (edges: number) => void; events: number };

const enum State {
  Fresh,
  Bound,
  Listening,
  Connecting,
  Connected,
}

/**
 * A network socket with Python's API: `bind`, `listen`, `accept`, `connect`,
 * `recv`, `send`, `sendall`, `recvfrom`, `sendto`, `settimeout`,
 * `setsockopt`, `makefile`, `shutdown`, `close`. Families `AF_INET`,
 * `AF_INET6` and `AF_UNIX`; types `SOCK_STREAM` and `SOCK_DGRAM`
 * (`SOCK_DGRAM` needs `--unstable-net`).
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
export class Socket implements AsyncDisposable {
  /** Address family: `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  readonly family: number;
  /** Socket type: `SOCK_STREAM` or `SOCK_DGRAM`. */
  readonly type: number;
  /** Protocol number (0, `IPPROTO_TCP` or `IPPROTO_UDP`). */
  readonly proto: number;

  #fd: number;
  #closed = false;
  #closing: Promise<void> | null = null;
  #timeout: number | null;
  #state = State.Fresh;
  #options = new Map<string, number>();
  #so_error = 0;

  #listener: Deno.Listener | null = null;
  #conn: Deno.Conn | null = null;
  #dgram: Deno.DatagramConn | null = null;
  #peer: _Endpoint | null = null;
  #connecting: Promise<void> | null = null;
  #connect_error: OSError | null = null;
  #connect_abort: AbortController | null = null;
  // A non-blocking connect that completed: the next connect() reports 0.
  #connect_unreported = false;

  // Receive side: one outstanding read (or accept) at most, and what it got.
  #op: Promise<unknown> | null = null;
  #chunks: Uint8Array[] = [];
  #chunk_bytes = 0;
  #grams: [Uint8Array, Deno.Addr][] = [];
  #conns: Deno.Conn[] = [];
  #eof = false;
  #rd_error: OSError | null = null;
  #rd_shut = false;
  #rbuf: Uint8Array | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #scratch: Uint8Array | null = null;
  #scratch_view: Uint8Array | null = null;

  // Send side: a direct write in blocking mode, or a bounded queue.
  #direct: Promise<number> | null = null;
  #queue: Uint8Array[] = [];
  #wbuf: Uint8Array | null = null;
  #wbuf_view: Uint8Array | null = null;
  #queued = 0;
  #draining: Promise<void> | null = null;
  #wr_error: OSError | null = null;
  #wr_shut = false;
  #wr_closed = false;

  #watchers = new Set<Watcher>();
  #armed = 0;
  #changed: PromiseWithResolvers<void> | null = null;

  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * Creates a socket, as Python's `socket.socket()`; it is neither bound nor
   * connected yet.
   *
   * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
   * @param type `SOCK_STREAM` (default) or `SOCK_DGRAM`, optionally OR-ed
   *   with `SOCK_NONBLOCK` or `SOCK_CLOEXEC`.
   * @param proto 0 (default), or the protocol the type implies.
   * @throws {RangeError} For an unknown family or type.
   * @throws {OSError} For a type Deno cannot create (raw sockets), or a
   *   datagram socket without `--unstable-net`.
   */
  constructor(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0) {
    for (
      const [name, value] of [["family", family], ["type", type], [
        "proto",
        proto,
      ]] as const
    ) {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(
          `Cannot create socket: ${name} must be an integer, received ${
            _show(value)
          }`,
        );
      }
    }
    if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
      throw new RangeError(
        `Cannot create socket: family must be AF_INET (2), AF_INET6 (10) or AF_UNIX (1), received ${family}`,
      );
    }
    const base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (base === SOCK_RAW || base === SOCK_RDM || base === SOCK_SEQPACKET) {
      const name = base === SOCK_RAW
        ? "SOCK_RAW"
        : base === SOCK_RDM
        ? "SOCK_RDM"
        : "SOCK_SEQPACKET";
      throw new OSError(
        ESOCKTNOSUPPORT,
        `Socket type not supported: Deno cannot create ${name} sockets`,
      );
    }
    if (base !== SOCK_STREAM && base !== SOCK_DGRAM) {
      throw new RangeError(
        `Cannot create socket: type must be SOCK_STREAM (1) or SOCK_DGRAM (2), received ${type}`,
      );
    }
    const implied = family === AF_UNIX
      ? 0
      : base === SOCK_STREAM
      ? IPPROTO_TCP
      : IPPROTO_UDP;
    if (proto !== 0 && proto !== implied) {
      throw new OSError(
        EPROTONOSUPPORT,
        `Protocol not supported: Deno cannot use protocol ${proto} with this type`,
      );
    }
    if (base === SOCK_DGRAM && typeof Deno.listenDatagram !== "function") {
      throw new OSError(
        EPROTONOSUPPORT,
        "Protocol not supported: datagram sockets need Deno's --unstable-net flag",
      );
    }
    this.family = family;
    this.type = base;
    this.proto = proto;
    this.#timeout = (type & SOCK_NONBLOCK) !== 0 ? 0 : default_timeout;
    const source: ReadinessSource = {
      poll_events: () => this.#events(),
      watch: (listener, events) => this.#watch(listener, events),
    };
    this.#fd = register_fileno(source);
  }

  // A connection `accept()` took, adopted by a new socket.
  static #adopt(conn: Deno.Conn, parent: Socket): Socket {
    const sock = new Socket(parent.family, SOCK_STREAM);
    sock.#conn = conn;
    sock.#state = State.Connected;
    // Linux copies these options from the listener to accepted sockets.
    for (const [key, value] of parent.#options) sock.#options.set(key, value);
    sock.#apply_conn_options();
    return sock;
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
    this.#check_open("bind");
    const ep = _endpoint(this.family, address, "bind");
    if (this.#state !== State.Fresh || this.#dgram) {
      throw new OSError(
        EINVAL,
        "Invalid argument: the socket is bound already",
      );
    }
    this.#bind_to(ep);
  }

  #bind_to(ep: _Endpoint): void {
    try {
      if ("path" in ep) _refuse_existing(ep.path);
      if (this.type === SOCK_STREAM) {
        if ("path" in ep) {
          this.#listener = Deno.listen({ transport: "unix", path: ep.path });
        } else {
          this.#listener = this.#get(SOL_SOCKET, SO_REUSEPORT)
            ? Deno.listen({ ...ep, transport: "tcp", reusePort: true })
            : Deno.listen({ ...ep, transport: "tcp" });
        }
      } else if ("path" in ep) {
        this.#dgram = Deno.listenDatagram({
          transport: "unixpacket",
          path: ep.path,
        });
      } else {
        const reuse = this.#get(SOL_SOCKET, SO_REUSEADDR) ||
          this.#get(SOL_SOCKET, SO_REUSEPORT);
        this.#dgram = Deno.listenDatagram({
          ...ep,
          transport: "udp",
          reuseAddress: reuse !== 0,
        });
      }
    } catch (err) {
      throw _to_oserror(err);
    }
    this.#state = State.Bound;
  }

  /**
   * Marks a bound stream socket as accepting connections; an unbound one is
   * bound to a free port first, as Linux does.
   *
   * @param backlog Accepted for Python compatibility; Deno's listen queue
   *   (511) applies.
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
    this.#check_open("listen");
    if (backlog !== undefined) _check_size(backlog, "backlog", "listen");
    if (this.type !== SOCK_STREAM) {
      throw new OSError(
        EOPNOTSUPP,
        "Operation not supported on datagram sockets",
      );
    }
    if (this.#state === State.Connected || this.#state === State.Connecting) {
      throw new OSError(EINVAL, "Invalid argument: the socket is connected");
    }
    if (this.#state === State.Fresh) {
      if (this.family === AF_UNIX) {
        throw new OSError(EINVAL, "Invalid argument: bind a path first");
      }
      this.#bind_to(_endpoint(this.family, ["", 0], "listen"));
    }
    this.#state = State.Listening;
    if (this.#reads_ahead()) this.#pump();
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
    this.#check_open("accept");
    if (this.#state !== State.Listening || !this.#listener) {
      throw new OSError(
        EINVAL,
        "Invalid argument: the socket is not listening",
      );
    }
    const conn = await this.#until(
      () => {
        const failure = this.#rd_error;
        if (failure) {
          this.#rd_error = null; // accept errors such as EMFILE pass
          this.#accept_again(failure);
          throw failure;
        }
        const taken = this.#conns.shift();
        if (taken) this.#consumed();
        return taken;
      },
      this.#timeout,
      true,
    );
    const sock = Socket.#adopt(conn, this);
    return [sock, _from_deno(conn.remoteAddr, this.family)];
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
  async connect(address: Address): Promise<void> {
    this.#check_open("connect");
    let ep = _endpoint(this.family, address, "connect");
    if (!("path" in ep)) ep = await this.#numeric(ep);
    if (this.type === SOCK_DGRAM) return this.#connect_datagram(ep);
    if (this.#state === State.Connected) {
      if (this.#connect_unreported) {
        this.#connect_unreported = false;
        return;
      }
      throw new OSError(EISCONN);
    }
    if (this.#state === State.Connecting) {
      throw new BlockingIOError(EALREADY, "Operation already in progress");
    }
    if (this.#connect_error) throw this.#take_connect_error();
    if (this.#listener) {
      throw new OSError(
        EOPNOTSUPP,
        "Operation not supported: Deno cannot connect from a bound address",
      );
    }
    const timeout = this.#timeout;
    const abort = this.#connect_abort = new AbortController();
    this.#start_connect(ep, abort.signal);
    if (timeout === 0) {
      this.#connect_unreported = true;
      throw new BlockingIOError(EINPROGRESS, "Operation now in progress");
    }
    try {
      await this.#until(
        () => this.#state !== State.Connecting || undefined,
        timeout,
        false,
      );
    } catch (err) {
      if (err instanceof TimeoutError) {
        // The abandoned attempt's AbortError is ours, not the next call's.
        abort.abort();
        await this.#connecting;
        this.#connect_error = null;
        this.#so_error = 0;
      }
      throw err;
    }
    if (this.#connect_error) throw this.#take_connect_error();
    this.#check_open("connect");
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

  // Resolves a host name to an address of this socket's family, as Python
  // does, so an AF_INET socket never connects over IPv6.
  async #numeric(ep: { hostname: string; port: number }): Promise<_Endpoint> {
    if (_is_ipv4(ep.hostname) || _is_ipv6(ep.hostname)) return ep;
    const [first] = await getaddrinfo(ep.hostname, ep.port, this.family);
    return { hostname: first![4][0], port: ep.port };
  }

  #start_connect(ep: _Endpoint, signal: AbortSignal): void {
    this.#state = State.Connecting;
    const pending: Promise<Deno.Conn> = "path" in ep
      ? Deno.connect({ transport: "unix", path: ep.path })
      : Deno.connect({ ...ep, transport: "tcp", signal });
    this.#connecting = pending.then((conn) => {
      if (this.#closed || signal.aborted) {
        conn.close();
        this.#state = State.Fresh;
        return;
      }
      this.#conn = conn;
      this.#state = State.Connected;
      this.#apply_conn_options();
      if (this.#reads_ahead()) this.#pump();
    }, (err) => {
      this.#state = State.Fresh;
      const mapped = _to_oserror(err);
      this.#connect_error = mapped;
      this.#so_error = mapped.errno;
    }).finally(() => {
      this.#connecting = null;
      this.#fire(EV_OUT);
    });
  }

  #take_connect_error(): OSError {
    const err = this.#connect_error!;
    this.#connect_error = null;
    this.#so_error = 0;
    return err;
  }

  async #connect_datagram(ep: _Endpoint): Promise<void> {
    if ("path" in ep) _refuse_missing(ep.path);
    else this.#refuse_broadcast(ep.hostname);
    this.#ensure_datagram(ep);
    this.#peer = ep;
    // Datagrams from others that arrived before connect() are dropped too.
    this.#grams = this.#grams.filter(([, from]) => _same(from, ep));
    this.#state = State.Connected;
    await Promise.resolve();
  }

  // The address an unbound datagram socket binds to before its first send.
  #auto_address(to: { hostname: string }): _Endpoint {
    const loop = to.hostname.startsWith("127.") || to.hostname === "::1";
    if (this.family === AF_INET6) {
      return { hostname: loop ? "::1" : "::", port: 0 };
    }
    return { hostname: loop ? "127.0.0.1" : "0.0.0.0", port: 0 };
  }

  #ensure_datagram(to: _Endpoint): Deno.DatagramConn {
    if (this.#dgram) return this.#dgram;
    if ("path" in to) {
      try {
        this.#dgram = Deno.listenDatagram({ transport: "unixpacket" });
      } catch (err) {
        throw _to_oserror(err);
      }
    } else {
      this.#bind_to(this.#auto_address(to));
    }
    return this.#dgram!;
  }

  #refuse_broadcast(host: string): void {
    if (_is_broadcast(host) && !this.#get(SOL_SOCKET, SO_BROADCAST)) {
      // Linux refuses this unless SO_BROADCAST is set; Deno always sets it.
      throw new PermissionError();
    }
  }

  /**
   * Receives up to `bufsize` bytes. An empty array means the peer closed its
   * side. On a datagram socket, one datagram; what does not fit in `bufsize`
   * is dropped, as on Linux.
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
    // Not async itself: the hot paths below allocate small frames only.
    try {
      const n = _check_size(bufsize, "bufsize", "receive");
      _check_flags(flags, "receive");
      this.#check_open("receive");
      if (this.type === SOCK_DGRAM) return this.#recv_datagram_n(n, flags);
      if (flags & MSG_WAITALL) {
        return this.#recv_all(n, flags & ~MSG_WAITALL);
      }
      if (n === 0) return Promise.resolve(EMPTY);
      if (this.#can_read_directly(flags)) return this.#recv_direct(n);
      const peek = (flags & MSG_PEEK) !== 0;
      // What is buffered is taken at once, without the waiting machinery.
      const ready = this.#take(n, peek);
      if (ready !== undefined) return Promise.resolve(ready);
      return this.#until(
        () => this.#take(n, peek),
        this.#timeout_for(flags),
        true,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #recv_datagram_n(n: number, flags: number): Promise<Uint8Array> {
    const [data] = await this.#recv_datagram(flags);
    return data.length > n ? data.subarray(0, n) : data;
  }

  // Reads into the socket's scratch and copies out exactly what came: each
  // result owns its buffer, and a big bufsize keeps no big buffer alive.
  async #recv_direct(n: number): Promise<Uint8Array> {
    const want = Math.min(n, RECV_MAX);
    // The view of the last size is kept: a loop of same-size receives
    // allocates nothing but its results.
    let view = this.#scratch_view;
    if (view === null || view.length !== want) {
      let scratch = this.#scratch;
      if (!scratch || scratch.length < want) {
        scratch = this.#scratch = new Uint8Array(Math.max(want, READ_CHUNK));
      }
      view = this.#scratch_view = scratch.subarray(0, want);
    }
    let got: number | null;
    try {
      got = await this.#read_start(view);
    } catch (err) {
      throw this.#read_lost(err);
    }
    return view.slice(0, this.#read_done(got));
  }

  async #recv_all(n: number, flags: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      let part: Uint8Array;
      try {
        part = await this.recv(n - got, flags);
      } catch (err) {
        // Linux returns a partial MSG_WAITALL read when the wait ends.
        const waitEnded = err instanceof TimeoutError ||
          err instanceof BlockingIOError;
        if (got > 0 && waitEnded) break;
        throw err;
      }
      if (part.length === 0) break;
      out.set(part, got);
      got += part.length;
    }
    return got === n ? out : out.subarray(0, got);
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
  async recv_into(
    buffer: ArrayBuffer | ArrayBufferView,
    nbytes = 0,
    flags = 0,
  ): Promise<number> {
    const view = _to_view(buffer, "receive");
    const n = _check_size(nbytes, "nbytes", "receive");
    if (n > view.length) {
      throw new RangeError(
        `Cannot receive: nbytes ${n} is more than the buffer's ${view.length} bytes`,
      );
    }
    _check_flags(flags, "receive");
    this.#check_open("receive");
    const target = view.subarray(0, n || view.length);
    if (this.type === SOCK_STREAM && this.#can_read_directly(flags)) {
      if (target.length === 0) return 0;
      let got: number | null;
      try {
        got = await this.#read_start(target);
      } catch (err) {
        throw this.#read_lost(err);
      }
      return this.#read_done(got);
    }
    const data = await this.recv(target.length, flags);
    target.set(data);
    return data.length;
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
  async recvfrom(
    bufsize: number,
    flags = 0,
  ): Promise<[Uint8Array, Address | null]> {
    const n = _check_size(bufsize, "bufsize", "receive");
    _check_flags(flags, "receive");
    this.#check_open("receive");
    if (this.type === SOCK_STREAM) {
      const data = await this.recv(n, flags);
      return [
        data,
        this.#conn ? _from_deno(this.#conn.remoteAddr, this.family) : null,
      ];
    }
    const [data, from] = await this.#recv_datagram(flags);
    return [
      data.length > n ? data.subarray(0, n) : data,
      // An unbound Unix sender has no address: Python gives None.
      "path" in from && from.path === null
        ? null
        : _from_deno(from, this.family),
    ];
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
  async recvfrom_into(
    buffer: ArrayBuffer | ArrayBufferView,
    nbytes = 0,
    flags = 0,
  ): Promise<[number, Address | null]> {
    const view = _to_view(buffer, "receive");
    const n = _check_size(nbytes, "nbytes", "receive");
    if (n > view.length) {
      throw new RangeError(
        `Cannot receive: nbytes ${n} is more than the buffer's ${view.length} bytes`,
      );
    }
    const [data, from] = await this.recvfrom(n || view.length, flags);
    view.set(data);
    return [data.length, from];
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
    const bytes = _to_bytes(data, "send");
    _check_flags(flags, "send");
    this.#check_open("send");
    if (this.type === SOCK_DGRAM) {
      if (!this.#peer) {
        return Promise.reject(new OSError(EDESTADDRREQ));
      }
      return this.#send_datagram(bytes, this.#peer);
    }
    return this.#send_stream(
      bytes,
      this.#timeout_for(flags),
    );
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
    // Not async itself: the hot path below allocates a small frame only.
    try {
      const bytes = _to_bytes(data, "send");
      _check_flags(flags, "send");
      this.#check_open("send");
      if (this.type === SOCK_DGRAM) {
        return this.send(bytes, flags).then(() => {});
      }
      const timeout = this.#timeout_for(flags);
      const conn = this.#conn;
      if (timeout === null && conn && this.#may_write_directly()) {
        return this.#sendall_direct(conn, bytes);
      }
      return this.#sendall_waiting(bytes, timeout);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #sendall_direct(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      let n: number;
      try {
        n = await this.#write_start(
          conn,
          done === 0 ? bytes : bytes.subarray(done),
        );
      } catch (err) {
        throw this.#write_lost(err);
      }
      done += this.#write_done(n);
    }
  }

  async #sendall_waiting(
    bytes: Uint8Array,
    timeout: number | null,
  ): Promise<void> {
    const deadline = timeout ? performance.now() + timeout * 1000 : 0;
    let sent = 0;
    while (sent < bytes.length) {
      const left = timeout
        ? Math.max(0, deadline - performance.now()) / 1000
        : timeout;
      if (timeout && left === 0) throw new TimeoutError();
      sent += await this.#send_stream(bytes.subarray(sent), left);
    }
  }

  #send_stream(bytes: Uint8Array, timeout: number | null): Promise<number> {
    // The non-blocking hot path: room in our send buffer, taken at once
    // without an async frame.
    const conn = this.#conn;
    if (
      conn && this.#state === State.Connected && bytes.length > 0 &&
      this.#queued < WRITE_HIGH_WATER && !this.#wr_shut &&
      !this.#wr_error && !(timeout === null && this.#may_write_directly())
    ) {
      return Promise.resolve(this.#enqueue(conn, bytes));
    }
    return this.#send_stream_waiting(bytes, timeout);
  }

  async #send_stream_waiting(
    bytes: Uint8Array,
    timeout: number | null,
  ): Promise<number> {
    if (this.#state === State.Connecting) {
      await this.#until(
        () => this.#state !== State.Connecting || undefined,
        timeout,
        false,
      );
    }
    const conn = this.#conn;
    if (!conn || this.#wr_shut) {
      throw new BrokenPipeError(EPIPE);
    }
    if (this.#wr_error) throw this.#wr_error;
    if (bytes.length === 0) return 0;
    if (timeout === null && this.#may_write_directly()) {
      let n: number;
      try {
        n = await this.#write_start(conn, bytes);
      } catch (err) {
        throw this.#write_lost(err);
      }
      return this.#write_done(n);
    }
    if (this.#queued >= WRITE_HIGH_WATER) {
      await this.#until(
        () => {
          if (this.#wr_error) throw this.#wr_error;
          return this.#queued < WRITE_HIGH_WATER || undefined;
        },
        timeout,
        false,
      );
    }
    return this.#enqueue(conn, bytes);
  }

  // Takes what fits into our send buffer, as the kernel takes bytes into
  // its own, and starts draining it; returns how much it took.
  #enqueue(conn: Deno.Conn, bytes: Uint8Array): number {
    const n = Math.min(bytes.length, WRITE_HIGH_WATER - this.#queued);
    this.#queue.push(
      this.#copy_out(n === bytes.length ? bytes : bytes.subarray(0, n)),
    );
    this.#queued += n;
    this.#draining ??= this.#drain(conn);
    return n;
  }

  // A copy of `bytes` the caller may not touch: into the socket's own send
  // buffer when the queue is empty (no write still reads that buffer then),
  // else a new array.
  #copy_out(bytes: Uint8Array): Uint8Array {
    if (this.#queue.length > 0 || bytes.length > SEND_BUFFER) {
      return bytes.slice();
    }
    // The view of the last size is kept, as in #recv_direct.
    let out = this.#wbuf_view;
    if (out === null || out.length !== bytes.length) {
      out = this.#wbuf_view = (this.#wbuf ??= new Uint8Array(SEND_BUFFER))
        .subarray(0, bytes.length);
    }
    out.set(bytes);
    return out;
  }

  #may_write_directly(): boolean {
    return !this.#direct && !this.#draining && !this.#wr_shut &&
      !this.#wr_error && this.#state === State.Connected;
  }

  // Blocking mode writes straight from the caller's bytes, no copy. The
  // caller awaits the write itself (one async hop less on the hot path) and
  // ends it with #write_done or #write_lost.
  #write_start(conn: Deno.Conn, bytes: Uint8Array): Promise<number> {
    const pending = conn.write(bytes);
    this.#direct = pending;
    return pending;
  }

  #write_done(n: number): number {
    this.#direct = null;
    return n;
  }

  #write_lost(err: unknown): OSError {
    this.#direct = null;
    return this.#fail_write(err);
  }

  // Writes the queue out, one write at a time after any blocking-mode write
  // still in flight. Callbacks, not an async function: this runs per
  // message. The Promise (#draining) settles once the queue is empty or a
  // write failed.
  #drain(conn: Deno.Conn): Promise<void> {
    const direct = this.#direct;
    if (!direct) return this.#write_head(conn);
    const next = () => {
      if (this.#queue.length > 0) return this.#write_head(conn);
      this.#drained();
    };
    return direct.then(next, next);
  }

  #write_head(conn: Deno.Conn): Promise<void> {
    let pending: Promise<number>;
    try {
      pending = conn.write(this.#queue[0]!);
    } catch (err) {
      // As a rejected write: #draining must settle, never throw.
      this.#write_failed(err);
      return Promise.resolve();
    }
    return pending.then((n) => this.#written(conn, n), this.#write_failed);
  }

  #written(conn: Deno.Conn, n: number): Promise<void> | undefined {
    const head = this.#queue[0]!;
    const before = this.#queued;
    this.#queued -= n;
    if (n < head.length) this.#queue[0] = head.subarray(n);
    else this.#queue.shift();
    if (before >= WRITE_HIGH_WATER && this.#queued < WRITE_HIGH_WATER) {
      this.#fire(EV_OUT);
    }
    if (this.#queue.length > 0) return this.#write_head(conn);
    this.#drained();
  }

  #write_failed = (err: unknown): void => {
    if (!this.#closed) this.#fail_write(err);
    this.#queue = [];
    this.#queued = 0;
    this.#drained();
  };

  #drained(): void {
    this.#draining = null;
    if (this.#wr_shut) this.#close_write();
    this.#fire(EV_OUT);
  }

  #fail_write(err: unknown): OSError {
    if (this.#closed) return new OSError(EBADF);
    const mapped = _to_oserror(err);
    this.#wr_error = mapped;
    this.#fire(EV_OUT | EV_ERR);
    return mapped;
  }

  /**
   * Sends a datagram to `address` (on a stream socket, as `send()`).
   *
   * @param data Bytes, a BufferSource, or a string (UTF-8).
   * @param address Where to send it.
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
  async sendto(data: Data, address: Address): Promise<number> {
    const bytes = _to_bytes(data, "send");
    this.#check_open("send");
    if (this.type === SOCK_STREAM) return this.send(bytes);
    let ep = _endpoint(this.family, address, "send");
    if (!("path" in ep)) ep = await this.#numeric(ep);
    return this.#send_datagram(bytes, ep);
  }

  async #send_datagram(bytes: Uint8Array, to: _Endpoint): Promise<number> {
    if (!("path" in to)) {
      this.#refuse_broadcast(to.hostname);
      const max = this.family === AF_INET6 ? MAX_DATAGRAM6 : MAX_DATAGRAM;
      if (bytes.length > max) {
        throw new OSError(EMSGSIZE);
      }
    }
    const dgram = this.#ensure_datagram(to);
    const addr: Deno.Addr = "path" in to
      ? { transport: "unixpacket", path: to.path }
      : { transport: "udp", ...to };
    try {
      return await dgram.send(bytes, addr);
    } catch (err) {
      if (err instanceof Deno.errors.Busy) {
        // Deno's Unix datagram sockets cannot send while a receive waits.
        throw new OSError(
          EBUSY,
          "Device or resource busy: Deno cannot send on a Unix datagram socket while a receive is pending",
          { cause: err },
        );
      }
      throw _to_oserror(err);
    }
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
    _check_size(offset, "offset", "send file");
    if (count !== undefined) _check_size(count, "count", "send file");
    if (offset > 0) {
      if (!file.seek) {
        throw new TypeError(
          "Cannot send file: an offset needs a seekable file",
        );
      }
      await file.seek(offset, Deno.SeekMode.Start);
    }
    const buf = new Uint8Array(READ_CHUNK);
    let total = 0;
    while (count === undefined || total < count) {
      const want = count === undefined
        ? buf.length
        : Math.min(buf.length, count - total);
      const n = await file.read(buf.subarray(0, want));
      if (n === null || n === 0) break;
      await this.sendall(buf.subarray(0, n));
      total += n;
    }
    return total;
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
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new RangeError(
        `Cannot shut down socket: how must be SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2), received ${
          _show(how)
        }`,
      );
    }
    this.#check_open("shut down");
    if (this.#state !== State.Connected) throw new OSError(ENOTCONN);
    if (how !== SHUT_WR) {
      this.#rd_shut = true;
      this.#fire(EV_IN);
    }
    if (how !== SHUT_RD && this.#conn) {
      this.#wr_shut = true;
      if (this.#draining) return this.#draining;
      if (this.#direct) {
        return this.#direct.then(() => this.#close_write(), () => {});
      }
      this.#close_write();
    }
    return Promise.resolve();
  }

  #close_write(): void {
    if (this.#wr_closed || this.#closed) return;
    this.#wr_closed = true;
    this.#conn?.closeWrite().catch(() => {});
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
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    // Closed at once for the caller, as in Python: fileno() is -1 and every
    // call fails with EBADF, while queued sends still drain below.
    this.#closed = true;
    this.#connect_abort?.abort();
    if (this.#retry !== null) clearTimeout(this.#retry);
    release_fileno(this.#fd);
    this.#fd = -1;
    this.#fire(EV_IN | EV_OUT | EV_ERR | EV_HUP);
    const draining = this.#draining;
    if (draining) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        draining,
        new Promise<void>((resolve) => timer = setTimeout(resolve, LINGER_MS)),
      ]);
      clearTimeout(timer);
    }
    for (
      const resource of [
        this.#conn,
        this.#listener,
        this.#dgram,
        ...this.#conns,
      ]
    ) {
      try {
        resource?.close();
      } catch {
        // Closed already.
      }
    }
    this.#conns = [];
    await Promise.allSettled([
      this.#op,
      this.#connecting,
      this.#draining,
      this.#direct,
    ]);
    if (this.#listener) {
      // Deno frees the port one turn after the cancelled accept settles.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /**
   * Closes the socket, for `await using`.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * {
   *   await using s = socket();
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
   * assert.equal(s.gettimeout(), 0);
   * ```
   */
  setblocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
    if (this.#reads_ahead()) this.#pump();
  }

  /**
   * Whether the socket is in blocking mode (a timeout counts as blocking, as
   * in Python).
   *
   * @returns `false` only in non-blocking mode.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * assert.equal(s.getblocking(), true);
   * ```
   */
  getblocking(): boolean {
    return this.#timeout !== 0;
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
    this.#timeout = _check_timeout(value, "set timeout");
    if (this.#reads_ahead()) this.#pump();
  }

  /**
   * The timeout in seconds, 0 in non-blocking mode, `null` when blocking.
   *
   * @returns The timeout.
   *
   * @example Usage
   * ```ts
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = socket();
   * assert.equal(s.gettimeout(), null);
   * ```
   */
  gettimeout(): number | null {
    return this.#timeout;
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
    this.#check_open("get socket name");
    const addr = this.#conn?.localAddr ?? this.#listener?.addr ??
      this.#dgram?.addr;
    if (addr) return _from_deno(addr, this.family);
    if (this.family === AF_UNIX) return "";
    return this.family === AF_INET6 ? ["::", 0, 0, 0] : ["0.0.0.0", 0];
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
    this.#check_open("get peer name");
    if (this.#conn) return _from_deno(this.#conn.remoteAddr, this.family);
    const peer = this.#peer;
    if (peer) {
      return "path" in peer
        ? peer.path
        : this.family === AF_INET6
        ? [peer.hostname, peer.port, 0, 0]
        : [peer.hostname, peer.port];
    }
    throw new OSError(ENOTCONN);
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
    const key = this.#option_key(level, option, "set option");
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(
        `Cannot set option: value must be a number, received ${_show(value)}`,
      );
    }
    this.#check_open("set option");
    if (
      key === `${SOL_SOCKET}:${SO_REUSEPORT}` &&
      typeof Deno.listenDatagram !== "function"
    ) {
      // Deno exits the process when reusePort is used without the flag.
      throw new OSError(
        ENOPROTOOPT,
        "Protocol not available: SO_REUSEPORT needs Deno's --unstable-net flag",
      );
    }
    if (key === `${IPPROTO_TCP}:${TCP_NODELAY}` && this.family === AF_UNIX) {
      throw new OSError(EOPNOTSUPP);
    }
    this.#options.set(key, value ? 1 : 0);
    this.#apply_conn_options();
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
    if (level === SOL_SOCKET && option === SO_TYPE) return this.type;
    if (level === SOL_SOCKET && option === SO_ERROR) {
      const err = this.#so_error;
      this.#so_error = 0;
      return err;
    }
    const key = this.#option_key(level, option, "get option");
    return this.#options.get(key) ?? 0;
  }

  #option_key(level: unknown, option: unknown, action: string): string {
    for (
      const [name, value] of [["level", level], ["option", option]] as const
    ) {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(
          `Cannot ${action}: ${name} must be an integer, received ${
            _show(value)
          }`,
        );
      }
    }
    const key = `${level}:${option}`;
    if (!OPTIONS.has(key)) {
      const where = level === IPPROTO_IPV6 ? " IPv6" : "";
      throw new OSError(
        ENOPROTOOPT,
        `Protocol not available: Deno cannot honour${where} option ${option} at level ${level}`,
      );
    }
    return key;
  }

  #get(level: number, option: number): number {
    return this.#options.get(`${level}:${option}`) ?? 0;
  }

  #apply_conn_options(): void {
    const conn = this.#conn;
    if (!conn || this.family === AF_UNIX) return;
    const tcp = conn as Deno.TcpConn;
    try {
      if (this.#options.has(`${IPPROTO_TCP}:${TCP_NODELAY}`)) {
        tcp.setNoDelay(this.#get(IPPROTO_TCP, TCP_NODELAY) === 1);
      }
      if (this.#options.has(`${SOL_SOCKET}:${SO_KEEPALIVE}`)) {
        tcp.setKeepAlive(this.#get(SOL_SOCKET, SO_KEEPALIVE) === 1);
      }
    } catch (err) {
      throw _to_oserror(err);
    }
  }

  /**
   * A file object over the socket, as Python's `makefile()`: `"rb"`/`"wb"`
   * for bytes, `"r"`/`"w"` for text (`encoding` defaults to UTF-8). Closing
   * the file does not close the socket.
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
   * const f = b.makefile("r", { encoding: "utf-8" });
   * assert.equal(await f.readline(), "one\n");
   * assert.equal(await f.readline(), "two\n");
   * ```
   */
  makefile<M extends string = "r">(
    mode: M = "r" as M,
    options?: MakefileOptions,
  ): SocketFile<M> {
    return new SocketFile(this, mode, options);
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
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const data = await this.recv(READ_CHUNK);
        if (data.length === 0) controller.close();
        else controller.enqueue(data);
      },
    });
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
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.sendall(chunk),
      close: () => this.shutdown(SHUT_WR),
    });
  }

  /** Python's `repr()` of a socket. */
  toString(): string {
    const kind = this.type === SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM";
    const fam = this.family === AF_INET
      ? "AF_INET"
      : this.family === AF_INET6
      ? "AF_INET6"
      : "AF_UNIX";
    let laddr = "";
    if (!this.#closed) {
      laddr = `, laddr=${JSON.stringify(this.getsockname())}`;
    }
    return `<socket fd=${this.#fd}, family=${fam}, type=${kind}, proto=${this.proto}${laddr}>`;
  }

  // ---- receiving ----

  // Blocking mode with nothing buffered and nobody watching: read straight
  // into the caller's buffer. No timeout can abandon such a read.
  #can_read_directly(flags: number): boolean {
    return this.#timeout === null &&
      (flags & (MSG_PEEK | MSG_DONTWAIT)) === 0 &&
      this.#conn !== null && this.#op === null && this.#armed === 0 &&
      this.#chunks.length === 0 && !this.#eof && !this.#rd_shut &&
      this.#rd_error === null;
  }

  // A direct read: the caller awaits it itself (one async hop less on the
  // hot path) and ends it with #read_done or #read_lost.
  #read_start(target: Uint8Array): Promise<number | null> {
    const pending = this.#conn!.read(target);
    this.#op = pending;
    return pending;
  }

  #read_done(n: number | null): number {
    this.#op = null;
    if (n === null) this.#eof = true;
    this.#fire(0);
    return n ?? 0;
  }

  #read_lost(err: unknown): OSError {
    this.#op = null;
    this.#fire(0);
    if (this.#closed) return new OSError(EBADF);
    this.#eof = true;
    return this.#read_failed(err);
  }

  // MSG_DONTWAIT makes one call non-blocking, whatever the socket's mode.
  #timeout_for(flags: number): number | null {
    return (flags & MSG_DONTWAIT) !== 0 ? 0 : this.#timeout;
  }

  // Takes up to `n` buffered bytes, an EOF (empty) or the pending error;
  // `undefined` while there is nothing yet.
  #take(n: number, peek: boolean): Uint8Array | undefined {
    if (this.#state === State.Connecting) return undefined;
    if (this.#state !== State.Connected || !this.#conn) {
      throw new OSError(ENOTCONN);
    }
    const head = this.#chunks[0];
    if (head) {
      let out: Uint8Array;
      if (peek) return head.slice(0, n);
      if (head.length <= n) {
        this.#chunks.shift();
        out = head;
      } else {
        out = head.subarray(0, n);
        this.#chunks[0] = head.subarray(n);
      }
      this.#chunk_bytes -= out.length;
      this.#consumed();
      return out;
    }
    const failure = this.#rd_error;
    if (failure && !peek) {
      this.#rd_error = null;
      this.#eof = true;
      throw failure;
    }
    if (failure) throw failure;
    return this.#eof || this.#rd_shut ? EMPTY : undefined;
  }

  #recv_datagram(flags: number): Promise<[Uint8Array, Deno.Addr]> {
    if (!this.#dgram) {
      if (this.family === AF_UNIX) {
        throw new OSError(EINVAL, "Invalid argument: bind the socket first");
      }
      // Python lets an unbound UDP socket wait; it can never receive.
      throw new OSError(EINVAL, "Invalid argument: the socket is not bound");
    }
    const peek = (flags & MSG_PEEK) !== 0;
    return this.#until(
      () => {
        const failure = this.#rd_error;
        if (failure) {
          this.#rd_error = null; // a datagram socket goes on after an error
          throw failure;
        }
        const gram = peek ? this.#grams[0] : this.#grams.shift();
        if (gram && !peek) this.#consumed();
        return gram;
      },
      this.#timeout_for(flags),
      true,
    );
  }

  // Starts the one outstanding read, datagram receive or accept, if room.
  #pump(): void {
    if (this.#op || this.#closed || this.#eof || this.#rd_error) return;
    if (this.#listener && this.#state === State.Listening) {
      if (this.#conns.length >= ACCEPT_QUEUE) return;
      this.#op = this.#listener.accept().then(
        (conn) => {
          if (this.#closed) conn.close();
          else this.#conns.push(conn);
        },
        (err) => {
          // Deno fails accept() for a client that reset while queued;
          // Linux hands it over. Drop it and accept the next one.
          if (err instanceof Deno.errors.NotConnected) return;
          this.#fail_read(err);
        },
      ).finally(() => this.#arrived());
    } else if (this.#dgram) {
      if (this.#grams.length >= DATAGRAM_QUEUE) return;
      const buf = this.#scratch ??= new Uint8Array(
        this.family === AF_UNIX ? MAX_UNIX_DATAGRAM : READ_CHUNK,
      );
      this.#op = this.#dgram.receive(buf).then(
        ([data, from]) => {
          // A connected datagram socket drops what others send, as Linux.
          if (!this.#peer || _same(from, this.#peer)) {
            this.#grams.push([data.slice(), from]);
          }
        },
        (err) => this.#fail_read(err),
      ).finally(() => this.#arrived());
    } else if (this.#conn && !this.#rd_shut) {
      if (this.#chunk_bytes >= READ_AHEAD) return;
      this.#op = this.#conn.read(this.#rbuf ??= new Uint8Array(FIRST_READ))
        .then(this.#on_read, this.#on_read_error);
    }
  }

  // The ends of a read ahead into #rbuf (made once per socket: this runs
  // per message).
  #on_read = (n: number | null): void => {
    const buf = this.#rbuf!;
    if (n === null) {
      this.#eof = true;
    } else {
      this.#chunks.push(buf.slice(0, n));
      this.#chunk_bytes += n;
      // A full read means more is coming: read bigger next time.
      if (n === buf.length && buf.length < READ_CHUNK) {
        this.#rbuf = new Uint8Array(buf.length * 4);
      }
    }
    this.#arrived();
  };

  #on_read_error = (err: unknown): void => {
    this.#fail_read(err);
    this.#arrived();
  };

  // A failed accept ends nothing: a watched listener accepts again, after a
  // pause when descriptors ran out so that it does not spin meanwhile.
  #accept_again(failure: OSError): void {
    if (!this.#reads_ahead()) return;
    if (failure.errno !== EMFILE && failure.errno !== ENFILE) {
      this.#pump();
      return;
    }
    this.#retry ??= setTimeout(() => {
      this.#retry = null;
      this.#pump();
    }, ACCEPT_RETRY_MS);
  }

  #fail_read(err: unknown): void {
    if (this.#closed) return;
    this.#rd_error = this.#read_failed(err);
  }

  // A reset seen by a read also ends sending, as on Linux: the next send
  // fails at once instead of queueing bytes nobody will receive.
  #read_failed(err: unknown): OSError {
    const mapped = _to_oserror(err);
    if (
      mapped.errno === ECONNRESET || mapped.errno === ECONNABORTED ||
      mapped.errno === EPIPE
    ) {
      this.#wr_error ??= new BrokenPipeError(EPIPE, undefined, { cause: err });
    }
    return mapped;
  }

  #arrived(): void {
    this.#op = null;
    this.#fire(EV_IN);
    if (this.#reads_ahead()) this.#pump();
  }

  // A watched or non-blocking socket keeps one read outstanding, so data
  // that arrives before the next call is there for it (DESIGN section 4).
  #reads_ahead(): boolean {
    return this.#armed > 0 || this.#timeout === 0;
  }

  // Taking bytes makes nothing ready, so watchers are not told: a selector
  // re-checks each queued entry's level before reporting it.
  #consumed(): void {
    if (this.#reads_ahead()) this.#pump();
  }

  // ---- readiness ----

  #events(): number {
    if (this.#closed) return EV_HUP;
    let ev = 0;
    if (this.#rd_error || this.#wr_error || this.#connect_error) ev |= EV_ERR;
    if (this.#listener && this.#state === State.Listening) {
      if (this.#conns.length > 0 || this.#rd_error) ev |= EV_IN;
      return ev;
    }
    if (this.type === SOCK_DGRAM) {
      if (this.#grams.length > 0 || this.#rd_error) ev |= EV_IN;
      return ev | EV_OUT;
    }
    if (this.#state === State.Connecting) return ev;
    if (!this.#conn) return ev | EV_OUT | EV_HUP;
    if (
      this.#chunks.length > 0 || this.#eof || this.#rd_shut || this.#rd_error
    ) {
      ev |= EV_IN;
    }
    if (!this.#wr_shut && !this.#wr_error && this.#queued < WRITE_HIGH_WATER) {
      ev |= EV_OUT;
    }
    if (this.#eof && (this.#wr_shut || this.#wr_error)) ev |= EV_HUP;
    return ev;
  }

  #watch(listener: (edges: number) => void, events: number): () => void {
    const watcher: Watcher = { listener, events };
    this.#watchers.add(watcher);
    if (events & EV_IN) {
      this.#armed++;
      this.#pump();
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#watchers.delete(watcher);
      if (events & EV_IN) this.#armed--;
    };
  }

  #fire(edges: number): void {
    const changed = this.#changed;
    if (changed) {
      this.#changed = null;
      changed.resolve();
    }
    if (this.#watchers.size > 0) {
      for (const w of this.#watchers) w.listener(edges);
    }
  }

  // Waits until `attempt()` takes something (anything but undefined), in the
  // socket's mode: rejects at once with BlockingIOError (timeout 0) or after
  // `timeout` seconds with TimeoutError. Checking and taking in one
  // synchronous step keeps concurrent callers from taking the same item;
  // they wake in the order they began waiting. Whatever arrives after a
  // timeout stays buffered for the next call.
  async #until<T>(
    attempt: () => T | undefined,
    timeout: number | null,
    read: boolean,
  ): Promise<T> {
    let got = attempt();
    if (got !== undefined) return got;
    // Read only when nothing is buffered: a receive left pending for no one
    // would block sends on a Unix datagram socket (Deno refuses them then).
    if (read) this.#pump();
    if (timeout === 0) throw new BlockingIOError();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expired = false;
    // setTimeout() takes at most 2**31-1 ms (24.8 days); longer is forever.
    const forever = timeout === null || timeout * 1000 > MAX_TIMER_MS;
    const limit = forever ? null : new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve();
      }, timeout! * 1000);
    });
    try {
      for (;;) {
        if (read) this.#pump();
        const changed =
          (this.#changed ??= Promise.withResolvers<void>()).promise;
        await (limit ? Promise.race([changed, limit]) : changed);
        if (this.#closed) throw new OSError(EBADF);
        got = attempt();
        if (got !== undefined) return got;
        if (expired) throw new TimeoutError();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #check_open(action: string): void {
    if (this.#closed) {
      throw new OSError(
        EBADF,
        `Bad file descriptor: cannot ${action} on a closed socket`,
      );
    }
  }
}

// Linux checks a Unix datagram peer at connect(): it must be a socket.
function _refuse_missing(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    throw _to_oserror(err);
  }
  if (!info.isSocket) throw new OSError(ECONNREFUSED);
}

function _refuse_existing(path: string): void {
  let exists = true;
  try {
    Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) exists = false;
    else throw err;
  }
  if (exists) throw new OSError(EADDRINUSE);
}

/**
 * Creates a socket, as Python's `socket.socket()`.
 *
 * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
 * @param type `SOCK_STREAM` (default) or `SOCK_DGRAM`.
 * @param proto 0 (default).
 * @returns A new socket.
 *
 * @example Usage
 * ```ts
 * import { AF_INET, SOCK_STREAM, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using s = socket(AF_INET, SOCK_STREAM);
 * assert.equal(s.family, AF_INET);
 * ```
 */
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto = 0,
): Socket {
  return new Socket(family, type, proto);
}

/**
 * Connects to `[host, port]` and returns the socket, as Python's
 * `socket.create_connection()`. Each resolved address is tried in turn.
 *
 * @param address `[host, port]`.
 * @param timeout Seconds for the connect and the socket's mode afterwards;
 *   `getdefaulttimeout()` when omitted, `null` to block.
 * @param source_address Only `null` or `["", 0]`: Deno cannot connect from a
 *   chosen address.
 * @returns The connected socket.
 *
 * @example Usage
 * ```ts
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * await using client = await create_connection(server.getsockname() as [string, number], 5);
 * assert.equal(client.gettimeout(), 5);
 * ```
 */
export async function create_connection(
  address: IPv4Address | IPv6Address,
  timeout?: number | null,
  source_address?: IPv4Address | null,
): Promise<Socket> {
  if (!Array.isArray(address) || address.length < 2) {
    throw new TypeError(
      `Cannot connect: address must be a [host, port] array, received ${
        _show(address)
      }`,
    );
  }
  const [host, port] = address;
  if (typeof host !== "string") {
    throw new TypeError(
      `Cannot connect: host must be a string, received ${_show(host)}`,
    );
  }
  _check_port(port, "connect");
  if (source_address && (source_address[0] !== "" || source_address[1] !== 0)) {
    throw new OSError(
      EOPNOTSUPP,
      "Operation not supported: Deno cannot connect from a chosen source address",
    );
  }
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const targets: [number, IPv4Address | IPv6Address][] =
    _is_ipv4(bare) || _is_ipv6(bare)
      ? [[_family_of(bare), [bare, port]]]
      : (await getaddrinfo(bare, port, 0, SOCK_STREAM)).map((
        i,
      ) => [i[0], i[4]]);
  let last: unknown;
  for (const [family, target] of targets) {
    const sock = new Socket(family, SOCK_STREAM);
    if (timeout !== undefined) sock.settimeout(timeout);
    try {
      await sock.connect(target);
      return sock;
    } catch (err) {
      last = err;
      await sock.close();
    }
  }
  throw last;
}

/**
 * Options of {@linkcode create_server}, with Python's keyword names.
 *
 * @example Usage
 * ```ts
 * import { AF_INET6, type CreateServerOptions } from "@pysock/pysock/net";
 * const options: CreateServerOptions = { family: AF_INET6, backlog: 16 };
 * ```
 */
export interface CreateServerOptions {
  /** `AF_INET` (default) or `AF_INET6`. */
  family?: number;
  /** Listen backlog (accepted for compatibility; Deno's 511 applies). */
  backlog?: number;
  /** Set SO_REUSEPORT (needs `--unstable-net`). */
  reuse_port?: boolean;
  /** Accept IPv4 too on an IPv6 wildcard socket (Linux's default). */
  dualstack_ipv6?: boolean;
}

/**
 * A listening TCP socket, as Python's `socket.create_server()`:
 * SO_REUSEADDR set, bound and listening.
 *
 * @param address `[host, port]`.
 * @param options `family`, `backlog`, `reuse_port`, `dualstack_ipv6`.
 * @returns The listening socket.
 *
 * @example Usage
 * ```ts
 * import { create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * assert.ok((server.getsockname() as [string, number])[1] > 0);
 * ```
 */
export function create_server(
  address: IPv4Address | IPv6Address,
  options: CreateServerOptions = {},
): Socket {
  const {
    family = AF_INET,
    backlog,
    reuse_port = false,
    dualstack_ipv6 = false,
  } = options;
  if (dualstack_ipv6 && family !== AF_INET6) {
    throw new RangeError(
      "Cannot create server: dualstack_ipv6 requires AF_INET6",
    );
  }
  const sock = new Socket(family, SOCK_STREAM);
  try {
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    if (reuse_port) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    sock.bind(address);
    sock.listen(backlog);
  } catch (err) {
    void sock.close();
    throw err;
  }
  return sock;
}

/**
 * Two connected sockets, as Python's `socket.socketpair()`. Deno has no
 * socketpair(2): the pair is a TCP connection over loopback (`AF_INET`, the
 * default here, needs `--allow-net=127.0.0.1`), or over a Unix socket in a
 * temporary folder for `AF_UNIX`.
 *
 * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
 * @param type `SOCK_STREAM` only.
 * @returns The two ends.
 *
 * @example Usage
 * ```ts
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * await a.sendall("x");
 * assert.equal((await b.recv(1))[0], 120);
 * ```
 */
export async function socketpair(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
): Promise<[Socket, Socket]> {
  if (type !== SOCK_STREAM) {
    throw new OSError(
      EOPNOTSUPP,
      "Operation not supported: socketpair() makes SOCK_STREAM pairs only",
    );
  }
  const listener = new Socket(family, SOCK_STREAM);
  let dir: string | null = null;
  try {
    if (family === AF_UNIX) {
      dir = await Deno.makeTempDir({ prefix: "pysock-pair-" });
      listener.bind(`${dir}/pair.sock`);
    } else {
      listener.bind([family === AF_INET6 ? "::1" : "127.0.0.1", 0]);
    }
    listener.listen(1);
    const a = new Socket(family, SOCK_STREAM);
    try {
      await a.connect(listener.getsockname());
      const [b] = await listener.accept();
      return [a, b];
    } catch (err) {
      await a.close();
      throw err;
    }
  } finally {
    await listener.close();
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

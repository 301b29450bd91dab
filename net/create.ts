/**
 * The module-level functions of Python's `socket` that make sockets:
 * {@linkcode socket}, {@linkcode create_connection},
 * {@linkcode create_server}, {@linkcode socketpair}, and the default timeout
 * new sockets start with.
 *
 * @example A server and a client
 * ```ts
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * await using client = await create_connection(server.getsockname() as [string, number]);
 * const [conn] = await server.accept();
 * await using _ = conn;
 * assert.deepEqual(conn.getpeername(), client.getsockname());
 * ```
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_TCP,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./constants.ts";
import { ConnectionError, OSError } from "./errors.ts";
import { ECONNABORTED, EOPNOTSUPP } from "./errno.ts";
import {
  _check_port,
  _family_of,
  _is_ipv4,
  _is_ipv6,
  _show,
} from "./_address.ts";
import type { IPv4Address, IPv6Address } from "./address.ts";
import { getaddrinfo } from "./address.ts";
import { Socket } from "./socket.ts";
import { _check_timeout } from "./_checks.ts";
import { _default_timeout, _set_default_timeout } from "./_default_timeout.ts";

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
  return _default_timeout();
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
  _set_default_timeout(_check_timeout(timeout, "set default timeout"));
}

/**
 * Creates a socket, as Python's `socket.socket()`.
 *
 * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
 * @param type `SOCK_STREAM` (default) or `SOCK_DGRAM`.
 * @param proto 0 (default).
 * @param fileno A number a socket of this process holds (or `detach()`
 *   returned), for an object naming that connection.
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
  fileno: number | null = null,
): Socket {
  return new Socket(family, type, proto, fileno);
}

/**
 * A socket on a duplicate of `fd`, as Python's `socket.fromfd()`: `fd` must
 * be a number a socket of this process holds (Deno has no descriptors to
 * inherit); the new socket has a number of its own and closes on its own.
 *
 * @param fd The number to duplicate.
 * @param family Taken from the connection, as the kernel's socket has it.
 * @param type Taken from the connection likewise.
 * @param proto 0 (default).
 * @returns The new socket.
 * @throws {OSError} EBADF (9) when no socket of this process holds `fd`.
 *
 * @example Usage
 * ```ts
 * import { AF_INET, fromfd, SOCK_STREAM, socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * await using copy = fromfd(a.fileno(), AF_INET, SOCK_STREAM);
 * assert.notEqual(copy.fileno(), a.fileno());
 * assert.deepEqual(copy.getpeername(), b.getsockname());
 * ```
 */
export function fromfd(
  fd: number,
  family: number,
  type: number,
  proto = 0,
): Socket {
  const holder = new Socket(family, type, proto, fd);
  const copy = holder.dup();
  holder.detach();
  return copy;
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
    // Python's socket takes getaddrinfo's protocol: print() shows proto=6.
    const sock = new Socket(family, SOCK_STREAM, IPPROTO_TCP);
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
 * temporary folder for `AF_UNIX`. A connection another program makes to
 * the temporary listener first is closed, not handed out: the ends are
 * checked by address, as CPython checks them since CVE-2024-3219.
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
      return [a, await accept_own(listener, a)];
    } catch (err) {
      await a.close();
      throw err;
    }
  } finally {
    await listener.close();
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

// Anyone on the host may connect to the temporary listener before `a` does.
// The connection taken is the one whose ends are `a`'s, checked by address
// (CPython's fix of CVE-2024-3219 checks the same); others are closed. A
// Unix pair's listener lies in a folder only this user may enter.
const MAX_INTRUDERS = 64;

async function accept_own(listener: Socket, a: Socket): Promise<Socket> {
  for (let i = 0; i <= MAX_INTRUDERS; i++) {
    const [b] = await listener.accept();
    if (
      a.family === AF_UNIX || (
        same(b.getpeername(), a.getsockname()) &&
        same(b.getsockname(), a.getpeername())
      )
    ) {
      return b;
    }
    await b.close();
  }
  throw new ConnectionError(
    ECONNABORTED,
    "Unexpected peer connection: socketpair() refused too many",
  );
}

function same(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

/**
 * Socket addresses as Python writes them, `format_address()` to print one as
 * Python does, and the resolver calls `getaddrinfo()`, `gethostbyname()` and
 * `gethostname()`.
 *
 * @example Resolving a literal
 * ```ts
 * import { AF_INET, getaddrinfo, SOCK_STREAM } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [first] = await getaddrinfo("127.0.0.1", 80, AF_INET, SOCK_STREAM);
 * assert.deepEqual(first, [AF_INET, SOCK_STREAM, 6, "", ["127.0.0.1", 80]]);
 * ```
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_NUMERICSERV,
  AI_PASSIVE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "./constants.ts";
import { gaierror } from "./errors.ts";
import {
  _check_port,
  _is_inet_tuple,
  _is_ipv4,
  _is_ipv6,
  _show,
} from "./_address.ts";
import { _repr_str, _repr_tuple } from "./_repr.ts";
import { _hosts_entries, _hosts_match } from "./_hosts.ts";
import { _port_of } from "./_services.ts";

/**
 * An IPv4 address: `[host, port]`. `""` as host means every interface.
 *
 * @example Usage
 * ```ts
 * import type { IPv4Address } from "@pysock/pysock/net";
 * const addr: IPv4Address = ["127.0.0.1", 8080];
 * ```
 */
export type IPv4Address = readonly [host: string, port: number];

/**
 * An IPv6 address: `[host, port, flowinfo, scope_id]`; the last two may be
 * left out when binding or connecting.
 *
 * @example Usage
 * ```ts
 * import type { IPv6Address } from "@pysock/pysock/net";
 * const addr: IPv6Address = ["::1", 8080, 0, 0];
 * ```
 */
export type IPv6Address = readonly [
  host: string,
  port: number,
  flowinfo?: number,
  scope_id?: number,
];

/**
 * A Unix socket address: a file system path.
 *
 * @example Usage
 * ```ts
 * import type { UnixAddress } from "@pysock/pysock/net";
 * const addr: UnixAddress = "/tmp/echo.sock";
 * ```
 */
export type UnixAddress = string;

/**
 * Any socket address.
 *
 * @example Usage
 * ```ts
 * import type { Address } from "@pysock/pysock/net";
 * const addrs: Address[] = [["127.0.0.1", 80], ["::1", 80, 0, 0], "/tmp/s"];
 * ```
 */
export type Address = IPv4Address | IPv6Address | UnixAddress;

/**
 * One result of {@linkcode getaddrinfo}: `[family, type, proto, canonname,
 * sockaddr]`, as in Python.
 *
 * @example Usage
 * ```ts
 * import type { AddrInfo } from "@pysock/pysock/net";
 * const info: AddrInfo = [2, 1, 6, "", ["127.0.0.1", 80]];
 * ```
 */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: IPv4Address | IPv6Address,
];

/**
 * An address as Python's `repr()` shows it, so that a program prints what
 * its Python original printed: `('127.0.0.1', 50000)` for `["127.0.0.1",
 * 50000]`, `('::1', 8080, 0, 0)` for an IPv6 address, `'/tmp/x.sock'` for a
 * Unix path and `''` for an unnamed one. Strings take Python's quotes and
 * escapes (`"it's"`, `'a\\nb'`).
 *
 * @param address A `[host, port]` or `[host, port, flowinfo, scope_id]`
 *   array, or a path string.
 * @returns Python's `repr()` of the address.
 * @throws {TypeError} When `address` is neither a path nor an array of a
 *   host string and integers.
 *
 * @example Printing a client's address as Python does
 * ```ts
 * import { create_server, format_address, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * const [host, port] = server.getsockname() as [string, number];
 * await using client = socket();
 * await client.connect([host, port]);
 * const [conn, addr] = await server.accept();
 * await using _ = conn;
 * assert.equal(format_address(addr), `('127.0.0.1', ${client.getsockname()[1]})`);
 * assert.equal(format_address(["::1", 8080, 0, 0]), "('::1', 8080, 0, 0)");
 * assert.equal(format_address("/tmp/x.sock"), "'/tmp/x.sock'");
 * assert.equal(format_address(""), "''");
 * ```
 */
export function format_address(address: Address): string {
  if (typeof address === "string") return _repr_str(address);
  if (!_is_inet_tuple(address)) {
    throw new TypeError(
      `Cannot format address: expected a path or a [host, port, flowinfo?, scope_id?] array, received ${
        _show(address)
      }`,
    );
  }
  return _repr_tuple(address);
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Resolves a host and port into socket addresses, as Python's
 * `socket.getaddrinfo()`. Literals and `localhost` never leave the process;
 * other names are looked up in `/etc/hosts` (with `--allow-read=/etc/hosts`)
 * and then through DNS (`Deno.resolveDns`, which needs `--allow-net`).
 *
 * @param host A name, an address literal, or `null` (the wildcard with
 *   `AI_PASSIVE`, else loopback).
 * @param port A port number, a numeric string (`"80"`), a service name
 *   (`"http"`, from `/etc/services`, which needs
 *   `--allow-read=/etc/services`), or `null` for 0.
 * @param family `AF_INET`, `AF_INET6` or `AF_UNSPEC` (both).
 * @param type `SOCK_STREAM`, `SOCK_DGRAM` or 0 (both).
 * @param proto 0, or the protocol to keep.
 * @param flags `AI_PASSIVE` and friends.
 * @returns `[family, type, proto, canonname, sockaddr]` entries.
 * @throws {gaierror} When the name is malformed or not found; -8 when the
 *   service is unknown for the socket type.
 * @throws {TypeError} When an argument has the wrong type.
 * @throws {RangeError} When the port is outside 0-65535 (Python's C library
 *   would wrap it).
 * @throws {PermissionError} When a service name needs `/etc/services` and
 *   read access to it is denied.
 *
 * @example Usage
 * ```ts
 * import { AF_INET6, getaddrinfo, SOCK_DGRAM } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const infos = await getaddrinfo("::1", 53, AF_INET6, SOCK_DGRAM);
 * assert.deepEqual(infos[0]![4], ["::1", 53, 0, 0]);
 * ```
 */
export async function getaddrinfo(
  host: string | null,
  port: number | string | null,
  family = AF_UNSPEC,
  type = 0,
  proto = 0,
  flags = 0,
): Promise<AddrInfo[]> {
  if (host !== null && typeof host !== "string") {
    throw new TypeError(
      `Cannot resolve address: host must be a string or null, received ${
        _show(host)
      }`,
    );
  }
  const types = type === 0 ? [SOCK_STREAM, SOCK_DGRAM] : [type];
  const ports = _ports(port, types, flags);
  if (![AF_UNSPEC, AF_INET, AF_INET6].includes(family)) {
    throw new gaierror(-6, "ai_family not supported");
  }
  let addresses: string[];
  if (host === null) {
    const passive = (flags & AI_PASSIVE) !== 0;
    addresses = passive ? ["0.0.0.0", "::"] : ["127.0.0.1", "::1"];
  } else {
    addresses = await _lookup(host.replace(/^\[(.*)\]$/, "$1"));
  }
  const wanted = addresses.filter((a) =>
    family === AF_UNSPEC ||
    (family === AF_INET ? _is_ipv4(a) : _is_ipv6(a))
  );
  if (wanted.length === 0) {
    throw new gaierror(-9, "Address family for hostname not supported");
  }
  const out: AddrInfo[] = [];
  for (const a of wanted) {
    for (const [t, p] of ports) {
      const pr = t === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
      if (proto !== 0 && proto !== pr) continue;
      out.push(
        _is_ipv4(a)
          ? [AF_INET, t, pr, "", [a, p]]
          : [AF_INET6, t, pr, "", [a, p, 0, 0]],
      );
    }
  }
  return out;
}

// A numeric string as C's strtoul() reads it: spaces and a plus sign first.
const NUMERIC_PORT = /^[ \t\n\v\f\r]*\+?[0-9]+$/;

// The port for each socket type; a service name may exist for TCP only (or
// UDP only), and the types it lacks drop out, as in the C library.
function _ports(
  port: unknown,
  types: number[],
  flags: number,
): Map<number, number> {
  const action = "resolve address";
  if (port === null || typeof port === "number") {
    const p = port === null ? 0 : _check_port(port, action);
    return new Map(types.map((t) => [t, p]));
  }
  if (typeof port !== "string") {
    throw new TypeError(
      `Cannot ${action}: port must be a number, a string or null, received ${
        _show(port)
      }`,
    );
  }
  if (port === "" || NUMERIC_PORT.test(port)) {
    const p = Number(port.replace(/^\s*\+?/, "") || "0");
    if (p > 65535) {
      throw new RangeError(
        `Cannot ${action}: port must be 0-65535, received ${_show(port)}`,
      );
    }
    return new Map(types.map((t) => [t, p]));
  }
  if ((flags & AI_NUMERICSERV) !== 0) {
    throw new gaierror(-2, "Name or service not known");
  }
  const out = new Map<number, number>();
  for (const t of types) {
    const p = t === SOCK_STREAM || t === SOCK_DGRAM
      ? _port_of(port, t === SOCK_STREAM ? "tcp" : "udp")
      : undefined;
    if (p !== undefined) out.set(t, p);
  }
  if (out.size === 0) {
    throw new gaierror(-8, "Servname not supported for ai_socktype");
  }
  return out;
}

async function _lookup(host: string): Promise<string[]> {
  if (_is_ipv4(host) || _is_ipv6(host)) return [host];
  if (!HOSTNAME.test(host)) {
    throw new gaierror(-2, "Name or service not known");
  }
  const name = host.toLowerCase().replace(/\.$/, "");
  const found = _hosts_file(name);
  if (found.length > 0) return found;
  if (name === "localhost" || name.endsWith(".localhost")) {
    return ["127.0.0.1", "::1"];
  }
  const results = await Promise.allSettled([
    Deno.resolveDns(name, "A"),
    Deno.resolveDns(name, "AAAA"),
  ]);
  const addrs = results.flatMap((r) => r.status === "fulfilled" ? r.value : []);
  if (addrs.length === 0) {
    const cause = results.find((r) => r.status === "rejected");
    throw new gaierror(-2, "Name or service not known", {
      cause: cause?.status === "rejected" ? cause.reason : undefined,
    });
  }
  return addrs;
}

function _hosts_file(name: string): string[] {
  return _hosts_entries().filter((e) => _hosts_match(e, name)).map((e) =>
    e.address
  );
}

/**
 * The IPv4 address of a host, as Python's `socket.gethostbyname()`.
 *
 * @param host A name or an IPv4 literal.
 * @returns A dotted-quad string.
 * @throws {gaierror} When the host has no IPv4 address.
 *
 * @example Usage
 * ```ts
 * import { gethostbyname } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(await gethostbyname("127.0.0.1"), "127.0.0.1");
 * ```
 */
export async function gethostbyname(host: string): Promise<string> {
  const [first] = await getaddrinfo(host, 0, AF_INET, SOCK_STREAM);
  return first![4][0];
}

/**
 * This machine's host name, as Python's `socket.gethostname()`. Needs
 * `--allow-sys=hostname`.
 *
 * @returns The host name.
 *
 * @example Usage
 * ```ts ignore
 * import { gethostname } from "@pysock/pysock/net";
 * console.log(gethostname());
 * ```
 */
export function gethostname(): string {
  return Deno.hostname();
}

/**
 * Python's host-name calls beyond `getaddrinfo()`: `gethostbyname_ex()`,
 * `gethostbyaddr()`, `getnameinfo()` and `getfqdn()`. Each reads the hosts
 * file first (with `--allow-read=/etc/hosts`; skipped without it), then asks
 * DNS (`Deno.resolveDns`, which needs `--allow-net`), except for loopback
 * addresses, which DNS does not name.
 *
 * @example Naming the loopback address
 * ```ts
 * // deno run --allow-read=/etc/hosts,/etc/services
 * import { getnameinfo, NI_NUMERICHOST } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST), ["127.0.0.1", "http"]);
 * ```
 * @module
 */
import { _is_inet_tuple, _is_ipv4, _show } from "./_address.ts";
import { _hosts_entries, _hosts_match } from "./_hosts.ts";
import { _name_of } from "./_services.ts";
import {
  getaddrinfo,
  gethostname,
  type IPv4Address,
  type IPv6Address,
} from "./address.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NOFQDN,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_STREAM,
} from "./constants.ts";
import { EACCES, EINVAL } from "./errno.ts";
import { gaierror, herror, OSError, PermissionError } from "./errors.ts";
import { inet_ntop, inet_pton } from "./inet.ts";

/**
 * What {@linkcode gethostbyname_ex} and {@linkcode gethostbyaddr} return:
 * `[hostname, aliaslist, ipaddrlist]`, as in Python.
 *
 * @example Usage
 * ```ts
 * import type { HostEntry } from "@pysock/pysock/net";
 * const entry: HostEntry = ["localhost", [], ["127.0.0.1"]];
 * ```
 */
export type HostEntry = [
  hostname: string,
  aliaslist: string[],
  ipaddrlist: string[],
];

// The packed form of an address literal, or undefined for anything else.
function packed(text: string): Uint8Array | undefined {
  for (const family of [AF_INET, AF_INET6]) {
    try {
      return inet_pton(family, text);
    } catch {
      // not of this family
    }
  }
  return undefined;
}

function same_bytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// Loopback addresses have no DNS names: only the hosts file names them.
function is_loopback(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return bytes[0] === 127;
  return bytes.subarray(0, 15).every((x) => x === 0) && bytes[15] === 1;
}

// The name DNS keeps an address's PTR record under.
function reverse_name(bytes: Uint8Array): string {
  if (bytes.length === 4) {
    return `${[...bytes].reverse().join(".")}.in-addr.arpa`;
  }
  const nibbles = [...bytes].flatMap((b) => [b >> 4, b & 15]);
  return `${nibbles.reverse().map((n) => n.toString(16)).join(".")}.ip6.arpa`;
}

// The hosts-file line, or else the DNS names, for an address; undefined
// when neither knows it.
async function names_of(
  bytes: Uint8Array,
): Promise<[string, string[]] | undefined> {
  for (const entry of _hosts_entries()) {
    const other = packed(entry.address);
    if (other !== undefined && same_bytes(other, bytes)) {
      return [entry.names[0]!, entry.names.slice(1)];
    }
  }
  if (is_loopback(bytes)) return undefined;
  try {
    const found = await Deno.resolveDns(reverse_name(bytes), "PTR");
    const names = found.map((n) => n.replace(/\.$/, ""));
    if (names.length > 0) return [names[0]!, names.slice(1)];
  } catch (err) {
    // An unknown host, unless the lookup was not allowed: say so.
    if (err instanceof Deno.errors.NotCapable) {
      throw new PermissionError(
        EACCES,
        "Permission denied: a reverse DNS lookup needs --allow-net",
        { cause: err },
      );
    }
  }
  return undefined;
}

function check_host(host: unknown, action: string): string {
  if (typeof host !== "string") {
    throw new TypeError(
      `Cannot ${action}: host must be a string, received ${_show(host)}`,
    );
  }
  return host;
}

/**
 * A host's name, aliases and IPv4 addresses, as Python's
 * `socket.gethostbyname_ex()`: from the hosts file's line for it (its first
 * name is the canonical one, the others aliases), else from DNS.
 *
 * @param hostname A name or an IPv4 literal.
 * @returns `[hostname, aliaslist, ipaddrlist]`.
 * @throws {gaierror} When the name is malformed or not found (-2), or is
 *   an IPv6 literal (-9).
 * @throws {TypeError} When `hostname` is not a string.
 *
 * @example Usage
 * ```ts
 * import { gethostbyname_ex } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await gethostbyname_ex("127.0.0.1"), ["127.0.0.1", [], ["127.0.0.1"]]);
 * ```
 */
export async function gethostbyname_ex(hostname: string): Promise<HostEntry> {
  const host = check_host(hostname, "resolve host");
  if (!_is_ipv4(host)) {
    const lines = _hosts_entries().filter((e) =>
      _is_ipv4(e.address) && _hosts_match(e, host)
    );
    const first = lines[0];
    if (first !== undefined) {
      const addresses = [...new Set(lines.map((e) => e.address))];
      return [first.names[0]!, first.names.slice(1), addresses];
    }
  }
  const infos = await getaddrinfo(host, 0, AF_INET, SOCK_STREAM);
  const addresses = [...new Set(infos.map((info) => info[4][0]))];
  return [host, [], addresses];
}

/**
 * The name and aliases of an address, as Python's `socket.gethostbyaddr()`:
 * from the hosts file's first line for it, else from DNS (but never for a
 * loopback address, which DNS does not name). A host name is resolved to
 * its first address first.
 *
 * @param ip_address An IPv4 or IPv6 literal, or a host name.
 * @returns `[hostname, aliaslist, ipaddrlist]`.
 * @throws {herror} `[Errno 1] Unknown host` when nothing names the address.
 * @throws {gaierror} When a host name given cannot be resolved.
 * @throws {PermissionError} When the address needs DNS and `--allow-net`
 *   does not allow it.
 * @throws {TypeError} When `ip_address` is not a string.
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read=/etc/hosts (whose first line for 127.0.0.1 names "localhost")
 * import { gethostbyaddr } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [name, , addresses] = await gethostbyaddr("127.0.0.1");
 * assert.equal(name, "localhost");
 * assert.deepEqual(addresses, ["127.0.0.1"]);
 * ```
 */
export async function gethostbyaddr(ip_address: string): Promise<HostEntry> {
  const host = check_host(ip_address, "look up address");
  let bytes = packed(host.replace(/%.*$/, ""));
  if (bytes === undefined) {
    const [first] = await getaddrinfo(host, 0, AF_UNSPEC, SOCK_STREAM);
    bytes = packed(first![4][0])!;
  }
  const text = inet_ntop(bytes.length === 4 ? AF_INET : AF_INET6, bytes);
  const names = await names_of(bytes);
  if (names === undefined) throw new herror(1, "Unknown host");
  return [names[0], names[1], [text]];
}

/**
 * A socket address's host name and service name, as Python's
 * `socket.getnameinfo()`. The host must be an address literal; its name
 * comes as from {@linkcode gethostbyaddr}, the service's from
 * `/etc/services` (which needs `--allow-read=/etc/services` unless
 * `NI_NUMERICSERV` is given).
 *
 * @param sockaddr `[host, port]` or `[host, port, flowinfo, scope_id]`.
 * @param flags `NI_NUMERICHOST`, `NI_NUMERICSERV`, `NI_NAMEREQD`,
 *   `NI_NOFQDN`, `NI_DGRAM`, OR-ed; 0 for none.
 * @returns `[host, port]` as strings: names, or numbers where none is known.
 * @throws {gaierror} -2 when the host is not an address literal, or has no
 *   name and `NI_NAMEREQD` is set.
 * @throws {OSError} When an IPv4 address comes with four items: Python's
 *   `IPv4 sockaddr must be 2 tuple` (errno EINVAL here).
 * @throws {TypeError} When `sockaddr` is not such an array.
 * @throws {RangeError} When the port is outside 0-65535.
 * @throws {PermissionError} When a service name needs `/etc/services` and
 *   read access to it is denied, or the host needs DNS and `--allow-net`
 *   does not allow it.
 *
 * @example Usage
 * ```ts
 * import { getnameinfo, NI_NUMERICHOST, NI_NUMERICSERV } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const flags = NI_NUMERICHOST | NI_NUMERICSERV;
 * assert.deepEqual(await getnameinfo(["::0001", 8080, 0, 0], flags), ["::1", "8080"]);
 * ```
 */
export async function getnameinfo(
  sockaddr: IPv4Address | IPv6Address,
  flags: number,
): Promise<[host: string, port: string]> {
  if (!_is_inet_tuple(sockaddr)) {
    throw new TypeError(
      `Cannot look up name: sockaddr must be a [host, port, flowinfo?, scope_id?] array, received ${
        _show(sockaddr)
      }`,
    );
  }
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(
      `Cannot look up name: flags must be an integer, received ${_show(flags)}`,
    );
  }
  const [host, port, , scope_id = 0] = sockaddr;
  if (port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot look up name: port must be 0-65535, received ${port}`,
    );
  }
  const zone = /%.*$/.exec(host)?.[0] ?? "";
  const bytes = packed(host.slice(0, host.length - zone.length));
  if (bytes === undefined) throw new gaierror(-2, "Name or service not known");
  if (bytes.length === 4 && sockaddr.length > 2) {
    throw new OSError(EINVAL, "IPv4 sockaddr must be 2 tuple");
  }
  let name: string | undefined;
  if ((flags & NI_NUMERICHOST) === 0) {
    name = (await names_of(bytes))?.[0];
    if (name !== undefined && (flags & NI_NOFQDN) !== 0) {
      name = name.split(".")[0]!;
    }
  }
  if (name === undefined) {
    if ((flags & NI_NAMEREQD) !== 0) {
      throw new gaierror(-2, "Name or service not known");
    }
    name = inet_ntop(bytes.length === 4 ? AF_INET : AF_INET6, bytes);
    if (bytes.length === 16) {
      name += zone || (scope_id !== 0 ? `%${scope_id}` : "");
    }
  }
  const service = (flags & NI_NUMERICSERV) === 0
    ? _name_of(port, (flags & NI_DGRAM) !== 0 ? "udp" : "tcp")
    : undefined;
  return [name, service ?? String(port)];
}

/**
 * A fully qualified name for a host, as Python's `socket.getfqdn()`: the
 * first name with a dot among the names {@linkcode gethostbyaddr} gives,
 * else its host name; `name` itself when nothing names it. An empty name,
 * `0.0.0.0` or `::` means this machine (which needs
 * `--allow-sys=hostname`).
 *
 * @param name A host name or address; this machine when empty.
 * @returns The fully qualified name, as well as it can be found.
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read=/etc/hosts (which names 127.0.0.1 "localhost")
 * import { getfqdn } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(await getfqdn("127.0.0.1"), "localhost");
 * ```
 */
export async function getfqdn(name: string = ""): Promise<string> {
  let host = check_host(name, "find the qualified name").trim();
  if (host === "" || host === "0.0.0.0" || host === "::") host = gethostname();
  let entry: HostEntry;
  try {
    entry = await gethostbyaddr(host);
  } catch (err) {
    if (err instanceof OSError) return host;
    throw err;
  }
  const [hostname, aliases] = entry;
  return [hostname, ...aliases].find((n) => n.includes(".")) ?? hostname;
}

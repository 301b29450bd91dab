// Address validation and conversion shared by every socket call.
import { AF_INET, AF_INET6, AF_UNIX } from "./constants.ts";
import { gaierror, OSError } from "./errors.ts";
import { EINVAL } from "./errno.ts";
import type { Address } from "./address.ts";

/** Where Deno should bind or connect. */
export type _Endpoint =
  | { readonly hostname: string; readonly port: number }
  | { readonly path: string };

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a dotted-quad IPv4 literal. */
export function _is_ipv4(host: string): boolean {
  return IPV4.test(host);
}

/** True for an IPv6 literal (a zone suffix allowed). */
export function _is_ipv6(host: string): boolean {
  if (!host.includes(":")) return false;
  const bare = host.split("%")[0]!;
  return /^[0-9a-fA-F:.]+$/.test(bare) && (bare.match(/::/g) ?? []).length <= 1;
}

/** A short, safe rendering of any value for an error message. */
export function _show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(_show).join(", ")}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  return Object.prototype.toString.call(value);
}

/** Is `value` a `[host, port]` or `[host, port, flowinfo, scope_id]` array? */
export function _is_inet_tuple(
  value: unknown,
): value is [string, number, number?, number?] {
  return Array.isArray(value) && value.length >= 2 && value.length <= 4 &&
    typeof value[0] === "string" &&
    value.slice(1).every((x) => Number.isInteger(x));
}

/** Validates a port: an integer 0-65535. */
export function _check_port(port: unknown, action: string): number {
  if (typeof port !== "number") {
    throw new TypeError(
      `Cannot ${action}: port must be a number, received ${_show(port)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot ${action}: port must be 0-65535, received ${port}`,
    );
  }
  return port;
}

/** Checks an address for `family` and turns it into a Deno endpoint. */
export function _endpoint(
  family: number,
  address: unknown,
  action: string,
): _Endpoint {
  if (family === AF_UNIX) {
    if (typeof address !== "string") {
      throw new TypeError(
        `Cannot ${action}: an AF_UNIX address must be a path string, received ${
          _show(address)
        }`,
      );
    }
    if (address === "") {
      throw new RangeError(`Cannot ${action}: the path must not be empty`);
    }
    if (new TextEncoder().encode(address).length > 107) {
      throw new OSError(EINVAL, "AF_UNIX path too long");
    }
    // A leading NUL is Linux's abstract namespace, which Deno binds and
    // connects as given.
    return { path: address };
  }
  const v6 = family === AF_INET6;
  const shape = v6 ? "[host, port, flowinfo?, scope_id?]" : "[host, port]";
  if (
    !Array.isArray(address) || address.length < 2 ||
    address.length > (v6 ? 4 : 2)
  ) {
    throw new TypeError(
      `Cannot ${action}: an ${
        v6 ? "AF_INET6" : "AF_INET"
      } address must be a ${shape} array, received ${_show(address)}`,
    );
  }
  const [host, port] = address as unknown[];
  if (typeof host !== "string") {
    throw new TypeError(
      `Cannot ${action}: host must be a string, received ${_show(host)}`,
    );
  }
  for (const extra of (address as unknown[]).slice(2)) {
    if (typeof extra !== "number" || !Number.isInteger(extra) || extra < 0) {
      throw new TypeError(
        `Cannot ${action}: flowinfo and scope_id must be non-negative integers, received ${
          _show(extra)
        }`,
      );
    }
  }
  _check_port(port, action);
  let hostname = host;
  if (host === "") hostname = v6 ? "::" : "0.0.0.0";
  else if (host === "<broadcast>") hostname = "255.255.255.255";
  else if (host.startsWith("[") && host.endsWith("]")) {
    hostname = host.slice(1, -1);
  }
  if ((!v6 && _is_ipv6(hostname)) || (v6 && _is_ipv4(hostname))) {
    throw new gaierror(-9, "Address family for hostname not supported");
  }
  return { hostname, port: port as number };
}

/** Deno's address as Python's tuple (or path) for `family`. */
export function _from_deno(addr: Deno.Addr, family: number): Address {
  if (!("hostname" in addr)) return "path" in addr ? addr.path ?? "" : "";
  const host = addr.hostname.startsWith("[")
    ? addr.hostname.slice(1, -1)
    : addr.hostname;
  return family === AF_INET6 ? [host, addr.port, 0, 0] : [host, addr.port];
}

/** Same endpoint? Used to filter datagrams for a connected datagram socket. */
export function _same(a: Deno.Addr, b: _Endpoint): boolean {
  if ("path" in b) return "path" in a && a.path === b.path;
  return "hostname" in a && a.port === b.port &&
    (a.hostname === b.hostname ||
      a.hostname.replace(/^\[|\]$/g, "") === b.hostname);
}

/** The family a host literal implies (IPv4 unless it is an IPv6 literal). */
export function _family_of(host: string): number {
  return _is_ipv6(host.replace(/^\[|\]$/g, "")) ? AF_INET6 : AF_INET;
}

export { AF_INET, AF_INET6, AF_UNIX };

let broadcasts: Set<string> | undefined;

/**
 * Is `host` a broadcast address here? Linux decides by route; we know the
 * limited broadcast, the loopback one, and (with `--allow-sys`) each local
 * interface's subnet broadcast. Without that grant, a last octet of 255 counts.
 */
export function _is_broadcast(host: string): boolean {
  if (!_is_ipv4(host)) return false;
  if (host === "255.255.255.255") return true;
  broadcasts ??= _local_broadcasts();
  return broadcasts.size > 1 ? broadcasts.has(host) : host.endsWith(".255");
}

function _local_broadcasts(): Set<string> {
  const found = new Set(["127.255.255.255"]);
  try {
    const state = Deno.permissions.querySync({
      name: "sys",
      kind: "networkInterfaces",
    }).state;
    if (state !== "granted") return found;
    for (const nic of Deno.networkInterfaces()) {
      if (nic.family !== "IPv4") continue;
      const a = nic.address.split(".").map(Number);
      const m = nic.netmask.split(".").map(Number);
      found.add(a.map((x, i) => (x | (~m[i]! & 255)) & 255).join("."));
    }
  } catch {
    // No interface list: keep the heuristic.
  }
  return found;
}

/**
 * What Linux refuses that Deno would allow: sending to a broadcast address
 * without SO_BROADCAST, oversized datagrams, Unix paths that exist at bind or
 * are missing at connect. And the address Linux binds an unbound datagram
 * socket to before its first send.
 * @module
 */
import { AF_INET6 } from "./constants.ts";
import { OSError, PermissionError } from "./errors.ts";
import { EADDRINUSE, ECONNREFUSED, EMSGSIZE } from "./errno.ts";
import { _to_oserror } from "./_map_error.ts";
import { type _Endpoint, _is_broadcast } from "./_address.ts";

/** The largest UDP payload over IPv4 and over IPv6. */
const MAX_DATAGRAM = 65507;
const MAX_DATAGRAM6 = 65527;
/** A Unix datagram can be as big as the default socket buffer. */
export const MAX_UNIX_DATAGRAM = 212992;

export function _refuse_broadcast(host: string, allowed: boolean): void {
  if (_is_broadcast(host) && !allowed) {
    // Linux refuses this unless SO_BROADCAST is set; Deno always sets it.
    throw new PermissionError();
  }
}

export function _refuse_oversized(family: number, bytes: Uint8Array): void {
  const max = family === AF_INET6 ? MAX_DATAGRAM6 : MAX_DATAGRAM;
  if (bytes.length > max) {
    throw new OSError(EMSGSIZE);
  }
}

// Linux checks a Unix datagram peer at connect(): it must be a socket.
// An abstract name (leading NUL) is no file: the kernel alone answers for it.
const abstract = (path: string): boolean => path.startsWith("\0");

export function _refuse_missing(path: string): void {
  if (abstract(path)) return;
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    throw _to_oserror(err);
  }
  if (!info.isSocket) throw new OSError(ECONNREFUSED);
}

export function _refuse_existing(path: string): void {
  if (abstract(path)) return;
  let exists = true;
  try {
    Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) exists = false;
    else throw err;
  }
  if (exists) throw new OSError(EADDRINUSE);
}

// The address an unbound datagram socket binds to before its first send.
export function _auto_address(
  family: number,
  to: { hostname: string },
): _Endpoint {
  const loop = to.hostname.startsWith("127.") || to.hostname === "::1";
  if (family === AF_INET6) {
    return { hostname: loop ? "::1" : "::", port: 0 };
  }
  return { hostname: loop ? "127.0.0.1" : "0.0.0.0", port: 0 };
}

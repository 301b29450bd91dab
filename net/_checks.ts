/**
 * Argument checks of the socket methods: each throws the TypeError or
 * RangeError that names the bad argument and the action that failed.
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_RDM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
} from "./constants.ts";
import { OSError } from "./errors.ts";
import { EPROTONOSUPPORT, ESOCKTNOSUPPORT } from "./errno.ts";
import { _show } from "./_address.ts";
import { _as_bytes } from "./_bytes.ts";

export function _check_timeout(value: unknown, action: string): number | null {
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

/**
 * The most bytes one receive (or a file's buffer) may ask for: Linux's reads
 * return at most this much, and asking more would only make V8 fail to
 * allocate.
 */
export const MAX_SIZE = 2 ** 31 - 1;

export function _check_size(
  value: unknown,
  name: string,
  action: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
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
  if (value > max) {
    throw new RangeError(
      `Cannot ${action}: ${name} must be at most ${max}, received ${value}`,
    );
  }
  return value;
}

/** Bytes of `data` without copying; strings become UTF-8. */
export function _to_bytes(data: unknown, action: string): Uint8Array {
  const bytes = _as_bytes(data, true);
  if (bytes !== null) return bytes;
  throw new TypeError(
    `Cannot ${action}: data must be a Uint8Array, a BufferSource or a string, received ${
      _show(data)
    }`,
  );
}

export function _to_view(buffer: unknown, action: string): Uint8Array {
  const view = _as_bytes(buffer, false);
  if (view !== null) return view;
  throw new TypeError(
    `Cannot ${action}: buffer must be a Uint8Array or another writable BufferSource, received ${
      _show(buffer)
    }`,
  );
}

/** `buffer` as bytes, and the first `nbytes` of it (all of it for 0). */
export function _check_into(
  buffer: unknown,
  nbytes: unknown,
): [view: Uint8Array, n: number] {
  const view = _to_view(buffer, "receive");
  const n = _check_size(nbytes, "nbytes", "receive");
  if (n > view.length) {
    throw new RangeError(
      `Cannot receive: nbytes ${n} is more than the buffer's ${view.length} bytes`,
    );
  }
  return [view, n];
}

const KNOWN_FLAGS = MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL;

export function _check_flags(flags: unknown, action: string): number {
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

/** Each named value must be an integer. */
export function _check_integers(
  action: string,
  values: Record<string, unknown>,
): void {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new TypeError(
        `Cannot ${action}: ${name} must be an integer, received ${
          _show(value)
        }`,
      );
    }
  }
}

/**
 * Checks the arguments of `new Socket()` and returns the type without
 * `SOCK_NONBLOCK`/`SOCK_CLOEXEC`.
 */
export function _check_kind(
  family: number,
  type: number,
  proto: number,
): number {
  _check_integers("create socket", { family, type, proto });
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
  return base;
}

/** Checks `how` of `shutdown()`: `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`. */
export function _check_how(how: unknown): void {
  if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
    throw new RangeError(
      `Cannot shut down socket: how must be SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2), received ${
        _show(how)
      }`,
    );
  }
}

/**
 * Linux errno numbers, as Python's `errno` module names them, and their
 * `strerror()` texts. Every `OSError` this library throws carries one.
 *
 * @example Usage
 * ```ts
 * import { ECONNREFUSED, errorcode, strerror } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(ECONNREFUSED, 111);
 * assert.equal(errorcode.get(111), "ECONNREFUSED");
 * assert.equal(strerror(111), "Connection refused");
 * ```
 * @module
 */
/** Operation not permitted. */
export const EPERM = 1;
/** No such file or directory. */
export const ENOENT = 2;
/** Interrupted system call. */
export const EINTR = 4;
/** Bad file descriptor. */
export const EBADF = 9;
/** Device or resource busy. */
export const EBUSY = 16;

/** Resource temporarily unavailable. */
export const EAGAIN = 11;
/** Permission denied. */
export const EACCES = 13;
/** File exists. */
export const EEXIST = 17;
/** Invalid argument. */
export const EINVAL = 22;
/** Too many open files. */
export const EMFILE = 24;
/** Too many open files in system. */
export const ENFILE = 23;
/** Broken pipe. */
export const EPIPE = 32;
/** Protocol error. */
export const EPROTO = 71;

/** Socket operation on non-socket. */
export const ENOTSOCK = 88;
/** Destination address required. */
export const EDESTADDRREQ = 89;
/** Message too long. */
export const EMSGSIZE = 90;
/** Protocol not available. */
export const ENOPROTOOPT = 92;
/** Protocol not supported. */
export const EPROTONOSUPPORT = 93;
/** Socket type not supported. */
export const ESOCKTNOSUPPORT = 94;
/** Operation not supported. */
export const EOPNOTSUPP = 95;
/** Address family not supported by protocol. */
export const EAFNOSUPPORT = 97;
/** Address already in use. */
export const EADDRINUSE = 98;
/** Cannot assign requested address. */
export const EADDRNOTAVAIL = 99;
/** Network is down. */
export const ENETDOWN = 100;
/** Network is unreachable. */
export const ENETUNREACH = 101;
/** Software caused connection abort. */
export const ECONNABORTED = 103;
/** Connection reset by peer. */
export const ECONNRESET = 104;
/** No buffer space available. */
export const ENOBUFS = 105;
/** Transport endpoint is already connected. */
export const EISCONN = 106;
/** Transport endpoint is not connected. */
export const ENOTCONN = 107;
/** Connection timed out. */
export const ETIMEDOUT = 110;
/** Connection refused. */
export const ECONNREFUSED = 111;
/** No route to host. */
export const EHOSTUNREACH = 113;
/** Operation already in progress. */
export const EALREADY = 114;
/** Operation now in progress. */
export const EINPROGRESS = 115;
/** errno number -> its name, as Python's `errno.errorcode`. */
export const errorcode: ReadonlyMap<number, string> = new Map([
  [EPERM, "EPERM"],
  [ENOENT, "ENOENT"],
  [EINTR, "EINTR"],
  [EBADF, "EBADF"],
  [EAGAIN, "EAGAIN"],
  [EBUSY, "EBUSY"],
  [EACCES, "EACCES"],
  [EEXIST, "EEXIST"],
  [EINVAL, "EINVAL"],
  [EMFILE, "EMFILE"],
  [ENFILE, "ENFILE"],
  [EPIPE, "EPIPE"],
  [EPROTO, "EPROTO"],
  [ENOTSOCK, "ENOTSOCK"],
  [EDESTADDRREQ, "EDESTADDRREQ"],
  [EMSGSIZE, "EMSGSIZE"],
  [ENOPROTOOPT, "ENOPROTOOPT"],
  [EPROTONOSUPPORT, "EPROTONOSUPPORT"],
  [ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"],
  [EOPNOTSUPP, "EOPNOTSUPP"],
  [EAFNOSUPPORT, "EAFNOSUPPORT"],
  [EADDRINUSE, "EADDRINUSE"],
  [EADDRNOTAVAIL, "EADDRNOTAVAIL"],
  [ENETDOWN, "ENETDOWN"],
  [ENETUNREACH, "ENETUNREACH"],
  [ECONNABORTED, "ECONNABORTED"],
  [ECONNRESET, "ECONNRESET"],
  [ENOBUFS, "ENOBUFS"],
  [EISCONN, "EISCONN"],
  [ENOTCONN, "ENOTCONN"],
  [ETIMEDOUT, "ETIMEDOUT"],
  [ECONNREFUSED, "ECONNREFUSED"],
  [EHOSTUNREACH, "EHOSTUNREACH"],
  [EALREADY, "EALREADY"],
  [EINPROGRESS, "EINPROGRESS"],
]);

const TEXT: ReadonlyMap<number, string> = new Map([
  [EPERM, "Operation not permitted"],
  [ENOENT, "No such file or directory"],
  [EINTR, "Interrupted system call"],
  [EBADF, "Bad file descriptor"],
  [EAGAIN, "Resource temporarily unavailable"],
  [EBUSY, "Device or resource busy"],
  [EACCES, "Permission denied"],
  [EEXIST, "File exists"],
  [EINVAL, "Invalid argument"],
  [EMFILE, "Too many open files"],
  [ENFILE, "Too many open files in system"],
  [EPIPE, "Broken pipe"],
  [EPROTO, "Protocol error"],
  [ENOTSOCK, "Socket operation on non-socket"],
  [EDESTADDRREQ, "Destination address required"],
  [EMSGSIZE, "Message too long"],
  [ENOPROTOOPT, "Protocol not available"],
  [EPROTONOSUPPORT, "Protocol not supported"],
  [ESOCKTNOSUPPORT, "Socket type not supported"],
  [EOPNOTSUPP, "Operation not supported"],
  [EAFNOSUPPORT, "Address family not supported by protocol"],
  [EADDRINUSE, "Address already in use"],
  [EADDRNOTAVAIL, "Cannot assign requested address"],
  [ENETDOWN, "Network is down"],
  [ENETUNREACH, "Network is unreachable"],
  [ECONNABORTED, "Software caused connection abort"],
  [ECONNRESET, "Connection reset by peer"],
  [ENOBUFS, "No buffer space available"],
  [EISCONN, "Transport endpoint is already connected"],
  [ENOTCONN, "Transport endpoint is not connected"],
  [ETIMEDOUT, "Connection timed out"],
  [ECONNREFUSED, "Connection refused"],
  [EHOSTUNREACH, "No route to host"],
  [EALREADY, "Operation already in progress"],
  [EINPROGRESS, "Operation now in progress"],
]);

/**
 * The text Linux gives an errno number, as Python's `os.strerror()`.
 *
 * @param code An errno number such as `ECONNREFUSED` (111).
 * @returns The text, or `Unknown error N` for a number Linux has no text for.
 *
 * @example Usage
 * ```ts
 * import { strerror } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(strerror(98), "Address already in use");
 * ```
 */
export function strerror(code: number): string {
  return TEXT.get(code) ?? `Unknown error ${code}`;
}

// Turns what Deno throws into the Python-named OSError: by `code` first, then
// by class, then by message (EMSGSIZE and DNS failures come as plain Errors).
import {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  gaierror,
  InterruptedError,
  OSError,
  PermissionError,
  TimeoutError,
} from "./errors.ts";
import {
  EACCES,
  EADDRINUSE,
  EADDRNOTAVAIL,
  EAFNOSUPPORT,
  EAGAIN,
  EBADF,
  ECONNABORTED,
  ECONNREFUSED,
  ECONNRESET,
  EEXIST,
  EINTR,
  EINVAL,
  EMSGSIZE,
  ENOENT,
  ENOTCONN,
  EPIPE,
  errorcode,
  ETIMEDOUT,
} from "./errno.ts";

type OSErrorClass = new (
  errno: number,
  strerror?: string,
  options?: ErrorOptions,
) => OSError;

const CLASS_BY_ERRNO: ReadonlyMap<number, OSErrorClass> = new Map<
  number,
  OSErrorClass
>([
  [EAGAIN, BlockingIOError],
  [EPIPE, BrokenPipeError],
  [ECONNABORTED, ConnectionAbortedError],
  [ECONNREFUSED, ConnectionRefusedError],
  [ECONNRESET, ConnectionResetError],
  [EEXIST, FileExistsError],
  [ENOENT, FileNotFoundError],
  [EINTR, InterruptedError],
  [EACCES, PermissionError],
  [1, PermissionError],
]);

const ERRNO_BY_NAME: ReadonlyMap<string, number> = new Map(
  [...errorcode].map(([n, name]) => [name, n]),
);

// Deno's error classes, for errors that carry no `code`.
const ERRNO_BY_CLASS: Readonly<Record<string, number>> = {
  AddrInUse: EADDRINUSE,
  AddrNotAvailable: EADDRNOTAVAIL,
  BadResource: EBADF,
  BrokenPipe: EPIPE,
  ConnectionAborted: ECONNABORTED,
  ConnectionRefused: ECONNREFUSED,
  ConnectionReset: ECONNRESET,
  Interrupted: EINTR,
  InvalidData: EINVAL,
  NotConnected: ENOTCONN,
  NotFound: ENOENT,
  AlreadyExists: EEXIST,
  PermissionDenied: EACCES,
  NotCapable: EACCES,
  TimedOut: ETIMEDOUT,
  WouldBlock: EAGAIN,
};

/** The OSError subclass Python raises for `errno`, built with `cause`. */
export function _oserror(
  errno: number,
  strerror?: string,
  cause?: unknown,
): OSError {
  if (errno === ETIMEDOUT) {
    return new TimeoutError(strerror, { cause });
  }
  const Class = CLASS_BY_ERRNO.get(errno) ?? OSError;
  return new Class(errno, strerror, cause === undefined ? {} : { cause });
}

/** Maps anything Deno threw to an OSError; OSErrors and our own TypeError/RangeError pass through. */
export function _to_oserror(err: unknown): OSError {
  if (err instanceof OSError) return err;
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (typeof e?.code === "string") {
    const n = ERRNO_BY_NAME.get(e.code) ??
      (e.code === "EWOULDBLOCK" ? EAGAIN : undefined);
    if (n !== undefined) return _oserror(n, undefined, err);
  }
  const os = /\(os error (\d+)\)/.exec(message);
  if (os) return _oserror(Number(os[1]), undefined, err);
  if (
    /failed to lookup address|Name or service not known|dns error/i.test(
      message,
    )
  ) {
    return new gaierror(-2, "Name or service not known", { cause: err });
  }
  if (/address family not supported/i.test(message)) {
    return _oserror(EAFNOSUPPORT, undefined, err);
  }
  if (/message too long/i.test(message)) {
    return _oserror(EMSGSIZE, undefined, err);
  }
  const name = err instanceof Error ? err.constructor.name : "";
  const byClass = ERRNO_BY_CLASS[name];
  if (byClass !== undefined) {
    return _oserror(byClass, name === "NotCapable" ? message : undefined, err);
  }
  return new OSError(EINVAL, message, { cause: err });
}

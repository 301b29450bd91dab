/**
 * Python's `OSError` tree, with Linux errno values. Every failure of a socket
 * call is one of these, with the Deno error it came from as `cause`.
 *
 * @example Catching a refused connection
 * ```ts
 * import { ConnectionRefusedError, OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const err = new ConnectionRefusedError();
 * assert.ok(err instanceof OSError);
 * assert.equal(err.errno, 111);
 * assert.equal(err.message, "[Errno 111] Connection refused");
 * ```
 * @module
 */
import {
  EACCES,
  EAGAIN,
  ECONNABORTED,
  ECONNREFUSED,
  ECONNRESET,
  EEXIST,
  EINTR,
  ENOENT,
  EPIPE,
  ETIMEDOUT,
  strerror as errno_text,
} from "./errno.ts";

/**
 * A failed system call, as Python's `OSError` (alias `error`).
 *
 * @example Usage
 * ```ts
 * import { OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const err = new OSError(98);
 * assert.equal(err.strerror, "Address already in use");
 * assert.equal(String(err), "OSError: [Errno 98] Address already in use");
 * ```
 */
export class OSError extends Error {
  /** Linux error number (111 is ECONNREFUSED). */
  readonly errno: number;
  /** Text for `errno`, as C's `strerror()` words it. */
  readonly strerror: string;
  /**
   * Makes the error.
   *
   * @param errno Linux error number.
   * @param strerror Its text; Linux's own wording when omitted.
   * @param options Pass the Deno error as `options.cause`.
   */
  constructor(errno: number, strerror?: string, options?: ErrorOptions) {
    const text = strerror ?? errno_text(errno);
    super(`[Errno ${errno}] ${text}`, options);
    this.name = new.target.name;
    this.errno = errno;
    this.strerror = text;
  }
}

/**
 * Python's `socket.error`: another name of {@linkcode OSError}.
 *
 * @example Usage
 * ```ts
 * import { error, OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(error, OSError);
 * ```
 */
export const error: typeof OSError = OSError;

/**
 * A socket call timed out (`settimeout()`): Python's `TimeoutError`, errno
 * ETIMEDOUT (110), message "timed out". No byte is lost: what arrives later is
 * kept for the next call.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new TimeoutError().strerror, "timed out");
 * ```
 */
export class TimeoutError extends OSError {
  /**
   * Makes the error.
   *
   * @param strerror Text; "timed out" by default.
   */
  constructor(strerror = "timed out", options?: ErrorOptions) {
    super(ETIMEDOUT, strerror, options);
  }
}

/**
 * Python's `socket.timeout`: another name of {@linkcode TimeoutError}.
 *
 * @example Usage
 * ```ts
 * import { timeout, TimeoutError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(timeout, TimeoutError);
 * ```
 */
export const timeout: typeof TimeoutError = TimeoutError;

/**
 * A non-blocking call would have to wait (EAGAIN, 11).
 *
 * @example Usage
 * ```ts
 * import { BlockingIOError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new BlockingIOError().errno, 11);
 * ```
 */
export class BlockingIOError extends OSError {
  /**
   * Makes the error.
   *
   * @param errno EAGAIN (11) unless given.
   */
  constructor(errno = EAGAIN, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * Base class of the connection errors, as in Python.
 *
 * @example Usage
 * ```ts
 * import { ConnectionError, ConnectionResetError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.ok(new ConnectionResetError() instanceof ConnectionError);
 * ```
 */
export class ConnectionError extends OSError {}

/**
 * The peer refused the connection (ECONNREFUSED, 111).
 *
 * @example Usage
 * ```ts
 * import { ConnectionRefusedError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new ConnectionRefusedError().errno, 111);
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {
  /**
   * Makes the error.
   *
   * @param errno ECONNREFUSED (111) unless given.
   */
  constructor(errno = ECONNREFUSED, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * The peer reset the connection (ECONNRESET, 104).
 *
 * @example Usage
 * ```ts
 * import { ConnectionResetError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new ConnectionResetError().errno, 104);
 * ```
 */
export class ConnectionResetError extends ConnectionError {
  /**
   * Makes the error.
   *
   * @param errno ECONNRESET (104) unless given.
   */
  constructor(errno = ECONNRESET, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * The connection was aborted on this side (ECONNABORTED, 103).
 *
 * @example Usage
 * ```ts
 * import { ConnectionAbortedError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new ConnectionAbortedError().errno, 103);
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {
  /**
   * Makes the error.
   *
   * @param errno ECONNABORTED (103) unless given.
   */
  constructor(errno = ECONNABORTED, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * Writing to a connection the peer has closed (EPIPE, 32).
 *
 * @example Usage
 * ```ts
 * import { BrokenPipeError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new BrokenPipeError().errno, 32);
 * ```
 */
export class BrokenPipeError extends ConnectionError {
  /**
   * Makes the error.
   *
   * @param errno EPIPE (32) unless given.
   */
  constructor(errno = EPIPE, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * A call was interrupted (EINTR, 4).
 *
 * @example Usage
 * ```ts
 * import { InterruptedError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new InterruptedError().errno, 4);
 * ```
 */
export class InterruptedError extends OSError {
  /**
   * Makes the error.
   *
   * @param errno EINTR (4) unless given.
   */
  constructor(errno = EINTR, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * Not allowed (EACCES, 13): a broadcast without SO_BROADCAST, or a Deno
 * permission that was not granted.
 *
 * @example Usage
 * ```ts
 * import { PermissionError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new PermissionError().errno, 13);
 * ```
 */
export class PermissionError extends OSError {
  /**
   * Makes the error.
   *
   * @param errno EACCES (13) unless given.
   */
  constructor(errno = EACCES, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * A path does not exist (ENOENT, 2): connecting to a missing Unix socket.
 *
 * @example Usage
 * ```ts
 * import { FileNotFoundError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new FileNotFoundError().errno, 2);
 * ```
 */
export class FileNotFoundError extends OSError {
  /**
   * Makes the error.
   *
   * @param errno ENOENT (2) unless given.
   */
  constructor(errno = ENOENT, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * A path exists already (EEXIST, 17).
 *
 * @example Usage
 * ```ts
 * import { FileExistsError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(new FileExistsError().errno, 17);
 * ```
 */
export class FileExistsError extends OSError {
  /**
   * Makes the error.
   *
   * @param errno EEXIST (17) unless given.
   */
  constructor(errno = EEXIST, strerror?: string, options?: ErrorOptions) {
    super(errno, strerror, options);
  }
}

/**
 * A host name could not be resolved, as Python's `socket.gaierror`; `errno`
 * is getaddrinfo's negative code (-2 is EAI_NONAME).
 *
 * @example Usage
 * ```ts
 * import { gaierror } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const err = new gaierror(-2, "Name or service not known");
 * assert.equal(err.message, "[Errno -2] Name or service not known");
 * ```
 */
export class gaierror extends OSError {}

/**
 * An address-related error of the legacy resolver calls, as Python's
 * `socket.herror`.
 *
 * @example Usage
 * ```ts
 * import { herror, OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.ok(new herror(1, "Unknown host") instanceof OSError);
 * ```
 */
export class herror extends OSError {}

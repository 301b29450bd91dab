/**
 * Python's `ssl` errors. `SSLError` is an `OSError`, so code that catches
 * `OSError` around socket calls catches TLS failures too, as in Python.
 *
 * @example Telling a bad certificate from other failures
 * ```ts
 * import { SSLCertVerificationError, SSLError } from "@pysock/pysock/ssl";
 * import { OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const err = new SSLCertVerificationError(10, "certificate has expired");
 * assert.ok(err instanceof SSLError && err instanceof OSError);
 * assert.equal(err.verify_code, 10);
 * ```
 * @module
 */
import { OSError } from "../net/mod.ts";
import {
  SSL_ERROR_EOF,
  SSL_ERROR_SSL,
  SSL_ERROR_WANT_READ,
  SSL_ERROR_WANT_WRITE,
  SSL_ERROR_ZERO_RETURN,
} from "./constants.ts";

/** Where an `SSLError` came from, as Python's `library` and `reason`. */
export interface SSLErrorOptions extends ErrorOptions {
  /** OpenSSL's library name, `"SSL"` for protocol failures. */
  library?: string | null;
  /** OpenSSL's reason, such as `"CERTIFICATE_VERIFY_FAILED"`. */
  reason?: string | null;
}

/**
 * A TLS failure, as Python's `ssl.SSLError`: an `OSError` whose `errno` is
 * an `SSL_ERROR_*` code and whose text reads like Python's
 * (`[SSL: REASON] what happened`).
 *
 * @example Usage
 * ```ts
 * import { SSLError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const err = new SSLError(1, "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca", {
 *   library: "SSL",
 *   reason: "TLSV1_ALERT_UNKNOWN_CA",
 * });
 * assert.equal(err.reason, "TLSV1_ALERT_UNKNOWN_CA");
 * assert.equal(String(err), "SSLError: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca");
 * ```
 */
export class SSLError extends OSError {
  /** OpenSSL's library name, or null when unknown. */
  readonly library: string | null;
  /** OpenSSL's reason name, or null when unknown. */
  readonly reason: string | null;
  /**
   * Makes the error.
   *
   * @param errno An `SSL_ERROR_*` code (default `SSL_ERROR_SSL`).
   * @param strerror Its text, which is also the message, as Python's
   *   `str()` of an SSLError.
   * @param options `library`, `reason`, and the Deno error as `cause`.
   */
  constructor(
    errno: number = SSL_ERROR_SSL,
    strerror: string = "TLS/SSL error",
    options: SSLErrorOptions = {},
  ) {
    super(errno, strerror, options);
    this.message = strerror;
    this.library = options.library ?? null;
    this.reason = options.reason ?? null;
  }
}

/**
 * The peer's certificate did not verify, as Python's
 * `ssl.SSLCertVerificationError` (alias `CertificateError`). `verify_code`
 * is OpenSSL's number, the one CPython reports: 20 for an unknown issuer,
 * 10 for an expired certificate, 9 for one not valid yet, 62 for a
 * hostname mismatch.
 *
 * @example Usage
 * ```ts
 * import { SSLCertVerificationError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const err = new SSLCertVerificationError(20, "unable to get local issuer certificate");
 * assert.equal(err.errno, 1);
 * assert.equal(err.reason, "CERTIFICATE_VERIFY_FAILED");
 * assert.equal(
 *   err.message,
 *   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
 * );
 * ```
 */
export class SSLCertVerificationError extends SSLError {
  /** OpenSSL's verification error number. */
  readonly verify_code: number;
  /** OpenSSL's text for `verify_code`. */
  readonly verify_message: string;
  /**
   * Makes the error.
   *
   * @param verify_code OpenSSL's verification error number.
   * @param verify_message Its text.
   * @param options The Deno error as `cause`.
   */
  constructor(
    verify_code: number,
    verify_message: string,
    options: ErrorOptions = {},
  ) {
    super(
      SSL_ERROR_SSL,
      `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${verify_message}`,
      { ...options, library: "SSL", reason: "CERTIFICATE_VERIFY_FAILED" },
    );
    this.verify_code = verify_code;
    this.verify_message = verify_message;
  }
}

/**
 * Python's other name for {@linkcode SSLCertVerificationError}.
 *
 * @example Usage
 * ```ts
 * import { CertificateError, SSLCertVerificationError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(CertificateError, SSLCertVerificationError);
 * ```
 */
export const CertificateError: typeof SSLCertVerificationError =
  SSLCertVerificationError;

/**
 * The connection ended without TLS's closing message where one was due
 * (`SSL_ERROR_EOF`), as Python's `ssl.SSLEOFError`. Receives only raise it
 * when `suppress_ragged_eofs` is false; a handshake always does.
 *
 * @example Usage
 * ```ts
 * import { SSLEOFError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLEOFError().errno, 8);
 * ```
 */
export class SSLEOFError extends SSLError {
  /**
   * Makes the error.
   *
   * @param errno `SSL_ERROR_EOF` (8) unless told.
   * @param strerror Its text.
   * @param options The Deno error as `cause`.
   */
  constructor(
    errno: number = SSL_ERROR_EOF,
    strerror: string =
      "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
    options: SSLErrorOptions = {},
  ) {
    super(errno, strerror, {
      library: "SSL",
      reason: "UNEXPECTED_EOF_WHILE_READING",
      ...options,
    });
  }
}

/**
 * The peer closed TLS cleanly (`SSL_ERROR_ZERO_RETURN`), as Python's
 * `ssl.SSLZeroReturnError`: raised by a handshake that meets a closed
 * connection.
 *
 * @example Usage
 * ```ts
 * import { SSLZeroReturnError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLZeroReturnError().errno, 6);
 * ```
 */
export class SSLZeroReturnError extends SSLError {
  /**
   * Makes the error.
   *
   * @param errno `SSL_ERROR_ZERO_RETURN` (6) unless told.
   * @param strerror Its text.
   * @param options The Deno error as `cause`.
   */
  constructor(
    errno: number = SSL_ERROR_ZERO_RETURN,
    strerror: string = "TLS/SSL connection has been closed (EOF)",
    options: SSLErrorOptions = {},
  ) {
    super(errno, strerror, options);
  }
}

/**
 * A non-blocking TLS call needs to read first (`SSL_ERROR_WANT_READ`), as
 * Python's `ssl.SSLWantReadError`: `do_handshake()` on a non-blocking
 * socket raises it while the handshake goes on.
 *
 * @example Usage
 * ```ts
 * import { SSLWantReadError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLWantReadError().errno, 2);
 * ```
 */
export class SSLWantReadError extends SSLError {
  /**
   * Makes the error.
   *
   * @param errno `SSL_ERROR_WANT_READ` (2) unless told.
   * @param strerror Its text.
   * @param options The Deno error as `cause`.
   */
  constructor(
    errno: number = SSL_ERROR_WANT_READ,
    strerror: string = "The operation did not complete (read)",
    options: SSLErrorOptions = {},
  ) {
    super(errno, strerror, options);
  }
}

/**
 * A non-blocking TLS call needs to write first (`SSL_ERROR_WANT_WRITE`), as
 * Python's `ssl.SSLWantWriteError`.
 *
 * @example Usage
 * ```ts
 * import { SSLWantWriteError } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLWantWriteError().errno, 3);
 * ```
 */
export class SSLWantWriteError extends SSLError {
  /**
   * Makes the error.
   *
   * @param errno `SSL_ERROR_WANT_WRITE` (3) unless told.
   * @param strerror Its text.
   * @param options The Deno error as `cause`.
   */
  constructor(
    errno: number = SSL_ERROR_WANT_WRITE,
    strerror: string = "The operation did not complete (write)",
    options: SSLErrorOptions = {},
  ) {
    super(errno, strerror, options);
  }
}

/**
 * Python's `ssl` constants: protocols, verify modes, TLS versions, purposes
 * and the `SSL_ERROR_*` codes that `SSLError.errno` carries.
 *
 * @example Python's values
 * ```ts
 * import { CERT_REQUIRED, PROTOCOL_TLS_CLIENT, TLSVersion } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(PROTOCOL_TLS_CLIENT, 16);
 * assert.equal(CERT_REQUIRED, 2);
 * assert.equal(TLSVersion.TLSv1_3, 772);
 * ```
 * @module
 */

/**
 * A client context: verifies the server and its hostname by default.
 *
 * @example Usage
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLContext(PROTOCOL_TLS_CLIENT).check_hostname, true);
 * ```
 */
export const PROTOCOL_TLS_CLIENT = 16;

/**
 * A server context: asks no certificate of its clients by default.
 *
 * @example Usage
 * ```ts
 * import { CERT_NONE, PROTOCOL_TLS_SERVER, SSLContext } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLContext(PROTOCOL_TLS_SERVER).verify_mode, CERT_NONE);
 * ```
 */
export const PROTOCOL_TLS_SERVER = 17;

/**
 * Python's deprecated either-side protocol (`PROTOCOL_SSLv23`): the side
 * comes from `wrap_socket(server_side)`, nothing is verified by default.
 *
 * @example Usage
 * ```ts
 * import { CERT_NONE, PROTOCOL_TLS, SSLContext } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(new SSLContext(PROTOCOL_TLS).verify_mode, CERT_NONE);
 * ```
 */
export const PROTOCOL_TLS = 2;

/**
 * Verify mode: the peer's certificate is not checked.
 *
 * @example Usage
 * ```ts
 * import { CERT_NONE } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(CERT_NONE, 0);
 * ```
 */
export const CERT_NONE = 0;

/**
 * Verify mode: checked if sent (a client treats it as `CERT_REQUIRED`, as
 * Python does).
 *
 * @example Usage
 * ```ts
 * import { CERT_OPTIONAL } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(CERT_OPTIONAL, 1);
 * ```
 */
export const CERT_OPTIONAL = 1;

/**
 * Verify mode: the peer must send a certificate that verifies.
 *
 * @example Usage
 * ```ts
 * import { CERT_REQUIRED } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(CERT_REQUIRED, 2);
 * ```
 */
export const CERT_REQUIRED = 2;

/**
 * TLS protocol versions, with OpenSSL's numbers as Python's `TLSVersion`.
 * Deno speaks TLS 1.2 and 1.3 only.
 *
 * @example Usage
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext, TLSVersion } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.minimum_version = TLSVersion.TLSv1_2;
 * assert.equal(ctx.minimum_version, 771);
 * ```
 */
export const TLSVersion = {
  MINIMUM_SUPPORTED: -2,
  SSLv3: 768,
  TLSv1: 769,
  TLSv1_1: 770,
  TLSv1_2: 771,
  TLSv1_3: 772,
  MAXIMUM_SUPPORTED: -1,
} as const;

/**
 * A value of {@linkcode TLSVersion}.
 *
 * @example Usage
 * ```ts
 * import { type TLSVersionValue, TLSVersion } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const v: TLSVersionValue = TLSVersion.TLSv1_3;
 * assert.equal(v, 772);
 * ```
 */
export type TLSVersionValue = typeof TLSVersion[keyof typeof TLSVersion];

/**
 * What a default context is for, as Python's `ssl.Purpose`:
 * `SERVER_AUTH` makes a client context, `CLIENT_AUTH` a server one.
 *
 * @example Usage
 * ```ts
 * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(create_default_context(Purpose.CLIENT_AUTH).check_hostname, false);
 * ```
 */
export const Purpose = {
  SERVER_AUTH: "1.3.6.1.5.5.7.3.1",
  CLIENT_AUTH: "1.3.6.1.5.5.7.3.2",
} as const;

/**
 * A value of {@linkcode Purpose}.
 *
 * @example Usage
 * ```ts
 * import { Purpose, type PurposeValue } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const p: PurposeValue = Purpose.SERVER_AUTH;
 * assert.equal(p, "1.3.6.1.5.5.7.3.1");
 * ```
 */
export type PurposeValue = typeof Purpose[keyof typeof Purpose];

/**
 * `SSLError.errno` for a protocol failure (a bad certificate, an alert).
 *
 * @example Usage
 * ```ts
 * import { SSL_ERROR_SSL } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(SSL_ERROR_SSL, 1);
 * ```
 */
export const SSL_ERROR_SSL = 1;

/**
 * `SSLWantReadError.errno`.
 *
 * @example Usage
 * ```ts
 * import { SSL_ERROR_WANT_READ } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(SSL_ERROR_WANT_READ, 2);
 * ```
 */
export const SSL_ERROR_WANT_READ = 2;

/**
 * `SSLWantWriteError.errno`.
 *
 * @example Usage
 * ```ts
 * import { SSL_ERROR_WANT_WRITE } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(SSL_ERROR_WANT_WRITE, 3);
 * ```
 */
export const SSL_ERROR_WANT_WRITE = 3;

/**
 * `SSLZeroReturnError.errno`: the peer closed TLS cleanly.
 *
 * @example Usage
 * ```ts
 * import { SSL_ERROR_ZERO_RETURN } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(SSL_ERROR_ZERO_RETURN, 6);
 * ```
 */
export const SSL_ERROR_ZERO_RETURN = 6;

/**
 * `SSLEOFError.errno`: the connection ended in the middle of TLS.
 *
 * @example Usage
 * ```ts
 * import { SSL_ERROR_EOF } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(SSL_ERROR_EOF, 8);
 * ```
 */
export const SSL_ERROR_EOF = 8;

/**
 * Whether ALPN is available: it is, through Deno's `alpnProtocols`.
 *
 * @example Usage
 * ```ts
 * import { HAS_ALPN } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(HAS_ALPN, true);
 * ```
 */
export const HAS_ALPN = true;

/**
 * Whether server name indication is sent: it is, from `server_hostname`.
 *
 * @example Usage
 * ```ts
 * import { HAS_SNI } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * assert.equal(HAS_SNI, true);
 * ```
 */
export const HAS_SNI = true;

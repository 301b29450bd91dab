/**
 * Python's byte-order calls: `htons()`, `ntohs()`, `htonl()` and `ntohl()`
 * swap a 16- or 32-bit integer between this machine's order and the
 * network's (big-endian), as the C functions of the same names do.
 *
 * @example A port in network order
 * ```ts
 * import { htons, ntohs } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(ntohs(htons(8080)), 8080);
 * ```
 * @module
 */
import { _show } from "./_address.ts";

// What swapping does depends on this machine's order, as in C.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function check(value: unknown, max: number, action: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `Cannot convert to ${action} byte order: x must be an integer, received ${
        _show(value)
      }`,
    );
  }
  if (value < 0 || value > max) {
    throw new RangeError(
      `Cannot convert to ${action} byte order: x must be 0-${max}, received ${value}`,
    );
  }
  return value;
}

function swap16(x: number): number {
  return LITTLE_ENDIAN ? ((x & 0xff) << 8) | (x >>> 8) : x;
}

function swap32(x: number): number {
  if (!LITTLE_ENDIAN) return x;
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) |
    (x >>> 24)) >>> 0;
}

/**
 * A 16-bit integer from host to network byte order, as Python's
 * `socket.htons()`.
 *
 * @param x An integer 0-65535.
 * @returns `x` with its two bytes in network order (swapped on this
 *   little-endian machine).
 * @throws {TypeError} When `x` is not an integer.
 * @throws {RangeError} When `x` is outside 0-65535 (Python's OverflowError).
 *
 * @example Usage
 * ```ts
 * import { htons } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(htons(1), 256);
 * assert.throws(() => htons(70000), RangeError);
 * ```
 */
export function htons(x: number): number {
  return swap16(check(x, 0xffff, "network"));
}

/**
 * A 16-bit integer from network to host byte order, as Python's
 * `socket.ntohs()`.
 *
 * @param x An integer 0-65535.
 * @returns `x` with its two bytes in this machine's order.
 * @throws {TypeError} When `x` is not an integer.
 * @throws {RangeError} When `x` is outside 0-65535 (Python's OverflowError).
 *
 * @example Usage
 * ```ts
 * import { ntohs } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(ntohs(0x1234), 0x3412);
 * ```
 */
export function ntohs(x: number): number {
  return swap16(check(x, 0xffff, "host"));
}

/**
 * A 32-bit integer from host to network byte order, as Python's
 * `socket.htonl()`.
 *
 * @param x An integer 0-4294967295.
 * @returns `x` with its four bytes in network order.
 * @throws {TypeError} When `x` is not an integer.
 * @throws {RangeError} When `x` is outside 0-4294967295 (Python's
 *   OverflowError).
 *
 * @example Usage
 * ```ts
 * import { htonl } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(htonl(1), 16777216);
 * ```
 */
export function htonl(x: number): number {
  return swap32(check(x, 0xffffffff, "network"));
}

/**
 * A 32-bit integer from network to host byte order, as Python's
 * `socket.ntohl()`.
 *
 * @param x An integer 0-4294967295.
 * @returns `x` with its four bytes in this machine's order.
 * @throws {TypeError} When `x` is not an integer.
 * @throws {RangeError} When `x` is outside 0-4294967295 (Python's
 *   OverflowError).
 *
 * @example Usage
 * ```ts
 * import { ntohl } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(ntohl(0x12345678), 0x78563412);
 * ```
 */
export function ntohl(x: number): number {
  return swap32(check(x, 0xffffffff, "host"));
}

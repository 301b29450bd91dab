/**
 * Bytes without copying: coercing what callers pass (a Uint8Array, any
 * BufferSource, a string as UTF-8) to a Uint8Array, and joining byte arrays.
 * @module
 */

/**
 * What `send()` and friends accept: bytes, any BufferSource, or a string
 * (sent as UTF-8).
 *
 * @example Usage
 * ```ts
 * import type { Data } from "@pysock/pysock/net";
 * const all: Data[] = ["text", new Uint8Array([1, 2]), new ArrayBuffer(4)];
 * ```
 */
export type Data = Uint8Array | ArrayBuffer | ArrayBufferView | string;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * `data` as a Uint8Array over the same memory (a string as UTF-8 when
 * `strings` is true), or `null` when it is not bytes-like: each caller
 * words its own TypeError.
 */
export function _as_bytes(data: unknown, strings: boolean): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return strings ? encoder.encode(data) : null;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return null;
}

/** `parts` joined; `total` is the sum of their lengths. */
export function _concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 0) return EMPTY;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

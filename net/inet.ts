/**
 * Python's address conversions: `inet_aton()` and `inet_ntoa()` for IPv4,
 * `inet_pton()` and `inet_ntop()` for IPv4 and IPv6, between text and the
 * packed bytes the C structures hold, accepting and refusing what glibc
 * does (so what CPython on Linux does).
 *
 * @example Text to bytes and back
 * ```ts
 * import { AF_INET6, inet_ntop, inet_pton } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(inet_ntop(AF_INET6, inet_pton(AF_INET6, "2001:0db8::0001")), "2001:db8::1");
 * ```
 * @module
 */
import { _show } from "./_address.ts";
import { AF_INET, AF_INET6 } from "./constants.ts";
import { EAFNOSUPPORT, EINVAL } from "./errno.ts";
import { OSError } from "./errors.ts";

// Python raises these with no errno; ours carry EINVAL and Python's text.
function illegal(call: string): OSError {
  return new OSError(EINVAL, `illegal IP address string passed to ${call}`);
}

function text_arg(value: unknown, call: string): string {
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot convert address with ${call}(): ip_string must be a string, received ${
        _show(value)
      }`,
    );
  }
  if (value.includes("\0")) {
    throw new RangeError(
      `Cannot convert address with ${call}(): ip_string must not hold a NUL character, received ${
        _show(value)
      }`,
    );
  }
  return value;
}

function bytes_arg(value: unknown, call: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(
    `Cannot convert address with ${call}(): packed_ip must be a Uint8Array or other BufferSource, received ${
      _show(value)
    }`,
  );
}

// One part of inet_aton's dotted form: as C's strtoul with base 0 reads it
// (0x hex, leading 0 octal, else decimal), after a digit.
const ATON_PART = /^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/;
// C's isspace() in the C locale: what may end an inet_aton string.
const C_SPACE = /^[ \t\n\v\f\r]/;
const ATON_MAX = [0xffffffff, 0xffffff, 0xffff, 0xff];

function aton(text: string): Uint8Array<ArrayBuffer> | null {
  const parts: number[] = [];
  let rest = text;
  let value: number;
  for (;;) {
    const m = ATON_PART.exec(rest);
    if (m === null) return null;
    const digits = m[0];
    value = digits.length > 1 && digits[1] !== "x" && digits[1] !== "X" &&
        digits[0] === "0"
      ? parseInt(digits, 8)
      : Number(digits);
    if (value > 0xffffffff) return null;
    rest = rest.slice(digits.length);
    if (rest[0] !== ".") break;
    if (parts.length > 2 || value > 0xff) return null;
    parts.push(value);
    rest = rest.slice(1);
  }
  if (rest !== "" && !C_SPACE.test(rest)) return null;
  if (value > ATON_MAX[parts.length]!) return null;
  const out = new Uint8Array(4);
  out.set(parts);
  const tail = new DataView(out.buffer);
  // The last part fills the bytes the others left, big-endian.
  const width = 4 - parts.length;
  for (let i = 0; i < width; i++) {
    tail.setUint8(3 - i, Math.floor(value / 2 ** (8 * i)) & 0xff);
  }
  return out;
}

/**
 * An IPv4 address in dotted form to its 4 packed bytes, as Python's
 * `socket.inet_aton()`. It takes what C's `inet_aton()` takes: one to four
 * parts (`127.1` is `127.0.0.1`), each decimal, octal (`0377`) or hex
 * (`0xff`), and ignores what follows a space.
 *
 * @param ip_string The address, such as `"192.168.0.1"`.
 * @returns 4 bytes in network order.
 * @throws {OSError} When the text is no IPv4 address: Python's `illegal IP
 *   address string passed to inet_aton` (errno EINVAL here, none in Python).
 * @throws {TypeError} When `ip_string` is not a string.
 * @throws {RangeError} When it holds a NUL character (Python's ValueError).
 *
 * @example Usage
 * ```ts
 * import { inet_aton, OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.deepEqual(inet_aton("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
 * assert.deepEqual(inet_aton("127.1"), new Uint8Array([127, 0, 0, 1]));
 * assert.throws(() => inet_aton("256.1.1.1"), OSError);
 * ```
 */
export function inet_aton(ip_string: string): Uint8Array<ArrayBuffer> {
  const packed = aton(text_arg(ip_string, "inet_aton"));
  if (packed === null) throw illegal("inet_aton");
  return packed;
}

/**
 * 4 packed bytes to an IPv4 address in dotted form, as Python's
 * `socket.inet_ntoa()`.
 *
 * @param packed_ip 4 bytes in network order.
 * @returns The dotted form, such as `"127.0.0.1"`.
 * @throws {OSError} When `packed_ip` does not hold exactly 4 bytes: Python's
 *   `packed IP wrong length for inet_ntoa` (errno EINVAL here).
 * @throws {TypeError} When `packed_ip` is not bytes.
 *
 * @example Usage
 * ```ts
 * import { inet_ntoa } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(inet_ntoa(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * ```
 */
export function inet_ntoa(packed_ip: ArrayBuffer | ArrayBufferView): string {
  const bytes = bytes_arg(packed_ip, "inet_ntoa");
  if (bytes.length !== 4) {
    throw new OSError(EINVAL, "packed IP wrong length for inet_ntoa");
  }
  return bytes.join(".");
}

// inet_pton's IPv4 form: exactly four decimal parts 0-255, no leading zero.
const PTON4 = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;

function pton4(text: string): Uint8Array<ArrayBuffer> | null {
  if (!PTON4.test(text)) return null;
  const parts = text.split(".").map(Number);
  return parts.every((p) => p <= 255) ? new Uint8Array(parts) : null;
}

const HEX_DIGIT = /^[0-9a-fA-F]$/;

// glibc's inet_pton6: hex groups of up to four digits, one "::" at most, an
// IPv4 tail in the last 4 bytes; no zone ("%eth0"), no brackets.
function pton6(text: string): Uint8Array<ArrayBuffer> | null {
  const out = new Uint8Array(16);
  let i = 0;
  if (text[0] === ":") {
    if (text[1] !== ":") return null;
    i = 1;
  }
  let token = i;
  let fill = -1; // where "::" stands, in bytes
  let at = 0;
  let digits = 0;
  let value = 0;
  while (i < text.length) {
    const ch = text[i++]!;
    const hex = HEX_DIGIT.test(ch) ? parseInt(ch, 16) : -1;
    if (hex >= 0) {
      if (++digits > 4) return null;
      value = (value << 4) | hex;
      continue;
    }
    if (ch === ":") {
      token = i;
      if (digits === 0) {
        if (fill >= 0) return null;
        fill = at;
        continue;
      }
      if (i === text.length || at + 2 > 16) return null;
      out[at++] = value >> 8;
      out[at++] = value & 0xff;
      digits = 0;
      value = 0;
      continue;
    }
    if (ch === "." && at + 4 <= 16) {
      const v4 = pton4(text.slice(token));
      if (v4 === null) return null;
      out.set(v4, at);
      at += 4;
      digits = 0;
      break;
    }
    return null;
  }
  if (digits > 0) {
    if (at + 2 > 16) return null;
    out[at++] = value >> 8;
    out[at++] = value & 0xff;
  }
  if (fill >= 0) {
    if (at === 16) return null;
    const moved = out.slice(fill, at);
    out.fill(0, fill);
    out.set(moved, 16 - moved.length);
    at = 16;
  }
  return at === 16 ? out : null;
}

/**
 * An IPv4 or IPv6 address in text form to its packed bytes, as Python's
 * `socket.inet_pton()`. Stricter than {@linkcode inet_aton}: IPv4 takes
 * exactly four decimal parts, and no zone suffix (`%lo`) is accepted.
 *
 * @param address_family `AF_INET` or `AF_INET6`.
 * @param ip_string The address, such as `"::1"`.
 * @returns 4 bytes (`AF_INET`) or 16 bytes (`AF_INET6`) in network order.
 * @throws {OSError} When the text is no address of that family: Python's
 *   `illegal IP address string passed to inet_pton` (errno EINVAL here);
 *   EAFNOSUPPORT (97) for another family.
 * @throws {TypeError} When `ip_string` is not a string.
 * @throws {RangeError} When it holds a NUL character (Python's ValueError).
 *
 * @example Usage
 * ```ts
 * import { AF_INET, AF_INET6, inet_pton } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.deepEqual(inet_pton(AF_INET, "10.0.0.1"), new Uint8Array([10, 0, 0, 1]));
 * assert.equal(inet_pton(AF_INET6, "::1").length, 16);
 * ```
 */
export function inet_pton(
  address_family: number,
  ip_string: string,
): Uint8Array<ArrayBuffer> {
  if (address_family !== AF_INET && address_family !== AF_INET6) {
    text_arg(ip_string, "inet_pton");
    throw new OSError(EAFNOSUPPORT);
  }
  const text = text_arg(ip_string, "inet_pton");
  const packed = address_family === AF_INET ? pton4(text) : pton6(text);
  if (packed === null) throw illegal("inet_pton");
  return packed;
}

// glibc's inet_ntop6: the longest run (the first of equals) of two or more
// zero groups becomes "::"; an IPv4-compatible or -mapped address ends in
// dotted form.
function ntop6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (
      i === 6 && best.base === 0 &&
      (best.len === 6 || (best.len === 5 && words[5] === 0xffff))
    ) {
      out += bytes.subarray(12).join(".");
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ":";
  return out;
}

/**
 * Packed bytes to an IPv4 or IPv6 address in text form, as Python's
 * `socket.inet_ntop()`: IPv6 in its shortest form (`2001:db8::1`).
 *
 * @param address_family `AF_INET` or `AF_INET6`.
 * @param packed_ip 4 or 16 bytes in network order.
 * @returns The text form.
 * @throws {RangeError} When the length does not fit the family, or the
 *   family is neither (Python's ValueError).
 * @throws {TypeError} When `packed_ip` is not bytes.
 *
 * @example Usage
 * ```ts
 * import { AF_INET6, inet_ntop } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const packed = new Uint8Array(16);
 * packed[15] = 1;
 * assert.equal(inet_ntop(AF_INET6, packed), "::1");
 * ```
 */
export function inet_ntop(
  address_family: number,
  packed_ip: ArrayBuffer | ArrayBufferView,
): string {
  const bytes = bytes_arg(packed_ip, "inet_ntop");
  const size = address_family === AF_INET
    ? 4
    : address_family === AF_INET6
    ? 16
    : undefined;
  if (size === undefined) {
    throw new RangeError(
      `Cannot convert address with inet_ntop(): unknown address family ${
        _show(address_family)
      }`,
    );
  }
  if (bytes.length !== size) {
    throw new RangeError(
      `Cannot convert address with inet_ntop(): invalid length of packed IP address string, received ${bytes.length} bytes for ${
        size === 4 ? "AF_INET" : "AF_INET6"
      }`,
    );
  }
  return size === 4 ? bytes.join(".") : ntop6(bytes);
}

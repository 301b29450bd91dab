/**
 * Length-prefixed messages over a stream socket: the fix for the
 * "sticky packet" problem. TCP keeps no message boundaries: two `send`s may
 * arrive as one `recv`, one `send` as two. {@linkcode send_msg} puts a 4-byte
 * big-endian length before each message, {@linkcode recv_msg} reads exactly
 * one message back. The format is Python's
 * `sock.sendall(struct.pack("!I", len(data)) + data)`, so a Python peer can
 * speak it.
 *
 * @example Two messages that would otherwise stick together
 * ```ts
 * import { recv_msg, send_msg, socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * await send_msg(a, "hello");
 * await send_msg(a, "world");
 * const first = await recv_msg(b);
 * assert.equal(new TextDecoder().decode(first!), "hello");
 * const second = await recv_msg(b);
 * assert.equal(new TextDecoder().decode(second!), "world");
 * ```
 * @module
 */
import { EMSGSIZE, EPROTO } from "./errno.ts";
import { ConnectionError, OSError } from "./errors.ts";
import { _as_bytes } from "./_bytes.ts";
import { _Serial } from "./_serial.ts";

/**
 * The default `max_size` of {@linkcode send_msg} and {@linkcode recv_msg}:
 * 16 MiB. A longer message needs `max_size` on both sides.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_MAX_MSG_SIZE } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_MAX_MSG_SIZE, 16 * 1024 * 1024);
 * ```
 */
export const DEFAULT_MAX_MSG_SIZE: number = 16 * 1024 * 1024;

/** Largest length the 4-byte prefix can carry. */
const MAX_LENGTH = 0xffffffff;
/** Messages up to this size go out with their header in one `sendall`. */
const COALESCE_LIMIT = 64 * 1024;
/** Receive size when the socket has no `recv_into`. */
const RECV_CHUNK = 1024 * 1024;

/**
 * What {@linkcode send_msg} needs: a `sendall`. `Socket` fits.
 *
 * @example Usage
 * ```ts
 * import type { MsgSender } from "@pysock/pysock/net";
 * const sent: Uint8Array[] = [];
 * const sender: MsgSender = {
 *   sendall: (data) => {
 *     sent.push(data.slice());
 *     return Promise.resolve();
 *   },
 * };
 * ```
 */
export interface MsgSender {
  /**
   * Sends every byte of `data`, or throws.
   * @param data The bytes to send.
   */
  sendall(data: Uint8Array): Promise<void>;
}

/**
 * What {@linkcode recv_msg} needs: a `recv`, and `recv_into` when it has one
 * (then each payload is received straight into its final buffer). `Socket`
 * fits.
 *
 * @example Usage
 * ```ts
 * import type { MsgReceiver } from "@pysock/pysock/net";
 * const receiver: MsgReceiver = {
 *   recv: (_bufsize) => Promise.resolve(new Uint8Array()),
 * };
 * ```
 */
export interface MsgReceiver {
  /**
   * Receives up to `bufsize` bytes; an empty array means end of file.
   * @param bufsize The most bytes to return.
   */
  recv(bufsize: number): Promise<Uint8Array>;
  /**
   * Receives up to `nbytes` bytes into `buffer`; 0 means end of file.
   * @param buffer Where to put the bytes.
   * @param nbytes The most bytes to receive.
   */
  recv_into?(buffer: Uint8Array<ArrayBuffer>, nbytes?: number): Promise<number>;
}

/**
 * Options of {@linkcode send_msg} and {@linkcode recv_msg}.
 *
 * @example Allowing 100 MiB messages
 * ```ts
 * import type { MsgOptions } from "@pysock/pysock/net";
 * const options: MsgOptions = { max_size: 100 * 1024 * 1024 };
 * ```
 */
export interface MsgOptions {
  /**
   * The longest payload allowed, in bytes: 0 to 4294967295. Default
   * {@linkcode DEFAULT_MAX_MSG_SIZE} (16 MiB).
   */
  max_size?: number;
}

/**
 * The peer closed the connection in the middle of a message (inside its
 * 4-byte header or its payload). A `ConnectionError` with Linux's EPROTO
 * (71); `received` of `expected` bytes of the `part` had arrived.
 *
 * @example Usage
 * ```ts
 * import { ConnectionError, IncompleteMessageError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const err = new IncompleteMessageError("payload", 3, 10);
 * assert.ok(err instanceof ConnectionError);
 * assert.equal(err.errno, 71);
 * assert.equal(
 *   err.message,
 *   "[Errno 71] Cannot receive message: connection closed after 3 of 10 payload bytes",
 * );
 * ```
 */
export class IncompleteMessageError extends ConnectionError {
  /** Which part was cut short: the length header or the payload. */
  readonly part: "header" | "payload";
  /** How many bytes of that part arrived. */
  readonly received: number;
  /** How many bytes that part has. */
  readonly expected: number;
  /**
   * Makes the error; its errno is EPROTO (71).
   *
   * @param part `"header"` or `"payload"`.
   * @param received Bytes of it that arrived.
   * @param expected Bytes it has.
   * @param options Standard error options.
   */
  constructor(
    part: "header" | "payload",
    received: number,
    expected: number,
    options?: ErrorOptions,
  ) {
    super(
      EPROTO,
      `Cannot receive message: connection closed after ${received} of ${expected} ${part} bytes`,
      options,
    );
    this.part = part;
    this.received = received;
    this.expected = expected;
  }
}

/**
 * Sends one message: a 4-byte big-endian length, then `data`. Small messages
 * (up to 64 KiB) go out in a single `sendall`, so Nagle's algorithm cannot
 * hold the payload back behind its header; larger ones in two, without
 * copying. Concurrent calls on one socket are sent one after the other.
 *
 * @param sock A connected stream socket (anything with `sendall`).
 * @param data The payload; a string is sent as UTF-8.
 * @param options `max_size`: refuse payloads longer than this (default 16
 * MiB), so that the default receiver never has to refuse them.
 * @throws {TypeError} When `data` is not a string or a `BufferSource`.
 * @throws {RangeError} When `data` is longer than `max_size`, or `max_size`
 * is not an integer from 0 to 4294967295.
 * @throws {OSError} What `sendall` throws.
 *
 * @example Sending a file's size, then the file
 * ```ts
 * import { recv_msg, send_msg, socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const content = new Uint8Array(100_000).fill(7);
 * await send_msg(a, JSON.stringify({ name: "x.bin", size: content.length }));
 * await send_msg(a, content);
 * const head = JSON.parse(new TextDecoder().decode((await recv_msg(b))!));
 * assert.equal(head.size, 100_000);
 * assert.deepEqual(await recv_msg(b), content);
 * ```
 */
export async function send_msg(
  sock: MsgSender,
  data: string | ArrayBuffer | ArrayBufferView,
  options: MsgOptions = {},
): Promise<void> {
  const max = check_max_size("send", options?.max_size);
  check_sock("send", sock, "sendall");
  const payload = _as_bytes(data, true);
  if (payload === null) {
    throw new TypeError(
      `Cannot send message: data must be a string or a BufferSource, received ${
        data === null ? "null" : typeof data
      }`,
    );
  }
  const length = payload.length;
  if (length > max) {
    throw new RangeError(
      `Cannot send message: data is ${length} bytes, over max_size ${max}`,
    );
  }
  if (length <= COALESCE_LIMIT) {
    const frame = new Uint8Array(4 + length);
    new DataView(frame.buffer).setUint32(0, length);
    frame.set(payload, 4);
    await serial(send_tails, sock, () => sock.sendall(frame));
    return;
  }
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, length);
  await serial(send_tails, sock, async () => {
    await sock.sendall(header);
    await sock.sendall(payload);
  });
}

/**
 * Receives one message sent by {@linkcode send_msg} (or by any peer that
 * writes a 4-byte big-endian length, then the payload).
 *
 * The length is checked against `max_size` before anything is allocated: a
 * hostile prefix cannot make it reserve 4 GiB. A receive that throws (a
 * `TimeoutError`, a length over `max_size`) loses nothing: the next
 * `recv_msg` on that socket resumes the same message, so a retry with a
 * larger `max_size` works. Concurrent calls on one socket are served one
 * after the other.
 *
 * @param sock A connected stream socket (anything with `recv`; `recv_into`
 * is used when present).
 * @param options `max_size`: the longest payload accepted (default 16 MiB).
 * @returns The payload, or `null` when the peer closed the connection
 * cleanly between messages.
 * @throws {OSError} With errno EMSGSIZE (90) when the length is over
 * `max_size`; the payload is left unread.
 * @throws {IncompleteMessageError} When the connection closes inside a
 * message.
 * @throws {RangeError} When `max_size` is not an integer from 0 to
 * 4294967295.
 * @throws {OSError} What the socket throws (`TimeoutError`...).
 *
 * @example Refusing an oversized message
 * ```ts
 * import { EMSGSIZE, OSError, recv_msg, send_msg, socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * await send_msg(a, new Uint8Array(2000));
 * await assert.rejects(
 *   recv_msg(b, { max_size: 1000 }),
 *   (err) => err instanceof OSError && err.errno === EMSGSIZE,
 * );
 * assert.equal((await recv_msg(b, { max_size: 4000 }))!.length, 2000);
 * await a.close();
 * assert.equal(await recv_msg(b), null);
 * ```
 */
export async function recv_msg(
  sock: MsgReceiver,
  options: MsgOptions = {},
): Promise<Uint8Array | null> {
  const max = check_max_size("receive", options?.max_size);
  check_sock("receive", sock, "recv");
  return await serial(recv_tails, sock, () => recv_one(sock, max));
}

// A message being received: kept across calls so that an error loses nothing.
interface Partial {
  header: Uint8Array<ArrayBuffer>;
  hgot: number;
  payload: Uint8Array<ArrayBuffer> | null;
  pgot: number;
}

const pending = new WeakMap<object, Partial>();
const recv_tails = new WeakMap<object, _Serial>();
const send_tails = new WeakMap<object, _Serial>();

async function recv_one(
  sock: MsgReceiver,
  max: number,
): Promise<Uint8Array | null> {
  let st = pending.get(sock);
  if (st === undefined) {
    st = { header: new Uint8Array(4), hgot: 0, payload: null, pgot: 0 };
    pending.set(sock, st);
  }
  while (st.hgot < 4) {
    const n = await recv_some(sock, st.header, st.hgot);
    if (n === 0) {
      pending.delete(sock);
      if (st.hgot === 0) return null;
      throw new IncompleteMessageError("header", st.hgot, 4);
    }
    st.hgot += n;
  }
  const length = new DataView(st.header.buffer).getUint32(0);
  if (length > max) {
    throw new OSError(
      EMSGSIZE,
      `Cannot receive message: length ${length} is over max_size ${max}`,
    );
  }
  st.payload ??= new Uint8Array(length);
  while (st.pgot < length) {
    const n = await recv_some(sock, st.payload, st.pgot);
    if (n === 0) {
      pending.delete(sock);
      throw new IncompleteMessageError("payload", st.pgot, length);
    }
    st.pgot += n;
  }
  pending.delete(sock);
  return st.payload;
}

// Receives into buf[at..], never past its end (the next message follows).
async function recv_some(
  sock: MsgReceiver,
  buf: Uint8Array<ArrayBuffer>,
  at: number,
): Promise<number> {
  const want = buf.length - at;
  if (typeof sock.recv_into === "function") {
    return await sock.recv_into(buf.subarray(at), want);
  }
  const chunk = await sock.recv(Math.min(want, RECV_CHUNK));
  buf.set(chunk, at);
  return chunk.length;
}

function check_max_size(action: string, max_size: unknown): number {
  if (max_size === undefined) return DEFAULT_MAX_MSG_SIZE;
  if (typeof max_size !== "number") {
    throw new TypeError(
      `Cannot ${action} message: max_size must be a number, received ${typeof max_size}`,
    );
  }
  if (!Number.isInteger(max_size) || max_size < 0 || max_size > MAX_LENGTH) {
    throw new RangeError(
      `Cannot ${action} message: max_size must be an integer from 0 to ${MAX_LENGTH}, received ${max_size}`,
    );
  }
  return max_size;
}

function check_sock(action: string, sock: unknown, method: string): void {
  if (
    sock === null || typeof sock !== "object" ||
    typeof (sock as Record<string, unknown>)[method] !== "function"
  ) {
    throw new TypeError(
      `Cannot ${action} message: sock must have a ${method}() method, received ${
        sock === null ? "null" : typeof sock
      }`,
    );
  }
}

// Runs fn after the previous call on the same socket has settled.
function serial<T>(
  serials: WeakMap<object, _Serial>,
  key: object,
  fn: () => Promise<T>,
): Promise<T> {
  let queue = serials.get(key);
  if (queue === undefined) serials.set(key, queue = new _Serial());
  return queue.run(fn);
}

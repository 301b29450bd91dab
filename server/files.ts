/**
 * The file-like objects a request handler reads and writes: `wfile` over a
 * connection ({@linkcode SocketWriter}) and the in-memory `rfile`/`wfile` of a
 * datagram handler ({@linkcode BytesReader}, {@linkcode BytesWriter}).
 *
 * @example A wfile over one end of a pair
 * ```ts
 * import { SocketWriter } from "@pysock/pysock/server";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const wfile = new SocketWriter(a);
 * assert.equal(await wfile.write("hi"), 2);
 * assert.equal(new TextDecoder().decode(await b.recv(2)), "hi");
 * ```
 * @module
 */
import type { Data, Socket } from "../net/mod.ts";

const encoder = new TextEncoder();

// Marks a promise handled: a write need not be awaited, and an unawaited
// failure must not end the process (flush() and finish() report it).
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

function ignore(): void {}

function to_bytes(
  data: Data,
  action: string,
): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (
    (data as unknown) instanceof ArrayBuffer ||
    (data as unknown) instanceof SharedArrayBuffer
  ) {
    return new Uint8Array(data as ArrayBufferLike);
  }
  throw new TypeError(
    `Cannot ${action}: data must be a Uint8Array, a BufferSource or a string, received ${typeof data}`,
  );
}

/**
 * The `wfile` of a {@linkcode StreamRequestHandler}: writes to the
 * connection in order. With `bufsize` 0 (the default, Python's
 * `wbufsize = 0`) each `write()` starts sending at once; a write need not be
 * awaited, the next one queues behind it and `flush()` waits for all. A
 * positive `bufsize` collects writes until that many bytes are buffered.
 * `finish()` flushes and closes it, so nothing written is lost.
 *
 * @example Usage
 * ```ts
 * import { SocketWriter } from "@pysock/pysock/server";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const wfile = new SocketWriter(a);
 * wfile.write("one ");
 * wfile.write("two");
 * await wfile.flush();
 * assert.equal(new TextDecoder().decode(await b.recv(100)), "one two");
 * ```
 */
export class SocketWriter {
  #sock: Socket;
  #bufsize: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  // The socket's sendall() keeps call order: the last one settles last.
  #last: Promise<unknown> | null = null;
  #error: unknown = null;
  #closed = false;

  /**
   * Makes a writer over `sock`.
   *
   * @param sock The connection to write to.
   * @param bufsize Bytes to collect before sending; 0 sends each write at
   *   once, a negative number means 8192.
   */
  constructor(sock: Socket, bufsize: number = 0) {
    this.#sock = sock;
    this.#bufsize = bufsize < 0 ? 8192 : bufsize;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The connection's file number, as Python's `wfile.fileno()`.
   *
   * @returns The request socket's `fileno()`.
   */
  fileno(): number {
    return this.#sock.fileno();
  }

  /**
   * Writes `data`. Do not change a buffer before its write resolved.
   *
   * @param data Bytes, or a string sent as UTF-8.
   * @returns The number of bytes written, once they were handed to the
   *   socket (at once when buffered).
   * @throws {RangeError} When the writer is closed.
   * @throws {OSError} When an earlier send failed.
   */
  write(data: Data): Promise<number> {
    if (this.#closed) {
      return handled(
        Promise.reject(new RangeError("Cannot write: the file is closed")),
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = to_bytes(data, "write");
    } catch (error) {
      return handled(Promise.reject(error));
    }
    const n = bytes.byteLength;
    if (this.#error !== null) return handled(Promise.reject(this.#error));
    if (this.#bufsize > 0) {
      this.#chunks.push(bytes.slice());
      this.#buffered += n;
      if (this.#buffered < this.#bufsize) return Promise.resolve(n);
      return handled(this.#drain().then(() => n));
    }
    // Straight into the socket's own send queue, which keeps the order.
    return this.#send(bytes, n);
  }

  // Sends the buffered chunks as one write.
  #drain(): Promise<unknown> {
    if (this.#chunks.length === 0) return this.#last ?? Promise.resolve();
    const chunks = this.#chunks;
    this.#chunks = [];
    const size = this.#buffered;
    this.#buffered = 0;
    let joined: Uint8Array;
    if (chunks.length === 1) {
      joined = chunks[0]!;
    } else {
      joined = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        joined.set(c, at);
        at += c.byteLength;
      }
    }
    return this.#send(joined, size);
  }

  // Resolves to `n` once the socket took `chunk`. A failure is kept for
  // flush() and later writes, and never left unhandled.
  #send(chunk: Uint8Array, n: number): Promise<number> {
    const sent = this.#sock.sendall(chunk).then(() => n, this.#failed);
    this.#last = sent;
    sent.catch(ignore);
    return sent;
  }

  #failed = (error: unknown): never => {
    this.#error ??= error;
    throw error;
  };

  /**
   * Sends everything written so far.
   *
   * @returns A Promise that resolves once every byte was handed to the
   *   socket.
   * @throws {OSError} When a send failed.
   */
  async flush(): Promise<void> {
    await this.#drain().catch(ignore);
    if (this.#error !== null) throw this.#error;
  }

  /**
   * Flushes, then marks the writer closed; the connection stays open.
   * Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
    }
  }
}

/**
 * Python's `io.BytesIO` as a datagram handler's `rfile`: reads the packet.
 * `readline()` keeps the `"\n"` and returns an empty array at the end.
 *
 * @example Usage
 * ```ts
 * import { BytesReader } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 * const rfile = new BytesReader(new TextEncoder().encode("a\nb"));
 * assert.deepEqual(rfile.readline(), new TextEncoder().encode("a\n"));
 * assert.deepEqual(rfile.read(), new TextEncoder().encode("b"));
 * assert.equal(rfile.readline().length, 0);
 * ```
 */
export class BytesReader {
  #data: Uint8Array;
  #at = 0;

  /**
   * Makes a reader over `data`.
   *
   * @param data The bytes to read; not copied.
   */
  constructor(data: Uint8Array) {
    this.#data = data;
  }

  /**
   * Reads up to `n` bytes, or all that is left when `n` is omitted or
   * negative.
   *
   * @param n The most bytes to read.
   * @returns The bytes; an empty array at the end.
   */
  read(n: number = -1): Uint8Array {
    const end = n < 0
      ? this.#data.length
      : Math.min(this.#at + n, this.#data.length);
    const out = this.#data.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /**
   * Reads one line, with its `"\n"`.
   *
   * @param limit The most bytes to return; negative means no limit.
   * @returns The line; an empty array at the end.
   */
  readline(limit: number = -1): Uint8Array {
    const nl = this.#data.indexOf(10, this.#at);
    let end = nl < 0 ? this.#data.length : nl + 1;
    if (limit >= 0) end = Math.min(end, this.#at + limit);
    const out = this.#data.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /**
   * Reads every remaining line.
   *
   * @returns The lines, each with its `"\n"`.
   */
  readlines(): Uint8Array[] {
    const lines: Uint8Array[] = [];
    for (const line of this) lines.push(line);
    return lines;
  }

  /** The whole packet, whatever was read. */
  getvalue(): Uint8Array {
    return this.#data;
  }

  /** Iterates over the remaining lines. */
  *[Symbol.iterator](): IterableIterator<Uint8Array> {
    while (true) {
      const line = this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Iterates over the remaining lines, for `for await`. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    yield* this[Symbol.iterator]();
  }
}

/**
 * Python's `io.BytesIO` as a datagram handler's `wfile`: collects the reply,
 * which `DatagramRequestHandler.finish()` sends back as one datagram.
 *
 * @example Usage
 * ```ts
 * import { BytesWriter } from "@pysock/pysock/server";
 * import assert from "node:assert/strict";
 * const wfile = new BytesWriter();
 * wfile.write("a");
 * wfile.write(new Uint8Array([98]));
 * assert.equal(new TextDecoder().decode(wfile.getvalue()), "ab");
 * ```
 */
export class BytesWriter {
  #chunks: Uint8Array[] = [];
  #size = 0;

  /**
   * Appends `data`.
   *
   * @param data Bytes, or a string written as UTF-8.
   * @returns The number of bytes written.
   */
  write(data: Data): number {
    const bytes = to_bytes(data, "write").slice();
    this.#chunks.push(bytes);
    this.#size += bytes.byteLength;
    return bytes.byteLength;
  }

  /** Does nothing: the bytes are kept until `finish()` sends them. */
  flush(): void {}

  /** Everything written, as one array. */
  getvalue(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.#chunks = [out];
    return out;
  }
}

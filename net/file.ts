/**
 * Python's `socket.makefile()`: a buffered file over a connected socket, with
 * `readline()`, `read(n)`, `write()` and `flush()`, in bytes (`"rb"`) or text
 * (`"r"`, UTF-8 by default) mode. Reads are buffered in chunks of
 * `buffering` bytes; what a read does not return stays buffered for the next
 * one, also when a receive times out.
 *
 * @example Reading lines
 * ```ts
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * await a.sendall(new TextEncoder().encode("hello\nworld\n"));
 * await using f = b.makefile("r", { encoding: "utf-8" });
 * assert.equal(await f.readline(), "hello\n");
 * assert.equal(await f.readline(), "world\n");
 * ```
 * @module
 */
import { EBADF } from "./errno.ts";
import { OSError } from "./errors.ts";

/**
 * What {@linkcode SocketFile} needs from a socket: `recv` and `sendall`, and
 * optionally `fileno` (for `name` and `fileno()`) and `_decref_socketios`
 * (called once when the file closes, as CPython's socket counts its files).
 * `Socket` from this module fits.
 *
 * @example A socket-like object over two arrays
 * ```ts
 * import { type FileSocket, SocketFile } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const incoming = [new TextEncoder().encode("a\n")];
 * const sent: Uint8Array[] = [];
 * const sock: FileSocket = {
 *   recv: (_bufsize) => Promise.resolve(incoming.shift() ?? new Uint8Array()),
 *   sendall: (data) => {
 *     sent.push(data.slice());
 *     return Promise.resolve();
 *   },
 * };
 * await using f = new SocketFile(sock, "rw");
 * assert.equal(await f.readline(), "a\n");
 * await f.write("b\n");
 * await f.flush();
 * assert.equal(new TextDecoder().decode(sent[0]), "b\n");
 * ```
 */
export interface FileSocket {
  /**
   * Receives up to `bufsize` bytes; an empty array means end of file.
   * @param bufsize The most bytes to return.
   */
  recv(bufsize: number): Promise<Uint8Array>;
  /**
   * Sends every byte of `data`, or throws.
   * @param data The bytes to send.
   */
  sendall(data: Uint8Array): Promise<void>;
  /** The socket's file number, or -1 once closed. */
  fileno?(): number;
  /** Called once when the file closes: CPython's reference count of files. */
  _decref_socketios?(): unknown;
}

/**
 * Options of {@linkcode SocketFile} (and of `Socket.prototype.makefile`),
 * with Python's keyword names. `null` means Python's `None` (the default).
 *
 * @example Text mode with CRLF line endings
 * ```ts
 * import type { MakefileOptions } from "@pysock/pysock/net";
 * const options: MakefileOptions = { encoding: "utf-8", newline: "\r\n" };
 * ```
 */
export interface MakefileOptions {
  /**
   * Buffer size in bytes: the receive size of reads, and how much `write()`
   * gathers before sending. `0` (binary modes only) means unbuffered: each
   * `write()` is sent at once, each `read(n)` is a single `recv(n)`, and
   * `readline()` receives one byte at a time so that no byte after the line
   * is taken from the socket. Negative or `null`: 65536.
   */
  buffering?: number | null;
  /**
   * Text encoding (text modes only): `"utf-8"` (default), `"ascii"` or
   * `"latin-1"`; another label `TextDecoder` knows (`"gbk"`, `"utf-16le"`...)
   * works for reading only.
   */
  encoding?: string | null;
  /**
   * What to do with bytes that do not decode (text modes only): `"strict"`
   * (default: a `RangeError`, Python's `UnicodeDecodeError`) or `"replace"`
   * (U+FFFD, or `"?"` when encoding).
   */
  errors?: string | null;
  /**
   * Line endings (text modes only), as Python's `TextIOWrapper`: `null`
   * (default) reads `"\n"`, `"\r"` and `"\r\n"` as `"\n"`; `""` ends lines at
   * any of the three and keeps them as received; `"\n"`, `"\r"` or `"\r\n"`
   * end lines only there, and `write()` turns each `"\n"` into it.
   */
  newline?: string | null;
}

/**
 * What the read methods of a `SocketFile<M>` return: `Uint8Array` when the
 * mode `M` has a `"b"`, `string` otherwise (both when `M` is not known).
 *
 * @example Usage
 * ```ts
 * import type { FileData } from "@pysock/pysock/net";
 * const line: FileData<"rb"> = new Uint8Array([10]);
 * const text: FileData<"r"> = "\n";
 * ```
 */
export type FileData<M extends string> = string extends M ? string | Uint8Array
  : M extends `${string}b${string}` ? Uint8Array
  : string;

/**
 * A read on a file not open for reading, or a write on one not open for
 * writing: Python's `io.UnsupportedOperation` (errno EBADF, 9, as Linux gives
 * for reading a write-only descriptor).
 *
 * @example Usage
 * ```ts
 * import { OSError, UnsupportedOperation } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const err = new UnsupportedOperation("File not open for writing");
 * assert.ok(err instanceof OSError);
 * assert.equal(err.errno, 9);
 * ```
 */
export class UnsupportedOperation extends OSError {
  /**
   * Makes the error; its errno is EBADF (9).
   *
   * @param strerror What is not supported.
   * @param options Standard error options.
   */
  constructor(strerror: string, options?: ErrorOptions) {
    super(EBADF, strerror, options);
  }
}

/** Default buffer size of a socket file, in bytes. */
const DEFAULT_BUFFER_SIZE = 65536;
const EMPTY = new Uint8Array(0);
const NEWLINES: ReadonlySet<string | null> = new Set([
  null,
  "",
  "\n",
  "\r",
  "\r\n",
]);

/**
 * A file over a socket, as Python's `socket.makefile()` returns (a
 * `BufferedReader`/`BufferedWriter`, wrapped in a `TextIOWrapper` in text
 * mode). What blocks in Python returns a Promise. Usually made by
 * `sock.makefile(mode, options)`.
 *
 * In text mode decoding streams: a character split across two receives
 * decodes whole, and `read(n)`, `readline(limit)` and `write()`'s count are in
 * characters (code points, as Python's `len`). Closing the file flushes it but
 * leaves the socket open, as in Python.
 *
 * Errors from the socket (`TimeoutError`, `ConnectionResetError`...) reach
 * the caller unchanged; bytes received before the error stay buffered for the
 * next read. If `flush()` fails, the unsent buffered bytes are dropped (part
 * of them may have been sent).
 *
 * @typeParam M The mode string: it decides whether reads return `Uint8Array`
 * or `string` (see {@linkcode FileData}).
 *
 * @example Line-based request and reply
 * ```ts
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * await using client = a.makefile("rw");
 * await using server = b.makefile("rwb");
 * await client.write("ping\n");
 * await client.flush();
 * assert.deepEqual(await server.readline(), new TextEncoder().encode("ping\n"));
 * await server.write(new TextEncoder().encode("pong\n"));
 * await server.flush();
 * assert.equal(await client.readline(), "pong\n");
 * ```
 */
export class SocketFile<M extends string = string> {
  #sock: FileSocket;
  #mode: string;
  #reading: boolean;
  #writing: boolean;
  #binary: boolean;
  #raw: boolean;
  #bufsize: number;
  #closed = false;
  #closing: Promise<void> | null = null;
  // Binary read buffer: unread bytes are #buf[#pos..].
  #buf: Uint8Array = EMPTY;
  #pos = 0;
  // Text read buffer: unread text is #text[#tpos..], already decoded.
  #text = "";
  #tpos = 0;
  #codec: Codec | null;
  #encoding: string | null;
  #errors: string | null;
  #newline: string | null;
  #pendingCR = false;
  // Write buffer, allocated on the first buffered write.
  #wbuf: Uint8Array | null = null;
  #wlen = 0;
  // Calls run one at a time per direction, as Python's buffered files lock.
  #reads = new Serial();
  #writes = new Serial();

  /**
   * Makes a file over `sock`, as `sock.makefile(mode, options)`.
   *
   * @param sock A connected socket (anything with `recv` and `sendall`).
   * @param mode Letters `r` (read), `w` (write) and `b` (bytes), as Python;
   * without `b` the file is in text mode. `""` reads.
   * @param options Python's `buffering`, `encoding`, `errors`, `newline`.
   * @throws {TypeError} When `mode` is not a string or an option has the
   * wrong type.
   * @throws {RangeError} When `mode` has another letter, or an option has a
   * bad value (text options in binary mode, `buffering: 0` in text mode, an
   * unknown encoding).
   */
  constructor(
    sock: FileSocket,
    mode: M = "r" as M,
    options: MakefileOptions = {},
  ) {
    if (
      typeof sock?.recv !== "function" || typeof sock?.sendall !== "function"
    ) {
      throw new TypeError(
        "Cannot make file: sock must have recv() and sendall(), as a socket does",
      );
    }
    if (typeof mode !== "string") {
      throw new TypeError(
        `Cannot make file: mode must be a string, received ${typeof mode}`,
      );
    }
    if (!/^[rwb]*$/.test(mode)) {
      throw new RangeError(
        `Cannot make file: invalid mode "${mode}" (only r, w, b allowed)`,
      );
    }
    if (
      sock === null || typeof sock !== "object" && typeof sock !== "function"
    ) {
      throw new TypeError(
        `Cannot make file: sock must be a socket, received ${sock}`,
      );
    }
    const writing = mode.includes("w");
    const reading = mode.includes("r") || !writing;
    const binary = mode.includes("b");
    const { buffering, encoding, errors, newline } = options ?? {};
    let size = DEFAULT_BUFFER_SIZE;
    if (buffering !== undefined && buffering !== null) {
      if (typeof buffering !== "number") {
        throw new TypeError(
          `Cannot make file: buffering must be a number, received ${typeof buffering}`,
        );
      }
      if (!Number.isSafeInteger(buffering)) {
        throw new RangeError(
          `Cannot make file: buffering must be an integer, received ${buffering}`,
        );
      }
      if (buffering === 0 && !binary) {
        throw new RangeError(
          `Cannot make file: unbuffered streams must be binary, received mode "${mode}"`,
        );
      }
      if (buffering >= 0) size = buffering;
    }
    for (const [key, value] of Object.entries({ encoding, errors, newline })) {
      if (value === undefined || value === null) continue;
      if (typeof value !== "string") {
        throw new TypeError(
          `Cannot make file: ${key} must be a string, received ${typeof value}`,
        );
      }
      if (binary) {
        throw new RangeError(
          `Cannot make file: binary mode "${mode}" does not take ${
            key === "newline" ? "a" : "an"
          } ${key} argument`,
        );
      }
    }
    this.#sock = sock;
    this.#reading = reading;
    this.#writing = writing;
    this.#binary = binary;
    this.#raw = size === 0;
    this.#bufsize = size === 0 ? DEFAULT_BUFFER_SIZE : size;
    this.#mode = binary ? `${reading ? "r" : ""}${writing ? "w" : ""}b` : mode;
    if (binary) {
      this.#codec = null;
      this.#encoding = null;
      this.#errors = null;
      this.#newline = null;
    } else {
      const nl = newline ?? null;
      if (!NEWLINES.has(nl)) {
        throw new RangeError(
          `Cannot make file: illegal newline value ${JSON.stringify(nl)}`,
        );
      }
      this.#newline = nl;
      this.#errors = errors ?? "strict";
      if (this.#errors !== "strict" && this.#errors !== "replace") {
        throw new RangeError(
          `Cannot make file: errors must be "strict" or "replace", received "${this.#errors}"`,
        );
      }
      this.#encoding = encoding ?? "utf-8";
      this.#codec = make_codec(this.#encoding, this.#errors === "strict");
      if (writing && this.#codec.encode === null) {
        throw new RangeError(
          `Cannot make file: encoding "${this.#encoding}" can only be read, not written`,
        );
      }
    }
  }

  /** The mode: as given for text files, `"rb"`, `"wb"` or `"rwb"` for binary ones. */
  get mode(): string {
    return this.#mode;
  }

  /** The socket's file number, as Python's `name`; -1 if it has none. */
  get name(): number {
    return this.#sock.fileno?.() ?? -1;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The text encoding, or `null` for a binary file. */
  get encoding(): string | null {
    return this.#encoding;
  }

  /** The decoding error handler (`"strict"`, `"replace"`), or `null` for a binary file. */
  get errors(): string | null {
    return this.#errors;
  }

  /**
   * The socket's file number, so that `select()` accepts the file.
   * @returns The number, or -1 if the socket has none.
   * @throws {RangeError} When the file is closed.
   */
  fileno(): number {
    this.#check_closed();
    return this.#sock.fileno?.() ?? -1;
  }

  /**
   * Whether the file was opened for reading.
   * @returns `true` for modes with `r` (or without `w`).
   * @throws {RangeError} When the file is closed.
   */
  readable(): boolean {
    this.#check_closed();
    return this.#reading;
  }

  /**
   * Whether the file was opened for writing.
   * @returns `true` for modes with `w`.
   * @throws {RangeError} When the file is closed.
   */
  writable(): boolean {
    this.#check_closed();
    return this.#writing;
  }

  /**
   * Always `false`: a socket cannot seek.
   * @returns `false`.
   * @throws {RangeError} When the file is closed.
   */
  seekable(): boolean {
    this.#check_closed();
    return false;
  }

  /**
   * Reads up to `n` bytes (binary) or characters (text); fewer only at end of
   * file. With `n` negative or omitted, reads until end of file.
   *
   * @param n How much to read; -1 (or `null`) for everything.
   * @returns The data; empty at end of file.
   * @throws {RangeError} When the file is closed or `n` is not an integer.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws; received bytes stay buffered.
   */
  async read(n: number | null = -1): Promise<FileData<M>> {
    const count = this.#check_read("read", n, "n");
    return await this.#serial_read<string | Uint8Array>(() =>
      this.#binary ? this.#read_bytes(count) : this.#read_text(count)
    ) as FileData<M>;
  }

  /**
   * Reads one line, keeping its line ending (`"\n"`, or as `newline` says);
   * the last line of the stream may lack one.
   *
   * @param limit At most this many bytes (binary) or characters (text); -1
   * (or `null`) for no limit. A line longer than the buffer works either way.
   * @returns The line; empty at end of file.
   * @throws {RangeError} When the file is closed or `limit` is not an integer.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws; received bytes stay buffered.
   */
  readline(limit: number | null = -1): Promise<FileData<M>> {
    // Not async: one promise less per line on the hot path.
    let most: number;
    try {
      most = this.#check_read("read line", limit, "limit");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serial_read<string | Uint8Array>(() =>
      this.#binary ? this.#readline_bytes_any(most) : this.#readline_text(most)
    ) as Promise<FileData<M>>;
  }

  /**
   * Reads lines until end of file, or until they total `hint` bytes
   * (binary) or characters (text) or more.
   *
   * @param hint Stop once the lines read total this much; -1, 0 or `null`
   * for no limit.
   * @returns The lines.
   * @throws {RangeError} When the file is closed or `hint` is not an integer.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws; lines read before it are lost
   * with the call, the rest stays buffered.
   */
  async readlines(hint: number | null = -1): Promise<FileData<M>[]> {
    const most = this.#check_read("read lines", hint, "hint");
    const lines: FileData<M>[] = [];
    let total = 0;
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
      total += line.length;
      if (most > 0 && total >= most) return lines;
    }
  }

  /**
   * Reads into `buffer` until it is full or the stream ends (binary mode
   * only); unbuffered files (`buffering: 0`) do a single receive.
   *
   * @param buffer Where to put the bytes: a `Uint8Array` or another
   * `ArrayBufferView`.
   * @returns How many bytes were written into `buffer`; 0 at end of file.
   * @throws {TypeError} When the file is in text mode or `buffer` is not an
   * `ArrayBufferView`.
   * @throws {RangeError} When the file is closed.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws; received bytes stay buffered.
   */
  async readinto(buffer: ArrayBufferView): Promise<number> {
    this.#check_read("read into buffer", -1, "n");
    this.#need_binary("readinto");
    if (!ArrayBuffer.isView(buffer)) {
      throw new TypeError(
        `Cannot read into buffer: buffer must be an ArrayBufferView, received ${
          describe(buffer)
        }`,
      );
    }
    const target = new Uint8Array(
      buffer.buffer,
      buffer.byteOffset,
      buffer.byteLength,
    );
    return await this.#serial_read(() => this.#readinto(target));
  }

  /**
   * Reads up to `n` bytes with at most one receive (binary mode only), as
   * Python's `read1`: what is buffered, or else one `recv`.
   *
   * @param n The most bytes to return; -1 (or `null`) for the buffer size.
   * @returns The bytes; empty at end of file.
   * @throws {TypeError} When the file is in text mode.
   * @throws {RangeError} When the file is closed or `n` is not an integer.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws.
   */
  async read1(n: number | null = -1): Promise<Uint8Array> {
    let count = this.#check_read("read", n, "n");
    this.#need_binary("read1");
    if (count < 0) count = this.#bufsize;
    return await this.#serial_read(async () => {
      if (count === 0) return EMPTY;
      if (this.#pos >= this.#buf.length) {
        if (!await this.#fill_bytes(this.#raw ? count : this.#bufsize)) {
          return EMPTY;
        }
      }
      return this.#take(count);
    });
  }

  /**
   * Returns buffered bytes without consuming them (binary mode only),
   * receiving once if the buffer is empty. As in Python, the result may be
   * shorter or longer than `n`.
   *
   * @param n A hint; unused, as in Python.
   * @returns The buffered bytes; empty at end of file.
   * @throws {TypeError} When the file is in text mode.
   * @throws {RangeError} When the file is closed.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws.
   */
  async peek(n = 0): Promise<Uint8Array> {
    this.#check_read("peek", n, "n");
    this.#need_binary("peek");
    return await this.#serial_read(async () => {
      if (this.#pos >= this.#buf.length) {
        if (!await this.#fill_bytes(this.#bufsize)) return EMPTY;
      }
      return this.#buf.subarray(this.#pos);
    });
  }

  /**
   * Writes `data`: a `Uint8Array` (or other `ArrayBufferView`, or an
   * `ArrayBuffer`) in binary mode, a
   * string in text mode. Buffered data goes out when the buffer fills, on
   * `flush()` and on `close()`; with `buffering: 0` at once.
   *
   * @param data What to write.
   * @returns How many bytes (binary) or characters (text) were written: all.
   * @throws {TypeError} When `data` has the wrong type for the mode.
   * @throws {RangeError} When the file is closed, or a character cannot be
   * encoded with `errors: "strict"`.
   * @throws {UnsupportedOperation} When the file is not open for writing.
   * @throws {OSError} What the socket throws (`BrokenPipeError`...).
   */
  async write(
    data: string extends M ? string | Uint8Array | ArrayBufferView | ArrayBuffer
      : M extends `${string}b${string}`
        ? Uint8Array | ArrayBufferView | ArrayBuffer
      : string,
  ): Promise<number> {
    this.#check_closed();
    if (!this.#writing) {
      throw new UnsupportedOperation("File not open for writing");
    }
    let bytes: Uint8Array;
    let count: number;
    if (this.#binary) {
      if (ArrayBuffer.isView(data)) {
        bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } else if (data instanceof ArrayBuffer) {
        bytes = new Uint8Array(data);
      } else {
        throw new TypeError(
          `Cannot write to file: a bytes-like object is required, received ${
            describe(data)
          }`,
        );
      }
      count = bytes.length;
    } else {
      if (typeof data !== "string") {
        throw new TypeError(
          `Cannot write to file: data must be a string in text mode "${this.#mode}", received ${
            describe(data)
          }`,
        );
      }
      count = code_points(data);
      const nl = this.#newline;
      const text = nl === "\r" || nl === "\r\n"
        ? data.replaceAll("\n", nl)
        : data;
      bytes = this.#codec!.encode!(text);
    }
    if (bytes.length > 0) {
      await this.#serial_write(() => this.#write_bytes(bytes));
    }
    return count;
  }

  /**
   * Sends everything buffered by `write()`.
   *
   * @throws {RangeError} When the file is closed.
   * @throws {OSError} What the socket throws; the buffered bytes are dropped.
   */
  async flush(): Promise<void> {
    this.#check_closed();
    if (!this.#writing) return;
    await this.#serial_write(() => this.#flush_buffer());
  }

  /**
   * Flushes, then closes the file; idempotent. The socket stays open (close
   * it separately), as in Python.
   *
   * @throws {OSError} What the final flush throws; the file is closed anyway.
   */
  close(): Promise<void> {
    if (this.#closing === null) {
      this.#closed = true; // from now on, reads and writes are refused
      this.#closing = this.#close();
    }
    return this.#closing;
  }

  /** Closes the file, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Iterates over the lines until end of file, as Python's `for line in f`.
   *
   * @returns An async iterator of lines.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<FileData<M>, void> {
    // By hand, not an async generator: a line costs one promise, not four.
    let done = false;
    const end = (): IteratorReturnResult<void> => {
      done = true;
      return { done: true, value: undefined };
    };
    const it: AsyncIterableIterator<FileData<M>, void> = {
      next: () => {
        if (done) return Promise.resolve(end());
        return this.readline().then(
          (line): IteratorResult<FileData<M>, void> =>
            line.length === 0 ? end() : { done: false, value: line },
          (err) => {
            end();
            throw err;
          },
        );
      },
      return: () => Promise.resolve(end()),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  async #close(): Promise<void> {
    try {
      // Also waits for writes still in flight.
      if (this.#writing) await this.#serial_write(() => this.#flush_buffer());
    } finally {
      this.#buf = EMPTY;
      this.#pos = 0;
      this.#text = "";
      this.#tpos = 0;
      this.#wbuf = null;
      this.#wlen = 0;
      this.#sock._decref_socketios?.();
    }
  }

  #check_closed(): void {
    if (this.#closed) throw new RangeError("I/O operation on closed file");
  }

  #check_read(action: string, n: number | null, name: string): number {
    this.#check_closed();
    if (!this.#reading) {
      throw new UnsupportedOperation("File not open for reading");
    }
    if (n === null) return -1;
    if (typeof n !== "number") {
      throw new TypeError(
        `Cannot ${action}: ${name} must be a number, received ${typeof n}`,
      );
    }
    if (!Number.isSafeInteger(n)) {
      throw new RangeError(
        `Cannot ${action}: ${name} must be an integer, received ${n}`,
      );
    }
    return n;
  }

  #need_binary(method: string): void {
    if (!this.#binary) {
      throw new TypeError(
        `Cannot ${method}: the file is in text mode "${this.#mode}"; use a binary mode such as "rb"`,
      );
    }
  }

  #serial_read<T>(fn: () => Promise<T>): Promise<T> {
    return this.#reads.run(fn);
  }

  #serial_write<T>(fn: () => Promise<T>): Promise<T> {
    return this.#writes.run(fn);
  }

  // ---- binary reads ----

  // Receives one chunk into the (consumed) buffer; false at end of file.
  async #fill_bytes(size: number): Promise<boolean> {
    return this.#append(await this.#sock.recv(size));
  }

  // Appends a received chunk to what is left of the buffer; false for the
  // empty chunk of end of file.
  #append(chunk: Uint8Array): boolean {
    if (chunk.length === 0) return false;
    const rest = this.#buf.length - this.#pos;
    if (rest > 0) {
      this.#buf = concat(
        [this.#buf.subarray(this.#pos), chunk],
        rest + chunk.length,
      );
    } else {
      this.#buf = chunk;
    }
    this.#pos = 0;
    return true;
  }

  // Puts bytes a failed call had taken back in front of the buffer.
  #unread_bytes(parts: Uint8Array[]): void {
    if (parts.length === 0) return;
    parts.push(this.#buf.subarray(this.#pos));
    let total = 0;
    for (const p of parts) total += p.length;
    this.#buf = concat(parts, total);
    this.#pos = 0;
  }

  #take(n: number): Uint8Array {
    const end = Math.min(this.#pos + n, this.#buf.length);
    const out = this.#buf.subarray(this.#pos, end);
    this.#pos = end;
    return out;
  }

  async #read_bytes(n: number): Promise<Uint8Array> {
    if (n === 0) return EMPTY;
    const avail = this.#buf.length - this.#pos;
    if (n > 0 && avail >= n) return this.#take(n);
    if (this.#raw && n > 0) {
      // Python's unbuffered SocketIO.read: one receive, maybe short.
      if (avail > 0) return this.#take(avail);
      return await this.#sock.recv(n);
    }
    const parts: Uint8Array[] = [];
    let have = 0;
    if (avail > 0) {
      parts.push(this.#take(avail));
      have = avail;
    }
    for (;;) {
      let more: boolean;
      try {
        more = await this.#fill_bytes(this.#bufsize);
      } catch (err) {
        this.#unread_bytes(parts);
        throw err;
      }
      if (!more) break;
      const piece = this.#take(n < 0 ? Infinity : n - have);
      parts.push(piece);
      have += piece.length;
      if (n > 0 && have >= n) break;
    }
    return concat(parts, have);
  }

  // The common case first: no limit, a buffered file, an empty buffer.
  // One receive; a chunk that is exactly one line is the line, with no
  // copy and no view.
  #readline_bytes_any(limit: number): Promise<Uint8Array> {
    if (limit < 0 && !this.#raw && this.#pos >= this.#buf.length) {
      return this.#readline_recv();
    }
    return this.#readline_bytes(limit);
  }

  async #readline_recv(): Promise<Uint8Array> {
    const chunk = await this.#sock.recv(this.#bufsize);
    if (chunk.length === 0) return EMPTY;
    if (chunk.indexOf(10) === chunk.length - 1) return chunk;
    this.#append(chunk);
    return await this.#readline_bytes(-1);
  }

  async #readline_bytes(limit: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let have = 0;
    for (;;) {
      const buf = this.#buf;
      const pos = this.#pos;
      const nl = buf.indexOf(10, pos);
      let end = nl >= 0 ? nl + 1 : buf.length;
      let done = nl >= 0;
      if (limit >= 0 && have + end - pos >= limit) {
        end = pos + limit - have;
        done = true;
      }
      const piece = buf.subarray(pos, end);
      this.#pos = end;
      if (done) {
        if (parts.length === 0) return piece;
        parts.push(piece);
        return concat(parts, have + piece.length);
      }
      if (piece.length > 0) {
        parts.push(piece);
        have += piece.length;
      }
      let more: boolean;
      try {
        // Unbuffered: one byte at a time, so nothing past the line is taken.
        // (The receive is inlined: one async frame less per line.)
        more = this.#append(
          await this.#sock.recv(this.#raw ? 1 : this.#bufsize),
        );
      } catch (err) {
        this.#unread_bytes(parts);
        throw err;
      }
      if (!more) return concat(parts, have);
    }
  }

  async #readinto(target: Uint8Array): Promise<number> {
    let have = 0;
    while (have < target.length) {
      if (this.#pos >= this.#buf.length) {
        if (have > 0 && this.#raw) break;
        const size = this.#raw ? target.length - have : this.#bufsize;
        // Bytes already copied into target are the caller's: an error after
        // some of them would lose them, so report the count instead.
        let more: boolean;
        try {
          more = await this.#fill_bytes(size);
        } catch (err) {
          if (have > 0) break;
          throw err;
        }
        if (!more) break;
      }
      const piece = this.#take(target.length - have);
      target.set(piece, have);
      have += piece.length;
    }
    return have;
  }

  // ---- text reads ----

  // Receives and decodes one chunk; false at end of file.
  async #fill_text(): Promise<boolean> {
    const chunk = await this.#sock.recv(this.#bufsize);
    const more = chunk.length > 0;
    const codec = this.#codec!;
    let s = more ? codec.decode(chunk) : codec.flush();
    if (this.#newline === null) {
      // Universal newlines: hold a final "\r" back until we know whether
      // "\n" follows, then turn "\r\n" and "\r" into "\n".
      if (this.#pendingCR) {
        s = "\r" + s;
        this.#pendingCR = false;
      }
      if (more && s.endsWith("\r")) {
        this.#pendingCR = true;
        s = s.slice(0, -1);
      }
      if (s.includes("\r")) s = s.replace(/\r\n?/g, "\n");
    }
    const rest = this.#tpos < this.#text.length
      ? this.#text.slice(this.#tpos)
      : "";
    this.#text = rest + s;
    this.#tpos = 0;
    return more;
  }

  #unread_text(parts: string[]): void {
    if (parts.length === 0) return;
    parts.push(this.#text.slice(this.#tpos));
    this.#text = parts.join("");
    this.#tpos = 0;
  }

  async #read_text(n: number): Promise<string> {
    if (n === 0) return "";
    const parts: string[] = [];
    let have = 0;
    for (;;) {
      const t = this.#text;
      const pos = this.#tpos;
      if (n < 0) {
        if (pos < t.length) parts.push(t.slice(pos));
        this.#tpos = t.length;
      } else {
        const [end, got] = advance(t, pos, t.length, n - have);
        this.#tpos = end;
        have += got;
        if (have >= n) {
          if (parts.length === 0) return t.slice(pos, end);
          parts.push(t.slice(pos, end));
          return parts.join("");
        }
        if (end > pos) parts.push(t.slice(pos, end));
      }
      let more: boolean;
      try {
        more = await this.#fill_text();
      } catch (err) {
        this.#unread_text(parts);
        throw err;
      }
      if (!more) {
        // The decoder's last words (and a held "\r") came with the EOF.
        const t = this.#text;
        const pos = this.#tpos;
        const [end] = n < 0 ? [t.length] : advance(t, pos, t.length, n - have);
        parts.push(t.slice(pos, end));
        this.#tpos = end;
        return parts.join("");
      }
    }
  }

  // Index just after the first line ending at or after `pos`, or -1.
  #find_eol(t: string, pos: number, eof: boolean): number {
    switch (this.#newline) {
      case null:
      case "\n": {
        const i = t.indexOf("\n", pos);
        return i < 0 ? -1 : i + 1;
      }
      case "\r": {
        const i = t.indexOf("\r", pos);
        return i < 0 ? -1 : i + 1;
      }
      case "\r\n": {
        const i = t.indexOf("\r\n", pos);
        return i < 0 ? -1 : i + 2;
      }
      default: {
        // newline "": any of "\n", "\r", "\r\n" ends a line, kept as is.
        const i = t.indexOf("\n", pos);
        const j = t.indexOf("\r", pos);
        if (j < 0 || (i >= 0 && i < j)) return i < 0 ? -1 : i + 1;
        if (j + 1 < t.length) return t.charCodeAt(j + 1) === 10 ? j + 2 : j + 1;
        return eof ? j + 1 : -1;
      }
    }
  }

  async #readline_text(limit: number): Promise<string> {
    const parts: string[] = [];
    let have = 0;
    let eof = false;
    for (;;) {
      const t = this.#text;
      const pos = this.#tpos;
      const eol = this.#find_eol(t, pos, eof);
      // A final "\r" may be the first half of "\r\n": keep it for later.
      const hold = !eof && eol < 0 && t.length > pos &&
        (this.#newline === "" || this.#newline === "\r\n") &&
        t.charCodeAt(t.length - 1) === 13;
      let end = eol >= 0 ? eol : hold ? t.length - 1 : t.length;
      let done = eol >= 0 || eof;
      if (limit >= 0) {
        const [cut, got] = advance(t, pos, end, limit - have);
        have += got;
        if (have >= limit) {
          end = cut;
          done = true;
        }
      }
      this.#tpos = end;
      if (done) {
        if (parts.length === 0) return t.slice(pos, end);
        parts.push(t.slice(pos, end));
        return parts.join("");
      }
      if (end > pos) parts.push(t.slice(pos, end));
      try {
        eof = !await this.#fill_text();
      } catch (err) {
        this.#unread_text(parts);
        throw err;
      }
    }
  }

  // ---- writes ----

  async #write_bytes(bytes: Uint8Array): Promise<void> {
    if (this.#raw) return await this.#sock.sendall(bytes);
    const cap = this.#bufsize;
    if (this.#wlen + bytes.length <= cap) {
      this.#wbuf ??= new Uint8Array(cap);
      this.#wbuf.set(bytes, this.#wlen);
      this.#wlen += bytes.length;
      return;
    }
    await this.#flush_buffer();
    if (bytes.length >= cap) {
      await this.#sock.sendall(bytes);
    } else {
      this.#wbuf ??= new Uint8Array(cap);
      this.#wbuf.set(bytes, 0);
      this.#wlen = bytes.length;
    }
  }

  async #flush_buffer(): Promise<void> {
    const n = this.#wlen;
    if (n === 0 || this.#wbuf === null) return;
    this.#wlen = 0;
    await this.#sock.sendall(this.#wbuf.subarray(0, n));
  }
}

// Runs async calls one after another, in call order, whatever each ends in.
class Serial {
  #tail: Promise<unknown> | null = null;
  #running = 0;
  // Bound once: a call allocates no closure of its own.
  #settled = () => {
    if (--this.#running === 0) this.#tail = null;
  };

  run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.#tail;
    const run = prev === null ? fn() : prev.then(fn, fn);
    this.#tail = run;
    this.#running++;
    run.then(this.#settled, this.#settled);
    return run;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return "a string";
  if (typeof value === "object") {
    return value.constructor?.name ?? "an object";
  }
  return typeof value;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
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

function is_high(u: number): boolean {
  return u >= 0xd800 && u <= 0xdbff;
}

function is_low(u: number): boolean {
  return u >= 0xdc00 && u <= 0xdfff;
}

// Python counts code points: a surrogate pair is one character.
function code_points(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if (is_high(s.charCodeAt(i)) && is_low(s.charCodeAt(i + 1))) {
      n--;
      i++;
    }
  }
  return n;
}

// Walks up to `n` code points of s[from..to): [end index, code points walked].
function advance(
  s: string,
  from: number,
  to: number,
  n: number,
): [number, number] {
  let i = from;
  let c = 0;
  while (i < to && c < n) {
    i += i + 1 < to && is_high(s.charCodeAt(i)) &&
        is_low(s.charCodeAt(i + 1))
      ? 2
      : 1;
    c++;
  }
  return [i, c];
}

// ---- codecs ----

interface Codec {
  decode(chunk: Uint8Array): string;
  flush(): string;
  encode: ((s: string) => Uint8Array) | null;
}

function decode_error(encoding: string, cause: unknown): RangeError {
  return new RangeError(
    `Cannot decode input: invalid "${encoding}" data`,
    { cause },
  );
}

function make_codec(encoding: string, strict: boolean): Codec {
  const name = encoding.toLowerCase().replaceAll("_", "-");
  if (["utf-8", "utf8", "u8", "utf"].includes(name)) {
    const decoder = new TextDecoder("utf-8", {
      fatal: strict,
      ignoreBOM: true, // Python's "utf-8" keeps a BOM; "utf-8-sig" drops it
    });
    const encoder = new TextEncoder();
    return {
      decode(chunk) {
        try {
          return decoder.decode(chunk, { stream: true });
        } catch (err) {
          throw decode_error(encoding, err);
        }
      },
      flush() {
        try {
          return decoder.decode();
        } catch (err) {
          throw decode_error(encoding, err);
        }
      },
      encode: (s) => encoder.encode(s),
    };
  }
  const single = ["latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1"]
      .includes(name)
    ? 0xff
    : ["ascii", "us-ascii", "646"].includes(name)
    ? 0x7f
    : 0;
  if (single !== 0) {
    return {
      decode(chunk) {
        if (single === 0x7f) {
          const bad = chunk.findIndex((b) => b > 0x7f);
          if (bad >= 0) {
            if (strict) {
              throw new RangeError(
                `Cannot decode input: invalid "${encoding}" data: byte 0x${
                  chunk[bad]!.toString(16)
                } in position ${bad}`,
              );
            }
            return latin1(chunk).replace(/[\x80-\xff]/g, "\ufffd");
          }
        }
        return latin1(chunk);
      },
      flush: () => "",
      encode(s) {
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const u = s.charCodeAt(i);
          if (u > single) {
            if (strict) {
              throw new RangeError(
                `Cannot encode output: "${encoding}" cannot encode character "${
                  s[i]
                }" in position ${i}`,
              );
            }
            out[i] = 0x3f;
          } else {
            out[i] = u;
          }
        }
        return out;
      },
    };
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(name, { fatal: strict });
  } catch (err) {
    throw new RangeError(
      `Cannot make file: unknown encoding "${encoding}"`,
      { cause: err },
    );
  }
  return {
    decode(chunk) {
      try {
        return decoder.decode(chunk, { stream: true });
      } catch (err) {
        throw decode_error(encoding, err);
      }
    },
    flush() {
      try {
        return decoder.decode();
      } catch (err) {
        throw decode_error(encoding, err);
      }
    },
    encode: null,
  };
}

function latin1(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    parts.push(
      String.fromCharCode.apply(
        null,
        bytes.subarray(i, i + 8192) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

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
import { BlockingIOError, OSError } from "./errors.ts";
import { _Serial } from "./_serial.ts";
import { MAX_SIZE } from "./_checks.ts";
import { _as_bytes } from "./_bytes.ts";
import { _ByteWriter } from "./_byte_writer.ts";
import { _make_codec } from "./_codecs.ts";
import { _ByteReader } from "./_byte_reader.ts";
import { _code_points, _TextReader } from "./_text_reader.ts";

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
  // Exactly one of them, by mode.
  #bytes: _ByteReader | null = null;
  #text: _TextReader | null = null;
  #encode: ((s: string) => Uint8Array) | null = null;
  #encoding: string | null;
  #errors: string | null;
  #newline: string | null;
  #writer: _ByteWriter;
  // Calls run one at a time per direction, as Python's buffered files lock.
  #reads = new _Serial();

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
      if (buffering > MAX_SIZE) {
        throw new RangeError(
          `Cannot make file: buffering must be at most ${MAX_SIZE}, received ${buffering}`,
        );
      }
      if (buffering === 0 && !binary) {
        throw new RangeError(
          `Cannot make file: unbuffered streams must be binary, received mode "${mode}"`,
        );
      }
      if (buffering >= 0) size = buffering;
    }
    // Binary mode ignores the text options, as CPython's makefile() does.
    for (const [key, value] of Object.entries({ encoding, errors, newline })) {
      if (binary || value === undefined || value === null) continue;
      if (typeof value !== "string") {
        throw new TypeError(
          `Cannot make file: ${key} must be a string, received ${typeof value}`,
        );
      }
    }
    this.#sock = sock;
    this.#reading = reading;
    this.#writing = writing;
    this.#binary = binary;
    this.#raw = size === 0;
    this.#bufsize = size === 0 ? DEFAULT_BUFFER_SIZE : size;
    this.#writer = new _ByteWriter(sock, this.#bufsize, this.#raw);
    this.#mode = binary ? `${reading ? "r" : ""}${writing ? "w" : ""}b` : mode;
    if (binary) {
      this.#bytes = new _ByteReader(sock, this.#bufsize, this.#raw);
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
      const codec = _make_codec(this.#encoding, this.#errors === "strict");
      this.#text = new _TextReader(sock, this.#bufsize, codec, nl);
      this.#encode = codec.encode;
      if (writing && this.#encode === null) {
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

  /**
   * The socket's file number, as Python's `name`; -1 once the file is
   * closed or if the socket has none.
   */
  get name(): number {
    if (this.#closed) return -1;
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
   * @returns The data; empty at end of file. `null` only from an unbuffered
   * file (`buffering: 0`) on a non-blocking socket when nothing is there, as
   * Python's `SocketIO` returns None.
   * @throws {RangeError} When the file is closed or `n` is not an integer.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws; received bytes stay buffered.
   */
  async read(n: number | null = -1): Promise<FileData<M> | null> {
    const count = this.#check_read("read", n, "n");
    return await this.#unless_blocked(() =>
      this.#serial_read<string | Uint8Array>(() =>
        this.#bytes ? this.#bytes.read(count) : this.#text!.read(count)
      )
    ) as FileData<M> | null;
  }

  // Python's SocketIO, unbuffered: a call that would block returns None.
  async #unless_blocked<T>(call: () => Promise<T>): Promise<T | null> {
    if (!this.#raw) return await call();
    try {
      return await call();
    } catch (err) {
      if (err instanceof BlockingIOError) return null;
      throw err;
    }
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
      this.#bytes ? this.#bytes.readline(most) : this.#text!.readline(most)
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
   * @returns How many bytes were written into `buffer`; 0 at end of file;
   * `null` from an unbuffered file on a non-blocking socket when nothing is
   * there, as Python's `SocketIO`.
   * @throws {TypeError} When the file is in text mode or `buffer` is not an
   * `ArrayBufferView`.
   * @throws {RangeError} When the file is closed.
   * @throws {UnsupportedOperation} When the file is not open for reading.
   * @throws {OSError} What the socket throws; received bytes stay buffered.
   */
  async readinto(buffer: ArrayBufferView): Promise<number | null> {
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
    return await this.#unless_blocked(() =>
      this.#serial_read(() => this.#bytes!.readinto(target))
    );
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
  read1(n: number | null = -1): Promise<Uint8Array> {
    // Not async: one promise less per call on the hot path.
    let count: number;
    try {
      count = this.#check_read("read", n, "n");
      this.#need_binary("read1");
    } catch (err) {
      return Promise.reject(err);
    }
    if (count < 0) count = this.#bufsize;
    return this.#serial_read(() => this.#bytes!.read1(count));
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
    return await this.#serial_read(() => this.#bytes!.peek());
  }

  /**
   * Writes `data`: a `Uint8Array` (or other `ArrayBufferView`, or an
   * `ArrayBuffer`) in binary mode, a
   * string in text mode. Buffered data goes out when the buffer fills, on
   * `flush()` and on `close()`; with `buffering: 0` at once.
   *
   * @param data What to write.
   * @returns How many bytes (binary) or characters (text) were written: all;
   * `null` from an unbuffered file on a non-blocking socket whose send
   * buffer is full, as Python's `SocketIO`.
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
  ): Promise<number | null> {
    this.#check_closed();
    if (!this.#writing) {
      throw new UnsupportedOperation("File not open for writing");
    }
    let bytes: Uint8Array;
    let count: number;
    if (this.#binary) {
      const view = _as_bytes(data, false);
      if (view === null) {
        throw new TypeError(
          `Cannot write to file: a bytes-like object is required, received ${
            describe(data)
          }`,
        );
      }
      bytes = view;
      count = bytes.length;
    } else {
      if (typeof data !== "string") {
        throw new TypeError(
          `Cannot write to file: data must be a string in text mode "${this.#mode}", received ${
            describe(data)
          }`,
        );
      }
      count = _code_points(data);
      const nl = this.#newline;
      const text = nl === "\r" || nl === "\r\n"
        ? data.replaceAll("\n", nl)
        : data;
      bytes = this.#encode!(text);
    }
    if (bytes.length > 0) {
      const sent = await this.#unless_blocked(() => this.#writer.write(bytes));
      if (sent === null) return null;
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
    await this.#writer.flush();
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
      if (this.#writing) await this.#writer.flush();
    } finally {
      this.#bytes?.clear();
      this.#text?.clear();
      this.#writer.clear();
      // A socket closed meanwhile closes now (CPython's file count).
      await this.#sock._decref_socketios?.();
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
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return "a string";
  if (typeof value === "object") {
    return value.constructor?.name ?? "an object";
  }
  return typeof value;
}

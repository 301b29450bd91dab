/**
 * A selectable standard input: `select([stdin], [], [], 5)` says when input
 * is waiting, and `stdin.readline()` then reads it, as Python's `sys.stdin`.
 *
 * @example The tutorials' loop (run with input piped in)
 * ```ts ignore
 * import { select, stdin } from "@pysock/pysock/mux";
 * for (;;) {
 *   const [readable] = await select([stdin], [], [], 5);
 *   if (readable.includes(stdin)) {
 *     const line = await stdin.readline();
 *     if (line === "") break; // end of input
 *     console.log("you input:", line.trimEnd());
 *   }
 * }
 * stdin.close();
 * ```
 * @module
 */
import {
  EV_ERR,
  EV_HUP,
  EV_IN,
  register_fileno,
  release_fileno,
} from "./_net.ts";

/**
 * Where a {@linkcode Stdin} reads from: `Deno.stdin` or anything shaped like
 * it.
 *
 * @example Usage
 * ```ts
 * import type { StdinReader } from "@pysock/pysock/mux";
 * const reader: StdinReader = Deno.stdin;
 * ```
 */
export interface StdinReader {
  /** Reads into `p`; resolves to the count, or null at end of input. */
  read(p: Uint8Array): Promise<number | null>;
  /** Closes the input, ending a pending read. */
  close(): void;
}

/** Options of {@linkcode Stdin}. */
export interface StdinOptions {
  /** The input; `Deno.stdin` by default. */
  reader?: StdinReader;
  /** The file number to take; 0 for `Deno.stdin`, the lowest free otherwise. */
  fd?: number;
}

// A watcher reads ahead at most one chunk; a reader reads what it needs.
const CHUNK = 16 * 1024;

/**
 * A selectable text input, as Python's `sys.stdin`. It takes its file number
 * on first use of `fileno()` (not at import), reads only while a reader
 * needs more or a watcher waits with nothing buffered (so at most one 16 KiB
 * chunk ahead), and gives every byte back through `readline()`, `read()` and
 * `input()`. A program that only reads (`readline()`, `input()`) leaves no
 * read outstanding and need not close it; after a `select()` that returned
 * without input from it, a read may still be outstanding and would keep the
 * process alive until input arrives: `close()` ends it (and closes
 * `Deno.stdin`).
 *
 * @example Reading lines from any reader
 * ```ts
 * import { select, Stdin } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * const chunks = [new TextEncoder().encode("one\ntwo\n")];
 * using input = new Stdin({
 *   reader: {
 *     read(p) {
 *       const next = chunks.shift();
 *       if (next === undefined) return Promise.resolve(null);
 *       p.set(next);
 *       return Promise.resolve(next.length);
 *     },
 *     close() {},
 *   },
 * });
 * const [r] = await select([input], [], [], 5);
 * assert.deepEqual(r, [input]);
 * assert.equal(await input.readline(), "one\n");
 * assert.equal(await input.read(), "two\n");
 * ```
 */
export class Stdin {
  readonly #reader: StdinReader | undefined;
  readonly #want_fd: number | undefined;
  #fd: number | undefined;
  // Decoded text not yet read; the decoder holds a split character's bytes.
  #text = "";
  readonly #decoder = new TextDecoder();
  #eof = false;
  #error: unknown = undefined;
  #closed = false;
  #reading = false;
  // Readers waiting for the read outstanding; each checks again when woken.
  #waiters: Array<() => void> = [];
  readonly #watchers = new Map<(edges: number) => void, number>();
  #watching_in = 0;

  /**
   * Makes a selectable input; nothing is read or registered until used.
   *
   * @param options Where to read from; `Deno.stdin` at fd 0 by default.
   */
  constructor(options: StdinOptions = {}) {
    this.#reader = options.reader;
    this.#want_fd = options.fd ??
      (options.reader === undefined ? 0 : undefined);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The file number (0 for the standard input), taken on first call; -1 once
   * closed.
   *
   * @returns The number `select()` and the selectors know this object by.
   */
  fileno(): number {
    if (this.#closed) return -1;
    if (this.#fd === undefined) {
      this.#fd = register_fileno(this, this.#want_fd);
    }
    return this.#fd;
  }

  /**
   * The readiness now: `EV_IN` while input is buffered, `EV_HUP` at the end
   * of input, `EV_ERR` after a read failed.
   *
   * @returns An OR of `EV_*` bits.
   */
  poll_events(): number {
    let events = this.#text.length > 0 ? EV_IN : 0;
    if (this.#eof) events |= EV_HUP;
    if (this.#error !== undefined) events |= EV_IN | EV_ERR;
    return events;
  }

  /**
   * Calls `listener` when input arrives; reads while an `EV_IN` watcher is
   * attached.
   *
   * @param listener Called with `EV_IN` when input, its end, or an error
   * arrived, with 0 when some was consumed.
   * @param events The `EV_*` bits of interest.
   * @returns A function that detaches the watcher.
   */
  watch(listener: (edges: number) => void, events: number): () => void {
    const wants_in = (events & EV_IN) !== 0;
    this.#watchers.set(listener, events);
    if (wants_in) this.#watching_in++;
    this.#pump();
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      if (this.#watchers.delete(listener) && wants_in) this.#watching_in--;
    };
  }

  /**
   * Reads one line, waiting for its end, as Python's `readline()`.
   *
   * @param size At most this many characters, when not negative.
   * @returns The line with its "\n"; "" at the end of input.
   * @throws {RangeError} The input is closed.
   */
  async readline(size = -1): Promise<string> {
    for (;;) {
      this.#check("readline");
      const at = this.#text.indexOf("\n");
      if (at >= 0) {
        const line = this.#take(at + 1);
        if (size >= 0 && count_chars(line) > size) {
          const head = take_chars(line, size);
          this.#text = line.slice(head.length) + this.#text;
          return head;
        }
        return line;
      }
      if (size >= 0 && count_chars(this.#text) >= size) {
        return this.#take(take_chars(this.#text, size).length);
      }
      if (this.#at_end()) return this.#take(this.#text.length);
      await this.#more();
    }
  }

  /**
   * Reads `n` characters, or everything up to the end of input when `n` is
   * negative or omitted, as Python's `read()`.
   *
   * @param n How many characters.
   * @returns The text; "" at the end of input.
   * @throws {RangeError} The input is closed.
   */
  async read(n = -1): Promise<string> {
    for (;;) {
      this.#check("read");
      if (n >= 0 && count_chars(this.#text) >= n) {
        return this.#take(take_chars(this.#text, n).length);
      }
      if (this.#at_end()) return this.#take(this.#text.length);
      await this.#more();
    }
  }

  /**
   * Stops reading, frees the file number and closes the reader
   * (`Deno.stdin`), which ends a read still outstanding. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd !== undefined) release_fileno(this.#fd);
    this.#fd = undefined;
    this.#watchers.clear();
    this.#watching_in = 0;
    if (this.#reading) {
      try {
        (this.#reader ?? Deno.stdin).close();
      } catch {
        // closed already
      }
    }
    this.#wake();
  }

  /** Closes (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #check(action: string): void {
    if (this.#closed) {
      throw new RangeError(`Cannot ${action}: I/O operation on closed file`);
    }
    if (this.#error !== undefined && this.#text.length === 0) {
      const err = this.#error;
      this.#error = undefined;
      this.#eof = true;
      throw err;
    }
  }

  #at_end(): boolean {
    return this.#eof || this.#error !== undefined;
  }

  #take(units: number): string {
    const text = this.#text.slice(0, units);
    this.#text = this.#text.slice(units);
    if (text.length > 0) this.#notify(0);
    this.#pump();
    return text;
  }

  #more(): Promise<void> {
    const arrived = new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#pump();
    return arrived;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  // A read starts only for a reader that needs more, or for a watcher while
  // nothing is buffered: Deno cannot cancel a read of the standard input
  // short of closing it, and one left outstanding keeps the process alive
  // until input comes, so `input()` and `readline()` must leave none behind.
  #pump(): void {
    if (
      this.#reading || this.#closed || this.#eof ||
      this.#error !== undefined ||
      (this.#waiters.length === 0 &&
        (this.#watching_in === 0 || this.#text.length > 0))
    ) return;
    this.#reading = true;
    const reader = this.#reader ?? Deno.stdin;
    const chunk = new Uint8Array(CHUNK);
    reader.read(chunk).then(
      (n) => {
        if (n === null) {
          this.#eof = true;
          this.#text += this.#decoder.decode();
        } else {
          this.#text += this.#decoder.decode(chunk.subarray(0, n), {
            stream: true,
          });
        }
      },
      (err) => {
        if (!this.#closed) this.#error = err;
      },
    ).finally(() => {
      this.#reading = false;
      if (this.#closed) return;
      this.#notify(EV_IN);
      this.#wake();
      this.#pump();
    });
  }

  #notify(edges: number): void {
    for (const listener of [...this.#watchers.keys()]) listener(edges);
  }
}

// Python counts characters (code points); JS strings count UTF-16 units.
function count_chars(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

// The first `n` characters of `text`.
function take_chars(text: string, n: number): string {
  let i = 0;
  for (let chars = 0; chars < n && i < text.length; chars++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return text.slice(0, i);
}

/**
 * The process's standard input, selectable at file number 0 (taken on first
 * `fileno()`, not at import), as Python's `sys.stdin`.
 *
 * @example Usage
 * ```ts ignore
 * import { select, stdin } from "@pysock/pysock/mux";
 * const [readable] = await select([stdin], [], [], 5);
 * if (readable.includes(stdin)) console.log("you input:", await stdin.readline());
 * stdin.close();
 * ```
 */
export const stdin: Stdin = new Stdin();

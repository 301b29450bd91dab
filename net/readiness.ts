/**
 * The readiness protocol and the file-descriptor table that let `mux` wait on
 * sockets. Deno exposes no file descriptors, so every socket gets a small
 * stable integer from this table and a {@linkcode ReadinessSource} that says
 * whether a call would wait. Most programs never use this module directly; it
 * is how `select()` and the selectors find a socket from its `fileno()`, and
 * how other objects (such as mux's `stdin`) become selectable.
 *
 * @example Looking a socket up by its file number
 * ```ts
 * import { EV_OUT, lookup_fileno, socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using sock = socket();
 * const source = lookup_fileno(sock.fileno());
 * assert.ok(source !== undefined);
 * assert.equal(source.poll_events() & EV_OUT, 0); // not connected yet
 * ```
 * @module
 */

/** Readable (or a connection waiting to be accepted): Linux's POLLIN. */
export const EV_IN = 0x001;
/** Writable without waiting: Linux's POLLOUT. */
export const EV_OUT = 0x004;
/** An error is pending: Linux's POLLERR. */
export const EV_ERR = 0x008;
/** The peer hung up: Linux's POLLHUP. */
export const EV_HUP = 0x010;

/**
 * Something whose readiness `mux` can observe.
 *
 * @example A source that is always writable
 * ```ts
 * import { EV_OUT, type ReadinessSource } from "@pysock/pysock/net";
 * const always: ReadinessSource = {
 *   poll_events: () => EV_OUT,
 *   watch: () => () => {},
 * };
 * ```
 */
export interface ReadinessSource {
  /** The current readiness as an OR of `EV_*` bits; never waits. */
  poll_events(): number;
  /**
   * Calls `listener` (synchronously) whenever the readiness may have changed.
   * `edges` holds the `EV_*` bits of what newly happened: `EV_IN` when data,
   * a connection, EOF or an error arrived, `EV_OUT` when pending sends fell
   * under the high-water mark; 0 when something was only consumed. Edge
   * triggered pollers (EPOLLET) report on edges, level-triggered ones re-read
   * `poll_events()`. While a watcher that asked for `EV_IN` is attached, the
   * source keeps one read (or accept) outstanding so that arrivals are seen;
   * idle sources cost no timers.
   *
   * @param listener Called with the new edges.
   * @param events The `EV_*` bits the watcher cares about.
   * @returns A function that detaches the watcher.
   */
  watch(listener: (edges: number) => void, events: number): () => void;
}

const table = new Map<number, ReadinessSource>();
const freed: number[] = [];
let next = 3; // 0, 1 and 2 are stdin, stdout and stderr

/**
 * Gives `source` a file number, the lowest free one as Linux does, or `fd`
 * when given (for stdin, 0).
 *
 * @param source The object to find again by its number.
 * @param fd A fixed number to use.
 * @returns The file number.
 * @throws {RangeError} When `fd` is taken.
 *
 * @example Usage
 * ```ts
 * import { EV_OUT, lookup_fileno, register_fileno, release_fileno } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const fd = register_fileno({ poll_events: () => EV_OUT, watch: () => () => {} });
 * assert.ok(lookup_fileno(fd));
 * release_fileno(fd);
 * assert.equal(lookup_fileno(fd), undefined);
 * ```
 */
export function register_fileno(source: ReadinessSource, fd?: number): number {
  if (
    typeof source?.poll_events !== "function" ||
    typeof source?.watch !== "function"
  ) {
    throw new TypeError(
      "Cannot register file number: source must have poll_events() and watch()",
    );
  }
  if (fd !== undefined) {
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw new RangeError(
        `Cannot register file number: fd must be a non-negative integer, received ${fd}`,
      );
    }
    if (table.has(fd)) {
      throw new RangeError(
        `Cannot register file number: ${fd} is in use already`,
      );
    }
    table.set(fd, source);
    return fd;
  }
  let n: number;
  if (freed.length > 0) {
    // Lowest free number first, as the kernel hands out descriptors.
    let at = 0;
    for (let i = 1; i < freed.length; i++) {
      if (freed[i]! < freed[at]!) at = i;
    }
    n = freed[at]!;
    freed[at] = freed[freed.length - 1]!;
    freed.pop();
  } else {
    n = next++;
  }
  table.set(n, source);
  return n;
}

/**
 * Frees a file number given by {@linkcode register_fileno}; closing a socket
 * does this.
 *
 * @param fd The number to free; unknown numbers are ignored.
 *
 * @example Usage
 * ```ts
 * import { EV_OUT, register_fileno, release_fileno } from "@pysock/pysock/net";
 * const fd = register_fileno({ poll_events: () => EV_OUT, watch: () => () => {} });
 * release_fileno(fd);
 * ```
 */
export function release_fileno(fd: number): void {
  if (!Number.isInteger(fd) || !table.delete(fd)) return;
  if (fd >= 3) freed.push(fd);
}

/**
 * The readiness source behind a file number, if that number is open.
 *
 * @param fd A number from a `fileno()` method.
 * @returns The source, or `undefined` for a number nothing holds.
 *
 * @example Usage
 * ```ts
 * import { lookup_fileno } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(lookup_fileno(123456), undefined);
 * ```
 */
export function lookup_fileno(fd: number): ReadinessSource | undefined {
  return table.get(fd);
}

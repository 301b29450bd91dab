/**
 * Python's `select.select()`: wait until some sockets are ready.
 *
 * @example Waiting for a connection
 * ```ts
 * import { select } from "@pysock/pysock/mux";
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * await using client = await create_connection(
 *   server.getsockname() as [string, number],
 * );
 * const [r] = await select([server], [], [], 5);
 * assert.deepEqual(r, [server]);
 * ```
 * @module
 */
import { fileobj_to_fd, source_of } from "./_fileobj.ts";
import { EV_ERR, EV_HUP, EV_IN, EV_OUT, type ReadinessSource } from "./_net.ts";
import { after_immediate, macrotask, note_turn } from "./_turn.ts";

/**
 * An object with a file number: a socket, a server, mux's `stdin`, an epoll
 * object.
 *
 * @example Usage
 * ```ts
 * import type { HasFileno } from "@pysock/pysock/mux";
 * const zero: HasFileno = { fileno: () => 0 };
 * ```
 */
export interface HasFileno {
  /** The file number; -1 once closed. */
  fileno(): number;
}

/**
 * What `select()` and the selectors accept, as Python's typeshed names it:
 * an object with `fileno()` or the integer it returns.
 *
 * @example Usage
 * ```ts
 * import type { FileDescriptorLike } from "@pysock/pysock/mux";
 * const fds: FileDescriptorLike[] = [0, { fileno: () => 0 }];
 * ```
 */
export type FileDescriptorLike = number | HasFileno;

// What Linux's select() counts as readable, writable and exceptional.
const READABLE = EV_IN | EV_HUP | EV_ERR;
const WRITABLE = EV_OUT | EV_ERR;
const MAX_DELAY = 2 ** 31 - 1;

interface Entry<T> {
  item: T;
  source: ReadinessSource;
}

/**
 * Waits until some of the given objects are ready, as Python's
 * `select.select()`: `rlist` for reading (data, EOF, an error, or a
 * connection to accept), `wlist` for writing (pending sends under the
 * high-water mark), `xlist` for exceptional conditions (urgent data, which
 * our sockets never have, as on Linux where a reset shows in `rlist`).
 *
 * Each list is scanned once per call (as `select(2)` does); for many
 * long-lived registrations use a selector or `epoll()`, whose cost grows with
 * the ready objects only.
 *
 * Deno sees data only once it has read it from the kernel: a socket starts
 * reading when first watched (by a waiting `select()`, a selector, an epoll)
 * or put in non-blocking mode and asked, so bytes that reached a socket
 * nobody watched may show up one call later than CPython would show them.
 *
 * @param rlist Objects to wait for reading: sockets, servers, `stdin`, or
 * integers from `fileno()`.
 * @param wlist Objects to wait for writing.
 * @param xlist Objects to wait for exceptional conditions.
 * @param timeout Seconds to wait; `null` or omitted waits as long as needed,
 * 0 polls and returns at once.
 * @returns The ready subsets of the three lists, holding the objects as
 * given; three empty lists when the timeout passed.
 * @throws {TypeError} An entry is neither an integer nor has `fileno()`, or
 * the timeout is not a number.
 * @throws {RangeError} An entry's file number is negative (a closed socket):
 * `file descriptor cannot be a negative integer (-1)`; or the timeout is
 * negative.
 * @throws {OSError} EBADF (9): a file number nothing holds.
 *
 * @example Polling with a timeout of 0
 * ```ts
 * import { select } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const [r, w, x] = await select([a], [a], [a], 0);
 * assert.deepEqual([r, w, x], [[], [a], []]);
 * ```
 */
export async function select<R, W, X>(
  rlist: Iterable<R>,
  wlist: Iterable<W>,
  xlist: Iterable<X>,
  timeout?: number | null,
): Promise<[R[], W[], X[]]> {
  const ms = to_ms(timeout);
  const rs = entries(rlist);
  const ws = entries(wlist);
  const xs = entries(xlist);
  let found = scan(rs, ws);
  if (found !== undefined) {
    // Watching starts a read on each source not yet reading, so that what
    // the kernel holds already is seen by the next call.
    for (const { source } of rs) {
      if ((source.poll_events() & READABLE) === 0) source.watch(noop, EV_IN)();
    }
    await after_immediate();
    return found;
  }
  let wake: (() => void) | undefined;
  const unwatch: Array<() => void> = [];
  const watched = new Map<ReadinessSource, number>();
  for (const { source } of rs) {
    watched.set(source, (watched.get(source) ?? 0) | EV_IN);
  }
  for (const { source } of ws) {
    watched.set(source, (watched.get(source) ?? 0) | EV_OUT);
  }
  for (const { source } of xs) watched.set(source, watched.get(source) ?? 0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (const [source, events] of watched) {
      const want = (events & EV_IN ? READABLE : 0) |
        (events & EV_OUT ? WRITABLE : 0);
      unwatch.push(source.watch(() => {
        if (want !== 0 && (source.poll_events() & want) !== 0) wake?.();
      }, events | EV_ERR | EV_HUP));
    }
    if (ms === 0) {
      await macrotask();
      return scan(rs, ws) ?? [[], [], []];
    }
    const deadline = ms === null ? Infinity : performance.now() + ms;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return [[], [], []];
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (left !== Infinity) {
          timer = setTimeout(resolve, Math.min(Math.ceil(left), MAX_DELAY));
        }
      });
      wake = undefined;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      note_turn();
      found = scan(rs, ws);
      if (found !== undefined) return found;
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    for (const stop of unwatch) stop();
  }
  // The exceptional list never fills: our sockets carry no urgent data.
  function scan(rs: Entry<R>[], ws: Entry<W>[]): [R[], W[], X[]] | undefined {
    const r: R[] = [];
    const w: W[] = [];
    for (const { item, source } of rs) {
      if (source.poll_events() & READABLE) r.push(item);
    }
    for (const { item, source } of ws) {
      if (source.poll_events() & WRITABLE) w.push(item);
    }
    return r.length + w.length > 0 ? [r, w, []] : undefined;
  }
}

function noop(): void {}

function entries<T>(list: Iterable<T>): Entry<T>[] {
  if (
    typeof list !== "object" || list === null ||
    typeof (list as { [Symbol.iterator]?: unknown })[Symbol.iterator] !==
      "function"
  ) {
    throw new TypeError(
      `Cannot select: arguments 1-3 must be sequences, received ${typeof list}`,
    );
  }
  const out: Entry<T>[] = [];
  for (const item of list) {
    out.push({ item, source: source_of(fileobj_to_fd(item)) });
  }
  return out;
}

function to_ms(timeout: number | null | undefined): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== "number") {
    throw new TypeError(
      `Cannot select: timeout must be a number or null, received ${typeof timeout}`,
    );
  }
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot select: timeout must be non-negative, received ${timeout}`,
    );
  }
  return timeout === Infinity ? null : timeout * 1000;
}

/**
 * Python's `selectors`: high-level multiplexing over sockets, built on the
 * same readiness engine as `epoll()`, so a `select()` costs time in proportion
 * to the ready objects only.
 *
 * @example An echo server's loop, the tutorials' way
 * ```ts
 * import { DefaultSelector, EVENT_READ } from "@pysock/pysock/mux";
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * await using server = create_server(["127.0.0.1", 0]);
 * server.setblocking(false);
 * using sel = new DefaultSelector();
 * sel.register(server, EVENT_READ);
 * await using client = await create_connection(
 *   server.getsockname() as [string, number],
 * );
 * const events = await sel.select(5);
 * assert.equal(events[0]?.[0].fileobj, server);
 * const [conn] = await server.accept();
 * await conn.close();
 * ```
 * @module
 */
import { fileobj_to_fd, show, source_of } from "./_fileobj.ts";
import { Interest, type Registration } from "./_interest.ts";
import { ENOENT, EV_IN, EV_OUT, FileNotFoundError } from "./_net.ts";
import { KeyError } from "./key_error.ts";
import { timeout_ms } from "./_timeout.ts";
import type { FileDescriptorLike } from "./select.ts";

/** Wait until reading will not block: 1, as in Python. */
export const EVENT_READ = 1;
/** Wait until writing will not block: 2, as in Python. */
export const EVENT_WRITE = 2;

/**
 * A registration, as Python's `selectors.SelectorKey` named tuple.
 *
 * @example Usage
 * ```ts
 * import { DefaultSelector, EVENT_READ } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new DefaultSelector<string>();
 * const key = sel.register(a, EVENT_READ, "peer a");
 * assert.equal(key.fileobj, a);
 * assert.equal(key.fd, a.fileno());
 * assert.equal(key.events, EVENT_READ);
 * assert.equal(key.data, "peer a");
 * ```
 */
export class SelectorKey<D = unknown> {
  /** The object registered, as given. */
  readonly fileobj: FileDescriptorLike;
  /** Its file number. */
  readonly fd: number;
  /** EVENT_READ, EVENT_WRITE or both. */
  readonly events: number;
  /** What was attached at registration (a callback, a state object...). */
  readonly data: D | undefined;
  /**
   * Makes a key; selectors make them, users rarely do.
   *
   * @param fileobj The object registered.
   * @param fd Its file number.
   * @param events The events watched.
   * @param data The attached data.
   */
  constructor(
    fileobj: FileDescriptorLike,
    fd: number,
    events: number,
    data: D | undefined,
  ) {
    this.fileobj = fileobj;
    this.fd = fd;
    this.events = events;
    this.data = data;
  }
}

/**
 * The read-only view `get_map()` returns, as Python's selector mapping: looked
 * up by file object or number, it iterates the registered file numbers (as a
 * Python mapping iterates its keys), and its values are the keys.
 *
 * @example Usage
 * ```ts
 * import { DefaultSelector, EVENT_WRITE } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new DefaultSelector();
 * sel.register(a, EVENT_WRITE);
 * const map = sel.get_map();
 * assert.equal(map.size, 1);
 * assert.equal(map.get(a)?.fd, a.fileno());
 * assert.equal(map.get(a.fileno())?.fileobj, a);
 * assert.deepEqual([...map], [a.fileno()]);
 * assert.deepEqual([...map.values()].map((key) => key.fileobj), [a]);
 * ```
 */
export interface SelectorMapping<D = unknown> extends Iterable<number> {
  /** How many objects are registered. */
  readonly size: number;
  /** The key of a registered object or number; undefined when absent. */
  get(fileobj: FileDescriptorLike): SelectorKey<D> | undefined;
  /** Whether an object or number is registered. */
  has(fileobj: FileDescriptorLike): boolean;
  /** The registered file numbers, as iterating the mapping gives them. */
  keys(): IterableIterator<number>;
  /** The keys. */
  values(): IterableIterator<SelectorKey<D>>;
  /** `[fd, key]` pairs, as Python's `items()`. */
  entries(): IterableIterator<[number, SelectorKey<D>]>;
}

/**
 * Python's `selectors.BaseSelector`, with the implementation the named
 * selectors share: registrations kept by file number, readiness from the
 * sockets' own notifications, so `select()` never scans idle objects.
 * Subclass it to change a hook, or use {@linkcode DefaultSelector}.
 *
 * @typeParam D The type of the data attached to registrations.
 *
 * @example Register, select, unregister
 * ```ts
 * import { BaseSelector, EVENT_READ, EVENT_WRITE } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new BaseSelector();
 * sel.register(a, EVENT_READ | EVENT_WRITE);
 * const ready = await sel.select(1);
 * assert.equal(ready.length, 1);
 * const [key, events] = ready[0]!;
 * assert.equal(key.fileobj, a);
 * assert.equal(events, EVENT_WRITE);
 * sel.unregister(a);
 * ```
 */
export class BaseSelector<D = unknown> {
  readonly #interest = new Interest("drop");
  readonly #keys = new Map<number, SelectorKey<D>>();
  #closed = false;

  /**
   * Watches `fileobj` for `events`.
   *
   * @param fileobj A socket, server, `stdin`, or a file number.
   * @param events EVENT_READ, EVENT_WRITE, or both.
   * @param data Anything to find again in the key (a callback, a state).
   * @returns The new key.
   * @throws {KeyError} `fileobj` (or its number) is registered already.
   * @throws {RangeError} `events` is 0 or has unknown bits
   * (`Invalid events: 0`); `fileobj` is closed
   * (`Invalid file descriptor: -1`); the selector is closed.
   * @throws {TypeError} `fileobj` is neither a number nor has `fileno()`.
   * @throws {OSError} EBADF (9): nothing holds the number.
   */
  register(
    fileobj: FileDescriptorLike,
    events: number,
    data?: D,
  ): SelectorKey<D> {
    this.#open("register");
    check_events(events);
    const fd = to_fd(fileobj);
    const old = this.#keys.get(fd);
    if (old !== undefined) {
      throw new KeyError(
        fileobj,
        `${show(fileobj, fd)} (FD ${fd}) is already registered`,
      );
    }
    const source = source_of(fd);
    const key = new SelectorKey<D>(fileobj, fd, events, data);
    this.#interest.remove(fd); // a closed one's leftover, if any
    this.#interest.add(fd, source, to_ev(events), events, false, false);
    this.#keys.set(fd, key);
    return key;
  }

  /**
   * Stops watching `fileobj`; works on a socket closed since it was
   * registered (unregister before closing all the same, as in Python).
   *
   * @param fileobj The object or number registered.
   * @returns The key it had.
   * @throws {KeyError} `fileobj` is not registered.
   * @throws {RangeError} The selector is closed.
   */
  unregister(fileobj: FileDescriptorLike): SelectorKey<D> {
    this.#open("unregister");
    const key = this.#key(fileobj);
    this.#keys.delete(key.fd);
    this.#interest.remove(key.fd);
    return key;
  }

  /**
   * Changes the events or the data of a registration. As in Python, `data`
   * is replaced even when omitted.
   *
   * @param fileobj The object or number registered.
   * @param events EVENT_READ, EVENT_WRITE, or both.
   * @param data The new data.
   * @returns The new key (the old one when nothing changed).
   * @throws {KeyError} `fileobj` is not registered.
   * @throws {RangeError} `events` is 0 or has unknown bits; the selector is
   * closed.
   * @throws {OSError} EBADF (9): the socket was closed since it was
   * registered; its key is dropped, as in Python. FileNotFoundError (ENOENT)
   * when another socket holds its number by now.
   */
  modify(
    fileobj: FileDescriptorLike,
    events: number,
    data?: D,
  ): SelectorKey<D> {
    this.#open("modify");
    const key = this.#key(fileobj);
    check_events(events);
    if (events === key.events && data === key.data) return key;
    if (events !== key.events) {
      const reg = this.#interest.get(key.fd);
      if (reg === undefined) {
        // Closed since (Linux dropped it from the epoll set): the error
        // epoll_ctl gives, and the key goes, as CPython unregisters on error.
        this.#keys.delete(key.fd);
        source_of(key.fd); // EBADF when nothing holds the number
        throw new FileNotFoundError(ENOENT); // reused by another socket
      }
      this.#interest.modify(reg, to_ev(events), events, false, false);
    }
    const next = new SelectorKey<D>(key.fileobj, key.fd, events, data);
    this.#keys.set(key.fd, next);
    return next;
  }

  /**
   * Waits until some registered objects are ready.
   *
   * @param timeout Seconds; omitted or `null` waits as long as needed, 0 or
   * less polls and returns at once.
   * @returns `[key, events]` pairs, `events` holding EVENT_READ and/or
   * EVENT_WRITE (an error or hang-up counts as both, within what the key
   * watches); empty when the timeout passed.
   * @throws {RangeError} The selector is closed, or `timeout` is above
   * 2147483.647 s (Python's OverflowError).
   */
  async select(
    timeout?: number | null,
  ): Promise<Array<[SelectorKey<D>, number]>> {
    this.#open("select");
    let ms: number | null = null;
    if (timeout !== undefined && timeout !== null) {
      if (typeof timeout !== "number" || Number.isNaN(timeout)) {
        throw new TypeError(
          `Cannot select: timeout must be a number or null, received ${
            show(timeout)
          }`,
        );
      }
      ms = timeout <= 0 ? 0 : timeout_ms(timeout, 1000, "select");
    }
    return await this.#interest.poll(
      ms,
      Math.max(this.#keys.size, 1),
      this.#report,
    );
  }

  // A ready registration as select() reports it; undefined for one whose
  // key is gone or whose readiness the key does not watch.
  readonly #report = (
    reg: Registration,
    level: number,
  ): [SelectorKey<D>, number] | undefined => {
    const key = this.#keys.get(reg.fd);
    if (key === undefined) return undefined;
    // As CPython's EpollSelector: anything but EPOLLIN counts as writable,
    // anything but EPOLLOUT as readable.
    let events = 0;
    if (level & ~EV_IN) events |= EVENT_WRITE;
    if (level & ~EV_OUT) events |= EVENT_READ;
    events &= key.events;
    return events === 0 ? undefined : [key, events];
  };

  /**
   * The key of a registered object.
   *
   * @param fileobj The object or number registered.
   * @returns Its key.
   * @throws {KeyError} `fileobj` is not registered.
   * @throws {RangeError} The selector is closed.
   */
  get_key(fileobj: FileDescriptorLike): SelectorKey<D> {
    this.#open("get key");
    return this.#key(fileobj);
  }

  /**
   * A live read-only view of the registrations.
   *
   * @returns The mapping from registered objects to keys.
   * @throws {RangeError} The selector is closed.
   */
  get_map(): SelectorMapping<D> {
    this.#open("get map");
    const keys = this.#keys;
    const lookup = (fileobj: FileDescriptorLike): SelectorKey<D> | undefined =>
      keys.get(this.#lookup(fileobj) ?? -1);
    return {
      get size() {
        return keys.size;
      },
      get: lookup,
      has: (fileobj) => lookup(fileobj) !== undefined,
      keys: () => keys.keys(),
      values: () => keys.values(),
      entries: () => keys.entries(),
      [Symbol.iterator]: () => keys.keys(),
    };
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Unregisters everything and closes the selector. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#keys.clear();
    this.#interest.close();
  }

  /** Closes the selector (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the selector (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #open(action: string): void {
    if (this.#closed) {
      throw new RangeError(`Cannot ${action}: the selector is closed`);
    }
  }

  // The registered number for `fileobj`; for a socket closed since (fileno
  // -1) the number it was registered under, found by identity as Python does.
  #lookup(fileobj: FileDescriptorLike): number | undefined {
    try {
      return to_fd(fileobj);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      for (const key of this.#keys.values()) {
        if (key.fileobj === fileobj) return key.fd;
      }
      throw err;
    }
  }

  #key(fileobj: FileDescriptorLike): SelectorKey<D> {
    const fd = this.#lookup(fileobj);
    const key = fd === undefined ? undefined : this.#keys.get(fd);
    if (key === undefined) {
      throw new KeyError(fileobj, `${show(fileobj, fd)} is not registered`);
    }
    return key;
  }
}

/**
 * Python's `selectors.SelectSelector` name; the same engine as every
 * selector here.
 *
 * @example Usage
 * ```ts
 * import { EVENT_WRITE, SelectSelector } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new SelectSelector();
 * sel.register(a, EVENT_WRITE);
 * assert.equal((await sel.select(1)).length, 1);
 * ```
 */
export class SelectSelector<D = unknown> extends BaseSelector<D> {}

/**
 * Python's `selectors.PollSelector` name; the same engine as every selector
 * here.
 *
 * @example Usage
 * ```ts
 * import { EVENT_WRITE, PollSelector } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new PollSelector();
 * sel.register(a, EVENT_WRITE);
 * assert.equal((await sel.select(1)).length, 1);
 * ```
 */
export class PollSelector<D = unknown> extends BaseSelector<D> {}

/**
 * Python's `selectors.EpollSelector`; its `fileno()` is not available (the
 * engine has no number of its own).
 *
 * @example Usage
 * ```ts
 * import { EpollSelector, EVENT_WRITE } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new EpollSelector();
 * sel.register(a, EVENT_WRITE);
 * assert.equal((await sel.select(1)).length, 1);
 * ```
 */
export class EpollSelector<D = unknown> extends BaseSelector<D> {}

/**
 * The selector to use, as Python's `selectors.DefaultSelector` (an
 * {@linkcode EpollSelector}, as on Linux).
 *
 * @example Usage
 * ```ts
 * import { DefaultSelector, EVENT_READ, type SelectorKey } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using sel = new DefaultSelector();
 * sel.register(a, EVENT_READ);
 * await b.sendall("ping");
 * const [[key, events]] = await sel.select() as [[SelectorKey, number]];
 * assert.equal(key.fileobj, a);
 * assert.equal(events, EVENT_READ);
 * ```
 */
export class DefaultSelector<D = unknown> extends EpollSelector<D> {}

function to_fd(fileobj: FileDescriptorLike): number {
  try {
    return fileobj_to_fd(fileobj);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new RangeError(`Invalid file descriptor: ${to_number(fileobj)}`);
    }
    if (err instanceof TypeError) {
      throw new TypeError(`Invalid file object: ${show(fileobj)}`);
    }
    throw err;
  }
}

function to_number(fileobj: FileDescriptorLike): number {
  return typeof fileobj === "number" ? fileobj : fileobj.fileno();
}

function check_events(events: unknown): void {
  if (typeof events !== "number" || !Number.isInteger(events)) {
    throw new TypeError(`Invalid events: ${show(events)}`);
  }
  if (events === 0 || (events & ~(EVENT_READ | EVENT_WRITE)) !== 0) {
    throw new RangeError(`Invalid events: ${events}`);
  }
}

function to_ev(events: number): number {
  return (events & EVENT_READ ? EV_IN : 0) |
    (events & EVENT_WRITE ? EV_OUT : 0);
}

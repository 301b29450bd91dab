/**
 * Python's `select.epoll()` object and the `EPOLL*` constants, with Linux's
 * values. Registrations are kept: each poll costs time in proportion to the
 * ready objects, not the registered ones.
 *
 * @example An epoll loop
 * ```ts
 * import { epoll, EPOLLIN } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using ep = epoll();
 * ep.register(a.fileno(), EPOLLIN);
 * await b.sendall("hi");
 * assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
 * ```
 * @module
 */
import { check_mask, FD_SETSIZE, pair, to_ev } from "./_events.ts";
import { fileobj_to_fd, show, source_of } from "./_fileobj.ts";
import { Interest } from "./_interest.ts";
import {
  EBADF,
  EINVAL,
  ENOENT,
  EV_IN,
  FileExistsError,
  FileNotFoundError,
  OSError,
  type ReadinessSource,
  register_fileno,
  release_fileno,
} from "./_net.ts";
import { timeout_ms } from "./_timeout.ts";
import type { FileDescriptorLike } from "./select.ts";

/** Readable: Linux's EPOLLIN, 1. */
export const EPOLLIN = 0x001;
/** Urgent data (never, on our sockets): EPOLLPRI, 2. */
export const EPOLLPRI = 0x002;
/** Writable: EPOLLOUT, 4. */
export const EPOLLOUT = 0x004;
/** An error is pending (always reported): EPOLLERR, 8. */
export const EPOLLERR = 0x008;
/** Hung up (always reported): EPOLLHUP, 16. */
export const EPOLLHUP = 0x010;
/** Normal data may be read: EPOLLRDNORM, 64. */
export const EPOLLRDNORM = 0x040;
/** Priority band data (never here): EPOLLRDBAND, 128. */
export const EPOLLRDBAND = 0x080;
/** Normal data may be written: EPOLLWRNORM, 256. */
export const EPOLLWRNORM = 0x100;
/** Priority data may be written: EPOLLWRBAND, 512. */
export const EPOLLWRBAND = 0x200;
/** Linux's EPOLLMSG, 1024 (never reported). */
export const EPOLLMSG = 0x400;
/** The peer shut its writing side down: EPOLLRDHUP, 0x2000. */
export const EPOLLRDHUP = 0x2000;
/** Wake only one of several epolls waiting on the same file: 1 << 28. */
export const EPOLLEXCLUSIVE = 0x10000000;
/** Keep the system awake (accepted, no effect here): 1 << 29. */
export const EPOLLWAKEUP = 0x20000000;
/** Report once, then stay disabled until `modify()`: 1 << 30. */
export const EPOLLONESHOT = 0x40000000;
/**
 * Edge-triggered: report a readiness once, again only when something new
 * arrives: 1 << 31, which Python shows as 2147483648 (an unsigned value).
 */
export const EPOLLET = 0x80000000;
/** `epoll(sizehint, flags)`: close the epoll on exec (no effect here). */
export const EPOLL_CLOEXEC = 0x80000;

/**
 * Python's `select.epoll` object: a kept set of file numbers, polled with a
 * timeout in seconds, level-triggered unless registered with EPOLLET.
 * It has a file number of its own and is readable while some registration
 * is ready, so an epoll can itself be selected.
 *
 * @example Usage
 * ```ts
 * import { epoll, EPOLLOUT } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using ep = epoll();
 * ep.register(a, EPOLLOUT);
 * assert.deepEqual(await ep.poll(1), [[a.fileno(), EPOLLOUT]]);
 * ```
 */
export interface Epoll {
  /** True once closed. */
  readonly closed: boolean;
  /**
   * The epoll's own file number.
   *
   * @throws {RangeError} The epoll is closed (Python's ValueError).
   */
  fileno(): number;
  /**
   * Watches `fd` for `eventmask`.
   *
   * @param fd A file number or an object with `fileno()`.
   * @param eventmask An OR of EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP and the
   * flags EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE; EPOLLIN | EPOLLPRI |
   * EPOLLOUT when omitted.
   * @throws {FileExistsError} EEXIST (17): `fd` is registered already.
   * @throws {OSError} EBADF (9): nothing holds the number.
   * @throws {RangeError} The epoll is closed.
   */
  register(fd: FileDescriptorLike, eventmask?: number): void;
  /**
   * Changes the mask of a registered number; re-arms an EPOLLONESHOT one.
   *
   * @throws {FileNotFoundError} ENOENT (2): `fd` is not registered.
   * @throws {OSError} EINVAL (22): EPOLLEXCLUSIVE, which only `register`
   * takes.
   */
  modify(fd: FileDescriptorLike, eventmask: number): void;
  /**
   * Stops watching `fd`. A closed socket leaves the set by itself, as on
   * Linux; unregistering its number afterwards gives EBADF.
   *
   * @throws {FileNotFoundError} ENOENT (2): `fd` is not registered.
   * @throws {OSError} EBADF (9): nothing holds the number.
   */
  unregister(fd: FileDescriptorLike): void;
  /**
   * Waits until some registered numbers are ready.
   *
   * @param timeout Seconds; omitted, `null` or negative waits as long as
   * needed, 0 returns at once.
   * @param maxevents The most pairs to return; -1 (the default) means
   * FD_SETSIZE - 1 (1023), as Python.
   * @returns `[fd, events]` pairs; empty when the timeout passed. EPOLLERR and
   * EPOLLHUP are reported even when not asked for.
   * @throws {RangeError} `maxevents` is 0 or below -1, `timeout` is above
   * 2147483.647 s (Python's OverflowError), or the epoll is closed.
   */
  poll(
    timeout?: number | null,
    maxevents?: number,
  ): Promise<Array<[number, number]>>;
  /** Closes the epoll; its registrations end. Idempotent. */
  close(): void;
  /** Closes the epoll (`using`). */
  [Symbol.dispose](): void;
  /** Closes the epoll (`await using`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates an epoll object, as Python's `select.epoll()`.
 *
 * @param sizehint Ignored, as on Linux since 2.6.8; -1 or positive.
 * @param flags 0 or EPOLL_CLOEXEC.
 * @returns A new, empty epoll object; close it when done.
 * @throws {TypeError} `sizehint` or `flags` is not an integer.
 * @throws {RangeError} `sizehint` is 0 or below -1.
 * @throws {OSError} EINVAL (22): unknown `flags`, as `epoll_create1()`.
 *
 * @example Level- and edge-triggered
 * ```ts
 * import { epoll, EPOLLET, EPOLLIN } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using ep = epoll();
 * ep.register(a, EPOLLIN | EPOLLET);
 * await b.sendall("x");
 * assert.deepEqual(await ep.poll(5), [[a.fileno(), EPOLLIN]]);
 * assert.deepEqual(await ep.poll(0), []); // reported once
 * ```
 */
export function epoll(sizehint = -1, flags = 0): Epoll {
  if (typeof sizehint !== "number" || !Number.isInteger(sizehint)) {
    throw new TypeError(
      `Cannot create epoll: sizehint must be an integer, received ${
        show(sizehint)
      }`,
    );
  }
  if (sizehint === 0 || sizehint < -1) {
    throw new RangeError(
      `Cannot create epoll: sizehint must be -1 or positive, received ${sizehint}`,
    );
  }
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(
      `Cannot create epoll: flags must be an integer, received ${show(flags)}`,
    );
  }
  if ((flags & ~EPOLL_CLOEXEC) !== 0 || flags < 0) {
    // As epoll_create1() and Python: OSError, EINVAL.
    throw new OSError(
      EINVAL,
      `Cannot create epoll: flags must be 0 or EPOLL_CLOEXEC, received ${flags}`,
    );
  }
  return open_epoll(create_instance());
}

/**
 * An epoll object for the number of an open one, as Python's
 * `select.epoll.fromfd()`: both share the registrations, and closing either
 * closes the number, after which the other's calls fail with EBADF (as on
 * Linux; Python does not duplicate the number either).
 *
 * @param fd The `fileno()` of an open epoll object.
 * @returns Another epoll object on the same set.
 * @throws {TypeError} `fd` is not an integer.
 * @throws {OSError} EBADF (9): nothing holds `fd`; EINVAL (22): `fd` is not
 * an epoll (found at once here; Linux finds it at the first call).
 *
 * @example Usage
 * ```ts
 * import { epoll, EPOLLOUT } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * using ep = epoll();
 * const again = epoll.fromfd(ep.fileno());
 * again.register(a, EPOLLOUT);
 * assert.deepEqual(await ep.poll(1), [[a.fileno(), EPOLLOUT]]);
 * ```
 */
epoll.fromfd = function fromfd(fd: number): Epoll {
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new TypeError(
      `Cannot open epoll from fd: fd must be an integer, received ${show(fd)}`,
    );
  }
  const instance = instances.get(source_of(fd));
  if (instance === undefined) throw new OSError(EINVAL);
  return open_epoll(instance);
};

// One epoll as the kernel holds it: its set and its own number, shared by
// every object epoll.fromfd() makes for that number.
interface Instance {
  readonly interest: Interest;
  readonly listeners: Set<(edges: number) => void>;
  readonly self: ReadinessSource;
  readonly fd: number;
}

const instances = new WeakMap<ReadinessSource, Instance>();

function create_instance(): Instance {
  const interest = new Interest("drop");
  const listeners = new Set<(edges: number) => void>();
  // The epoll's own number: readable while a registration may be ready.
  const self: ReadinessSource = {
    poll_events: () => interest.has_ready() ? EV_IN : 0,
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  interest.on_ready = () => {
    for (const listener of listeners) listener(EV_IN);
  };
  const instance = { interest, listeners, self, fd: register_fileno(self) };
  instances.set(self, instance);
  return instance;
}

function close_instance(instance: Instance): void {
  if (instance.interest.closed) return;
  instance.interest.close();
  instance.listeners.clear();
  release_fileno(instance.fd);
}

// A Python epoll object over `instance`: closed on its own, as Python's
// object is, while its number may be closed through another one.
function open_epoll(instance: Instance): Epoll {
  const { interest, self } = instance;
  let closed = false;
  const open = (action: string): void => {
    if (closed) {
      throw new RangeError(
        `Cannot ${action}: I/O operation on closed epoll object`,
      );
    }
    if (interest.closed) throw new OSError(EBADF);
  };
  const registered = (fd: FileDescriptorLike, action: string) => {
    open(action);
    const n = fileobj_to_fd(fd);
    const reg = interest.get(n);
    if (reg === undefined) {
      source_of(n); // EBADF first, as epoll_ctl checks the number first
      throw new FileNotFoundError(ENOENT);
    }
    return reg;
  };
  const ep: Epoll = {
    get closed() {
      return closed;
    },
    fileno() {
      if (closed) {
        throw new RangeError(
          "Cannot get file number: I/O operation on closed epoll object",
        );
      }
      return instance.fd;
    },
    register(fd, eventmask = EPOLLIN | EPOLLPRI | EPOLLOUT) {
      open("register");
      const n = fileobj_to_fd(fd);
      const bits = check_mask(eventmask, "register");
      const source = source_of(n);
      if (source === self) throw new OSError(EINVAL);
      if (interest.get(n) !== undefined) throw new FileExistsError();
      interest.add(
        n,
        source,
        to_ev(bits),
        bits,
        (bits & EPOLLET) !== 0,
        (bits & EPOLLONESHOT) !== 0,
      );
    },
    modify(fd, eventmask) {
      const bits = check_mask(eventmask, "modify");
      const reg = registered(fd, "modify");
      if (bits & EPOLLEXCLUSIVE) throw new OSError(EINVAL);
      interest.modify(
        reg,
        to_ev(bits),
        bits,
        (bits & EPOLLET) !== 0,
        (bits & EPOLLONESHOT) !== 0,
      );
    },
    unregister(fd) {
      const reg = registered(fd, "unregister");
      interest.remove(reg.fd);
    },
    async poll(timeout, maxevents = -1) {
      open("poll");
      const secs = timeout ?? -1;
      if (typeof secs !== "number" || Number.isNaN(secs)) {
        throw new TypeError(
          `Cannot poll: timeout must be a number or null, received ${
            show(timeout)
          }`,
        );
      }
      if (!Number.isInteger(maxevents) || maxevents === 0 || maxevents < -1) {
        throw new RangeError(
          `Cannot poll: maxevents must be greater than 0, got ${maxevents}`,
        );
      }
      const max = maxevents === -1 ? FD_SETSIZE - 1 : maxevents;
      const ms = secs < 0 ? null : timeout_ms(secs, 1000, "poll");
      return await interest.poll(ms, max, pair);
    },
    close() {
      if (closed) return;
      closed = true;
      close_instance(instance);
    },
    [Symbol.dispose]() {
      ep.close();
    },
    [Symbol.asyncDispose]() {
      ep.close();
      return Promise.resolve();
    },
  };
  return ep;
}

/**
 * Python's `select.poll()` and `select.epoll()` objects and the `POLL*` and
 * `EPOLL*` constants, with Linux's values. Registrations are kept: each poll
 * costs time in proportion to the ready objects, not the registered ones.
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
import { fileobj_to_fd, show, source_of } from "./_fileobj.ts";
import { Interest, NVAL, type Registration } from "./_interest.ts";
import {
  EINVAL,
  ENOENT,
  EV_IN,
  EV_OUT,
  FileExistsError,
  FileNotFoundError,
  lookup_fileno,
  OSError,
  type ReadinessSource,
  register_fileno,
  release_fileno,
} from "./_net.ts";
import { KeyError } from "./key_error.ts";
import { RuntimeError } from "./runtime_error.ts";
import { timeout_ms } from "./_timeout.ts";
import type { FileDescriptorLike } from "./select.ts";

/** There is data to read (or a connection to accept): Linux's POLLIN, 1. */
export const POLLIN = 0x001;
/** There is urgent data to read (never, on our sockets): POLLPRI, 2. */
export const POLLPRI = 0x002;
/** Writing will not wait: POLLOUT, 4. */
export const POLLOUT = 0x004;
/** An error is pending (always reported): POLLERR, 8. */
export const POLLERR = 0x008;
/** Hung up (always reported): POLLHUP, 16. */
export const POLLHUP = 0x010;
/** The file number is not open (always reported): POLLNVAL, 32. */
export const POLLNVAL = 0x020;
/** Normal data may be read: POLLRDNORM, 64. */
export const POLLRDNORM = 0x040;
/** Priority band data may be read (never here): POLLRDBAND, 128. */
export const POLLRDBAND = 0x080;
/** Normal data may be written: POLLWRNORM, 256. */
export const POLLWRNORM = 0x100;
/** Priority data may be written: POLLWRBAND, 512. */
export const POLLWRBAND = 0x200;
/** Linux's POLLMSG, 1024 (never reported). */
export const POLLMSG = 0x400;
/** The peer shut its writing side down: POLLRDHUP, 0x2000. */
export const POLLRDHUP = 0x2000;

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

// Python's poll.poll() and epoll.poll() return at most FD_SETSIZE - 1 events
// when maxevents is not given.
const FD_SETSIZE = 1024;
// poll()'s event mask is a C unsigned short.
const MAX_POLL_MASK = 0xffff;

/**
 * Python's `select.poll()` object: a set of file numbers with the events to
 * watch, polled with a timeout in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { poll, POLLOUT } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const p = poll();
 * p.register(a, POLLOUT);
 * assert.deepEqual(await p.poll(1000), [[a.fileno(), POLLOUT]]);
 * p.unregister(a);
 * ```
 */
export interface Poll {
  /**
   * Watches `fd` for `eventmask`; registering a number again replaces its
   * mask, as in Python.
   *
   * @param fd A file number or an object with `fileno()`.
   * @param eventmask An OR of POLLIN, POLLPRI, POLLOUT, POLLRDNORM,
   * POLLWRNORM...; POLLIN | POLLPRI | POLLOUT when omitted.
   * @throws {RangeError} `eventmask` is negative or above 65535 (a C
   * unsigned short, as in Python).
   */
  register(fd: FileDescriptorLike, eventmask?: number): void;
  /**
   * Changes the mask of a registered number.
   *
   * @throws {FileNotFoundError} ENOENT (2): `fd` is not registered.
   * @throws {RangeError} `eventmask` is negative or above 65535.
   */
  modify(fd: FileDescriptorLike, eventmask: number): void;
  /**
   * Stops watching `fd`.
   *
   * @throws {KeyError} `fd` is not registered.
   */
  unregister(fd: FileDescriptorLike): void;
  /**
   * Waits until some registered numbers are ready.
   *
   * @param timeout Milliseconds; omitted, `null` or negative waits as long as
   * needed, 0 returns at once.
   * @returns `[fd, events]` pairs; empty when the timeout passed. POLLERR,
   * POLLHUP and POLLNVAL are reported even when not asked for.
   * @throws {RangeError} `timeout` is above 2147483647 ms (Python's
   * OverflowError).
   * @throws {RuntimeError} Another `poll()` of this object still waits
   * ("concurrent poll() invocation", as Python for two threads).
   */
  poll(timeout?: number | null): Promise<Array<[number, number]>>;
}

/**
 * Creates a poll object, as Python's `select.poll()`.
 *
 * @returns A new, empty poll object.
 *
 * @example Usage
 * ```ts
 * import { poll, POLLIN } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const p = poll();
 * p.register(a.fileno(), POLLIN);
 * assert.deepEqual(await p.poll(0), []);
 * await b.sendall("x");
 * assert.deepEqual(await p.poll(1000), [[a.fileno(), POLLIN]]);
 * p.unregister(a.fileno());
 * ```
 */
export function poll(): Poll {
  const interest = new Interest("follow");
  let polling = false;
  const add = (fd: FileDescriptorLike, mask: number): void => {
    const n = fileobj_to_fd(fd);
    const bits = check_poll_mask(mask, "register");
    const reg = interest.get(n);
    if (reg !== undefined) {
      interest.modify(reg, to_ev(bits), bits, false, false);
    } else interest.add(n, lookup_fileno(n), to_ev(bits), bits, false, false);
  };
  return {
    register(fd, eventmask = POLLIN | POLLPRI | POLLOUT) {
      add(fd, eventmask);
    },
    modify(fd, eventmask) {
      const n = fileobj_to_fd(fd);
      const bits = check_poll_mask(eventmask, "modify");
      const reg = interest.get(n);
      if (reg === undefined) throw new FileNotFoundError(ENOENT);
      interest.modify(reg, to_ev(bits), bits, false, false);
    },
    unregister(fd) {
      const n = fileobj_to_fd(fd);
      if (!interest.remove(n)) throw new KeyError(n);
    },
    async poll(timeout) {
      const ms = poll_ms(timeout);
      if (polling) throw new RuntimeError("concurrent poll() invocation");
      polling = true;
      try {
        return await interest.poll(ms, FD_SETSIZE - 1, pair);
      } finally {
        polling = false;
      }
    },
  };
}

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
  /** The epoll's own file number; -1 once closed. */
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
 * @throws {RangeError} `sizehint` is 0 or below -1, or unknown `flags`.
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
  if (!Number.isInteger(sizehint) || sizehint === 0 || sizehint < -1) {
    throw new RangeError(
      `Cannot create epoll: sizehint must be -1 or positive, received ${sizehint}`,
    );
  }
  if (!Number.isInteger(flags) || (flags & ~EPOLL_CLOEXEC) !== 0) {
    throw new RangeError(
      `Cannot create epoll: flags must be 0 or EPOLL_CLOEXEC, received ${flags}`,
    );
  }
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
  let own = register_fileno(self);
  const open = (action: string): void => {
    if (interest.closed) {
      throw new RangeError(
        `Cannot ${action}: I/O operation on closed epoll object`,
      );
    }
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
      return interest.closed;
    },
    fileno() {
      return own;
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
      if (interest.closed) return;
      interest.close();
      listeners.clear();
      release_fileno(own);
      own = -1;
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

function check_mask(mask: unknown, action: string): number {
  if (typeof mask !== "number" || !Number.isInteger(mask)) {
    throw new TypeError(
      `Cannot ${action}: eventmask must be an integer, received ${show(mask)}`,
    );
  }
  // `EPOLLIN | EPOLLET` is negative in JavaScript's 32-bit bit operations.
  if (mask < -0x80000000 || mask > 0xffffffff) {
    throw new RangeError(
      `Cannot ${action}: eventmask must be a 32-bit mask, received ${mask}`,
    );
  }
  return mask >>> 0;
}

// poll()'s mask, refused out of a C unsigned short as Python refuses it
// (ValueError below 0, OverflowError above).
function check_poll_mask(mask: unknown, action: string): number {
  if (typeof mask === "number" && (mask < 0 || mask > MAX_POLL_MASK)) {
    throw new RangeError(
      `Cannot ${action}: eventmask must be 0-${MAX_POLL_MASK}, received ${mask}`,
    );
  }
  return check_mask(mask, action);
}

// The EV_* bits a POLL*/EPOLL* mask asks a source for.
function to_ev(mask: number): number {
  return (mask & (EV_IN | EV_OUT)) |
    (mask & POLLRDNORM ? EV_IN : 0) |
    (mask & POLLWRNORM ? EV_OUT : 0);
}

// What poll() and epoll.poll() return for a ready registration.
function pair(reg: Registration, level: number): [number, number] {
  return [reg.fd, report(reg, level)];
}

// The bits reported for a level, in the caller's own terms, as Linux words
// them: POLLRDNORM and POLLWRNORM when asked for, POLLERR, POLLHUP and
// POLLNVAL always.
function report(reg: Registration, level: number): number {
  if (level === NVAL) return POLLNVAL;
  const mask = reg.mask;
  let out = level & (mask | POLLERR | POLLHUP) & ~(POLLIN | POLLOUT);
  if (level & EV_IN) {
    out |= mask & (POLLIN | POLLRDNORM);
  }
  if (level & EV_OUT) {
    out |= mask & (POLLOUT | POLLWRNORM);
  }
  return out;
}

function poll_ms(timeout: unknown): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(
      `Cannot poll: timeout must be a number or null, received ${
        show(timeout)
      }`,
    );
  }
  return timeout < 0 ? null : timeout_ms(timeout, 1, "poll");
}

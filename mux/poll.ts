/**
 * Python's `select.poll()` object and the `POLL*` constants, with Linux's
 * values. Registrations are kept: each poll costs time in proportion to the
 * ready objects, not the registered ones.
 *
 * @example A poll loop
 * ```ts
 * import { poll, POLLIN } from "@pysock/pysock/mux";
 * import { socketpair } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const [a, b] = await socketpair();
 * await using _a = a;
 * await using _b = b;
 * const p = poll();
 * p.register(a.fileno(), POLLIN);
 * await b.sendall("hi");
 * assert.deepEqual(await p.poll(5000), [[a.fileno(), POLLIN]]);
 * p.unregister(a);
 * ```
 * @module
 */
import { check_mask, FD_SETSIZE, pair, to_ev } from "./_events.ts";
import { fileobj_to_fd, show } from "./_fileobj.ts";
import { Interest } from "./_interest.ts";
import { ENOENT, FileNotFoundError, lookup_fileno } from "./_net.ts";
import { timeout_ms } from "./_timeout.ts";
import { KeyError } from "./key_error.ts";
import { RuntimeError } from "./runtime_error.ts";
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

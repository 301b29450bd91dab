// Connections several Socket objects share. dup(), fromfd() and
// socket(..., fileno) give more objects (and file numbers) for one
// connection, as Linux's dup(2) does; the connection closes when the last
// object holding it closes, and a detached number waits to be adopted.
import { _Core } from "./_core.ts";
import { _Source } from "./_events.ts";
import { _Receiver } from "./_receive.ts";
import { _Sender } from "./_send.ts";
import { EBADF } from "./errno.ts";
import { OSError } from "./errors.ts";
import {
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  lookup_fileno,
  register_fileno,
  release_fileno,
} from "./readiness.ts";

// A number's readiness source, which knows its connection.
class _SharedSource extends _Source {
  readonly shared: _Shared;
  constructor(shared: _Shared) {
    super(shared.core, shared.rx, shared.tx);
    this.shared = shared;
  }
}

/** One connection's engines and the file numbers that name it. */
export class _Shared {
  readonly core: _Core;
  readonly rx: _Receiver;
  readonly tx: _Sender;
  // Socket objects holding the connection.
  #refs = 0;
  // Each number and how many objects hold it; a detached one stays at 0.
  #numbers = new Map<number, number>();

  constructor(core: _Core) {
    this.core = core;
    this.tx = new _Sender(core);
    this.rx = new _Receiver(core, this.tx);
  }

  /** Engines that fail every call with EBADF, for an object let go. */
  static closed(family: number, type: number): _Shared {
    const core = new _Core(family, type, null);
    core.closed = true;
    return new _Shared(core);
  }

  /** A new file number for one more holder. */
  number(): number {
    const fd = register_fileno(new _SharedSource(this));
    this.#numbers.set(fd, 1);
    this.#refs++;
    return fd;
  }

  /** One more holder of `fd`, as `socket(..., fileno)`. */
  hold(fd: number): void {
    this.#numbers.set(fd, (this.#numbers.get(fd) ?? 0) + 1);
    this.#refs++;
  }

  /** `from`'s holder takes a new number instead, as `dup()`. */
  renumber(from: number): number {
    this.release(from, true);
    return this.number();
  }

  /**
   * A holder lets `fd` go; with `keep` (detach) the number stays for
   * someone to adopt. True when the connection is to close: no holder left
   * and nothing kept.
   */
  release(fd: number, keep: boolean): boolean {
    const left = (this.#numbers.get(fd) ?? 1) - 1;
    this.#numbers.set(fd, left);
    if (left === 0 && !keep) {
      this.#numbers.delete(fd);
      release_fileno(fd);
    }
    if (--this.#refs > 0 || keep) return false;
    for (const n of this.#numbers.keys()) release_fileno(n);
    this.#numbers.clear();
    return true;
  }

  /**
   * Closes the connection, at once for its callers (every call fails with
   * EBADF), while queued sends still drain: resolves once they have and the
   * port is free again.
   */
  async close(): Promise<void> {
    const { core, rx, tx } = this;
    core.closed = true;
    core.connect_abort?.abort();
    rx.stop();
    core.waiting.fire(EV_IN | EV_OUT | EV_ERR | EV_HUP);
    await tx.linger();
    core.close_resources(rx.conns);
    rx.conns = [];
    await Promise.allSettled([rx.op, core.connecting, tx.draining, tx.direct]);
    if (core.listener) {
      // Deno frees the port one turn after the cancelled accept settles.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

/** The connection a number of this process names; EBADF for any other. */
export function _shared_at(fd: number): _Shared {
  const source = lookup_fileno(fd);
  const shared = source instanceof _SharedSource ? source.shared : undefined;
  if (shared === undefined) {
    throw new OSError(
      EBADF,
      `Bad file descriptor: no socket of this process holds ${fd}`,
    );
  }
  return shared;
}

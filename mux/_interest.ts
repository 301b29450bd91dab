// The readiness engine behind poll(), epoll() and the selectors: persistent
// watchers keep a ready set up to date from the sources' callbacks, so a poll
// costs O(ready), never O(registered), and idle registrations cost nothing.
import {
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  lookup_fileno,
  type ReadinessSource,
} from "./_net.ts";
import { after_immediate, macrotask, note_turn } from "./_turn.ts";

/** POLLNVAL: the registered number is not open. */
export const NVAL = 0x020;

/** Turns a ready registration and its EV_* level into a caller's item. */
export type Report<T> = (reg: Registration, level: number) => T | undefined;

/** What happens to a registration whose file number was closed. */
export type ClosePolicy = "drop" | "follow";

/** One registered file number. */
export interface Registration {
  readonly fd: number;
  source: ReadinessSource | undefined;
  /** EV_* bits wanted. */
  events: number;
  /** The caller's own mask, kept for reporting. */
  mask: number;
  edge: boolean;
  oneshot: boolean;
  /** False once a one-shot registration reported, until modified. */
  armed: boolean;
  unwatch: (() => void) | undefined;
  /** The EV_* bits the source was asked to watch. */
  watched: number;
  readonly listener: (edges: number) => void;
}

interface Waiter {
  resolve: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

// Deno's timers hold at most a signed 32-bit delay.
const MAX_DELAY = 2 ** 31 - 1;
const ALWAYS = EV_ERR | EV_HUP;

/**
 * A set of registrations with a ready list. "drop" (epoll) forgets a number
 * once its source is closed, as Linux does on close; "follow" (poll) reports
 * POLLNVAL while nothing holds the number and follows a new source reusing it.
 */
export class Interest {
  readonly #policy: ClosePolicy;
  readonly #regs = new Map<number, Registration>();
  readonly #ready = new Set<Registration>();
  readonly #waiters = new Set<Waiter>();
  #closed = false;
  /** Called whenever a registration becomes ready. */
  on_ready: (() => void) | undefined;

  constructor(policy: ClosePolicy) {
    this.#policy = policy;
  }

  get size(): number {
    return this.#regs.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether some registration is ready now, without reporting it (epoll's own
   * number is readable then); drops queued entries that are no longer ready.
   */
  has_ready(): boolean {
    for (const reg of this.#ready) {
      if (reg.armed && this.#level(reg) > 0) return true;
      this.#ready.delete(reg);
    }
    return false;
  }

  get(fd: number): Registration | undefined {
    const reg = this.#regs.get(fd);
    if (reg === undefined) return undefined;
    // A closed number dropped from an epoll set, as Linux does on close.
    if (this.#policy === "drop" && lookup_fileno(fd) !== reg.source) {
      this.#forget(reg);
      return undefined;
    }
    return reg;
  }

  add(
    fd: number,
    source: ReadinessSource | undefined,
    events: number,
    mask: number,
    edge: boolean,
    oneshot: boolean,
  ): Registration {
    const reg: Registration = {
      fd,
      source,
      events,
      mask,
      edge,
      oneshot,
      armed: true,
      unwatch: undefined,
      watched: 0,
      listener: (edges) => this.#notify(reg, edges),
    };
    this.#regs.set(fd, reg);
    this.#attach(reg);
    this.#check(reg);
    return reg;
  }

  modify(
    reg: Registration,
    events: number,
    mask: number,
    edge: boolean,
    oneshot: boolean,
  ): void {
    // Watching only widens: a socket switched from reading to writing (and
    // back, as echo servers do per message) keeps its watcher and its read.
    const rewatch = (watch_bits(events) & ~reg.watched) !== 0;
    reg.events = events;
    reg.mask = mask;
    reg.edge = edge;
    reg.oneshot = oneshot;
    reg.armed = true;
    if (rewatch) {
      reg.unwatch?.();
      reg.unwatch = undefined;
      this.#attach(reg);
    }
    this.#ready.delete(reg);
    this.#check(reg);
  }

  remove(fd: number): boolean {
    const reg = this.#regs.get(fd);
    if (reg === undefined) return false;
    this.#forget(reg);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const reg of this.#regs.values()) reg.unwatch?.();
    this.#regs.clear();
    this.#ready.clear();
    this.#wake();
  }

  /**
   * Reports up to `max` ready registrations: `report` turns each one and its
   * EV_* level into the caller's item (undefined: left out of the result).
   */
  collect<T>(max: number, report: Report<T>): T[] {
    const out: T[] = [];
    if (this.#ready.size === 0) return out;
    let count = 0;
    let kept = 0;
    for (const reg of this.#ready) {
      if (count >= max) break;
      const level = reg.armed ? this.#level(reg) : 0;
      if (level <= 0) {
        this.#ready.delete(reg);
        continue;
      }
      count++;
      const item = report(reg, level);
      if (item !== undefined) out.push(item);
      if (reg.oneshot) reg.armed = false;
      // Level-triggered entries stay ready, in place.
      if (reg.oneshot || reg.edge) this.#ready.delete(reg);
      else kept++;
    }
    // When `max` cut the report short, the level-triggered entries reported
    // move to the tail, so the next call reports the others first.
    if (count >= max) this.#rotate(kept);
    return out;
  }

  /**
   * Waits up to `timeout` ms (null: forever, 0: poll) for a ready
   * registration and reports them as {@linkcode collect} does.
   */
  async poll<T>(
    timeout: number | null,
    max: number,
    report: Report<T>,
  ): Promise<T[]> {
    let out = this.collect(max, report);
    if (out.length > 0) {
      await after_immediate();
      return out;
    }
    if (timeout === 0) {
      await macrotask();
      return this.collect(max, report);
    }
    const deadline = timeout === null ? Infinity : performance.now() + timeout;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#closed) return [];
      await this.#wait(left);
      note_turn();
      out = this.collect(max, report);
      if (out.length > 0) return out;
    }
  }

  // Moves the first `n` queued entries to the tail: after collect(), the
  // level-triggered ones just reported.
  #rotate(n: number): void {
    const head: Registration[] = [];
    for (const reg of this.#ready) {
      if (head.length >= n) break;
      head.push(reg);
    }
    for (const reg of head) {
      this.#ready.delete(reg);
      this.#ready.add(reg);
    }
  }

  #attach(reg: Registration): void {
    reg.watched |= watch_bits(reg.events);
    if (reg.source !== undefined) {
      reg.unwatch = reg.source.watch(reg.listener, reg.watched);
    }
  }

  #forget(reg: Registration): void {
    reg.unwatch?.();
    reg.unwatch = undefined;
    this.#ready.delete(reg);
    if (this.#regs.get(reg.fd) === reg) this.#regs.delete(reg.fd);
  }

  // Queues `reg` if it is ready now: at registration and modification, as
  // epoll_ctl does, for edge-triggered entries too.
  #check(reg: Registration): void {
    if (this.#level(reg) > 0) {
      this.#ready.add(reg);
      this.#wake();
    }
  }

  #notify(reg: Registration, edges: number): void {
    if (!reg.armed || this.#regs.get(reg.fd) !== reg) return;
    if (reg.edge && (edges & (reg.events | ALWAYS)) === 0) return;
    // Room to write changes nothing for a registration that does not write
    // (an echo server's socket switched back to reading, per message).
    if (edges === EV_OUT && (reg.events & EV_OUT) === 0) return;
    const level = this.#level(reg);
    if (level > 0) {
      this.#ready.add(reg);
      this.#wake();
    } else if (level === 0 && !reg.edge) {
      this.#ready.delete(reg);
    }
  }

  // The EV_* bits `reg` is ready for; -1 once it was dropped.
  #level(reg: Registration): number {
    const now = lookup_fileno(reg.fd);
    if (now !== reg.source) {
      if (this.#policy === "drop") {
        this.#forget(reg);
        return -1;
      }
      reg.unwatch?.();
      reg.unwatch = undefined;
      reg.source = now;
      this.#attach(reg);
    }
    if (reg.source === undefined) return NVAL;
    return reg.source.poll_events() & (reg.events | ALWAYS);
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve, timer: undefined };
      if (ms !== Infinity) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve();
        }, Math.min(Math.ceil(ms), MAX_DELAY));
      }
      this.#waiters.add(waiter);
    });
  }

  #wake(): void {
    if (this.#waiters.size > 0) {
      for (const waiter of this.#waiters) {
        if (waiter.timer !== undefined) clearTimeout(waiter.timer);
        waiter.resolve();
      }
      this.#waiters.clear();
    }
    this.on_ready?.();
  }
}

// The bits a source is asked to watch: reading and writing; errors and
// hang-ups are always of interest.
function watch_bits(events: number): number {
  return (events & (EV_IN | EV_OUT)) | ALWAYS;
}

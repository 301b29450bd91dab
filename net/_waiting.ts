/**
 * Readiness and waiting: who watches a socket (selectors), telling them when
 * something changed, and waiting for something in the socket's mode
 * (blocking, timeout, non-blocking).
 * @module
 */
import { _macrotask } from "./_turn.ts";
import { BlockingIOError, OSError, TimeoutError } from "./errors.ts";
import { EBADF } from "./errno.ts";
import { EV_IN } from "./readiness.ts";

type Watcher = { listener: (edges: number) => void; events: number };

/** What waits for input: it starts the read that may bring it. */
export interface _Pump {
  pump(): void;
}

/** The longest delay setTimeout() honours. */
const MAX_TIMER_MS = 0x7fffffff;

export class _Waiting {
  /** How many watchers wait for input: the socket then reads ahead. */
  armed = 0;
  // Made on first use: most sockets are never watched.
  #watchers: Set<Watcher> | null = null;
  #changed: PromiseWithResolvers<void> | null = null;
  #owner: { readonly closed: boolean };

  constructor(owner: { readonly closed: boolean }) {
    this.#owner = owner;
  }

  /** Adds a watcher; `reader` reads ahead when it waits for input. */
  watch(
    listener: (edges: number) => void,
    events: number,
    reader: _Pump,
  ): () => void {
    const watcher: Watcher = { listener, events };
    (this.#watchers ??= new Set()).add(watcher);
    if (events & EV_IN) {
      this.armed++;
      reader.pump();
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#watchers!.delete(watcher);
      if (events & EV_IN) this.armed--;
    };
  }

  fire(edges: number): void {
    const changed = this.#changed;
    if (changed) {
      this.#changed = null;
      changed.resolve();
    }
    const watchers = this.#watchers;
    if (watchers !== null && watchers.size > 0) {
      for (const w of watchers) w.listener(edges);
    }
  }

  // Waits until `attempt()` takes something (anything but undefined), in the
  // socket's mode: rejects at once with BlockingIOError (timeout 0) or after
  // `timeout` seconds with TimeoutError. Checking and taking in one
  // synchronous step keeps concurrent callers from taking the same item;
  // they wake in the order they began waiting. Whatever arrives after a
  // timeout stays buffered for the next call. `reader` (for reads) starts
  // the read that may bring it.
  async until<T>(
    attempt: () => T | undefined,
    timeout: number | null,
    reader: _Pump | null,
  ): Promise<T> {
    let got = attempt();
    if (got !== undefined) return got;
    // Read only when nothing is buffered: a receive left pending for no one
    // would block sends on a Unix datagram socket (Deno refuses them then).
    reader?.pump();
    if (timeout === 0) {
      // The loop turns before the refusal (see _turn.ts); what arrived
      // meanwhile is taken instead.
      await _macrotask();
      if (this.#owner.closed) throw new OSError(EBADF);
      got = attempt();
      if (got !== undefined) return got;
      throw new BlockingIOError();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expired = false;
    // setTimeout() takes at most 2**31-1 ms (24.8 days); longer is forever.
    const forever = timeout === null || timeout * 1000 > MAX_TIMER_MS;
    const limit = forever ? null : new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve();
      }, timeout! * 1000);
    });
    try {
      for (;;) {
        reader?.pump();
        const changed =
          (this.#changed ??= Promise.withResolvers<void>()).promise;
        await (limit ? Promise.race([changed, limit]) : changed);
        if (this.#owner.closed) throw new OSError(EBADF);
        got = attempt();
        if (got !== undefined) return got;
        if (expired) throw new TimeoutError();
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

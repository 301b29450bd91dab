// The handlers a server runs at once, so server_close() can wait: the
// selector servers' and each threaded or forking agent's.
import type { Address } from "../net/mod.ts";
import type { BaseServer } from "./base.ts";

/** Servers made by SelectorMixIn or the ready-made selector classes. */
export const selector_servers: WeakSet<object> = new WeakSet();

/** Handler runs in flight for one server. */
export class Tasks {
  #running = new Set<Promise<void>>();
  #on_count: (size: number) => void;

  /** `on_count` hears the number of running handlers each time it changes. */
  constructor(on_count: (size: number) => void = () => {}) {
    this.#on_count = on_count;
  }

  /** How many handlers are running. */
  get size(): number {
    return this.#running.size;
  }

  /**
   * Runs one request to the end without blocking the serving loop, as
   * Python's `process_request_thread` does in its thread: handle, report,
   * always shut the request down. `after` runs once it ended.
   */
  start<R>(
    server: BaseServer<R>,
    request: R,
    client_address: Address,
    after?: () => void,
  ): void {
    const task: Promise<void> = (async () => {
      try {
        await server.finish_request(request, client_address);
      } catch (error) {
        await server.handle_error(request, client_address, error);
      } finally {
        await server.shutdown_request(request);
      }
    })().catch((error) => {
      // A failing handle_error or shutdown_request has no caller to reach;
      // a thread in Python would print it and end, so do the same.
      console.error(error);
    }).finally(() => {
      this.#running.delete(task);
      this.#on_count(this.#running.size);
      after?.();
    });
    this.#running.add(task);
    this.#on_count(this.#running.size);
  }

  /** Waits for every running handler, including ones started meanwhile. */
  async join(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled(this.#running);
    }
  }
}

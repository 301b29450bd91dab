// The handlers a selector server runs at once, so server_close() can wait.
import type { Address } from "../net/mod.ts";
import type { BaseServer } from "./base.ts";

/** Servers made by SelectorMixIn or the ready-made selector classes. */
export const selector_servers: WeakSet<object> = new WeakSet();

/** Handler runs in flight for one server. */
export class Tasks {
  #running = new Set<Promise<void>>();

  /** How many handlers are running. */
  get size(): number {
    return this.#running.size;
  }

  /** Runs one request to the end without blocking the serving loop. */
  start<R>(server: BaseServer<R>, request: R, client_address: Address): void {
    // Python's process_request_thread: handle, report, always clean up.
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
    });
    this.#running.add(task);
  }

  /** Waits for every running handler, including ones started meanwhile. */
  async join(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.all(this.#running);
    }
  }
}

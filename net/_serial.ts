/**
 * A promise serializer: async calls run one after another, in call order.
 * @module
 */

/** Runs async calls one after another, in call order, whatever each ends in. */
export class _Serial {
  #tail: Promise<unknown> | null = null;
  #running = 0;
  // Bound once: a call allocates no closure of its own.
  #settled = () => {
    if (--this.#running === 0) this.#tail = null;
  };

  run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.#tail;
    const run = prev === null ? fn() : prev.then(fn, fn);
    this.#tail = run;
    this.#running++;
    run.then(this.#settled, this.#settled);
    return run;
  }
}

/**
 * Python's `RuntimeError`, which `poll().poll()` throws when called while
 * another call on the same object still waits.
 *
 * @example Usage
 * ```ts
 * import { poll, RuntimeError } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * const p = poll();
 * const waiting = p.poll(50);
 * await assert.rejects(p.poll(0), RuntimeError);
 * assert.deepEqual(await waiting, []);
 * ```
 * @module
 */

/**
 * A call made in a state that forbids it, as Python's `RuntimeError`: a
 * second `poll()` on a poll object while one waits ("concurrent poll()
 * invocation"). Python raises it when two threads poll one object; here two
 * pending calls of the same object would do the same.
 *
 * @example Usage
 * ```ts
 * import { RuntimeError } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * const err = new RuntimeError("concurrent poll() invocation");
 * assert.equal(err.name, "RuntimeError");
 * assert.ok(err instanceof Error);
 * ```
 */
export class RuntimeError extends Error {
  /**
   * Makes the error.
   *
   * @param message What was refused.
   * @param options `cause`, as for any Error.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

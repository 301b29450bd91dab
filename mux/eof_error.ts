/**
 * Python's `EOFError`, which `input()` throws at the end of input.
 *
 * @example Usage
 * ```ts
 * import { EOFError } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * const err = new EOFError();
 * assert.equal(err.name, "EOFError");
 * assert.equal(err.message, "EOF when reading a line");
 * ```
 * @module
 */

/**
 * The end of input reached where a line was expected, as Python's
 * `EOFError`.
 *
 * @example Ending an input loop
 * ```ts
 * import { EOFError } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * async function ask(): Promise<string> {
 *   throw new EOFError();
 * }
 * let answer: string | undefined;
 * try {
 *   answer = await ask();
 * } catch (err) {
 *   if (!(err instanceof EOFError)) throw err;
 * }
 * assert.equal(answer, undefined);
 * ```
 */
export class EOFError extends Error {
  /**
   * Makes the error.
   *
   * @param message The text; Python's `EOF when reading a line` by default.
   * @param options `cause`, as for any Error.
   */
  constructor(message = "EOF when reading a line", options?: ErrorOptions) {
    super(message, options);
    this.name = "EOFError";
  }
}

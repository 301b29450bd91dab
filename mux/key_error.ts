/**
 * Python's `KeyError`, which the selectors and `poll().unregister()` throw.
 *
 * @example Usage
 * ```ts
 * import { DefaultSelector, KeyError } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * using sel = new DefaultSelector();
 * assert.throws(() => sel.get_key(12345), KeyError);
 * ```
 * @module
 */

/**
 * A key that is not in a mapping (or is there already), as Python's
 * `KeyError`: registering a file object twice, or modifying, unregistering or
 * looking up one that is not registered.
 *
 * @example Usage
 * ```ts
 * import { KeyError } from "@pysock/pysock/mux";
 * import assert from "node:assert/strict";
 * const err = new KeyError(7, "7 is not registered");
 * assert.equal(err.name, "KeyError");
 * assert.equal(err.key, 7);
 * ```
 */
export class KeyError extends Error {
  /** The key that was missing or present. */
  readonly key: unknown;
  /**
   * Makes the error.
   *
   * @param key The key in question.
   * @param message The text; the key itself when omitted, as Python prints it.
   * @param options `cause`, as for any Error.
   */
  constructor(key: unknown, message?: string, options?: ErrorOptions) {
    super(message ?? String(key), options);
    this.name = "KeyError";
    this.key = key;
  }
}

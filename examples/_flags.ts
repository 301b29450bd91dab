// The one check every example gives its numeric flags (--port, --count,
// --timeout...): a bad value is a usage error, reported in one line that
// names the flag, with exit code 2, before any socket is opened.

/** What a numeric flag may hold. */
export type FlagKind = "port" | "count" | "positive" | "seconds" | "bytes";

const KINDS: Record<FlagKind, [(n: number) => boolean, string]> = {
  port: [(n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port number"],
  count: [(n) => Number.isInteger(n) && n >= 0, "a whole number, 0 or more"],
  positive: [(n) => Number.isInteger(n) && n > 0, "a whole number above 0"],
  seconds: [(n) => Number.isFinite(n) && n >= 0, "seconds, 0 or more"],
  bytes: [(n) => Number.isSafeInteger(n) && n >= 0, "a byte count"],
};

/**
 * The number `--name` was given as `value`; when it is not one of `kind`
 * the program ends with exit code 2 and a line saying why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { number_flag } from "./_flags.ts";
 * assert.equal(number_flag("port", "8080", "port"), 8080);
 * assert.equal(number_flag("timeout", "0.5", "seconds"), 0.5);
 * ```
 */
export function number_flag(
  name: string,
  value: string,
  kind: FlagKind,
): number {
  const n = value.trim() === "" ? NaN : Number(value);
  const [ok, what] = KINDS[kind];
  if (!ok(n)) {
    console.error(
      `--${name} must be ${what}, received ${JSON.stringify(value)}`,
    );
    Deno.exit(2);
  }
  return n;
}

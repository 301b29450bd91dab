// The one helper every example uses to print what a peer sent: a peer's
// bytes may hold escape sequences (ESC [ ... for colours, cursor moves, the
// window title...) that a terminal would obey, so they are shown escaped,
// never written raw.

const decoder = new TextDecoder(); // invalid UTF-8 becomes U+FFFD

// Every control character (Unicode category Cc: U+0000-U+001F, DEL and the
// C1 range U+0080-U+009F, which some terminals also obey).
const CONTROL = /\p{Cc}/gu;
const NAMED: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * `data` as text safe to print: each control character is written as
 * Python's repr() writes it (`\t`, `\n`, `\r`, else `\xNN`); everything else,
 * quotes and backslashes included, is left as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printable } from "./_printable.ts";
 * assert.equal(printable("\x1b[2Jhi\r\n"), "\\x1b[2Jhi\\r\\n");
 * assert.equal(printable(new TextEncoder().encode("你好\x07")), "你好\\x07");
 * ```
 */
export function printable(data: string | Uint8Array): string {
  const text = typeof data === "string" ? data : decoder.decode(data);
  return text.replace(
    CONTROL,
    (c) => NAMED[c] ?? `\\x${c.codePointAt(0)!.toString(16).padStart(2, "0")}`,
  );
}

/**
 * Python's `input()`: one line from the standard input, without its newline.
 *
 * @example An interactive client's loop (run with input piped in)
 * ```ts ignore
 * import { EOFError, input } from "@pysock/pysock/mux";
 * for (;;) {
 *   let line: string;
 *   try {
 *     line = await input("> ");
 *   } catch (err) {
 *     if (err instanceof EOFError) break;
 *     throw err;
 *   }
 *   console.log("you said:", line);
 * }
 * ```
 * @module
 */
import { EOFError } from "./eof_error.ts";
import { stdin } from "./stdin.ts";

/**
 * Reads one line from the standard input and returns it without its "\n",
 * as Python's `input()`; a "\r" before it stays, as on Linux. The prompt,
 * when given, is written to the standard output first, without a newline.
 *
 * It reads through the same buffer as the {@linkcode stdin} object, so a
 * program may mix `select([stdin], ...)`, `stdin.readline()` and `input()`
 * and lose no byte. Nothing needs closing afterwards: once the line is
 * there, no read of the standard input is left outstanding, and the process
 * exits as usual.
 *
 * @param prompt Written as `String(prompt)` before reading, unless omitted.
 * @returns The line, without its "\n"; the last line may lack one.
 * @throws {EOFError} The input ended before any character of a line.
 * @throws {RangeError} `stdin` was closed.
 *
 * @example Reading answers piped in
 * ```ts ignore
 * // echo "Ada" | deno run greet.ts
 * import { input } from "@pysock/pysock/mux";
 * const name = await input("Your name? ");
 * console.log(`Hello, ${name}!`);
 * ```
 */
export async function input(prompt?: unknown): Promise<string> {
  if (stdin.closed) {
    throw new RangeError("Cannot read input: I/O operation on closed file");
  }
  if (prompt !== undefined) write_all(String(prompt));
  const line = await stdin.readline();
  if (line === "") throw new EOFError();
  return line.endsWith("\n") ? line.slice(0, -1) : line;
}

// Synchronous, as Python flushes the prompt before it waits; a write to a
// pipe may be partial.
function write_all(text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
}

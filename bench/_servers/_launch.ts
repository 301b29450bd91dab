/**
 * The launcher protocol shared by the Deno servers in this folder: print the
 * port on the first line of stdout, serve until stdin ends (the benchmark
 * closes it to stop the server), clean up, exit.
 *
 * @module
 */

/** Prints `port`, waits for stdin to end, runs `stop`, and exits. */
export async function serve_until_stdin_ends(
  port: number,
  stop: () => Promise<void>,
): Promise<never> {
  await Deno.stdout.write(new TextEncoder().encode(`${port}\n`));
  try {
    for await (const _ of Deno.stdin.readable) {
      // Nothing is sent on stdin: it only signals the end.
    }
  } catch {
    // A broken pipe also means the benchmark is gone.
  }
  // Bounded: a handler that never returns must not keep the process alive.
  const timer = setTimeout(() => Deno.exit(0), 3000);
  try {
    await stop();
  } finally {
    clearTimeout(timer);
  }
  Deno.exit(0);
}

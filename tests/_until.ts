/**
 * Waiting in tests: checks a condition until it holds or a deadline passes.
 *
 * @module
 */

/**
 * Checks `check` every `every_ms` until it holds; throws after `ms`, with
 * `what` in the message.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  every_ms = 10,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, every_ms));
  }
  if (!await check()) throw new Error(`${what}: not within ${ms} ms`);
}

// Poll timeouts as CPython's select module takes them: poll() and
// epoll_wait() take an int of milliseconds, and Python raises OverflowError
// beyond it rather than waiting less (or forever) than asked.

/** The longest wait poll() and epoll_wait() take: INT_MAX milliseconds. */
export const MAX_POLL_MS = 2 ** 31 - 1;

/**
 * `timeout` (in milliseconds when `per_ms` is 1, in seconds when it is 1000)
 * as whole milliseconds, rounded up as CPython rounds it.
 *
 * @throws {RangeError} Beyond {@linkcode MAX_POLL_MS}, naming the limit.
 */
export function timeout_ms(
  timeout: number,
  per_ms: 1 | 1000,
  action: string,
): number {
  const ms = Math.ceil(timeout * per_ms);
  if (ms > MAX_POLL_MS) {
    const limit = per_ms === 1
      ? `${MAX_POLL_MS} ms`
      : `${MAX_POLL_MS / 1000} s`;
    throw new RangeError(
      `Cannot ${action}: timeout must be at most ${limit}, received ${timeout}`,
    );
  }
  return ms;
}

/**
 * The restart backoff of a pool: agents that crash soon after they start
 * would restart in a hot loop, so each early crash in a row doubles the wait
 * before the next start, up to a cap; closing the pool ends every wait.
 * @module
 */

/** The wait before the second restart in a row of agents that crash early. */
const RESTART_BASE_MS = 100;
/** The longest wait before a restart: each early crash doubles it up to this. */
const RESTART_CAP_MS = 5_000;
/** An agent that ran this long before it stopped did not crash early. */
const STABLE_MS = 10_000;

export class _Backoff {
  // Early crashes in a row.
  #crashes = 0;
  // Restarts waiting out their backoff.
  #waits = new Set<() => void>();

  /**
   * The wait before replacing an agent born at `born` (performance.now())
   * that just stopped: 0 unless the agents before it crashed early too.
   */
  next(born: number): number {
    if (performance.now() - born >= STABLE_MS) this.#crashes = 0;
    const wait = this.#crashes === 0
      ? 0
      : Math.min(RESTART_CAP_MS, RESTART_BASE_MS * 2 ** (this.#crashes - 1));
    this.#crashes++;
    return wait;
  }

  /** Resolves true after `ms`, or false at once when `cancel()` ends it. */
  wait(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const end = (waited: boolean) => {
        clearTimeout(timer);
        this.#waits.delete(cancel);
        resolve(waited);
      };
      const cancel = () => end(false);
      const timer = setTimeout(() => end(true), ms);
      this.#waits.add(cancel);
    });
  }

  /** Ends every wait (the pool closes). */
  cancel(): void {
    for (const cancel of [...this.#waits]) cancel();
  }
}

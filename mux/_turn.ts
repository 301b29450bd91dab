// Yielding to Deno's event loop. A select that returns at once resolves in a
// microtask, and a loop of those never lets socket ops complete; setTimeout(0)
// is clamped to milliseconds once nested, so a MessageChannel round trip
// (about 15 us, one op, closed at once) gives the loop its turn instead.

let streak = 0;
let last = 0;

/** Resolves after one turn of the event loop. */
export function macrotask(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.onmessage = () => {
      port1.close();
      port2.close();
      note_turn();
      resolve();
    };
    port1.postMessage(null);
  });
}

/** Records that the event loop has just turned (a wait ended). */
export function note_turn(): void {
  streak = 0;
  last = performance.now();
}

/**
 * Called when a poll returns without waiting: lets the loop turn every 64
 * such returns or 2 ms, so busy pollers cannot starve I/O.
 */
export function after_immediate(): Promise<void> | undefined {
  // The clock is read every 16th return only: reading it costs more than
  // the rest of a return that does not wait.
  if (++streak < 64 && ((streak & 15) !== 0 || performance.now() - last < 2)) {
    return undefined;
  }
  return macrotask();
}

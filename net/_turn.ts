// One turn of Deno's event loop. A call that fails at once with
// BlockingIOError must still let the loop turn: a Python-style retry loop
// that catches it and calls again would otherwise run on microtasks only,
// and no connection or byte could ever arrive. setTimeout(0) is clamped to
// milliseconds once nested; a MessageChannel round trip (about 15 us, closed
// at once) is a turn without that delay.

/** Resolves after one turn of the event loop. */
export function _macrotask(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port1.postMessage(null);
  });
}

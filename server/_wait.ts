// How a server waits for its next request when a selector on its socket
// cannot be used, and how long handle_request() waits.
//
// Deno refuses to send on a Unix datagram socket while a receive is pending
// ("Busy: Socket already in use"), and a selector keeps one receive pending
// for as long as the socket is registered, so a handler's reply would fail.
// Such servers wait by receiving the datagram itself (with the wait as the
// socket's timeout), which leaves nothing pending once it has arrived.
//
// A threaded TCP server's workers accept from the listening socket they
// share with the main thread, so its serve_forever() loop must not accept:
// it only waits out each poll interval (see _shared_listener.ts).

/** Servers that wait without a selector, with their wait function. */
export const waiters: WeakMap<
  object,
  (timeout: number | null) => Promise<boolean>
> = new WeakMap();

/** A wait that takes no request: `timeout` seconds (null: 0.5) pass, then false. */
export function idle(timeout: number | null): Promise<boolean> {
  return new Promise((resolve) =>
    setTimeout(() => resolve(false), (timeout ?? 0.5) * 1000)
  );
}

/**
 * How long handle_request() waits: the smaller of `server.timeout` and its
 * socket's timeout (null: no limit), as in Python.
 */
export function request_timeout(
  server: { timeout: number | null; socket?: unknown },
): number | null {
  const sock = server.socket as { gettimeout?: () => number | null } | null;
  const own = typeof sock?.gettimeout === "function" ? sock.gettimeout() : null;
  if (own === null) return server.timeout;
  return server.timeout === null ? own : Math.min(own, server.timeout);
}

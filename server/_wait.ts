// How a server waits for its next request when a selector cannot be used.
//
// Deno refuses to send on a Unix datagram socket while a receive is pending
// ("Busy: Socket already in use"), and a selector keeps one receive pending
// for as long as the socket is registered, so a handler's reply would fail.
// Such servers wait by receiving the datagram itself (with the wait as the
// socket's timeout), which leaves nothing pending once it has arrived.

/** Servers that wait by receiving, with their wait function. */
export const receive_waiters: WeakMap<
  object,
  (timeout: number | null) => Promise<boolean>
> = new WeakMap();

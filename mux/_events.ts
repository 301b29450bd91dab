// What poll() and epoll() share: checking a POLL*/EPOLL* mask, turning it
// into the readiness engine's EV_* bits, and reporting a ready registration
// in the caller's own terms.
import { show } from "./_fileobj.ts";
import { NVAL, type Registration } from "./_interest.ts";
import { EV_ERR, EV_HUP, EV_IN, EV_OUT } from "./_net.ts";

// The engine's EV_* bits are Linux's POLL* values; these two it has not
// (poll.ts exports them all, and imports this file).
const POLLRDNORM = 0x040;
const POLLWRNORM = 0x100;

// Python's poll.poll() and epoll.poll() return at most FD_SETSIZE - 1 events
// when maxevents is not given.
export const FD_SETSIZE = 1024;

/** An integer event mask, as an unsigned 32-bit value. */
export function check_mask(mask: unknown, action: string): number {
  if (typeof mask !== "number" || !Number.isInteger(mask)) {
    throw new TypeError(
      `Cannot ${action}: eventmask must be an integer, received ${show(mask)}`,
    );
  }
  // `EPOLLIN | EPOLLET` is negative in JavaScript's 32-bit bit operations.
  if (mask < -0x80000000 || mask > 0xffffffff) {
    throw new RangeError(
      `Cannot ${action}: eventmask must be a 32-bit mask, received ${mask}`,
    );
  }
  return mask >>> 0;
}

// The EV_* bits a POLL*/EPOLL* mask asks a source for.
export function to_ev(mask: number): number {
  return (mask & (EV_IN | EV_OUT)) |
    (mask & POLLRDNORM ? EV_IN : 0) |
    (mask & POLLWRNORM ? EV_OUT : 0);
}

// What poll() and epoll.poll() return for a ready registration.
export function pair(reg: Registration, level: number): [number, number] {
  return [reg.fd, report(reg, level)];
}

// The bits reported for a level, in the caller's own terms, as Linux words
// them: POLLRDNORM and POLLWRNORM when asked for, POLLERR, POLLHUP and
// POLLNVAL always.
function report(reg: Registration, level: number): number {
  if (level === NVAL) return NVAL;
  const mask = reg.mask;
  let out = level & (mask | EV_ERR | EV_HUP) & ~(EV_IN | EV_OUT);
  if (level & EV_IN) {
    out |= mask & (EV_IN | POLLRDNORM);
  }
  if (level & EV_OUT) {
    out |= mask & (EV_OUT | POLLWRNORM);
  }
  return out;
}

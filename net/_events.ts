/**
 * A socket's readiness as a selector sees it: Linux's poll() bits, from the
 * state of its engines.
 * @module
 */
import { SOCK_DGRAM } from "./constants.ts";
import {
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  type ReadinessSource,
} from "./readiness.ts";
import { type _Core, _State } from "./_core.ts";
import type { _Receiver } from "./_receive.ts";
import { type _Sender, WRITE_HIGH_WATER } from "./_send.ts";

// What a selector sees: Linux's poll() bits of the socket now.
export function _events(core: _Core, rx: _Receiver, tx: _Sender): number {
  if (core.closed) return EV_HUP;
  let ev = 0;
  if (rx.error || tx.error || core.connect_error) ev |= EV_ERR;
  if (core.listener && core.state === _State.Listening) {
    if (rx.conns.length > 0 || rx.error) ev |= EV_IN;
    return ev;
  }
  if (core.type === SOCK_DGRAM) {
    if (rx.grams.length > 0 || rx.error) ev |= EV_IN;
    return ev | EV_OUT;
  }
  if (core.state === _State.Connecting) return ev;
  if (!core.conn) return ev | EV_OUT | EV_HUP;
  if (rx.chunks.length > 0 || rx.eof || rx.shut || rx.error) ev |= EV_IN;
  if (!tx.shut && !tx.error && tx.queued < WRITE_HIGH_WATER) ev |= EV_OUT;
  if (rx.eof && (tx.shut || tx.error)) ev |= EV_HUP;
  return ev;
}

/** A socket as `select()` and the selectors see it. */
export class _Source implements ReadinessSource {
  #core: _Core;
  #rx: _Receiver;
  #tx: _Sender;

  constructor(core: _Core, rx: _Receiver, tx: _Sender) {
    this.#core = core;
    this.#rx = rx;
    this.#tx = tx;
  }

  poll_events(): number {
    return _events(this.#core, this.#rx, this.#tx);
  }

  watch(listener: (edges: number) => void, events: number): () => void {
    return this.#core.waiting.watch(listener, events, this.#rx);
  }
}

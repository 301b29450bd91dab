// A socket's engines, for the TLS hooks in tls_hooks.ts: Socket registers
// how to reach its private fields once, in a static block.
import type { _Core } from "./_core.ts";
import type { _Receiver } from "./_receive.ts";
import type { _Sender } from "./_send.ts";
import type { Socket } from "./socket.ts";

/** The engines behind one socket. */
export interface _SocketParts {
  core: _Core;
  rx: _Receiver;
  tx: _Sender;
}

let reach: ((sock: Socket) => _SocketParts) | null = null;

/** Called once by Socket with a function that can read its #fields. */
export function _register_parts(fn: (sock: Socket) => _SocketParts): void {
  reach = fn;
}

/** The engines of `sock`. */
export function _parts(sock: Socket): _SocketParts {
  return reach!(sock);
}

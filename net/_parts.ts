// A socket's engines, for the TLS hooks in tls_hooks.ts: SocketType
// registers how to reach its private fields once, in a static block.
import type { _Core } from "./_core.ts";
import type { _Receiver } from "./_receive.ts";
import type { _Sender } from "./_send.ts";
import type { SocketType } from "./socket_type.ts";

/** The engines behind one socket. */
export interface _SocketParts {
  core: _Core;
  rx: _Receiver;
  tx: _Sender;
}

let reach: ((sock: SocketType) => _SocketParts) | null = null;
let renumber: ((copy: SocketType, from: number) => void) | null = null;

/**
 * Called once by SocketType with functions that can read and set its
 * #fields.
 */
export function _register_parts(
  parts: (sock: SocketType) => _SocketParts,
  renumber_fn: (copy: SocketType, from: number) => void,
): void {
  reach = parts;
  renumber = renumber_fn;
}

/** The engines of `sock`. */
export function _parts(sock: SocketType): _SocketParts {
  return reach!(sock);
}

/** Gives `copy`, made on `from`, a number of its own, for `dup()`. */
export function _renumber(copy: SocketType, from: number): void {
  renumber!(copy, from);
}

// How SSLContext.wrap_socket() reaches the SSLSocket code without socket.ts
// exporting its internals: socket.ts registers its wrap function here when
// it loads (context.ts imports it for that).
import type { Socket } from "../net/mod.ts";
import type { SSLContext, WrapSocketOptions } from "./context.ts";
import type { SSLSocket } from "./socket.ts";

type Wrap = (
  ctx: SSLContext,
  sock: Socket,
  options: WrapSocketOptions,
) => Promise<SSLSocket>;

let wrap: Wrap | null = null;

/** Called once by socket.ts. */
export function _register_wrap(fn: Wrap): void {
  wrap = fn;
}

/** `SSLContext.wrap_socket()`'s work, done by socket.ts. */
export function _wrap_socket(
  ctx: SSLContext,
  sock: Socket,
  options: WrapSocketOptions,
): Promise<SSLSocket> {
  return wrap!(ctx, sock, options);
}

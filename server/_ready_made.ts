// What the ready-made classes (ThreadingTCPServer, SelectorUDPServer, ...)
// extend: a mixed class, typed so that the class needs no declarations of
// its own. JSR wants a plain identifier with an explicit type after
// `extends`, and the mixins return a constructor of `any[]`.
import type { Address } from "../net/mod.ts";
import type { RequestHandlerClass, ServerConstructor } from "./base.ts";

/**
 * The type of the class a ready-made server extends: the statics of `Base`
 * and `Statics`, and a constructor, with the arguments of Python's, of
 * `Server`s with `Added`'s members whose handlers take `R`. `Added` comes
 * first so that a method it narrows (process_request) is the one called.
 */
export type ReadyMade<Base, Server, R, Added, Statics> =
  & Omit<Base, "prototype">
  & Statics
  & (new (
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass<R>,
    bind_and_activate?: boolean,
  ) => Added & Server);

/** `cls`, a mixed class, typed as the ready-made base `T` it is. */
export function ready_made<T>(cls: ServerConstructor): T {
  return cls as unknown as T;
}

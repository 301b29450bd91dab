/**
 * Python's `socket.has_dualstack_ipv6()`.
 *
 * @example Usage
 * ```ts
 * import { has_dualstack_ipv6 } from "@pysock/pysock/net";
 * console.log(has_dualstack_ipv6());
 * ```
 * @module
 */

/**
 * Whether one IPv6 listening socket can take IPv4 clients too, as Python's
 * `socket.has_dualstack_ipv6()`, so that
 * `create_server(["::", port], { family: AF_INET6, dualstack_ipv6: true })`
 * serves both. Deno cannot set `IPV6_V6ONLY`, so this is the system's
 * default: true on Linux (`net.ipv6.bindv6only` is 0 unless changed; Deno
 * lets no program without `--allow-all` read it) and macOS; false on
 * Windows and the BSDs, whose default is IPv6 only.
 *
 * @returns True when dual-stack sockets work here.
 *
 * @example Choosing the address to serve on
 * ```ts
 * import { has_dualstack_ipv6 } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const host = has_dualstack_ipv6() ? "::" : "0.0.0.0";
 * assert.ok(host === "::" || host === "0.0.0.0");
 * ```
 */
export function has_dualstack_ipv6(): boolean {
  return Deno.build.os === "linux" || Deno.build.os === "darwin";
}

// The permissions a forked child gets: never more than its parent's.
import type { Address } from "../net/mod.ts";
import type { HandlerSpec } from "./_locate.ts";
import type { AgentMode } from "./_protocol.ts";

const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

function path_of(url: string): string | null {
  const u = new URL(url);
  return u.protocol === "file:" ? decodeURIComponent(u.pathname) : null;
}

/**
 * The permission flags of a forked child: never broader than the parent's.
 * A permission the parent holds unscoped is passed unscoped. A scoped one
 * cannot be read back, so the child gets only the scopes it needs and the
 * parent provably has: read for the library and the handler module, net
 * for the server's own host:port (TCP children listen there) and for
 * 127.0.0.1 (relayed connections reach the handler over a loopback pair).
 */
export function child_flags(
  spec: HandlerSpec,
  mode: AgentMode,
  server_address: Address,
): string[] {
  const flags: string[] = [];
  for (const name of PERMISSIONS) {
    if (granted({ name })) {
      flags.push(`--allow-${name}`);
      continue;
    }
    const scopes: string[] = [];
    if (name === "read") {
      const library = path_of(new URL("../", import.meta.url).href);
      const module = path_of(spec.module);
      for (const path of [library, module]) {
        if (path !== null && granted({ name: "read", path })) scopes.push(path);
      }
    } else if (name === "net") {
      if (mode === "listen" && Array.isArray(server_address)) {
        const [host, port] = server_address as [string, number];
        const shown = host.includes(":") ? `[${host}]` : host;
        if (granted({ name: "net", host: `${shown}:${port}` })) {
          scopes.push(`${shown}:${port}`);
        }
      }
      if (mode !== "dgram" && granted({ name: "net", host: "127.0.0.1" })) {
        scopes.push("127.0.0.1");
      }
    }
    if (scopes.length > 0) flags.push(`--allow-${name}=${scopes.join(",")}`);
  }
  return flags;
}

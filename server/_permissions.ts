// The permissions a forked child gets: never more than its parent's.
import type { Address } from "../net/mod.ts";
import type { HandlerSpec } from "./_locate.ts";
import type { AgentMode } from "./_protocol.ts";

// `run` is left out on purpose: handlers need no subprocesses, and a child
// that may start processes could start one with every permission.
const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "ffi",
  "import",
] as const;

/**
 * Granted in full: a grant with a deny list reads "granted" too, but
 * `partial`, and its deny list cannot be read back.
 */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  const status = Deno.permissions.querySync(descriptor);
  return status.state === "granted" && status.partial !== true;
}

/** The path of a file: URL, else null. */
export function path_of(url: string): string | null {
  const u = new URL(url);
  return u.protocol === "file:" ? decodeURIComponent(u.pathname) : null;
}

/**
 * The permission flags of a forked child: never broader than the parent's.
 * A permission the parent holds in full is passed in full. A scoped one,
 * or one with a deny list, cannot be read back, so the child gets only the
 * scopes it needs that the parent provably holds in full: read for the
 * library, the handler module and its folder, and net for the server's own
 * host:port (TCP children listen there; relayed connections reach the
 * handler over an in-memory pair, which needs no grant). `--allow-run` is
 * never passed.
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
      // The module's folder too, for its own imports, when held in full.
      const folder = module?.slice(0, module.lastIndexOf("/")) ?? null;
      for (const path of [library, module, folder]) {
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
    }
    if (scopes.length > 0) flags.push(`--allow-${name}=${scopes.join(",")}`);
  }
  return flags;
}

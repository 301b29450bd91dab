// How an agent finds the handler class: the module it imports and the
// export it reads, checked in the main thread before the server binds.
// Set in an agent before the handler module is imported, so a server that
// module starts at top level fails instead of forking workers of its own.
export const AGENT = Symbol.for("pysock.server.agent");

/** Throws when called inside an agent: the main module's guard is missing. */
export function refuse_in_agent(cls: string): void {
  if ((globalThis as Record<symbol, unknown>)[AGENT] === true) {
    throw new Error(
      `Cannot create ${cls}: this code runs inside a worker of another server, which imported its module to find the handler; guard the code that starts the server with 'if (import.meta.main)'`,
    );
  }
}

/** Where an agent finds the handler class: a module URL and an export. */
export interface HandlerSpec {
  module: string;
  name: string;
}

const ident = "[A-Za-z_$][\\w$]*";

// The export name under which `source` exports a class declared as `name`,
// or null. A textual check: it runs synchronously in the constructor, where
// importing the (maybe still evaluating) main module would deadlock. The
// agent checks again for real.
function exported_as(source: string, name: string): string | null {
  const n = name.replace(/\$/g, "\\$");
  if (
    new RegExp(`export\\s+default\\s+(?:abstract\\s+)?class\\s+${n}\\b`).test(
      source,
    )
  ) {
    return "default";
  }
  if (
    new RegExp(
      `export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:class|const|let|var|function)\\s+${n}\\b`,
    ).test(source)
  ) {
    return name;
  }
  for (const m of source.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(",")) {
      const found = part.trim().match(
        new RegExp(`^${n}(?:\\s+as\\s+(${ident}))?$`),
      );
      if (found) return found[1] ?? name;
    }
  }
  return null;
}

export function how_to_fix(name: string, module: string): string {
  return `export the class from its module (export class ${name} ...), and when that module is not the main module set 'static module = import.meta.url' on the class; looked in ${module}`;
}

/**
 * Finds the module and export an agent imports to get `cls`: the class's
 * own `static module`, else the main module, else an inherited
 * `static module`. Throws, naming the fix, when none exports it.
 */
export function locate_handler(cls: unknown, action: string): HandlerSpec {
  if (typeof cls !== "function") {
    throw new TypeError(
      `${action}: RequestHandlerClass must be a class, received ${typeof cls}`,
    );
  }
  const name = cls.name;
  const own = Object.hasOwn(cls, "module")
    ? (cls as { module?: unknown }).module
    : undefined;
  const inherited = (cls as { module?: unknown }).module;
  if (own !== undefined && typeof own !== "string") {
    throw new TypeError(
      `${action}: ${name}.module must be a module URL string (import.meta.url), received ${typeof own}`,
    );
  }
  if (!name) {
    throw new RangeError(
      `${action}: the handler class has no name, so no worker can import it; ${
        how_to_fix("Handler", String(own ?? Deno.mainModule))
      }`,
    );
  }
  const candidates: string[] = typeof own === "string"
    ? [own]
    : [Deno.mainModule, ...(typeof inherited === "string" ? [inherited] : [])];
  for (const module of candidates) {
    let url: URL;
    try {
      url = new URL(module);
    } catch {
      throw new RangeError(
        `${action}: ${name}.module must be a module URL (import.meta.url), received '${module}'`,
      );
    }
    if (url.protocol !== "file:") return { module, name };
    const path = decodeURIComponent(url.pathname);
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      throw new Error(
        `${action}: workers import the handler module ${module}, which needs --allow-read for it`,
      );
    }
    let source: string;
    try {
      source = Deno.readTextFileSync(path);
    } catch (error) {
      throw new Error(
        `${action}: cannot read the handler module ${module}`,
        { cause: error },
      );
    }
    const export_name = exported_as(source, name);
    if (export_name !== null) return { module, name: export_name };
  }
  throw new RangeError(
    `${action}: handler class '${name}' is not exported by ${
      candidates.join(" or ")
    }; workers import it by URL, so ${
      how_to_fix(name, candidates.join(" or "))
    }`,
  );
}

// The services file (/etc/services): service names and their ports, as the
// C library's getservbyname() reads it.
import { PermissionError } from "./errors.ts";

/** One service: a name, its aliases, a port and a protocol. */
export interface _Service {
  readonly names: readonly string[];
  readonly port: number;
  readonly proto: string;
}

const SERVICES = "/etc/services";

/**
 * The services file's entries in file order; none when the file is missing
 * (a system without it knows no service names).
 *
 * @throws {PermissionError} Read access to the file is denied: the message
 *   names the flag that grants it.
 */
export function _services(): _Service[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(SERVICES);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    if (
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) {
      throw new PermissionError(
        13,
        `Permission denied: service names are read from ${SERVICES}; run with --allow-read=${SERVICES}`,
        { cause: err },
      );
    }
    throw err;
  }
  const out: _Service[] = [];
  for (const line of text.split("\n")) {
    const [name, where, ...aliases] = line.replace(/#.*/, "").trim().split(
      /\s+/,
    );
    const m = /^(\d+)\/(\S+)$/.exec(where ?? "");
    if (!name || !m) continue;
    out.push({ names: [name, ...aliases], port: Number(m[1]), proto: m[2]! });
  }
  return out;
}

/** The port of service `name` for `proto` (any when undefined). */
export function _port_of(name: string, proto?: string): number | undefined {
  return _services().find((s) =>
    (proto === undefined || s.proto === proto) && s.names.includes(name)
  )?.port;
}

/** The name of the service at `port` for `proto` (any when undefined). */
export function _name_of(port: number, proto?: string): string | undefined {
  return _services().find((s) =>
    (proto === undefined || s.proto === proto) && s.port === port
  )?.names[0];
}

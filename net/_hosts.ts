// The hosts file, read on every lookup as the C library does, and only when
// read access to it is granted already (no prompt, no error: a lookup goes
// on to DNS without it).

/** One line of the hosts file: an address and its names, canonical first. */
export interface _HostsEntry {
  readonly address: string;
  readonly names: readonly string[];
}

const HOSTS = "/etc/hosts";

/** The hosts file's entries in file order; none when it cannot be read. */
export function _hosts_entries(): _HostsEntry[] {
  try {
    const state = Deno.permissions.querySync({ name: "read", path: HOSTS })
      .state;
    if (state !== "granted") return [];
    const out: _HostsEntry[] = [];
    for (const line of Deno.readTextFileSync(HOSTS).split("\n")) {
      const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
      if (address && names.length > 0) out.push({ address, names });
    }
    return out;
  } catch {
    return [];
  }
}

/** Does `entry` name `name` (case-insensitive, as the C library matches)? */
export function _hosts_match(entry: _HostsEntry, name: string): boolean {
  const wanted = name.toLowerCase();
  return entry.names.some((n) => n.toLowerCase() === wanted);
}

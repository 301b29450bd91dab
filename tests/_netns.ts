/**
 * Test hosts in network namespaces: two namespaces joined by a veth pair, for
 * tests that need a real network beyond loopback (broadcast, say).
 *
 * Linux only; needs root and iproute2's `ip`. The veth ends are created
 * directly inside the namespaces, so the host's own interfaces are never
 * touched, and the private addresses used exist only inside them.
 *
 * @module
 */

/** Two network namespaces joined by a veth pair, each end up and addressed. */
export interface VethPair extends AsyncDisposable {
  /** Namespace names, `[a, b]`. */
  readonly ns: readonly [string, string];
  /** Interface names inside each namespace, `[a, b]`. */
  readonly ifname: readonly [string, string];
  /** IPv4 address of each end, `[a, b]`, in a /24. */
  readonly addr: readonly [string, string];
  /** The /24's broadcast address. */
  readonly broadcast: string;
  /** Deletes both namespaces (and so the veth pair); safe to call twice. */
  close(): Promise<void>;
}

let counter = 0;

/** Runs `ip ARGS`; throws with its stderr when it exits non-zero. */
export async function ip(...args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot run "ip ${args.join(" ")}": ${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Tells why namespace tests cannot run here, or `undefined` when they can.
 * Probes for real: creates a namespace, runs a command in it, deletes it.
 */
export async function netnsSkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces are Linux-only";
  const run = await Deno.permissions.query({ name: "run" });
  if (run.state !== "granted") return "needs --allow-run (for ip and deno)";
  const probe = `pysock-probe-${Deno.pid}-${counter++}`;
  try {
    await ip("netns", "add", probe);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "ip not found (install iproute2)"
      : String(error instanceof Error ? error.message : error);
    return `cannot create a network namespace (needs root): ${why}`;
  }
  try {
    await ip("netns", "exec", probe, "true");
  } catch (error) {
    return `cannot run a command in a network namespace: ${
      error instanceof Error ? error.message : String(error)
    }`;
  } finally {
    await ip("netns", "del", probe).catch(() => {});
  }
  return undefined;
}

/**
 * Creates two namespaces joined by a veth pair, addressed `10.203.N.1/24` and
 * `10.203.N.2/24`. Names include the PID and a counter, so parallel runs
 * never collide. Dispose it (or call `close()`) to delete everything.
 */
export async function createVethPair(): Promise<VethPair> {
  const id = `${Deno.pid}-${counter++}`;
  const ns = [`pysock-${id}-a`, `pysock-${id}-b`] as const;
  const ifname = ["veth-a", "veth-b"] as const;
  const net = `10.203.${(Deno.pid + counter) % 250 + 1}`;
  const addr = [`${net}.1`, `${net}.2`] as const;
  const made: string[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const name of made) await ip("netns", "del", name).catch(() => {});
  };
  try {
    for (const name of ns) {
      await ip("netns", "add", name);
      made.push(name);
    }
    // Both ends are born inside their namespaces: the host never sees them.
    await ip(
      "link",
      "add",
      ifname[0],
      "netns",
      ns[0],
      "type",
      "veth",
      "peer",
      "name",
      ifname[1],
      "netns",
      ns[1],
    );
    for (const i of [0, 1] as const) {
      await ip(
        "-n",
        ns[i],
        "addr",
        "add",
        `${addr[i]}/24`,
        "broadcast",
        "+",
        "dev",
        ifname[i],
      );
      await ip("-n", ns[i], "link", "set", ifname[i], "up");
      await ip("-n", ns[i], "link", "set", "lo", "up");
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ns,
    ifname,
    addr,
    broadcast: `${net}.255`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Builds a command that runs `cmd ARGS` inside namespace `ns`. */
export function commandIn(
  ns: string,
  cmd: string,
  args: string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command("ip", {
    ...options,
    args: ["netns", "exec", ns, cmd, ...args],
  });
}

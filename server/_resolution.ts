// The flags that make a forked child resolve modules as its parent does:
// Deno looks for deno.json from the entry file's folder up, and a child's
// entry file lives in the library, not in the user's project.
import { granted, path_of } from "./_permissions.ts";

// Flags of the parent's command line that decide how modules resolve, and
// whether each takes its value as the next argument when not given `=`.
const RESOLUTION: ReadonlyMap<string, boolean> = new Map([
  ["--config", true],
  ["-c", true],
  ["--no-config", false],
  ["--import-map", true],
  ["--lock", false],
  ["--no-lock", false],
  ["--frozen", false],
  ["--cached-only", false],
  ["--no-remote", false],
  ["--no-npm", false],
  ["--node-modules-dir", false],
  ["--vendor", false],
  ["--conditions", true],
  ["--unstable", false],
]);

// What may follow "deno" before the flags; anything else there is the script.
const SUBCOMMANDS: ReadonlySet<string> = new Set([
  "run",
  "serve",
  "test",
  "bench",
]);

// Other flags whose value may be the next argument: skipped with it.
const WITH_VALUE: ReadonlySet<string> = new Set([
  "--location",
  "--seed",
  "--filter",
  "--reporter",
  "--junit-path",
  "--log-level",
  "-L",
  "--cert",
  "--ext",
  "--v8-flags",
]);

// The parent's own command line, readable only with --allow-all.
function own_command_line(): string[] | null {
  const path = "/proc/self/cmdline";
  if (!granted({ name: "read", path })) return null;
  try {
    const text = Deno.readTextFileSync(path);
    return text.split("\0").filter((arg) => arg !== "");
  } catch {
    return null;
  }
}

/**
 * The module-resolution flags of the parent's command line (its `--config`,
 * `--import-map`, `--lock`, `--frozen`, `--cached-only`, ...), as given;
 * null when the command line cannot be read (it needs --allow-all).
 */
export function resolution_flags(
  argv: string[] | null = own_command_line(),
): string[] | null {
  if (argv === null) return null;
  const out: string[] = [];
  // argv[0] is deno, then the subcommand (or the script), then flags up to
  // the script.
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-")) {
      if (i === 1 && SUBCOMMANDS.has(arg)) continue;
      break;
    }
    if (arg === "--") break;
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const takes_next = RESOLUTION.get(name) ??
      (name.startsWith("--unstable-") ? false : undefined);
    if (takes_next === undefined) {
      if (eq < 0 && WITH_VALUE.has(name)) i++;
      continue;
    }
    out.push(arg);
    if (eq < 0 && takes_next && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

const CONFIG_NAMES = ["deno.json", "deno.jsonc"];

/**
 * The configuration file Deno found for the parent when its command line
 * named none: the first deno.json or deno.jsonc from the main module's
 * folder up (from the working folder when the main module is remote).
 * Null when there is none, undefined when a folder on the way cannot be
 * read, so the answer is unknown.
 */
export function discovered_config(
  main: string = Deno.mainModule,
): string | null | undefined {
  const file = path_of(main);
  let dir = file !== null ? file.slice(0, file.lastIndexOf("/")) : Deno.cwd();
  for (let depth = 0; depth < 256; depth++) {
    for (const name of CONFIG_NAMES) {
      const path = `${dir === "/" ? "" : dir}/${name}`;
      if (!granted({ name: "read", path })) return undefined;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // Not here: look further up.
      }
    }
    if (dir === "/" || dir === "") return null;
    const up = dir.slice(0, dir.lastIndexOf("/"));
    dir = up === "" ? "/" : up;
  }
  return undefined;
}

/**
 * The flags that make a child resolve modules exactly as its parent: the
 * parent's own resolution flags when its command line can be read, else
 * the configuration Deno found for the parent's main module (a child's
 * entry file lives in the library, so Deno would look for one there).
 */
export function child_resolution(): string[] {
  const given = resolution_flags();
  if (given !== null) {
    const named = given.some((flag) =>
      /^(--config|-c|--no-config)(=|$)/.test(flag)
    );
    if (named) return given;
    const config = discovered_config();
    if (config === null) return ["--no-config", ...given];
    if (config === undefined) return given;
    return [`--config=${config}`, ...given];
  }
  const config = discovered_config();
  if (config === null) return ["--no-config"];
  if (config === undefined) return [];
  return [`--config=${config}`];
}

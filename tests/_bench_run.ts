// Runs a benchmark script from the repository root, as CI's smoke tests do:
// killed with `signal` after `limit_ms`, output kept for the assertions.

const ROOT = new URL("../", import.meta.url).pathname;

/** What a bounded benchmark run printed, and whether it ran out of time. */
export interface BenchRun {
  code: number;
  stdout: string;
  /** The end of stdout and stderr, for an assertion's message. */
  context: string;
  timed_out: boolean;
}

/** Runs `deno run <args>` in the repository root, for at most `limit_ms`. */
export async function run_bench(
  args: string[],
  limit_ms: number,
  signal: Deno.Signal,
): Promise<BenchRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
  }).spawn();
  let timed_out = false;
  const timer = setTimeout(() => {
    timed_out = true;
    try {
      child.kill(signal);
    } catch {
      // Exited meanwhile.
    }
  }, limit_ms);
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const context = `stdout:\n${stdout.slice(-4000)}\nstderr:\n${
    stderr.slice(-2000)
  }`;
  return { code: out.code, stdout, context, timed_out };
}

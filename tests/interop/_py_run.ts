// Runs a short python3 script from py/ to completion and returns its stdout.
import { spawn } from "../examples/_run.ts";

const PY = new URL("./py/", import.meta.url).pathname;

/** Runs `py/<script>` with python3 (killed by PID after 60 s); asserts exit 0. */
export async function py(script: string, ...args: string[]): Promise<string> {
  await using child = spawn("python3", [`${PY}${script}`, ...args]);
  await child.success();
  return child.stdout;
}

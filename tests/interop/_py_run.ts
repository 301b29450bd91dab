// Runs a short python3 script from py/ to completion and returns its stdout.
import assert from "node:assert/strict";

const PY = new URL("./py/", import.meta.url).pathname;

/** Runs `py/<script>` with python3, killed by PID after 30 s; asserts exit 0. */
export async function py(script: string, ...args: string[]): Promise<string> {
  const child = new Deno.Command("python3", {
    args: [`${PY}${script}`, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONIOENCODING: "utf-8", PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, 30_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    return new TextDecoder().decode(stdout);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * CI smoke test of the benchmark: `bench/main.ts --smoke` runs every server
 * through every scenario briefly, with the flags of `deno task bench`, exits
 * 0 and prints a table row for each server. Speed is not asserted here.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
/** The flags of `deno task bench` (see deno.json); the smoke run writes
 * nothing. */
const FLAGS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-run",
  "--allow-sys",
  "--allow-write=BENCHMARKS.md,bench/chart.svg",
];
const LABELS = [
  "raw Deno.listen loop",
  "TCPServer (blocking)",
  "SelectorTCPServer",
  "ThreadingTCPServer",
  "ForkingTCPServer",
  "pysock Socket loop (net)",
  "pysock selector loop (mux)",
  "Node net",
  "CPython ThreadingTCPServer",
  "CPython asyncio",
];
/** The smoke run takes about 30 s here; a busy machine gets room. */
const LIMIT_MS = 150_000;

Deno.test("bench/main.ts --smoke exits 0 and prints a row for every server", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, "bench/main.ts", "--smoke"],
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
      child.kill("SIGTERM"); // main.ts kills its servers on SIGTERM
    } catch {
      // Exited meanwhile.
    }
  }, LIMIT_MS);
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const context = `stdout:\n${stdout.slice(-4000)}\nstderr:\n${
    stderr.slice(-2000)
  }`;
  assert.equal(timed_out, false, `the smoke run took over ${LIMIT_MS} ms`);
  assert.equal(out.code, 0, context);
  // Every scenario's table has a row per server (the 100-connection one
  // only raw and mux), measured or marked "not available".
  for (const label of LABELS) {
    const rows = stdout.split("\n").filter((l) => l.startsWith(`| ${label} |`));
    assert.ok(rows.length >= 5, `no table rows for ${label}\n${context}`);
  }
  assert.match(stdout, /#### Goals/);
  assert.match(stdout, /No process outlived the run/);
});

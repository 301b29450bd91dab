/**
 * CI smoke test of the benchmark: `bench/main.ts --smoke` runs every server
 * through every scenario briefly, with the flags of `deno task bench`, exits
 * 0 and prints a table row for each server. Speed is not asserted here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { run_bench } from "./_bench_run.ts";

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
  const { code, stdout, context, timed_out } = await run_bench(
    [...FLAGS, "bench/main.ts", "--smoke"],
    LIMIT_MS,
    "SIGTERM", // main.ts kills its servers on SIGTERM
  );
  assert.equal(timed_out, false, `the smoke run took over ${LIMIT_MS} ms`);
  assert.equal(code, 0, context);
  // Every scenario's table has a row per server (the 100-connection one
  // only raw and mux), measured or marked "not available".
  for (const label of LABELS) {
    const rows = stdout.split("\n").filter((l) => l.startsWith(`| ${label} |`));
    assert.ok(rows.length >= 5, `no table rows for ${label}\n${context}`);
  }
  assert.match(stdout, /#### Goals/);
  assert.match(stdout, /No process outlived the run/);
});

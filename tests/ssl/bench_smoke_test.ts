/**
 * CI smoke test of the TLS benchmark: `bench/ssl_bench.ts --smoke` runs
 * every row briefly with the flags its header names, exits 0 and prints a
 * measured table row for each. Speed is not asserted here.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/ssl/bench_smoke_test.ts
 */
import assert from "node:assert/strict";
import { run_bench } from "../_bench_run.ts";

const LABELS = [
  "raw Deno.listenTls loop (raw client)",
  "pysock SSLSocket server, recv()/sendall()",
  "pysock SSLSocket server, recv_into()/sendall()",
  "pysock SSLSocket client, recv_into()/sendall() (raw server)",
  "CPython ssl, thread per connection (raw client)",
];
const LIMIT_MS = 120_000;

Deno.test("bench/ssl_bench.ts --smoke exits 0 and measures every row", async () => {
  const { code, stdout, context, timed_out } = await run_bench(
    [
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-run",
      "bench/ssl_bench.ts",
      "--smoke",
    ],
    LIMIT_MS,
    "SIGKILL", // its servers exit when their stdin closes
  );
  assert.equal(timed_out, false, `the smoke run took over ${LIMIT_MS} ms`);
  assert.equal(code, 0, context);
  for (const label of LABELS) {
    const row = stdout.split("\n").find((l) => l.startsWith(`| ${label} |`));
    assert.ok(row, `no row for ${label}\n${context}`);
    const cells = row.split("|").slice(2, 6).map((c) => parseFloat(c));
    assert.ok(
      cells.every((v) => Number.isFinite(v) && v > 0),
      `row ${label} has no figures\n${context}`,
    );
  }
});

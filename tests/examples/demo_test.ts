import assert from "node:assert/strict";
import { run_example } from "./_run.ts";

Deno.test("the demo tours the three server types and exits 0 within 10 s", async () => {
  const start = performance.now();
  await using child = run_example("examples/demo.ts", {}, [], {
    timeout_ms: 20_000,
  });
  const status = await child.status();
  const seconds = (performance.now() - start) / 1000;
  assert.equal(status.code, 0, child.report());
  assert.ok(seconds < 10, `the demo took ${seconds.toFixed(1)} s`);
  for (const name of ["TCPServer", "SelectorTCPServer", "ThreadingTCPServer"]) {
    assert.match(
      child.stdout,
      new RegExp(`${name} listening on 127\\.0\\.0\\.1:\\d+`),
    );
  }
  assert.match(child.stdout, /HELLO 0 \(from main thread\)/);
  assert.match(child.stdout, /HELLO 2 \(from a worker\)/);
  assert.match(child.stdout, /你好 1 \(from a worker\)/);
  assert.match(child.stdout, /Done: every server answered every client\./);
});

Deno.test("deno task demo runs the same tour", async () => {
  const deno = Deno.execPath();
  const out = await new Deno.Command(deno, {
    args: ["task", "-q", "demo"],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /Done: every server answered every client\./);
});

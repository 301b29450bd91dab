// Run by input_test.ts as `deno test` with stdin piped and left open: the
// sanitizers fail this test if input() leaves a read of stdin outstanding.
import assert from "node:assert/strict";
import { input } from "../../mux/mod.ts";

Deno.test("input() leaves no op or resource behind", async () => {
  assert.equal(await input(), "first");
  assert.equal(await input("> "), "second");
});

/**
 * The address and byte-order helpers against python3: the same inputs give
 * the same printed results.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/interop/address_test.ts
 */
import assert from "node:assert/strict";
import { type Address, format_address } from "../../net/mod.ts";
import { py } from "./_py_run.ts";

Deno.test("format_address() prints what python3's repr() prints for the same address", async () => {
  const addresses: Address[] = [
    ["127.0.0.1", 50000],
    ["", 0],
    ["::1", 8080, 0, 0],
    ["fe80::1%lo", 1, 2, 3],
    "/tmp/x.sock",
    "",
    "it's",
    'say "hi"',
    `both ' and "`,
    "a\\b\tc\nd\re\0f\x7f\x85",
    "é你😀 \u00a0\u200b\u2028\ud800",
  ];
  // A lone surrogate cannot cross JSON into Python as itself: Python reads
  // "\ud800" escaped, as it prints it.
  const json = JSON.stringify(addresses);
  const expected = (await py("repr_values.py", json)).split("\n");
  expected.pop();
  assert.deepEqual(addresses.map(format_address), expected);
});

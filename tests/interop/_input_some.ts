// Reads `count` lines with input() and exits without closing anything;
// with "select" it first waits with select([stdin]) until input is there,
// with "closed" it closes stdin first and prints what input() throws.
// Run: deno run tests/interop/_input_some.ts <count> [select|closed]
import { input, select, stdin } from "../../mux/mod.ts";

const count = Number(Deno.args[0] ?? "1");
if (Deno.args[1] === "select") {
  const [readable] = await select([stdin], [], [], 20);
  console.log(readable.length === 1 ? "ready" : "timeout");
}
if (Deno.args[1] === "closed") {
  stdin.close();
  await input().catch((err) => console.log(`${err.name}: ${err.message}`));
}
for (let i = 0; i < count; i++) console.log(JSON.stringify(await input()));

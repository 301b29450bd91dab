// Our twin of py/input_lines.py: input() until EOFError, each line as JSON.
// Run: deno run tests/interop/_input_lines.ts [prompt]
import { EOFError, input } from "../../mux/mod.ts";

const prompt = Deno.args[0];
for (let i = 0; i < 1000; i++) {
  let line: string;
  try {
    line = prompt === undefined ? await input() : await input(prompt);
  } catch (err) {
    if (!(err instanceof EOFError)) throw err;
    console.log(`EOFError: ${err.message}`);
    break;
  }
  console.log(JSON.stringify(line));
}

/**
 * Tests that examples/README.md describes every example with the command
 * its first line gives, and that no example or Python original cites a path
 * outside the repository.
 */
import assert from "node:assert/strict";
import { ROOT } from "./_run.ts";

/** The examples: every examples/*.ts but the private _*.ts helpers. */
function examples(): string[] {
  return [...Deno.readDirSync(`${ROOT}examples`)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".ts") && !n.startsWith("_"))
    .sort();
}

/** The README's table rows, by program: [what, ports, command, grants]. */
function rows(): Map<string, string[]> {
  const text = Deno.readTextFileSync(`${ROOT}examples/README.md`);
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = line.match(/^\|\s*`([\w.]+\.ts)`\s*\|(.*)\|\s*$/);
    if (m) out.set(m[1]!, m[2]!.split("|").map((c) => c.trim()));
  }
  return out;
}

Deno.test("examples/README.md has a row for every example, with its header's command", () => {
  const table = rows();
  assert.deepEqual([...table.keys()].sort(), examples());
  for (const name of examples()) {
    const first = Deno.readTextFileSync(`${ROOT}examples/${name}`)
      .split("\n")[0]!.replace(/^\/\/\s*/, "");
    const [what, ports, command, grants] = table.get(name)!;
    assert.equal(command, `\`${first}\``, name);
    for (const cell of [what, ports, grants]) {
      assert.ok(cell !== undefined && cell.length > 3, `${name}: empty cell`);
    }
  }
});

Deno.test("no example, test of one or Python original cites a path outside the repository", () => {
  const outside =
    /\/work\/|\.\.\/shared|DESIGN|tutorials\/\d|[0-9a-f]{16}\.txt/;
  const dirs = ["examples", "tests/examples", "tests/examples/py"];
  let checked = 0;
  for (const dir of dirs) {
    for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
      if (!entry.isFile) continue;
      const text = Deno.readTextFileSync(`${ROOT}${dir}/${entry.name}`);
      // This file names the patterns it looks for.
      if (entry.name === "readme_test.ts") continue;
      assert.doesNotMatch(text, outside, `${dir}/${entry.name}`);
      checked++;
    }
  }
  assert.ok(checked > 50, `only ${checked} files`);
});

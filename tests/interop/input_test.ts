/**
 * `input()` against python3's `input()`: both read the same bytes from a
 * pipe, print each line as JSON, and must print the same thing.
 *
 * Run: deno test --sanitize-ops --sanitize-resources -A tests/interop/input_test.ts
 */
import assert from "node:assert/strict";
import { spawn } from "../examples/_run.ts";

const HERE = new URL("./", import.meta.url).pathname;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

// Runs a child fed `chunks` on its stdin, one write each with a pause
// between (so a line or a character may be split across reads); closes the
// pipe after them unless `keep_open`, so the child must exit on its own.
async function run(
  command: string,
  args: string[],
  chunks: Array<string | Uint8Array>,
  keep_open = false,
): Promise<Ran> {
  await using child = spawn(command, args, { stdin: "piped" });
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) await new Promise((r) => setTimeout(r, 30));
    await child.write(chunk);
  }
  if (!keep_open) await child.end();
  const { code } = await child.status();
  assert.ok(!child.timed_out, `${child.what} timed out: ${child.report()}`);
  return { code, stdout: child.stdout, stderr: child.stderr };
}

function ours(args: string[], chunks: Array<string | Uint8Array>) {
  return run(Deno.execPath(), [
    "run",
    "--quiet",
    `${HERE}_input_lines.ts`,
    ...args,
  ], chunks);
}

function theirs(args: string[], chunks: Array<string | Uint8Array>) {
  return run("python3", ["-u", `${HERE}py/input_lines.py`, ...args], chunks);
}

async function same(
  args: string[],
  chunks: Array<string | Uint8Array>,
  expected: string,
): Promise<void> {
  const [a, b] = await Promise.all([ours(args, chunks), theirs(args, chunks)]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.stdout, expected);
}

const EOF_LINE = "EOFError: EOF when reading a line\n";
const chinese = new TextEncoder().encode("你好\n世界\n");

const cases: Array<[string, string[], Array<string | Uint8Array>, string]> = [
  [
    "lines that end with a newline",
    [],
    ["one\ntwo\n"],
    '"one"\n"two"\n' + EOF_LINE,
  ],
  [
    "a last line without a newline",
    [],
    ["one\ntwo"],
    '"one"\n"two"\n' + EOF_LINE,
  ],
  ["empty input", [], [""], EOF_LINE],
  ["empty lines", [], ["\n\n"], '""\n""\n' + EOF_LINE],
  [
    "CRLF lines (the \\r stays)",
    [],
    ["a\r\nb\r\n"],
    '"a\\r"\n"b\\r"\n' + EOF_LINE,
  ],
  ["UTF-8 Chinese split inside a character", [], [
    chinese.subarray(0, 1),
    chinese.subarray(1, 8),
    chinese.subarray(8),
  ], '"你好"\n"世界"\n' + EOF_LINE],
  ["a line split across writes, with a prompt", ["> "], [
    "hel",
    "lo\nwor",
    "ld\n",
  ], '> "hello"\n> "world"\n> ' + EOF_LINE],
];

for (const [what, args, chunks, expected] of cases) {
  Deno.test(`input() reads as python3's input() does: ${what}`, async () => {
    await same(args, chunks, expected);
  });
}

function some(args: string[], chunks: Array<string | Uint8Array>) {
  return run(
    Deno.execPath(),
    [
      "run",
      "--quiet",
      `${HERE}_input_some.ts`,
      ...args,
    ],
    chunks,
    true,
  );
}

Deno.test("input() returns its lines and the process exits with stdin still open", async () => {
  const ran = await some(["2"], ["a\nb\nc\n"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, '"a"\n"b"\n');
});

Deno.test("input() mixed with select([stdin]) loses no line, and the process exits with stdin still open", async () => {
  const ran = await some(["3", "select"], ["a\nb", "\nc\n"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, 'ready\n"a"\n"b"\n"c"\n');
});

Deno.test("input() rejects with RangeError once stdin is closed", async () => {
  const ran = await some(["0", "closed"], ["a\n"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(
    ran.stdout,
    "RangeError: Cannot read input: I/O operation on closed file\n",
  );
});

Deno.test("input() passes the test sanitizers: no read of stdin is left outstanding", async () => {
  const ran = await run(
    Deno.execPath(),
    [
      "test",
      "--quiet",
      "--sanitize-ops",
      "--sanitize-resources",
      `${HERE}_input_sanitized.ts`,
    ],
    ["first\nsecond\nthird\n"],
    true,
  );
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /ok \| 1 passed \| 0 failed/);
});

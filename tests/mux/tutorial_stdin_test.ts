// The tutorials' select-on-stdin program, run as a child with piped stdin.
import assert from "node:assert/strict";

const script = new URL("./_tutorial_stdin.ts", import.meta.url).pathname;

function spawn(...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", script, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
}

// Reads the child's stdout until `predicate` holds (bounded in time).
async function read_until(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seen: { text: string },
  predicate: (text: string) => boolean,
): Promise<void> {
  const decoder = new TextDecoder();
  const deadline = Date.now() + 20_000;
  while (!predicate(seen.text)) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${seen.text}`);
    const { value, done } = await reader.read();
    if (done) break;
    seen.text += decoder.decode(value, { stream: true });
  }
}

Deno.test("select([stdin], [], [], 5) reports input lines as they come", async () => {
  const child = spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("hello\nworld\n"));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.ok(text.includes("you input:  hello\n"), text);
  assert.ok(text.includes("you input:  world\n"), text);
  assert.match(text, /\[ "<stdin>" \]\n<class 'list'>\n/);
});

Deno.test("select on stdin with a timeout returns an empty list while no input comes", async () => {
  const child = spawn("--timeout", "0.2");
  const reader = child.stdout.getReader();
  const seen = { text: "" };
  const t0 = Date.now();
  // Two timeouts in a row, each an empty list.
  await read_until(reader, seen, (t) => t.split("[]\n").length >= 3);
  assert.ok(Date.now() - t0 >= 350, `after ${Date.now() - t0} ms`);
  assert.ok(!seen.text.includes("you input"));
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("late line\n"));
  await read_until(reader, seen, (t) => t.includes("you input:  late line\n"));
  await writer.close();
  await read_until(reader, seen, () => false);
  reader.releaseLock();
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 0);
});

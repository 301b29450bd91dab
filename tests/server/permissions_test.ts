// What an agent may do: never more than the process that started it.
// deno test --sanitize-ops --sanitize-resources -A tests/server/permissions_test.ts
import assert from "node:assert/strict";

const decoder = new TextDecoder();
const peek = new URL("./fixtures/peek.ts", import.meta.url).pathname;

// Runs the peek fixture under `flags` with SECRET set; its output line.
async function peek_with(
  kind: "forking" | "threading",
  flags: string[],
  secret: string,
): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--unstable-net",
      ...flags,
      peek,
      kind,
      secret,
    ],
    env: { SECRET: "the-secret-variable" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = decoder.decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return decoder.decode(out.stdout).trim();
}

for (const kind of ["forking", "threading"] as const) {
  const Server = kind === "forking" ? "ForkingTCPServer" : "ThreadingTCPServer";
  Deno.test(`${Server} handlers cannot read what the parent's --deny-read and --deny-env deny`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const secret = `${dir}/secret.txt`;
      await Deno.writeTextFile(secret, "the-secret-file");
      const line = await peek_with(kind, [
        "--allow-read",
        `--deny-read=${secret}`,
        "--allow-env",
        "--deny-env=SECRET",
        "--allow-net=127.0.0.1",
        `--allow-run=${Deno.execPath()}`,
      ], secret);
      const [file, env, run, own] = line.split("|");
      assert.notEqual(file, "the-secret-file", line);
      assert.match(file!, /NotCapable|PermissionDenied/, line);
      assert.notEqual(env, "the-secret-variable", line);
      assert.match(env!, /NotCapable|PermissionDenied/, line);
      assert.notEqual(run, "granted", line);
      // The handler module itself stays readable: the agent imported it.
      assert.equal(own, "read", line);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("ForkingTCPServer never passes --allow-run to a child, even when the parent holds it unscoped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const secret = `${dir}/secret.txt`;
    await Deno.writeTextFile(secret, "the-secret-file");
    const line = await peek_with("forking", [
      "--allow-read",
      "--allow-env",
      "--allow-net=127.0.0.1",
      "--allow-run",
    ], secret);
    const [file, env, run] = line.split("|");
    // Unscoped grants without deny lists are passed on as they are.
    assert.equal(file, "the-secret-file", line);
    assert.equal(env, "the-secret-variable", line);
    assert.notEqual(run, "granted", line);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

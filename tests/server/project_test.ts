// Threaded and forking servers run from the user's own project: agents
// resolve modules as the main program does (its deno.json and import map).
// deno test --sanitize-ops --sanitize-resources -A tests/server/project_test.ts
import assert from "node:assert/strict";
import { resolution_flags } from "../../server/_resolution.ts";

const decoder = new TextDecoder();
const library = new URL("../../", import.meta.url).href;

// The project's program: its handler imports the library through the
// project's import map ("pysock/"), and the guarded block serves two
// clients, printing their replies, or what serve_forever() threw.
const MAIN = `
import { StreamRequestHandler, ThreadingTCPServer, ForkingTCPServer } from "pysock/server/mod.ts";
import { create_connection } from "pysock/net/mod.ts";
import { shout } from "helpers/shout.ts";

export class Upper extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      await this.wfile.write(shout(new TextDecoder().decode(line)));
    }
  }
}

if (import.meta.main) {
  const Server = Deno.args[0] === "forking" ? ForkingTCPServer : ThreadingTCPServer;
  await using server = new Server(["127.0.0.1", 0], Upper);
  server.max_workers = 2;
  const serving = server.serve_forever(0.05);
  const replies: string[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      await using client = await create_connection(server.server_address as [string, number]);
      client.settimeout(Number(Deno.args[1] ?? 20));
      await client.sendall("hello " + i + "\\n");
      replies.push(new TextDecoder().decode(await client.recv(100)).trim());
    }
  } catch (error) {
    replies.push("client: " + (error as Error).name);
  }
  await server.shutdown();
  try {
    await serving;
  } catch (error) {
    replies.push("serve_forever: " + (error as Error).message);
  }
  console.log(replies.join("|"));
}
`;

// A temporary project: deno.json maps "pysock/" to this library and
// "helpers/" to a folder of its own; `main` is the program above.
async function project(main: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pysock_project_" });
  await Deno.mkdir(`${dir}/helpers`);
  await Deno.writeTextFile(
    `${dir}/helpers/shout.ts`,
    "export const shout = (s: string): string => s.toUpperCase();\n",
  );
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({
      imports: { "pysock/": library, "helpers/": "./helpers/" },
    }),
  );
  await Deno.writeTextFile(`${dir}/main.ts`, main);
  return dir;
}

async function run_in(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--unstable-net",
      "--allow-net=127.0.0.1",
      "--allow-read",
      `--allow-run=${Deno.execPath()}`,
      ...args,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout).trim(),
    stderr: decoder.decode(out.stderr),
  };
}

for (const kind of ["threading", "forking"] as const) {
  const Server = kind === "forking" ? "ForkingTCPServer" : "ThreadingTCPServer";
  Deno.test(`${Server} loads a handler that imports through the project's own deno.json`, async () => {
    const dir = await project(MAIN);
    try {
      const result = await run_in(dir, ["main.ts", kind]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "HELLO 0|HELLO 1", result.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${Server} run from another folder still uses the config of its main module's project`, async () => {
    const dir = await project(MAIN);
    try {
      const result = await run_in(Deno.cwd(), [`${dir}/main.ts`, kind]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "HELLO 0|HELLO 1", result.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("ForkingTCPServer children get the --config the parent was given when its command line is readable", async () => {
  const dir = await project(MAIN);
  try {
    // The project's config under another name: found only through the flag.
    await Deno.mkdir(`${dir}/config`);
    await Deno.rename(`${dir}/deno.json`, `${dir}/config/app.json`);
    const config = JSON.parse(
      await Deno.readTextFile(`${dir}/config/app.json`),
    );
    config.imports["helpers/"] = "../helpers/";
    await Deno.writeTextFile(`${dir}/config/app.json`, JSON.stringify(config));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-net",
        "--config",
        "config/app.json",
        "main.ts",
        "forking",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = decoder.decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(decoder.decode(out.stdout).trim(), "HELLO 0|HELLO 1", stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolution_flags() keeps the parent's resolution flags and drops the rest", () => {
  assert.deepEqual(
    resolution_flags([
      "deno",
      "run",
      "-A",
      "--config",
      "a.json",
      "--location",
      "http://x/",
      "--cached-only",
      "--frozen=true",
      "--lock=x.lock",
      "--import-map=map.json",
      "--unstable-net",
      "--v8-flags=--max-old-space-size=99",
      "main.ts",
      "--config",
      "not-ours.json",
    ]),
    [
      "--config",
      "a.json",
      "--cached-only",
      "--frozen=true",
      "--lock=x.lock",
      "--import-map=map.json",
      "--unstable-net",
    ],
  );
  assert.deepEqual(resolution_flags(["deno", "main.ts", "--no-lock"]), []);
  assert.equal(resolution_flags(null), null);
});

Deno.test("ForkingTCPServer whose children cannot load the handler says why once and stops serving", async () => {
  // The handler module fails to load anywhere but as the main module.
  const broken = MAIN.replace(
    "export class Upper",
    'if (!import.meta.main) throw new Error("handler module refuses to load here");\nexport class Upper',
  );
  const dir = await project(broken);
  try {
    const started = performance.now();
    const result = await run_in(dir, ["main.ts", "forking", "3"]);
    const took = performance.now() - started;
    assert.equal(result.code, 0, result.stderr);
    // The reason reaches the program: serve_forever() rejects with it.
    assert.match(result.stdout, /refuses to load here/, result.stderr);
    // And the server logs it, for a program that does not await serving.
    assert.match(
      result.stderr,
      /ForkingTCPServer: child \d+ cannot start: .*refuses to load here/,
    );
    // No hot loop of children failing one after another.
    const starts = result.stderr.match(/refuses to load here/g)?.length ?? 0;
    assert.ok(starts <= 4, `logged ${starts} times:\n${result.stderr}`);
    assert.ok(took < 30_000, `took ${took} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

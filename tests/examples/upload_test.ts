/**
 * Tests of examples/upload_server.ts and examples/upload_client.ts, run as
 * subprocesses with exactly the permissions their header commands give (the
 * port, the upload folder and the file are swapped for the test's own), and
 * against the tutorial's Python 3 programs in tests/examples/py/.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { socket } from "../../net/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PY = new URL("./py/", import.meta.url).pathname;
const SERVER = "examples/upload_server.ts";
const CLIENT = "examples/upload_client.ts";
const MiB = 1024 * 1024;
/** Every child is killed after this long. */
const CHILD_MS = 90_000;

// ---- a small local runner (tests/examples/_run.ts did not exist) ----

/**
 * The arguments after `deno` in the example's first-line comment
 * (`// deno run --allow-net=... examples/x.ts ...`), each value in `subs`
 * replaced (a whole argument, or the value after `=` in a flag).
 */
function header_args(example: string, subs: Record<string, string>): string[] {
  const first = Deno.readTextFileSync(`${ROOT}${example}`).split("\n")[0]!;
  const m = first.match(/^\/\/\s*deno\s+(run\s.*)$/);
  assert.ok(m, `${example} must start with "// deno run ...": ${first}`);
  return m[1]!.trim().split(/\s+/).map((arg) => {
    if (arg in subs) return subs[arg]!;
    const eq = arg.indexOf("=");
    if (eq > 0 && arg.slice(eq + 1) in subs) {
      return `${arg.slice(0, eq + 1)}${subs[arg.slice(eq + 1)]}`;
    }
    return arg;
  });
}

/** A child process: output collected, bounded in time, killed by PID. */
class Child implements AsyncDisposable {
  readonly pid: number;
  readonly what: string;
  stdout = "";
  stderr = "";
  timed_out = false;
  #exited = false;
  readonly #proc: Deno.ChildProcess;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #done: Promise<Deno.CommandStatus>;
  #changed = Promise.withResolvers<void>();
  #closed = false;

  constructor(cmd: string, args: string[], what: string) {
    this.what = what;
    this.#proc = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: {
        DENO_NO_UPDATE_CHECK: "1",
        DENO_NO_PROMPT: "1",
        NO_COLOR: "1",
        PYTHONIOENCODING: "utf-8",
        PYTHONDONTWRITEBYTECODE: "1",
      },
    }).spawn();
    this.pid = this.#proc.pid;
    this.#timer = setTimeout(() => {
      this.timed_out = true;
      this.kill();
    }, CHILD_MS);
    const pumps = Promise.all([
      this.#pump(this.#proc.stdout, (t) => this.stdout += t),
      this.#pump(this.#proc.stderr, (t) => this.stderr += t),
    ]);
    const proc = this.#proc;
    const timer = this.#timer;
    this.#done = (async () => {
      const status = await proc.status;
      this.#exited = true;
      clearTimeout(timer);
      await pumps;
      this.#closed = true;
      this.#wake();
      return status;
    })();
  }

  async #pump(
    stream: ReadableStream<Uint8Array>,
    append: (text: string) => void,
  ): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      append(decoder.decode(chunk, { stream: true }));
      this.#wake();
    }
    append(decoder.decode());
  }

  #wake(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  /** Waits until stdout (or stderr) matches `pattern`; bounded by the child. */
  async wait_for(
    pattern: RegExp,
    stream: "stdout" | "stderr" = "stdout",
  ): Promise<RegExpMatchArray> {
    for (;;) {
      const m = this[stream].match(pattern);
      if (m) return m;
      if (this.#closed) {
        throw new Error(
          `${this.what} exited before printing ${pattern}: ${this.report()}`,
        );
      }
      await this.#changed.promise;
    }
  }

  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exited) return;
    try {
      Deno.kill(this.pid, signal);
    } catch {
      // exited meanwhile
    }
  }

  /** Waits for the exit (bounded by CHILD_MS); returns the exit code. */
  async status(): Promise<number> {
    return (await this.#done).code;
  }

  /** Waits for a zero exit code; throws with the output otherwise. */
  async success(): Promise<void> {
    const code = await this.status();
    assert.equal(code, 0, `${this.what} failed: ${this.report()}`);
    assert.ok(!this.timed_out, `${this.what} timed out`);
  }

  report(): string {
    return `\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.#done;
  }
}

/** A free loopback port: bound to 0, then closed. */
async function free_port(): Promise<number> {
  await using probe = socket();
  probe.bind(["127.0.0.1", 0]);
  return (probe.getsockname() as [string, number])[1];
}

/** A temporary folder: `src/` for the file to send, `uploads/` for the server. */
async function workspace(): Promise<AsyncDisposable & { root: string }> {
  const root = await Deno.makeTempDir({ prefix: "upload_test_" });
  await Deno.mkdir(`${root}/src`);
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Writes `size` random bytes to `path`; returns their SHA-256. */
async function random_file(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path, { write: true, createNew: true });
  const buf = new Uint8Array(MiB);
  for (let done = 0; done < size;) {
    const n = Math.min(buf.length, size - done);
    for (let at = 0; at < n; at += 65536) {
      crypto.getRandomValues(buf.subarray(at, Math.min(at + 65536, n)));
    }
    hash.update(buf.subarray(0, n));
    for (let w = 0; w < n;) w += await f.write(buf.subarray(w, n));
    done += n;
  }
  return hash.digest("hex");
}

async function file_sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  const buf = new Uint8Array(MiB);
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

async function list(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** Starts the server as its header says, plus `extra`; waits until it listens. */
async function start_server(
  dir: string,
  port: number,
  extra: string[],
): Promise<Child> {
  const args = header_args(SERVER, {
    "127.0.0.1:9999": `127.0.0.1:${port}`,
    uploads: dir,
  });
  const server = new Child(
    Deno.execPath(),
    [...args, "--port", String(port), ...extra],
    "upload_server",
  );
  await server.wait_for(/listening on 127\.0\.0\.1:\d+/);
  return server;
}

/** Starts the client as its header says, sending `file`, plus `extra`. */
function start_client(file: string, port: number, extra: string[]): Child {
  const args = header_args(CLIENT, {
    "127.0.0.1:9999": `127.0.0.1:${port}`,
    "f.png": file,
  });
  return new Child(
    Deno.execPath(),
    [...args, "--port", String(port), ...extra],
    "upload_client",
  );
}

function python(script: string, args: string[]): Child {
  return new Child("python3", ["-u", `${PY}${script}`, ...args], script);
}

function mib_per_s(text: string, pattern: RegExp): string {
  return text.match(pattern)?.[1] ?? "?";
}

// ---- the tests ----

for (const protocol of ["tutorial", "framed"]) {
  Deno.test(`upload: 100 MiB in the ${protocol} protocol arrives intact, with progress lines`, async () => {
    await using ws = await workspace();
    const file = `${ws.root}/src/big.bin`;
    const dir = `${ws.root}/uploads`;
    const sha = await random_file(file, 100 * MiB);
    const port = await free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
    ]);
    await using client = start_client(file, port, ["--protocol", protocol]);
    await client.success();
    await server.success();
    const saved = protocol === "tutorial" ? "new1.png" : "big.bin";
    assert.deepEqual(await list(dir), [saved]);
    assert.equal(await file_sha256(`${dir}/${saved}`), sha);
    assert.match(server.stdout, new RegExp(`sha256 ${sha}`));
    assert.match(server.stdout, /saved .* \(104857600 bytes\)/);
    if (protocol === "tutorial") {
      assert.match(server.stdout, /file size: 104857600 bytes; sent the ack/);
      assert.match(client.stdout, /^先走出\n/); // the client prints the ack
    } else {
      assert.match(server.stdout, /verified/);
      assert.match(client.stdout, new RegExp(`sha256 ${sha} ok`));
    }
    // stderr is a pipe, not a terminal: one plain line per 10%, no "\r".
    const lines = client.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 10, client.stderr);
    assert.ok(!client.stderr.includes("\r"));
    lines.forEach((line, i) => {
      assert.match(
        line,
        /^progress: +\d+% \d+\.\d\/100\.0 MiB \d+\.\d MiB\/s ETA \d+:\d\d$/,
      );
      assert.equal(Number(line.match(/(\d+)%/)![1]), (i + 1) * 10, line);
    });
    console.log(
      `  ${protocol}: client ${
        mib_per_s(client.stdout, /\(([\d.]+) MiB\/s\)/)
      } MiB/s, server ${mib_per_s(server.stdout, /\(([\d.]+) MiB\/s\)/)} MiB/s`,
    );
  });
}

Deno.test("upload: the tutorial's Python 3 client uploads 100 MiB to our server", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/f.png`;
  const dir = `${ws.root}/uploads`;
  const sha = await random_file(file, 100 * MiB);
  const port = await free_port();
  await using server = await start_server(dir, port, ["--count", "1"]);
  await using client = python("upload_client.py", [
    "127.0.0.1",
    String(port),
    file,
  ]);
  await client.success();
  await server.success();
  assert.equal(client.stdout, "先走出\n");
  assert.deepEqual(await list(dir), ["new1.png"]);
  assert.equal(await file_sha256(`${dir}/new1.png`), sha);
  assert.match(server.stdout, new RegExp(`sha256 ${sha}`));
  console.log(
    `  python client: server ${
      mib_per_s(server.stdout, /\(([\d.]+) MiB\/s\)/)
    } MiB/s`,
  );
});

Deno.test("upload: our client uploads to the tutorial's Python 3 server", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/f.png`;
  const out = `${ws.root}/new1.png`;
  const sha = await random_file(file, 20 * MiB);
  const port = await free_port();
  await using server = python("upload_server.py", [
    "127.0.0.1",
    String(port),
    out,
  ]);
  await server.wait_for(/listening on/);
  await using client = start_client(file, port, []);
  await client.success();
  await server.success();
  assert.match(server.stdout, /received 20971520 bytes/);
  assert.equal(await file_sha256(out), sha);
});

for (const protocol of ["tutorial", "framed"]) {
  Deno.test(`upload: a ${protocol} client that sends half and closes is reported truncated, nothing saved`, async () => {
    await using ws = await workspace();
    const file = `${ws.root}/src/half.bin`;
    const dir = `${ws.root}/uploads`;
    await random_file(file, 10 * MiB);
    const port = await free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
    ]);
    await using client = python("upload_truncated.py", [
      "127.0.0.1",
      String(port),
      file,
      protocol,
      "half",
    ]);
    await client.success();
    await server.success();
    assert.match(
      server.stdout,
      /truncated: received 5242880 of 10485760 bytes.*; nothing saved/,
    );
    assert.doesNotMatch(server.stdout, /saved \//);
    assert.deepEqual(await list(dir), []); // the temporary file is gone too
  });

  Deno.test(`upload: killing a ${protocol} client by PID mid-way leaves nothing saved`, async () => {
    await using ws = await workspace();
    const file = `${ws.root}/src/slow.bin`;
    const dir = `${ws.root}/uploads`;
    await random_file(file, 40 * MiB);
    const port = await free_port();
    await using server = await start_server(dir, port, [
      "--protocol",
      protocol,
      "--count",
      "1",
    ]);
    // 10 MiB/s: the 40 MiB take about 4 s, so the kill lands mid-way.
    await using client = start_client(file, port, [
      "--protocol",
      protocol,
      "--rate",
      String(10 * MiB),
    ]);
    await client.wait_for(/progress: +10%/, "stderr");
    client.kill("SIGKILL");
    assert.notEqual(await client.status(), 0);
    await server.success();
    const m = server.stdout.match(
      /truncated: received (\d+) of 41943040 bytes.*; nothing saved/,
    );
    assert.ok(m, server.report());
    assert.ok(Number(m[1]) > 0 && Number(m[1]) < 40 * MiB, m[0]);
    assert.deepEqual(await list(dir), []);
  });
}

Deno.test("upload: a framed upload with a wrong sha256 is refused, nothing saved", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/x.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 3 * MiB);
  const port = await free_port();
  await using server = await start_server(dir, port, [
    "--protocol",
    "framed",
    "--count",
    "1",
  ]);
  await using client = python("upload_truncated.py", [
    "127.0.0.1",
    String(port),
    file,
    "framed",
    "badsha",
  ]);
  await client.success();
  await server.success();
  assert.match(server.stdout, /sha256 mismatch: .*; nothing saved/);
  assert.match(client.stdout, /"ok": ?false.*sha256 mismatch/);
  assert.deepEqual(await list(dir), []);
});

Deno.test('upload: the name "../../etc/x" lands as "x" in the folder; ".." is refused', async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/data.bin`;
  const dir = `${ws.root}/uploads`;
  const sha = await random_file(file, 1 * MiB);
  const port = await free_port();
  await using server = await start_server(dir, port, [
    "--protocol",
    "framed",
    "--count",
    "2",
  ]);
  {
    await using client = start_client(file, port, [
      "--protocol",
      "framed",
      "--name",
      "../../etc/x",
    ]);
    await client.success();
    assert.match(client.stdout, /the server accepted "x"/);
  }
  {
    await using client = start_client(file, port, [
      "--protocol",
      "framed",
      "--name",
      "..",
    ]);
    assert.equal(await client.status(), 1, client.report());
    assert.match(client.stdout, /the server refused: refused name/);
  }
  await server.success();
  assert.match(server.stdout, /name "\.\.\/\.\.\/etc\/x" reduced to "x"/);
  assert.match(server.stdout, /refused the name "\.\."/);
  assert.deepEqual(await list(dir), ["x"]);
  assert.equal(await file_sha256(`${dir}/x`), sha);
  assert.deepEqual(await list(ws.root), ["src", "uploads"]);
});

Deno.test("upload: the client draws a bar with \\r at most about 10 times a second", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/bar.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 8 * MiB);
  const port = await free_port();
  await using server = await start_server(dir, port, ["--count", "1"]);
  const start = performance.now();
  // 8 MiB at 8 MiB/s: about one second of redraws.
  await using client = start_client(file, port, [
    "--progress",
    "bar",
    "--rate",
    String(8 * MiB),
  ]);
  await client.success();
  const seconds = (performance.now() - start) / 1000;
  await server.success();
  const frames = client.stderr.split("\r").filter((f) => f !== "");
  assert.ok(client.stderr.endsWith("\n"), JSON.stringify(client.stderr));
  for (const frame of frames) {
    assert.match(
      frame,
      /^\[[#-]{30}\] +\d+% [\d.]+\/8\.0 MiB [\d.]+ MiB\/s ETA (\d+:\d\d|--:--) *\n?$/,
    );
  }
  assert.match(frames.at(-1)!, /^\[#{30}\] 100% 8\.0\/8\.0 MiB/);
  assert.ok(frames.length >= 3, `${frames.length} frames`);
  assert.ok(
    frames.length <= seconds * 10 + 3,
    `${frames.length} frames in ${seconds.toFixed(2)} s`,
  );
});

Deno.test("upload: on a terminal the client picks the bar by itself", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/tty.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 4 * MiB);
  const port = await free_port();
  await using server = await start_server(dir, port, ["--count", "1"]);
  const args = header_args(CLIENT, {
    "127.0.0.1:9999": `127.0.0.1:${port}`,
    "f.png": file,
  });
  // Under python's pty: stdout and stderr are a terminal, "\n" reads "\r\n".
  await using client = python("upload_pty.py", [
    Deno.execPath(),
    ...args,
    "--port",
    String(port),
    "--rate",
    String(8 * MiB),
  ]);
  await client.success();
  await server.success();
  assert.doesNotMatch(client.stdout, /progress:/);
  const frames = client.stdout.match(/\r\[[#-]{30}\] +\d+% /g) ?? [];
  assert.ok(frames.length >= 2, client.report());
  assert.match(client.stdout, /\r\[#{30}\] 100% 4\.0\/4\.0 MiB/);
});

Deno.test("upload: SIGTERM stops the server; an upload in progress is removed", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/slow.bin`;
  const dir = `${ws.root}/uploads`;
  await random_file(file, 20 * MiB);
  const port = await free_port();
  await using server = await start_server(dir, port, ["--protocol", "framed"]);
  await using client = start_client(file, port, [
    "--protocol",
    "framed",
    "--rate",
    String(10 * MiB),
  ]);
  await client.wait_for(/progress: +10%/, "stderr");
  server.kill("SIGTERM");
  await server.success();
  assert.notEqual(await client.status(), 0);
  assert.match(server.stdout, /stopping/);
  assert.match(
    server.stdout,
    /truncated: received \d+ of 20971520 bytes \(the server is stopping\)/,
  );
  assert.match(client.stdout, /upload failed: \[Errno (32|104)\] /);
  assert.deepEqual(await list(dir), []);
});

Deno.test("upload: the client reports a refused connection in one line", async () => {
  await using ws = await workspace();
  const file = `${ws.root}/src/f.png`;
  await random_file(file, 1000);
  const port = await free_port(); // nothing listens there
  await using client = start_client(file, port, []);
  assert.equal(await client.status(), 1, client.report());
  assert.equal(
    client.stdout,
    "upload failed: [Errno 111] Connection refused\n",
  );
  assert.equal(client.stderr, "");
});

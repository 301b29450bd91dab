/**
 * Runs examples as subprocesses, for tests/examples/*_test.ts.
 *
 * - `header_args(example, subs)` reads the example's first line
 *   (`// deno run --allow-net=127.0.0.1:9999 examples/x.ts`) and returns the
 *   arguments after `deno`, so a test runs it with EXACTLY the header's
 *   permissions; `subs` swaps a default for the test's own (the port it got
 *   by binding 0, a temporary folder).
 * - `free_port()` binds port 0, closes, and returns the port.
 * - `spawn()` / `run_example()` start a child that is bounded in time (killed
 *   by PID after `timeout_ms`), collects its output, and is awaited on
 *   dispose: `await using child = run_example(...)`.
 *
 * @module
 */
import assert from "node:assert/strict";

/** The repository root (the examples' header commands run from there). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;
/** The folder of the Python 3 peers. */
export const PY: string = new URL("./py/", import.meta.url).pathname;
/** Default bound on a child's life. */
export const CHILD_MS = 60_000;

/**
 * The arguments after `deno` in the example's first-line comment, with each
 * key of `subs` replaced by its value wherever it is a whole argument, the
 * value after `=` in a flag, or one comma-separated item of that value
 * (`--allow-net=127.0.0.1:9999,0.0.0.0` with `{"127.0.0.1:9999": ...}`).
 * Every key must be used: a header that drifted from the test fails it.
 */
export function header_args(
  example: string,
  subs: Record<string, string> = {},
): string[] {
  const first = Deno.readTextFileSync(`${ROOT}${example}`).split("\n")[0]!;
  const m = first.match(/^\/\/\s*deno\s+(run\s.*)$/);
  assert.ok(m, `${example} must start with "// deno run ...": ${first}`);
  const used = new Set<string>();
  const sub = (s: string): string => {
    if (s in subs) {
      used.add(s);
      return subs[s]!;
    }
    return s;
  };
  const args = m[1]!.trim().split(/\s+/).map((arg) => {
    if (arg in subs) return sub(arg);
    const eq = arg.indexOf("=");
    if (eq > 0 && arg.startsWith("-")) {
      const value = arg.slice(eq + 1).split(",").map(sub).join(",");
      return `${arg.slice(0, eq + 1)}${value}`;
    }
    return arg;
  });
  for (const key of Object.keys(subs)) {
    assert.ok(used.has(key), `${example}'s header has no "${key}": ${first}`);
  }
  return args;
}

/** A free port on `host`: bind port 0, read it, close. */
export function free_port(
  host = "127.0.0.1",
  transport: "tcp" | "udp" = "tcp",
): number {
  if (transport === "tcp") {
    const l = Deno.listen({ hostname: host, port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    return port;
  }
  const d = Deno.listenDatagram({ hostname: host, port: 0, transport: "udp" });
  const port = (d.addr as Deno.NetAddr).port;
  d.close();
  return port;
}

/** Options of {@linkcode spawn}. */
export interface SpawnOptions {
  /** "piped" to write to the child with `write()`/`end()`; "null" default. */
  stdin?: "piped" | "null";
  /** Killed (SIGKILL) after this many ms; `CHILD_MS` by default. */
  timeout_ms?: number;
  /** Extra environment. */
  env?: Record<string, string>;
  /** A label for error messages. */
  what?: string;
}

/** A child process: output collected, bounded in time, killed by PID. */
export class Child implements AsyncDisposable {
  /** The child's process id. */
  readonly pid: number;
  /** The label used in messages. */
  readonly what: string;
  /** Everything written to stdout so far, as bytes. */
  stdout_bytes: Uint8Array = new Uint8Array(0);
  /** Everything written to stdout so far, decoded. */
  stdout = "";
  /** Everything written to stderr so far, decoded. */
  stderr = "";
  /** True when the time bound killed it. */
  timed_out = false;
  #exited = false;
  #closed = false;
  readonly #proc: Deno.ChildProcess;
  readonly #done: Promise<Deno.CommandStatus>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #changed = Promise.withResolvers<void>();

  constructor(cmd: string, args: string[], options: SpawnOptions = {}) {
    this.what = options.what ?? `${cmd} ${args.join(" ")}`;
    this.#proc = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
      env: {
        DENO_NO_UPDATE_CHECK: "1",
        DENO_NO_PROMPT: "1",
        NO_COLOR: "1",
        PYTHONIOENCODING: "utf-8",
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONUNBUFFERED: "1",
        ...options.env,
      },
    }).spawn();
    this.pid = this.#proc.pid;
    if (options.stdin === "piped") this.#writer = this.#proc.stdin.getWriter();
    const timer = setTimeout(() => {
      this.timed_out = true;
      this.kill("SIGKILL");
    }, options.timeout_ms ?? CHILD_MS);
    const pumps = Promise.all([
      this.#pump(this.#proc.stdout, true),
      this.#pump(this.#proc.stderr, false),
    ]);
    const proc = this.#proc;
    this.#done = (async () => {
      try {
        return await proc.status;
      } finally {
        this.#exited = true;
        clearTimeout(timer);
        await pumps;
        if (this.#writer) {
          await this.#writer.close().catch(() => {});
          this.#writer = undefined;
        }
        this.#closed = true;
        this.#wake();
      }
    })();
  }

  async #pump(stream: ReadableStream<Uint8Array>, out: boolean): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      if (out) {
        const all = new Uint8Array(this.stdout_bytes.length + chunk.length);
        all.set(this.stdout_bytes);
        all.set(chunk, this.stdout_bytes.length);
        this.stdout_bytes = all;
        this.stdout += decoder.decode(chunk, { stream: true });
      } else {
        this.stderr += decoder.decode(chunk, { stream: true });
      }
      this.#wake();
    }
    if (out) this.stdout += decoder.decode();
    else this.stderr += decoder.decode();
  }

  #wake(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  /** Waits until the stream's text matches `pattern`; bounded by the child. */
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

  /** Waits until stdout holds at least `n` bytes; bounded by the child. */
  async wait_bytes(n: number): Promise<void> {
    while (this.stdout_bytes.length < n) {
      if (this.#closed) {
        throw new Error(
          `${this.what} exited after ${this.stdout_bytes.length} of ${n} bytes: ${this.report()}`,
        );
      }
      await this.#changed.promise;
    }
  }

  /** Writes to the child's stdin (spawned with `stdin: "piped"`). */
  async write(data: string | Uint8Array): Promise<void> {
    assert.ok(this.#writer, `${this.what}: stdin is not piped or was ended`);
    await this.#writer.write(
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    );
  }

  /** Closes the child's stdin (EOF for it). */
  async end(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.close().catch(() => {});
  }

  /** Sends a signal unless it exited already. */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exited) return;
    try {
      Deno.kill(this.pid, signal);
    } catch {
      // exited meanwhile
    }
  }

  /** Waits for the exit (bounded by the timeout). */
  status(): Promise<Deno.CommandStatus> {
    return this.#done;
  }

  /** Waits for the exit, and asserts it was code 0 without a timeout. */
  async success(): Promise<void> {
    const status = await this.#done;
    assert.ok(!this.timed_out, `${this.what} timed out: ${this.report()}`);
    assert.equal(status.code, 0, `${this.what} failed: ${this.report()}`);
  }

  /** Output for an assertion message. */
  report(): string {
    return `\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`;
  }

  /** Kills it if still running, and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.end();
    await this.#done;
  }
}

/** Starts `cmd args` from the repository root. */
export function spawn(
  cmd: string,
  args: string[],
  options: SpawnOptions = {},
): Child {
  return new Child(cmd, args, options);
}

/**
 * Starts `deno` with the example's header command (`subs` applied, see
 * {@linkcode header_args}) followed by `extra` arguments.
 */
export function run_example(
  example: string,
  subs: Record<string, string>,
  extra: string[] = [],
  options: SpawnOptions = {},
): Child {
  return spawn(Deno.execPath(), [...header_args(example, subs), ...extra], {
    what: example,
    ...options,
  });
}

/**
 * Starts a Python server of tests/examples/py/ as `script 127.0.0.1 0
 * ...args`: it binds a free port and first prints "listening on" with that
 * port last on the line, which this returns once it is there.
 */
export async function py_server(
  script: string,
  args: string[] = [],
): Promise<[Child, number]> {
  const server = spawn(
    "python3",
    [`${PY}${script}`, "127.0.0.1", "0", ...args],
    {
      what: script,
    },
  );
  const m = await server.wait_for(/^listening on .*?(\d+)\)?$/m);
  return [server, Number(m[1])];
}

/**
 * Spawns python3 interop peers from `tests/interop/py/`, reads their stdout
 * line by line, and bounds each one: a peer still running after its timeout
 * is killed by PID, and disposing a peer kills it (by PID) and waits for it,
 * so no process, pipe or timer outlives a test.
 *
 * @module
 */

/** How a finished peer ended, and everything it wrote. */
export interface PythonResult {
  /** Exit code (128 + signal number when killed). */
  code: number;
  /** The signal that ended it, or `null`. */
  signal: Deno.Signal | null;
  /** Everything written to stdout, UTF-8. */
  stdout: string;
  /** Everything written to stderr, UTF-8. */
  stderr: string;
  /** Whether the timeout killed it. */
  timed_out: boolean;
}

/** Options of {@linkcode python}. */
export interface PythonOptions {
  /** Kill the peer after this many milliseconds (default 60 000). */
  timeout_ms?: number;
  /** Give the peer a stdin pipe (closed by `close_stdin()`); default none. */
  stdin?: boolean;
}

const PY_DIR = new URL("./py/", import.meta.url);

/** A running python3 peer. */
export class PythonPeer implements AsyncDisposable {
  /** The peer's process id. */
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #script: string;
  readonly #timer: ReturnType<typeof setTimeout>;
  #timed_out = false;
  #exited = false;
  #out = "";
  #cursor = 0;
  #out_done = false;
  #err = "";
  #changed: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  readonly #pumps: Promise<void>;
  readonly #status: Promise<Deno.CommandStatus>;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #result: Promise<PythonResult> | null = null;

  constructor(script: string, args: string[], options: PythonOptions = {}) {
    const { timeout_ms = 60_000, stdin = false } = options;
    this.#script = script;
    this.#child = new Deno.Command("python3", {
      args: ["-u", new URL(script, PY_DIR).pathname, ...args],
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONIOENCODING: "utf-8", PYTHONDONTWRITEBYTECODE: "1" },
    }).spawn();
    this.pid = this.#child.pid;
    if (stdin) this.#stdin = this.#child.stdin.getWriter();
    this.#status = this.#child.status.then((status) => {
      this.#exited = true;
      return status;
    });
    this.#timer = setTimeout(() => {
      this.#timed_out = true;
      this.kill();
    }, timeout_ms);
    this.#pumps = Promise.all([
      this.#pump(this.#child.stdout, (text) => this.#out += text).finally(
        () => {
          this.#out_done = true;
          this.#wake();
        },
      ),
      this.#pump(this.#child.stderr, (text) => this.#err += text),
    ]).then(() => {});
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

  /**
   * The next stdout line, without its newline. Rejects, quoting stderr, when
   * the peer's stdout ends first (bounded by the peer's timeout).
   */
  async line(): Promise<string> {
    while (true) {
      const end = this.#out.indexOf("\n", this.#cursor);
      if (end >= 0) {
        const line = this.#out.slice(this.#cursor, end);
        this.#cursor = end + 1;
        return line;
      }
      if (this.#out_done) {
        await this.#pumps;
        throw new Error(
          `Cannot read a line from ${this.#script}: its stdout ended${
            this.#timed_out ? " (timed out)" : ""
          }; stderr: ${this.#err.trim() || "(empty)"}`,
        );
      }
      await this.#changed.promise;
    }
  }

  /** The next stdout line, parsed as JSON. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.line()) as T;
  }

  /** Closes the peer's stdin (servers exit on EOF). */
  async close_stdin(): Promise<void> {
    const writer = this.#stdin;
    this.#stdin = null;
    if (writer) await writer.close().catch(() => {});
  }

  /** Kills the peer by PID with SIGKILL, unless it has exited. */
  kill(): void {
    if (this.#exited) return;
    try {
      Deno.kill(this.pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }

  /** Waits for the peer to exit (bounded by its timeout) and collects output. */
  wait(): Promise<PythonResult> {
    return this.#result ??= (async () => {
      const status = await this.#status;
      clearTimeout(this.#timer);
      await this.#pumps;
      await this.close_stdin();
      return {
        code: status.code,
        signal: status.signal,
        stdout: this.#out,
        stderr: this.#err,
        timed_out: this.#timed_out,
      };
    })();
  }

  /**
   * Waits for a clean exit and returns the stdout lines not yet read;
   * throws, quoting stderr, when the peer failed or timed out.
   */
  async finish(): Promise<string[]> {
    await this.close_stdin();
    const result = await this.wait();
    if (result.code !== 0 || result.timed_out) {
      throw new Error(
        `${this.#script} exited with code ${result.code}${
          result.timed_out ? " (timed out)" : ""
        }; stderr: ${result.stderr.trim() || "(empty)"}`,
      );
    }
    return this.#out.slice(this.#cursor).split("\n").filter((l) => l !== "");
  }

  /** Kills the peer if it still runs, and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.wait();
  }
}

/**
 * Starts `tests/interop/py/<script>` with python3 (unbuffered, UTF-8 stdio).
 *
 * @param script File name inside `tests/interop/py/`.
 * @param args Command-line arguments.
 * @param options Timeout and stdin.
 * @returns The running peer; dispose it with `await using`.
 */
export function python(
  script: string,
  args: (string | number)[] = [],
  options?: PythonOptions,
): PythonPeer {
  return new PythonPeer(script, args.map(String), options);
}

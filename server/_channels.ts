// The transports to one agent, main side: a Web Worker, or a child Deno
// process that speaks frames on its stdin and stdout.
import { encode_frame, read_frames } from "./_frames.ts";
import type { AgentExit, FromAgent, ToAgent } from "./_protocol.ts";

/** One agent as the pool sees it. */
export interface Channel {
  post(msg: ToAgent): void;
  /** Resolves with a reason once the agent is gone, whatever the cause. */
  readonly gone: Promise<string>;
  /** Ends the agent at once; resolves once it is gone. */
  kill(): Promise<void>;
  /** The child's PID; undefined for a worker. */
  readonly pid: number | undefined;
}

const WORKER_URL = new URL("./_worker.ts", import.meta.url);
/** The entry module of a forked child. */
export const CHILD_URL: URL = new URL("./_child.ts", import.meta.url);

export class WorkerChannel implements Channel {
  #worker: Worker;
  #resolve!: (reason: string) => void;
  #ended = false;
  readonly gone: Promise<string>;
  readonly pid: number | undefined = undefined;

  constructor(name: string, on_message: (msg: FromAgent) => void) {
    this.gone = new Promise((resolve) => this.#resolve = resolve);
    this.#worker = new Worker(WORKER_URL, { type: "module", name });
    this.#worker.onmessage = (event: MessageEvent<FromAgent | AgentExit>) => {
      if (event.data.t === "exit") {
        this.#end(event.data.reason);
      } else if (!this.#ended) on_message(event.data);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      // Unhandled, the error would end the main thread too.
      event.preventDefault();
      this.#end(`it threw ${event.message}`);
    };
    this.#worker.onmessageerror = () => this.#end("a message was lost");
  }

  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#worker.terminate();
    this.#resolve(reason);
  }

  post(msg: ToAgent): void {
    if (this.#ended) return;
    this.#worker.postMessage(msg);
  }

  kill(): Promise<void> {
    this.#end("it was stopped");
    return this.gone.then(() => {});
  }
}

export class ChildChannel implements Channel {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reading: Promise<void>;
  #ended = false;
  readonly gone: Promise<string>;
  readonly pid: number;

  constructor(args: string[], on_message: (msg: FromAgent) => void) {
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.pid = child.pid;
    this.#writer = child.stdin.getWriter();
    this.#reading = (async () => {
      try {
        for await (const msg of read_frames<FromAgent>(child.stdout)) {
          if (!this.#ended) on_message(msg);
        }
      } catch {
        // A broken pipe means the child is gone; status says how.
      }
    })();
    this.gone = this.#child.status.then(async (status) => {
      this.#ended = true;
      await this.#reading;
      await this.#writer.close().catch(() => {});
      return status.signal !== null
        ? `it was killed by ${status.signal}`
        : `it exited with code ${status.code}`;
    });
  }

  post(msg: ToAgent): void {
    if (this.#ended) return;
    this.#writer.write(encode_frame(msg)).catch(() => {});
  }

  async kill(): Promise<void> {
    if (!this.#ended) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // It exited meanwhile.
      }
    }
    await this.gone;
  }
}

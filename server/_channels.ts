// The transports to one agent, main side: a Web Worker, or a child Deno
// process that speaks frames on its stdin and stdout.
import type { Address } from "../net/mod.ts";
import { FrameWriter, read_frames } from "./_frames.ts";
import type { HandlerSpec } from "./_locate.ts";
import { child_flags } from "./_permissions.ts";
import { child_resolution } from "./_resolution.ts";
import {
  type AgentExit,
  type AgentMode,
  type FromAgent,
  is_from_agent,
  type ToAgent,
  transfers,
} from "./_protocol.ts";

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
const CHILD_URL: URL = new URL("./_child.ts", import.meta.url);

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
    this.#worker.postMessage(msg, transfers(msg));
  }

  kill(): Promise<void> {
    this.#end("it was stopped");
    return this.gone.then(() => {});
  }
}

/** How long a child whose stdout ended or broke may take to exit itself. */
const EXIT_GRACE_MS = 500;

// Whether `status` settles within `ms`.
async function exits_within(
  status: Promise<Deno.CommandStatus>,
  ms: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([status.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class ChildChannel implements Channel {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #frames: FrameWriter<ToAgent>;
  #reading: Promise<void>;
  #ended = false;
  /** Why the parent ended the child, when it did so on its own. */
  #broken: string | null = null;
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
    this.#frames = new FrameWriter(this.#writer);
    this.#reading = (async () => {
      let why: string | null = null;
      try {
        for await (const msg of read_frames<unknown>(child.stdout)) {
          if (!is_from_agent(msg)) {
            throw new TypeError(
              `Cannot read message: unknown kind ${
                JSON.stringify((msg as { t?: unknown } | null)?.t)
              }`,
            );
          }
          if (!this.#ended) on_message(msg);
        }
      } catch (error) {
        why = error instanceof Error ? error.message : String(error);
      }
      // A child that exits (or is killed mid-frame) closes its stdout just
      // before its status comes: then the status says why.
      if (await exits_within(child.status, EXIT_GRACE_MS)) return;
      // Once the stream ended or broke (a handler wrote to Deno.stdout, say)
      // the child can send nothing more: end it, so the pool replaces it,
      // rather than keep a deaf child that gets requests.
      why ??= "it closed its stdout";
      if (!this.#ended) {
        this.#broken = `its frame stream broke: ${why}`;
        this.#signal();
      }
    })();
    this.gone = this.#child.status.then(async (status) => {
      this.#ended = true;
      await this.#reading;
      await this.#writer.close().catch(() => {});
      if (this.#broken !== null) return this.#broken;
      return status.signal !== null
        ? `it was killed by ${status.signal}`
        : `it exited with code ${status.code}`;
    });
  }

  post(msg: ToAgent): void {
    if (this.#ended) return;
    this.#frames.write(msg);
  }

  #signal(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // It exited meanwhile.
    }
  }

  async kill(): Promise<void> {
    if (!this.#ended) this.#signal();
    await this.gone;
  }
}

/**
 * Starts one agent of `options.kind` named `name`: a Web Worker, or a
 * child Deno process with no more permissions than its parent needs to
 * give it (see _permissions.ts) and the parent's module resolution.
 */
export function open_channel(
  options: { kind: "worker" | "child"; spec: HandlerSpec; mode: AgentMode },
  server_address: Address,
  name: string,
  on_message: (msg: FromAgent) => void,
): Channel {
  if (options.kind === "worker") return new WorkerChannel(name, on_message);
  return new ChildChannel(
    [
      "run",
      "--no-prompt",
      ...(typeof Deno.listenDatagram === "function" ? ["--unstable-net"] : []),
      ...child_resolution(),
      ...child_flags(options.spec, options.mode, server_address),
      CHILD_URL.href,
    ],
    on_message,
  );
}

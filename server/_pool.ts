// The engine under the threaded and forking servers: a pool of agents (Web
// Workers or child Deno processes) that run the handlers, the messages
// between the main thread and each agent, and the agent's own side.
//
// Where connections cross (DESIGN section 5): Deno cannot move a Conn to
// another thread, so a TCP agent opens its own listener on the server's port
// with SO_REUSEPORT and serves what the kernel hands it. The main thread's
// listener (also SO_REUSEPORT, bound by the constructor as in Python) stays
// open for the server's life and relays what it accepts: its own share of
// the kernel's spread and everything that queued before the agents
// listened, so no connection is ever reset by a listener going away while
// the server lives. Unix stream servers relay every connection, datagram
// servers every datagram.
import {
  type Address,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  EACCES,
  FileExistsError,
  FileNotFoundError,
  gaierror,
  herror,
  InterruptedError,
  OSError,
  PermissionError,
  SHUT_WR,
  SO_REUSEPORT,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  socketpair,
  SOL_SOCKET,
  TimeoutError,
} from "../net/mod.ts";
import { BaseServer } from "./base.ts";
import { UDPServer } from "./datagram.ts";
import { TCPServer } from "./stream.ts";

// ---------------------------------------------------------------------------
// Messages

/** How an agent gets its requests. */
export type AgentMode = "listen" | "stream" | "dgram";

/** What a thrown value becomes on its way between agent and main thread. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  errno?: number;
  strerror?: string;
}

/** One message either way; `t` says which, the rest depends on it. */
export interface Msg {
  t: string;
  cid?: number;
  seq?: number;
  n?: number;
  ok?: boolean;
  data?: Uint8Array;
  addr?: Address;
  error?: ErrorInfo;
  reason?: string;
  init?: AgentInit;
  poll?: number;
}

/** What an agent needs to start. */
export interface AgentInit {
  mode: AgentMode;
  module: string;
  name: string;
  server_address: Address;
  address_family: number;
  allow_reuse_address: boolean;
  request_queue_size: number;
  verify: boolean;
  kind: string;
  /** The server class's name, for what the agent logs. */
  label: string;
}

function to_info(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const info: ErrorInfo = { name: error.name, message: error.message };
    if (error.stack !== undefined) info.stack = error.stack;
    if (error instanceof OSError) {
      info.errno = error.errno;
      info.strerror = error.strerror;
    }
    return info;
  }
  return { name: "Error", message: String(error) };
}

// The error classes an error keeps across threads, by name.
const OS_ERRORS: Record<string, { prototype: OSError }> = {
  OSError,
  TimeoutError,
  BlockingIOError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  ConnectionAbortedError,
  BrokenPipeError,
  InterruptedError,
  PermissionError,
  FileNotFoundError,
  FileExistsError,
  gaierror,
  herror,
};
const JS_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Rebuilds an error that crossed from an agent: the same class for the
 * net errors (with `errno`) and the built-in ones, else an `Error` with the
 * same name; the message and stack are the agent's.
 */
export function from_info(info: ErrorInfo | undefined): Error {
  const name = info?.name ?? "Error";
  const message = info?.message ?? "unknown error";
  let error: Error;
  const os = Object.hasOwn(OS_ERRORS, name) ? OS_ERRORS[name] : undefined;
  const js = Object.hasOwn(JS_ERRORS, name) ? JS_ERRORS[name] : undefined;
  if (os !== undefined && info?.errno !== undefined) {
    // Their constructors differ (TimeoutError takes no errno): build an
    // OSError and give it the class.
    error = new OSError(info.errno, info.strerror);
    Object.setPrototypeOf(error, os.prototype);
    error.name = name;
    error.message = message;
  } else if (js !== undefined) {
    error = new js(message);
  } else {
    error = new Error(message);
    error.name = name;
  }
  if (info?.stack !== undefined) error.stack = info.stack;
  return error;
}

// Set in an agent before the handler module is imported, so a server that
// module starts at top level fails instead of forking workers of its own.
const AGENT = Symbol.for("pysock.server.agent");

/** Throws when called inside an agent: the main module's guard is missing. */
export function refuse_in_agent(cls: string): void {
  if ((globalThis as Record<symbol, unknown>)[AGENT] === true) {
    throw new Error(
      `Cannot create ${cls}: this code runs inside a worker of another server, which imported its module to find the handler; guard the code that starts the server with 'if (import.meta.main)'`,
    );
  }
}

// ---------------------------------------------------------------------------
// Finding the handler

/** Where an agent finds the handler class: a module URL and an export. */
export interface HandlerSpec {
  module: string;
  name: string;
}

const ident = "[A-Za-z_$][\\w$]*";

// The export name under which `source` exports a class declared as `name`,
// or null. A textual check: it runs synchronously in the constructor, where
// importing the (maybe still evaluating) main module would deadlock. The
// agent checks again for real.
function exported_as(source: string, name: string): string | null {
  const n = name.replace(/\$/g, "\\$");
  if (
    new RegExp(`export\\s+default\\s+(?:abstract\\s+)?class\\s+${n}\\b`).test(
      source,
    )
  ) {
    return "default";
  }
  if (
    new RegExp(
      `export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:class|const|let|var|function)\\s+${n}\\b`,
    ).test(source)
  ) {
    return name;
  }
  for (const m of source.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(",")) {
      const found = part.trim().match(
        new RegExp(`^${n}(?:\\s+as\\s+(${ident}))?$`),
      );
      if (found) return found[1] ?? name;
    }
  }
  return null;
}

function how_to_fix(name: string, module: string): string {
  return `export the class from its module (export class ${name} ...), and when that module is not the main module set 'static module = import.meta.url' on the class; looked in ${module}`;
}

/**
 * Finds the module and export an agent imports to get `cls`: the class's
 * own `static module`, else the main module, else an inherited
 * `static module`. Throws, naming the fix, when none exports it.
 */
export function locate_handler(cls: unknown, action: string): HandlerSpec {
  if (typeof cls !== "function") {
    throw new TypeError(
      `${action}: RequestHandlerClass must be a class, received ${typeof cls}`,
    );
  }
  const name = cls.name;
  const own = Object.hasOwn(cls, "module")
    ? (cls as { module?: unknown }).module
    : undefined;
  const inherited = (cls as { module?: unknown }).module;
  if (own !== undefined && typeof own !== "string") {
    throw new TypeError(
      `${action}: ${name}.module must be a module URL string (import.meta.url), received ${typeof own}`,
    );
  }
  if (!name) {
    throw new RangeError(
      `${action}: the handler class has no name, so no worker can import it; ${
        how_to_fix("Handler", String(own ?? Deno.mainModule))
      }`,
    );
  }
  const candidates: string[] = typeof own === "string"
    ? [own]
    : [Deno.mainModule, ...(typeof inherited === "string" ? [inherited] : [])];
  for (const module of candidates) {
    let url: URL;
    try {
      url = new URL(module);
    } catch {
      throw new RangeError(
        `${action}: ${name}.module must be a module URL (import.meta.url), received '${module}'`,
      );
    }
    if (url.protocol !== "file:") return { module, name };
    const path = decodeURIComponent(url.pathname);
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      throw new Error(
        `${action}: workers import the handler module ${module}, which needs --allow-read for it`,
      );
    }
    let source: string;
    try {
      source = Deno.readTextFileSync(path);
    } catch (error) {
      throw new Error(
        `${action}: cannot read the handler module ${module}`,
        { cause: error },
      );
    }
    const export_name = exported_as(source, name);
    if (export_name !== null) return { module, name: export_name };
  }
  throw new RangeError(
    `${action}: handler class '${name}' is not exported by ${
      candidates.join(" or ")
    }; workers import it by URL, so ${
      how_to_fix(name, candidates.join(" or "))
    }`,
  );
}

// ---------------------------------------------------------------------------
// Transports, main side

/** One agent as the pool sees it. */
interface Channel {
  post(msg: Msg): void;
  /** Resolves with a reason once the agent is gone, whatever the cause. */
  readonly gone: Promise<string>;
  /** Ends the agent at once; resolves once it is gone. */
  kill(): Promise<void>;
  /** The child's PID; undefined for a worker. */
  readonly pid: number | undefined;
}

const WORKER_URL = new URL("./_worker.ts", import.meta.url);
const CHILD_URL = new URL("./_child.ts", import.meta.url);

class WorkerChannel implements Channel {
  #worker: Worker;
  #resolve!: (reason: string) => void;
  #ended = false;
  readonly gone: Promise<string>;
  readonly pid: number | undefined = undefined;

  constructor(name: string, on_message: (msg: Msg) => void) {
    this.gone = new Promise((resolve) => this.#resolve = resolve);
    this.#worker = new Worker(WORKER_URL, { type: "module", name });
    this.#worker.onmessage = (event: MessageEvent<Msg>) => {
      if (event.data.t === "exit") {
        this.#end(event.data.reason ?? "it closed itself");
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

  post(msg: Msg): void {
    if (this.#ended) return;
    this.#worker.postMessage(msg);
  }

  kill(): Promise<void> {
    this.#end("it was stopped");
    return this.gone.then(() => {});
  }
}

// Frames on a child's stdin/stdout: u32 header length, u32 body length,
// header JSON, body bytes (the message's `data`).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
/** The largest frame accepted from the other side. */
const MAX_FRAME = 64 * 1024 * 1024;

/** Encodes one message as a frame. */
export function encode_frame(msg: Msg): Uint8Array<ArrayBuffer> {
  const { data, ...rest } = msg;
  const head = encoder.encode(JSON.stringify(rest));
  const body = data ?? EMPTY;
  const frame = new Uint8Array(8 + head.length + body.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, head.length);
  view.setUint32(4, body.length);
  frame.set(head, 8);
  frame.set(body, 8 + head.length);
  return frame;
}

/** Reads frames from a byte stream; ends at its end. */
export async function* read_frames(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Msg> {
  let buf: Uint8Array = EMPTY;
  for await (const chunk of stream) {
    if (buf.length === 0) buf = chunk;
    else {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
    }
    while (buf.length >= 8) {
      const view = new DataView(buf.buffer, buf.byteOffset, 8);
      const head = view.getUint32(0);
      const body = view.getUint32(4);
      if (head + body > MAX_FRAME) {
        throw new RangeError(
          `Cannot read frame: size must be at most ${MAX_FRAME}, received ${
            head + body
          }`,
        );
      }
      if (buf.length < 8 + head + body) break;
      const msg = JSON.parse(
        decoder.decode(buf.subarray(8, 8 + head)),
      ) as Msg;
      if (body > 0) msg.data = buf.slice(8 + head, 8 + head + body);
      buf = buf.subarray(8 + head + body);
      yield msg;
    }
  }
}

class ChildChannel implements Channel {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reading: Promise<void>;
  #ended = false;
  readonly gone: Promise<string>;
  readonly pid: number;

  constructor(args: string[], on_message: (msg: Msg) => void) {
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
        for await (const msg of read_frames(child.stdout)) {
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

  post(msg: Msg): void {
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

const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

function path_of(url: string): string | null {
  const u = new URL(url);
  return u.protocol === "file:" ? decodeURIComponent(u.pathname) : null;
}

/**
 * The permission flags of a forked child: never broader than the parent's.
 * A permission the parent holds unscoped is passed unscoped. A scoped one
 * cannot be read back, so the child gets only the scopes it needs and the
 * parent provably has: read for the library and the handler module, net
 * for the server's own host:port (TCP children listen there) and for
 * 127.0.0.1 (relayed connections reach the handler over a loopback pair).
 */
export function child_flags(
  spec: HandlerSpec,
  mode: AgentMode,
  server_address: Address,
): string[] {
  const flags: string[] = [];
  for (const name of PERMISSIONS) {
    if (granted({ name })) {
      flags.push(`--allow-${name}`);
      continue;
    }
    const scopes: string[] = [];
    if (name === "read") {
      const library = path_of(new URL("../", import.meta.url).href);
      const module = path_of(spec.module);
      for (const path of [library, module]) {
        if (path !== null && granted({ name: "read", path })) scopes.push(path);
      }
    } else if (name === "net") {
      if (mode === "listen" && Array.isArray(server_address)) {
        const [host, port] = server_address as [string, number];
        const shown = host.includes(":") ? `[${host}]` : host;
        if (granted({ name: "net", host: `${shown}:${port}` })) {
          scopes.push(`${shown}:${port}`);
        }
      }
      if (mode !== "dgram" && granted({ name: "net", host: "127.0.0.1" })) {
        scopes.push("127.0.0.1");
      }
    }
    if (scopes.length > 0) flags.push(`--allow-${name}=${scopes.join(",")}`);
  }
  return flags;
}

// ---------------------------------------------------------------------------
// The pool, main side

/** Bytes a relayed stream may have in flight each way before it waits. */
const WINDOW = 1024 * 1024;
/** Datagrams an agent may have in flight before the server stops reading. */
const DGRAM_IN_FLIGHT = 256;
/** How long an agent may take to load the handler and listen. */
const START_TIMEOUT_MS = 60_000;
/**
 * Listeners each TCP agent opens on the port. The kernel spreads new
 * connections evenly over every listener of the port, the main thread's
 * included, whose share goes the slower relayed way: more listeners per
 * agent make that share 1 / (LISTENERS_PER_AGENT * agents + 1).
 */
const LISTENERS_PER_AGENT = 8;
/** Relay read size. */
const CHUNK = 64 * 1024;

// A server as the pool drives it (hooks only; see BaseServer).
interface Host {
  verify_request(request: unknown, client_address: Address): unknown;
  handle_error(
    request: unknown,
    client_address: Address,
    error: unknown,
  ): unknown;
  shutdown_request(request: unknown): unknown;
  shutdown(): Promise<void>;
  socket: Socket;
}

// One relayed stream, main side.
interface Relay {
  sock: Socket;
  addr: Address;
  in_flight: number;
  wake: (() => void) | null;
  writes: Promise<void>;
  done: Promise<void>;
  finish: () => void;
  closed: boolean;
  broken: boolean;
}

class Agent {
  readonly id: number;
  readonly channel: Channel;
  readonly relays = new Map<number, Relay>();
  dgrams = 0;
  /** Handlers running in the agent, as it last reported. */
  count = 0;
  ready: Promise<void>;
  serving_ack: { resolve: () => void; reject: (error: Error) => void } | null =
    null;
  listening = false;
  serving = false;
  paused: (() => void) | null = null;
  drained: (() => void) | null = null;
  dgram_room: (() => void) | null = null;

  constructor(id: number, channel: Channel, ready: Promise<void>) {
    this.id = id;
    this.channel = channel;
    this.ready = ready;
  }

  get load(): number {
    return Math.max(this.count, this.relays.size + this.dgrams);
  }
}

/** Options of a {@linkcode Pool}. */
export interface PoolOptions {
  kind: "worker" | "child";
  mode: AgentMode;
  spec: HandlerSpec;
  label: string;
}

/** The agents of one server and everything that crosses to them. */
export class Pool {
  #server: Host;
  #options: PoolOptions;
  #agents = new Set<Agent>();
  #next_id = 1;
  #next_cid = 1;
  #size = 0;
  #init: AgentInit | null = null;
  #starting: Promise<void> | null = null;
  #serving = false;
  #poll = 0.1;
  #closing = false;
  #relays = new Set<Promise<void>>();
  #replacing = new Set<Promise<void>>();
  #reply: Socket | null = null;
  #retiring = new Set<Agent>();
  #replies: Promise<void> = Promise.resolve();

  constructor(server: Host, options: PoolOptions) {
    this.#server = server;
    this.#options = options;
  }

  /** PIDs of the child processes (empty for workers). */
  get pids(): number[] {
    const out: number[] = [];
    for (const agent of this.#agents) {
      if (agent.channel.pid !== undefined) out.push(agent.channel.pid);
    }
    return out;
  }

  /** How many agents run. */
  get size(): number {
    return this.#agents.size;
  }

  /** Starts `size` agents once; resolves when each is ready (listening). */
  start(
    size: number,
    init: Omit<AgentInit, "module" | "name" | "mode" | "kind" | "label">,
  ): Promise<void> {
    if (this.#closing) {
      return Promise.reject(
        new Error(`Cannot serve ${this.#options.label}: the server is closed`),
      );
    }
    if (this.#starting !== null) return this.#starting;
    this.#size = size;
    this.#init = {
      ...init,
      mode: this.#options.mode,
      module: this.#options.spec.module,
      name: this.#options.spec.name,
      kind: this.#options.kind,
      label: this.#options.label,
    };
    const agents: Agent[] = [];
    for (let i = 0; i < size; i++) agents.push(this.#spawn());
    this.#starting = Promise.all(agents.map((a) => a.ready)).then(
      () => {},
      async (error) => {
        this.#starting = null;
        await Promise.all([...this.#agents].map((a) => this.#retire(a)));
        throw error;
      },
    );
    return this.#starting;
  }

  #spawn(): Agent {
    const id = this.#next_id++;
    const name = `${this.#options.label} ${this.#options.kind} ${id}`;
    let on_ready!: () => void;
    let on_fail!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      on_ready = resolve;
      on_fail = reject;
    });
    // Not every caller awaits ready (a replacement, say).
    ready.catch(() => {});
    const ref: { agent: Agent | null } = { agent: null };
    const on_message = (msg: Msg) => {
      if (ref.agent !== null) {
        this.#on_message(ref.agent, msg, on_ready, on_fail);
      }
    };
    const channel = this.#options.kind === "worker"
      ? new WorkerChannel(name, on_message)
      : new ChildChannel(
        [
          "run",
          "--no-prompt",
          ...(typeof Deno.listenDatagram === "function"
            ? ["--unstable-net"]
            : []),
          ...child_flags(
            this.#options.spec,
            this.#options.mode,
            this.#init!.server_address,
          ),
          CHILD_URL.href,
        ],
        on_message,
      );
    const agent = new Agent(id, channel, ready);
    ref.agent = agent;
    this.#agents.add(agent);
    let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      timer = undefined;
      on_fail(
        new Error(
          `Cannot start ${name}: it was not ready after ${START_TIMEOUT_MS} ms`,
        ),
      );
      this.#agents.delete(agent);
      void channel.kill();
    }, START_TIMEOUT_MS);
    const clear = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    ready.then(clear, clear);
    channel.gone.then((reason) => {
      clear();
      on_fail(new Error(`Cannot start ${name}: ${reason}`));
      this.#on_gone(agent, reason);
    });
    channel.post({ t: "init", init: this.#init! });
    return agent;
  }

  #on_message(
    agent: Agent,
    msg: Msg,
    on_ready: () => void,
    on_fail: (error: Error) => void,
  ): void {
    switch (msg.t) {
      case "ready":
        agent.listening = this.#options.mode === "listen";
        on_ready();
        break;
      case "serving":
        agent.serving_ack?.resolve();
        agent.serving_ack = null;
        break;
      case "serve_failed":
        agent.serving = false;
        agent.serving_ack?.reject(from_info(msg.error));
        agent.serving_ack = null;
        break;
      case "count":
        agent.count = msg.n ?? 0;
        break;
      case "failed":
        // A start failure is not a crash to recover from: no replacement.
        this.#agents.delete(agent);
        on_fail(from_info(msg.error));
        void agent.channel.kill();
        break;
      case "paused":
        agent.paused?.();
        agent.paused = null;
        break;
      case "drained":
        agent.drained?.();
        agent.drained = null;
        break;
      case "data": {
        const relay = agent.relays.get(msg.cid!);
        const data = msg.data ?? EMPTY;
        if (relay === undefined) break;
        relay.writes = relay.writes.then(async () => {
          if (!relay.broken) {
            try {
              await relay.sock.sendall(data);
            } catch {
              relay.broken = true;
            }
          }
          agent.channel.post({ t: "ack", cid: msg.cid!, n: data.length });
        });
        break;
      }
      case "ack": {
        const relay = agent.relays.get(msg.cid!);
        if (relay === undefined) break;
        relay.in_flight -= msg.n ?? 0;
        relay.wake?.();
        break;
      }
      case "close": {
        const relay = agent.relays.get(msg.cid!);
        if (relay !== undefined) void relay.writes.then(relay.finish);
        break;
      }
      case "done":
        agent.dgrams--;
        agent.dgram_room?.();
        agent.dgram_room = null;
        break;
      case "sendto":
        void this.#sendto(msg.data ?? EMPTY, msg.addr!);
        break;
      case "error": {
        const relay = msg.cid !== undefined
          ? agent.relays.get(msg.cid)
          : undefined;
        void (async () => {
          const request = relay?.sock ?? await this.#stand_in(msg.data);
          await this.#report(request, msg.addr ?? "", from_info(msg.error));
        })();
        break;
      }
      case "verify":
        void (async () => {
          let ok = false;
          try {
            ok = Boolean(
              await this.#server.verify_request(
                await this.#stand_in(msg.data),
                msg.addr!,
              ),
            );
          } catch (error) {
            await this.#report(
              await this.#stand_in(msg.data),
              msg.addr!,
              error,
            );
          }
          agent.channel.post({ t: "verified", seq: msg.seq!, ok });
        })();
        break;
      case "shutdown":
        void this.#server.shutdown().then(() => {
          for (const a of this.#agents) a.channel.post({ t: "stopped" });
        });
        break;
    }
  }

  // What main-thread hooks get as `request` when the agent holds it: the
  // packet and the server's socket for datagrams, else a closed Socket of
  // the server's family standing for the connection.
  async #stand_in(data: Uint8Array | undefined): Promise<unknown> {
    if (this.#options.mode === "dgram") {
      return [data ?? EMPTY, this.#server.socket];
    }
    const sock = socket(this.#server.socket.family, SOCK_STREAM);
    await sock.close();
    return sock;
  }

  async #report(
    request: unknown,
    addr: Address,
    error: unknown,
  ): Promise<void> {
    try {
      await this.#server.handle_error(request, addr, error);
    } catch (failure) {
      console.error(failure);
    }
  }

  #sendto(data: Uint8Array, addr: Address): Promise<void> {
    const sock = this.#server.socket;
    if (sock.family !== AF_UNIX) return this.#send_one(sock, data, addr);
    // Deno refuses a send on a Unix datagram socket while a receive or
    // another send is outstanding ("Socket already in use"), and the
    // serving loop always keeps a receive: Unix replies leave one at a time
    // from an unbound socket of their own.
    const reply = this.#reply ??= socket(AF_UNIX, SOCK_DGRAM);
    const sent = this.#replies.then(() => this.#send_one(reply, data, addr));
    this.#replies = sent;
    return sent;
  }

  async #send_one(
    sock: Socket,
    data: Uint8Array,
    addr: Address,
  ): Promise<void> {
    try {
      await sock.sendto(data, addr);
    } catch (error) {
      await this.#report(await this.#stand_in(data), addr, error);
    }
  }

  #on_gone(agent: Agent, reason: string): void {
    const was = this.#agents.delete(agent);
    agent.paused?.();
    agent.drained?.();
    agent.dgram_room?.();
    agent.serving_ack?.reject(new Error(`${agent.id} stopped: ${reason}`));
    agent.serving_ack = null;
    const lost = agent.relays.size;
    for (const relay of agent.relays.values()) relay.finish();
    if (!was || this.#closing) return;
    console.error(
      `${this.#options.label}: ${this.#options.kind} ${agent.id} stopped (${reason}); ${
        lost > 0 ? `closed its ${lost} relayed connection(s), ` : ""
      }starting another`,
    );
    if (this.#starting === null) return;
    const next = this.#spawn();
    const replacing: Promise<void> = next.ready.then(() => {
      if (this.#serving && this.#agents.has(next)) return this.#resume(next);
    }).catch((error) => {
      console.error(error);
    }).finally(() => this.#replacing.delete(replacing));
    this.#replacing.add(replacing);
  }

  // Lets a listening agent accept; resolves once it listens.
  #resume(agent: Agent): Promise<void> {
    if (!agent.listening || agent.serving) return Promise.resolve();
    agent.serving = true;
    const listening = new Promise<void>((resolve, reject) => {
      agent.serving_ack = { resolve, reject };
    });
    agent.channel.post({ t: "serve", poll: this.#poll });
    return listening;
  }

  /**
   * Lets every agent accept connections; resolves once each listens (a TCP
   * agent binds its listener the first time).
   */
  async serve(poll_interval: number): Promise<void> {
    this.#serving = true;
    this.#poll = Math.min(poll_interval, 0.1);
    await Promise.all([...this.#agents].map((agent) => this.#resume(agent)));
  }

  /** Handlers running in every agent, as they last reported. */
  get active(): number {
    let n = 0;
    for (const agent of this.#agents) n += agent.count;
    for (const agent of this.#retiring) n += Math.max(agent.count, 1);
    return n;
  }

  /** Stops listening agents from accepting; their listeners stay open. */
  async pause(): Promise<void> {
    this.#serving = false;
    const waits: Promise<void>[] = [];
    for (const agent of this.#agents) {
      if (!agent.serving) continue;
      agent.serving = false;
      waits.push(new Promise((resolve) => agent.paused = resolve));
      agent.channel.post({ t: "pause" });
    }
    await Promise.all(waits);
  }

  #pick(): Agent {
    let best: Agent | null = null;
    for (const agent of this.#agents) {
      if (best === null || agent.load < best.load) best = agent;
    }
    if (best === null) {
      throw new Error(
        `Cannot relay request: ${this.#options.label} has no running worker`,
      );
    }
    return best;
  }

  /** Relays one accepted connection to an agent; resolves when it ended. */
  relay_stream(sock: Socket, addr: Address): void {
    const agent = this.#pick();
    const cid = this.#next_cid++;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => finish = resolve);
    const relay: Relay = {
      sock,
      addr,
      in_flight: 0,
      wake: null,
      writes: Promise.resolve(),
      done,
      finish: () => {
        relay.closed = true;
        relay.wake?.();
        finish();
      },
      closed: false,
      broken: false,
    };
    agent.relays.set(cid, relay);
    agent.channel.post({ t: "open", cid, addr });
    const task: Promise<void> = (async () => {
      const pumping = this.#pump(agent, cid, relay);
      await done;
      agent.relays.delete(cid);
      try {
        await this.#server.shutdown_request(sock);
      } catch (error) {
        if (!relay.closed) await this.#report(sock, addr, error);
      }
      await pumping;
    })().catch((error) => console.error(error)).finally(() => {
      this.#relays.delete(task);
    });
    this.#relays.add(task);
  }

  async #pump(agent: Agent, cid: number, relay: Relay): Promise<void> {
    for (let turns = 0; turns < Number.MAX_SAFE_INTEGER; turns++) {
      while (relay.in_flight > WINDOW && !relay.closed) {
        await new Promise<void>((resolve) => relay.wake = resolve);
        relay.wake = null;
      }
      if (relay.closed) return;
      let data: Uint8Array;
      try {
        data = await relay.sock.recv(CHUNK);
      } catch {
        data = EMPTY;
      }
      if (relay.closed) return;
      if (data.length === 0) {
        agent.channel.post({ t: "eof", cid });
        return;
      }
      relay.in_flight += data.length;
      agent.channel.post({ t: "data", cid, data });
    }
  }

  /** Relays one datagram to an agent; waits only when agents are full. */
  async relay_dgram(data: Uint8Array, addr: Address): Promise<void> {
    let agent = this.#pick();
    for (let i = 0; i < 1000 && agent.dgrams >= DGRAM_IN_FLIGHT; i++) {
      await new Promise<void>((resolve) => agent.dgram_room = resolve);
      agent = this.#pick();
    }
    agent.dgrams++;
    agent.channel.post({ t: "dgram", data, addr });
  }

  /**
   * Stops every agent. Unless `daemon`, asks each to close its listener and
   * waits (when `wait`) for its running handlers; then ends it.
   */
  async close(wait: boolean, daemon: boolean): Promise<void> {
    this.#closing = true;
    this.#serving = false;
    await Promise.allSettled(this.#replacing);
    const agents = [...this.#agents];
    if (daemon) {
      await Promise.all(agents.map((a) => this.#retire(a)));
      await Promise.allSettled(this.#relays);
      await this.#reply?.close();
      return;
    }
    const graceful = Promise.all(agents.map(async (agent) => {
      await agent.ready.catch(() => {});
      const drained = new Promise<void>((resolve) => agent.drained = resolve);
      agent.channel.post({ t: "stop" });
      await drained;
      // Its relays closed before "drained": let their last writes finish.
      await Promise.all([...agent.relays.values()].map((r) => r.done));
      await this.#retire(agent);
    })).then(() => Promise.allSettled(this.#relays)).then(() => {});
    const closed = graceful.finally(() => this.#reply?.close());
    if (wait) await closed;
    else closed.catch((error) => console.error(error));
  }

  async #retire(agent: Agent): Promise<void> {
    this.#agents.delete(agent);
    // Counted as busy until it is gone: once active_requests reads 0 after
    // server_close(), no agent is left.
    this.#retiring.add(agent);
    try {
      await agent.channel.kill();
    } finally {
      this.#retiring.delete(agent);
    }
  }
}

// ---------------------------------------------------------------------------
// The agent side

/** How an agent talks to the main thread. */
export interface AgentPort {
  post(msg: Msg): void;
  listen(handler: (msg: Msg) => void): void;
  /** Ends the agent once it drained. */
  exit(): void;
}

// A datagram server's socket inside an agent: replies go to the main thread,
// which sends them from the real socket.
class RelaySocket {
  #port: AgentPort;
  #address: Address;
  readonly family: number;
  readonly type: number = SOCK_DGRAM;
  readonly proto: number = 0;

  constructor(port: AgentPort, address: Address, family: number) {
    this.#port = port;
    this.#address = address;
    this.family = family;
  }

  sendto(data: BufferSource | string, address: Address): Promise<number> {
    const bytes = typeof data === "string"
      ? encoder.encode(data)
      : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
      : new Uint8Array(data).slice();
    this.#port.post({ t: "sendto", data: bytes, addr: address });
    return Promise.resolve(bytes.length);
  }

  getsockname(): Address {
    return this.#address;
  }

  fileno(): number {
    return -1;
  }

  gettimeout(): number | null {
    return null;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// One relayed stream, agent side.
interface AgentRelay {
  outer: Promise<Socket | null>;
  writes: Promise<void>;
}

/** Runs an agent: waits for "init", then serves until "stop". */
export function run_agent(port: AgentPort): void {
  let handle: ((msg: Msg) => void) | null = null;
  let queue: Promise<void> = Promise.resolve();
  port.listen((msg) => {
    if (msg.t === "init") {
      queue = start_agent(port, msg.init!).then((h) => {
        handle = h;
      }, (error) => {
        port.post({ t: "failed", error: to_info(error) });
      });
      return;
    }
    // Kept in order behind the start.
    queue = queue.then(() => handle?.(msg)).catch((error) => {
      console.error(error);
    });
  });
}

// Logs from inside an agent name the user's server class.
function named(cls: abstract new (...args: never[]) => unknown, name: string) {
  Object.defineProperty(cls, "name", { value: name });
}

type AnyServer = BaseServer<unknown> & {
  socket: Socket;
  server_close(): void | Promise<void>;
};

async function start_agent(
  port: AgentPort,
  init: AgentInit,
): Promise<(msg: Msg) => void> {
  (globalThis as Record<symbol, unknown>)[AGENT] = true;
  const mod = await import(init.module) as Record<string, unknown>;
  const cls = mod[init.name];
  if (typeof cls !== "function") {
    throw new RangeError(
      `Cannot start ${init.kind}: module ${init.module} has no export '${init.name}' holding the handler class; ${
        how_to_fix(init.name, init.module)
      }`,
    );
  }
  const handler = cls as never;
  const tasks = new Set<Promise<void>>();
  const cids = new WeakMap<object, number>();
  const relays = new Map<number, AgentRelay>();
  const verifies = new Map<number, (ok: boolean) => void>();
  const stops: (() => void)[] = [];
  const pumps = new Set<number>();
  let pumps_idle: (() => void) | null = null;
  let next_seq = 1;

  // Python's process_request_thread, as a task: handle, report, clean up.
  function run(
    server: AnyServer,
    request: unknown,
    addr: Address,
    after: () => void,
  ): void {
    const task: Promise<void> = (async () => {
      try {
        await server.finish_request(request, addr);
      } catch (error) {
        await server.handle_error(request, addr, error);
      } finally {
        await server.shutdown_request(request);
      }
    })().catch((error) => console.error(error)).finally(() => {
      tasks.delete(task);
      port.post({ t: "count", n: tasks.size });
      after();
    });
    tasks.add(task);
    port.post({ t: "count", n: tasks.size });
  }

  // The hooks every stand-in server shares.
  const hooks = {
    shutdown(): Promise<void> {
      port.post({ t: "shutdown" });
      return new Promise<void>((resolve) => stops.push(resolve));
    },
    handle_error(request: unknown, addr: Address, error: unknown): void {
      const msg: Msg = { t: "error", addr, error: to_info(error) };
      if (Array.isArray(request)) msg.data = request[0] as Uint8Array;
      const cid = typeof request === "object" && request !== null
        ? cids.get(request)
        : undefined;
      if (cid !== undefined) msg.cid = cid;
      port.post(msg);
    },
    verify_request(
      request: unknown,
      addr: Address,
    ): boolean | Promise<boolean> {
      if (!init.verify) return true;
      const seq = next_seq++;
      const msg: Msg = { t: "verify", seq, addr };
      if (Array.isArray(request)) msg.data = request[0] as Uint8Array;
      port.post(msg);
      return new Promise<boolean>((resolve) => verifies.set(seq, resolve));
    },
  };

  let server: AnyServer;
  let make_listener: () => AnyServer = () => server;
  if (init.mode === "dgram") {
    class AgentDatagramServer extends UDPServer {
      static override address_family: number = init.address_family;
      override shutdown(): Promise<void> {
        return hooks.shutdown();
      }
      override handle_error(r: unknown, a: Address, e: unknown): void {
        hooks.handle_error(r, a, e);
      }
      override verify_request(
        r: unknown,
        a: Address,
      ): boolean | Promise<boolean> {
        return hooks.verify_request(r, a);
      }
    }
    named(AgentDatagramServer, init.label);
    server = new AgentDatagramServer(
      init.server_address,
      handler,
      false,
    ) as unknown as AnyServer;
    await server.socket.close();
    server.server_address = init.server_address;
    server.socket = new RelaySocket(
      port,
      init.server_address,
      init.address_family,
    ) as unknown as Socket;
  } else {
    const listen = init.mode === "listen";
    class AgentStreamServer extends TCPServer {
      static override address_family: number = init.address_family;
      static override allow_reuse_address: boolean = init.allow_reuse_address;
      static override request_queue_size: number = init.request_queue_size;
      override server_bind(): void {
        if (
          this.address_family === AF_INET || this.address_family === AF_INET6
        ) {
          this.socket.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
        }
        super.server_bind();
      }
      override process_request(request: Socket, addr: Address): void {
        run(this as unknown as AnyServer, request, addr, () => {});
      }
      override shutdown(): Promise<void> {
        return hooks.shutdown();
      }
      override handle_error(r: Socket, a: Address, e: unknown): void {
        hooks.handle_error(r, a, e);
      }
      override verify_request(
        r: Socket,
        a: Address,
      ): boolean | Promise<boolean> {
        return hooks.verify_request(r, a);
      }
    }
    named(AgentStreamServer, init.label);
    // A TCP agent binds when first told to serve, so connections reach the
    // main listener alone until serve_forever() runs.
    make_listener = () =>
      new AgentStreamServer(
        init.server_address,
        handler,
        false,
      ) as unknown as AnyServer;
    server = make_listener();
    if (!listen) await server.socket.close();
    server.server_address = init.server_address;
  }

  let serving: Promise<void> | null = null;
  // A TCP agent's listeners, bound when it first serves.
  const listeners: AnyServer[] = [];
  const pause = async () => {
    if (serving === null) return;
    await Promise.all(
      listeners.map((one) => BaseServer.prototype.shutdown.call(one)),
    );
    await serving.catch((error) => console.error(error));
    serving = null;
  };

  port.post({ t: "ready" });

  const open = (cid: number, addr: Address) => {
    // Data may arrive before the pair exists: writes wait on `outer`.
    const outer = (async (): Promise<Socket | null> => {
      let pair: [Socket, Socket];
      try {
        pair = await socketpair();
      } catch (error) {
        port.post({ t: "error", cid, addr, error: to_info(error) });
        port.post({ t: "close", cid });
        return null;
      }
      const [inner, outer] = pair;
      cids.set(inner, cid);
      run(server, inner, addr, () => {});
      pumps.add(cid);
      void (async () => {
        try {
          for (let turns = 0; turns < Number.MAX_SAFE_INTEGER; turns++) {
            const data = await outer.recv(CHUNK);
            if (data.length === 0) break;
            port.post({ t: "data", cid, data });
          }
        } catch {
          // The handler's side reset: the relay ends here.
        }
        // Replies to data the handler never read are not owed: stop waiting.
        await relays.get(cid)?.writes;
        port.post({ t: "close", cid });
        relays.delete(cid);
        await outer.close();
        pumps.delete(cid);
        pumps_idle?.();
      })();
      return outer;
    })();
    relays.set(cid, { outer, writes: Promise.resolve() });
  };

  const serve = async (poll: number) => {
    if (serving === null && init.mode === "listen") {
      if (listeners.length === 0) {
        try {
          for (let i = 0; i < LISTENERS_PER_AGENT; i++) {
            const one = i === 0 ? server : make_listener();
            listeners.push(one);
            (one as unknown as TCPServer).server_bind();
            (one as unknown as TCPServer).server_activate();
          }
        } catch (error) {
          for (const one of listeners.splice(0)) await one.server_close();
          port.post({ t: "serve_failed", error: to_info(error) });
          return;
        }
      }
      serving = Promise.all(listeners.map((one) => one.serve_forever(poll)))
        .then(() => {});
    }
    port.post({ t: "serving" });
  };
  const stop = async () => {
    await pause();
    await server.server_close();
    for (const one of listeners.slice(1)) await one.server_close();
    for (let i = 0; i < 1000 && tasks.size > 0; i++) {
      await Promise.allSettled(tasks);
    }
    // Every relayed reply must reach the main thread before "drained".
    while (pumps.size > 0) {
      await new Promise<void>((resolve) => pumps_idle = resolve);
      pumps_idle = null;
    }
    port.post({ t: "drained" });
    port.exit();
  };
  // "serve", "pause" and "stop" run in order, and no other message waits
  // for them: a pause or stop waits for handlers that still need "data",
  // "eof" and "verified" to go on.
  let lifecycle: Promise<void> = Promise.resolve();
  const next = (step: () => Promise<void>) => {
    lifecycle = lifecycle.then(step).catch((error) => console.error(error));
  };

  return (msg: Msg) => {
    switch (msg.t) {
      case "serve":
        next(() => serve(msg.poll ?? 0.1));
        break;
      case "pause":
        next(async () => {
          await pause();
          port.post({ t: "paused" });
        });
        break;
      case "stop":
        next(stop);
        break;
      case "open":
        open(msg.cid!, msg.addr!);
        break;
      case "data":
      case "eof": {
        const relay = relays.get(msg.cid!);
        if (relay === undefined) {
          if (msg.t === "data") {
            port.post({ t: "ack", cid: msg.cid!, n: msg.data?.length ?? 0 });
          }
          break;
        }
        relay.writes = relay.writes.then(async () => {
          const outer = await relay.outer;
          try {
            if (msg.t === "data") await outer?.sendall(msg.data ?? EMPTY);
            else await outer?.shutdown(SHUT_WR);
          } catch {
            // The handler is gone; what it did not read is dropped.
          }
          if (msg.t === "data") {
            port.post({ t: "ack", cid: msg.cid!, n: msg.data?.length ?? 0 });
          }
        });
        break;
      }
      case "dgram":
        run(
          server,
          [msg.data ?? EMPTY, server.socket],
          msg.addr!,
          () => port.post({ t: "done" }),
        );
        break;
      case "verified":
        verifies.get(msg.seq!)?.(msg.ok === true);
        verifies.delete(msg.seq!);
        break;
      case "stopped":
        for (const resolve of stops.splice(0)) resolve();
        break;
    }
  };
}

// ---------------------------------------------------------------------------
// The main thread's side of a threaded or forking server

/** The fields a threaded or forking server reads through its constructor. */
export interface PoolServer extends Host {
  server_address: Address;
  address_family: number;
  socket_type: number;
  allow_reuse_address: boolean;
  request_queue_size: number;
  max_workers: number;
  daemon_threads: boolean;
  block_on_close: boolean;
}

/** What a server class hands {@linkcode Front}: its base behaviour. */
export interface BaseHooks {
  serve_forever(
    poll_interval: number,
    options: { signal?: AbortSignal },
  ): Promise<void>;
  shutdown(): Promise<void>;
  handle_request(): Promise<void>;
  server_close(): void | Promise<void>;
}

/**
 * Sets SO_REUSEPORT on a TCP server's socket before it binds: the agents
 * join the port, and the main listener stays in the group.
 */
export function reuse_port(server: {
  address_family: number;
  socket_type: number;
  socket: Socket;
}): void {
  if (
    server.socket_type !== SOCK_DGRAM &&
    (server.address_family === AF_INET || server.address_family === AF_INET6)
  ) {
    server.socket.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  }
}

/**
 * Checks the handler, and the grant that relaying streams needs, before the
 * server binds; throws with the fix.
 */
export function prepare(
  server: abstract new (...args: never[]) => unknown,
  cls: unknown,
): HandlerSpec {
  const label = server.name;
  refuse_in_agent(label);
  const spec = locate_handler(cls, `Cannot create ${label}`);
  // A stream the main thread accepts reaches its worker through a loopback
  // socket pair on a free port: fail here, not on some later request.
  const streams = !(server.prototype instanceof UDPServer);
  if (
    streams &&
    Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state !==
      "granted"
  ) {
    throw new PermissionError(
      EACCES,
      `Cannot create ${label}: relaying connections to workers needs a host-only grant, --allow-net=127.0.0.1`,
    );
  }
  return spec;
}

/** The default of `max_workers`: the number of cores. */
export function cores(): number {
  const n = globalThis.navigator?.hardwareConcurrency;
  return typeof n === "number" && n >= 1 ? n : 1;
}

/**
 * The lifecycle overrides shared by every threaded and forking server: start
 * the pool before serving, pause it after, relay what the main thread
 * accepts, stop every agent on close.
 */
export class Front {
  #server: PoolServer;
  #label: string;
  readonly pool: Pool;
  readonly mode: AgentMode;
  #running = false;
  #done: Promise<void> | null = null;

  constructor(
    server: PoolServer,
    kind: "worker" | "child",
    spec: HandlerSpec,
    label: string,
  ) {
    this.#server = server;
    this.#label = label;
    this.mode = server.socket_type === SOCK_DGRAM
      ? "dgram"
      : server.address_family === AF_INET || server.address_family === AF_INET6
      ? "listen"
      : "stream";
    this.pool = new Pool(server, { kind, mode: this.mode, spec, label });
  }

  #start(): Promise<void> {
    const server = this.#server;
    const n = server.max_workers;
    if (!Number.isInteger(n) || n < 1) {
      return Promise.reject(
        new RangeError(
          `Cannot serve ${this.#label}: max_workers must be an integer >= 1, received ${n}`,
        ),
      );
    }
    return this.pool.start(n, {
      server_address: server.server_address,
      address_family: server.address_family,
      allow_reuse_address: server.allow_reuse_address,
      request_queue_size: server.request_queue_size,
      verify: server.verify_request !== BaseServer.prototype.verify_request,
    });
  }

  /** serve_forever: start (or resume) the agents, then the base loop. */
  serve_forever(
    poll_interval: number,
    options: { signal?: AbortSignal },
    base: BaseHooks,
  ): Promise<void> {
    if (
      typeof poll_interval !== "number" || !(poll_interval >= 0) ||
      !Number.isFinite(poll_interval)
    ) {
      return base.serve_forever(poll_interval, options);
    }
    if (this.#running) {
      return Promise.reject(
        new Error("Cannot serve: serve_forever is running already"),
      );
    }
    this.#running = true;
    const run = (async () => {
      try {
        await this.#start();
        await this.pool.serve(poll_interval);
        await base.serve_forever(poll_interval, options);
      } finally {
        await this.pool.pause();
        this.#running = false;
      }
    })();
    this.#done = run.then(() => {}, () => {});
    return run;
  }

  /** shutdown: the base stop, then wait for the agents to pause. */
  async shutdown(base: BaseHooks): Promise<void> {
    await base.shutdown();
    if (this.#done !== null) await this.#done;
  }

  /** handle_request: needs the agents too (they run the handler). */
  async handle_request(base: BaseHooks): Promise<void> {
    await this.#start();
    await base.handle_request();
  }

  /** process_request: hand the request to an agent. */
  process_request(
    request: unknown,
    client_address: Address,
  ): void | Promise<void> {
    if (this.mode === "dgram") {
      const [data] = request as [Uint8Array, Socket];
      return this.pool.relay_dgram(data, client_address);
    }
    this.pool.relay_stream(request as Socket, client_address);
  }

  /** server_close: close the socket and stop every agent, in the order that keeps replies flowing. */
  async server_close(base: BaseHooks): Promise<void> {
    if (this.#running) await this.#server.shutdown();
    const { block_on_close, daemon_threads } = this.#server;
    if (this.mode === "dgram") {
      // Replies go out through the main socket: close it last.
      await this.pool.close(block_on_close, daemon_threads);
      await base.server_close();
    } else {
      await base.server_close();
      await this.pool.close(block_on_close, daemon_threads);
    }
  }
}

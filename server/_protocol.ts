// The messages between the main thread and each agent (Web Worker or child
// Deno process) of a threaded or forking server, and what an error becomes
// on its way across.
import {
  type Address,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  gaierror,
  herror,
  InterruptedError,
  OSError,
  PermissionError,
  TimeoutError,
} from "../net/mod.ts";

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

// Each message is one of the unions below, told apart by `t`: a misspelt
// kind or field is a type error, not a message the other side ignores.
// `cid` names a relayed stream, `seq` a verify_request() call awaiting its
// answer; `data` crosses as bytes.

/** What the main thread tells an agent. */
export type ToAgent =
  /** The first message: what to load and how to serve. */
  | { t: "init"; init: AgentInit }
  /** Accept requests (a TCP agent listens the first time). */
  | { t: "serve"; poll: number }
  /** Stop accepting; answered by "paused". */
  | { t: "pause" }
  /**
   * Accept and handle one request within `timeout` seconds (null: no
   * limit), as the server's handle_request(); answered by "handled".
   */
  | { t: "handle"; timeout: number | null }
  /** Close, finish the running handlers, answer "drained" and end. */
  | { t: "stop" }
  /** A relayed stream begins: the handler gets one end of an in-memory pair. */
  | { t: "open"; cid: number; addr: Address }
  /** Bytes the client sent on a relayed stream. */
  | { t: "data"; cid: number; data: Uint8Array }
  /** The client shut its sending side. */
  | { t: "eof"; cid: number }
  /** The main thread sent `n` of the agent's bytes to the client. */
  | { t: "ack"; cid: number; n: number }
  /** One datagram to handle; answered by "done". */
  | { t: "dgram"; data: Uint8Array; addr: Address }
  /** The server's verify_request() answer to "verify" `seq`. */
  | { t: "verified"; seq: number; ok: boolean }
  /** The server's shutdown(), asked for by a handler, has finished. */
  | { t: "stopped" };

/** What an agent tells the main thread. */
export type FromAgent =
  /** It loaded the handler (and a TCP agent can listen). */
  | { t: "ready" }
  /** It accepts requests, as "serve" asked. */
  | { t: "serving" }
  /** It could not listen when told to serve. */
  | { t: "serve_failed"; error: ErrorInfo }
  /** It could not start (the handler module failed to load, say). */
  | { t: "failed"; error: ErrorInfo }
  /** How many handlers run in it now. */
  | { t: "count"; n: number }
  /**
   * It stopped accepting, as "pause" asked. `holding`: connections its
   * shared listener accepted as it stopped wait in it for the next request.
   */
  | { t: "paused"; holding: boolean }
  /** It handled one request as "handle" asked, or the wait timed out. */
  | { t: "handled"; timed_out: boolean; holding: boolean; error?: ErrorInfo }
  /** Its handlers finished and every reply left: it may be ended. */
  | { t: "drained" }
  /** Bytes the handler sent on a relayed stream. */
  | { t: "data"; cid: number; data: Uint8Array }
  /** The handler got `n` of the client's bytes. */
  | { t: "ack"; cid: number; n: number }
  /** The handler closed its end of a relayed stream. */
  | { t: "close"; cid: number }
  /** A datagram's handler finished. */
  | { t: "done" }
  /** A datagram reply, sent from the server's socket. */
  | { t: "sendto"; data: Uint8Array; addr: Address }
  /** A handler failed: the server's handle_error() runs in the main thread. */
  | {
    t: "error";
    addr: Address;
    error: ErrorInfo;
    /** The relayed stream, when the request was one. */
    cid?: number;
    /** The datagram, when the request was one. */
    data?: Uint8Array;
  }
  /** Asks the server's verify_request(); answered by "verified". */
  | { t: "verify"; seq: number; addr: Address; data?: Uint8Array }
  /** A handler called the server's shutdown(). */
  | { t: "shutdown" };

// Every kind an agent may send: a new kind left out here fails deno check.
const FROM_AGENT: Record<FromAgent["t"], true> = {
  ready: true,
  serving: true,
  serve_failed: true,
  failed: true,
  count: true,
  paused: true,
  handled: true,
  drained: true,
  data: true,
  ack: true,
  close: true,
  done: true,
  sendto: true,
  error: true,
  verify: true,
  shutdown: true,
};

/**
 * Whether a decoded frame is a message an agent may send. Only its kind is
 * checked: a frame from our own agent code has the fields its kind needs,
 * and what else a broken stream yields fails this or the framing first.
 */
export function is_from_agent(msg: unknown): msg is FromAgent {
  const t = typeof msg === "object" && msg !== null
    ? (msg as { t?: unknown }).t
    : undefined;
  return typeof t === "string" && Object.hasOwn(FROM_AGENT, t);
}

/** What a worker says as a handler ends it (its event would be lost). */
export interface AgentExit {
  t: "exit";
  reason: string;
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
  /** How many listeners a TCP agent opens on the port. */
  listeners: number;
  /**
   * Whether a TCP agent joins the main thread's listening socket (a worker,
   * see _shared_listener.ts) rather than opening its own on the port.
   */
  shared: boolean;
  /** A worker's cell for its count of running handlers, shared with the pool. */
  counter?: SharedArrayBuffer;
}

/** What `error` becomes to cross to the other side. */
export function to_info(error: unknown): ErrorInfo {
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
export function from_info(info: ErrorInfo): Error {
  const { name, message } = info;
  let error: Error;
  const os = Object.hasOwn(OS_ERRORS, name) ? OS_ERRORS[name] : undefined;
  const js = Object.hasOwn(JS_ERRORS, name) ? JS_ERRORS[name] : undefined;
  if (os !== undefined && info.errno !== undefined) {
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
  if (info.stack !== undefined) error.stack = info.stack;
  return error;
}

/** An empty payload. */
export const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
/** Bytes a relayed stream may have in flight each way before it waits. */
export const WINDOW = 1024 * 1024;
/**
 * Bytes a relay's receiving side takes before it acks them, in one message:
 * a ping-pong of short messages sends no acks at all, and a sender that
 * waits for its window (in flight >= WINDOW) always gets one.
 */
const ACK_BATCH = WINDOW / 4;

/**
 * Counts `n` more bytes the receiving side of `relay` has taken; returns the
 * bytes to ack now (0: none yet).
 */
export function take_ack(relay: { unacked: number }, n: number): number {
  const all = relay.unacked + n;
  if (all < ACK_BATCH) {
    relay.unacked = all;
    return 0;
  }
  relay.unacked = 0;
  return all;
}
/**
 * `view`'s bytes alone, for a message: posting a view of a larger buffer (a
 * socket's receive slab) would clone the whole buffer.
 */
export function own_bytes(view: Uint8Array): Uint8Array {
  return view.length === view.buffer.byteLength ? view : view.slice();
}

/**
 * What a worker message hands over instead of copying: a relayed stream's
 * bytes, which {@linkcode own_bytes} made for that message alone and which
 * nothing reads once posted. Copies would be garbage in both heaps, and a
 * worker's heap is in the server's own process.
 */
export function transfers(msg: ToAgent | FromAgent): Transferable[] {
  if (msg.t !== "data") return [];
  const { buffer } = msg.data;
  return buffer instanceof ArrayBuffer &&
      msg.data.byteLength === buffer.byteLength
    ? [buffer]
    : [];
}

/** Relay read size. */
export const CHUNK = 64 * 1024;

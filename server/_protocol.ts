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

/** An empty payload. */
export const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
/** Relay read size. */
export const CHUNK = 64 * 1024;

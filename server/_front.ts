// The main thread's side of a threaded or forking server: the lifecycle
// overrides that start, pause and stop its pool, and the checks made before
// the server binds.
import {
  type Address,
  AF_INET,
  AF_INET6,
  SO_REUSEPORT,
  SOCK_DGRAM,
  Socket,
  SOL_SOCKET,
} from "../net/mod.ts";
import { BaseServer } from "./base.ts";
import {
  type HandlerSpec,
  locate_handler,
  refuse_in_agent,
} from "./_locate.ts";
import { type Host, Pool } from "./_pool.ts";
import { is_shared, share_listener } from "./_shared_listener.ts";
import { idle, request_timeout, waiters } from "./_wait.ts";
import type { AgentMode } from "./_protocol.ts";

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
  timeout: number | null;
  allow_reuse_port: boolean;
  handle_timeout(): void | Promise<void>;
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
 * Binds a threaded or forking server's socket through `bind` (the server's
 * own `server_bind()`). A threaded TCP server's socket becomes the
 * process's shared listener, which its workers join; a forking one (or one
 * with `allow_reuse_port`) gets SO_REUSEPORT first, so that the children's
 * listeners join its port group.
 */
export function bind_pooled(
  server: {
    address_family: number;
    socket_type: number;
    socket: Socket;
    server_address: Address;
    allow_reuse_port: boolean;
  },
  kind: "worker" | "child",
  bind: () => void,
): void {
  const tcp = server.socket_type !== SOCK_DGRAM &&
    (server.address_family === AF_INET || server.address_family === AF_INET6);
  if (tcp && kind === "worker" && !server.allow_reuse_port) {
    const requested = server.server_address as [string, number];
    bind();
    share_listener(server.socket, requested);
    server.server_address = server.socket.getsockname();
    return;
  }
  if (tcp) server.socket.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  bind();
}

/** Checks the handler before the server binds; throws with the fix. */
export function prepare(
  server: abstract new (...args: never[]) => unknown,
  cls: unknown,
): HandlerSpec {
  const label = server.name;
  refuse_in_agent(label);
  const spec = locate_handler(cls, `Cannot create ${label}`);
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
  #kind: "worker" | "child";
  #spec: HandlerSpec;
  #started = false;
  /** The agents; replaced once if the mode changes before they start. */
  pool: Pool;
  /** How requests reach the agents. */
  mode: AgentMode;
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
    this.#kind = kind;
    this.#spec = spec;
    this.mode = server.socket_type === SOCK_DGRAM
      ? "dgram"
      : server.address_family === AF_INET || server.address_family === AF_INET6
      ? "listen"
      : "stream";
    this.pool = this.#pool(this.mode, is_shared(server.socket));
  }

  #pool(mode: AgentMode, shared: boolean): Pool {
    return new Pool(this.#server, {
      kind: this.#kind,
      mode,
      spec: this.#spec,
      label: this.#label,
      shared: mode === "listen" && shared,
    });
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
    if (!this.#started && this.mode === "listen") {
      // Agents accept plain TCP on the port. A replaced server.socket (a
      // TLS-wrapped one) accepts in the main thread only: relay every
      // connection, decrypted, as Unix stream servers do. A socket bound
      // after the constructor (bind_and_activate false) may be shared now.
      const wrapped = Object.getPrototypeOf(server.socket) !== Socket.prototype;
      const shared = is_shared(server.socket);
      if (wrapped) this.mode = "stream";
      if (wrapped || shared !== this.pool.shared) {
        this.pool = this.#pool(this.mode, shared);
      }
    }
    this.#started = true;
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
      // Set only for this loop; a Unix datagram server keeps its own.
      let idling = false;
      try {
        await this.#start();
        await this.pool.serve(poll_interval);
        // Workers that share the listening socket accept every connection:
        // the loop only waits, and accepts nothing here.
        idling = this.pool.shared;
        if (idling) waiters.set(this.#server, idle);
        await base.serve_forever(poll_interval, options);
      } finally {
        if (idling) waiters.delete(this.#server);
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

  /**
   * handle_request: needs the agents too (they run the handler). Workers
   * that share the listening socket accept the request themselves.
   */
  async handle_request(base: BaseHooks): Promise<void> {
    await this.#start();
    if (!this.pool.shared) return await base.handle_request();
    if (await this.pool.handle(request_timeout(this.#server))) {
      await this.#server.handle_timeout();
    }
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

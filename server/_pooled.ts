// The body ThreadingMixIn and ForkingMixIn share: a Front that runs the
// handlers in a pool of workers or child processes, and the lifecycle
// overrides that hand each call to it.
import type { Address } from "../net/mod.ts";
import type { ServeOptions, ServerConstructor } from "./base.ts";
import {
  type BaseHooks,
  bind_pooled,
  cores,
  Front,
  type PoolServer,
  prepare,
} from "./_front.ts";
import type { Pool } from "./_pool.ts";

/** The key of a pooled server's pool, for the mixin's own getters. */
export const POOL: unique symbol = Symbol("pool");

/** What {@linkcode pooled} adds to a server. */
export interface PooledServer {
  max_workers: number;
  daemon_threads: boolean;
  block_on_close: boolean;
  readonly active_requests: number;
  readonly [POOL]: Pool;
}

/** The statics {@linkcode pooled} adds to a server class. */
export interface PooledStatics {
  max_workers: number;
  daemon_threads: boolean;
  block_on_close: boolean;
}

/**
 * A subclass of `Base` whose handlers run in a pool of `kind` agents; every
 * server it makes joins `servers` (the mixin's `instanceof` set).
 */
export function pooled<C extends ServerConstructor>(
  Base: C,
  kind: "worker" | "child",
  servers: WeakSet<object>,
  // deno-lint-ignore no-explicit-any
): C & (new (...args: any[]) => PooledServer) & PooledStatics {
  abstract class Pooled extends Base implements PooledServer {
    static max_workers: number = cores();
    static daemon_threads = false;
    static block_on_close = true;
    max_workers: number;
    daemon_threads: boolean;
    block_on_close: boolean;
    #front: Front;

    // deno-lint-ignore no-explicit-any
    constructor(...args: any[]) {
      const spec = prepare(new.target, args[1]);
      super(...args);
      const cls = this.constructor as unknown as PooledStatics;
      this.max_workers = cls.max_workers;
      this.daemon_threads = cls.daemon_threads;
      this.block_on_close = cls.block_on_close;
      this.#front = new Front(
        this as unknown as PoolServer,
        kind,
        spec,
        this.constructor.name,
      );
      servers.add(this);
    }

    get [POOL](): Pool {
      return this.#front.pool;
    }

    /** How many handlers run now, in every worker or child. */
    get active_requests(): number {
      return this.#front.pool.active;
    }

    /**
     * Binds: a threaded TCP server on a listening socket its workers share,
     * a forking one with SO_REUSEPORT (see `bind_pooled`).
     */
    server_bind(): void {
      bind_pooled(
        this as unknown as PoolServer,
        kind,
        () =>
          (Base.prototype as { server_bind?: () => void }).server_bind?.call(
            this,
          ),
      );
    }

    /**
     * Starts the workers or child processes (they listen before this
     * yields to requests), then serves until `shutdown()`.
     */
    override serve_forever(
      poll_interval: number = 0.5,
      options: ServeOptions = {},
    ): Promise<void> {
      return this.#front.serve_forever(poll_interval, options, this.#base());
    }

    /** Stops `serve_forever`; resolves once no agent takes new requests. */
    override shutdown(): Promise<void> {
      return this.#front.shutdown(this.#base());
    }

    /**
     * Starts the workers or child processes if needed, then handles one
     * request the main thread receives.
     */
    override handle_request(): Promise<void> {
      return this.#front.handle_request(this.#base());
    }

    /** Hands the request to the least busy agent and returns. */
    override process_request(
      request: unknown,
      client_address: Address,
    ): void | Promise<void> {
      return this.#front.process_request(request, client_address);
    }

    /** Closes the socket and ends every agent (see `block_on_close`). */
    override server_close(): void | Promise<void> {
      // A constructor that failed (binding, say) closes before #front is set.
      if (!(#front in this)) return super.server_close();
      return this.#front.server_close(this.#base());
    }

    #base(): BaseHooks {
      return {
        serve_forever: (p, o) => super.serve_forever(p, o),
        shutdown: () => super.shutdown(),
        handle_request: () => super.handle_request(),
        server_close: () => super.server_close(),
      };
    }
  }
  return Pooled as unknown as
    & C
    // deno-lint-ignore no-explicit-any
    & (new (...args: any[]) => PooledServer)
    & PooledStatics;
}

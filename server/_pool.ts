// The main thread's side of a pool of agents (Web Workers or child Deno
// processes) that run a threaded or forking server's handlers.
//
// Where connections cross: Deno cannot move a Conn to another thread or
// process. A threaded TCP server's workers accept from the main thread's own
// listening socket, which the threads of a process share
// (_shared_listener.ts): nothing is relayed. A forking TCP server's children
// each open a listener on the port with SO_REUSEPORT and serve what the
// kernel hands them; the main thread's listener (also SO_REUSEPORT, bound by
// the constructor as in Python) stays open for the server's life and relays
// what it accepts: its own share of the kernel's spread and everything that
// queued before the children listened, so no connection is ever reset by a
// listener going away while the server lives. Unix stream servers relay
// every connection, datagram servers every datagram.
import { type Address, SOCK_STREAM, type Socket, socket } from "../net/mod.ts";
import { open_channel } from "./_channels.ts";
import { Agent } from "./_link.ts";
import { Replies } from "./_replies.ts";
import type { HandlerSpec } from "./_locate.ts";
import {
  type AgentInit,
  type AgentMode,
  EMPTY,
  from_info,
  type FromAgent,
} from "./_protocol.ts";
import { _Backoff } from "./_backoff.ts";
import { StreamRelays } from "./_stream_relay.ts";

/** Datagrams an agent may have in flight before the server stops reading. */
const DGRAM_IN_FLIGHT = 256;
/**
 * Listeners the agents of a TCP server open on its port with SO_REUSEPORT
 * (forking servers; workers share one socket instead), all together. The
 * kernel spreads new connections evenly over every listener of the port, the
 * main thread's included, whose share goes the slower relayed way: a relayed
 * connection cost about 680 µs of server CPU against about 160 µs for one an
 * agent accepts (bench/main.ts, cps), so 16 make that share 1/17. More cost
 * descriptors that workers share with the process: 64 left a server under
 * `ulimit -n 64` none to accept with. Each agent opens its part (at least 1,
 * at most MAX_LISTENERS) and stops at the first extra one that fails; each
 * listener wakes once per poll interval.
 */
const LISTENERS = 16;
/** The most listeners one agent opens. */
const MAX_LISTENERS = 8;
/** How long an agent may take to load the handler and listen. */
const START_TIMEOUT_MS = 60_000;

/** A server as the pool drives it (hooks only; see BaseServer). */
export interface Host {
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

/** Options of a {@linkcode Pool}. */
export interface PoolOptions {
  kind: "worker" | "child";
  mode: AgentMode;
  spec: HandlerSpec;
  label: string;
  /**
   * Whether the agents (workers) join the main thread's listening socket
   * (see _shared_listener.ts): they accept every connection, and the main
   * thread none.
   */
  shared: boolean;
}

/** The agents of one server and everything that crosses to them. */
export class Pool {
  #server: Host;
  #options: PoolOptions;
  #agents = new Set<Agent>();
  #next_id = 1;
  #size = 0;
  #init: AgentInit | null = null;
  #starting: Promise<void> | null = null;
  #serving = false;
  #poll = 0.1;
  #closing = false;
  #streams: StreamRelays;
  #replacing = new Set<Promise<void>>();
  /** Restart waits; server_close() ends them. */
  #backoff = new _Backoff();
  #retiring = new Set<Agent>();
  #replies: Replies;

  constructor(server: Host, options: PoolOptions) {
    this.#server = server;
    this.#options = options;
    this.#streams = new StreamRelays({
      shutdown_request: (sock) => server.shutdown_request(sock),
      report: (sock, addr, error) => this.#report(sock, addr, error),
    });
    this.#replies = new Replies(
      () => server.socket,
      async (data, addr, error) =>
        await this.#report(await this.#stand_in(data), addr, error),
    );
  }

  /** PIDs of the child processes (empty for workers). */
  get pids(): number[] {
    const out: number[] = [];
    for (const agent of this.#agents) {
      if (agent.channel.pid !== undefined) out.push(agent.channel.pid);
    }
    return out;
  }

  /** Whether the agents share the main thread's listening socket. */
  get shared(): boolean {
    return this.#options.shared;
  }

  /** How many agents run. */
  get size(): number {
    return this.#agents.size;
  }

  /** Starts `size` agents once; resolves when each is ready (listening). */
  start(
    size: number,
    init: Omit<
      AgentInit,
      | "module"
      | "name"
      | "mode"
      | "kind"
      | "label"
      | "listeners"
      | "shared"
    >,
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
      listeners: this.#options.shared ? 1 : Math.max(
        1,
        Math.min(MAX_LISTENERS, Math.ceil(LISTENERS / size)),
      ),
      shared: this.#options.shared,
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
    const on_message = (msg: FromAgent) => {
      if (ref.agent !== null) {
        this.#on_message(ref.agent, msg, on_ready, on_fail);
      }
    };
    const channel = open_channel(
      this.#options,
      this.#init!.server_address,
      name,
      on_message,
    );
    // A worker shares its handler count through memory: no message per
    // request. A child reports it.
    const counter = this.#options.kind === "worker"
      ? new SharedArrayBuffer(4)
      : undefined;
    const agent = new Agent(
      id,
      channel,
      ready,
      counter !== undefined ? new Int32Array(counter) : null,
    );
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
    channel.post({
      t: "init",
      init: counter !== undefined ? { ...this.#init!, counter } : this.#init!,
    });
    return agent;
  }

  #on_message(
    agent: Agent,
    msg: FromAgent,
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
        agent.count = msg.n;
        break;
      case "failed": {
        // A start failure is not a crash to recover from: no replacement,
        // and a log line for a program that does not await serving.
        this.#agents.delete(agent);
        const error = from_info(msg.error);
        console.error(
          `${this.#options.label}: ${this.#options.kind} ${agent.id} cannot start: ${error.message}; not starting another`,
        );
        on_fail(error);
        void agent.channel.kill();
        break;
      }
      case "paused":
        agent.holding = msg.holding;
        agent.paused?.();
        agent.paused = null;
        break;
      case "handled":
        agent.holding = msg.holding;
        if (msg.error !== undefined) {
          agent.handled?.reject(from_info(msg.error));
        } else agent.handled?.resolve(msg.timed_out);
        agent.handled = null;
        break;
      case "drained":
        agent.drained?.();
        agent.drained = null;
        break;
      case "data":
        this.#streams.data(agent, msg.cid, msg.data);
        break;
      case "ack":
        this.#streams.ack(agent, msg.cid, msg.n);
        break;
      case "close":
        this.#streams.close(agent, msg.cid);
        break;
      case "done":
        agent.dgrams--;
        agent.dgram_room?.();
        agent.dgram_room = null;
        break;
      case "sendto":
        void this.#replies.sendto(msg.data, msg.addr);
        break;
      case "error": {
        const relay = msg.cid !== undefined
          ? agent.relays.get(msg.cid)
          : undefined;
        void (async () => {
          const request = relay?.sock ?? await this.#stand_in(msg.data);
          await this.#report(request, msg.addr, from_info(msg.error));
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
                msg.addr,
              ),
            );
          } catch (error) {
            await this.#report(
              await this.#stand_in(msg.data),
              msg.addr,
              error,
            );
          }
          agent.channel.post({ t: "verified", seq: msg.seq, ok });
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

  #on_gone(agent: Agent, reason: string): void {
    const was = this.#agents.delete(agent);
    agent.paused?.();
    agent.drained?.();
    agent.dgram_room?.();
    agent.serving_ack?.reject(new Error(`${agent.id} stopped: ${reason}`));
    agent.serving_ack = null;
    agent.handled?.reject(new Error(`${agent.id} stopped: ${reason}`));
    agent.handled = null;
    const lost = agent.relays.size;
    for (const relay of agent.relays.values()) relay.finish();
    if (!was || this.#closing) return;
    // Agents that crash soon after they start would restart in a hot loop.
    const wait = this.#backoff.next(agent.born);
    console.error(
      `${this.#options.label}: ${this.#options.kind} ${agent.id} stopped (${reason}); ${
        lost > 0 ? `closed its ${lost} relayed connection(s), ` : ""
      }starting another ${wait > 0 ? `in ${wait} ms` : "at once"}`,
    );
    if (this.#starting === null) return;
    // Without a wait the replacement starts now, before the caller goes on.
    const replacing: Promise<void> = (async () => {
      if (wait > 0 && !await this.#backoff.wait(wait)) return;
      if (this.#closing || this.#starting === null) return;
      const next = this.#spawn();
      await next.ready;
      if (this.#serving && this.#agents.has(next)) await this.#resume(next);
    })().catch((error) => {
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

  /**
   * Has an agent that shares the main thread's listening socket accept and
   * handle one request, as handle_request() does; resolves to whether the
   * wait of `timeout` seconds ran out first.
   */
  handle(timeout: number | null): Promise<boolean> {
    // One holding a connection its listener took as it stopped, else the
    // oldest.
    let agent: Agent | undefined;
    for (const one of this.#agents) {
      if (agent === undefined || (one.holding && !agent.holding)) agent = one;
    }
    if (agent === undefined) {
      return Promise.reject(
        new Error(
          `Cannot handle a request: ${this.#options.label} has no running worker`,
        ),
      );
    }
    if (agent.handled !== null) {
      return Promise.reject(
        new Error("Cannot handle a request: handle_request is running already"),
      );
    }
    const answer = new Promise<boolean>((resolve, reject) => {
      agent.handled = { resolve, reject };
    });
    agent.channel.post({ t: "handle", timeout });
    return answer;
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

  /** Relays one accepted connection to the least busy agent. */
  relay_stream(sock: Socket, addr: Address): void {
    this.#streams.open(this.#pick(), sock, addr);
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
    this.#backoff.cancel();
    await Promise.allSettled(this.#replacing);
    const agents = [...this.#agents];
    if (daemon) {
      await Promise.all(agents.map((a) => this.#retire(a)));
      await this.#streams.settled();
      await this.#replies.close();
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
    })).then(() => this.#streams.settled());
    const closed = graceful.finally(() => this.#replies.close());
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

// What the main thread keeps about one agent and each stream relayed to it.
import type { Address, Socket } from "../net/mod.ts";
import type { Channel } from "./_channels.ts";

// One relayed stream, main side.
export interface Relay {
  sock: Socket;
  addr: Address;
  in_flight: number;
  /** The handler's bytes written to the client, not yet acked. */
  unacked: number;
  wake: (() => void) | null;
  writes: Promise<void>;
  done: Promise<void>;
  finish: () => void;
  closed: boolean;
  broken: boolean;
}

/** One agent as the pool sees it: its channel, relays and load. */
export class Agent {
  readonly id: number;
  readonly channel: Channel;
  readonly relays = new Map<number, Relay>();
  /** When it was started (performance.now()), for the restart backoff. */
  readonly born: number = performance.now();
  dgrams = 0;
  /**
   * Where a worker stores how many handlers run in it: threads share
   * memory, so counting costs no message. Null for a child, which reports.
   */
  readonly shared: Int32Array | null;
  #count = 0;
  ready: Promise<void>;
  serving_ack: { resolve: () => void; reject: (error: Error) => void } | null =
    null;
  listening = false;
  serving = false;
  paused: (() => void) | null = null;
  /** Whether connections its shared listener accepted wait in it. */
  holding = false;
  /** Awaits the answer to "handle": whether the wait timed out. */
  handled: {
    resolve: (timed_out: boolean) => void;
    reject: (error: Error) => void;
  } | null = null;
  drained: (() => void) | null = null;
  dgram_room: (() => void) | null = null;

  constructor(
    id: number,
    channel: Channel,
    ready: Promise<void>,
    shared: Int32Array | null = null,
  ) {
    this.id = id;
    this.channel = channel;
    this.ready = ready;
    this.shared = shared;
  }

  /** Handlers running in the agent, as it last stored or reported. */
  get count(): number {
    return this.shared !== null ? Atomics.load(this.shared, 0) : this.#count;
  }

  set count(n: number) {
    this.#count = n;
  }

  get load(): number {
    return Math.max(this.count, this.relays.size + this.dgrams);
  }
}

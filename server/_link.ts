// What the main thread keeps about one agent and each stream relayed to it.
import type { Address, Socket } from "../net/mod.ts";
import type { Channel } from "./_channels.ts";

// One relayed stream, main side.
export interface Relay {
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

/** One agent as the pool sees it: its channel, relays and load. */
export class Agent {
  readonly id: number;
  readonly channel: Channel;
  readonly relays = new Map<number, Relay>();
  /** When it was started (performance.now()), for the restart backoff. */
  readonly born: number = performance.now();
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

// The main thread's side of the streams it relays to agents: a Unix stream
// server's connections, a forking TCP server's main-listener share, and
// every connection of a server whose socket was wrapped in TLS. The client's
// bytes go to the agent as "data" messages, the handler's come back the same
// way, and each direction holds at most a window of bytes in flight.
import type { Address, Socket } from "../net/mod.ts";
import type { Agent, Relay } from "./_link.ts";
import { CHUNK, EMPTY, own_bytes, take_ack, WINDOW } from "./_protocol.ts";

/** What the relays need of the server. */
export interface RelayHooks {
  /** The server's shutdown_request(), once the relay ended. */
  shutdown_request(sock: Socket): unknown;
  /** The server's handle_error(), for a shutdown_request() that threw. */
  report(sock: Socket, addr: Address, error: unknown): Promise<void>;
}

/** Every stream the main thread relays, to whichever agent. */
export class StreamRelays {
  #hooks: RelayHooks;
  #next_cid = 1;
  #tasks = new Set<Promise<void>>();

  constructor(hooks: RelayHooks) {
    this.#hooks = hooks;
  }

  /** Relays one accepted connection to `agent`, until either side ends it. */
  open(agent: Agent, sock: Socket, addr: Address): void {
    const cid = this.#next_cid++;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => finish = resolve);
    const relay: Relay = {
      sock,
      addr,
      in_flight: 0,
      unacked: 0,
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
        await this.#hooks.shutdown_request(sock);
      } catch (error) {
        if (!relay.closed) await this.#hooks.report(sock, addr, error);
      }
      await pumping;
    })().catch((error) => console.error(error)).finally(() => {
      this.#tasks.delete(task);
    });
    this.#tasks.add(task);
  }

  /** The handler's bytes: written to the client in order, then acked. */
  data(agent: Agent, cid: number, data: Uint8Array): void {
    const relay = agent.relays.get(cid);
    if (relay === undefined) {
      // Acked all the same: the agent's pump waits for its window.
      agent.channel.post({ t: "ack", cid, n: data.length });
      return;
    }
    relay.writes = relay.writes.then(async () => {
      if (!relay.broken) {
        try {
          await relay.sock.sendall(data);
        } catch {
          relay.broken = true;
        }
      }
      const n = take_ack(relay, data.length);
      if (n > 0) agent.channel.post({ t: "ack", cid, n });
    });
  }

  /** The agent took `n` of the client's bytes: the window reopens. */
  ack(agent: Agent, cid: number, n: number): void {
    const relay = agent.relays.get(cid);
    if (relay === undefined) return;
    relay.in_flight -= n;
    relay.wake?.();
  }

  /** The handler closed its end: the relay ends after its last writes. */
  close(agent: Agent, cid: number): void {
    const relay = agent.relays.get(cid);
    if (relay !== undefined) void relay.writes.then(relay.finish);
  }

  /** Resolves once every relay ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#tasks);
  }

  // Posts what the client sends to the agent, within the window.
  async #pump(agent: Agent, cid: number, relay: Relay): Promise<void> {
    for (let turns = 0; turns < Number.MAX_SAFE_INTEGER; turns++) {
      while (relay.in_flight > WINDOW && !relay.closed) {
        await new Promise<void>((resolve) => relay.wake = resolve);
        relay.wake = null;
      }
      if (relay.closed) return;
      let data: Uint8Array;
      try {
        data = own_bytes(await relay.sock.recv(CHUNK));
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
}

// Loopback socket pairs for an agent's relayed streams, made through one
// listener the agent keeps: net's socketpair() opens and closes a listener
// per pair, which cost about 2.7 ms per pair against well under 1 ms here.
import {
  type Address,
  AF_INET,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../net/mod.ts";

/** Accepted ends nobody claimed yet, kept at most this many (strangers). */
const UNCLAIMED = 64;
/** The wait before accepting again after a failed accept (out of files). */
const RETRY_MS = 50;

function key_of(address: Address): string {
  return JSON.stringify(address);
}

/** Makes connected pairs over one loopback listener; `close()` ends it. */
export class Pairs {
  #listener: Socket | null = null;
  #accepting: Promise<void> | null = null;
  /** Connecting ends waiting for their accepted end, by local address. */
  #waiting = new Map<string, (sock: Socket | null) => void>();
  /** Accepted ends whose connecting end has not asked yet. */
  #unclaimed = new Map<string, Socket>();
  #closed = false;

  /**
   * A connected pair: the connecting end first, the accepted end second.
   * Only a connection whose peer address is the connecting end's own is
   * taken as its other end: another local process that connects to the
   * listener gets nothing from it.
   */
  async pair(): Promise<[Socket, Socket]> {
    const listener = this.#listen();
    const a = socket(AF_INET, SOCK_STREAM);
    try {
      await a.connect(listener.getsockname());
    } catch (error) {
      await a.close();
      throw error;
    }
    const key = key_of(a.getsockname());
    const ready = this.#unclaimed.get(key);
    if (ready !== undefined) {
      this.#unclaimed.delete(key);
      return [a, ready];
    }
    const b = await new Promise<Socket | null>((resolve) => {
      this.#waiting.set(key, resolve);
    });
    if (b === null) {
      await a.close();
      throw new Error("Cannot make a socket pair: the agent is closing");
    }
    return [a, b];
  }

  #listen(): Socket {
    if (this.#closed) throw new Error("Cannot make a socket pair: closed");
    if (this.#listener !== null) return this.#listener;
    const listener = socket(AF_INET, SOCK_STREAM);
    listener.bind(["127.0.0.1", 0]);
    listener.listen(128);
    this.#listener = listener;
    this.#accepting = this.#accept_all(listener);
    return listener;
  }

  async #accept_all(listener: Socket): Promise<void> {
    for (let turns = 0; turns < Number.MAX_SAFE_INTEGER; turns++) {
      let sock: Socket;
      let peer: Address;
      try {
        [sock, peer] = await listener.accept();
      } catch {
        if (this.#closed || listener.fileno() === -1) return;
        // Out of descriptors (EMFILE) passes: try again shortly, or every
        // later pair would wait for an accept nobody makes.
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      const key = key_of(peer);
      const waiter = this.#waiting.get(key);
      if (waiter !== undefined) {
        this.#waiting.delete(key);
        waiter(sock);
        continue;
      }
      // Accepted before its connecting end asked, or a stranger's: keep a
      // bounded few, dropping the oldest. An address seen again means the
      // one kept before was a stranger's whose port is free again.
      // Nothing awaits before the set: pair() looks here right after its
      // connect, and would otherwise wait for an end already accepted.
      const stale = this.#unclaimed.get(key);
      this.#unclaimed.delete(key);
      this.#unclaimed.set(key, sock);
      let oldest: Socket | undefined;
      if (this.#unclaimed.size > UNCLAIMED) {
        const [first, old] = this.#unclaimed.entries().next().value!;
        this.#unclaimed.delete(first);
        oldest = old;
      }
      await stale?.close();
      await oldest?.close();
    }
  }

  /** Closes the listener and every end nobody claimed. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#listener?.close();
    await this.#accepting;
    for (const resolve of this.#waiting.values()) resolve(null);
    this.#waiting.clear();
    for (const sock of this.#unclaimed.values()) await sock.close();
    this.#unclaimed.clear();
  }
}

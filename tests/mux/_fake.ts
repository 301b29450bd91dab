// A ReadinessSource under the test's control, registered in net's table.
import {
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  register_fileno,
  release_fileno,
} from "./_net.ts";

export class FakeSource {
  events: number;
  polls = 0;
  readonly listeners = new Map<(edges: number) => void, number>();
  #fd: number;

  constructor(events = 0) {
    this.events = events;
    this.#fd = register_fileno(this);
  }

  fileno(): number {
    return this.#fd;
  }

  poll_events(): number {
    this.polls++;
    return this.events;
  }

  watch(listener: (edges: number) => void, events: number): () => void {
    this.listeners.set(listener, events);
    return () => this.listeners.delete(listener);
  }

  /** Changes the level and tells the watchers which edges happened. */
  set(events: number, edges = events): void {
    this.events = events;
    for (const listener of [...this.listeners.keys()]) listener(edges);
  }

  close(): void {
    if (this.#fd < 0) return;
    release_fileno(this.#fd);
    this.#fd = -1;
    this.events = EV_HUP;
    this.set(EV_HUP, EV_IN | EV_OUT | EV_ERR | EV_HUP);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

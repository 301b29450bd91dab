// In-memory socket pairs for an agent's relayed streams. A relayed request's
// bytes arrive as messages from the main thread; the handler still needs a
// Socket with the whole API (recv, makefile, select, shutdown...). Two Deno
// connections in memory, each end's writes the other end's reads, give it
// one without a loopback connection: no descriptors, no syscalls per read
// or write, and no connect and accept per relayed request.
import {
  _tls_hooks,
  AF_INET,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../net/mod.ts";

/** Bytes one end holds for the other before its writes wait, as a socket buffer. */
const CAPACITY = 256 * 1024;
/** What both ends report as their addresses: a relayed request has no socket of its own. */
const PLACEHOLDER: Deno.NetAddr = {
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 0,
};

interface PendingRead {
  target: Uint8Array;
  resolve: (n: number | null) => void;
  reject: (error: Error) => void;
}

// One end: what it reads is queued here by the other end's writes.
class End {
  readonly localAddr: Deno.NetAddr = PLACEHOLDER;
  readonly remoteAddr: Deno.NetAddr = PLACEHOLDER;
  peer!: End;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #reading: PendingRead | null = null;
  // Writers of the other end waiting for room here.
  #room_waiters: (() => void)[] = [];
  // The other end will write no more (closeWrite or close).
  #at_eof = false;
  // The other end is closed: writes to it fail.
  #peer_closed = false;
  #write_shut = false;
  #closed = false;

  read(target: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.reject(bad_resource());
    if (target.length === 0) return Promise.resolve(0);
    if (this.#queued > 0) return Promise.resolve(this.#take(target));
    if (this.#at_eof) return Promise.resolve(null);
    if (this.#reading !== null) {
      return Promise.reject(new Deno.errors.Busy("a read is pending"));
    }
    return new Promise((resolve, reject) => {
      this.#reading = { target, resolve, reject };
    });
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(bad_resource());
    if (this.#write_shut || this.#peer_closed) {
      return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe"));
    }
    if (data.length === 0) return Promise.resolve(0);
    const room = CAPACITY - this.peer.#queued;
    if (room <= 0) {
      return new Promise<void>((resolve) =>
        this.peer.#room_waiters.push(resolve)
      )
        .then(() => this.write(data));
    }
    const n = Math.min(room, data.length);
    this.peer.#deliver(data.subarray(0, n));
    return Promise.resolve(n);
  }

  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.reject(bad_resource());
    this.#write_shut = true;
    this.peer.#end_of_input();
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) throw bad_resource();
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    const reading = this.#reading;
    this.#reading = null;
    reading?.reject(new Deno.errors.Interrupted("operation canceled"));
    this.#wake_writers();
    const peer = this.peer;
    peer.#peer_closed = true;
    peer.#end_of_input();
    // This end's writers waiting for room there fail now.
    peer.#wake_writers();
  }

  // What setsockopt() of TCP_NODELAY and SO_KEEPALIVE call: nothing to do.
  setNoDelay(): void {}
  setKeepAlive(): void {}

  // Bytes the other end wrote: straight into a pending read, else queued.
  #deliver(bytes: Uint8Array): void {
    const reading = this.#reading;
    if (reading !== null) {
      this.#reading = null;
      const n = Math.min(bytes.length, reading.target.length);
      reading.target.set(bytes.subarray(0, n));
      if (n < bytes.length) this.#push(bytes.subarray(n));
      reading.resolve(n);
      return;
    }
    this.#push(bytes);
  }

  #push(bytes: Uint8Array): void {
    this.#queue.push(bytes.slice());
    this.#queued += bytes.length;
  }

  #take(target: Uint8Array): number {
    let n = 0;
    while (n < target.length && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const k = Math.min(head.length, target.length - n);
      target.set(head.subarray(0, k), n);
      n += k;
      if (k === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(k);
    }
    this.#queued -= n;
    this.#wake_writers();
    return n;
  }

  #end_of_input(): void {
    this.#at_eof = true;
    if (this.#queued > 0) return;
    const reading = this.#reading;
    this.#reading = null;
    reading?.resolve(null);
  }

  // Writers of the other end waiting for room here try again.
  #wake_writers(): void {
    const waiters = this.#room_waiters;
    this.#room_waiters = [];
    for (const wake of waiters) wake();
  }
}

function bad_resource(): Error {
  return new Deno.errors.BadResource("Bad resource ID");
}

/**
 * Two connected stream sockets in memory: the handler's end first, the
 * relay's end second.
 */
export function memory_pair(): [Socket, Socket] {
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  const inner = socket(AF_INET, SOCK_STREAM);
  const outer = socket(AF_INET, SOCK_STREAM);
  _tls_hooks.put(inner, { conn: a as unknown as Deno.Conn }, null);
  _tls_hooks.put(outer, { conn: b as unknown as Deno.Conn }, null);
  return [inner, outer];
}

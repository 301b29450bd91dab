/**
 * The send engine of a socket: blocking-mode writes straight from the
 * caller's bytes, else a bounded queue drained one write at a time, with
 * Python's `send()` (may take part), `sendall()` (all or throws),
 * `sendto()` and `shutdown(SHUT_WR)` semantics.
 * @module
 */
import { SOCK_DGRAM, SOCK_STREAM } from "./constants.ts";
import { BrokenPipeError, OSError, TimeoutError } from "./errors.ts";
import { EBADF, EBUSY, EDESTADDRREQ, EPIPE } from "./errno.ts";
import { _to_oserror } from "./_map_error.ts";
import { type _Endpoint, _endpoint } from "./_address.ts";
import type { Address } from "./address.ts";
import { EV_ERR, EV_OUT } from "./readiness.ts";
import { type _Core, _State } from "./_core.ts";
import { _check_flags, _to_bytes } from "./_checks.ts";
import { _refuse_oversized } from "./_policy.ts";

/** Pending sends above this many bytes make a socket not writable. */
export const WRITE_HIGH_WATER = 256 * 1024;
/** The reused buffer a non-blocking send copies into when nothing is queued. */
const SEND_BUFFER = 16 * 1024;
/** How long `close()` lets queued sends drain before it closes anyway. */
const LINGER_MS = 5000;

export class _Sender {
  #core: _Core;
  // A direct write in blocking mode, or a bounded queue.
  direct: Promise<number> | null = null;
  #queue: Uint8Array[] = [];
  #wbuf: Uint8Array | null = null;
  #wbuf_view: Uint8Array | null = null;
  queued = 0;
  draining: Promise<void> | null = null;
  error: OSError | null = null;
  shut = false;
  #closed_write = false;
  // A sendall() is under way, and how many wait for their turn.
  #sendall_busy = false;
  #sendall_waiters = 0;
  // What the one direct sendall() write sends.
  #direct_bytes: Uint8Array | null = null;

  constructor(core: _Core) {
    this.#core = core;
  }

  send(data: unknown, flags: unknown): Promise<number> {
    const bytes = _to_bytes(data, "send");
    _check_flags(flags, "send");
    const core = this.#core;
    core.check_open("send");
    if (core.type === SOCK_DGRAM) {
      if (!core.peer) {
        return Promise.reject(new OSError(EDESTADDRREQ));
      }
      return this.#send_datagram(bytes, core.peer);
    }
    return this.#send_stream(bytes, core.timeout_for(flags as number));
  }

  sendall(data: unknown, flags: unknown): Promise<void> {
    // Not async itself: the hot path below allocates a small frame only.
    try {
      const bytes = _to_bytes(data, "send");
      _check_flags(flags, "send");
      const core = this.#core;
      core.check_open("send");
      if (core.type === SOCK_DGRAM) {
        return this.send(bytes, flags).then(() => {});
      }
      const timeout = core.timeout_for(flags as number);
      // One sendall() at a time, in call order: one that has to wait takes
      // a copy (the caller may reuse its bytes) and its turn. Non-blocking
      // ones never wait, so they need no turn.
      if (this.#sendall_busy && timeout !== 0) {
        return this.#sendall_later(bytes.slice(), timeout);
      }
      this.#sendall_busy = true;
      return this.#sendall_now(bytes, timeout);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Runs a sendall() that holds the turn; it gives the turn up when done.
  #sendall_now(bytes: Uint8Array, timeout: number | null): Promise<void> {
    const conn = this.#core.conn;
    if (timeout === null && conn && this.#may_write_directly()) {
      return this.#sendall_direct(conn, bytes);
    }
    return this.#sendall_waiting(bytes, timeout);
  }

  async #sendall_later(
    bytes: Uint8Array,
    timeout: number | null,
  ): Promise<void> {
    this.#sendall_waiters++;
    try {
      await this.#core.waiting.until(
        () => {
          if (this.#sendall_busy) return undefined;
          this.#sendall_busy = true;
          return true;
        },
        timeout,
        null,
      );
    } finally {
      this.#sendall_waiters--;
    }
    return this.#sendall_now(bytes, timeout);
  }

  #sendall_done(): void {
    this.#sendall_busy = false;
    if (this.#sendall_waiters > 0) this.#core.waiting.fire(0);
  }

  async sendto(
    data: unknown,
    address: Address,
    flags: unknown,
  ): Promise<number> {
    const bytes = _to_bytes(data, "send");
    _check_flags(flags, "send");
    const core = this.#core;
    core.check_open("send");
    if (core.type === SOCK_STREAM) return await this.send(bytes, flags);
    let ep = _endpoint(core.family, address, "send");
    if (!("path" in ep)) ep = await core.numeric(ep);
    return this.#send_datagram(bytes, ep);
  }

  /** `shutdown(SHUT_WR)`: FIN once queued bytes are out. */
  shutdown(): Promise<void> {
    this.shut = true;
    if (this.draining) return this.draining;
    if (this.direct) {
      return this.direct.then(() => this.#close_write(), () => {});
    }
    this.#close_write();
    return Promise.resolve();
  }

  /** Lets queued sends drain, for at most LINGER_MS. */
  async linger(): Promise<void> {
    const draining = this.draining;
    if (draining) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        draining,
        new Promise<void>((resolve) => timer = setTimeout(resolve, LINGER_MS)),
      ]);
      clearTimeout(timer);
    }
  }

  // Callbacks, not an async function, for the common case of one write
  // taking every byte: one promise less per call.
  #sendall_direct(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
    let pending: Promise<number>;
    try {
      pending = this.#write_start(conn, bytes);
    } catch (err) {
      const lost = this.#write_lost(err);
      this.#sendall_done();
      return Promise.reject(lost);
    }
    this.#direct_bytes = bytes;
    return pending.then(this.#direct_written, this.#direct_lost);
  }

  // The ends of a direct write (made once per socket: this runs per call).
  #direct_written = (n: number): Promise<void> | undefined => {
    const bytes = this.#direct_bytes!;
    this.#direct_bytes = null;
    this.#write_done(n);
    if (n < bytes.length) {
      return this.#sendall_rest(this.#core.conn!, bytes.subarray(n));
    }
    this.#sendall_done();
  };

  #direct_lost = (err: unknown): never => {
    this.#direct_bytes = null;
    const lost = this.#write_lost(err);
    this.#sendall_done();
    throw lost;
  };

  async #sendall_rest(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
    let done = 0;
    try {
      while (done < bytes.length) {
        let n: number;
        try {
          n = await this.#write_start(conn, bytes.subarray(done));
        } catch (err) {
          throw this.#write_lost(err);
        }
        done += this.#write_done(n);
      }
    } finally {
      this.#sendall_done();
    }
  }

  async #sendall_waiting(
    bytes: Uint8Array,
    timeout: number | null,
  ): Promise<void> {
    const deadline = timeout ? performance.now() + timeout * 1000 : 0;
    let sent = 0;
    try {
      while (sent < bytes.length) {
        const left = timeout
          ? Math.max(0, deadline - performance.now()) / 1000
          : timeout;
        if (timeout && left === 0) throw new TimeoutError();
        sent += await this.#send_stream(bytes.subarray(sent), left);
      }
    } finally {
      this.#sendall_done();
    }
  }

  #send_stream(bytes: Uint8Array, timeout: number | null): Promise<number> {
    // The non-blocking hot path: room in our send buffer, taken at once
    // without an async frame.
    const conn = this.#core.conn;
    if (
      conn && this.#core.state === _State.Connected && bytes.length > 0 &&
      this.queued < WRITE_HIGH_WATER && !this.shut &&
      !this.error && !(timeout === null && this.#may_write_directly())
    ) {
      return Promise.resolve(this.#enqueue(conn, bytes));
    }
    return this.#send_stream_waiting(bytes, timeout);
  }

  async #send_stream_waiting(
    bytes: Uint8Array,
    timeout: number | null,
  ): Promise<number> {
    const core = this.#core;
    if (core.state === _State.Connecting) {
      await core.until_connected(timeout);
    }
    const conn = core.conn;
    if (!conn || this.shut) {
      throw new BrokenPipeError(EPIPE);
    }
    if (this.error) throw this.error;
    if (bytes.length === 0) return 0;
    if (timeout === null && this.#may_write_directly()) {
      let n: number;
      try {
        n = await this.#write_start(conn, bytes);
      } catch (err) {
        throw this.#write_lost(err);
      }
      return this.#write_done(n);
    }
    if (this.queued >= WRITE_HIGH_WATER) {
      await core.waiting.until(
        () => {
          if (this.error) throw this.error;
          return this.queued < WRITE_HIGH_WATER || undefined;
        },
        timeout,
        null,
      );
    }
    return this.#enqueue(conn, bytes);
  }

  // Takes what fits into our send buffer, as the kernel takes bytes into
  // its own, and starts draining it; returns how much it took.
  #enqueue(conn: Deno.Conn, bytes: Uint8Array): number {
    const n = Math.min(bytes.length, WRITE_HIGH_WATER - this.queued);
    this.#queue.push(
      this.#copy_out(n === bytes.length ? bytes : bytes.subarray(0, n)),
    );
    this.queued += n;
    this.draining ??= this.#drain(conn);
    return n;
  }

  // A copy of `bytes` the caller may not touch: into the socket's own send
  // buffer when the queue is empty (no write still reads that buffer then),
  // else a new array.
  #copy_out(bytes: Uint8Array): Uint8Array {
    if (this.#queue.length > 0 || bytes.length > SEND_BUFFER) {
      return bytes.slice();
    }
    // The view of the last size is kept: a loop of same-size sends
    // allocates nothing.
    let out = this.#wbuf_view;
    if (out === null || out.length !== bytes.length) {
      out = this.#wbuf_view = (this.#wbuf ??= new Uint8Array(SEND_BUFFER))
        .subarray(0, bytes.length);
    }
    out.set(bytes);
    return out;
  }

  #may_write_directly(): boolean {
    return !this.direct && !this.draining && !this.shut &&
      !this.error && this.#core.state === _State.Connected;
  }

  // Blocking mode writes straight from the caller's bytes, no copy. The
  // caller awaits the write itself (one async hop less on the hot path) and
  // ends it with #write_done or #write_lost.
  #write_start(conn: Deno.Conn, bytes: Uint8Array): Promise<number> {
    const pending = conn.write(bytes);
    this.direct = pending;
    return pending;
  }

  #write_done(n: number): number {
    this.direct = null;
    return n;
  }

  #write_lost(err: unknown): OSError {
    this.direct = null;
    return this.#fail_write(err);
  }

  // Writes the queue out, one write at a time after any blocking-mode write
  // still in flight. Callbacks, not an async function: this runs per
  // message. The Promise (draining) settles once the queue is empty or a
  // write failed.
  #drain(conn: Deno.Conn): Promise<void> {
    const direct = this.direct;
    if (!direct) return this.#write_head(conn);
    const next = () => {
      if (this.#queue.length > 0) return this.#write_head(conn);
      this.#drained();
    };
    return direct.then(next, next);
  }

  #write_head(conn: Deno.Conn): Promise<void> {
    let pending: Promise<number>;
    try {
      pending = conn.write(this.#queue[0]!);
    } catch (err) {
      // As a rejected write: draining must settle, never throw.
      this.#write_failed(err);
      return Promise.resolve();
    }
    return pending.then((n) => this.#written(conn, n), this.#write_failed);
  }

  #written(conn: Deno.Conn, n: number): Promise<void> | undefined {
    const head = this.#queue[0]!;
    const before = this.queued;
    this.queued -= n;
    if (n < head.length) this.#queue[0] = head.subarray(n);
    else this.#queue.shift();
    if (before >= WRITE_HIGH_WATER && this.queued < WRITE_HIGH_WATER) {
      this.#core.waiting.fire(EV_OUT);
    }
    if (this.#queue.length > 0) return this.#write_head(conn);
    this.#drained();
  }

  #write_failed = (err: unknown): void => {
    if (!this.#core.closed) this.#fail_write(err);
    this.#queue = [];
    this.queued = 0;
    this.#drained();
  };

  // An emptied queue wakes waiters but is no EV_OUT edge: as Linux, which
  // tells edge-triggered watchers about room to write only after the send
  // buffer was full (that crossing is fired in #written).
  #drained(): void {
    this.draining = null;
    if (this.shut) this.#close_write();
    this.#core.waiting.fire(0);
  }

  #fail_write(err: unknown): OSError {
    if (this.#core.closed) return new OSError(EBADF);
    const mapped = _to_oserror(err);
    this.error = mapped;
    this.#core.waiting.fire(EV_OUT | EV_ERR);
    return mapped;
  }

  #close_write(): void {
    if (this.#closed_write || this.#core.closed) return;
    this.#closed_write = true;
    this.#core.conn?.closeWrite().catch(() => {});
  }

  async #send_datagram(bytes: Uint8Array, to: _Endpoint): Promise<number> {
    const core = this.#core;
    if (!("path" in to)) {
      core.refuse_broadcast(to.hostname);
      _refuse_oversized(core.family, bytes);
    }
    const dgram = core.ensure_datagram(to);
    const addr: Deno.Addr = "path" in to
      ? { transport: "unixpacket", path: to.path }
      : { transport: "udp", ...to };
    try {
      return await dgram.send(bytes, addr);
    } catch (err) {
      if (err instanceof Deno.errors.Busy) {
        // Deno's Unix datagram sockets cannot send while a receive waits.
        throw new OSError(
          EBUSY,
          "Device or resource busy: Deno cannot send on a Unix datagram socket while a receive is pending",
          { cause: err },
        );
      }
      throw _to_oserror(err);
    }
  }
}

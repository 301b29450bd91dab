/**
 * The receive engine of a socket: blocking-mode reads straight into the
 * caller's buffer, else one read (or datagram receive, or accept) kept
 * outstanding ahead of the calls, into bounded queues; datagrams truncated
 * to the caller's size, and a receive that times out keeps its bytes.
 * @module
 */
import {
  AF_UNIX,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "./constants.ts";
import {
  BlockingIOError,
  BrokenPipeError,
  OSError,
  TimeoutError,
} from "./errors.ts";
import {
  EBADF,
  ECONNABORTED,
  ECONNRESET,
  EINVAL,
  EMFILE,
  ENFILE,
  ENOTCONN,
  EPIPE,
} from "./errno.ts";
import { _to_oserror } from "./_map_error.ts";
import { type _Endpoint, _from_deno, _same } from "./_address.ts";
import type { Address } from "./address.ts";
import { _concat } from "./_bytes.ts";
import { EV_IN } from "./readiness.ts";
import { type _Core, type _Reader, _State } from "./_core.ts";
import type { _Sender } from "./_send.ts";
import { _check_flags, _check_into, _check_size, MAX_SIZE } from "./_checks.ts";
import { MAX_UNIX_DATAGRAM } from "./_policy.ts";

/** Received bytes a socket buffers ahead of `recv()` calls. */
const READ_AHEAD = 256 * 1024;
/** The largest read ahead of one call; also the scratch buffer's size. */
export const READ_CHUNK = 64 * 1024;
/** First read size of a socket; grows when filled. */
const FIRST_READ = 512;
/**
 * The largest slab a socket receives into (see `#recv_direct`): also the
 * most one blocking `recv()` returns (it may return less, as always).
 */
const SLAB_MAX = 256 * 1024;
/** Datagrams and connections a socket takes from the kernel ahead of time. */
const DATAGRAM_QUEUE = 64;
const ACCEPT_QUEUE = 4;
/** How long a watched listener waits to accept again when out of files. */
const ACCEPT_RETRY_MS = 100;

const EMPTY = new Uint8Array(0);

export class _Receiver implements _Reader {
  #core: _Core;
  #tx: _Sender;
  // One outstanding read (or accept) at most, and what it got.
  op: Promise<unknown> | null = null;
  chunks: Uint8Array[] = [];
  #chunk_bytes = 0;
  grams: [Uint8Array, Deno.Addr][] = [];
  conns: Deno.Conn[] = [];
  eof = false;
  error: OSError | null = null;
  shut = false;
  #rbuf: Uint8Array | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  // Datagrams are received here, then copied out.
  #scratch: Uint8Array | null = null;
  // What blocking recv() calls receive into; see #recv_direct.
  #slab: Uint8Array | null = null;
  #slab_pos = 0;
  #slab_size = FIRST_READ;
  // The view the one direct read fills.
  #direct_view: Uint8Array | null = null;

  constructor(core: _Core, tx: _Sender) {
    this.#core = core;
    this.#tx = tx;
    core.reader = this;
  }

  connected(): void {
    if (this.reads_ahead()) this.pump();
  }

  // A connected datagram socket drops what others sent before, too.
  peer_set(peer: _Endpoint): void {
    this.grams = this.grams.filter(([, from]) => _same(from, peer));
  }

  recv(bufsize: unknown, flags: unknown): Promise<Uint8Array> {
    // Not async itself: the hot paths below allocate small frames only.
    try {
      const n = _check_size(bufsize, "bufsize", "receive", MAX_SIZE);
      _check_flags(flags, "receive");
      const core = this.#core;
      core.check_open("receive");
      const f = flags as number;
      if (core.type === SOCK_DGRAM) return this.#recv_datagram_n(n, f);
      if (f & MSG_WAITALL) {
        return this.#recv_all(n, f & ~MSG_WAITALL);
      }
      if (n === 0) return Promise.resolve(EMPTY);
      if (this.#can_read_directly(f)) return this.#recv_direct(n);
      const peek = (f & MSG_PEEK) !== 0;
      // What is buffered is taken at once, without the waiting machinery.
      const ready = this.#take(n, peek);
      if (ready !== undefined) return Promise.resolve(ready);
      return core.waiting.until(
        () => this.#take(n, peek),
        core.timeout_for(f),
        this,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async recv_into(
    buffer: unknown,
    nbytes: unknown,
    flags: unknown,
  ): Promise<number> {
    const [view, n] = _check_into(buffer, nbytes);
    _check_flags(flags, "receive");
    this.#core.check_open("receive");
    const target = view.subarray(0, n || view.length);
    if (
      this.#core.type === SOCK_STREAM &&
      this.#can_read_directly(flags as number)
    ) {
      if (target.length === 0) return 0;
      let got: number | null;
      try {
        got = await this.#read_start(target);
      } catch (err) {
        throw this.#read_lost(err);
      }
      return this.#read_done(got);
    }
    const data = await this.recv(target.length, flags);
    target.set(data);
    return data.length;
  }

  async recvfrom(
    bufsize: unknown,
    flags: unknown,
  ): Promise<[Uint8Array, Address | null]> {
    const n = _check_size(bufsize, "bufsize", "receive", MAX_SIZE);
    _check_flags(flags, "receive");
    const core = this.#core;
    core.check_open("receive");
    if (core.type === SOCK_STREAM) {
      const data = await this.recv(n, flags);
      return [
        data,
        core.conn ? _from_deno(core.conn.remoteAddr, core.family) : null,
      ];
    }
    const [data, from] = await this.#recv_datagram(flags as number);
    return [
      data.length > n ? data.subarray(0, n) : data,
      // An unbound Unix sender has no address: Python gives None.
      "path" in from && from.path === null
        ? null
        : _from_deno(from, core.family),
    ];
  }

  async recvfrom_into(
    buffer: unknown,
    nbytes: unknown,
    flags: unknown,
  ): Promise<[number, Address | null]> {
    const [view, n] = _check_into(buffer, nbytes);
    const [data, from] = await this.recvfrom(n || view.length, flags);
    view.set(data);
    return [data.length, from];
  }

  /**
   * The next accepted connection and its peer's address, in the socket's
   * mode; EINVAL when the socket is not listening.
   */
  async accept(): Promise<[Deno.Conn, Address]> {
    const core = this.#core;
    core.check_open("accept");
    if (core.state !== _State.Listening || !core.listener) {
      throw new OSError(
        EINVAL,
        "Invalid argument: the socket is not listening",
      );
    }
    const conn = await this.#next_conn();
    return [conn, _from_deno(conn.remoteAddr, core.family)];
  }

  #next_conn(): Promise<Deno.Conn> {
    return this.#core.waiting.until(
      () => {
        const failure = this.error;
        if (failure) {
          this.error = null; // accept errors such as EMFILE pass
          this.#accept_again(failure);
          throw failure;
        }
        const taken = this.conns.shift();
        if (taken) this.#consumed();
        return taken;
      },
      this.#core.timeout,
      this,
    );
  }

  /** `shutdown(SHUT_RD)`: `recv()` returns empty from now on. */
  shutdown(): void {
    this.shut = true;
    this.#core.waiting.fire(EV_IN);
  }

  /** Stops what the engine started; the socket closes its Deno objects. */
  stop(): void {
    if (this.#retry !== null) clearTimeout(this.#retry);
  }

  async #recv_datagram_n(n: number, flags: number): Promise<Uint8Array> {
    const [data] = await this.#recv_datagram(flags);
    return data.length > n ? data.subarray(0, n) : data;
  }

  // Reads into the socket's own slab and returns a view of what came: no
  // copy and, most calls, no allocation. A result's buffer is this socket's
  // slab, so it holds only bytes this socket received. Slabs start small,
  // so a receive that waits on an idle connection holds little, and grow
  // while reads fill what they were offered.
  // Callbacks, not an async function: one promise less per call.
  #recv_direct(n: number): Promise<Uint8Array> {
    const view = this.#room(n);
    let pending: Promise<number | null>;
    try {
      pending = this.#read_start(view);
    } catch (err) {
      return Promise.reject(this.#read_lost(err));
    }
    this.#direct_view = view;
    return pending.then(this.#direct_done, this.#direct_lost);
  }

  // The ends of a direct read (made once per socket: this runs per call).
  #direct_done = (got: number | null): Uint8Array => {
    const view = this.#direct_view!;
    this.#direct_view = null;
    const k = this.#read_done(got);
    if (k === 0) return EMPTY;
    this.#slab_pos += k;
    if (k === view.length) {
      this.#slab_size = Math.min(this.#slab_size * 4, SLAB_MAX);
    } else if (k * 16 <= view.length && this.#slab_size > FIRST_READ) {
      this.#slab_size /= 4;
    }
    return view.subarray(0, k);
  };

  #direct_lost = (err: unknown): never => {
    this.#direct_view = null;
    throw this.#read_lost(err);
  };

  // Where the next read goes: the rest of the slab, or a new slab when
  // little is left or the old one was transferred (detached).
  #room(want: number): Uint8Array {
    let slab = this.#slab;
    let pos = this.#slab_pos;
    const left = slab === null ? 0 : slab.length - pos;
    if (left < Math.min(want, this.#slab_size) / 2) {
      slab = this.#slab = new Uint8Array(Math.max(this.#slab_size, FIRST_READ));
      pos = this.#slab_pos = 0;
    }
    return slab!.subarray(pos, pos + Math.min(want, slab!.length - pos));
  }

  // MSG_WAITALL: parts joined once the wait ends, so nothing beyond what
  // arrived is allocated. As Linux, a wait that ends with some bytes
  // returns them: at EOF, at a timeout, or at an error, which then comes
  // on the next call.
  async #recv_all(n: number, flags: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n) {
      let part: Uint8Array;
      try {
        part = await this.recv(n - got, flags);
      } catch (err) {
        if (got === 0) throw err;
        const waitEnded = err instanceof TimeoutError ||
          err instanceof BlockingIOError;
        if (!waitEnded && !this.#core.closed) this.error = err as OSError;
        break;
      }
      if (part.length === 0) break;
      parts.push(part);
      got += part.length;
    }
    return _concat(parts, got);
  }

  // Blocking mode with nothing buffered and nobody watching: read straight
  // into the caller's buffer. No timeout can abandon such a read.
  #can_read_directly(flags: number): boolean {
    return this.#core.timeout === null &&
      (flags & (MSG_PEEK | MSG_DONTWAIT)) === 0 &&
      this.#core.conn !== null && this.op === null &&
      this.#core.waiting.armed === 0 &&
      this.chunks.length === 0 && !this.eof && !this.shut &&
      this.error === null;
  }

  // A direct read: the caller awaits it itself (one async hop less on the
  // hot path) and ends it with #read_done or #read_lost.
  #read_start(target: Uint8Array): Promise<number | null> {
    const pending = this.#core.conn!.read(target);
    this.op = pending;
    return pending;
  }

  #read_done(n: number | null): number {
    this.op = null;
    if (n === null) this.eof = true;
    this.#core.waiting.fire(0);
    return n ?? 0;
  }

  #read_lost(err: unknown): OSError {
    this.op = null;
    this.#core.waiting.fire(0);
    if (this.#core.closed) return new OSError(EBADF);
    this.eof = true;
    return this.#read_failed(err);
  }

  // Takes up to `n` buffered bytes, an EOF (empty) or the pending error;
  // `undefined` while there is nothing yet.
  #take(n: number, peek: boolean): Uint8Array | undefined {
    const core = this.#core;
    if (core.state === _State.Connecting) return undefined;
    if (core.state !== _State.Connected || !core.conn) {
      throw new OSError(ENOTCONN);
    }
    const head = this.chunks[0];
    if (head) {
      let out: Uint8Array;
      if (peek) return head.slice(0, n);
      if (head.length <= n) {
        this.chunks.shift();
        out = head;
      } else {
        out = head.subarray(0, n);
        this.chunks[0] = head.subarray(n);
      }
      this.#chunk_bytes -= out.length;
      this.#consumed();
      return out;
    }
    const failure = this.error;
    if (failure && !peek) {
      this.error = null;
      this.eof = true;
      throw failure;
    }
    if (failure) throw failure;
    return this.eof || this.shut ? EMPTY : undefined;
  }

  #recv_datagram(flags: number): Promise<[Uint8Array, Deno.Addr]> {
    const core = this.#core;
    if (!core.dgram) {
      if (core.family === AF_UNIX) {
        throw new OSError(EINVAL, "Invalid argument: bind the socket first");
      }
      // Python lets an unbound UDP socket wait; it can never receive.
      throw new OSError(EINVAL, "Invalid argument: the socket is not bound");
    }
    const peek = (flags & MSG_PEEK) !== 0;
    return core.waiting.until(
      () => {
        const failure = this.error;
        if (failure) {
          this.error = null; // a datagram socket goes on after an error
          throw failure;
        }
        const gram = peek ? this.grams[0] : this.grams.shift();
        if (gram && !peek) this.#consumed();
        return gram;
      },
      core.timeout_for(flags),
      this,
    );
  }

  // Starts the one outstanding read, datagram receive or accept, if room.
  pump(): void {
    const core = this.#core;
    if (this.op || core.closed || this.eof || this.error) return;
    if (core.listener && core.state === _State.Listening) {
      if (this.conns.length >= ACCEPT_QUEUE) return;
      const listener = core.listener;
      this.op = listener.accept().then(
        (conn) => {
          if (core.closed) conn.close();
          else this.conns.push(conn);
        },
        (err) => {
          // Deno fails accept() for a client that reset while queued;
          // Linux hands it over. Drop it and accept the next one.
          if (err instanceof Deno.errors.NotConnected) return;
          // A listener released under the accept (see tls_hooks.ts) ends
          // it; the socket itself is fine.
          if (core.listener !== listener) return;
          this.#fail_read(err);
        },
      ).finally(() => this.#arrived());
    } else if (core.dgram) {
      if (this.grams.length >= DATAGRAM_QUEUE) return;
      const buf = this.#scratch ??= new Uint8Array(
        core.family === AF_UNIX ? MAX_UNIX_DATAGRAM : READ_CHUNK,
      );
      this.op = core.dgram.receive(buf).then(
        ([data, from]) => {
          // A connected datagram socket drops what others send, as Linux.
          if (!core.peer || _same(from, core.peer)) {
            this.grams.push([data.slice(), from]);
          }
        },
        (err) => this.#fail_read(err),
      ).finally(() => this.#arrived());
    } else if (core.conn && !this.shut) {
      if (this.#chunk_bytes >= READ_AHEAD) return;
      this.op = core.conn.read(this.#rbuf ??= new Uint8Array(FIRST_READ))
        .then(this.#on_read, this.#on_read_error);
    }
  }

  // The ends of a read ahead into #rbuf (made once per socket: this runs
  // per message).
  #on_read = (n: number | null): void => {
    const buf = this.#rbuf!;
    if (n === null) {
      this.eof = true;
    } else {
      this.chunks.push(buf.slice(0, n));
      this.#chunk_bytes += n;
      // A full read means more is coming: read bigger next time.
      if (n === buf.length && buf.length < READ_CHUNK) {
        this.#rbuf = new Uint8Array(buf.length * 4);
      }
    }
    this.#arrived();
  };

  #on_read_error = (err: unknown): void => {
    this.#fail_read(err);
    this.#arrived();
  };

  // A failed accept ends nothing: a watched listener accepts again, after a
  // pause when descriptors ran out so that it does not spin meanwhile.
  #accept_again(failure: OSError): void {
    if (!this.reads_ahead()) return;
    if (failure.errno !== EMFILE && failure.errno !== ENFILE) {
      this.pump();
      return;
    }
    this.#retry ??= setTimeout(() => {
      this.#retry = null;
      this.pump();
    }, ACCEPT_RETRY_MS);
  }

  #fail_read(err: unknown): void {
    if (this.#core.closed) return;
    this.error = this.#read_failed(err);
  }

  // A reset seen by a read also ends sending, as on Linux: the next send
  // fails at once instead of queueing bytes nobody will receive.
  #read_failed(err: unknown): OSError {
    const mapped = _to_oserror(err);
    if (
      mapped.errno === ECONNRESET || mapped.errno === ECONNABORTED ||
      mapped.errno === EPIPE
    ) {
      this.#tx.error ??= new BrokenPipeError(EPIPE, undefined, { cause: err });
    }
    return mapped;
  }

  #arrived(): void {
    this.op = null;
    this.#core.waiting.fire(EV_IN);
    if (this.reads_ahead()) this.pump();
  }

  // A watched or non-blocking socket keeps one read outstanding, so data
  // that arrives before the next call is there for it.
  reads_ahead(): boolean {
    return this.#core.waiting.armed > 0 || this.#core.timeout === 0;
  }

  // Taking bytes makes nothing ready, so watchers are not told: a selector
  // re-checks each queued entry's level before reporting it.
  #consumed(): void {
    if (this.reads_ahead()) this.pump();
  }
}

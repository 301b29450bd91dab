/**
 * Buffered binary reads over a socket, as Python's `BufferedReader`: what a
 * call does not return stays buffered for the next one, also when a receive
 * fails.
 * @module
 */
import { _concat } from "./_bytes.ts";

const EMPTY = new Uint8Array(0);

/** What the reader needs of a socket. */
export interface _Recv {
  recv(bufsize: number): Promise<Uint8Array>;
}

export class _ByteReader {
  #sock: _Recv;
  #bufsize: number;
  #raw: boolean;
  // Unread bytes are #buf[#pos..].
  #buf: Uint8Array = EMPTY;
  #pos = 0;

  /**
   * @param bufsize The receive size.
   * @param raw Unbuffered (`buffering: 0`): receive no byte the caller did
   *   not ask for.
   */
  constructor(sock: _Recv, bufsize: number, raw: boolean) {
    this.#sock = sock;
    this.#bufsize = bufsize;
    this.#raw = raw;
  }

  clear(): void {
    this.#buf = EMPTY;
    this.#pos = 0;
  }

  async read(n: number): Promise<Uint8Array> {
    if (n === 0) return EMPTY;
    const avail = this.#buf.length - this.#pos;
    if (n > 0 && avail >= n) return this.#take(n);
    if (this.#raw && n > 0) {
      // Python's unbuffered SocketIO.read: one receive, maybe short.
      if (avail > 0) return this.#take(avail);
      return await this.#sock.recv(n);
    }
    const parts: Uint8Array[] = [];
    let have = 0;
    if (avail > 0) {
      parts.push(this.#take(avail));
      have = avail;
    }
    for (;;) {
      let more: boolean;
      try {
        more = await this.#fill(this.#bufsize);
      } catch (err) {
        this.#unread(parts);
        throw err;
      }
      if (!more) break;
      const piece = this.#take(n < 0 ? Infinity : n - have);
      parts.push(piece);
      have += piece.length;
      if (n > 0 && have >= n) break;
    }
    return _concat(parts, have);
  }

  /** Python's `read1`: what is buffered, or else one receive. */
  async read1(count: number): Promise<Uint8Array> {
    if (count === 0) return EMPTY;
    if (this.#pos >= this.#buf.length) {
      // The receive is inlined: one async frame less per call.
      const chunk = await this.#sock.recv(this.#raw ? count : this.#bufsize);
      if (!this.#append(chunk)) return EMPTY;
    }
    return this.#take(count);
  }

  /** What is buffered, receiving once if nothing is. */
  async peek(): Promise<Uint8Array> {
    if (this.#pos >= this.#buf.length) {
      if (!await this.#fill(this.#bufsize)) return EMPTY;
    }
    return this.#buf.subarray(this.#pos);
  }

  // The common case first: no limit, a buffered file, an empty buffer.
  // One receive; a chunk that is exactly one line is the line, with no
  // copy and no view.
  readline(limit: number): Promise<Uint8Array> {
    if (limit < 0 && !this.#raw && this.#pos >= this.#buf.length) {
      return this.#readline_recv();
    }
    return this.#readline(limit);
  }

  async readinto(target: Uint8Array): Promise<number> {
    let have = 0;
    while (have < target.length) {
      if (this.#pos >= this.#buf.length) {
        if (have > 0 && this.#raw) break;
        const size = this.#raw ? target.length - have : this.#bufsize;
        // Bytes already copied into target are the caller's: an error after
        // some of them would lose them, so report the count instead.
        let more: boolean;
        try {
          more = await this.#fill(size);
        } catch (err) {
          if (have > 0) break;
          throw err;
        }
        if (!more) break;
      }
      const piece = this.#take(target.length - have);
      target.set(piece, have);
      have += piece.length;
    }
    return have;
  }

  // Receives one chunk into the (consumed) buffer; false at end of file.
  async #fill(size: number): Promise<boolean> {
    return this.#append(await this.#sock.recv(size));
  }

  // Appends a received chunk to what is left of the buffer; false for the
  // empty chunk of end of file.
  #append(chunk: Uint8Array): boolean {
    if (chunk.length === 0) return false;
    const rest = this.#buf.length - this.#pos;
    if (rest > 0) {
      this.#buf = _concat(
        [this.#buf.subarray(this.#pos), chunk],
        rest + chunk.length,
      );
    } else {
      this.#buf = chunk;
    }
    this.#pos = 0;
    return true;
  }

  // Puts bytes a failed call had taken back in front of the buffer.
  #unread(parts: Uint8Array[]): void {
    if (parts.length === 0) return;
    parts.push(this.#buf.subarray(this.#pos));
    let total = 0;
    for (const p of parts) total += p.length;
    this.#buf = _concat(parts, total);
    this.#pos = 0;
  }

  #take(n: number): Uint8Array {
    const end = Math.min(this.#pos + n, this.#buf.length);
    const out = this.#buf.subarray(this.#pos, end);
    this.#pos = end;
    return out;
  }

  #readline_recv(): Promise<Uint8Array> {
    return this.#sock.recv(this.#bufsize).then(this.#line_of);
  }

  // A received chunk that is exactly one line is the line (made once per
  // reader: this runs per line).
  #line_of = (chunk: Uint8Array): Uint8Array | Promise<Uint8Array> => {
    if (chunk.length === 0) return EMPTY;
    if (chunk.indexOf(10) === chunk.length - 1) return chunk;
    this.#append(chunk);
    return this.#readline(-1);
  };

  async #readline(limit: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let have = 0;
    for (;;) {
      const buf = this.#buf;
      const pos = this.#pos;
      const nl = buf.indexOf(10, pos);
      let end = nl >= 0 ? nl + 1 : buf.length;
      let done = nl >= 0;
      if (limit >= 0 && have + end - pos >= limit) {
        end = pos + limit - have;
        done = true;
      }
      const piece = buf.subarray(pos, end);
      this.#pos = end;
      if (done) {
        if (parts.length === 0) return piece;
        parts.push(piece);
        return _concat(parts, have + piece.length);
      }
      if (piece.length > 0) {
        parts.push(piece);
        have += piece.length;
      }
      let more: boolean;
      try {
        // Unbuffered: one byte at a time, so nothing past the line is taken.
        // (The receive is inlined: one async frame less per line.)
        more = this.#append(
          await this.#sock.recv(this.#raw ? 1 : this.#bufsize),
        );
      } catch (err) {
        this.#unread(parts);
        throw err;
      }
      if (!more) return _concat(parts, have);
    }
  }
}

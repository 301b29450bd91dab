/**
 * Buffered writes of a socket file, as Python's `BufferedWriter`: writes
 * collect in a buffer of `bufsize` bytes that goes out when full, on
 * `flush()` and on close. Over a socket whose `sendall()` keeps call order
 * (this module's `Socket`) the bytes go straight into the socket's own send
 * queue; over any other a serializer keeps the order.
 * @module
 */
import { _Serial } from "./_serial.ts";
import { SocketType } from "./socket_type.ts";

/** What the writer needs of a socket. */
export interface _Send {
  sendall(data: Uint8Array): Promise<void>;
}

const DONE = Promise.resolve();
function ignore(): void {}

export class _ByteWriter {
  #sock: _Send;
  #bufsize: number;
  #raw: boolean;
  // Allocated on the first buffered write.
  #wbuf: Uint8Array | null = null;
  #wlen = 0;
  // Only for sockets that do not keep order themselves.
  #serial: _Serial | null;
  // The last sendall() (over an ordering socket): it settles last.
  #last: Promise<void> | null = null;

  /**
   * @param bufsize The buffer size.
   * @param raw Unbuffered (`buffering: 0`): each write is sent at once.
   */
  constructor(sock: _Send, bufsize: number, raw: boolean) {
    this.#sock = sock;
    this.#bufsize = bufsize;
    this.#raw = raw;
    // Our sockets' sendall() calls complete in call order and copy what
    // they keep waiting: a file over them needs no queue of its own.
    this.#serial = sock instanceof SocketType ? null : new _Serial();
  }

  /** Buffers or sends `bytes`; resolves once they are taken. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#serial === null) return this.#write_ordered(bytes);
    return this.#serial.run(() => this.#write_serial(bytes));
  }

  /** Sends what is buffered; resolves once every earlier write is done. */
  flush(): Promise<void> {
    if (this.#serial === null) {
      const flushed = this.#send_buffer();
      if (flushed !== null) return flushed;
      // Errors of earlier writes were reported by those writes.
      return this.#last === null ? DONE : this.#last.then(ignore, ignore);
    }
    return this.#serial.run(() => this.#flush_serial());
  }

  clear(): void {
    this.#wbuf = null;
    this.#wlen = 0;
  }

  // The sendall() calls are made now, in call order; the socket keeps it.
  #write_ordered(bytes: Uint8Array): Promise<void> {
    if (this.#raw) return this.#send(bytes);
    if (this.#wlen + bytes.length <= this.#bufsize) {
      this.#keep(bytes);
      return DONE;
    }
    const flushed = this.#send_buffer();
    if (bytes.length >= this.#bufsize) {
      const sent = this.#send(bytes);
      return flushed === null ? sent : flushed.then(() => sent);
    }
    this.#keep(bytes);
    return flushed ?? DONE;
  }

  #keep(bytes: Uint8Array): void {
    (this.#wbuf ??= new Uint8Array(this.#bufsize)).set(bytes, this.#wlen);
    this.#wlen += bytes.length;
  }

  #send(bytes: Uint8Array): Promise<void> {
    const sent = this.#sock.sendall(bytes);
    this.#last = sent;
    sent.catch(ignore); // the caller gets the error; this keeps it handled
    return sent;
  }

  // Hands the buffer to the socket, which may still read it while the send
  // is in flight: writes meanwhile take a new buffer, and this one is used
  // again once sent.
  #send_buffer(): Promise<void> | null {
    const n = this.#wlen;
    const buf = this.#wbuf;
    if (n === 0 || buf === null) return null;
    this.#wlen = 0;
    this.#wbuf = null;
    const sent = this.#send(buf.subarray(0, n));
    sent.then(() => {
      if (this.#wbuf === null && this.#wlen === 0) this.#wbuf = buf;
    }, ignore);
    return sent;
  }

  async #write_serial(bytes: Uint8Array): Promise<void> {
    if (this.#raw) return await this.#sock.sendall(bytes);
    const cap = this.#bufsize;
    if (this.#wlen + bytes.length <= cap) {
      this.#keep(bytes);
      return;
    }
    await this.#flush_serial();
    if (bytes.length >= cap) {
      await this.#sock.sendall(bytes);
    } else {
      this.#keep(bytes);
    }
  }

  async #flush_serial(): Promise<void> {
    const n = this.#wlen;
    if (n === 0 || this.#wbuf === null) return;
    this.#wlen = 0;
    await this.#sock.sendall(this.#wbuf.subarray(0, n));
  }
}

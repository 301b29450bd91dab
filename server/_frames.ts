// Messages on a forked child's stdin and stdout, in net's length-prefixed
// format: each message's JSON, then its bytes (marked `true` in the JSON, so
// empty bytes still arrive) as a message of their own.
import {
  IncompleteMessageError,
  type MsgReceiver,
  type MsgSender,
  recv_msg,
  send_msg,
} from "../net/mod.ts";
import { EMPTY } from "./_protocol.ts";

const decoder = new TextDecoder();
/**
 * The largest message either side sends, in bytes: relayed chunks are 64 KiB,
 * a datagram at most its socket's buffer.
 */
const LIMIT = { max_size: 16 * 1024 * 1024 };
/**
 * Queued bytes that are written at once, each part as it is, rather than
 * copied into one write with what follows.
 */
const FLUSH_BYTES = 64 * 1024;

/**
 * Writes messages to a byte stream, in the order `write` is called. What one
 * turn of the event loop writes leaves in one write: a datagram's reply and
 * the counts around it cost one pipe write, not five.
 */
export class FrameWriter<T extends { t: string; data?: Uint8Array }> {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #sink: MsgSender = { sendall: (data) => this.#queue(data) };
  #pending: Uint8Array[] = [];
  #bytes = 0;
  #last: Promise<void> = Promise.resolve();
  #sent: Promise<void> = Promise.resolve();

  /** Writes through `writer`. */
  constructor(writer: WritableStreamDefaultWriter<Uint8Array>) {
    this.#writer = writer;
  }

  /** Queues one message; a failed write (the reader is gone) drops it. */
  write(msg: T): void {
    const { data } = msg;
    // send_msg keeps the calls on one sink in order, so the bytes follow
    // their JSON with nothing between.
    const head = send_msg(
      this.#sink,
      JSON.stringify(data === undefined ? msg : { ...msg, data: true }),
      LIMIT,
    );
    const sent = data === undefined ? head : send_msg(this.#sink, data, LIMIT);
    this.#sent = sent;
    // The last message queued writes out everything queued before it.
    const flush = () => {
      if (this.#sent === sent) this.#flush();
    };
    head.catch(flush);
    sent.then(flush, flush);
  }

  /** Resolves once every message queued so far was written or dropped. */
  async flushed(): Promise<void> {
    await this.#sent.catch(() => {});
    this.#flush();
    await this.#last;
  }

  #queue(data: Uint8Array): Promise<void> {
    this.#pending.push(data);
    this.#bytes += data.length;
    if (this.#bytes >= FLUSH_BYTES) this.#flush();
    return Promise.resolve();
  }

  #flush(): void {
    const parts = this.#pending;
    if (parts.length === 0) return;
    const bytes = this.#bytes;
    this.#pending = [];
    this.#bytes = 0;
    if (parts.length === 1 || bytes >= FLUSH_BYTES) {
      // Large parts are not worth a copy: the stream queues them in order.
      for (const part of parts) {
        this.#last = this.#writer.write(part).catch(() => {});
      }
      return;
    }
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    this.#last = this.#writer.write(out).catch(() => {});
  }
}

// A byte stream as the receiving side of net's framing.
class StreamReceiver implements MsgReceiver {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = EMPTY;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async #fill(): Promise<boolean> {
    if (this.#chunk.length > 0) return true;
    const { done, value } = await this.#reader.read();
    if (done) return false;
    this.#chunk = value;
    return true;
  }

  /** Lets go of the stream, so a reader that stops early leaks nothing. */
  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }

  async recv(bufsize: number): Promise<Uint8Array> {
    if (!await this.#fill()) return EMPTY;
    const out = this.#chunk.subarray(0, bufsize);
    this.#chunk = this.#chunk.subarray(out.length);
    return out;
  }

  async recv_into(
    buffer: Uint8Array<ArrayBuffer>,
    nbytes: number = buffer.length,
  ): Promise<number> {
    if (!await this.#fill()) return 0;
    const n = Math.min(nbytes, this.#chunk.length);
    buffer.set(this.#chunk.subarray(0, n));
    this.#chunk = this.#chunk.subarray(n);
    return n;
  }
}

/**
 * Reads messages from a byte stream; ends at its end. The other side is
 * trusted to send `T`: it is the library's own code.
 */
export async function* read_frames<T>(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<T> {
  const source = new StreamReceiver(stream);
  try {
    for (let turns = 0; turns < Number.MAX_SAFE_INTEGER; turns++) {
      const head = await recv_msg(source, LIMIT);
      if (head === null) return;
      const msg = JSON.parse(decoder.decode(head));
      if (msg.data === true) {
        msg.data = await recv_msg(source, LIMIT);
        if (msg.data === null) {
          throw new IncompleteMessageError("header", 0, 4);
        }
      }
      yield msg;
    }
  } finally {
    await source.cancel();
  }
}

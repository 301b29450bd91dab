// Frames on a forked child's stdin and stdout.
import { EMPTY } from "./_protocol.ts";

// Frames on a child's stdin/stdout: u32 header length, u32 body length,
// header JSON, body bytes (the message's `data`, which the header marks as
// `true` so that empty bytes still arrive).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The largest frame accepted from the other side. */
const MAX_FRAME = 64 * 1024 * 1024;

/** Encodes one message as a frame. */
export function encode_frame(
  msg: { t: string; data?: Uint8Array },
): Uint8Array<ArrayBuffer> {
  const { data } = msg;
  const head = encoder.encode(
    JSON.stringify(data === undefined ? msg : { ...msg, data: true }),
  );
  const body = data ?? EMPTY;
  const frame = new Uint8Array(8 + head.length + body.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, head.length);
  view.setUint32(4, body.length);
  frame.set(head, 8);
  frame.set(body, 8 + head.length);
  return frame;
}

/**
 * Reads frames from a byte stream; ends at its end. The other side is
 * trusted to send `T`: it is the library's own code.
 */
export async function* read_frames<T>(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<T> {
  let buf: Uint8Array = EMPTY;
  for await (const chunk of stream) {
    if (buf.length === 0) buf = chunk;
    else {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
    }
    while (buf.length >= 8) {
      const view = new DataView(buf.buffer, buf.byteOffset, 8);
      const head = view.getUint32(0);
      const body = view.getUint32(4);
      if (head + body > MAX_FRAME) {
        throw new RangeError(
          `Cannot read frame: size must be at most ${MAX_FRAME}, received ${
            head + body
          }`,
        );
      }
      if (buf.length < 8 + head + body) break;
      const msg = JSON.parse(decoder.decode(buf.subarray(8, 8 + head)));
      if (msg.data === true) msg.data = buf.slice(8 + head, 8 + head + body);
      buf = buf.subarray(8 + head + body);
      yield msg;
    }
  }
}

/**
 * A socket's Web Streams: what `Socket.readable` and `Socket.writable`
 * create on first use.
 * @module
 */
import { SHUT_WR } from "./constants.ts";
import type { SocketType } from "./socket_type.ts";
import { READ_CHUNK } from "./_receive.ts";

/** The bytes `sock` receives, as a stream that ends at the peer's EOF. */
export function _readable_of(sock: SocketType): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const data = await sock.recv(READ_CHUNK);
      if (data.length === 0) controller.close();
      else controller.enqueue(data);
    },
  });
}

/** A stream into `sock`; closing it shuts down the sending side. */
export function _writable_of(sock: SocketType): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write: (chunk) => sock.sendall(chunk),
    close: () => sock.shutdown(SHUT_WR),
  });
}

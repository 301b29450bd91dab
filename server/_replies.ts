// How a datagram server's replies leave: agents hand them to the main
// thread, which sends them for the handler.
import {
  type Address,
  AF_UNIX,
  SOCK_DGRAM,
  type Socket,
  socket,
} from "../net/mod.ts";

/** Sends the replies of one server's agents. */
export class Replies {
  #socket: () => Socket;
  #failed: (data: Uint8Array, addr: Address, error: unknown) => Promise<void>;
  #reply: Socket | null = null;
  #replies: Promise<void> = Promise.resolve();

  /**
   * `server_socket` gives the server's socket; `failed` reports a reply that
   * could not be sent.
   */
  constructor(
    server_socket: () => Socket,
    failed: (data: Uint8Array, addr: Address, error: unknown) => Promise<void>,
  ) {
    this.#socket = server_socket;
    this.#failed = failed;
  }

  /** Sends one reply; failures go to the report callback. */
  sendto(data: Uint8Array, addr: Address): Promise<void> {
    const sock = this.#socket();
    if (sock.family !== AF_UNIX) return this.#send_one(sock, data, addr);
    // Deno refuses a send on a Unix datagram socket while a receive or
    // another send is outstanding ("Socket already in use"), and the
    // serving loop always keeps a receive: Unix replies leave one at a time
    // from an unbound socket of their own.
    const reply = this.#reply ??= socket(AF_UNIX, SOCK_DGRAM);
    const sent = this.#replies.then(() => this.#send_one(reply, data, addr));
    this.#replies = sent;
    return sent;
  }

  async #send_one(
    sock: Socket,
    data: Uint8Array,
    addr: Address,
  ): Promise<void> {
    try {
      await sock.sendto(data, addr);
    } catch (error) {
      await this.#failed(data, addr, error);
    }
  }

  /** Closes the socket Unix replies leave from, if one was opened. */
  async close(): Promise<void> {
    await this.#reply?.close();
  }
}

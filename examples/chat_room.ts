// deno run --allow-net=127.0.0.1:9999 examples/chat_room.ts
// A chat room: the last program DESIGN.md §6 lists, built from what the
// tutorials teach (/work/shared/tutorials/000_1006c350b253919f.txt, the
// socketserver section; 004_3c27c32903d497c7.txt's many clients on one
// thread): a SelectorTCPServer runs one handler per client on one thread,
// so the room, shared by all handlers, needs no lock.
//
// Protocol, one line each: the first line a client sends is its nickname;
// every later line goes to everyone else as "nick: text". Joins and leaves
// are announced ("* nick joined", "* nick left"); a client that vanishes
// (its connection reset, or a send to it failing) is dropped and announced
// as left. Try it with several `nc 127.0.0.1 9999`. One handler per client
// reads its lines; writes to a client queue on its wfile, in order.
//
// Flags: --host/--port (127.0.0.1:9999). It serves until SIGINT or SIGTERM,
// then tells everyone and closes.
import { parseArgs } from "node:util";
import { type Address, ConnectionError, OSError } from "../net/mod.ts";
import { SelectorTCPServer, StreamRequestHandler } from "../server/mod.ts";

const decoder = new TextDecoder();
// A line longer than this (in bytes) is relayed in pieces.
const MAX_LINE = 4096;

// Python's repr() of an address tuple: ('127.0.0.1', 50000)
function repr(address: Address): string {
  const [host, port] = address as [string, number];
  return `('${host}', ${port})`;
}

/** The server holds the room: every member's handler, by nickname. */
export class ChatServer extends SelectorTCPServer {
  /** Members in the order they joined. */
  readonly room: Map<string, ChatHandler> = new Map();
  /** Every connected client, named or not yet. */
  readonly clients: Set<ChatHandler> = new Set();
  /** True once the room is closing. */
  closing = false;

  /** Sends `line` to every member but `sender`. */
  broadcast(line: string, sender?: ChatHandler): void {
    for (const member of this.room.values()) {
      if (member !== sender) member.tell(line);
    }
  }
}

/** One client: asks its nickname, then relays its lines to the room. */
export class ChatHandler extends StreamRequestHandler {
  nick = "";
  gone = false;

  get room(): Map<string, ChatHandler> {
    return (this.server as ChatServer).room;
  }

  /**
   * Queues `line` for this client. wfile sends writes in order, one after
   * the other, so lines from different senders never mix.
   */
  tell(line: string): void {
    this.wfile.write(line).catch((err) => this.vanished(err));
  }

  /**
   * The client is gone (a send to it failed, or its connection was reset):
   * say so once, and close the connection, which also ends a pending read.
   */
  vanished(err: unknown): void {
    if (this.gone) return;
    this.gone = true;
    const server = this.server as ChatServer;
    if (this.nick !== "" && !server.closing) {
      console.log(`${this.nick} vanished: ${err}`);
    }
    // The connection closes once rfile does too, as in Python.
    void this.connection.close();
    void this.rfile.close();
  }

  override async handle(): Promise<void> {
    const server = this.server as ChatServer;
    server.clients.add(this);
    try {
      await this.wfile.write("Welcome to the chat room! Your nickname?\n");
      let first = "";
      while (first === "") { // blank lines: ask again
        const line = await this.rfile.readline(MAX_LINE);
        if (line.length === 0) return; // gone before saying who it is
        first = decoder.decode(line).trim();
      }
      // Two members cannot share a name: alice, alice2, alice3...
      let nick = first;
      for (let n = 2; this.room.has(nick); n++) nick = `${first}${n}`;
      this.nick = nick;
      const others = [...this.room.keys()];
      this.room.set(nick, this);
      console.log(`${nick} joined from ${repr(this.client_address)}`);
      this.tell(
        `* welcome, ${nick}! online: ${
          others.length > 0 ? others.join(", ") : "nobody else yet"
        }\n`,
      );
      server.broadcast(`* ${nick} joined\n`, this);

      for (;;) {
        const line = await this.rfile.readline(MAX_LINE); // longer: split
        if (line.length === 0) break; // the client closed its side
        const text = decoder.decode(line).trimEnd();
        if (text === "") continue;
        console.log(`${nick}: ${text}`);
        server.broadcast(`${nick}: ${text}\n`, this);
      }
    } catch (err) {
      if (err instanceof ConnectionError) {
        // A reset: the client vanished without saying goodbye.
        this.vanished(err);
      } else if (!(err instanceof OSError && (this.gone || server.closing))) {
        throw err; // not the read our own close() ended
      }
    }
  }

  override async finish(): Promise<void> {
    const server = this.server as ChatServer;
    server.clients.delete(this);
    if (this.nick !== "" && this.room.get(this.nick) === this) {
      this.room.delete(this.nick);
      console.log(`${this.nick} left`);
      if (!server.closing) server.broadcast(`* ${this.nick} left\n`);
    }
    try {
      await super.finish(); // flushes wfile
    } catch (err) {
      if (!(err instanceof OSError)) throw err; // gone: nothing to flush to
    }
  }
}

if (import.meta.main) {
  const { values: flags } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "9999" },
    },
  });
  if (!Number.isInteger(Number(flags.port))) {
    console.error("--port must be an integer");
    Deno.exit(2);
  }
  ChatServer.allow_reuse_address = true;
  await using server = new ChatServer(
    [flags.host, Number(flags.port)],
    ChatHandler,
  );
  const stop = async () => {
    if (server.closing) return;
    server.closing = true;
    console.log("stopping");
    server.broadcast("* the server is closing the room\n");
    // Send what is queued, then close every connection: that ends each
    // handler's pending read, and serve_forever() returns.
    await Promise.allSettled(
      [...server.clients].map(async (client) => {
        await client.wfile.flush();
        await client.connection.close();
        await client.rfile.close(); // the last file: the connection closes
      }),
    );
    await server.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(`chat room open on ${repr(server.server_address)}`);
  await server.serve_forever();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log("room closed");
}

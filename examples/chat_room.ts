// deno run --allow-net=127.0.0.1:9999 examples/chat_room.ts
// A chat room, built from what the tutorials teach (the socketserver chapter,
// and the select servers that serve many clients on one thread): a
// SelectorTCPServer runs one handler per client on one thread, so the room,
// shared by all handlers, needs no lock.
//
// Protocol, one line each: the first line a client sends is its nickname;
// every later line goes to everyone else as "nick: text". Joins and leaves
// are announced ("* nick joined", "* nick left"); a client that vanishes
// (its connection reset, or a send to it failing) is dropped and announced
// as left. Try it with several `nc 127.0.0.1 9999`. One handler per client
// reads its lines; writes to a client queue on its wfile, in order.
//
// Flags: --host/--port (127.0.0.1:9999), --max-members N (default 100: a
// client arriving when N are connected, named or not, is told the room is
// full and closed), --max-backlog BYTES (default 1 MiB: a member that does
// not read what the room sends it gets at most this much queued for it;
// past that it is dropped, and the room is told, so one stalled member
// cannot grow the server without bound). It serves until SIGINT or SIGTERM,
// then tells everyone and closes.
import { parseArgs } from "node:util";
import { ConnectionError, format_address, OSError } from "../net/mod.ts";
import { SelectorTCPServer, StreamRequestHandler } from "../server/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
// A line longer than this (in bytes) is relayed in pieces.
const MAX_LINE = 4096;

/** The server holds the room: every member's handler, by nickname. */
export class ChatServer extends SelectorTCPServer {
  /** Members in the order they joined. */
  readonly room: Map<string, ChatHandler> = new Map();
  /** Every connected client, named or not yet. */
  readonly clients: Set<ChatHandler> = new Set();
  /** True once the room is closing. */
  closing = false;
  /** Clients connected at once, named or not; more are turned away. */
  max_members = 100;
  /** Bytes queued for a member that does not read, before it is dropped. */
  max_backlog = 1024 * 1024;

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
  /** Bytes written to wfile whose write has not finished yet. */
  backlog = 0;

  get room(): Map<string, ChatHandler> {
    return (this.server as ChatServer).room;
  }

  /**
   * Queues `line` for this client. wfile sends writes in order, one after
   * the other, so lines from different senders never mix.
   */
  tell(line: string): void {
    if (this.gone) return;
    const size = encoder.encode(line).length;
    if (this.backlog + size > (this.server as ChatServer).max_backlog) {
      this.drop();
      return;
    }
    this.backlog += size;
    this.wfile.write(line).then(
      () => this.backlog -= size,
      (err) => this.vanished(err),
    );
  }

  /**
   * The member reads nothing while the room keeps talking: leave the room
   * at once (no more lines are queued for it), close the connection, which
   * lets go of what was queued, and tell the others.
   */
  drop(): void {
    const server = this.server as ChatServer;
    this.gone = true;
    if (this.room.get(this.nick) === this) this.room.delete(this.nick);
    console.log(
      `${this.nick} dropped: more than ${server.max_backlog} bytes unread`,
    );
    void this.connection.close();
    // Not from inside the broadcast that found the backlog full.
    queueMicrotask(() =>
      server.broadcast(`* ${this.nick} was dropped: not reading\n`)
    );
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
    if (server.clients.size >= server.max_members) {
      console.log(`turned away ${format_address(this.client_address)}: full`);
      await this.wfile.write(
        `* the room is full (${server.max_members} members), try later\n`,
      );
      return;
    }
    server.clients.add(this);
    try {
      await this.wfile.write("Welcome to the chat room! Your nickname?\n");
      let first = "";
      while (first === "") { // blank lines: ask again
        const line = await this.rfile.readline(MAX_LINE);
        if (line.length === 0) return; // gone before saying who it is
        first = printable(decoder.decode(line).trim());
      }
      // Two members cannot share a name: alice, alice2, alice3...
      let nick = first;
      for (let n = 2; this.room.has(nick); n++) nick = `${first}${n}`;
      this.nick = nick;
      const others = [...this.room.keys()];
      this.room.set(nick, this);
      console.log(`${nick} joined from ${format_address(this.client_address)}`);
      this.tell(
        `* welcome, ${nick}! online: ${
          others.length > 0 ? others.join(", ") : "nobody else yet"
        }\n`,
      );
      server.broadcast(`* ${nick} joined\n`, this);

      for (;;) {
        const line = await this.rfile.readline(MAX_LINE); // longer: split
        if (line.length === 0) break; // the client closed its side
        const text = printable(decoder.decode(line).trimEnd());
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
      "max-members": { type: "string", default: "100" },
      "max-backlog": { type: "string", default: String(1024 * 1024) },
    },
  });
  const port = number_flag("port", flags.port, "port");
  const max_members = number_flag(
    "max-members",
    flags["max-members"],
    "positive",
  );
  const max_backlog = number_flag(
    "max-backlog",
    flags["max-backlog"],
    "positive",
  );
  ChatServer.allow_reuse_address = true;
  await using server = new ChatServer(
    [flags.host, port],
    ChatHandler,
  );
  server.max_members = max_members;
  server.max_backlog = max_backlog;
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
  console.log(`chat room open on ${format_address(server.server_address)}`);
  await server.serve_forever();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log("room closed");
}

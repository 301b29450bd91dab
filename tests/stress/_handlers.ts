// Request handlers of the stress suite, in a module of their own so that
// threaded and forking servers can import them by URL in their workers.
import {
  BaseRequestHandler,
  DatagramRequestHandler,
  StreamRequestHandler,
} from "../../server/mod.ts";
import type { Socket } from "../../net/mod.ts";

/** Echoes raw chunks with recv/sendall until EOF. */
export class RawEcho extends BaseRequestHandler<Socket> {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for (let i = 0; i < 10_000_000; i++) {
      const data = await this.request.recv(65536);
      if (data.length === 0) return;
      await this.request.sendall(data);
    }
  }
}

/**
 * Echoes lines; "boom" throws, "slow N" waits N ms before echoing, "exit"
 * ends the worker or child process (only send it to pooled servers).
 */
export class LineEcho extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      const text = new TextDecoder().decode(line);
      if (text === "boom\n") throw new Error("boom from the stress handler");
      if (text === "exit\n") Deno.exit(3);
      const slow = /^slow (\d+)\n$/.exec(text);
      if (slow) await new Promise((r) => setTimeout(r, Number(slow[1])));
      await this.wfile.write(line);
    }
  }
}

/** LineEcho with a 0.5 s timeout on the connection (slowloris). */
export class TimedLineEcho extends LineEcho {
  /** Workers import this handler from here, whoever the main module is. */
  static override module: string = import.meta.url;
  /** Idle clients are dropped after this many seconds. */
  static override timeout: number | null = 0.5;
}

/** Echoes each datagram. */
export class DgramEcho extends DatagramRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override handle(): void {
    this.wfile.write(this.rfile.read());
  }
}

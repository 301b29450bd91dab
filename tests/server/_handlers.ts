// Request handlers the server behaviour suite runs. They are exported from a
// module of their own so that servers running handlers elsewhere (workers)
// can import them by URL; what they do is observable from the client side.
import {
  BaseRequestHandler,
  type DatagramRequest,
  DatagramRequestHandler,
  StreamRequestHandler,
} from "../../server/mod.ts";
import { IPPROTO_TCP, type Socket, TCP_NODELAY } from "../../net/mod.ts";

const decoder = new TextDecoder();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Echoes every line back. */
export class LineEcho extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for await (const line of this.rfile) await this.wfile.write(line);
  }
}

/** Echoes raw chunks with recv/sendall until EOF. */
export class RawEcho extends BaseRequestHandler<Socket> {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for (let i = 0; i < 100_000; i++) {
      const data = await this.request.recv(4096);
      if (data.length === 0) return;
      await this.request.sendall(data);
    }
  }
}

/**
 * Echoes lines; "boom" makes handle() throw after writing "partial"; the
 * overridden finish() then sends "finished" before the base one runs.
 */
export class Thrower extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      if (decoder.decode(line) === "boom\n") {
        await this.wfile.write("partial\n");
        throw new Error("boom from the handler");
      }
      await this.wfile.write(line);
    }
  }

  override async finish(): Promise<void> {
    await this.connection.sendall("finished\n");
    await super.finish();
  }
}

/** Greets at once, from a field a subclass initialises. */
export class Greeter extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  greeting = "field-initialised";
  seen_in_setup = "";

  override setup(): void {
    this.seen_in_setup = this.greeting;
    super.setup();
  }

  override async handle(): Promise<void> {
    await this.wfile.write(`${this.seen_in_setup}|${this.greeting}\n`);
  }
}

/** Echoes lines; "stop" calls shutdown() without awaiting it. */
export class Stopper extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      if (decoder.decode(line) === "stop\n") {
        void this.server.shutdown();
        await this.wfile.write("stopping\n");
        return;
      }
      await this.wfile.write(line);
    }
  }
}

/** Counts lines to EOF and reports what readline() returned there. */
export class EofCounter extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    let lines = 0;
    for (let i = 0; i < 1000; i++) {
      const line = await this.rfile.readline();
      if (line.length === 0) {
        const kind = line instanceof Uint8Array ? "Uint8Array" : typeof line;
        await this.wfile.write(`lines=${lines} eof=${kind}(${line.length})\n`);
        return;
      }
      lines++;
    }
  }
}

/** Size of what BigWriter and BufferedWriter send. */
export const BIG = 1 << 20;

/** A byte pattern of `size` bytes the client can check. */
export function pattern(size: number, offset = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i + offset) % 251;
  return out;
}

/** Writes 1 MiB in chunks without awaiting any write, then returns. */
export class BigWriter extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override handle(): void {
    const chunk = 64 * 1024;
    for (let at = 0; at < BIG; at += chunk) {
      void this.wfile.write(pattern(chunk, at));
    }
  }
}

/** Writes 1 MiB into a buffered wfile that only finish() flushes. */
export class BufferedWriter extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  static override wbufsize = 2 * BIG;
  override async handle(): Promise<void> {
    const chunk = 4096;
    for (let at = 0; at < BIG; at += chunk) {
      await this.wfile.write(pattern(chunk, at));
    }
  }
}

/** Echoes lines; reads time out after 0.6 s of silence. */
export class IdleTimeout extends LineEcho {
  static override timeout = 0.6;
}

/** Reports TCP_NODELAY as the handler sees it. */
export class NoDelay extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  static override disable_nagle_algorithm = true;
  override async handle(): Promise<void> {
    const value = this.connection.getsockopt(IPPROTO_TCP, TCP_NODELAY);
    await this.wfile.write(
      `nodelay=${value} flag=${this.disable_nagle_algorithm}\n`,
    );
  }
}

/** Replies to one line, then holds 0.8 s before it ends. */
export class Holder extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    const line = await this.rfile.readline();
    await this.wfile.write(line);
    await delay(800);
    await this.wfile.write("held\n");
  }
}

/** Echoes each datagram through rfile and wfile. */
export class DgramEcho extends DatagramRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override handle(): void {
    this.wfile.write(this.rfile.read());
  }
}

/** Echoes each datagram with the request pair and sendto. */
export class DgramRaw extends BaseRequestHandler<DatagramRequest> {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    const [data, sock] = this.request;
    await sock.sendto(data, this.client_address);
  }
}

/**
 * Echoes datagrams: "slow" is answered after 0.6 s, "boom" writes
 * "partial" then throws (finish() still sends it), "stop" calls
 * shutdown(), "hold" waits 0.8 s.
 */
export class DgramScript extends DatagramRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    const text = decoder.decode(this.packet);
    if (text === "slow") await delay(600);
    if (text === "hold") await delay(800);
    if (text === "boom") {
      this.wfile.write("partial");
      throw new Error("boom from the handler");
    }
    if (text === "stop") void this.server.shutdown();
    this.wfile.write(this.packet);
  }
}

/** Greets with a field a subclass initialises, over datagrams. */
export class DgramGreeter extends DatagramRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  greeting = "field-initialised";
  seen_in_setup = "";

  override setup(): void {
    this.seen_in_setup = this.greeting;
    super.setup();
  }

  override handle(): void {
    this.wfile.write(`${this.seen_in_setup}|${this.greeting}`);
  }
}

/** Echoes lines; "slow" lines are answered after 0.6 s. */
export class SlowLine extends StreamRequestHandler {
  /** Workers import this handler from here, whoever the main module is. */
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    for await (const line of this.rfile) {
      if (decoder.decode(line) === "slow\n") await delay(600);
      await this.wfile.write(line);
    }
  }
}

/**
 * Small helpers shared by the net tests: timers that never outlive their
 * call, a free-then-closed port, a connected TCP trio, and python3 peers.
 */
import {
  create_connection,
  create_server,
  type IPv4Address,
  Socket,
} from "../../net/mod.ts";

/** Loopback, the only address these tests talk to. */
export const LOOP = "127.0.0.1";

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Settles like `promise`, or rejects after `ms` so a hung call fails the test
 * instead of hanging the run; the timer is always cleared.
 */
export async function bounded<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: still pending after ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds `fn` took to settle, and how it settled. */
export async function timed(
  fn: () => Promise<unknown>,
): Promise<{ ms: number; error: unknown }> {
  const start = performance.now();
  let error: unknown = undefined;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - start, error };
}

/** A loopback address where nothing listens (bound to port 0, then closed). */
export async function closedPort(): Promise<[string, number]> {
  const probe = new Socket();
  probe.bind([LOOP, 0]);
  const addr = probe.getsockname() as [string, number];
  await probe.close();
  return addr;
}

/** A listening server, a client connected to it and the accepted socket. */
export interface Trio extends AsyncDisposable {
  server: Socket;
  client: Socket;
  conn: Socket;
  /** The server's address. */
  addr: IPv4Address;
}

/** Makes a {@linkcode Trio} on loopback port 0. */
export async function tcpTrio(): Promise<Trio> {
  const server = create_server([LOOP, 0]);
  const addr = server.getsockname() as IPv4Address;
  const client = await create_connection(addr);
  const [conn] = await server.accept();
  return {
    server,
    client,
    conn,
    addr,
    async [Symbol.asyncDispose]() {
      await Promise.all([client.close(), conn.close(), server.close()]);
    },
  };
}

/** `n` pseudo-random bytes (not for cryptography). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  }
  return out;
}

/** The concatenation of `parts`. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads from `sock` until EOF (bounded by `most` bytes). */
export async function recvAll(
  sock: Socket,
  most = 64 << 20,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total <= most) {
    const part = await sock.recv(65536);
    if (part.length === 0) break;
    parts.push(part);
    total += part.length;
  }
  return concat(parts);
}

/**
 * A python3 child running `script` (with `args` as `sys.argv[1:]`); its
 * stdout is read line by line. Disposing kills it if still running.
 */
export class Python implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #reader: ReadableStreamDefaultReader<string>;
  #text = "";
  #status: Promise<Deno.CommandStatus>;

  constructor(script: string, args: string[] = []) {
    this.#child = new Deno.Command("python3", {
      args: ["-u", "-c", script, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#status = this.#child.status;
    this.#reader = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
  }

  /** The next line python printed (without "\n"); rejects at EOF. */
  async line(ms = 10_000): Promise<string> {
    for (let i = 0; i < 10_000; i++) {
      const end = this.#text.indexOf("\n");
      if (end >= 0) {
        const line = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 1);
        return line;
      }
      const { value, done } = await bounded(
        this.#reader.read(),
        ms,
        "python3 peer output",
      );
      if (done) throw new Error(`python3 peer ended; partial: ${this.#text}`);
      this.#text += value;
    }
    throw new Error("python3 peer: too many reads for one line");
  }

  /** Waits for the child to exit and returns its code. */
  async exit(ms = 10_000): Promise<number> {
    return (await bounded(this.#status, ms, "python3 peer exit")).code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await this.#reader.cancel().catch(() => {});
    await this.#status;
  }
}

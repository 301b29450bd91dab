// Shared helpers of the stress suite: a seeded PRNG, timeouts, checksums.

// An environment variable; unset in the test servers, which run without
// --allow-env.
function env(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  return state === "granted" ? Deno.env.get(name) : undefined;
}

/** The seed every stress test starts from (STRESS_SEED overrides it). */
export const SEED: number = Number(env("STRESS_SEED") ?? 0x5eed);

/** Whether the long form runs (STRESS_FULL=1). */
export const FULL: boolean = env("STRESS_FULL") === "1";

/** A small seeded PRNG (mulberry32): same seed, same sequence. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** `n` random bytes; `newline_rate` of them are "\n". */
  bytes(n: number, newline_rate = 0): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.next() < newline_rate ? 10 : this.int(0, 255);
    }
    return out;
  }
  /** A random split of `data` into non-empty pieces. */
  segments(data: Uint8Array, max_piece: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let at = 0; at < data.length;) {
      const n = Math.min(this.int(1, max_piece), data.length - at);
      out.push(data.subarray(at, at + n));
      at += n;
    }
    return out;
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `promise` is not settled within `ms` (a hang fails fast). */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not settle in ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Joins byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** FNV-1a over `data`, as 8 hex digits. */
export function fnv(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** Whether two byte arrays hold the same bytes. */
export function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The VmRSS of process `pid` in KiB, read with `cat` (null once gone). */
export async function rss_kib(pid: number): Promise<number | null> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return null;
  const m = /VmRSS:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
  return m ? Number(m[1]) : null;
}

/**
 * Reads a subprocess's stdout as JSON lines: `next()` returns the next
 * line's value (each read bounded by `ms`), `cancel()` stops reading.
 */
export function json_lines(
  stdout: ReadableStream<Uint8Array>,
  ms = 20_000,
): {
  next<T = Record<string, number>>(): Promise<T>;
  cancel(): Promise<void>;
} {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    async next<T>(): Promise<T> {
      for (let i = 0; i < 100 && !buffered.includes("\n"); i++) {
        const { value, done } = await within(reader.read(), ms, "a line");
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
      }
      const at = buffered.indexOf("\n");
      if (at < 0) throw new Error("the subprocess printed no line");
      const text = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      return JSON.parse(text) as T;
    },
    cancel: () => reader.cancel(),
  };
}

/** This process's stdin, line by line (without the "\n"), until it ends. */
export async function* stdin_lines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    yield* lines;
  }
}

/** Runs `fn` with a new temporary folder, removed after (Unix sockets). */
export async function with_temp_dir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pysock-stress-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

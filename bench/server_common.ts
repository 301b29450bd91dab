/**
 * Shared parts of the server benchmarks: the raw Deno echo loop they compare
 * against, CPython's `socketserver.ThreadingTCPServer` as a subprocess, and
 * a runner for bench/server_load.ts (its own process).
 *
 * @module
 */

/** A server a benchmark can load: its port and how to stop it. */
export interface Target {
  name: string;
  port: number;
  stop(): Promise<void>;
}

/** Medians, for rounds run interleaved on a noisy machine. */
export function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The baseline: one task per connection, `read()` then `write()` back. */
export function raw_echo(): Target {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const serve = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        for (let off = 0; off < n;) {
          off += await conn.write(buf.subarray(off, n));
        }
      }
    } catch {
      // The client went away.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const task = serve(conn).finally(() => tasks.delete(task));
      tasks.add(task);
    }
  })().catch(() => {});
  return {
    name: "raw Deno loop",
    port: (listener.addr as Deno.NetAddr).port,
    async stop() {
      listener.close();
      await accepting;
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Closed already.
        }
      }
      await Promise.all(tasks);
    },
  };
}

const PY_SERVER = `
import socketserver, sys, threading
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
with Server(("127.0.0.1", 0), Echo) as server:
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()
`;

/** CPython's ThreadingTCPServer + StreamRequestHandler line echo. */
export async function python_echo(): Promise<Target | null> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("python3", {
      args: ["-u", "-c", PY_SERVER],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch {
    return null; // no python3
  }
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  const port = Number(text.trim());
  const draining = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    name: "CPython ThreadingTCPServer",
    port,
    async stop() {
      await child.stdin.close();
      const timer = setTimeout(() => {
        try {
          Deno.kill(child.pid, "SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await draining;
    },
  };
}

/** Runs bench/server_load.ts against `port`; returns round trips per second. */
export async function load(
  port: number,
  clients: number,
  seconds: number,
  size: number,
): Promise<number> {
  const script = new URL("./server_load.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      script,
      "--port",
      String(port),
      "--clients",
      String(clients),
      "--seconds",
      String(seconds),
      "--size",
      String(size),
    ],
    stdout: "piped",
    stderr: "inherit",
    env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
  }).output();
  if (!out.success) throw new Error("The load generator failed");
  const report = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    rate: number;
  };
  return report.rate;
}

/** The median over rounds of `a[i] / b[i]`. */
export function ratio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]!));
}

/** Formats a rate. */
export function fmt(rate: number): string {
  return `${Math.round(rate).toLocaleString("en-US")} round trips/s`;
}

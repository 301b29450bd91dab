// The entry of every forked server child: messages come as frames on stdin
// and go as frames on stdout. The child ends when stdin ends, so it never
// outlives its parent.
import { run_agent } from "./_agent.ts";
import { encode_frame, read_frames } from "./_frames.ts";
import type { ToAgent } from "./_protocol.ts";

// stdout carries frames: what handlers print goes to stderr.
for (const name of ["log", "info", "debug", "dir", "table"] as const) {
  // deno-lint-ignore no-explicit-any
  (console as any)[name] = console.error;
}

const writer = Deno.stdout.writable.getWriter();
let writes: Promise<void> = Promise.resolve();
const state: { handler: ((msg: ToAgent) => void) | null } = { handler: null };

run_agent({
  post: (msg) => {
    const frame = encode_frame(msg);
    writes = writes.then(() => writer.write(frame)).catch(() => {});
  },
  listen: (h) => {
    state.handler = h;
  },
  exit: () => {
    void writes.then(() => Deno.exit(0));
  },
});

try {
  for await (const msg of read_frames<ToAgent>(Deno.stdin.readable)) {
    state.handler?.(msg);
  }
} catch {
  // A broken pipe: the parent is gone.
}
await writes;
Deno.exit(0);

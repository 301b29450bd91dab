// The entry of every forked server child: messages come as frames on stdin
// and go as frames on stdout. The child ends when stdin ends, so it never
// outlives its parent.
import { run_agent } from "./_agent.ts";
import { FrameWriter, read_frames } from "./_frames.ts";
import type { FromAgent, ToAgent } from "./_protocol.ts";

// stdout carries frames: what handlers print goes to stderr.
for (const name of ["log", "info", "debug", "dir", "table"] as const) {
  // deno-lint-ignore no-explicit-any
  (console as any)[name] = console.error;
}

const frames = new FrameWriter<FromAgent>(Deno.stdout.writable.getWriter());
const state: { handler: ((msg: ToAgent) => void) | null } = { handler: null };

run_agent({
  post: (msg) => frames.write(msg),
  listen: (h) => {
    state.handler = h;
  },
  exit: () => {
    void frames.flushed().then(() => Deno.exit(0));
  },
});

try {
  for await (const msg of read_frames<ToAgent>(Deno.stdin.readable)) {
    state.handler?.(msg);
  }
} catch {
  // A broken pipe: the parent is gone.
}
await frames.flushed();
Deno.exit(0);

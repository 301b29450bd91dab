// The entry of every server worker. It never is the user's main module, so
// `import.meta.main` stays false in the handler module the worker imports.
import { run_agent } from "./_agent.ts";
import {
  type AgentExit,
  type FromAgent,
  type ToAgent,
  transfers,
} from "./_protocol.ts";

interface WorkerScope {
  postMessage(message: FromAgent | AgentExit, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToAgent>) => void) | null;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;

// A handler that closes its worker or exits gives the main thread no event:
// say so first, so the pool replaces the worker and closes its clients.
const close = scope.close.bind(scope);
scope.close = () => {
  scope.postMessage({ t: "exit", reason: "a handler called self.close()" });
  close();
};
const exit = Deno.exit;
Deno.exit = ((code?: number) => {
  scope.postMessage({
    t: "exit",
    reason: `a handler called Deno.exit(${code ?? 0})`,
  });
  return exit(code);
}) as typeof Deno.exit;

run_agent({
  post: (msg) => scope.postMessage(msg, transfers(msg)),
  listen: (handler) => {
    scope.onmessage = (event) => handler(event.data);
  },
  // The main thread terminates the worker once it drained.
  exit: () => {},
});

/**
 * Real UDP broadcast between two network namespaces joined by a veth pair,
 * through our socket API. Each side is a `deno run` of _netns_broadcast_peer.ts
 * under `ip netns exec`. Needs root and iproute2; skipped (ignored) otherwise.
 * The addresses are private ones that exist only inside the namespaces made
 * here, which are always deleted.
 */
import assert from "node:assert/strict";
import { commandIn, createVethPair, netnsSkipReason } from "../_netns.ts";

const skip = await netnsSkipReason();
if (skip !== undefined) {
  console.log(`broadcast_netns_test.ts: skipping, ${skip}`);
}

const PEER = new URL("./_netns_broadcast_peer.ts", import.meta.url).pathname;
// The namespaces are new and empty, so a fixed port cannot be taken.
const PORT = 50_000;
// Bounds every child: the receiver gives up after RECV_TIMEOUT seconds, and
// anything still running after KILL_AFTER_MS is killed.
const RECV_TIMEOUT = 5;
const KILL_AFTER_MS = 20_000;

type Json = Record<string, unknown>;

interface Peer {
  /** Resolves once the peer printed its first JSON line. */
  first: Promise<Json>;
  /** Every line it printed, once it exited successfully. */
  done: Promise<Json[]>;
}

/** Starts a peer in namespace `ns`, `--allow-net` scoped to `allow`. */
type Run = (ns: string, allow: string, args: string[]) => Peer;

/** Runs the peer script inside `ns` with `--allow-net` scoped to `allow`. */
function runPeer(
  ns: string,
  allow: string,
  args: string[],
  signal: AbortSignal,
): Peer {
  const child = commandIn(ns, Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-lock",
    "--unstable-net",
    `--allow-net=${allow}`,
    PEER,
    ...args,
  ], { stdin: "null", stdout: "piped", stderr: "piped", signal }).spawn();
  let resolveFirst!: (value: Json) => void;
  const first = new Promise<Json>((resolve) => resolveFirst = resolve);
  const lines: Json[] = [];
  const stdout = (async () => {
    let text = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      text += chunk;
      let end;
      while ((end = text.indexOf("\n")) >= 0) {
        const line = text.slice(0, end);
        text = text.slice(end + 1);
        lines.push(JSON.parse(line));
        if (lines.length === 1) resolveFirst(lines[0]!);
      }
    }
  })();
  const done = (async () => {
    const [stderr, status] = await Promise.all([
      new Response(child.stderr).text(),
      child.status,
      stdout,
    ]);
    const killed = signal.aborted ? " (killed: still running)" : "";
    const what = `peer ${args.join(" ")} in ${ns}${killed}`;
    assert.ok(status.success, `${what} exited ${status.code}:\n${stderr}`);
    return lines;
  })();
  // A peer that dies before printing makes `first` reject with its stderr.
  const firstOrDied = Promise.race([
    first,
    done.then(() => {
      throw new Error(`peer ${args.join(" ")} printed nothing`);
    }),
  ]);
  done.catch(() => {}); // observed by the caller; no unhandled rejection
  firstOrDied.catch(() => {});
  return { first: firstOrDied, done };
}

/**
 * Runs `body` with a `run` that starts peers; every peer still running after
 * KILL_AFTER_MS, or when `body` ends (a failed assertion, say), is killed
 * and awaited, so no child outlives the test.
 */
async function bounded(body: (run: Run) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), KILL_AFTER_MS);
  const peers: Peer[] = [];
  try {
    await body((ns, allow, args) => {
      const peer = runPeer(ns, allow, args, controller.signal);
      peers.push(peer);
      return peer;
    });
  } finally {
    clearTimeout(timer);
    controller.abort();
    await Promise.allSettled(peers.map((peer) => peer.done));
  }
}

Deno.test({
  name: "sendto() with SO_BROADCAST reaches another namespace over veth",
  ignore: skip !== undefined,
  async fn() {
    await using net = await createVethPair();
    const message = `hello from ${Deno.pid}`;
    await bounded(async (run) => {
      const receiver = run(net.ns[1], `0.0.0.0:${PORT}`, [
        "recv",
        "",
        String(PORT),
        String(RECV_TIMEOUT),
      ]);
      assert.deepEqual(await receiver.first, { ready: true });
      const sender = run(net.ns[0], `0.0.0.0,${net.broadcast}:${PORT}`, [
        "send",
        net.broadcast,
        String(PORT),
        message,
      ]);
      assert.deepEqual(await sender.done, [{
        option: 1,
        sent: message.length,
      }]);
      const [, got] = await receiver.done;
      assert.deepEqual(
        { data: got?.["data"], host: (got?.["addr"] as unknown[])?.[0] },
        { data: message, host: net.addr[0] },
        `receiver printed ${JSON.stringify(got)}`,
      );
    });
  },
});

Deno.test({
  name:
    "sendto() to a broadcast address without SO_BROADCAST throws PermissionError (errno 13) and sends nothing",
  ignore: skip !== undefined,
  async fn() {
    await using net = await createVethPair();
    const message = `second try from ${Deno.pid}`;
    await bounded(async (run) => {
      const receiver = run(net.ns[1], `0.0.0.0:${PORT}`, [
        "recv",
        "",
        String(PORT),
        String(RECV_TIMEOUT),
      ]);
      assert.deepEqual(await receiver.first, { ready: true });
      const sender = run(net.ns[0], `0.0.0.0,${net.broadcast}:${PORT}`, [
        "refuse",
        net.broadcast,
        String(PORT),
        message,
      ]);
      assert.deepEqual(await sender.done, [
        { refused: { name: "PermissionError", errno: 13 } },
        { option: 1, sent: message.length },
      ]);
      // The first datagram to arrive is the one sent after setting the
      // option: the refused sendto put nothing on the wire.
      const [, got] = await receiver.done;
      assert.deepEqual(
        got?.["data"],
        message,
        `receiver printed ${JSON.stringify(got)}`,
      );
    });
  },
});

// The agent side of a threaded or forking server: what runs in each Web
// Worker or child Deno process, behind a port to the main thread.
import { type Address, SHUT_WR, type Socket } from "../net/mod.ts";
import { BaseServer } from "./base.ts";
import type { TCPServer } from "./stream.ts";
import { type AnyServer, stand_in, type StandInHooks } from "./_stand_in.ts";
import { AGENT, how_to_fix } from "./_locate.ts";
import { memory_pair } from "./_memory_pair.ts";
import { rejoin_shared, release_shared } from "./_shared_listener.ts";
import { Tasks } from "./_tasks.ts";
import {
  type AgentInit,
  CHUNK,
  type ErrorInfo,
  type FromAgent,
  own_bytes,
  take_ack,
  to_info,
  type ToAgent,
  WINDOW,
} from "./_protocol.ts";

/** How an agent talks to the main thread. */
export interface AgentPort {
  post(msg: FromAgent): void;
  listen(handler: (msg: ToAgent) => void): void;
  /** Ends the agent once it drained. */
  exit(): void;
}

// One relayed stream, agent side.
interface AgentRelay {
  /** The relay's end of the handler's in-memory socket pair. */
  outer: Socket;
  writes: Promise<void>;
  /** The handler's bytes posted but not yet acked by the main thread. */
  in_flight: number;
  /** The client's bytes written to the handler, not yet acked. */
  unacked: number;
  /** Wakes the pump waiting for acks. */
  wake: (() => void) | null;
}

/** Runs an agent: waits for "init", then serves until "stop". */
export function run_agent(port: AgentPort): void {
  let handle: ((msg: ToAgent) => void) | null = null;
  let queue: Promise<void> = Promise.resolve();
  port.listen((msg) => {
    if (msg.t === "init") {
      queue = start_agent(port, msg.init).then((h) => {
        handle = h;
      }, (error) => {
        port.post({ t: "failed", error: to_info(error) });
      });
      return;
    }
    // Kept in order behind the start.
    queue = queue.then(() => handle?.(msg)).catch((error) => {
      console.error(error);
    });
  });
}

async function start_agent(
  port: AgentPort,
  init: AgentInit,
): Promise<(msg: ToAgent) => void> {
  (globalThis as Record<symbol, unknown>)[AGENT] = true;
  const mod = await import(init.module) as Record<string, unknown>;
  const cls = mod[init.name];
  if (typeof cls !== "function") {
    throw new RangeError(
      `Cannot start ${init.kind}: module ${init.module} has no export '${init.name}' holding the handler class; ${
        how_to_fix(init.name, init.module)
      }`,
    );
  }
  const handler = cls as never;
  const shared = init.counter !== undefined
    ? new Int32Array(init.counter)
    : null;
  const tasks = new Tasks((n) => {
    if (shared !== null) Atomics.store(shared, 0, n);
    else port.post({ t: "count", n });
  });
  const cids = new WeakMap<object, number>();
  const relays = new Map<number, AgentRelay>();
  const verifies = new Map<number, (ok: boolean) => void>();
  const stops: (() => void)[] = [];
  const pumps = new Set<number>();
  let pumps_idle: (() => void) | null = null;
  let next_seq = 1;
  let timed_out = false;

  // The hooks every stand-in server shares.
  const hooks: StandInHooks = {
    shutdown(): Promise<void> {
      port.post({ t: "shutdown" });
      return new Promise<void>((resolve) => stops.push(resolve));
    },
    handle_error(request: unknown, addr: Address, error: unknown): void {
      const msg: FromAgent = { t: "error", addr, error: to_info(error) };
      if (Array.isArray(request)) msg.data = request[0] as Uint8Array;
      const cid = typeof request === "object" && request !== null
        ? cids.get(request)
        : undefined;
      if (cid !== undefined) msg.cid = cid;
      port.post(msg);
    },
    verify_request(
      request: unknown,
      addr: Address,
    ): boolean | Promise<boolean> {
      if (!init.verify) return true;
      const seq = next_seq++;
      const msg: FromAgent = { t: "verify", seq, addr };
      if (Array.isArray(request)) msg.data = request[0] as Uint8Array;
      port.post(msg);
      return new Promise<boolean>((resolve) => verifies.set(seq, resolve));
    },
    handle_timeout(): void {
      timed_out = true;
    },
  };

  const { server, make_listener } = await stand_in(
    init,
    handler,
    hooks,
    tasks,
    (data, addr) => port.post({ t: "sendto", data, addr }),
  );

  let serving: Promise<void> | null = null;
  // A TCP agent's listeners, bound when it first serves.
  const listeners: AnyServer[] = [];
  const pause = async () => {
    if (serving === null) return;
    await Promise.all(
      listeners.map((one) => BaseServer.prototype.shutdown.call(one)),
    );
    await serving.catch((error) => console.error(error));
    serving = null;
  };

  port.post({ t: "ready" });

  const open = (cid: number, addr: Address) => {
    const [inner, outer] = memory_pair();
    const relay: AgentRelay = {
      outer,
      writes: Promise.resolve(),
      in_flight: 0,
      unacked: 0,
      wake: null,
    };
    relays.set(cid, relay);
    cids.set(inner, cid);
    tasks.start(server, inner, addr);
    pumps.add(cid);
    void pump(cid, relay);
  };

  // Posts what the handler writes to the main thread, within the window.
  const pump = async (cid: number, relay: AgentRelay) => {
    const { outer } = relay;
    try {
      for (let turns = 0; turns < Number.MAX_SAFE_INTEGER; turns++) {
        // A client that stops reading stops the acks: the handler's writes
        // then wait at the pair's bounded buffer.
        while (relay.in_flight >= WINDOW) {
          await new Promise<void>((resolve) => relay.wake = resolve);
          relay.wake = null;
        }
        const data = own_bytes(await outer.recv(CHUNK));
        if (data.length === 0) break;
        relay.in_flight += data.length;
        port.post({ t: "data", cid, data });
      }
    } catch {
      // The handler's side reset: the relay ends here.
    }
    // Replies to data the handler never read are not owed: stop waiting.
    await relay.writes;
    port.post({ t: "close", cid });
    relays.delete(cid);
    await outer.close();
    pumps.delete(cid);
    pumps_idle?.();
  };

  // Binds a TCP agent's listeners the first time; resolves to what went
  // wrong, or null.
  let opening: Promise<ErrorInfo | null> | null = null;
  const open_listeners = (): Promise<ErrorInfo | null> =>
    opening ??= (async () => {
      try {
        for (let i = 0; i < Math.max(1, init.listeners); i++) {
          const one = i === 0 ? server : make_listener();
          listeners.push(one);
          try {
            (one as unknown as TCPServer).server_bind();
            (one as unknown as TCPServer).server_activate();
          } catch (error) {
            // Only the first is needed; extras share the process's
            // descriptors with the clients, so stop at the first refusal.
            if (i === 0) throw error;
            listeners.pop();
            await one.server_close();
            break;
          }
        }
        return null;
      } catch (error) {
        for (const one of listeners.splice(0)) await one.server_close();
        opening = null;
        return to_info(error);
      }
    })();

  // A worker's copy of the shared listening socket is open only while it
  // serves or handles a request: paused, it must accept nothing.
  let released = false;
  const release = async (): Promise<boolean> => {
    if (!init.shared || listeners.length === 0) return false;
    released = true;
    return await release_shared(server.socket);
  };
  const rejoin = () => {
    if (!released || server.socket.fileno() < 0) return;
    rejoin_shared(
      server.socket,
      init.server_address as [string, number],
      init.request_queue_size,
    );
    released = false;
  };

  const serve = async (poll: number) => {
    if (serving === null && init.mode === "listen") {
      const error = await open_listeners();
      if (error !== null) {
        port.post({ t: "serve_failed", error });
        return;
      }
      rejoin();
      serving = Promise.all(listeners.map((one) => one.serve_forever(poll)))
        .then(() => {});
    }
    port.post({ t: "serving" });
  };
  // The server's handle_request(), for an agent that shares the main
  // thread's listening socket: the main thread accepts nothing itself.
  // Not a lifecycle step: a "stop" meanwhile closes the listener, which
  // ends the wait.
  const handle = async (timeout: number | null) => {
    const error = await open_listeners();
    if (error !== null) {
      port.post({ t: "handled", timed_out: false, holding: false, error });
      return;
    }
    rejoin();
    timed_out = false;
    server.timeout = timeout;
    let failure: ErrorInfo | undefined;
    try {
      await server.handle_request();
    } catch (error) {
      failure = to_info(error);
    }
    const holding = await release();
    port.post(
      failure === undefined
        ? { t: "handled", timed_out, holding }
        : { t: "handled", timed_out: false, holding, error: failure },
    );
  };
  const stop = async () => {
    await pause();
    await server.server_close();
    for (const one of listeners.slice(1)) await one.server_close();
    await tasks.join();
    // Every relayed reply must reach the main thread before "drained".
    while (pumps.size > 0) {
      await new Promise<void>((resolve) => pumps_idle = resolve);
      pumps_idle = null;
    }
    port.post({ t: "drained" });
    port.exit();
  };
  // "serve", "pause" and "stop" run in order, and no other message waits
  // for them: a pause or stop waits for handlers that still need "data",
  // "eof" and "verified" to go on.
  let lifecycle: Promise<void> = Promise.resolve();
  const next = (step: () => Promise<void>) => {
    lifecycle = lifecycle.then(step).catch((error) => console.error(error));
  };

  return (msg: ToAgent) => {
    switch (msg.t) {
      case "serve":
        next(() => serve(msg.poll));
        break;
      case "handle":
        // After the lifecycle steps before it, without holding up those after.
        void lifecycle.then(() => handle(msg.timeout));
        break;
      case "pause":
        next(async () => {
          await pause();
          port.post({ t: "paused", holding: await release() });
        });
        break;
      case "stop":
        next(stop);
        break;
      case "open":
        open(msg.cid, msg.addr);
        break;
      case "data":
      case "eof": {
        const relay = relays.get(msg.cid);
        if (relay === undefined) {
          if (msg.t === "data") {
            port.post({ t: "ack", cid: msg.cid, n: msg.data.length });
          }
          break;
        }
        relay.writes = relay.writes.then(async () => {
          try {
            if (msg.t === "data") await relay.outer.sendall(msg.data);
            else await relay.outer.shutdown(SHUT_WR);
          } catch {
            // The handler is gone; what it did not read is dropped.
          }
          const n = msg.t === "data" ? take_ack(relay, msg.data.length) : 0;
          if (n > 0) port.post({ t: "ack", cid: msg.cid, n });
        });
        break;
      }
      case "ack": {
        const relay = relays.get(msg.cid);
        if (relay === undefined) break;
        relay.in_flight -= msg.n;
        relay.wake?.();
        break;
      }
      case "dgram":
        tasks.start(
          server,
          [msg.data, server.socket],
          msg.addr,
          () => port.post({ t: "done" }),
        );
        break;
      case "verified":
        verifies.get(msg.seq)?.(msg.ok);
        verifies.delete(msg.seq);
        break;
      case "stopped":
        for (const resolve of stops.splice(0)) resolve();
        break;
    }
  };
}

// One listening socket for a threaded TCP server and all its workers.
//
// Deno cannot hand a connection to another thread, but it can hand a
// listening socket to every thread of one process: a listener made with
// `loadBalanced` is a per-process socket that each thread joins with its own
// copy of the descriptor (Deno's `deno serve --parallel` does the same).
// Every connection then waits in one accept queue, and whichever worker is
// free takes it: the main thread accepts nothing and relays nothing, and no
// listener going away resets what queued on it. Unlike SO_REUSEPORT, no
// other process can join the port.
import { _tls_hooks, EADDRINUSE, type Socket } from "../net/mod.ts";

/** How often a port that another program took meanwhile is tried again. */
const ATTEMPTS = 8;

/** The sockets bound here, so that the server can tell its workers to join. */
const shared = new WeakSet<Socket>();

/** Whether `sock` holds a listening socket its process's workers can join. */
export function is_shared(sock: Socket): boolean {
  return shared.has(sock);
}

/**
 * Turns `sock`, bound by the server's own `server_bind()`, into the
 * process's shared listening socket for the same address. Deno refuses to
 * join a port that a socket of its own already holds, so the plain bind is
 * what checks the address (and finds the port for port 0); it is then
 * released and bound again, shared. When port 0 was asked for and another
 * program takes the port in between, another free port is tried.
 *
 * @throws {OSError} When the address cannot be bound.
 */
export function share_listener(
  sock: Socket,
  requested: readonly [string, number, ...unknown[]],
): void {
  for (let attempt = 1;; attempt++) {
    const taken = _tls_hooks.take(sock);
    if (taken === null || !("listener" in taken)) {
      throw new TypeError("Cannot share a listener: the socket is not bound");
    }
    const { hostname, port } = taken.listener.addr as Deno.NetAddr;
    taken.listener.close();
    try {
      _tls_hooks.put(sock, {
        listener: listen_shared(hostname, port),
        listening: taken.listening,
      }, null);
      shared.add(sock);
      return;
    } catch (error) {
      const mapped = _tls_hooks.to_oserror(error);
      if (
        mapped.errno !== EADDRINUSE || requested[1] !== 0 || attempt >= ATTEMPTS
      ) {
        throw mapped;
      }
      sock.bind(requested as [string, number]);
    }
  }
}

/**
 * Binds fresh `sock` to the listening socket its server's main thread
 * shares at `address` (a worker's side of {@linkcode share_listener}).
 *
 * @throws {OSError} When the address cannot be bound.
 */
export function join_shared(sock: Socket, address: [string, number]): void {
  let listener: Deno.Listener;
  try {
    listener = listen_shared(address[0], address[1]);
  } catch (error) {
    throw _tls_hooks.to_oserror(error);
  }
  _tls_hooks.put(sock, { listener, listening: false }, null);
  shared.add(sock);
}

/**
 * Closes a worker's copy of the shared socket but keeps `sock` with what it
 * accepted already: a paused worker must not take connections (an accept
 * pending in Deno cannot be cancelled otherwise). Resolves to whether
 * accepted connections wait in `sock`; {@linkcode rejoin_shared} hands them
 * out first.
 */
export function release_shared(sock: Socket): Promise<boolean> {
  return _tls_hooks.release(sock);
}

/** Listens on the shared socket again after {@linkcode release_shared}. */
export function rejoin_shared(
  sock: Socket,
  address: [string, number],
  backlog: number,
): void {
  join_shared(sock, address);
  sock.listen(backlog);
}

// `loadBalanced` is Deno's own option, not in its types: the first listener
// of an address in the process makes the socket, the next ones join it.
function listen_shared(hostname: string, port: number): Deno.Listener {
  return Deno.listen(
    { hostname, port, transport: "tcp", loadBalanced: true } as
      & Deno.TcpListenOptions
      & { transport: "tcp" },
  );
}

/**
 * Internal to pysock: how the `ssl` part moves a socket's connection or
 * listener onto TLS while the socket's receive engine, send queue and
 * readiness stay the same (the pooled servers also install their in-memory
 * connections with `put`). Not part of the API; it may change in any
 * release.
 * @module
 */
import { SOCK_STREAM } from "./constants.ts";
import { OSError } from "./errors.ts";
import { EBUSY, EOPNOTSUPP } from "./errno.ts";
import type { Address } from "./address.ts";
import { _to_oserror } from "./_map_error.ts";
import { _State } from "./_core.ts";
import { _parts } from "./_parts.ts";
import type { Socket } from "./socket.ts";

/**
 * What `_tls_hooks.take()` moves out of a socket: its connection, its
 * listener (and whether it was listening), or nothing for a fresh socket.
 *
 * @ignore
 */
export type _Transport =
  | { conn: Deno.Conn }
  | { listener: Deno.Listener; listening: boolean }
  | null;

/**
 * Internal to pysock's ssl and server parts, not for applications.
 *
 * - `take(sock)` moves the connection or listener out, leaving the socket
 *   open and fresh; it throws OSError EBUSY while a read, accept or send is
 *   pending or bytes are unread (Deno cannot cancel a read, and startTls
 *   needs the connection idle).
 * - `put(sock, transport, like)` installs a connection (connected) or a
 *   listener on a fresh socket, with `like`'s timeout and options.
 * - `accept(sock)` is `Socket.accept()` without the new Socket: the
 *   accepted connection and the peer's address, for ssl to adopt.
 * - `release(sock)` closes a listening socket's listener, which ends a
 *   pending accept (Deno cannot cancel one otherwise), but keeps the
 *   socket open and fresh with the connections it accepted already, for a
 *   later `put` of a listener to hand out first. Resolves once no accept is
 *   pending, to whether accepted connections wait in the socket. The
 *   threaded servers' workers release the listener they share while paused.
 * - `to_oserror(err)` maps what Deno threw to the Python-named OSError.
 *
 * @ignore
 */
export const _tls_hooks: {
  take(sock: Socket): _Transport;
  put(sock: Socket, transport: _Transport, like: Socket | null): void;
  accept(sock: Socket): Promise<[Deno.Conn, Address]>;
  release(sock: Socket): Promise<boolean>;
  to_oserror(err: unknown): OSError;
} = {
  take(sock) {
    const { core, rx, tx } = _parts(sock);
    core.check_open("start TLS");
    if (core.type !== SOCK_STREAM) {
      throw new OSError(
        EOPNOTSUPP,
        "Operation not supported: TLS needs a stream socket",
      );
    }
    if (
      rx.op || tx.direct || tx.draining || core.connecting ||
      rx.chunks.length > 0 || rx.conns.length > 0
    ) {
      throw new OSError(
        EBUSY,
        "Device or resource busy: cannot start TLS while a read, accept or send is pending or bytes are unread (Deno cannot cancel a read: wrap a socket that is blocking and watched by no selector)",
      );
    }
    const taken: _Transport = core.conn
      ? { conn: core.conn }
      : core.listener
      ? { listener: core.listener, listening: core.state === _State.Listening }
      : null;
    core.conn = null;
    core.listener = null;
    core.state = _State.Fresh;
    return taken;
  },
  put(sock, transport, like) {
    const { core, rx } = _parts(sock);
    core.check_open("start TLS");
    if (like) {
      const from = _parts(like).core;
      core.timeout = from.timeout;
      core.options.copy_from(from.options);
    }
    if (transport === null) return;
    if ("conn" in transport) {
      core.conn = transport.conn;
      core.state = _State.Connected;
    } else {
      core.listener = transport.listener;
      core.state = transport.listening ? _State.Listening : _State.Bound;
    }
    if (rx.reads_ahead()) rx.pump();
  },
  accept(sock) {
    return _parts(sock).rx.accept();
  },
  async release(sock) {
    const { core, rx } = _parts(sock);
    const listener = core.listener;
    if (listener !== null && !core.closed) {
      core.listener = null;
      core.state = _State.Fresh;
      listener.close();
    }
    await rx.op;
    return rx.conns.length > 0;
  },
  to_oserror: _to_oserror,
};

/**
 * What the engines of a socket share: its mode, its state, the Deno objects
 * it holds (listener, connection, datagram socket), its options, and how it
 * binds and connects.
 * @module
 */
import {
  AF_INET6,
  AF_UNIX,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  SO_BROADCAST,
  SO_ERROR,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./constants.ts";
import { BlockingIOError, OSError, TimeoutError } from "./errors.ts";
import {
  EALREADY,
  EBADF,
  EINPROGRESS,
  EINVAL,
  EISCONN,
  ENOPROTOOPT,
  ENOTCONN,
  EOPNOTSUPP,
} from "./errno.ts";
import { _to_oserror } from "./_map_error.ts";
import {
  type _Endpoint,
  _endpoint,
  _from_deno,
  _is_ipv4,
  _is_ipv6,
  _show,
} from "./_address.ts";
import { _check_integers } from "./_checks.ts";
import type { Address } from "./address.ts";
import { getaddrinfo } from "./address.ts";
import { EV_OUT } from "./readiness.ts";
import { _Options } from "./_options.ts";
import { _Waiting } from "./_waiting.ts";
import {
  _auto_address,
  _refuse_broadcast,
  _refuse_existing,
  _refuse_missing,
} from "./_policy.ts";

/** What the core tells the receive engine. */
export interface _Reader {
  connected(): void;
  peer_set(peer: _Endpoint): void;
}

export enum _State {
  Fresh,
  Bound,
  Listening,
  Connecting,
  Connected,
}

export class _Core {
  readonly family: number;
  readonly type: number;
  closed = false;
  timeout: number | null;
  state: _State = _State.Fresh;
  readonly options: _Options = new _Options();
  so_error = 0;
  readonly waiting: _Waiting = new _Waiting(this);

  listener: Deno.Listener | null = null;
  conn: Deno.Conn | null = null;
  dgram: Deno.DatagramConn | null = null;
  peer: _Endpoint | null = null;
  connecting: Promise<void> | null = null;
  connect_error: OSError | null = null;
  connect_abort: AbortController | null = null;
  // A non-blocking connect that completed: the next connect() reports 0.
  connect_unreported = false;

  /** The receive engine, told when a connection is made or a peer set. */
  reader: _Reader | null = null;

  constructor(family: number, type: number, timeout: number | null) {
    this.family = family;
    this.type = type;
    this.timeout = timeout;
  }

  check_open(action: string): void {
    if (this.closed) {
      throw new OSError(
        EBADF,
        `Bad file descriptor: cannot ${action} on a closed socket`,
      );
    }
  }

  // MSG_DONTWAIT makes one call non-blocking, whatever the socket's mode.
  timeout_for(flags: number): number | null {
    return (flags & MSG_DONTWAIT) !== 0 ? 0 : this.timeout;
  }

  refuse_broadcast(host: string): void {
    _refuse_broadcast(host, this.options.get(SOL_SOCKET, SO_BROADCAST) !== 0);
  }

  listen(backlog: number | undefined): void {
    this.check_open("listen");
    // A negative backlog is taken, as CPython clamps it to 0.
    if (backlog !== undefined) _check_integers("listen", { backlog });
    if (this.type !== SOCK_STREAM) {
      throw new OSError(
        EOPNOTSUPP,
        "Operation not supported on datagram sockets",
      );
    }
    if (this.state === _State.Connected || this.state === _State.Connecting) {
      throw new OSError(EINVAL, "Invalid argument: the socket is connected");
    }
    if (this.state === _State.Fresh) {
      if (this.family === AF_UNIX) {
        throw new OSError(EINVAL, "Invalid argument: bind a path first");
      }
      this.bind_to(_endpoint(this.family, ["", 0], "listen"));
    }
    this.state = _State.Listening;
  }

  setsockopt(level: number, option: number, value: number | boolean): void {
    const key = _Options.key(level, option, "set option");
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(
        `Cannot set option: value must be a number, received ${_show(value)}`,
      );
    }
    this.check_open("set option");
    if (
      key === `${SOL_SOCKET}:${SO_REUSEPORT}` &&
      typeof Deno.listenDatagram !== "function"
    ) {
      // Deno exits the process when reusePort is used without the flag.
      throw new OSError(
        ENOPROTOOPT,
        "Protocol not available: SO_REUSEPORT needs Deno's --unstable-net flag",
      );
    }
    if (key === `${IPPROTO_TCP}:${TCP_NODELAY}` && this.family === AF_UNIX) {
      throw new OSError(EOPNOTSUPP);
    }
    this.options.set_key(key, value ? 1 : 0);
    this.options.apply(this.conn, this.family);
  }

  getsockopt(level: number, option: number): number {
    if (level === SOL_SOCKET && option === SO_TYPE) return this.type;
    if (level === SOL_SOCKET && option === SO_ERROR) {
      const err = this.so_error;
      this.so_error = 0;
      return err;
    }
    return this.options.get_key(_Options.key(level, option, "get option"));
  }

  bind(address: Address, action: string): void {
    const ep = _endpoint(this.family, address, action);
    if (this.state !== _State.Fresh || this.dgram) {
      throw new OSError(
        EINVAL,
        "Invalid argument: the socket is bound already",
      );
    }
    this.bind_to(ep);
  }

  bind_to(ep: _Endpoint): void {
    try {
      if ("path" in ep) _refuse_existing(ep.path);
      if (this.type === SOCK_STREAM) {
        if ("path" in ep) {
          this.listener = Deno.listen({ transport: "unix", path: ep.path });
        } else {
          this.listener = this.options.get(SOL_SOCKET, SO_REUSEPORT)
            ? Deno.listen({ ...ep, transport: "tcp", reusePort: true })
            : Deno.listen({ ...ep, transport: "tcp" });
        }
      } else if ("path" in ep) {
        this.dgram = Deno.listenDatagram({
          transport: "unixpacket",
          path: ep.path,
        });
      } else {
        const reuse = this.options.get(SOL_SOCKET, SO_REUSEADDR) ||
          this.options.get(SOL_SOCKET, SO_REUSEPORT);
        this.dgram = Deno.listenDatagram({
          ...ep,
          transport: "udp",
          reuseAddress: reuse !== 0,
        });
      }
    } catch (err) {
      throw _to_oserror(err);
    }
    this.state = _State.Bound;
  }

  async connect(address: Address): Promise<void> {
    this.check_open("connect");
    let ep = _endpoint(this.family, address, "connect");
    if (!("path" in ep)) ep = await this.numeric(ep);
    if (this.type === SOCK_DGRAM) return this.#connect_datagram(ep);
    if (this.state === _State.Connected) {
      if (this.connect_unreported) {
        this.connect_unreported = false;
        return;
      }
      throw new OSError(EISCONN);
    }
    if (this.state === _State.Connecting) {
      throw new BlockingIOError(EALREADY, "Operation already in progress");
    }
    if (this.connect_error) throw this.#take_connect_error();
    if (this.listener) {
      throw new OSError(
        EOPNOTSUPP,
        "Operation not supported: Deno cannot connect from a bound address",
      );
    }
    const timeout = this.timeout;
    const abort = this.connect_abort = new AbortController();
    this.#start_connect(ep, abort.signal);
    if (timeout === 0) {
      this.connect_unreported = true;
      throw new BlockingIOError(EINPROGRESS, "Operation now in progress");
    }
    try {
      await this.until_connected(timeout);
    } catch (err) {
      if (err instanceof TimeoutError) {
        // The abandoned attempt's AbortError is ours, not the next call's.
        abort.abort();
        await this.connecting;
        this.connect_error = null;
        this.so_error = 0;
      }
      throw err;
    }
    if (this.connect_error) throw this.#take_connect_error();
    this.check_open("connect");
  }

  until_connected(timeout: number | null): Promise<true> {
    return this.waiting.until(
      () => this.state !== _State.Connecting || undefined,
      timeout,
      null,
    );
  }

  // Resolves a host name to an address of this socket's family, as Python
  // does, so an AF_INET socket never connects over IPv6.
  async numeric(ep: { hostname: string; port: number }): Promise<_Endpoint> {
    if (_is_ipv4(ep.hostname) || _is_ipv6(ep.hostname)) return ep;
    const [first] = await getaddrinfo(ep.hostname, ep.port, this.family);
    return { hostname: first![4][0], port: ep.port };
  }

  #start_connect(ep: _Endpoint, signal: AbortSignal): void {
    this.state = _State.Connecting;
    const pending: Promise<Deno.Conn> = "path" in ep
      ? Deno.connect({ transport: "unix", path: ep.path })
      : Deno.connect({ ...ep, transport: "tcp", signal });
    this.connecting = pending.then((conn) => {
      if (this.closed || signal.aborted) {
        conn.close();
        this.state = _State.Fresh;
        return;
      }
      this.adopt(conn);
      this.reader?.connected();
    }, (err) => {
      this.state = _State.Fresh;
      const mapped = _to_oserror(err);
      this.connect_error = mapped;
      this.so_error = mapped.errno;
    }).finally(() => {
      this.connecting = null;
      // Settled: nothing left to abort (an abort makes a DOMException,
      // whose stack trace costs microseconds on every close).
      if (this.connect_abort?.signal === signal) this.connect_abort = null;
      this.waiting.fire(EV_OUT);
    });
  }

  /** Takes `conn` as this socket's connection. */
  adopt(conn: Deno.Conn): void {
    this.conn = conn;
    this.state = _State.Connected;
    this.options.apply(conn, this.family);
  }

  #take_connect_error(): OSError {
    const err = this.connect_error!;
    this.connect_error = null;
    this.so_error = 0;
    return err;
  }

  async #connect_datagram(ep: _Endpoint): Promise<void> {
    if ("path" in ep) _refuse_missing(ep.path);
    else this.refuse_broadcast(ep.hostname);
    this.ensure_datagram(ep);
    this.peer = ep;
    // Datagrams from others that arrived before connect() are dropped too.
    this.reader?.peer_set(ep);
    this.state = _State.Connected;
    await Promise.resolve();
  }

  ensure_datagram(to: _Endpoint): Deno.DatagramConn {
    if (this.dgram) return this.dgram;
    if ("path" in to) {
      try {
        this.dgram = Deno.listenDatagram({ transport: "unixpacket" });
      } catch (err) {
        throw _to_oserror(err);
      }
    } else {
      this.bind_to(_auto_address(this.family, to));
    }
    return this.dgram!;
  }

  sockname(): Address {
    const addr = this.conn?.localAddr ?? this.listener?.addr ??
      this.dgram?.addr;
    if (addr) return _from_deno(addr, this.family);
    if (this.family === AF_UNIX) return "";
    return this.family === AF_INET6 ? ["::", 0, 0, 0] : ["0.0.0.0", 0];
  }

  peername(): Address {
    if (this.conn) return _from_deno(this.conn.remoteAddr, this.family);
    const peer = this.peer;
    if (peer) {
      return "path" in peer
        ? peer.path
        : this.family === AF_INET6
        ? [peer.hostname, peer.port, 0, 0]
        : [peer.hostname, peer.port];
    }
    throw new OSError(ENOTCONN);
  }

  /** Closes the Deno objects (and `more`), each at most once. */
  close_resources(more: Deno.Conn[]): void {
    for (const resource of [this.conn, this.listener, this.dgram, ...more]) {
      try {
        resource?.close();
      } catch {
        // Closed already.
      }
    }
  }
}

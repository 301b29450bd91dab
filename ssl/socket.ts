/**
 * `SSLSocket`: a `Socket` whose bytes travel over TLS, made by
 * `SSLContext.wrap_socket()`. It keeps the Socket's whole API (modes,
 * timeouts, readiness, `makefile()`), and adds Python's TLS methods.
 *
 * @example An HTTPS-style exchange over a local TLS server
 * ```ts
 * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const dir = "tests/ssl/fixtures";
 * const server_ctx = create_default_context(Purpose.CLIENT_AUTH);
 * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
 * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
 * const ctx = create_default_context({ cafile: `${dir}/ca.pem` });
 * const accepting = server.accept();
 * await using client = await ctx.wrap_socket(
 *   await create_connection(server.getsockname() as [string, number]),
 *   { server_hostname: "localhost" },
 * );
 * const [conn] = await accepting;
 * await using _ = conn;
 * await conn.sendall("hello over TLS");
 * assert.equal(new TextDecoder().decode(await client.recv(100)), "hello over TLS");
 * ```
 * @module
 */
import {
  type Address,
  AF_UNIX,
  EINVAL,
  EOPNOTSUPP,
  OSError,
  SOCK_STREAM,
  Socket,
  TimeoutError,
} from "../net/mod.ts";
import { _tls_hooks } from "../net/mod.ts";
import {
  CERT_NONE,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  SSL_ERROR_SSL,
} from "./constants.ts";
import { SSLError, SSLWantWriteError } from "./errors.ts";
import type { SSLContext, WrapSocketOptions } from "./context.ts";
import { _config } from "./_config.ts";
import {
  _DenoTlsLink,
  _DenoTlsListener,
  type _LinkOptions,
  type _TlsLink,
} from "./_transport.ts";
import { _tls_error } from "./_tls_error.ts";
import { _register_wrap } from "./_registry.ts";

const TOKEN: unique symbol = Symbol("SSLSocket");

// Set in SSLSocket's static block, for wrap().
let start_client: (
  ssl: SSLSocket,
  conn: Deno.Conn,
  like: Socket | null,
) => Promise<void>;
let start_server: (
  ssl: SSLSocket,
  listener: Deno.Listener,
  listening: boolean,
  like: Socket | null,
) => void;

/** What an SSLSocket was made with, resolved from `wrap_socket()`. */
interface Settings {
  server_side: boolean;
  server_hostname: string | null;
  do_handshake_on_connect: boolean;
  suppress_ragged_eofs: boolean;
}

/**
 * A socket over TLS, as Python's `ssl.SSLSocket`: the Socket API (recv,
 * recv_into, send, sendall, makefile, timeouts, non-blocking mode,
 * select/poll/selectors readiness) on decrypted bytes, plus
 * `do_handshake()`, `selected_alpn_protocol()`, `version()`, `cipher()`,
 * `getpeercert()`. Made only by `SSLContext.wrap_socket()` (and a TLS
 * listener's `accept()`), as in Python.
 *
 * @example Usage
 * ```ts
 * import { create_default_context, Purpose, SSLSocket } from "@pysock/pysock/ssl";
 * import { create_connection, create_server, Socket } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const dir = "tests/ssl/fixtures";
 * const server_ctx = create_default_context(Purpose.CLIENT_AUTH);
 * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
 * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
 * assert.ok(server instanceof SSLSocket && server instanceof Socket);
 * const ctx = create_default_context({ cafile: `${dir}/ca.pem` });
 * const accepting = server.accept();
 * await using client = await ctx.wrap_socket(
 *   await create_connection(server.getsockname() as [string, number]),
 *   { server_hostname: "localhost" },
 * );
 * const [conn] = await accepting;
 * await using _ = conn;
 * assert.equal(client.server_hostname, "localhost");
 * assert.equal(conn.server_side, true);
 * ```
 */
export class SSLSocket extends Socket {
  /** The context it was wrapped with. */
  readonly context: SSLContext;
  /** Whether this is the server's side. */
  readonly server_side: boolean;
  /** The name the server's certificate is checked against, or null. */
  readonly server_hostname: string | null;
  /** Whether connect()/accept()/wrap_socket() run the handshake. */
  readonly do_handshake_on_connect: boolean;
  /** Whether a ragged EOF reads as end of input. */
  readonly suppress_ragged_eofs: boolean;
  #link: _TlsLink | null = null;
  #tls_server = false;
  #handshaken = false;
  #handshake_settled = false;

  /**
   * Not for direct use: `SSLContext.wrap_socket()` makes SSLSockets.
   *
   * @param token Internal.
   * @param family The wrapped socket's family.
   * @param context The context.
   * @param settings Internal.
   * @throws {TypeError} Always, when called directly, as in Python.
   */
  constructor(
    token: unknown,
    family: number,
    context: SSLContext,
    settings: unknown,
  ) {
    if (token !== TOKEN) {
      throw new TypeError(
        "Cannot create SSLSocket: it has no public constructor, use SSLContext.wrap_socket()",
      );
    }
    super(family, SOCK_STREAM);
    const s = settings as Settings;
    this.context = context;
    this.server_side = s.server_side;
    this.server_hostname = s.server_hostname;
    this.do_handshake_on_connect = s.do_handshake_on_connect;
    this.suppress_ragged_eofs = s.suppress_ragged_eofs;
  }

  // The fields are read-only: one object serves every accepted socket.
  #settings_made: Settings | null = null;

  #settings(): Settings {
    return this.#settings_made ??= {
      server_side: this.server_side,
      server_hostname: this.server_hostname,
      do_handshake_on_connect: this.do_handshake_on_connect,
      suppress_ragged_eofs: this.suppress_ragged_eofs,
    };
  }

  #link_options(hostname: string | null): _LinkOptions {
    return { hostname, suppress_ragged_eofs: this.suppress_ragged_eofs };
  }

  static {
    start_client = (ssl, conn, like) =>
      SSLSocket.#start_client(ssl, conn, like);
    start_server = (ssl, listener, listening, like) =>
      SSLSocket.#start_server(ssl, listener, listening, like);
  }

  // Installs a TLS link on this socket (connected), in place.
  static async #start_client(
    ssl: SSLSocket,
    conn: Deno.Conn,
    like: Socket | null,
  ): Promise<void> {
    const ctx = ssl.context;
    const config = _config(ctx);
    const peer = (conn.remoteAddr as Deno.NetAddr).hostname;
    const hostname = ssl.server_hostname ?? peer;
    const opts = ssl.#link_options(hostname);
    let link: _TlsLink;
    if (ctx.verify_mode === CERT_NONE || config.cert !== null) {
      // Loaded on first use: node:tls is heavy, and most programs verify.
      const { _NodeTlsLink } = await import("./_node_link.ts");
      link = new _NodeTlsLink(conn, {
        servername: is_ip(hostname) ? null : hostname,
        alpn: config.alpn,
        cert: config.cert,
        key: config.key,
        verify: ctx.verify_mode !== CERT_NONE,
        check_hostname: ctx.check_hostname,
        ca: config.cas,
      }, opts);
    } else {
      let tls: Deno.TlsConn;
      try {
        tls = await Deno.startTls(conn as Deno.TcpConn, {
          hostname,
          ...(config.cas.length > 0 ? { caCerts: config.cas } : {}),
          ...(config.alpn ? { alpnProtocols: config.alpn } : {}),
          unsafelyDisableHostnameVerification: !ctx.check_hostname,
        });
      } catch (err) {
        try {
          conn.close();
        } catch {
          // startTls consumed it.
        }
        throw _tls_error(err, hostname) ?? _tls_hooks.to_oserror(err);
      }
      link = new _DenoTlsLink(tls, opts);
    }
    ssl.#link = link;
    _tls_hooks.put(ssl, { conn: link }, like);
  }

  // Turns an accepted TLS connection into an SSLSocket and (by default)
  // runs the server handshake (the listener started it already). Not
  // async: the usual case, a handshake the listener finished, takes no
  // promise hop.
  static #from_accepted(
    listener: SSLSocket,
    conn: Deno.Conn,
  ): SSLSocket | Promise<SSLSocket> {
    const ssl = new SSLSocket(
      TOKEN,
      listener.family,
      listener.context,
      listener.#settings(),
    );
    const link = ssl.#link = conn as _TlsLink;
    _tls_hooks.put(ssl, { conn }, null);
    if (link.alpn !== undefined) {
      // The listener finished the handshake already (alpn is set then).
      ssl.#handshaken = ssl.#handshake_settled = true;
    } else if (ssl.do_handshake_on_connect) {
      return ssl.do_handshake().then(() => ssl, async (err) => {
        await ssl.close();
        throw err;
      });
    }
    return ssl;
  }

  // Moves `ssl`'s port onto a TLS listener: Deno cannot turn a listener
  // into a TLS one, so the plain one closes and a TLS one binds the same
  // address (connections queued in between are lost).
  static #start_server(
    ssl: SSLSocket,
    listener: Deno.Listener,
    listening: boolean,
    like: Socket | null,
  ): void {
    const config = _config(ssl.context);
    const addr = listener.addr as Deno.NetAddr;
    listener.close();
    let tls: Deno.TlsListener;
    try {
      tls = Deno.listenTls({
        hostname: addr.hostname,
        port: addr.port,
        cert: config.cert!,
        key: config.key!,
        ...(config.alpn ? { alpnProtocols: config.alpn } : {}),
      });
    } catch (err) {
      throw _tls_error(err, null) ?? _tls_hooks.to_oserror(err);
    }
    ssl.#tls_server = true;
    _tls_hooks.put(ssl, {
      listener: new _DenoTlsListener(
        tls,
        ssl.#link_options(null),
        ssl.do_handshake_on_connect,
      ),
      listening,
    }, like);
  }

  /**
   * Runs the TLS handshake, if not done yet, in the socket's mode: waits
   * (blocking), rejects with `TimeoutError` after the timeout, or, when
   * non-blocking, rejects at once with `SSLWantWriteError` until it is done
   * (the handshake goes on meanwhile; call again).
   *
   * @throws {SSLCertVerificationError} When the peer's certificate fails.
   * @throws {SSLError} For any other TLS failure.
   *
   * @example Usage
   * ```ts
   * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
   * import { create_connection, create_server } from "@pysock/pysock/net";
   * const dir = "tests/ssl/fixtures";
   * const server_ctx = create_default_context(Purpose.CLIENT_AUTH);
   * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
   * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
   * const ctx = create_default_context({ cafile: `${dir}/ca.pem` });
   * const accepting = server.accept();
   * await using client = await ctx.wrap_socket(
   *   await create_connection(server.getsockname() as [string, number]),
   *   { server_hostname: "localhost", do_handshake_on_connect: false },
   * );
   * await client.do_handshake();
   * await using _ = (await accepting)[0];
   * ```
   */
  async do_handshake(): Promise<void> {
    if (this.fileno() === -1) {
      throw new OSError(9, "Bad file descriptor: the socket is closed");
    }
    if (!this.#link) {
      if (this.server_side) {
        throw new OSError(
          EINVAL,
          "Invalid argument: a server-side SSLSocket handshakes in accept()",
        );
      }
      // A non-blocking connect() finished: start TLS now.
      const taken = _tls_hooks.take(this);
      if (!taken || !("conn" in taken)) {
        throw new OSError(107, "Transport endpoint is not connected");
      }
      await SSLSocket.#start_client(this, taken.conn, null);
    }
    const link = this.#link!;
    const done = link.handshake();
    if (!this.#handshake_settled) {
      done.then(
        () => this.#handshake_settled = true,
        () => this.#handshake_settled = true,
      );
    }
    const timeout = this.gettimeout();
    if (timeout === 0) {
      if (!this.#handshake_settled) {
        // Let one turn pass: a local handshake may be done already.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (!this.#handshake_settled) throw new SSLWantWriteError();
      }
      await done;
    } else if (timeout === null) {
      await done;
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new TimeoutError("_ssl.c: The handshake operation timed out"),
            ),
          timeout * 1000,
        );
      });
      try {
        await Promise.race([done, expired]);
      } finally {
        clearTimeout(timer);
      }
    }
    this.#handshaken = true;
  }

  /**
   * Connects, then starts TLS and (by default) runs the handshake.
   *
   * @param address Where to connect.
   * @throws {SSLCertVerificationError} When the server's certificate fails.
   *
   * @example Usage
   * ```ts
   * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
   * import { create_server, socket } from "@pysock/pysock/net";
   * const dir = "tests/ssl/fixtures";
   * const server_ctx = create_default_context(Purpose.CLIENT_AUTH);
   * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
   * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
   * const ctx = create_default_context({ cafile: `${dir}/ca.pem` });
   * await using client = await ctx.wrap_socket(socket(), { server_hostname: "localhost" });
   * const accepting = server.accept();
   * await client.connect(server.getsockname());
   * await using _ = (await accepting)[0];
   * ```
   */
  override async connect(address: Address): Promise<void> {
    if (this.server_side) {
      throw new OSError(
        EINVAL,
        "Invalid argument: cannot connect a server-side SSLSocket",
      );
    }
    if (this.#link) {
      throw new OSError(106, "Transport endpoint is already connected");
    }
    await super.connect(address);
    await this.#after_connect();
  }

  /**
   * As `connect()`, returning the connect's errno instead of throwing it;
   * TLS failures still throw, as in Python.
   *
   * @param address Where to connect.
   * @returns 0, or the errno of the failed connect.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const probe = socket();
   * probe.bind(["127.0.0.1", 0]);
   * const addr = probe.getsockname();
   * await probe.close();
   * await using s = await create_default_context().wrap_socket(socket(), { server_hostname: "localhost" });
   * assert.equal(await s.connect_ex(addr), 111);
   * ```
   */
  override async connect_ex(address: Address): Promise<number> {
    const rc = await super.connect_ex(address);
    if (rc === 0 && !this.#link) await this.#after_connect();
    return rc;
  }

  async #after_connect(): Promise<void> {
    const taken = _tls_hooks.take(this);
    if (!taken || !("conn" in taken)) return;
    await SSLSocket.#start_client(this, taken.conn, null);
    if (this.do_handshake_on_connect) await this.do_handshake();
  }

  /**
   * Listens; on a server-side SSLSocket that is only bound, this moves the
   * port onto a TLS listener.
   *
   * @param backlog As `Socket.listen()`.
   *
   * @example Usage
   * ```ts
   * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * const dir = "tests/ssl/fixtures";
   * const ctx = create_default_context(Purpose.CLIENT_AUTH);
   * ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
   * await using server = await ctx.wrap_socket(socket(), { server_side: true });
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * ```
   */
  override listen(backlog?: number): void {
    super.listen(backlog);
    if (!this.server_side || this.#tls_server) return;
    const taken = _tls_hooks.take(this);
    if (!taken || !("listener" in taken)) return;
    SSLSocket.#start_server(this, taken.listener, true, null);
  }

  /**
   * Waits for a connection and returns it as a handshaken `SSLSocket`
   * (unless `do_handshake_on_connect` is false) with the peer's address.
   * A failed handshake rejects this call, as in Python, and the connection
   * is closed; socketservers skip it and go on.
   *
   * @returns `[sslsocket, address]`.
   * @throws {SSLError} When the client's handshake fails.
   *
   * @example Usage
   * ```ts
   * import { create_default_context, Purpose } from "@pysock/pysock/ssl";
   * import { create_connection, create_server } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const dir = "tests/ssl/fixtures";
   * const server_ctx = create_default_context(Purpose.CLIENT_AUTH);
   * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
   * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
   * const ctx = create_default_context({ cafile: `${dir}/ca.pem` });
   * const accepting = server.accept();
   * await using client = await ctx.wrap_socket(
   *   await create_connection(server.getsockname() as [string, number]),
   *   { server_hostname: "localhost" },
   * );
   * const [conn, addr] = await accepting;
   * await using _ = conn;
   * assert.deepEqual(addr, client.getsockname());
   * ```
   */
  override async accept(): Promise<[SSLSocket, Address]> {
    // As Socket.accept(), without making a plain Socket first.
    const [conn, addr] = await _tls_hooks.accept(this);
    return [await SSLSocket.#from_accepted(this, conn), addr];
  }

  /**
   * The ALPN protocol the handshake chose, or null (none offered, none
   * chosen, or no handshake yet).
   *
   * @returns The protocol name or null.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = await create_default_context().wrap_socket(socket(), { server_hostname: "localhost" });
   * assert.equal(s.selected_alpn_protocol(), null);
   * ```
   */
  selected_alpn_protocol(): string | null {
    return this.#link?.alpn ?? null;
  }

  /**
   * The TLS version ("TLSv1.3"), or null: before the handshake, as in
   * Python, and on connections Deno's own TLS runs (it does not reveal the
   * version); the `CERT_NONE` client path reports it.
   *
   * @returns The version or null.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = await create_default_context().wrap_socket(socket(), { server_hostname: "localhost" });
   * assert.equal(s.version(), null);
   * ```
   */
  version(): string | null {
    return this.#done() ? this.#link?.version ?? null : null;
  }

  /**
   * Python's `(name, protocol, secret_bits)` for the cipher in use, or
   * null where unknown (before the handshake; always with Deno's own TLS).
   *
   * @returns The triple or null.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = await create_default_context().wrap_socket(socket(), { server_hostname: "localhost" });
   * assert.equal(s.cipher(), null);
   * ```
   */
  cipher(): [string, string, number] | null {
    return this.#done() ? this.#link?.cipher ?? null : null;
  }

  /**
   * The peer's certificate. Deno does not reveal certificates, so a client
   * gets `{}` (what Python returns for a certificate it did not parse) and
   * a server, whose clients send none, gets null.
   *
   * @param binary_form Python's DER form: always null here.
   * @returns `{}` or null.
   * @throws {RangeError} Before the handshake (Python's ValueError).
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = await create_default_context().wrap_socket(socket(), { server_hostname: "localhost" });
   * assert.throws(() => s.getpeercert(), RangeError);
   * ```
   */
  getpeercert(binary_form = false): Record<string, never> | null {
    if (!this.#done()) {
      throw new RangeError(
        "Cannot get peer certificate: handshake not done yet",
      );
    }
    if (this.server_side || binary_form) return null;
    return {};
  }

  // Done by do_handshake(), or by the first read or write (ALPN's answer,
  // null or a name, is set once a handshake succeeded).
  #done(): boolean {
    return this.#handshaken || this.#link?.alpn !== undefined;
  }

  /**
   * Python's `unwrap()` ends TLS and returns the plain socket; Deno cannot
   * take TLS off a connection.
   *
   * @throws {OSError} EOPNOTSUPP (95), always.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { OSError, socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * await using s = await create_default_context().wrap_socket(socket(), { server_hostname: "localhost" });
   * await assert.rejects(s.unwrap(), OSError);
   * ```
   */
  unwrap(): Promise<Socket> {
    return Promise.reject(
      new OSError(
        EOPNOTSUPP,
        "Operation not supported: Deno cannot take TLS off a connection",
      ),
    );
  }
}

function is_ip(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

// SSLContext.wrap_socket()'s work.
async function wrap(
  ctx: SSLContext,
  sock: Socket,
  options: WrapSocketOptions,
): Promise<SSLSocket> {
  if (!(sock instanceof Socket)) {
    throw new TypeError(
      `Cannot wrap socket: sock must be a Socket, received ${typeof sock}`,
    );
  }
  if (sock instanceof SSLSocket) {
    throw new RangeError("Cannot wrap socket: it is an SSLSocket already");
  }
  if (sock.type !== SOCK_STREAM) {
    throw new OSError(
      EOPNOTSUPP,
      "Operation not supported: only stream sockets can carry TLS",
    );
  }
  if (sock.family === AF_UNIX) {
    throw new OSError(
      EOPNOTSUPP,
      "Operation not supported: Deno's TLS runs over TCP only, not Unix sockets",
    );
  }
  const server_side = options.server_side ?? false;
  const server_hostname = options.server_hostname ?? null;
  const settings: Settings = {
    server_side,
    server_hostname: server_hostname,
    do_handshake_on_connect: options.do_handshake_on_connect ?? true,
    suppress_ragged_eofs: options.suppress_ragged_eofs ?? true,
  };
  if (server_side && ctx.protocol === PROTOCOL_TLS_CLIENT) {
    throw new RangeError(
      "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context",
    );
  }
  if (!server_side && ctx.protocol === PROTOCOL_TLS_SERVER) {
    throw new RangeError(
      "Cannot create a client socket with a PROTOCOL_TLS_SERVER context",
    );
  }
  if (server_side && server_hostname !== null) {
    throw new RangeError(
      "Cannot wrap socket: server_hostname can only be specified in client mode",
    );
  }
  if (server_hostname !== null && typeof server_hostname !== "string") {
    throw new TypeError(
      `Cannot wrap socket: server_hostname must be a string, received ${typeof server_hostname}`,
    );
  }
  if (!server_side && ctx.check_hostname && !server_hostname) {
    throw new RangeError(
      "Cannot wrap socket: check_hostname requires server_hostname",
    );
  }
  const config = _config(ctx);
  if (server_side) {
    if (ctx.verify_mode !== CERT_NONE) {
      throw new OSError(
        EOPNOTSUPP,
        "Operation not supported: Deno.listenTls cannot ask for client certificates (verify_mode must be CERT_NONE on a server)",
      );
    }
    if (config.cert === null || config.key === null) {
      throw new SSLError(
        SSL_ERROR_SSL,
        "[SSL: NO_CERTIFICATE_ASSIGNED] no certificate assigned: call load_cert_chain() first",
        { library: "SSL", reason: "NO_CERTIFICATE_ASSIGNED" },
      );
    }
  }
  let connected = false;
  try {
    sock.getpeername();
    connected = true;
  } catch {
    // Not connected: the handshake waits for connect() or accept().
  }
  if (connected && server_side) {
    throw new OSError(
      EOPNOTSUPP,
      "Operation not supported: Deno cannot start TLS as the server on an accepted connection; wrap the listening socket instead",
    );
  }
  if (
    connected && settings.do_handshake_on_connect && sock.gettimeout() === 0
  ) {
    throw new RangeError(
      "Cannot wrap socket: do_handshake_on_connect should not be specified for non-blocking sockets",
    );
  }
  const taken = _tls_hooks.take(sock);
  const ssl = new SSLSocket(TOKEN, sock.family, ctx, settings);
  try {
    // Python detaches the plain socket, files from makefile() included.
    await sock._real_close();
    if (taken === null) {
      _tls_hooks.put(ssl, null, sock);
    } else if ("listener" in taken) {
      if (!server_side) {
        taken.listener.close();
        throw new OSError(
          EINVAL,
          "Invalid argument: a bound socket cannot become a TLS client",
        );
      }
      start_server(ssl, taken.listener, taken.listening, sock);
    } else {
      await start_client(ssl, taken.conn, sock);
      if (settings.do_handshake_on_connect) await ssl.do_handshake();
    }
  } catch (err) {
    await ssl.close();
    throw err;
  }
  return ssl;
}

_register_wrap(wrap);

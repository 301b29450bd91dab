// The connection and listener objects a Socket's engine runs on once TLS
// starts: Deno's TlsConn (or node:tls for CERT_NONE), with TLS failures
// turned into Python's ssl errors and a ragged EOF into end of input.
import { ENOPROTOOPT, OSError } from "../net/mod.ts";
import { _is_ragged_eof, _tls_error } from "./_tls_error.ts";

/** What the engine needs of a TLS connection, beyond `Deno.Conn`. */
export interface _TlsLink extends Deno.Conn {
  /** Runs the handshake once; later calls share the first one's result. */
  handshake(): Promise<void>;
  /** ALPN's choice, null for none, undefined before the handshake. */
  readonly alpn: string | null | undefined;
  /** Protocol version ("TLSv1.3") when known, else null. */
  readonly version: string | null;
  /** Python's cipher() triple when known, else null. */
  readonly cipher: [string, string, number] | null;
}

/** Settings a link needs to map errors. */
export interface _LinkOptions {
  /** The name checked against the certificate, for error texts. */
  hostname: string | null;
  /** A ragged EOF is end of input (true) or SSLEOFError (false). */
  suppress_ragged_eofs: boolean;
}

/** What setNoDelay/setKeepAlive do on a TLS link. */
export function _no_tcp_option(): never {
  throw new OSError(
    ENOPROTOOPT,
    "Protocol not available: Deno's TLS connections do not expose TCP options",
  );
}

/** A Deno TlsConn, with Python's errors. */
export class _DenoTlsLink implements _TlsLink {
  #conn: Deno.TlsConn;
  #opts: _LinkOptions;
  #handshake: Promise<void> | null = null;
  #closed = false;
  #alpn: string | null | undefined = undefined;
  readonly version: string | null = null;
  readonly cipher: [string, string, number] | null = null;

  constructor(conn: Deno.TlsConn, opts: _LinkOptions) {
    this.#conn = conn;
    this.#opts = opts;
  }

  get alpn(): string | null | undefined {
    return this.#alpn;
  }

  handshake(): Promise<void> {
    return this.#handshake ??= this.#conn.handshake().then(
      (info) => {
        this.#alpn = info.alpnProtocol;
      },
      (err) => {
        throw this.#map(err, true);
      },
    );
  }

  #map = (err: unknown, in_handshake = false): unknown => {
    if (!in_handshake && this.#handshake === null) {
      // The first read or write ran the handshake implicitly.
      this.#handshake = Promise.reject(err);
      this.#handshake.catch(() => {});
    }
    return _tls_error(err, this.#opts.hostname) ?? err;
  };

  #on_read_error = (err: unknown): number | null => {
    if (_is_ragged_eof(err) && this.#opts.suppress_ragged_eofs) return null;
    throw this.#map(err);
  };

  #on_write_error = (err: unknown): never => {
    throw this.#map(err);
  };

  read(p: Uint8Array): Promise<number | null> {
    if (this.#handshake === null) this.#implicit();
    return this.#conn.read(p).catch(this.#on_read_error);
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#handshake === null) this.#implicit();
    return this.#conn.write(p).catch(this.#on_write_error);
  }

  // The first read or write runs the handshake: follow it, so that what it
  // learnt (ALPN, that it is done) is known; its failure reaches the caller
  // through the read or write itself.
  #implicit(): void {
    this.handshake().catch(() => {});
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Deno closed it already (a failed handshake).
    }
  }

  get localAddr(): Deno.NetAddr {
    return this.#conn.localAddr;
  }

  get remoteAddr(): Deno.NetAddr {
    return this.#conn.remoteAddr;
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#conn.readable;
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    return this.#conn.writable;
  }

  ref(): void {
    this.#conn.ref();
  }

  unref(): void {
    this.#conn.unref();
  }

  setNoDelay(): void {
    _no_tcp_option();
  }

  setKeepAlive(): void {
    _no_tcp_option();
  }

  [Symbol.dispose](): void {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }
}

/** Handshakes a TLS listener runs at once, at most. */
export const HANDSHAKES_IN_FLIGHT = 64;

/**
 * A Deno TlsListener whose connections are {@linkcode _DenoTlsLink}s. With
 * `handshake` it runs the server handshakes of up to
 * {@linkcode HANDSHAKES_IN_FLIGHT} clients at once and hands connections
 * out as their handshakes finish (a failed one rejects the accept() that
 * takes it): one slow client no longer holds up the ones behind it, as it
 * would in a serial accept-then-handshake loop.
 */
export class _DenoTlsListener implements Deno.Listener {
  #listener: Deno.TlsListener;
  #opts: _LinkOptions;
  #handshake: boolean;
  // Finished handshakes in order: a link, or what a failed one threw.
  #done: unknown[] = [];
  #in_flight = new Set<_DenoTlsLink>();
  #accepting = false;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(
    listener: Deno.TlsListener,
    opts: _LinkOptions,
    handshake: boolean,
  ) {
    this.#listener = listener;
    this.#opts = opts;
    this.#handshake = handshake;
  }

  // Not async: a finished handshake is handed out without a promise hop.
  accept(): Promise<Deno.Conn> {
    if (!this.#handshake) {
      return this.#listener.accept().then((conn) =>
        new _DenoTlsLink(conn, this.#opts)
      );
    }
    if (this.#done.length > 0) return this.#take();
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    }
    this.#fill();
    return new Promise<void>((resolve) => this.#wake = resolve).then(
      this.#after_wait,
    );
  }

  #after_wait = (): Promise<Deno.Conn> => this.accept();

  #take(): Promise<Deno.Conn> {
    const first = this.#done.shift();
    this.#fill();
    return first instanceof _DenoTlsLink
      ? Promise.resolve(first)
      : Promise.reject(first);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  // Keeps one accept going while there is room for another handshake.
  #fill(): void {
    if (
      this.#accepting || this.#closed ||
      this.#in_flight.size + this.#done.length >= HANDSHAKES_IN_FLIGHT
    ) return;
    this.#accepting = true;
    this.#listener.accept().then(this.#on_conn, this.#on_accept_error);
  }

  // Made once per listener: these run per connection.
  #on_conn = (conn: Deno.TlsConn): void => {
    this.#accepting = false;
    const link = new _DenoTlsLink(conn, this.#opts);
    this.#in_flight.add(link);
    link.handshake().then(
      () => this.#settled(link, link),
      (error) => {
        link.close();
        this.#settled(link, error);
      },
    );
    this.#fill();
  };

  #on_accept_error = (error: unknown): void => {
    this.#accepting = false;
    if (!this.#closed) this.#done.push(error);
    this.#notify();
  };

  #settled(link: _DenoTlsLink, item: unknown): void {
    this.#in_flight.delete(link);
    this.#done.push(item);
    if (this.#closed) this.#drop();
    this.#notify();
  }

  #drop(): void {
    for (const item of this.#done) {
      if (item instanceof _DenoTlsLink) item.close();
    }
    this.#done = [];
  }

  close(): void {
    this.#closed = true;
    this.#listener.close();
    for (const link of this.#in_flight) link.close();
    this.#drop();
    this.#notify();
  }

  get addr(): Deno.Addr {
    return this.#listener.addr;
  }

  ref(): void {
    this.#listener.ref();
  }

  unref(): void {
    this.#listener.unref();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource) return;
        throw err;
      }
    }
  }

  [Symbol.dispose](): void {
    try {
      this.close();
    } catch {
      // Closed already.
    }
  }
}

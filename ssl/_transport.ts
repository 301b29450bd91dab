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

function no_tcp_option(): never {
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
    return this.#conn.read(p).catch(this.#on_read_error);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p).catch(this.#on_write_error);
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  close(): void {
    this.#conn.close();
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
    no_tcp_option();
  }

  setKeepAlive(): void {
    no_tcp_option();
  }

  [Symbol.dispose](): void {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }
}

/** A Deno TlsListener whose connections are {@linkcode _DenoTlsLink}s. */
export class _DenoTlsListener implements Deno.Listener {
  #listener: Deno.TlsListener;
  #opts: _LinkOptions;

  constructor(listener: Deno.TlsListener, opts: _LinkOptions) {
    this.#listener = listener;
    this.#opts = opts;
  }

  async accept(): Promise<Deno.Conn> {
    return new _DenoTlsLink(await this.#listener.accept(), this.#opts);
  }

  close(): void {
    this.#listener.close();
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
      this.#listener.close();
    } catch {
      // Closed already.
    }
  }
}

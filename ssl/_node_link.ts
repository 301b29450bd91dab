// Clients Deno.startTls cannot make: it always verifies the server (no
// CERT_NONE) and takes no client certificate. Those connections run on
// Deno's built-in node:tls over the socket's own TCP connection.
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import tls from "node:tls";
import { _is_ragged_eof, _tls_error } from "./_tls_error.ts";
import {
  type _LinkOptions,
  _no_tcp_option,
  type _TlsLink,
} from "./_transport.ts";

/** What node:tls needs to start an unverified client connection. */
export interface _NodeLinkSettings {
  /** SNI name; omitted for IP addresses, as Python does. */
  servername: string | null;
  /** ALPN offer, or null. */
  alpn: string[] | null;
  /** Client certificate chain and key (PEM), when the server asks. */
  cert: string | null;
  /** The key for `cert`. */
  key: string | null;
  /** Verify the server's chain (client certificates need this path too). */
  verify: boolean;
  /** Check the server's name. */
  check_hostname: boolean;
  /** Extra CA certificates (PEM); none means node's default roots. */
  ca: string[];
}

const READ_SIZE = 16 * 1024;

// A node Duplex over a Deno connection, so node:tls can run on it.
function duplex_over(conn: Deno.Conn): Duplex {
  return new Duplex({
    read() {
      const buf = new Uint8Array(READ_SIZE);
      conn.read(buf).then(
        (n) => this.push(n === null ? null : buf.subarray(0, n)),
        (err) => this.destroy(err),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      write_all(conn, chunk).then(() => callback(), callback);
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), () => callback());
    },
    destroy(_err, callback) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
      callback(null);
    },
  });
}

async function write_all(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}

/** A node:tls client connection that skips verification, as a Deno.Conn. */
export class _NodeTlsLink implements _TlsLink {
  #sock: tls.TLSSocket;
  #raw: Deno.Conn;
  #opts: _LinkOptions;
  #handshake: Promise<void>;
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(
    conn: Deno.Conn,
    settings: _NodeLinkSettings,
    opts: _LinkOptions,
  ) {
    this.#raw = conn;
    this.#opts = opts;
    this.#sock = tls.connect({
      socket: duplex_over(conn),
      rejectUnauthorized: settings.verify,
      ...(settings.verify && settings.ca.length > 0
        ? { ca: [...tls.rootCertificates, ...settings.ca] }
        : {}),
      ...(settings.check_hostname
        ? {}
        : { checkServerIdentity: () => undefined }),
      ...(settings.servername ? { servername: settings.servername } : {}),
      ...(settings.alpn ? { ALPNProtocols: settings.alpn } : {}),
      ...(settings.cert && settings.key
        ? { cert: settings.cert, key: settings.key }
        : {}),
    });
    this.#handshake = new Promise<void>((resolve, reject) => {
      this.#sock.once("secureConnect", () => resolve());
      this.#sock.once("error", reject);
      this.#sock.once(
        "close",
        () =>
          reject(new Deno.errors.UnexpectedEof("peer closed in the handshake")),
      );
    }).catch((err) => {
      throw _tls_error(err, this.#opts.hostname) ?? err;
    });
    this.#handshake.catch(() => {});
    const wake = () => {
      const w = this.#wake;
      this.#wake = null;
      w?.();
    };
    this.#sock.on("readable", wake);
    this.#sock.on("end", () => {
      this.#ended = true;
      wake();
    });
    this.#sock.on("error", (err) => {
      this.#error ??= err;
      wake();
    });
    this.#sock.on("close", () => {
      this.#ended = true;
      wake();
    });
  }

  handshake(): Promise<void> {
    return this.#handshake;
  }

  get alpn(): string | null | undefined {
    const chosen = this.#sock.alpnProtocol;
    return typeof chosen === "string"
      ? chosen
      : chosen === false
      ? null
      : undefined;
  }

  get version(): string | null {
    return this.#sock.getProtocol() ?? null;
  }

  get cipher(): [string, string, number] | null {
    const c = this.#sock.getCipher();
    if (!c) return null;
    const bits = /256|CHACHA20/.test(c.name)
      ? 256
      : /128/.test(c.name)
      ? 128
      : 0;
    return [c.standardName ?? c.name, c.version, bits];
  }

  async read(p: Uint8Array): Promise<number | null> {
    await this.#handshake;
    for (;;) {
      const chunk = this.#sock.read() as Buffer | null;
      if (chunk !== null && chunk.length > 0) {
        const n = Math.min(p.length, chunk.length);
        p.set(chunk.subarray(0, n));
        if (n < chunk.length) this.#sock.unshift(chunk.subarray(n));
        return n;
      }
      if (this.#error !== null) {
        const err = this.#error;
        if (_is_ragged_eof(err) && this.#opts.suppress_ragged_eofs) return null;
        throw _tls_error(err, this.#opts.hostname) ?? err;
      }
      if (this.#ended || this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  async write(p: Uint8Array): Promise<number> {
    await this.#handshake;
    const bytes = Buffer.from(p);
    await new Promise<void>((resolve, reject) =>
      this.#sock.write(bytes, (err) => err ? reject(err) : resolve())
    );
    return p.length;
  }

  closeWrite(): Promise<void> {
    return new Promise<void>((resolve) => this.#sock.end(() => resolve()));
  }

  close(): void {
    this.#closed = true;
    this.#sock.destroy();
    try {
      this.#raw.close();
    } catch {
      // node closed it already.
    }
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  get localAddr(): Deno.NetAddr {
    return this.#raw.localAddr as Deno.NetAddr;
  }

  get remoteAddr(): Deno.NetAddr {
    return this.#raw.remoteAddr as Deno.NetAddr;
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return Duplex.toWeb(this.#sock).readable as ReadableStream<
      Uint8Array<ArrayBuffer>
    >;
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    return Duplex.toWeb(this.#sock).writable as WritableStream<
      Uint8Array<ArrayBufferLike>
    >;
  }

  ref(): void {
    this.#raw.ref();
  }

  unref(): void {
    this.#raw.unref();
  }

  setNoDelay(): void {
    _no_tcp_option();
  }

  setKeepAlive(): void {
    _no_tcp_option();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * `SSLContext` and `create_default_context()`: the TLS configuration
 * (certificates, trusted CAs, hostname check, verify mode, ALPN, versions)
 * with Python's defaults, and `wrap_socket()`.
 *
 * @example A client context, as Python makes it
 * ```ts
 * import { CERT_REQUIRED, create_default_context } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const ctx = create_default_context();
 * assert.equal(ctx.verify_mode, CERT_REQUIRED);
 * assert.equal(ctx.check_hostname, true);
 * ```
 * @module
 */
import { EINVAL, ENOPROTOOPT, OSError, type Socket } from "../net/mod.ts";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  PROTOCOL_TLS,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  type PurposeValue,
  SSL_ERROR_SSL,
  TLSVersion,
  type TLSVersionValue,
} from "./constants.ts";
import { SSLError } from "./errors.ts";
import { _config } from "./_config.ts";
import { _certificates, _pem_blocks, _read_pem_file } from "./_pem.ts";
import type { SSLSocket } from "./socket.ts";
import { _wrap_socket } from "./_registry.ts";
// Loads socket.ts, which registers the wrap function.
import "./socket.ts";

/** Options of {@linkcode SSLContext.wrap_socket}, with Python's names. */
export interface WrapSocketOptions {
  /** Act as the server (wrap a listening socket); default false. */
  server_side?: boolean;
  /** The name to check the certificate against and send as SNI. */
  server_hostname?: string | null;
  /** Run the handshake in `wrap_socket()`/`connect()`/`accept()`;
   * default true. */
  do_handshake_on_connect?: boolean;
  /** A peer that closes without TLS's closing message reads as end of
   * input (default true); false makes `recv()` raise `SSLEOFError`. */
  suppress_ragged_eofs?: boolean;
}

/** Where `load_verify_locations()` reads trusted CA certificates. */
export interface VerifyLocations {
  /** A PEM file of one or more CA certificates. */
  cafile?: string | URL | null;
  /** A folder whose files hold PEM CA certificates. */
  capath?: string | URL | null;
  /** PEM text, or DER bytes of one or more certificates. */
  cadata?: string | Uint8Array | null;
}

const VERSION_NAMES = new Map<number, string>(
  Object.entries(TLSVersion).map(([name, value]) => [value, name]),
);

/**
 * TLS settings shared by the sockets wrapped with it, as Python's
 * `ssl.SSLContext`. Deno's TLS (rustls) does the work: it speaks TLS 1.2
 * and 1.3, always trusts its built-in root store besides what is loaded,
 * and cannot ask clients for certificates.
 *
 * @example A server context and a client context talking
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER, SSLContext } from "@pysock/pysock/ssl";
 * import { create_connection, create_server } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * const dir = "tests/ssl/fixtures";
 * const server_ctx = new SSLContext(PROTOCOL_TLS_SERVER);
 * server_ctx.load_cert_chain(`${dir}/localhost.pem`, `${dir}/localhost.key`);
 * const client_ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * client_ctx.load_verify_locations({ cafile: `${dir}/ca.pem` });
 * await using server = await server_ctx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
 * const addr = server.getsockname() as [string, number];
 * const accepting = server.accept();
 * await using client = await client_ctx.wrap_socket(await create_connection(addr), { server_hostname: "localhost" });
 * const [conn] = await accepting;
 * await using _ = conn;
 * await client.sendall("ping");
 * assert.equal(new TextDecoder().decode(await conn.recv(10)), "ping");
 * ```
 */
export class SSLContext {
  /** `PROTOCOL_TLS_CLIENT`, `PROTOCOL_TLS_SERVER` or `PROTOCOL_TLS`. */
  readonly protocol: number;
  #check_hostname: boolean;
  #verify_mode: number;
  #minimum_version: TLSVersionValue = TLSVersion.TLSv1_2;
  #maximum_version: TLSVersionValue = TLSVersion.MAXIMUM_SUPPORTED;

  /**
   * Makes a context with Python's defaults for `protocol`: a client one
   * checks the hostname and requires a valid certificate; a server one
   * checks nothing.
   *
   * @param protocol `PROTOCOL_TLS_CLIENT`, `PROTOCOL_TLS_SERVER` or
   *   `PROTOCOL_TLS` (the default, as in Python, which deprecates it).
   * @throws {RangeError} For another protocol (Python's ValueError).
   */
  constructor(protocol: number = PROTOCOL_TLS) {
    if (
      protocol !== PROTOCOL_TLS_CLIENT && protocol !== PROTOCOL_TLS_SERVER &&
      protocol !== PROTOCOL_TLS
    ) {
      throw new RangeError(
        `Cannot create SSLContext: protocol must be PROTOCOL_TLS_CLIENT (16), PROTOCOL_TLS_SERVER (17) or PROTOCOL_TLS (2), received ${
          String(protocol)
        }`,
      );
    }
    this.protocol = protocol;
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#check_hostname = client;
    this.#verify_mode = client ? CERT_REQUIRED : CERT_NONE;
  }

  /**
   * Whether a client checks the server's certificate against
   * `server_hostname`. Setting it true on a `CERT_NONE` context makes it
   * `CERT_REQUIRED`, as Python does.
   *
   * @example Usage
   * ```ts
   * import { CERT_NONE, PROTOCOL_TLS_CLIENT, SSLContext } from "@pysock/pysock/ssl";
   * import assert from "node:assert/strict";
   * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
   * ctx.check_hostname = false;
   * ctx.verify_mode = CERT_NONE;
   * assert.equal(ctx.check_hostname, false);
   * ```
   */
  get check_hostname(): boolean {
    return this.#check_hostname;
  }
  set check_hostname(value: boolean) {
    if (typeof value !== "boolean") {
      throw new TypeError(
        `Cannot set check_hostname: value must be a boolean, received ${typeof value}`,
      );
    }
    if (value && this.#verify_mode === CERT_NONE) {
      this.#verify_mode = CERT_REQUIRED;
    }
    this.#check_hostname = value;
  }

  /**
   * `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. A server context can
   * only use `CERT_NONE` (Deno cannot ask clients for certificates:
   * wrapping fails with an OSError saying so).
   *
   * @throws {RangeError} For `CERT_NONE` while `check_hostname` is true,
   *   and for an unknown mode (Python's ValueError).
   *
   * @example Usage
   * ```ts
   * import { CERT_NONE, create_default_context } from "@pysock/pysock/ssl";
   * import assert from "node:assert/strict";
   * const ctx = create_default_context();
   * assert.throws(() => ctx.verify_mode = CERT_NONE, RangeError);
   * ```
   */
  get verify_mode(): number {
    return this.#verify_mode;
  }
  set verify_mode(value: number) {
    if (
      value !== CERT_NONE && value !== CERT_OPTIONAL && value !== CERT_REQUIRED
    ) {
      throw new RangeError(
        `Cannot set verify_mode: value must be CERT_NONE (0), CERT_OPTIONAL (1) or CERT_REQUIRED (2), received ${
          String(value)
        }`,
      );
    }
    if (value === CERT_NONE && this.#check_hostname) {
      throw new RangeError(
        "Cannot set verify_mode to CERT_NONE when check_hostname is enabled",
      );
    }
    this.#verify_mode = value;
  }

  /**
   * The lowest TLS version to accept (default `TLSVersion.TLSv1_2`, as
   * Python's). Deno always speaks TLS 1.2 and 1.3, so only values that keep
   * both (`MINIMUM_SUPPORTED` up to `TLSv1_2`) can be honoured.
   *
   * @throws {OSError} ENOPROTOOPT (92) for `TLSv1_3`: Deno cannot refuse
   *   TLS 1.2.
   *
   * @example Usage
   * ```ts
   * import { create_default_context, TLSVersion } from "@pysock/pysock/ssl";
   * import { OSError } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const ctx = create_default_context();
   * ctx.minimum_version = TLSVersion.TLSv1_2;
   * assert.throws(() => ctx.minimum_version = TLSVersion.TLSv1_3, OSError);
   * ```
   */
  get minimum_version(): TLSVersionValue {
    return this.#minimum_version;
  }
  set minimum_version(value: TLSVersionValue) {
    this.#minimum_version = check_version(value, "minimum_version");
  }

  /**
   * The highest TLS version to accept (default
   * `TLSVersion.MAXIMUM_SUPPORTED`). Deno always offers TLS 1.3, so only
   * `TLSv1_3` and `MAXIMUM_SUPPORTED` can be honoured.
   *
   * @throws {OSError} ENOPROTOOPT (92) for `TLSv1_2` or lower.
   *
   * @example Usage
   * ```ts
   * import { create_default_context, TLSVersion } from "@pysock/pysock/ssl";
   * import assert from "node:assert/strict";
   * const ctx = create_default_context();
   * ctx.maximum_version = TLSVersion.TLSv1_3;
   * assert.equal(ctx.maximum_version, 772);
   * ```
   */
  get maximum_version(): TLSVersionValue {
    return this.#maximum_version;
  }
  set maximum_version(value: TLSVersionValue) {
    this.#maximum_version = check_version(value, "maximum_version");
  }

  /**
   * Loads the certificate chain and private key this side presents
   * (the server's, or a client's when a server asks for one).
   *
   * @param certfile PEM file with the certificate chain, and the key too
   *   when `keyfile` is omitted.
   * @param keyfile PEM file with the private key (RSA, EC or PKCS#8).
   * @param password Accepted for Python's signature; Deno cannot read
   *   encrypted keys, so any password throws.
   * @throws {FileNotFoundError} When a file is missing (errno 2).
   * @throws {SSLError} When no certificate or no usable key is found.
   * @throws {OSError} ENOPROTOOPT (92) for a password.
   *
   * @example Usage
   * ```ts
   * import { PROTOCOL_TLS_SERVER, SSLContext } from "@pysock/pysock/ssl";
   * const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
   * ctx.load_cert_chain("tests/ssl/fixtures/localhost.pem", "tests/ssl/fixtures/localhost.key");
   * ```
   */
  load_cert_chain(
    certfile: string | URL,
    keyfile?: string | URL | null,
    password?: unknown,
  ): void {
    if (password !== undefined && password !== null) {
      throw new OSError(
        ENOPROTOOPT,
        "Protocol not available: Deno cannot read password-protected keys",
      );
    }
    const cert_text = _read_pem_file(certfile, "certificate chain");
    const key_text = keyfile == null
      ? cert_text
      : _read_pem_file(keyfile, "private key");
    const certs = _pem_blocks(cert_text).filter((b) =>
      b.label === "CERTIFICATE"
    );
    const keys = _pem_blocks(key_text).filter((b) =>
      b.label.endsWith("PRIVATE KEY")
    );
    if (certs.length === 0 || keys.length === 0) {
      throw new SSLError(SSL_ERROR_SSL, "[SSL] PEM lib", { library: "SSL" });
    }
    if (keys[0]!.label === "ENCRYPTED PRIVATE KEY") {
      throw new OSError(
        ENOPROTOOPT,
        "Protocol not available: Deno cannot read password-protected keys",
      );
    }
    const config = _config(this);
    config.cert = certs.map((b) => b.text).join("");
    config.key = keys[0]!.text;
  }

  /**
   * Adds CA certificates to trust when verifying the peer.
   *
   * @param locations `cafile` (PEM file), `capath` (a folder of PEM files)
   *   and/or `cadata` (PEM text or DER bytes).
   * @throws {TypeError} When none is given (Python's TypeError).
   * @throws {FileNotFoundError} For a missing file or folder (errno 2).
   * @throws {SSLError} When the data holds no certificate.
   *
   * @example Usage
   * ```ts
   * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysock/pysock/ssl";
   * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
   * ctx.load_verify_locations({ cafile: "tests/ssl/fixtures/ca.pem" });
   * ```
   */
  load_verify_locations(locations: VerifyLocations): void {
    const { cafile, capath, cadata } = locations ?? {};
    if (cafile == null && capath == null && cadata == null) {
      throw new TypeError(
        "Cannot load verify locations: cafile, capath and cadata cannot be all omitted",
      );
    }
    const found: string[] = [];
    if (cafile != null) {
      found.push(..._certificates(_read_pem_file(cafile, "cafile")));
    }
    if (capath != null) {
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(capath)];
      } catch (err) {
        // Python checks capath lazily; a missing folder is its caller's bug.
        throw _read_error(err);
      }
      const dir = String(capath).replace(/\/$/, "");
      for (const entry of entries) {
        if (entry.isFile) {
          found.push(
            ..._certificates(_read_pem_file(`${dir}/${entry.name}`, "capath")),
          );
        }
      }
    }
    if (cadata != null) {
      if (typeof cadata !== "string" && !(cadata instanceof Uint8Array)) {
        throw new TypeError(
          `Cannot load verify locations: cadata must be a string or Uint8Array, received ${typeof cadata}`,
        );
      }
      const certs = _certificates(cadata);
      if (certs.length === 0) {
        throw new SSLError(
          SSL_ERROR_SSL,
          "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found",
          { library: "X509", reason: "NO_CERTIFICATE_OR_CRL_FOUND" },
        );
      }
      found.push(...certs);
    }
    if (found.length === 0 && cafile != null) {
      throw new SSLError(SSL_ERROR_SSL, "[X509: NO_CERTIFICATE_OR_CRL_FOUND]", {
        library: "X509",
        reason: "NO_CERTIFICATE_OR_CRL_FOUND",
      });
    }
    const config = _config(this);
    for (const cert of found) {
      if (!config.cas.includes(cert)) config.cas.push(cert);
    }
  }

  /**
   * Trusts the system's default CAs. Deno trusts its root store (Mozilla's,
   * or the system's with `DENO_TLS_CA_STORE=system`) on every connection
   * anyway, so this only exists for Python's call sequence.
   *
   * @param _purpose Accepted for Python's signature.
   *
   * @example Usage
   * ```ts
   * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysock/pysock/ssl";
   * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
   * ctx.load_default_certs();
   * ```
   */
  load_default_certs(_purpose: PurposeValue = Purpose.SERVER_AUTH): void {}

  /**
   * Same as `load_default_certs()`: Deno's root store is always trusted.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * create_default_context().set_default_verify_paths();
   * ```
   */
  set_default_verify_paths(): void {}

  /**
   * Sets the ALPN protocols to offer (client) or choose from (server), most
   * preferred first.
   *
   * @param protocols Protocol names such as `"h2"`, `"http/1.1"`.
   * @throws {TypeError} When it is not an array of strings.
   * @throws {RangeError} For a name of 0 or more than 255 bytes.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * create_default_context().set_alpn_protocols(["h2", "http/1.1"]);
   * ```
   */
  set_alpn_protocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols)) {
      throw new TypeError(
        `Cannot set ALPN protocols: protocols must be an array, received ${typeof protocols}`,
      );
    }
    for (const name of protocols) {
      if (typeof name !== "string") {
        throw new TypeError(
          `Cannot set ALPN protocols: each protocol must be a string, received ${typeof name}`,
        );
      }
      const size = new TextEncoder().encode(name).length;
      if (size < 1 || size > 255) {
        throw new RangeError(
          `Cannot set ALPN protocols: a protocol must be 1 to 255 bytes long, received "${name}"`,
        );
      }
    }
    _config(this).alpn = protocols.length > 0 ? [...protocols] : null;
  }

  /**
   * Wraps a socket in TLS, as Python's `SSLContext.wrap_socket()`. A
   * connected socket becomes a client (upgraded in place with
   * `Deno.startTls`, so a plain exchange may come first, as STARTTLS does)
   * and handshakes now unless `do_handshake_on_connect` is false; an
   * unconnected one handshakes in `connect()`. With `server_side`, a
   * listening (or bound) socket becomes a TLS listener whose `accept()`
   * returns handshaken `SSLSocket`s. The socket passed in is closed
   * (fileno -1), as Python detaches it.
   *
   * @param sock A stream socket.
   * @param options `server_side`, `server_hostname`,
   *   `do_handshake_on_connect`, `suppress_ragged_eofs`.
   * @returns The `SSLSocket`.
   * @throws {RangeError} Without `server_hostname` while `check_hostname`
   *   is on, or with `do_handshake_on_connect` on a non-blocking socket
   *   (Python's ValueError).
   * @throws {SSLCertVerificationError} When the server's certificate fails.
   * @throws {OSError} EOPNOTSUPP (95) for what Deno cannot do: a server
   *   side on an accepted connection, or a server asking for client
   *   certificates; EBUSY (16) while the socket has a read or send pending.
   *
   * @example A client
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import { socket } from "@pysock/pysock/net";
   * import assert from "node:assert/strict";
   * const ctx = create_default_context();
   * // check_hostname needs a name to check
   * await assert.rejects(ctx.wrap_socket(socket()), RangeError);
   * ```
   */
  wrap_socket(
    sock: Socket,
    options: WrapSocketOptions = {},
  ): Promise<SSLSocket> {
    return _wrap_socket(this, sock, options);
  }

  /**
   * The CA certificates loaded so far, as PEM texts (Python returns parsed
   * dictionaries; Deno has no certificate parser).
   *
   * @returns One PEM text per certificate.
   *
   * @example Usage
   * ```ts
   * import { create_default_context } from "@pysock/pysock/ssl";
   * import assert from "node:assert/strict";
   * const ctx = create_default_context({ cafile: "tests/ssl/fixtures/ca.pem" });
   * assert.equal(ctx.get_ca_certs().length, 1);
   * ```
   */
  get_ca_certs(): string[] {
    return [..._config(this).cas];
  }
}

function check_version(value: unknown, name: string): TLSVersionValue {
  if (typeof value !== "number" || !VERSION_NAMES.has(value)) {
    throw new RangeError(
      `Cannot set ${name}: value must be a TLSVersion, received ${
        String(value)
      }`,
    );
  }
  const keeps_both = name === "minimum_version"
    ? value <= TLSVersion.TLSv1_2
    : value === TLSVersion.TLSv1_3 || value === TLSVersion.MAXIMUM_SUPPORTED;
  if (!keeps_both) {
    throw new OSError(
      ENOPROTOOPT,
      `Protocol not available: Deno always speaks TLS 1.2 and 1.3 and cannot set ${name} to ${
        VERSION_NAMES.get(value)
      }`,
    );
  }
  return value as TLSVersionValue;
}

function _read_error(err: unknown): OSError {
  return err instanceof OSError ? err : new OSError(EINVAL, String(err), {
    cause: err,
  });
}

/** Options of {@linkcode create_default_context}. */
export interface DefaultContextOptions extends VerifyLocations {}

/**
 * A context with Python's secure defaults, as `ssl.create_default_context()`:
 * for `Purpose.SERVER_AUTH` (default) a client context that verifies the
 * server and its hostname; for `Purpose.CLIENT_AUTH` a server context. CAs
 * come from `cafile`/`capath`/`cadata` when given, else the default store.
 *
 * @param purpose `Purpose.SERVER_AUTH` or `Purpose.CLIENT_AUTH`; or the
 *   options, for the default purpose.
 * @param options `cafile`, `capath`, `cadata`.
 * @returns The context.
 * @throws {RangeError} For another purpose.
 *
 * @example Usage
 * ```ts
 * import { create_default_context, PROTOCOL_TLS_CLIENT } from "@pysock/pysock/ssl";
 * import assert from "node:assert/strict";
 * const ctx = create_default_context(undefined, { cafile: "tests/ssl/fixtures/ca.pem" });
 * assert.equal(ctx.protocol, PROTOCOL_TLS_CLIENT);
 * ```
 */
export function create_default_context(
  purpose: PurposeValue | DefaultContextOptions = Purpose.SERVER_AUTH,
  options: DefaultContextOptions = {},
): SSLContext {
  // Python's keyword call create_default_context(cafile=...) ports as
  // create_default_context({ cafile }): the options may come first.
  if (typeof purpose === "object" && purpose !== null) {
    options = purpose;
    purpose = Purpose.SERVER_AUTH;
  }
  if (purpose !== Purpose.SERVER_AUTH && purpose !== Purpose.CLIENT_AUTH) {
    throw new RangeError(
      `Cannot create default context: purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH, received ${
        String(purpose)
      }`,
    );
  }
  const ctx = new SSLContext(
    purpose === Purpose.SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER,
  );
  if (
    options.cafile != null || options.capath != null || options.cadata != null
  ) {
    ctx.load_verify_locations(options);
  } else {
    ctx.load_default_certs(purpose);
  }
  return ctx;
}

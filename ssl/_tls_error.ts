// Turns what Deno's TLS (rustls) throws into Python's ssl errors, with the
// codes and texts CPython's OpenSSL reports for the same failure.
import { SSL_ERROR_SSL } from "./constants.ts";
import {
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLZeroReturnError,
} from "./errors.ts";

// OpenSSL's alert reasons, by rustls's alert names.
const ALERTS: Readonly<Record<string, string>> = {
  UnknownCA: "TLSV1_ALERT_UNKNOWN_CA",
  BadCertificate: "SSLV3_ALERT_BAD_CERTIFICATE",
  CertificateExpired: "SSLV3_ALERT_CERTIFICATE_EXPIRED",
  CertificateUnknown: "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
  HandshakeFailure: "SSLV3_ALERT_HANDSHAKE_FAILURE",
  ProtocolVersion: "TLSV1_ALERT_PROTOCOL_VERSION",
  NoApplicationProtocol: "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
  DecryptError: "TLSV1_ALERT_DECRYPT_ERROR",
  InternalError: "TLSV1_ALERT_INTERNAL_ERROR",
  CertificateRequired: "TLSV13_ALERT_CERTIFICATE_REQUIRED",
};

// OpenSSL's verify codes by node:tls's error codes.
const NODE_CODES: Readonly<Record<string, [number, string]>> = {
  CERT_HAS_EXPIRED: [10, "certificate has expired"],
  CERT_NOT_YET_VALID: [9, "certificate is not yet valid"],
  DEPTH_ZERO_SELF_SIGNED_CERT: [18, "self-signed certificate"],
  SELF_SIGNED_CERT_IN_CHAIN: [
    19,
    "self-signed certificate in certificate chain",
  ],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [
    20,
    "unable to get local issuer certificate",
  ],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [
    21,
    "unable to verify the first certificate",
  ],
  ERR_TLS_CERT_ALTNAME_INVALID: [62, "Hostname mismatch"],
};

/** True for Deno's "peer closed without close_notify" read error. */
export function _is_ragged_eof(err: unknown): boolean {
  return err instanceof Deno.errors.UnexpectedEof ||
    (err instanceof Error && /close_notify/.test(err.message));
}

/**
 * The ssl error for a TLS failure Deno reported, or `undefined` when `err`
 * is no TLS failure (a reset, a closed resource: net maps those).
 *
 * @param err What Deno threw.
 * @param hostname The name checked against the certificate.
 */
export function _tls_error(
  err: unknown,
  hostname: string | null,
): SSLError | undefined {
  if (err instanceof SSLError) return err;
  if (!(err instanceof Error)) return undefined;
  const text = err.message;
  const cause = { cause: err };
  const by_code = NODE_CODES[(err as { code?: string }).code ?? ""];
  if (by_code) {
    const [code, message] = by_code;
    return new SSLCertVerificationError(
      code,
      code === 62
        ? `Hostname mismatch, certificate is not valid for '${hostname ?? ""}'.`
        : message,
      cause,
    );
  }
  if (/invalid peer certificate/i.test(text)) {
    if (/not valid for name|NotValidForName/i.test(text)) {
      return new SSLCertVerificationError(
        62,
        `Hostname mismatch, certificate is not valid for '${hostname ?? ""}'.`,
        cause,
      );
    }
    if (/expired/i.test(text)) {
      return new SSLCertVerificationError(10, "certificate has expired", cause);
    }
    if (/not valid yet|NotValidYet/i.test(text)) {
      return new SSLCertVerificationError(
        9,
        "certificate is not yet valid",
        cause,
      );
    }
    if (/UnknownIssuer/i.test(text)) {
      return new SSLCertVerificationError(
        20,
        "unable to get local issuer certificate",
        cause,
      );
    }
    if (/revoked/i.test(text)) {
      return new SSLCertVerificationError(23, "certificate revoked", cause);
    }
    return new SSLCertVerificationError(
      0,
      text.replace(/^invalid peer certificate: /i, ""),
      cause,
    );
  }
  const alert = /received fatal alert: (\w+)/.exec(text);
  if (alert) {
    const reason = ALERTS[alert[1]!] ?? `ALERT_${alert[1]!.toUpperCase()}`;
    const words = reason.toLowerCase().replaceAll("_", " ");
    return new SSLError(SSL_ERROR_SSL, `[SSL: ${reason}] ${words}`, {
      ...cause,
      library: "SSL",
      reason,
    });
  }
  if (_is_ragged_eof(err)) return new SSLEOFError(undefined, undefined, cause);
  if (
    err instanceof Deno.errors.InvalidData ||
    /corrupt message|InvalidMessage|peer is incompatible|peer misbehaved|tls/i
      .test(text)
  ) {
    return new SSLError(SSL_ERROR_SSL, `[SSL] ${text}`, {
      ...cause,
      library: "SSL",
    });
  }
  return undefined;
}

/** The error for a handshake that met a connection closed cleanly. */
export function _closed_in_handshake(): SSLZeroReturnError {
  return new SSLZeroReturnError();
}

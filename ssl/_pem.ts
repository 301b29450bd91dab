// PEM text: splitting bundles into blocks, DER to PEM, reading files the way
// Python's ssl does (a missing file is FileNotFoundError).
import { _tls_hooks, type OSError } from "../net/mod.ts";
import { SSL_ERROR_SSL } from "./constants.ts";
import { SSLError } from "./errors.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** One PEM block: its label ("CERTIFICATE", "PRIVATE KEY"...) and text. */
export interface _PemBlock {
  label: string;
  text: string;
}

/** Every PEM block in `text`, in order. */
export function _pem_blocks(text: string): _PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({
    label: m[1]!,
    text: m[0] + "\n",
  }));
}

/** The certificates in `text` (PEM) or in `der` (one or more DER ones). */
export function _certificates(data: string | Uint8Array): string[] {
  if (typeof data === "string") {
    return _pem_blocks(data).filter((b) => b.label === "CERTIFICATE").map((
      b,
    ) => b.text);
  }
  const out: string[] = [];
  let at = 0;
  // DER certificates are SEQUENCEs with a long-form length: walk them.
  while (at + 4 <= data.length && data[at] === 0x30) {
    const lenbytes = data[at + 1]! & 0x7f;
    if ((data[at + 1]! & 0x80) === 0 || lenbytes < 1 || lenbytes > 4) break;
    let len = 0;
    for (let i = 0; i < lenbytes; i++) len = len * 256 + data[at + 2 + i]!;
    const end = at + 2 + lenbytes + len;
    if (end > data.length) break;
    out.push(der_to_pem(data.subarray(at, end)));
    at = end;
  }
  if (at !== data.length) {
    throw new SSLError(
      SSL_ERROR_SSL,
      "[X509: NOT_ENOUGH_DATA] not enough data: cadata holds no whole DER certificate",
      { library: "X509", reason: "NOT_ENOUGH_DATA" },
    );
  }
  return out;
}

function der_to_pem(der: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    bin += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const b64 = btoa(bin).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Reads a text file as Python's ssl does: OSError with errno on failure. */
export function _read_pem_file(path: string | URL, what: string): string {
  if (typeof path !== "string" && !(path instanceof URL)) {
    throw new TypeError(
      `Cannot load ${what}: path must be a string or URL, received ${typeof path}`,
    );
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    const mapped: OSError = _tls_hooks.to_oserror(err);
    throw mapped;
  }
}

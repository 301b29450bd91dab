// What an SSLContext loaded that has no public getter in Python (the PEM
// texts), kept beside the context for the socket that uses it.
import type { SSLContext } from "./context.ts";

/** The PEM material of one context. */
export interface _Config {
  /** CA certificates, one PEM block each. */
  cas: string[];
  /** The certificate chain to present (PEM), or null. */
  cert: string | null;
  /** Its private key (PEM), or null. */
  key: string | null;
  /** ALPN protocols to offer, or null for none. */
  alpn: string[] | null;
}

const CONFIGS = new WeakMap<SSLContext, _Config>();

/** The material of `ctx`, made empty on first use. */
export function _config(ctx: SSLContext): _Config {
  let config = CONFIGS.get(ctx);
  if (!config) {
    config = { cas: [], cert: null, key: null, alpn: null };
    CONFIGS.set(ctx, config);
  }
  return config;
}

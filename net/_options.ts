/**
 * The socket options a socket keeps (what `setsockopt()` set), and how they
 * reach a Deno connection.
 * @module
 */
import {
  AF_UNIX,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  SO_BROADCAST,
  SO_KEEPALIVE,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./constants.ts";
import { OSError } from "./errors.ts";
import { ENOPROTOOPT } from "./errno.ts";
import { _to_oserror } from "./_map_error.ts";
import { _check_integers } from "./_checks.ts";

// Options a socket keeps, keyed `${level}:${option}`.
const OPTIONS = new Map<string, string>([
  [`${SOL_SOCKET}:${SO_REUSEADDR}`, "SO_REUSEADDR"],
  [`${SOL_SOCKET}:${SO_REUSEPORT}`, "SO_REUSEPORT"],
  [`${SOL_SOCKET}:${SO_BROADCAST}`, "SO_BROADCAST"],
  [`${SOL_SOCKET}:${SO_KEEPALIVE}`, "SO_KEEPALIVE"],
  [`${IPPROTO_TCP}:${TCP_NODELAY}`, "TCP_NODELAY"],
]);

export class _Options {
  // Made on first use: most sockets set no option.
  #values: Map<string, number> | null = null;

  /** The key of an option we keep, or ENOPROTOOPT for any other. */
  static key(level: unknown, option: unknown, action: string): string {
    _check_integers(action, { level, option });
    const key = `${level}:${option}`;
    if (!OPTIONS.has(key)) {
      const where = level === IPPROTO_IPV6 ? " IPv6" : "";
      throw new OSError(
        ENOPROTOOPT,
        `Protocol not available: Deno cannot honour${where} option ${option} at level ${level}`,
      );
    }
    return key;
  }

  get(level: number, option: number): number {
    return this.get_key(`${level}:${option}`);
  }

  get_key(key: string): number {
    return this.#values?.get(key) ?? 0;
  }

  set_key(key: string, value: number): void {
    (this.#values ??= new Map()).set(key, value);
  }

  // Linux copies these options from the listener to accepted sockets.
  copy_from(other: _Options): void {
    if (other.#values !== null) this.#values = new Map(other.#values);
  }

  apply(conn: Deno.Conn | null, family: number): void {
    const values = this.#values;
    if (!conn || family === AF_UNIX || values === null) return;
    const tcp = conn as Deno.TcpConn;
    try {
      if (values.has(`${IPPROTO_TCP}:${TCP_NODELAY}`)) {
        tcp.setNoDelay(this.get(IPPROTO_TCP, TCP_NODELAY) === 1);
      }
      if (values.has(`${SOL_SOCKET}:${SO_KEEPALIVE}`)) {
        tcp.setKeepAlive(this.get(SOL_SOCKET, SO_KEEPALIVE) === 1);
      }
    } catch (err) {
      throw _to_oserror(err);
    }
  }
}

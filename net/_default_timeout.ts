/**
 * The timeout new sockets start with, shared by `setdefaulttimeout()` and
 * the socket constructor.
 * @module
 */

let timeout: number | null = null;

export function _default_timeout(): number | null {
  return timeout;
}

export function _set_default_timeout(value: number | null): void {
  timeout = value;
}

/**
 * Python's `getservbyname()` and `getservbyport()`: service names and their
 * ports, from `/etc/services` (which needs `--allow-read=/etc/services`).
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read=/etc/services
 * import { getservbyname, getservbyport } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(getservbyname("http", "tcp"), 80);
 * assert.equal(getservbyport(22), "ssh");
 * ```
 * @module
 */
import { _show } from "./_address.ts";
import { _name_of, _port_of } from "./_services.ts";
import { ENOENT } from "./errno.ts";
import { OSError } from "./errors.ts";

function check_proto(proto: unknown, action: string): string | undefined {
  if (proto === undefined || typeof proto === "string") return proto;
  throw new TypeError(
    `Cannot ${action}: protocolname must be a string, received ${_show(proto)}`,
  );
}

/**
 * The port of a service, as Python's `socket.getservbyname()`: `"http"` is
 * 80. Names and aliases match exactly (case counts), from `/etc/services`.
 *
 * @param servicename A service name or alias, such as `"http"` or `"www"`.
 * @param protocolname `"tcp"` or `"udp"`; any protocol when omitted.
 * @returns The port number.
 * @throws {OSError} When no such service is known: Python's
 *   `service/proto not found` (errno ENOENT here, none in Python).
 * @throws {PermissionError} Without `--allow-read=/etc/services`, which the
 *   message names.
 * @throws {TypeError} When an argument is not a string.
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read=/etc/services
 * import { getservbyname, OSError } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(getservbyname("domain", "udp"), 53);
 * assert.throws(() => getservbyname("no-such-service"), OSError);
 * ```
 */
export function getservbyname(
  servicename: string,
  protocolname?: string,
): number {
  if (typeof servicename !== "string") {
    throw new TypeError(
      `Cannot look up service: servicename must be a string, received ${
        _show(servicename)
      }`,
    );
  }
  const proto = check_proto(protocolname, "look up service");
  const port = _port_of(servicename, proto);
  if (port === undefined) throw new OSError(ENOENT, "service/proto not found");
  return port;
}

/**
 * The name of the service at a port, as Python's `socket.getservbyport()`:
 * 80 is `"http"`. The first entry of `/etc/services` wins.
 *
 * @param port A port number 0-65535.
 * @param protocolname `"tcp"` or `"udp"`; any protocol when omitted.
 * @returns The service's name.
 * @throws {OSError} When no service is known at that port: Python's
 *   `port/proto not found` (errno ENOENT here, none in Python).
 * @throws {RangeError} When `port` is outside 0-65535 (Python's
 *   OverflowError).
 * @throws {PermissionError} Without `--allow-read=/etc/services`, which the
 *   message names.
 * @throws {TypeError} When `port` is not an integer or `protocolname` not a
 *   string.
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read=/etc/services
 * import { getservbyport } from "@pysock/pysock/net";
 * import assert from "node:assert/strict";
 * assert.equal(getservbyport(53, "udp"), "domain");
 * ```
 */
export function getservbyport(port: number, protocolname?: string): string {
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(
      `Cannot look up service: port must be an integer, received ${
        _show(port)
      }`,
    );
  }
  if (port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot look up service: port must be 0-65535, received ${port}`,
    );
  }
  const proto = check_proto(protocolname, "look up service");
  const name = _name_of(port, proto);
  if (name === undefined) throw new OSError(ENOENT, "port/proto not found");
  return name;
}

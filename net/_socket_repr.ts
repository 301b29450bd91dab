// Python's repr() of a socket, which print() shows.
import type { Address } from "./address.ts";
import { format_address } from "./address.ts";
import { OSError } from "./errors.ts";

/** What the repr reads from a socket. */
export interface _SocketView {
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  fileno(): number;
  getsockname(): Address;
  getpeername(): Address;
}

// Python names the class with its module; ours live in Python's `socket` and
// `ssl` modules, a user's subclass keeps its own name.
const MODULE_OF: Record<string, string> = {
  Socket: "socket.socket",
  SSLSocket: "ssl.SSLSocket",
};

/**
 * `<socket.socket fd=3, family=2, type=1, proto=0, laddr=('127.0.0.1', 9999),
 * raddr=('127.0.0.1', 50000)>`, as Python 3.11 prints it (numbers for family
 * and type); `[closed]` and no addresses once closed.
 */
export function _socket_repr(sock: _SocketView, closed: boolean): string {
  const name = sock.constructor.name;
  let text = `<${MODULE_OF[name] ?? name}${
    closed ? " [closed]" : ""
  } fd=${sock.fileno()}, family=${sock.family}, type=${sock.type}, proto=${sock.proto}`;
  if (!closed) {
    text += part("laddr", () => sock.getsockname());
    text += part("raddr", () => sock.getpeername());
  }
  return `${text}>`;
}

// Python leaves out an address the OS refuses (not connected) or an empty
// one (an unnamed Unix socket), and prints a path without quotes.
function part(key: string, get: () => Address): string {
  let address: Address;
  try {
    address = get();
  } catch (err) {
    if (err instanceof OSError) return "";
    throw err;
  }
  if (address === "") return "";
  const shown = typeof address === "string" ? address : format_address(address);
  return `, ${key}=${shown}`;
}

// The server an agent's handlers see as `this.server`: of the user's server
// class name, at the real address, with the hooks the main thread runs.
import {
  type Address,
  AF_INET,
  AF_INET6,
  SO_REUSEPORT,
  SOCK_DGRAM,
  type Socket,
  SOL_SOCKET,
} from "../net/mod.ts";
import type { BaseServer, ServerConstructor } from "./base.ts";
import { UDPServer } from "./datagram.ts";
import { TCPServer } from "./stream.ts";
import type { AgentInit } from "./_protocol.ts";
import type { Tasks } from "./_tasks.ts";
import { join_shared } from "./_shared_listener.ts";

const encoder = new TextEncoder();

// A datagram server's socket inside an agent: replies go to the main thread,
// which sends them from the real socket.
class RelaySocket {
  #send: (data: Uint8Array, address: Address) => void;
  #address: Address;
  readonly family: number;
  readonly type: number = SOCK_DGRAM;
  readonly proto: number = 0;

  constructor(
    send: (data: Uint8Array, address: Address) => void,
    address: Address,
    family: number,
  ) {
    this.#send = send;
    this.#address = address;
    this.family = family;
  }

  sendto(data: BufferSource | string, address: Address): Promise<number> {
    const bytes = typeof data === "string"
      ? encoder.encode(data)
      : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
      : new Uint8Array(data).slice();
    this.#send(bytes, address);
    return Promise.resolve(bytes.length);
  }

  getsockname(): Address {
    return this.#address;
  }

  fileno(): number {
    return -1;
  }

  gettimeout(): number | null {
    return null;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// Logs from inside an agent name the user's server class.
function named(cls: abstract new (...args: never[]) => unknown, name: string) {
  Object.defineProperty(cls, "name", { value: name });
}

/** A server as the agent drives it. */
export type AnyServer = BaseServer<unknown> & {
  socket: Socket;
  server_close(): void | Promise<void>;
};

/** The hooks of a stand-in server that the main thread answers. */
export interface StandInHooks {
  shutdown(): Promise<void>;
  handle_error(request: unknown, addr: Address, error: unknown): void;
  verify_request(request: unknown, addr: Address): boolean | Promise<boolean>;
  /** A "handle" asked of the agent timed out. */
  handle_timeout(): void;
}

// `Base` with the hooks the main thread answers.
function answered<C extends ServerConstructor>(
  Base: C,
  hooks: StandInHooks,
): C {
  abstract class Answered extends Base {
    override shutdown(): Promise<void> {
      return hooks.shutdown();
    }
    override handle_error(r: unknown, a: Address, e: unknown): void {
      hooks.handle_error(r, a, e);
    }
    override verify_request(
      r: unknown,
      a: Address,
    ): boolean | Promise<boolean> {
      return hooks.verify_request(r, a);
    }
    override handle_timeout(): void {
      hooks.handle_timeout();
    }
  }
  return Answered as unknown as C;
}

/**
 * Makes the stand-in server, and for TCP a maker of the further listeners
 * the agent opens when it serves. Datagram replies go out through `send`.
 */
export async function stand_in(
  init: AgentInit,
  handler: never,
  hooks: StandInHooks,
  tasks: Tasks,
  send: (data: Uint8Array, address: Address) => void,
): Promise<{ server: AnyServer; make_listener: () => AnyServer }> {
  let server: AnyServer;
  let make_listener: () => AnyServer = () => server;
  if (init.mode === "dgram") {
    class AgentDatagramServer extends answered(UDPServer, hooks) {
      static override address_family: number = init.address_family;
    }
    named(AgentDatagramServer, init.label);
    server = new AgentDatagramServer(
      init.server_address,
      handler,
      false,
    ) as unknown as AnyServer;
    await server.socket.close();
    server.server_address = init.server_address;
    server.socket = new RelaySocket(
      send,
      init.server_address,
      init.address_family,
    ) as unknown as Socket;
  } else {
    const listen = init.mode === "listen";
    class AgentStreamServer extends answered(TCPServer, hooks) {
      static override address_family: number = init.address_family;
      static override allow_reuse_address: boolean = init.allow_reuse_address;
      static override request_queue_size: number = init.request_queue_size;
      override server_bind(): void {
        if (init.shared) {
          join_shared(this.socket, init.server_address as [string, number]);
          return;
        }
        if (
          this.address_family === AF_INET || this.address_family === AF_INET6
        ) {
          this.socket.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
        }
        super.server_bind();
      }
      override process_request(request: Socket, addr: Address): void {
        tasks.start(this, request, addr);
      }
    }
    named(AgentStreamServer, init.label);
    // A TCP agent binds when first told to serve (or to handle a request),
    // so connections wait in the main thread's listener until then.
    make_listener = () =>
      new AgentStreamServer(
        init.server_address,
        handler,
        false,
      ) as unknown as AnyServer;
    server = make_listener();
    if (!listen) await server.socket.close();
    server.server_address = init.server_address;
  }

  return { server, make_listener };
}

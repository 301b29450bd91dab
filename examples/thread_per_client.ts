// deno run --allow-net=127.0.0.1 --allow-read=. --unstable-net examples/thread_per_client.ts
// Ports the tutorials' multi-thread server: each client is served by
// handle_client(), which echoes what it receives until the client closes, on
// another thread, so a slow client never holds up the others.
//
// Python starts one Thread per accepted socket. Deno cannot hand a
// connection to another thread, so we use our ThreadingTCPServer: a pool of
// Web Workers (one per core; --workers to change), each listening on the
// same port with SO_REUSEPORT (hence --unstable-net); the kernel gives each
// new connection to one of them, and a worker serves all its clients at
// once. handle_client() becomes the handler's handle(): it runs in a
// worker, which imports this file (hence --allow-read; run from the
// repository root). It must be exported, and the server only starts when
// this file is the main module. The grant is the whole loopback host, not
// 127.0.0.1:8080: a connection the main thread accepts reaches its worker
// over a loopback socket pair on a port of its own.
//
// Flags: --host/--port (the tutorial binds ("", 8080), every interface; we
// default to 127.0.0.1 to stay off the network), --workers N. It serves
// until SIGINT or SIGTERM.
import { parseArgs } from "node:util";
import { ConnectionError, format_address, type Socket } from "../net/mod.ts";
import { BaseRequestHandler, ThreadingTCPServer } from "../server/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

/** def handle_client(new_sock, client_addr), as a request handler. */
export class HandleClient extends BaseRequestHandler {
  override async handle(): Promise<void> {
    const new_sock = this.request as Socket;
    const client_addr = this.client_address;
    try {
      while (true) {
        const recv_data = await new_sock.recv(1024);
        if (recv_data.length > 0) {
          console.log(
            `client ${format_address(client_addr)} sent: ${
              printable(recv_data)
            }`,
          );
          await new_sock.sendall(recv_data); // send() may be partial
        } else {
          console.log(
            `client ${format_address(client_addr)} closed the connection`,
          );
          // The server closes new_sock once handle() returns.
          break;
        }
      }
    } catch (err) {
      // The client reset the connection: it is gone all the same (the
      // tutorial's thread would die with a traceback).
      if (!(err instanceof ConnectionError)) throw err;
      console.log(`client ${format_address(client_addr)} reset the connection`);
    }
  }
}

if (import.meta.main) {
  const { values: flags } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8080" },
      workers: { type: "string" },
    },
  });
  const port = number_flag("port", flags.port, "port");
  const workers = flags.workers === undefined
    ? undefined
    : number_flag("workers", flags.workers, "positive");
  // SO_REUSEADDR, as the tutorial sets it.
  ThreadingTCPServer.allow_reuse_address = true;
  await using server = new ThreadingTCPServer(
    [flags.host, port],
    HandleClient,
  );
  if (workers !== undefined) server.max_workers = workers;
  // Like Python's daemon threads: stopping does not wait for clients.
  server.daemon_threads = true;
  const stop = () => void server.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(
    `listening on ${
      format_address(server.server_address)
    } with ${server.max_workers} worker threads`,
  );
  await server.serve_forever();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log("server stopped");
}

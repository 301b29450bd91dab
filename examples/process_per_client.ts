// deno run --allow-net=127.0.0.1 --allow-read=. --allow-run --unstable-net examples/process_per_client.ts
// Ports the tutorials' multi-process server: each client is served by
// handle_client(), which echoes what it receives until the client closes, in
// another process, so a slow or crashing client never holds up the others.
//
// Python forks one Process per accepted socket, and the child inherits the
// socket. Deno cannot fork nor hand a connection to another process, so we
// use our ForkingTCPServer: a pool of child Deno processes (one per core;
// --workers to change), each listening on the same port with SO_REUSEPORT
// (hence --unstable-net); the kernel gives each new connection to one of
// them, and a child serves all its clients at once. handle_client() becomes
// the handler's handle(): it runs in a child, which imports this file
// (hence --allow-read; run from the repository root). It must be exported,
// and the server only starts when this file is the main module. The
// children are `Deno.execPath()` (hence --allow-run, which cannot be scoped
// portably: that path differs between machines); they print to stderr, as
// their stdout talks to the parent. The grant is the whole loopback host:
// a connection the parent accepts reaches its child over a loopback socket
// pair on a port of its own.
//
// Flags: --host/--port (the tutorial binds ("", 8080), every interface; we
// default to 127.0.0.1 to stay off the network), --workers N. It serves
// until SIGINT or SIGTERM.
import { parseArgs } from "node:util";
import { ConnectionError, format_address, type Socket } from "../net/mod.ts";
import { BaseRequestHandler, ForkingTCPServer } from "../server/mod.ts";
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
            } (pid ${Deno.pid})`,
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
      // tutorial's child process would die with a traceback).
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
  ForkingTCPServer.allow_reuse_address = true;
  await using server = new ForkingTCPServer(
    [flags.host, port],
    HandleClient,
  );
  if (workers !== undefined) server.max_workers = workers;
  // Stopping does not wait for clients still connected.
  server.daemon_threads = true;
  const stop = () => void server.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(
    `listening on ${
      format_address(server.server_address)
    } with ${server.max_workers} child processes (parent pid ${Deno.pid})`,
  );
  await server.serve_forever();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log("server stopped");
}

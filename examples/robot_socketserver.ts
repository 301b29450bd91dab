// deno run --allow-net=127.0.0.1 --allow-read=. --unstable-net examples/robot_socketserver.ts
// Ports the tutorials' socketserver robot: the "10086" robot of
// robot_server.ts as a BaseRequestHandler whose handle() serves one caller,
// run by a ThreadingTCPServer, so many callers are served at the same time.
//
// Python gives each connection a thread. Our ThreadingTCPServer runs
// handlers in a pool of Web Workers (one per core; --workers N to change)
// that listen on the same port with SO_REUSEPORT (hence --unstable-net).
// Each worker imports this file to find MyServer (hence --allow-read; run it
// from the repository root), so MyServer is exported and the server only
// starts when this file is the main module. The grant is the whole loopback
// host, not 127.0.0.1:8009: the few connections the main thread accepts reach
// their worker over a loopback socket pair on a port of its own.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:8009), --workers N. It
// serves until SIGINT or SIGTERM. Talk to it with
// `deno run --allow-net=127.0.0.1:8009 examples/robot_client.ts --port 8009`.
import { parseArgs } from "node:util";
import { format_address, type Socket } from "../net/mod.ts";
import { BaseRequestHandler, ThreadingTCPServer } from "../server/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const WELCOME = "欢迎致电 10086,请输入1xxx,0转人工服务."; // Welcome; 0 for a human
const HUMAN = "通过可能会被录音.balabala一大推"; // Calls may be recorded...
const AGAIN = "请重新输入."; // Please try again.

/** class MyServer(SocketServer.BaseRequestHandler): one call to the robot. */
export class MyServer extends BaseRequestHandler<Socket> {
  override async handle(): Promise<void> {
    // print self.request,self.client_address,self.server
    const who = format_address(this.client_address);
    console.log(`call from ${who}`);
    const conn = this.request;
    await conn.sendall(WELCOME);
    let Flag = true;
    while (Flag) {
      const bytes = await conn.recv(1024);
      // Unlike the tutorial, a caller that hangs up (b"") ends the call.
      if (bytes.length === 0) {
        console.log(`${who} hung up`);
        break;
      }
      const data = new TextDecoder().decode(bytes);
      console.log(`${who} sent: ${printable(data)}`);
      if (data === "exit") {
        Flag = false;
      } else if (data === "0") {
        await conn.sendall(HUMAN);
      } else {
        await conn.sendall(AGAIN);
      }
    }
    // The server closes conn once handle() returns.
    console.log(`call from ${who} ended`);
  }
}

// if __name__ == '__main__':
if (import.meta.main) {
  const { values: flags } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8009" },
      workers: { type: "string" },
    },
  });
  const port = number_flag("port", flags.port, "port");
  const workers = flags.workers === undefined
    ? undefined
    : number_flag("workers", flags.workers, "positive");
  // Restart at once on the same port (SO_REUSEADDR); Python's default is off.
  ThreadingTCPServer.allow_reuse_address = true;
  // server = SocketServer.ThreadingTCPServer(('127.0.0.1',8009),MyServer)
  await using server = new ThreadingTCPServer(
    [flags.host, port],
    MyServer,
  );
  if (workers !== undefined) server.max_workers = workers;
  // Like Python's daemon threads: stopping does not wait for callers.
  server.daemon_threads = true;
  const stop = () => {
    console.log("stopping");
    void server.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(
    `listening on ${
      format_address(server.server_address)
    } with ${server.max_workers} worker threads`,
  );
  // server.serve_forever()
  await server.serve_forever();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log("server stopped");
}

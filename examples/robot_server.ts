// deno run --allow-net=127.0.0.1:8888 examples/robot_server.ts
// Ports the tutorials' "10086" robot server (the "smart robot" lesson): a
// customer-service line. It greets each caller, then answers every message:
// "0" puts you through to a human, "exit" hangs up, anything else asks again.
// One caller at a time: the next one waits in the listen(5) backlog.
//
// Flags: --host/--port (the tutorial's 127.0.0.1:8888), --count N (serve N
// callers, then exit; 0, the default, runs until SIGINT or SIGTERM),
// --timeout SECS (default 60: a caller silent that long is hung up on, so
// one that calls and says nothing cannot hold the line; 0 waits forever).
// Unlike the tutorial, a caller that hangs up without "exit" (recv() returns
// b"") ends the call; the Python loop would answer 请重新输入. forever.
import { parseArgs } from "node:util";
import {
  AF_INET,
  SO_REUSEADDR,
  SOCK_STREAM,
  type Socket,
  socket,
  SOL_SOCKET,
  TimeoutError,
} from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8888" },
    count: { type: "string", default: "0" },
    timeout: { type: "string", default: "60" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");
const timeout = number_flag("timeout", flags.timeout, "seconds");

/** The robot's three lines. */
const WELCOME = "欢迎致电 10086,请输入1xxx,0转人工服务."; // Welcome; 0 for a human
const HUMAN = "通过可能会被录音.balabala一大推"; // Calls may be recorded...
const AGAIN = "请重新输入."; // Please try again.

const decoder = new TextDecoder();

// ip_port = ('127.0.0.1',8888)
const ip_port: [string, number] = [flags.host, port];
// sk = socket.socket(); sk.bind(ip_port); sk.listen(5)
await using sk = socket(AF_INET, SOCK_STREAM);
sk.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1); // restart at once on the same port
sk.bind(ip_port);
sk.listen(5);

// SIGINT or SIGTERM closes the listening socket, which ends the pending
// accept(); a call in progress is finished first.
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void sk.close();
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [host, bound_port] = sk.getsockname() as [string, number];
console.log(`listening on ${host}:${bound_port}`);

async function reply(conn: Socket, text: string): Promise<void> {
  await conn.sendall(text);
  console.log(`  sent: ${text}`);
}

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  // conn,address = sk.accept()
  let conn: Socket;
  let address: [string, number];
  try {
    let addr;
    [conn, addr] = await sk.accept();
    address = addr as [string, number];
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  console.log(`call from ${address[0]}:${address[1]}`);
  if (timeout > 0) conn.settimeout(timeout);
  try {
    // conn.sendall('欢迎致电 10086,请输入1xxx,0转人工服务.')
    await reply(conn, WELCOME);
    let Flag = true;
    while (Flag) {
      // data = conn.recv(1024)
      const bytes = await conn.recv(1024);
      if (bytes.length === 0) {
        console.log("  the caller hung up");
        break;
      }
      const data = decoder.decode(bytes);
      console.log(`  received: ${printable(data)}`);
      if (data === "exit") {
        Flag = false;
      } else if (data === "0") {
        await reply(conn, HUMAN);
      } else {
        await reply(conn, AGAIN);
      }
    }
  } catch (err) {
    // A caller that resets the connection, or stays silent, must not stop
    // the server.
    if (err instanceof TimeoutError) {
      console.log(`  silent for ${timeout} s, hanging up`);
    } else {
      console.log(`  the call failed: ${err}`);
    }
  } finally {
    // conn.close()
    await conn.close();
  }
  console.log(`call from ${address[0]}:${address[1]} ended`);
  served++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);

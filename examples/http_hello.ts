// deno run --allow-net=127.0.0.1:8080 examples/http_hello.ts
// Ports the tutorials' "Hello, World" web server: HTTP over a raw socket. For
// each connection, handle_request() reads the browser's request, sends the
// shortest valid HTTP/1.1 answer (a status line, an empty line, the body
// "Hello, World") and the connection is closed, which tells the browser the
// body ended. Open http://127.0.0.1:8080/ in a browser, or run curl on it.
//
// Flags: --host/--port (the tutorial binds ('localhost', 8080); we default
// to 127.0.0.1, since localhost may mean ::1), --count N (answer N requests,
// then exit; 0, the default, runs until SIGINT or SIGTERM), --timeout SECS
// (default 10: the time a client has to send its request and take the
// answer; one that connects and sends nothing, or trickles, is closed after
// it, so it cannot hold this one-at-a-time server; 0 waits forever).
import { parseArgs } from "node:util";
import {
  AF_INET,
  SOCK_STREAM,
  type Socket,
  socket,
  TimeoutError,
} from "../net/mod.ts";
import { printable } from "./_printable.ts";
import { number_flag } from "./_flags.ts";

const { values: flags } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8080" },
    count: { type: "string", default: "0" },
    timeout: { type: "string", default: "10" },
  },
});
const port = number_flag("port", flags.port, "port");
const count = number_flag("count", flags.count, "count");
const timeout = number_flag("timeout", flags.timeout, "seconds");

const decoder = new TextDecoder();

// def handle_request(client):
async function handle_request(client: Socket): Promise<void> {
  // One deadline for the whole exchange: a timeout per recv() alone would
  // let a client hold the server by sending a byte just before each expires.
  const deadline = performance.now() + timeout * 1000;
  const recv = async () => {
    if (timeout > 0) {
      client.settimeout(Math.max(0.001, (deadline - performance.now()) / 1000));
    }
    return await client.recv(1024);
  };
  // buf = client.recv(1024)
  let buf = await recv();
  // The tutorial reads once. We read on until the empty line that ends the
  // request's headers (at most 64 KiB): closing a socket with unread bytes
  // makes the kernel reset the connection, which can lose our answer.
  let text = decoder.decode(buf);
  while (buf.length > 0 && !text.includes("\r\n\r\n") && text.length < 65536) {
    buf = await recv();
    text += decoder.decode(buf);
  }
  console.log(`request: ${printable(JSON.stringify(text.split("\r\n")[0]))}`);
  // client.send("HTTP/1.1 200 OK\r\n\r\n"); client.send("Hello, World")
  // (send() may send only part; sendall() sends everything)
  await client.sendall("HTTP/1.1 200 OK\r\n\r\n");
  await client.sendall("Hello, World");
  console.log('sent: "HTTP/1.1 200 OK\\r\\n\\r\\nHello, World"');
}

// def main():
// sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
await using sock = socket(AF_INET, SOCK_STREAM);
sock.bind([flags.host, port]); // sock.bind(('localhost',8080))
sock.listen(5);

// SIGINT or SIGTERM closes the listening socket, which ends the pending
// accept().
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log("stopping");
  void sock.close();
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

const [host, bound_port] = sock.getsockname() as [string, number];
console.log(`serving http://${host}:${bound_port}/`);

let served = 0;
while (!stopping && (count === 0 || served < count)) {
  // connection, address = sock.accept()
  let connection: Socket;
  let address: [string, number];
  try {
    let addr;
    [connection, addr] = await sock.accept();
    address = addr as [string, number];
  } catch (err) {
    if (stopping) break;
    throw err;
  }
  console.log(`connection from ${address[0]}:${address[1]}`);
  try {
    await handle_request(connection);
  } catch (err) {
    // A client that resets the connection, or stalls, must not stop the
    // server.
    if (err instanceof TimeoutError) {
      console.log(`no complete request within ${timeout} s`);
    } else {
      console.log(`request failed: ${err}`);
    }
  } finally {
    // connection.close()
    await connection.close();
  }
  served++;
}
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
